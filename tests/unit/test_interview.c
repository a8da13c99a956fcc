/*
 * test_interview: unit tests of match.c and of the built-in questionnaire.
 * Prints one line per failed check and exits 1 if any failed.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "interview.h"
#include "match.h"

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                            \
		}                                                              \
	} while (0)

static const char *const fw[] = {"vFirewall", "vRouter", "vLoadBalancer",
    "vVPN", "vIPS", "vNAT", "vWAF", "vDNS"};
static const char *const vendors[] = {"Cisco", "Palo Alto Networks", "Fortinet",
    "Check Point"};

static int
opt(const char *const *o, size_t n, const char *s)
{
	return (match_option(o, n, s, strlen(s)));
}

static int
near(const char *const *o, size_t n, const char *s)
{
	return (match_nearest(o, n, s, strlen(s)));
}

static void
test_fold(void)
{
	char out[MATCH_OPTION_MAX + 1], big[300];

	CHECK(match_fold("  Palo \t ALTO\nNetworks ", 23, out) == 18);
	CHECK(strcmp(out, "palo alto networks") == 0);
	CHECK(match_fold("   ", 3, out) == 0 && out[0] == '\0');
	memset(big, 'a', sizeof(big));
	CHECK(match_fold(big, MATCH_OPTION_MAX, out) == MATCH_OPTION_MAX);
	CHECK(match_fold(big, MATCH_OPTION_MAX + 1, out) == -1);
}

static void
test_option(void)
{
	CHECK(opt(fw, 8, "vFirewall") == 0);
	CHECK(opt(fw, 8, "  VFIREWALL ") == 0);
	CHECK(opt(fw, 8, "1") == 0);
	CHECK(opt(fw, 8, " 8 ") == 7);
	CHECK(opt(fw, 8, "08") == 7);
	CHECK(opt(fw, 8, "0") == -1);
	CHECK(opt(fw, 8, "9") == -1);
	CHECK(opt(fw, 8, "-1") == -1);
	CHECK(opt(fw, 8, "1.0") == -1);
	CHECK(opt(fw, 8, "99999999999999999999") == -1);
	CHECK(opt(fw, 8, "") == -1);
	CHECK(opt(fw, 8, "vFire wall") == -1);
	CHECK(opt(vendors, 4, "palo   alto networks") == 1);
	CHECK(opt(vendors, 4, "paloalto networks") == -1);
}

static void
test_nearest(void)
{
	CHECK(near(fw, 8, "vFirewal") == 0);
	CHECK(near(fw, 8, "firewall") == 0); /* part of it */
	CHECK(near(fw, 8, "vrouetr") == 1);  /* a swap */
	CHECK(near(fw, 8, "banana") == -1);  /* nothing close */
	CHECK(near(fw, 8, "") == -1);
	CHECK(near(vendors, 4, "palo") == 1);
	CHECK(near(vendors, 4, "Cisco ASA") == 0); /* more around it */
	CHECK(near(vendors, 4, "Fortinte") == 2);
}

static void
test_distance(void)
{
	CHECK(match_distance("", "") == 0);
	CHECK(match_distance("abc", "") == 3);
	CHECK(match_distance("kitten", "sitting") == 3);
	CHECK(match_distance("ca", "ac") == 1);
	CHECK(match_distance("vfirewal", "vfirewall") == 1);
}

static void
test_chars(void)
{
	CHECK(match_chars("abc", 3) == 3);
	CHECK(match_chars("\xc3\xa9t\xc3\xa9", 5) == 3); /* été */
	CHECK(match_chars("\xf0\x9f\x9a\x80", 4) == 1);  /* rocket */
	CHECK(match_chars("\xff\xfe", 2) == 2);          /* not UTF-8 */
	CHECK(match_chars("\xe2\x82", 2) == 2);          /* cut short */
}

static void
test_quote(void)
{
	struct buf b;
	char long_s[100];

	buf_init(&b, 1024);
	match_quote(&b, "a\nb", 3);
	CHECK(strcmp(b.data, "'a?b'") == 0);
	buf_reset(&b);
	memset(long_s, 'x', sizeof(long_s));
	match_quote(&b, long_s, sizeof(long_s));
	CHECK(b.len == 60 + 3 + 2);
	buf_reset(&b);
	match_quote(&b, "\xc3\xa9", 2);
	CHECK(strcmp(b.data, "'\xc3\xa9'") == 0);
	buf_free(&b);
}

static void
test_builtin(void)
{
	struct interview *q;
	const cJSON *steps;
	const char *text;
	size_t len;

	text = interview_builtin(&len);
	CHECK(len == strlen(text));
	q = interview_load(text, len, "questions.json");
	CHECK(q != NULL);
	if (q == NULL)
		return;
	steps = cJSON_GetObjectItem(interview_questions(q), "steps");
	CHECK(cJSON_GetArraySize(steps) == 7);
	interview_free(q);
	interview_free(NULL);
}

int
main(void)
{
	err_init("test_interview");
	test_fold();
	test_option();
	test_nearest();
	test_distance();
	test_chars();
	test_quote();
	test_builtin();
	if (failures == 0)
		printf("ok\n");
	return (failures > 0);
}

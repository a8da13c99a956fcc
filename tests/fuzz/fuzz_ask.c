/*
 * fuzz_ask: libFuzzer over csc-ask's input handling.  The bytes are read
 * as csc-ask reads standard input (the same size limit, jsonio_parse) and
 * handed to interview_request with the built-in questionnaire; a reply is
 * printed as csc-ask prints it.
 *
 * Besides the sanitizers, one property is checked: a message accepted for
 * step N, sent again to the state it produced, is a harmless retry that
 * gives back that state unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "interview.h"
#include "jsonio.h"

#define NOW 1700000000 /* a fixed clock, as CSC_NOW gives */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct interview *s_q;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *text;
	size_t len;

	(void)argc;
	(void)argv;
	err_init("fuzz_ask");
	err_quiet(1);
	text = interview_builtin(&len);
	s_q = interview_load(text, len, "questions.json");
	if (s_q == NULL)
		abort();
	return (0);
}

/* REQ, a message request for an explicit step, was answered with OUT
 * (printed as TEXT): the same message again must print TEXT again. */
static void
check_retry(const cJSON *req, const cJSON *out, const char *text)
{
	const char *action = jsonio_string(req, "action");
	cJSON *again, *out2 = NULL;
	char *text2;

	if (action == NULL || strcmp(action, "message") != 0 ||
	    cJSON_GetObjectItemCaseSensitive(req, "step") == NULL)
		return;
	again = cJSON_Duplicate(req, 1);
	if (again == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(again,
	                         "conversation", cJSON_Duplicate(out, 1)))
		abort();
	if (interview_request(s_q, again, NOW + 60, &out2) != 0)
		abort();
	text2 = jsonio_print(out2);
	if (text2 == NULL || strcmp(text, text2) != 0)
		abort();
	free(text2);
	cJSON_Delete(out2);
	cJSON_Delete(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *req, *out = NULL;
	char *text;

	err_clear();
	if (size > JSONIO_DEFAULT_LIMIT)
		return (0); /* refused before parsing, as jsonio_read does */
	req = jsonio_parse((const char *)data, size, "standard input");
	if (req == NULL)
		return (0);
	if (interview_request(s_q, req, NOW, &out) == 0) {
		if (out == NULL)
			abort();
		text = jsonio_print(out);
		if (text == NULL)
			abort();
		check_retry(req, out, text);
		free(text);
	} else if (out != NULL) {
		abort(); /* a failure leaves nothing to print */
	}
	cJSON_Delete(out);
	cJSON_Delete(req);
	return (0);
}

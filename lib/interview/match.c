#include <string.h>

#include "match.h"
#include "num.h"

#define QUOTE_MAX 60 /* bytes of an answer shown in an error message */

static int
is_space(unsigned char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	        c == '\f');
}

static unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

const char *
match_trim(const char *s, size_t *len)
{
	size_t n = *len;

	while (n > 0 && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return (s);
}

int
match_fold(const char *s, size_t len, char out[MATCH_OPTION_MAX + 1])
{
	size_t i, o = 0;
	int space = 0;

	s = match_trim(s, &len);
	for (i = 0; i < len; i++) {
		if (is_space((unsigned char)s[i])) {
			space = 1;
			continue;
		}
		/* One space stands for each inner run of white space. */
		if (space && o < MATCH_OPTION_MAX)
			out[o++] = ' ';
		space = 0;
		if (o == MATCH_OPTION_MAX) {
			out[o] = '\0';
			return (-1);
		}
		out[o++] = (char)lower((unsigned char)s[i]);
	}
	out[o] = '\0';
	return ((int)o);
}

int
match_number(const char *s, size_t len, size_t n)
{
	char digits[7];
	long long v;

	/* Six digits at most: no questionnaire has a million options. */
	s = match_trim(s, &len);
	if (len == 0 || len >= sizeof(digits) || memchr(s, '\0', len) != NULL)
		return (-1);
	memcpy(digits, s, len);
	digits[len] = '\0';
	if (num_parse(digits, 1, (long long)(n < 999999 ? n : 999999), &v))
		return (-1);
	return ((int)(v - 1));
}

int
match_option(const char *const *opts, size_t n, const char *s, size_t len)
{
	char want[MATCH_OPTION_MAX + 1], have[MATCH_OPTION_MAX + 1];
	size_t i;
	int k;

	/* A number is a position; options are never all digits. */
	k = match_number(s, len, n);
	if (k >= 0)
		return (k);
	if (match_fold(s, len, want) < 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (match_fold(opts[i], strlen(opts[i]), have) < 0)
			continue;
		if (strcmp(want, have) == 0)
			return ((int)i);
	}
	return (-1);
}

size_t
match_distance(const char *a, const char *b)
{
	size_t rows[3][MATCH_OPTION_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;
	size_t la = strlen(a), lb = strlen(b), i, j, cost, best;

	if (la > MATCH_OPTION_MAX || lb > MATCH_OPTION_MAX)
		return ((size_t)-1);
	/* Row i holds the distances from a[0..i) to each b[0..j). */
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			best = prev[j - 1] + cost; /* substitute */
			if (prev[j] + 1 < best)    /* delete */
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best) /* insert */
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1; /* swap */
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return (prev[lb]);
}

int
match_nearest(const char *const *opts, size_t n, const char *s, size_t len)
{
	char want[MATCH_OPTION_MAX + 1], have[MATCH_OPTION_MAX + 1];
	size_t i, d, limit, best_d = (size_t)-1;
	int wlen, hlen, best = -1;

	wlen = match_fold(s, len, want);
	if (wlen <= 0)
		return (-1);
	/* A part of an option, or an option with more around it. */
	for (i = 0; wlen >= 3 && i < n; i++) {
		hlen = match_fold(opts[i], strlen(opts[i]), have);
		if (hlen < 3)
			continue;
		if (strstr(have, want) != NULL || strstr(want, have) != NULL)
			return ((int)i);
	}
	/* Else the closest spelling, if close enough to be a typo. */
	for (i = 0; i < n; i++) {
		hlen = match_fold(opts[i], strlen(opts[i]), have);
		if (hlen < 0)
			continue;
		d = match_distance(want, have);
		limit = (size_t)hlen / 3 > 1 ? (size_t)hlen / 3 : 1;
		if (d <= limit && d < best_d) {
			best_d = d;
			best = (int)i;
		}
	}
	return (best);
}

/* The length of the UTF-8 sequence at S (at most N bytes), or 1 if it is
 * not a valid one. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t want, i;

	if (s[0] < 0x80)
		return (1);
	else if ((s[0] & 0xe0) == 0xc0)
		want = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		want = 3;
	else if ((s[0] & 0xf8) == 0xf0)
		want = 4;
	else
		return (1);
	if (want > n)
		return (1);
	for (i = 1; i < want; i++)
		if ((s[i] & 0xc0) != 0x80)
			return (1);
	return (want);
}

size_t
match_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, count = 0;

	while (i < len) {
		i += utf8_len(p + i, len - i);
		count++;
	}
	return (count);
}

int
match_quote(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, step;
	char c;

	if (buf_addstr(out, "'"))
		return (-1);
	while (i < len) {
		step = utf8_len(p + i, len - i);
		if (i + step > QUOTE_MAX)
			break;
		for (k = 0; k < step; k++) {
			c = (char)p[i + k];
			if (step == 1 &&
			    (p[i] < 0x20 || p[i] == 0x7f || p[i] >= 0x80))
				c = '?';
			if (buf_add(out, &c, 1))
				return (-1);
		}
		i += step;
	}
	if (i < len && buf_addstr(out, "..."))
		return (-1);
	return (buf_addstr(out, "'"));
}

/*
 * interview_match.c: an answer, matched against a step's options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "interview_int.h"
#include "interview_match.h"
#include "jsonio.h"
#include "match.h"

#define MAX_OPTIONS 100 /* as interview_load.c allows */

static const struct interview_opts no_options = {0, NULL};

const struct interview_opts *
interview_options(const struct interview *q, size_t s, const cJSON *answers)
{
	const struct interview_step *st = &q->steps[s];
	const struct interview_step *d;
	const char *v;
	size_t k;

	if (st->kind == KIND_FREE_TEXT)
		return (&no_options);
	if (st->dep < 0)
		return (&st->opts);
	d = &q->steps[st->dep];
	v = jsonio_string(answers, d->id);
	for (k = 0; v != NULL && k < d->opts.n; k++)
		if (strcmp(d->opts.v[k], v) == 0)
			return (&st->by[k]);
	return (NULL);
}

const cJSON *
interview_default(const struct interview *q, size_t s, const cJSON *answers)
{
	const struct interview_step *st = &q->steps[s];
	const struct interview_step *d;
	const char *v;
	size_t k;

	if (st->dep < 0)
		return (st->def);
	d = &q->steps[st->dep];
	v = jsonio_string(answers, d->id);
	for (k = 0; v != NULL && k < d->opts.n; k++)
		if (strcmp(d->opts.v[k], v) == 0)
			return (st->def_by[k]);
	return (NULL);
}

/* Append what step S accepts: "choose one of: A, B (or 1-2)". */
static void
list_options(struct buf *why, const struct interview_step *st,
    const struct interview_opts *o)
{
	size_t i;

	if (st->kind == KIND_FREE_TEXT) {
		buf_printf(why, "describe it in at most %zu characters%s",
		    st->max_length, st->optional ? ", or answer 'none'" : "");
		return;
	}
	buf_addstr(why, st->kind == KIND_ONE_OF ? "choose one of: "
	                                        : "choose one or more of: ");
	for (i = 0; i < o->n; i++)
		buf_printf(why, "%s%s", i > 0 ? ", " : "", o->v[i]);
	buf_printf(why, " (or 1-%zu%s)", o->n,
	    st->kind == KIND_MANY_OF ? ", as a comma list or a JSON array"
	                             : "");
}

/* Refuse the answer S (LEN bytes) as not among the options O:
 * "'X' is not an option for vRouter; choose ...; did you mean 'Y'?" */
static int
refuse_unknown(struct buf *why, const struct interview *q, size_t s,
    const struct interview_opts *o, const cJSON *answers, const char *a,
    size_t len, int brief)
{
	const struct interview_step *st = &q->steps[s];
	int k;

	match_quote(why, a, len);
	buf_addstr(why, " is not an option");
	if (st->dep >= 0)
		buf_printf(why, " for %s",
		    jsonio_string(answers, q->steps[st->dep].id));
	if (!brief) {
		buf_addstr(why, "; ");
		list_options(why, st, o);
	}
	k = match_nearest(o->v, o->n, a, len);
	if (k >= 0)
		buf_printf(why, "; did you mean '%s'?", o->v[k]);
	return (1);
}

static int
refuse_empty(struct buf *why, const struct interview_step *st,
    const struct interview_opts *o, int brief)
{
	buf_addstr(why, "empty answer");
	if (!brief) {
		buf_addstr(why, "; ");
		list_options(why, st, o);
	}
	return (1);
}

static int
refuse_type(struct buf *why, const struct interview_step *st,
    const cJSON *value)
{
	buf_printf(why, "expected %s, got %s",
	    st->kind == KIND_ONE_OF    ? "one answer as a string"
	    : st->kind == KIND_MANY_OF ? "a string or an array"
	                               : "text",
	    jsonio_type_name(value));
	return (1);
}

static cJSON *
oom(void)
{
	err_set(EX_SOFTWARE, "out of memory");
	return (NULL);
}

static int
match_one(const struct interview *q, size_t s, const struct interview_opts *o,
    const cJSON *answers, const cJSON *value, int brief, struct buf *why,
    cJSON **out)
{
	const char *a;
	size_t len;
	int k;

	if (!cJSON_IsString(value))
		return (refuse_type(why, &q->steps[s], value));
	len = strlen(value->valuestring);
	a = match_trim(value->valuestring, &len);
	if (len == 0)
		return (refuse_empty(why, &q->steps[s], o, brief));
	k = match_option(o->v, o->n, a, len);
	if (k < 0)
		return (refuse_unknown(why, q, s, o, answers, a, len, brief));
	*out = cJSON_CreateString(o->v[k]);
	return (*out != NULL ? 0 : (oom(), -1));
}

/* Mark in CHOSEN the option that item A (LEN bytes) of a list names;
 * blank items are skipped. */
static int
choose(const struct interview *q, size_t s, const struct interview_opts *o,
    const cJSON *answers, const char *a, size_t len, int brief, struct buf *why,
    unsigned char *chosen)
{
	int k;

	a = match_trim(a, &len);
	if (len == 0)
		return (0);
	k = match_option(o->v, o->n, a, len);
	if (k < 0)
		return (refuse_unknown(why, q, s, o, answers, a, len, brief));
	chosen[k] = 1;
	return (0);
}

static int
match_many(const struct interview *q, size_t s, const struct interview_opts *o,
    const cJSON *answers, const cJSON *value, int brief, struct buf *why,
    cJSON **out)
{
	unsigned char chosen[MAX_OPTIONS] = {0};
	char num[32];
	cJSON *parsed = NULL, *list = NULL, *str;
	const cJSON *item;
	const char *a, *end, *comma, *parse_end = NULL;
	size_t len, i;
	int rc = 1;

	/* A string that is a JSON array is read as one. */
	if (cJSON_IsString(value)) {
		len = strlen(value->valuestring);
		a = match_trim(value->valuestring, &len);
		if (len > 0 && a[0] == '[') {
			parsed = cJSON_ParseWithLengthOpts(a, len, &parse_end,
			    0);
			if (parsed == NULL || !cJSON_IsArray(parsed) ||
			    parse_end != a + len) {
				match_quote(why, a, len);
				buf_addstr(why, " is not a JSON array");
				goto done;
			}
			value = parsed;
		}
	}
	/* Each item names an option: by name or number. */
	if (cJSON_IsArray(value)) {
		cJSON_ArrayForEach(item, value) {
			if (cJSON_IsString(item)) {
				if (choose(q, s, o, answers, item->valuestring,
				        strlen(item->valuestring), brief, why,
				        chosen))
					goto done;
			} else if (cJSON_IsNumber(item)) {
				snprintf(num, sizeof(num), "%.17g",
				    item->valuedouble);
				if (choose(q, s, o, answers, num, strlen(num),
				        brief, why, chosen))
					goto done;
			} else {
				buf_printf(why,
				    "list items must be option "
				    "names or numbers, not %s",
				    jsonio_type_name(item));
				goto done;
			}
		}
	} else if (cJSON_IsString(value)) {
		a = value->valuestring;
		end = a + strlen(a);
		for (;;) {
			comma = memchr(a, ',', (size_t)(end - a));
			if (choose(q, s, o, answers, a,
			        (size_t)((comma ? comma : end) - a), brief, why,
			        chosen))
				goto done;
			if (comma == NULL)
				break;
			a = comma + 1;
		}
	} else {
		refuse_type(why, &q->steps[s], value);
		goto done;
	}
	/* The chosen options, in the questionnaire's order. */
	for (i = 0; i < o->n && !chosen[i]; i++)
		;
	if (i == o->n) {
		refuse_empty(why, &q->steps[s], o, brief);
		goto done;
	}
	rc = -1;
	list = cJSON_CreateArray();
	if (list == NULL) {
		oom();
		goto done;
	}
	for (i = 0; i < o->n; i++) {
		if (!chosen[i])
			continue;
		str = cJSON_CreateString(o->v[i]);
		if (str == NULL || !cJSON_AddItemToArray(list, str)) {
			cJSON_Delete(str);
			oom();
			goto done;
		}
	}
	*out = list;
	list = NULL;
	rc = 0;
done:
	cJSON_Delete(list);
	cJSON_Delete(parsed);
	return (rc);
}

static int
match_text(const struct interview *q, size_t s, const cJSON *value, int brief,
    struct buf *why, cJSON **out)
{
	const struct interview_step *st = &q->steps[s];
	const char *a;
	char *copy;
	size_t len, chars;

	if (!cJSON_IsString(value))
		return (refuse_type(why, st, value));
	len = strlen(value->valuestring);
	a = match_trim(value->valuestring, &len);
	/* "none" is no requirement, where none is needed. */
	if (st->optional && len == 4 && strncasecmp(a, "none", 4) == 0)
		len = 0;
	if (len == 0 && !st->optional)
		return (refuse_empty(why, st, &no_options, brief));
	chars = match_chars(a, len);
	if (chars > st->max_length) {
		buf_printf(why,
		    "answer is %zu characters, at most %zu "
		    "allowed",
		    chars, st->max_length);
		return (1);
	}
	copy = strndup(a, len);
	if (copy == NULL) {
		oom();
		return (-1);
	}
	*out = cJSON_CreateString(copy);
	free(copy);
	return (*out != NULL ? 0 : (oom(), -1));
}

int
interview_match(const struct interview *q, size_t s, const cJSON *answers,
    const cJSON *value, int brief, struct buf *why, cJSON **out)
{
	const struct interview_opts *o = interview_options(q, s, answers);

	*out = NULL;
	if (o == NULL) {
		buf_printf(why, "cannot be checked without a valid %s",
		    q->steps[q->steps[s].dep].id);
		return (1);
	}
	switch (q->steps[s].kind) {
	case KIND_ONE_OF:
		return (match_one(q, s, o, answers, value, brief, why, out));
	case KIND_MANY_OF:
		return (match_many(q, s, o, answers, value, brief, why, out));
	default:
		return (match_text(q, s, value, brief, why, out));
	}
}

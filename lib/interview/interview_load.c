/*
 * interview_load.c: reading and checking a questionnaire.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "interview.h"
#include "interview_int.h"
#include "interview_match.h"
#include "jsonio.h"
#include "match.h"

#define MAX_STEPS 64          /* steps in a questionnaire */
#define MAX_OPTIONS 100       /* options of one step */
#define MAX_ID 64             /* bytes of a step id */
#define MAX_FREE_TEXT 1000000 /* the largest max_length */

/* share/questions.json, as bytes ending in a NUL (tools/embed). */
static const char questions_json[] = {
#include "questions.inc"
};

/* Where the loader is, for its error messages. */
struct loader {
	const char *what; /* the questionnaire's name */
	struct interview *q;
	size_t s;       /* the step being read, or (size_t)-1 */
	const char *id; /* its id once known */
};

/* Report a problem of the questionnaire as "WHAT: step N (ID): ...". */
static void __attribute__((format(printf, 2, 3)))
bad(const struct loader *l, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is acceptable */
	va_end(ap);
	if (l->id != NULL)
		err_set(EX_CONFIG, "%s: step %zu (%s): %s", l->what, l->s + 1,
		    l->id, msg);
	else if (l->s != (size_t)-1)
		err_set(EX_CONFIG, "%s: step %zu: %s", l->what, l->s + 1, msg);
	else
		err_set(EX_CONFIG, "%s: %s", l->what, msg);
}

/* A step id: a lowercase letter, then lowercase letters, digits, '_'. */
static int
is_id(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_ID || s[0] < 'a' || s[0] > 'z')
		return (0);
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return (0);
	return (1);
}

/* The index of the step before step L->s whose id is the LEN bytes at
 * NAME, or -1. */
static int
earlier_step(const struct loader *l, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < l->s; i++)
		if (strlen(l->q->steps[i].id) == len &&
		    memcmp(l->q->steps[i].id, name, len) == 0)
			return ((int)i);
	return (-1);
}

/* Check that each {name} in TEXT names an earlier one_of step, whose
 * answer will stand in for it. */
static int
check_placeholders(const struct loader *l, const char *text)
{
	const char *p, *end;
	int k;

	for (p = strchr(text, '{'); p != NULL; p = strchr(p + 1, '{')) {
		end = strchr(p + 1, '}');
		if (end == NULL || !is_id(p + 1, (size_t)(end - p - 1)))
			continue; /* not a placeholder: shown as it is */
		k = earlier_step(l, p + 1, (size_t)(end - p - 1));
		if (k < 0 || l->q->steps[k].kind != KIND_ONE_OF) {
			bad(l,
			    "text names {%.*s}, which is not an earlier "
			    "one_of step",
			    (int)(end - p - 1), p + 1);
			return (-1);
		}
	}
	return (0);
}

static int
all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return (0);
	return (1);
}

/* Read LIST, an array of option strings named NAME in errors, into O. */
static int
load_opts(const struct loader *l, enum interview_kind kind, const cJSON *list,
    const char *name, struct interview_opts *o)
{
	char fi[MATCH_OPTION_MAX + 1], fj[MATCH_OPTION_MAX + 1];
	const cJSON *e;
	const char *s;
	size_t n, i, j;

	n = cJSON_IsArray(list) ? (size_t)cJSON_GetArraySize(list) : 0;
	if (n == 0 || n > MAX_OPTIONS) {
		bad(l, "%s must be an array of 1 to %d strings", name,
		    MAX_OPTIONS);
		return (-1);
	}
	o->v = calloc(n, sizeof(*o->v));
	if (o->v == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	o->n = 0;
	cJSON_ArrayForEach(e, list) {
		if (!cJSON_IsString(e)) {
			bad(l, "%s must be an array of 1 to %d strings", name,
			    MAX_OPTIONS);
			return (-1);
		}
		o->v[o->n++] = e->valuestring;
	}
	/* Each option must be matchable, and no two alike once folded. */
	for (i = 0; i < n; i++) {
		s = o->v[i];
		if (match_fold(s, strlen(s), fi) <= 0) {
			bad(l,
			    "%s: option '%.60s' is empty or longer than %d "
			    "bytes",
			    name, s, MATCH_OPTION_MAX);
			return (-1);
		}
		if (all_digits(fi)) {
			bad(l,
			    "%s: option '%s' is a number, which would be "
			    "read as a position",
			    name, s);
			return (-1);
		}
		if (kind == KIND_MANY_OF &&
		    (strchr(s, ',') != NULL || fi[0] == '[')) {
			bad(l,
			    "%s: option '%s' holds ',' or starts with '[', "
			    "which would be read as a list",
			    name, s);
			return (-1);
		}
		for (j = 0; j < i; j++) {
			match_fold(o->v[j], strlen(o->v[j]), fj);
			if (strcmp(fi, fj) == 0) {
				bad(l, "%s: option '%s' is listed twice", name,
				    s);
				return (-1);
			}
		}
	}
	return (0);
}

/* Check DEF as a default of step L->s given ANSWERS, and keep its
 * normalised form in Q->defaults.  NAME names it in errors. */
static const cJSON *
load_default(const struct loader *l, const cJSON *answers, const cJSON *def,
    const char *name)
{
	struct buf why;
	cJSON *norm = NULL;
	int rc;

	buf_init(&why, 65536);
	rc = interview_match(l->q, l->s, answers, def, 1, &why, &norm);
	if (rc == 1)
		bad(l, "%s: %s", name, why.data);
	buf_free(&why);
	if (rc != 0)
		return (NULL);
	if (!cJSON_AddItemToArray(l->q->defaults, norm)) {
		cJSON_Delete(norm);
		err_set(EX_SOFTWARE, "out of memory");
		return (NULL);
	}
	return (norm);
}

/* The options of a one_of or many_of step that depends on step DEP. */
static int
load_options_by(const struct loader *l, struct interview_step *st,
    const cJSON *item, int dep)
{
	const struct interview_step *d = &l->q->steps[dep];
	const cJSON *by = interview_get(item, "options_by");
	const cJSON *def_by = interview_get(item, "default_by");
	const cJSON *e;
	cJSON *answers;
	char name[128];
	size_t k;

	if (interview_get(item, "options") != NULL ||
	    interview_get(item, "default") != NULL) {
		bad(l, "with depends_on, options and default are given as "
		       "options_by and default_by");
		return (-1);
	}
	if (!cJSON_IsObject(by)) {
		bad(l,
		    "options_by must be an object with a list of options "
		    "for each %s",
		    d->id);
		return (-1);
	}
	st->dep = dep;
	st->by = calloc(d->opts.n, sizeof(*st->by));
	st->def_by = calloc(d->opts.n, sizeof(*st->def_by));
	if (st->by == NULL || st->def_by == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	/* One list for each option of the step depended on, no more. */
	cJSON_ArrayForEach(e, by) {
		for (k = 0; k < d->opts.n; k++)
			if (strcmp(d->opts.v[k], e->string) == 0)
				break;
		if (k == d->opts.n) {
			bad(l, "options_by for unknown %s '%.60s'", d->id,
			    e->string);
			return (-1);
		}
		if (st->by[k].v != NULL) {
			bad(l, "options_by lists %s '%s' twice", d->id,
			    e->string);
			return (-1);
		}
		snprintf(name, sizeof(name), "options_by for %.60s", e->string);
		if (load_opts(l, st->kind, e, name, &st->by[k]))
			return (-1);
	}
	for (k = 0; k < d->opts.n; k++) {
		if (st->by[k].v == NULL) {
			bad(l, "options_by has no entry for %s '%s'", d->id,
			    d->opts.v[k]);
			return (-1);
		}
	}
	if (def_by == NULL)
		return (0);
	if (!cJSON_IsObject(def_by)) {
		bad(l,
		    "default_by must be an object with a default for each "
		    "%s",
		    d->id);
		return (-1);
	}
	cJSON_ArrayForEach(e, def_by) {
		for (k = 0; k < d->opts.n; k++)
			if (strcmp(d->opts.v[k], e->string) == 0)
				break;
		if (k == d->opts.n) {
			bad(l, "default_by for unknown %s '%.60s'", d->id,
			    e->string);
			return (-1);
		}
		if (st->def_by[k] != NULL) {
			bad(l, "default_by lists %s '%s' twice", d->id,
			    e->string);
			return (-1);
		}
		/* Its default is checked as if D had been answered K. */
		answers = cJSON_CreateObject();
		if (answers == NULL || cJSON_AddStringToObject(answers, d->id,
		                           d->opts.v[k]) == NULL) {
			cJSON_Delete(answers);
			err_set(EX_SOFTWARE, "out of memory");
			return (-1);
		}
		snprintf(name, sizeof(name), "default_by for %.60s", e->string);
		st->def_by[k] = load_default(l, answers, e, name);
		cJSON_Delete(answers);
		if (st->def_by[k] == NULL)
			return (-1);
	}
	return (0);
}

/* A one_of or many_of step: its own options, or options_by another. */
static int
load_choice(const struct loader *l, struct interview_step *st,
    const cJSON *item)
{
	const cJSON *dep = interview_get(item, "depends_on");
	const cJSON *def = interview_get(item, "default");
	int k;

	if (dep == NULL) {
		if (interview_get(item, "options_by") != NULL ||
		    interview_get(item, "default_by") != NULL) {
			bad(l, "options_by and default_by need depends_on");
			return (-1);
		}
		if (load_opts(l, st->kind, interview_get(item, "options"),
		        "options", &st->opts))
			return (-1);
		if (def != NULL && !cJSON_IsNull(def)) {
			st->def = load_default(l, NULL, def, "default");
			if (st->def == NULL)
				return (-1);
		}
		return (0);
	}
	if (!cJSON_IsString(dep)) {
		bad(l, "depends_on must be the id of an earlier step");
		return (-1);
	}
	k = earlier_step(l, dep->valuestring, strlen(dep->valuestring));
	if (k < 0) {
		bad(l, "depends_on '%.60s' is not an earlier step",
		    dep->valuestring);
		return (-1);
	}
	if (l->q->steps[k].kind != KIND_ONE_OF || l->q->steps[k].dep >= 0) {
		bad(l,
		    "depends_on '%s' must name a one_of step with options "
		    "of its own",
		    dep->valuestring);
		return (-1);
	}
	return (load_options_by(l, st, item, k));
}

/* A free_text step: max_length, optional, default. */
static int
load_free_text(const struct loader *l, struct interview_step *st,
    const cJSON *item)
{
	const cJSON *max = interview_get(item, "max_length");
	const cJSON *opt = interview_get(item, "optional");
	const cJSON *def = interview_get(item, "default");

	if (interview_get(item, "options") != NULL ||
	    interview_get(item, "options_by") != NULL ||
	    interview_get(item, "depends_on") != NULL ||
	    interview_get(item, "default_by") != NULL) {
		bad(l, "a free_text step takes no options");
		return (-1);
	}
	if (!jsonio_is_int(max, 1, MAX_FREE_TEXT)) {
		bad(l, "max_length must be an integer from 1 to %d",
		    MAX_FREE_TEXT);
		return (-1);
	}
	st->max_length = (size_t)max->valuedouble;
	if (opt != NULL && !cJSON_IsBool(opt)) {
		bad(l, "optional must be true or false");
		return (-1);
	}
	st->optional = cJSON_IsTrue(opt);
	if (def != NULL && !cJSON_IsNull(def)) {
		st->def = load_default(l, NULL, def, "default");
		if (st->def == NULL)
			return (-1);
	}
	return (0);
}

/* Step number L->s + 1 from ITEM. */
static int
load_step(struct loader *l, const cJSON *item)
{
	struct interview_step *st = &l->q->steps[l->s];
	const cJSON *num, *id;
	const char *kind;
	int k;

	l->id = NULL;
	if (!cJSON_IsObject(item)) {
		bad(l, "expected an object");
		return (-1);
	}
	num = interview_get(item, "step");
	if (num != NULL && !(jsonio_is_int(num, 1, MAX_STEPS) &&
	                       (size_t)num->valuedouble == l->s + 1)) {
		bad(l, "\"step\" must be %zu, its place in the list", l->s + 1);
		return (-1);
	}
	id = interview_get(item, "id");
	if (!cJSON_IsString(id) ||
	    !is_id(id->valuestring, strlen(id->valuestring))) {
		bad(l,
		    "id must be a lowercase name of at most %d bytes "
		    "([a-z][a-z0-9_]*)",
		    MAX_ID);
		return (-1);
	}
	k = earlier_step(l, id->valuestring, strlen(id->valuestring));
	if (k >= 0) {
		bad(l, "id '%s' is step %d's too", id->valuestring, k + 1);
		return (-1);
	}
	st->id = id->valuestring;
	st->dep = -1;
	l->id = st->id;
	st->text = jsonio_string(item, "text");
	if (st->text == NULL || st->text[0] == '\0') {
		bad(l, "text must be a non-empty string");
		return (-1);
	}
	kind = jsonio_string(item, "kind");
	if (kind != NULL && strcmp(kind, "one_of") == 0)
		st->kind = KIND_ONE_OF;
	else if (kind != NULL && strcmp(kind, "many_of") == 0)
		st->kind = KIND_MANY_OF;
	else if (kind != NULL && strcmp(kind, "free_text") == 0)
		st->kind = KIND_FREE_TEXT;
	else {
		bad(l, "kind must be one_of, many_of or free_text");
		return (-1);
	}
	if (check_placeholders(l, st->text))
		return (-1);
	if (st->kind == KIND_FREE_TEXT)
		return (load_free_text(l, st, item));
	return (load_choice(l, st, item));
}

const char *
interview_builtin(size_t *len)
{
	*len = sizeof(questions_json) - 1;
	return (questions_json);
}

struct interview *
interview_load(const char *text, size_t len, const char *what)
{
	struct loader l = {what, NULL, (size_t)-1, NULL};
	const cJSON *steps, *item;
	const char *end = NULL;
	size_t n, i;

	l.q = calloc(1, sizeof(*l.q));
	if (l.q == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (NULL);
	}
	/* One JSON document, nothing after it. */
	if (memchr(text, '\0', len) != NULL) {
		bad(&l, "NUL byte in JSON");
		goto fail;
	}
	l.q->doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (l.q->doc == NULL) {
		bad(&l, "invalid JSON near byte %zu",
		    end != NULL && end >= text ? (size_t)(end - text) : 0);
		goto fail;
	}
	for (i = (size_t)(end - text); i < len; i++) {
		if (strchr(" \t\r\n", text[i]) == NULL) {
			bad(&l, "unexpected data after JSON at byte %zu", i);
			goto fail;
		}
	}
	l.q->defaults = cJSON_CreateArray();
	if (l.q->defaults == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		goto fail;
	}
	/* Its steps, each checked against those before it. */
	steps = interview_get(l.q->doc, "steps");
	n = cJSON_IsObject(l.q->doc) && cJSON_IsArray(steps)
	        ? (size_t)cJSON_GetArraySize(steps)
	        : 0;
	if (n == 0 || n > MAX_STEPS) {
		bad(&l,
		    "expected an object with \"steps\", an array of 1 to "
		    "%d steps",
		    MAX_STEPS);
		goto fail;
	}
	l.q->steps = calloc(n, sizeof(*l.q->steps));
	if (l.q->steps == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		goto fail;
	}
	l.q->nsteps = n;
	l.s = 0;
	cJSON_ArrayForEach(item, steps) {
		if (load_step(&l, item))
			goto fail;
		l.s++;
	}

	/* Success! */
	return (l.q);

fail:
	/* Failure! */
	interview_free(l.q);
	return (NULL);
}

const cJSON *
interview_questions(const struct interview *q)
{
	return (q->doc);
}

void
interview_free(struct interview *q)
{
	struct interview_step *st;
	size_t i, k;

	if (q == NULL)
		return;
	for (i = 0; i < q->nsteps; i++) {
		st = &q->steps[i];
		free(st->opts.v);
		if (st->by != NULL)
			for (k = 0; k < q->steps[st->dep].opts.n; k++)
				free(st->by[k].v);
		free(st->by);
		free(st->def_by);
	}
	free(q->steps);
	cJSON_Delete(q->defaults);
	cJSON_Delete(q->doc);
	free(q);
}

#define QUESTIONS_MAX ((size_t)1 << 20) /* bytes of a CSC_QUESTIONS file */

/* The questionnaire: CSC_QUESTIONS if set, else the built-in one. */
struct interview *
interview_load_default(void)
{
	const char *path = getenv("CSC_QUESTIONS");
	struct interview *q = NULL;
	struct buf text;
	char chunk[65536];
	size_t n, len;
	const char *builtin;
	FILE *f;

	if (path == NULL || *path == '\0') {
		builtin = interview_builtin(&len);
		return (interview_load(builtin, len, "questions.json"));
	}
	f = fopen(path, "r");
	if (f == NULL) {
		err_set(EX_CONFIG, "CSC_QUESTIONS: %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	buf_init(&text, QUESTIONS_MAX);
	do {
		n = fread(chunk, 1, sizeof(chunk), f);
		if (buf_add(&text, chunk, n)) {
			err_set(EX_CONFIG, "%s: larger than %zu bytes", path,
			    QUESTIONS_MAX);
			goto done;
		}
	} while (n > 0);
	if (ferror(f)) {
		err_set(EX_CONFIG, "%s: %s", path, strerror(errno));
		goto done;
	}
	q = interview_load(text.data != NULL ? text.data : "", text.len, path);
done:
	buf_free(&text);
	fclose(f);
	return (q);
}

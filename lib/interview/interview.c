/*
 * interview.c: conversations: start, answer, complete in one go.
 *
 * A state is validated against the questionnaire before it is used, so
 * that whatever a store hands back (or a fuzzer makes up) is either a
 * state this code could have written or refused with EX_DATAERR.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ids.h"
#include "interview.h"
#include "interview_int.h"
#include "interview_match.h"
#include "jsonio.h"
#include "match.h"

#define WHY_CAP 65536                  /* bytes of one error message */
#define BRIEF_OVER 900                 /* a longer complete error drops lists */
#define VERSION_MAX 9007199254740991.0 /* 2^53 - 1: exact in a double */
#define MESSAGE_MAX 16384              /* bytes of a message kept in history */

static int
oom(void)
{
	err_set(EX_SOFTWARE, "out of memory");
	return (-1);
}

/* T as an RFC 3339 string item, or NULL after err_set. */
static cJSON *
time_item(time_t t)
{
	char s[21];

	if (clock_rfc3339(t, s)) {
		err_set(EX_SOFTWARE, "time %lld cannot be shown as RFC 3339",
		    (long long)t);
		return (NULL);
	}
	return (cJSON_CreateString(s));
}

/* Step S's text with each {id} of an earlier step replaced by its
 * answer. */
static cJSON *
render_text(const struct interview *q, size_t s, const cJSON *answers)
{
	const char *p = q->steps[s].text, *open, *close, *v;
	struct buf out;
	cJSON *item = NULL;
	size_t i, len;

	buf_init(&out, WHY_CAP);
	for (open = strchr(p, '{'); open != NULL; open = strchr(p, '{')) {
		close = strchr(open + 1, '}');
		if (close == NULL)
			break;
		len = (size_t)(close - open - 1);
		v = NULL;
		for (i = 0; i < s && v == NULL; i++)
			if (strlen(q->steps[i].id) == len &&
			    memcmp(q->steps[i].id, open + 1, len) == 0)
				v = jsonio_string(answers, q->steps[i].id);
		if (v == NULL) { /* not a placeholder: kept as it is */
			buf_add(&out, p, (size_t)(open - p) + 1);
			p = open + 1;
			continue;
		}
		buf_add(&out, p, (size_t)(open - p));
		buf_addstr(&out, v);
		p = close + 1;
	}
	if (buf_addstr(&out, p) == 0)
		item = cJSON_CreateString(out.data);
	buf_free(&out);
	return (item);
}

/* The question object of step S given the earlier ANSWERS: {id, text,
 * kind, options, default}, and for free text max_length and optional. */
static cJSON *
question(const struct interview *q, size_t s, const cJSON *answers)
{
	static const char *const kinds[] = {"one_of", "many_of", "free_text"};
	const struct interview_step *st = &q->steps[s];
	const struct interview_opts *o = interview_options(q, s, answers);
	const cJSON *def = interview_default(q, s, answers);
	cJSON *qn, *opts;

	qn = cJSON_CreateObject();
	if (qn == NULL)
		return (NULL);
	if (o == NULL || jsonio_set(qn, "id", cJSON_CreateString(st->id)) ||
	    jsonio_set(qn, "text", render_text(q, s, answers)) ||
	    jsonio_set(qn, "kind", cJSON_CreateString(kinds[st->kind])))
		goto fail;
	opts = o->n > 0 ? cJSON_CreateStringArray(o->v, (int)o->n)
	                : cJSON_CreateArray();
	if (jsonio_set(qn, "options", opts) ||
	    jsonio_set(qn, "default",
	        def != NULL ? cJSON_Duplicate(def, 1) : cJSON_CreateNull()))
		goto fail;
	if (st->kind == KIND_FREE_TEXT &&
	    (jsonio_set(qn, "optional", cJSON_CreateBool(st->optional)) ||
	        jsonio_set(qn, "max_length",
	            cJSON_CreateNumber((double)st->max_length))))
		goto fail;
	return (qn);
fail:
	cJSON_Delete(qn);
	return (NULL);
}

/* service_data: every step's answer, in step order. */
static cJSON *
service_data(const struct interview *q, const cJSON *answers)
{
	cJSON *sd = cJSON_CreateObject();
	size_t s;

	for (s = 0; sd != NULL && s < q->nsteps; s++) {
		if (jsonio_set(sd, q->steps[s].id,
		        cJSON_Duplicate(interview_get(answers, q->steps[s].id),
		            1))) {
			cJSON_Delete(sd);
			return (NULL);
		}
	}
	return (sd);
}

cJSON *
interview_start(const struct interview *q, time_t now)
{
	char id[37];
	cJSON *st;

	ids_new(id);
	/* jsonio_set takes a NULL object or value for out of memory. */
	st = cJSON_CreateObject();
	if (jsonio_set(st, "conversation_id", cJSON_CreateString(id)) ||
	    jsonio_set(st, "step", cJSON_CreateNumber(1)) ||
	    jsonio_set(st, "total_steps",
	        cJSON_CreateNumber((double)q->nsteps)) ||
	    jsonio_set(st, "status", cJSON_CreateString("open")) ||
	    jsonio_set(st, "answers", cJSON_CreateObject()) ||
	    jsonio_set(st, "history", cJSON_CreateArray()) ||
	    jsonio_set(st, "version", cJSON_CreateNumber(1)) ||
	    jsonio_set(st, "created_at", time_item(now)) ||
	    jsonio_set(st, "updated_at", time_item(now)) ||
	    jsonio_set(st, "expires_at", time_item(now + INTERVIEW_TTL)) ||
	    jsonio_set(st, "question", question(q, 0, NULL))) {
		cJSON_Delete(st);
		return (NULL);
	}
	return (st);
}

/* Report a state that this questionnaire could not have made. */
static int __attribute__((format(printf, 1, 2))) bad_state(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is acceptable */
	va_end(ap);
	err_set(EX_DATAERR, "conversation: %s", msg);
	return (-1);
}

/* Check that the answers of steps before LAST are all there, each as the
 * interview would have written it, and nothing else. */
static int
check_answers(const struct interview *q, const cJSON *answers, size_t last)
{
	struct buf why;
	const cJSON *a;
	cJSON *norm;
	size_t s;
	int rc = -1, r;

	buf_init(&why, WHY_CAP);
	for (s = 0; s < last; s++) {
		a = interview_get(answers, q->steps[s].id);
		if (a == NULL) {
			bad_state("answers.%s is missing", q->steps[s].id);
			goto done;
		}
		r = interview_match(q, s, answers, a, 1, &why, &norm);
		if (r < 0)
			goto done;
		if (r > 0) {
			bad_state("answers.%s: %s", q->steps[s].id, why.data);
			goto done;
		}
		r = cJSON_Compare(norm, a, 1);
		cJSON_Delete(norm);
		if (!r) {
			bad_state("answers.%s is not written as this "
			          "questionnaire writes it",
			    q->steps[s].id);
			goto done;
		}
	}
	cJSON_ArrayForEach(a, answers) {
		for (s = 0; s < last; s++)
			if (strcmp(a->string, q->steps[s].id) == 0)
				break;
		if (s == last) {
			buf_reset(&why);
			match_quote(&why, a->string, strlen(a->string));
			bad_state("answers has %s, not an answer of steps "
			          "1 to %zu",
			    why.data, last);
			goto done;
		}
	}
	rc = 0;
done:
	buf_free(&why);
	return (rc);
}

/* Check STATE: a conversation this questionnaire could have made.  Sets
 * *STEP to its current step and *DONE if it is complete. */
static int
check_state(const struct interview *q, const cJSON *state, int *step, int *done)
{
	static const char *const times[] = {"created_at", "updated_at",
	    "expires_at"};
	const cJSON *v;
	const char *status;
	time_t t;
	size_t i;

	if (!cJSON_IsObject(state))
		return (bad_state("expected an object (a conversation "
		                  "state), got %s",
		    jsonio_type_name(state)));
	if (!ids_valid(jsonio_string(state, "conversation_id")))
		return (bad_state("conversation_id must be a lowercase UUID"));
	if (!jsonio_is_int(interview_get(state, "total_steps"),
	        (double)q->nsteps, (double)q->nsteps))
		return (bad_state("total_steps must be %zu, as this "
		                  "questionnaire has",
		    q->nsteps));
	v = interview_get(state, "step");
	if (!jsonio_is_int(v, 1, (double)q->nsteps))
		return (bad_state("step must be an integer from 1 to %zu",
		    q->nsteps));
	*step = (int)v->valuedouble;
	status = jsonio_string(state, "status");
	if (status == NULL ||
	    (strcmp(status, "open") != 0 && strcmp(status, "complete") != 0))
		return (bad_state("status must be \"open\" or \"complete\""));
	*done = strcmp(status, "complete") == 0;
	if (*done && (size_t)*step != q->nsteps)
		return (bad_state("a complete conversation is at step %zu",
		    q->nsteps));
	if (!jsonio_is_int(interview_get(state, "version"), 1, VERSION_MAX))
		return (bad_state("version must be a positive integer"));
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		v = interview_get(state, times[i]);
		if (!cJSON_IsString(v) ||
		    clock_parse_rfc3339(v->valuestring, &t))
			return (
			    bad_state("%s must be an RFC 3339 time", times[i]));
	}
	if (!cJSON_IsArray(interview_get(state, "history")))
		return (bad_state("history must be an array"));
	v = interview_get(state, "answers");
	if (!cJSON_IsObject(v))
		return (bad_state("answers must be an object"));
	return (check_answers(q, v, *done ? q->nsteps : (size_t)*step - 1));
}

/* MSG as given, trimmed if it is a string, for the history. */
static cJSON *
history_message(const cJSON *msg)
{
	const char *s;
	char *copy;
	size_t len;
	cJSON *item;

	if (!cJSON_IsString(msg))
		return (cJSON_Duplicate(msg, 1));
	len = strlen(msg->valuestring);
	s = match_trim(msg->valuestring, &len);
	copy = strndup(s, len);
	if (copy == NULL)
		return (NULL);
	item = cJSON_CreateString(copy);
	free(copy);
	return (item);
}

/* About how many bytes MSG takes in the history. */
static size_t
message_size(const cJSON *msg)
{
	const cJSON *item;
	size_t n = 0;

	if (cJSON_IsString(msg))
		return (strlen(msg->valuestring));
	cJSON_ArrayForEach(item, msg)
		n += 3 +
		     (cJSON_IsString(item) ? strlen(item->valuestring) : 24);
	return (n);
}

/* Refuse a message too big to keep in the history of step ST: the state
 * must fit in a store's item (DynamoDB's hold 400 KB).  Free text may
 * take four bytes a character. */
static int
check_message_size(const struct interview_step *st, int step, const cJSON *msg)
{
	size_t max = MESSAGE_MAX;

	if (st->kind == KIND_FREE_TEXT && st->max_length * 4 > max)
		max = st->max_length * 4;
	if (message_size(msg) <= max)
		return (0);
	err_set(EX_DATAERR, "step %d (%s): message is longer than %zu bytes",
	    step, st->id, max);
	return (-1);
}

/* The state after STATE's step STEP was answered ANSWER (taken). */
static cJSON *
advance(const struct interview *q, const cJSON *state, int step,
    const cJSON *msg, cJSON *answer, time_t now)
{
	const struct interview_step *st = &q->steps[step - 1];
	cJSON *next, *answers, *history, *entry = NULL;
	double version;

	next = cJSON_Duplicate(state, 1);
	if (next == NULL) {
		cJSON_Delete(answer);
		oom();
		goto fail;
	}
	/* The answer, and its record in the history. */
	answers = cJSON_GetObjectItemCaseSensitive(next, "answers");
	history = cJSON_GetObjectItemCaseSensitive(next, "history");
	entry = cJSON_CreateObject();
	if (jsonio_set(entry, "step", cJSON_CreateNumber(step)) ||
	    jsonio_set(entry, "question_id", cJSON_CreateString(st->id)) ||
	    jsonio_set(entry, "message", history_message(msg)) ||
	    jsonio_set(entry, "answer", cJSON_Duplicate(answer, 1)) ||
	    jsonio_set(entry, "at", time_item(now))) {
		cJSON_Delete(answer);
		goto fail;
	}
	if (jsonio_set(answers, st->id, answer))
		goto fail;
	if (!cJSON_AddItemToArray(history, entry)) {
		oom();
		goto fail;
	}
	entry = NULL;
	/* A new version, alive for another INTERVIEW_TTL. */
	version = interview_get(state, "version")->valuedouble;
	if (jsonio_set(next, "version", cJSON_CreateNumber(version + 1)) ||
	    jsonio_set(next, "updated_at", time_item(now)) ||
	    jsonio_set(next, "expires_at", time_item(now + INTERVIEW_TTL)))
		goto fail;
	/* The next question, or the end of the interview. */
	if ((size_t)step == q->nsteps) {
		if (jsonio_set(next, "status",
		        cJSON_CreateString("complete")) ||
		    jsonio_set(next, "question", cJSON_CreateNull()) ||
		    jsonio_set(next, "service_data", service_data(q, answers)))
			goto fail;
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(next, "service_data");
		if (jsonio_set(next, "step", cJSON_CreateNumber(step + 1)) ||
		    jsonio_set(next, "question",
		        question(q, (size_t)step, answers)))
			goto fail;
	}
	return (next);
fail:
	cJSON_Delete(entry);
	cJSON_Delete(next);
	return (NULL);
}

/* Whether MSG, as an answer to step LAST, is the answer STATE holds. */
static int
is_repeat(const struct interview *q, const cJSON *state, int last,
    const cJSON *msg, int *same)
{
	const cJSON *answers = interview_get(state, "answers");
	struct buf why;
	cJSON *norm = NULL;
	int r;

	buf_init(&why, WHY_CAP);
	r = interview_match(q, (size_t)last - 1, answers, msg, 1, &why, &norm);
	buf_free(&why);
	if (r < 0)
		return (-1);
	*same = r == 0 && cJSON_Compare(norm,
	                      interview_get(answers, q->steps[last - 1].id), 1);
	cJSON_Delete(norm);
	return (0);
}

/* The reply to a repeat of STATE's last accepted answer: STATE, with its
 * question (at step CUR) or, once DONE, its service_data written afresh,
 * as advance() wrote them for the first reply.  They are functions of the
 * answers, so they are the same values; written afresh, they are the same
 * bytes too, whatever order a store kept an object's members in. */
static cJSON *
repeat_reply(const struct interview *q, const cJSON *state, int cur, int done)
{
	cJSON *out = cJSON_Duplicate(state, 1);
	const cJSON *answers;

	if (out == NULL) {
		oom();
		return (NULL);
	}
	answers = interview_get(out, "answers");
	if (done ? jsonio_set(out, "service_data", service_data(q, answers))
	         : jsonio_set(out, "question",
	               question(q, (size_t)cur - 1, answers))) {
		cJSON_Delete(out);
		return (NULL);
	}
	return (out);
}

int
interview_answer(const struct interview *q, const cJSON *state,
    const cJSON *msg, int step, time_t now, cJSON **out)
{
	const char *id;
	struct buf why;
	cJSON *answer = NULL;
	int cur = 0, done = 0, last, same = 0, r;

	*out = NULL;
	if (check_state(q, state, &cur, &done))
		return (-1);
	id = jsonio_string(state, "conversation_id");
	if (step == 0 && done) {
		err_set(CSC_EX_CONFLICT, "conversation %s is already complete",
		    id);
		return (-1);
	}
	if (step == 0)
		step = cur;
	if (step < 1 || (size_t)step > q->nsteps) {
		err_set(EX_DATAERR,
		    "step %d is out of range: the interview "
		    "has steps 1 to %zu",
		    step, q->nsteps);
		return (-1);
	}
	/* Another step: a conflict, unless the last answer came again. */
	if (done || step != cur) {
		last = done ? (int)q->nsteps : cur - 1;
		if (step == last && is_repeat(q, state, last, msg, &same))
			return (-1);
		if (step == last && same) {
			*out = repeat_reply(q, state, cur, done);
			return (*out != NULL ? 0 : -1);
		}
		if (done)
			err_set(CSC_EX_CONFLICT,
			    "conversation %s is already "
			    "complete",
			    id);
		else
			err_set(CSC_EX_CONFLICT,
			    "conversation %s is at step "
			    "%d, not step %d",
			    id, cur, step);
		return (-1);
	}
	/* The current step: match the answer and move on. */
	if (check_message_size(&q->steps[step - 1], step, msg))
		return (-1);
	buf_init(&why, WHY_CAP);
	r = interview_match(q, (size_t)step - 1,
	    interview_get(state, "answers"), msg, 0, &why, &answer);
	if (r > 0)
		err_set(EX_DATAERR, "step %d (%s): %s", step,
		    q->steps[step - 1].id, why.data);
	buf_free(&why);
	if (r != 0)
		return (-1);
	*out = advance(q, state, step, msg, answer, now);
	return (*out != NULL ? 0 : -1);
}

/* Append one problem to WHY, after a "; " if it is not the first. */
static void
add_problem(struct buf *why, size_t *errors, const char *field,
    const char *problem)
{
	buf_printf(why, "%s%s: %s", *errors > 0 ? "; " : "", field, problem);
	(*errors)++;
}

/* Check each field of SD into RESULT; the problems go to WHY.  Returns 0,
 * 1 if there were problems, or -1 after err_set. */
static int
complete_fields(const struct interview *q, const cJSON *sd, int brief,
    cJSON *result, struct buf *why)
{
	const struct interview_step *st;
	const cJSON *v, *def;
	struct buf one;
	cJSON *norm;
	size_t s, errors = 0;
	int r, rc = -1;

	buf_init(&one, WHY_CAP);
	for (s = 0; s < q->nsteps; s++) {
		st = &q->steps[s];
		/* A field whose options hang on an invalid one is not
		 * checked: that one is reported. */
		if (interview_options(q, s, result) == NULL)
			continue;
		v = interview_get(sd, st->id);
		if (v == NULL || cJSON_IsNull(v)) {
			def = interview_default(q, s, result);
			if (def == NULL) {
				add_problem(why, &errors, st->id,
				    "missing, and it has no default");
				continue;
			}
			if (jsonio_set(result, st->id, cJSON_Duplicate(def, 1)))
				goto done;
			continue;
		}
		buf_reset(&one);
		r = interview_match(q, s, result, v, brief, &one, &norm);
		if (r < 0)
			goto done;
		if (r > 0) {
			add_problem(why, &errors, st->id, one.data);
			continue;
		}
		if (jsonio_set(result, st->id, norm))
			goto done;
	}
	/* Fields that are no step's. */
	cJSON_ArrayForEach(v, sd) {
		for (s = 0; s < q->nsteps; s++)
			if (strcmp(v->string, q->steps[s].id) == 0)
				break;
		if (s < q->nsteps)
			continue;
		buf_reset(&one);
		match_quote(&one, v->string, strlen(v->string));
		add_problem(why, &errors, one.data,
		    "not a field of "
		    "service_data");
	}
	rc = errors > 0 ? 1 : 0;
done:
	buf_free(&one);
	return (rc);
}

int
interview_complete(const struct interview *q, const cJSON *sd, cJSON **out)
{
	struct buf why;
	cJSON *result = NULL, *wrap = NULL;
	int brief, r = 1;

	*out = NULL;
	if (!cJSON_IsObject(sd)) {
		err_set(EX_DATAERR, "service_data: expected an object, got %s",
		    jsonio_type_name(sd));
		return (-1);
	}
	/* With the options listed, unless that makes too long a line. */
	buf_init(&why, WHY_CAP);
	for (brief = 0; brief < 2 && r > 0; brief++) {
		cJSON_Delete(result);
		buf_reset(&why);
		result = cJSON_CreateObject();
		if (result == NULL) {
			oom();
			goto fail;
		}
		r = complete_fields(q, sd, brief, result, &why);
		if (r < 0)
			goto fail;
		if (r > 0 && why.len <= BRIEF_OVER)
			break;
	}
	if (r > 0) {
		err_set(EX_DATAERR, "service_data: %s", why.data);
		goto fail;
	}
	/* RESULT is WRAP's from here, or freed (WRAP NULL included). */
	wrap = cJSON_CreateObject();
	if (jsonio_set(wrap, "service_data", result)) {
		result = NULL;
		goto fail;
	}
	buf_free(&why);
	*out = wrap;
	return (0);
fail:
	buf_free(&why);
	cJSON_Delete(result);
	cJSON_Delete(wrap);
	return (-1);
}

/* A message request: its members checked for type, then answered. */
static int
request_message(const struct interview *q, const cJSON *req, time_t now,
    cJSON **out)
{
	const cJSON *conv = interview_get(req, "conversation");
	const cJSON *msg = interview_get(req, "message");
	const cJSON *step = interview_get(req, "step");

	if (!cJSON_IsObject(conv)) {
		err_set(EX_DATAERR,
		    "conversation: expected an object (a "
		    "conversation state), got %s",
		    jsonio_type_name(conv));
		return (-1);
	}
	if (!cJSON_IsString(msg) && !cJSON_IsArray(msg)) {
		err_set(EX_DATAERR,
		    "message: expected a string or an array, "
		    "got %s",
		    jsonio_type_name(msg));
		return (-1);
	}
	if (step == NULL)
		return (interview_answer(q, conv, msg, 0, now, out));
	if (!cJSON_IsNumber(step)) {
		err_set(EX_DATAERR, "step: expected an integer, got %s",
		    jsonio_type_name(step));
		return (-1);
	}
	if (step->valuedouble != floor(step->valuedouble)) {
		err_set(EX_DATAERR, "step: expected an integer, got %g",
		    step->valuedouble);
		return (-1);
	}
	if (step->valuedouble < 1 || step->valuedouble > (double)q->nsteps) {
		err_set(EX_DATAERR,
		    "step %.0f is out of range: the interview "
		    "has steps 1 to %zu",
		    step->valuedouble, q->nsteps);
		return (-1);
	}
	return (
	    interview_answer(q, conv, msg, (int)step->valuedouble, now, out));
}

int
interview_request(const struct interview *q, const cJSON *req, time_t now,
    cJSON **out)
{
	const char *action;

	*out = NULL;
	if (!cJSON_IsObject(req)) {
		err_set(EX_DATAERR, "request: expected an object, got %s",
		    jsonio_type_name(req));
		return (-1);
	}
	action = jsonio_string(req, "action");
	if (action != NULL && strcmp(action, "start") == 0) {
		*out = interview_start(q, now);
		return (*out != NULL ? 0 : -1);
	}
	if (action != NULL && strcmp(action, "message") == 0)
		return (request_message(q, req, now, out));
	if (action != NULL && strcmp(action, "complete") == 0)
		return (interview_complete(q,
		    interview_get(req, "service_data"), out));
	err_set(EX_DATAERR, "request: action must be \"start\", \"message\" "
	                    "or \"complete\"");
	return (-1);
}

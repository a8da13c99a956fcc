/*
 * interview: the seven-step interview as pure functions over JSON.
 *
 * A questionnaire (share/questions.json, built in, or another document of
 * the same form) says what each step asks, what it accepts, and what it
 * defaults to.  A conversation is a JSON state that the caller stores
 * between turns; these functions read a state and return a new one, and
 * never touch standard input or output.  Answers are matched as match.h
 * says.  Every function that fails reports once with err_set() and the
 * exit class of SPEC section 3:
 *
 *   EX_CONFIG (78)        the questionnaire is malformed
 *   EX_DATAERR (65)       a wrong answer, a wrong JSON type, a bad state
 *   CSC_EX_CONFLICT (73)  a step other than the current one
 *   EX_SOFTWARE (70)      out of memory, or a time that cannot be shown
 */
#ifndef CSC_INTERVIEW_H
#define CSC_INTERVIEW_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

/* How long a conversation lives after its last change: seven days. */
#define INTERVIEW_TTL (7 * 24 * 60 * 60)

struct interview;

/* interview_builtin(&len): the questionnaire built into the program
 * (share/questions.json), NUL-terminated, with its length in *LEN. */
const char *interview_builtin(size_t *len);

/* interview_load(text, len, what): parse and check a questionnaire of LEN
 * bytes.  WHAT names it in errors ("questions.json", a file name).
 * Returns the questionnaire, or NULL after err_set(EX_CONFIG, "WHAT: step
 * 2 (vendor): options_by for unknown service_type 'vFoo'") naming the
 * first problem found. */
struct interview *interview_load(const char *text, size_t len,
    const char *what);

/* interview_load_default(): the questionnaire of CSC_QUESTIONS (a file)
 * if set, else the built-in one; NULL after err_set(EX_CONFIG, ...). */
struct interview *interview_load_default(void);

/* interview_questions(q): the questionnaire document, for GET /questions;
 * owned by Q. */
const cJSON *interview_questions(const struct interview *q);

/* interview_start(q, now): a new conversation at step 1: conversation_id
 * (a lowercase UUID), step, total_steps, status "open", answers {},
 * history [], version 1, created_at, updated_at, expires_at (NOW plus
 * INTERVIEW_TTL) and the question of step 1 ({id, text, kind, options,
 * default}).  Returns the state, or NULL after err_set(EX_SOFTWARE). */
cJSON *interview_start(const struct interview *q, time_t now);

/* interview_answer(q, state, msg, step, now, &out): answer step STEP (1
 * to total_steps; 0 for the current step) of the conversation STATE with
 * MSG, a JSON string (or, for a many_of step, an array).  On success *OUT
 * is a new state: the answer under answers.ID and appended to history,
 * version one more, updated_at and expires_at from NOW, and the next
 * question; after the last step status "complete", question null and
 * service_data.  A repeat of the last accepted answer (the previous step,
 * or the last one of a complete conversation, with the same answer once
 * normalised: "vfirewall" repeats "vFirewall") gives a copy of STATE, the
 * same version, with its question or service_data written afresh (the
 * bytes the first reply had, whatever order a store kept their members
 * in).  Returns 0, or
 * -1 after err_set: EX_DATAERR for an answer that matches nothing (the
 * line lists the options and the nearest), a step outside 1..total_steps
 * or a STATE that is not one this questionnaire made; CSC_EX_CONFLICT for
 * any other step than the current one, or a complete conversation. */
int interview_answer(const struct interview *q, const cJSON *state,
    const cJSON *msg, int step, time_t now, cJSON **out);

/* interview_complete(q, sd, &out): check a whole service_data object SD
 * at once, as the interview would have accepted each answer, filling in
 * the questionnaire's defaults for fields that are missing or null.  On
 * success *OUT is {"service_data": {...}} with every step's field, in
 * step order.  Returns 0, or -1 after err_set(EX_DATAERR) with every
 * invalid, missing or unknown field in one line. */
int interview_complete(const struct interview *q, const cJSON *sd, cJSON **out);

/* interview_request(q, req, now, &out): do what the request REQ asks:
 * {"action":"start"}, {"action":"message","conversation":STATE,
 * "message":TEXT,"step":N} (step optional: the current one) or
 * {"action":"complete","service_data":{...}}.  Returns 0 with *OUT as the
 * functions above, or -1 after err_set: EX_DATAERR for a REQ that is not
 * such an object or has members of the wrong JSON type, else as they do. */
int interview_request(const struct interview *q, const cJSON *req, time_t now,
    cJSON **out);

/* interview_free(q): release Q; interview_free(NULL) does nothing. */
void interview_free(struct interview *q);

#endif /* !CSC_INTERVIEW_H */

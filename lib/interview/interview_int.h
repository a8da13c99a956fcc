/*
 * interview_int.h: what interview.c and interview_load.c share; not for
 * other modules, which use interview.h.
 */
#ifndef CSC_INTERVIEW_INT_H
#define CSC_INTERVIEW_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"

enum interview_kind { KIND_ONE_OF, KIND_MANY_OF, KIND_FREE_TEXT };

/* A list of options; the strings belong to the questionnaire document. */
struct interview_opts {
	size_t n;
	const char **v;
};

struct interview_step {
	const char *id;
	const char *text;                /* may hold {id} of earlier steps */
	enum interview_kind kind;
	int dep;                         /* step picking the options, or -1 */
	struct interview_opts opts;      /* when dep < 0 */
	struct interview_opts *by;       /* when dep >= 0: per option of dep */
	const cJSON *def;                /* when dep < 0; NULL if none */
	const cJSON **def_by;            /* when dep >= 0; may hold NULLs */
	int optional;                    /* free_text: "none" or "" accepted */
	size_t max_length;               /* free_text: in characters */
};

struct interview {
	cJSON *doc;                      /* the questionnaire as given */
	cJSON *defaults;                 /* normalised defaults, owned here */
	size_t nsteps;
	struct interview_step *steps;
};

/* interview_options(q, s, answers): the options of step S given the
 * earlier ANSWERS, or NULL if the step it depends on has no valid answer
 * there.  Free text steps have none (an empty list). */
const struct interview_opts *interview_options(const struct interview *q,
    size_t s, const cJSON *answers);

/* interview_match(q, s, answers, value, brief, why, &out): VALUE (a
 * string; or for many_of an array, or a string holding a comma list or a
 * JSON array) as step S's normalised answer given the earlier ANSWERS: the
 * option's own spelling, the chosen options in the questionnaire's order,
 * or the trimmed text ("" for "none" when optional).  Returns 0 with the
 * new item in *OUT; 1 if VALUE is refused, with the problem appended to
 * WHY (the options listed unless BRIEF, and the nearest one); -1 after
 * err_set(EX_SOFTWARE) when out of memory. */
int interview_match(const struct interview *q, size_t s,
    const cJSON *answers, const cJSON *value, int brief, struct buf *why,
    cJSON **out);

/* interview_default(q, s, answers): step S's default given the earlier
 * ANSWERS (owned by Q), or NULL if it has none. */
const cJSON *interview_default(const struct interview *q, size_t s,
    const cJSON *answers);

/* interview_get(obj, name): OBJ's member NAME (exact case), or NULL. */
const cJSON *interview_get(const cJSON *obj, const char *name);

/* interview_is_int(v, lo, hi): V is a number with an integral value in
 * [LO, HI]. */
int interview_is_int(const cJSON *v, double lo, double hi);

/* interview_type_name(v): "a string", "a number", ..., "null", or
 * "nothing" for NULL: what a message says V is. */
const char *interview_type_name(const cJSON *v);

#endif /* !CSC_INTERVIEW_INT_H */

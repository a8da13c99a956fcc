/*
 * interview_int.h: the questionnaire as the interview's files hold it
 * (types only, and one accessor); not for other modules, which use
 * interview.h.  The files depend one way: interview.c and
 * interview_load.c use interview_match.c (interview_match.h), which uses
 * match.c (match.h); none of them uses interview.c.
 */
#ifndef CSC_INTERVIEW_INT_H
#define CSC_INTERVIEW_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum interview_kind { KIND_ONE_OF, KIND_MANY_OF, KIND_FREE_TEXT };

/* A list of options; the strings belong to the questionnaire document. */
struct interview_opts {
	size_t n;
	const char **v;
};

struct interview_step {
	const char *id;
	const char *text; /* may hold {id} of earlier steps */
	enum interview_kind kind;
	int dep;                    /* step picking the options, or -1 */
	struct interview_opts opts; /* when dep < 0 */
	struct interview_opts *by;  /* when dep >= 0: per option of dep */
	const cJSON *def;           /* when dep < 0; NULL if none */
	const cJSON **def_by;       /* when dep >= 0; may hold NULLs */
	int optional;               /* free_text: "none" or "" accepted */
	size_t max_length;          /* free_text: in characters */
};

struct interview {
	cJSON *doc;      /* the questionnaire as given */
	cJSON *defaults; /* normalised defaults, owned here */
	size_t nsteps;
	struct interview_step *steps;
};

/* interview_get(obj, name): OBJ's member NAME (exact case), or NULL. */
static inline const cJSON *
interview_get(const cJSON *obj, const char *name)
{
	return (cJSON_GetObjectItemCaseSensitive(obj, name));
}

#endif /* !CSC_INTERVIEW_INT_H */

/*
 * interview_match: a step's options, default and accepted answer, given
 * the earlier answers.  It knows the questionnaire (interview_int.h);
 * the comparison of a text with a list of options, which knows no
 * questionnaire, is match.h's.  Private to the interview's files.
 */
#ifndef CSC_INTERVIEW_MATCH_H
#define CSC_INTERVIEW_MATCH_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "interview_int.h"

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
int interview_match(const struct interview *q, size_t s, const cJSON *answers,
    const cJSON *value, int brief, struct buf *why, cJSON **out);

/* interview_default(q, s, answers): step S's default given the earlier
 * ANSWERS (owned by Q), or NULL if it has none. */
const cJSON *interview_default(const struct interview *q, size_t s,
    const cJSON *answers);

#endif /* !CSC_INTERVIEW_MATCH_H */

/*
 * match: forgiving comparison of an answer with a list of options.
 *
 * An answer matches an option when they are equal after folding: spaces
 * around them removed, inner runs of white space made one space, ASCII
 * letters lower-cased.  "  palo   ALTO networks " matches "Palo Alto
 * Networks".  An answer of digits alone is an option's 1-based number.
 * Nothing here allocates or reports: callers say what went wrong.
 */
#ifndef CSC_MATCH_H
#define CSC_MATCH_H

#include <stddef.h>

#include "buf.h"

/* The longest option, in bytes; longer answers match nothing. */
#define MATCH_OPTION_MAX 200

/* match_trim(s, &len): S without the white space around it: returns the
 * first byte that is not space and sets LEN to the length up to the last
 * such byte (0 for a blank string). */
const char *match_trim(const char *s, size_t *len);

/* match_fold(s, len, out): write the folded form of S (LEN bytes) into
 * OUT, NUL-terminated.  Returns its length, or -1 if it is longer than
 * MATCH_OPTION_MAX (OUT then holds a truncated form). */
int match_fold(const char *s, size_t len, char out[MATCH_OPTION_MAX + 1]);

/* match_number(s, len, n): the 0-based index of option number S (digits
 * alone, 1 to N), or -1 if S is not such a number. */
int match_number(const char *s, size_t len, size_t n);

/* match_option(opts, n, s, len): the index of the option among the N in
 * OPTS that S names (by its folded text or its number), or -1. */
int match_option(const char *const *opts, size_t n, const char *s, size_t len);

/* match_nearest(opts, n, s, len): the index of the option to suggest for
 * an answer S that matched none, or -1 if none is close: the first option
 * that contains S or is contained in it (for S of 3 bytes or more, after
 * folding), else the option at the smallest edit distance if that is at
 * most a third of its length (or 1). */
int match_nearest(const char *const *opts, size_t n, const char *s, size_t len);

/* match_distance(a, b): the optimal string alignment distance (Levenshtein
 * plus swaps of neighbours) of two strings of at most MATCH_OPTION_MAX
 * bytes; (size_t)-1 if either is longer. */
size_t match_distance(const char *a, const char *b);

/* match_chars(s, len): how many characters (UTF-8 code points) S holds;
 * a byte that is not valid UTF-8 counts as one. */
size_t match_chars(const char *s, size_t len);

/* match_quote(out, s, len): append S to OUT in single quotes for an error
 * message, cut to 60 bytes (with "...") at a character boundary, control
 * characters shown as '?'.  Returns 0, or -1 if OUT is full. */
int match_quote(struct buf *out, const char *s, size_t len);

#endif /* !CSC_MATCH_H */

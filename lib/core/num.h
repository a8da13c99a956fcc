/*
 * num: whole numbers read from text (command-line options, environment
 * values, headers and XML of a peer), read one way: the whole string is
 * decimal digits, within bounds the caller gives.
 */
#ifndef CSC_NUM_H
#define CSC_NUM_H

/* num_parse(text, min, max, out): *OUT = TEXT as a decimal integer from
 * MIN to MAX.  TEXT must be digits and nothing else: no white space, no
 * '+', and a '-' only in front when MIN is negative.  Returns 0, or -1
 * with *OUT unchanged if TEXT is NULL, empty, not such a number or out
 * of range; reports nothing (the caller knows what the number was). */
int num_parse(const char *text, long long min, long long max, long long *out);

#endif /* !CSC_NUM_H */

/*
 * clock: the one place csc reads the time.
 *
 * CSC_NOW (seconds since the epoch) pins the clock, so signatures, ids'
 * timestamps and expiry times are reproducible in tests.
 */
#ifndef CSC_CLOCK_H
#define CSC_CLOCK_H

#include <stddef.h>
#include <time.h>

/* clock_now(): CSC_NOW if set and valid, else time(NULL).  Returns
 * (time_t)-1 if CSC_NOW is set but is not a non-negative integer. */
time_t clock_now(void);

/* clock_amz_date(t, out): "YYYYMMDDTHHMMSSZ" (SigV4's X-Amz-Date), UTC.
 * OUT has room for 17 bytes.  Returns 0, or -1 if T cannot be shown. */
int clock_amz_date(time_t t, char out[17]);

/* clock_rfc3339(t, out): "YYYY-MM-DDTHH:MM:SSZ", UTC, into 21 bytes.
 * Returns 0 or -1 as clock_amz_date. */
int clock_rfc3339(time_t t, char out[21]);

/* clock_parse_rfc3339(s, out): parse "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)"
 * into seconds since the epoch.  Returns 0, or -1 if S is not that. */
int clock_parse_rfc3339(const char *s, time_t *out);

/* clock_monotonic_ms(): milliseconds from an arbitrary start, for
 * latencies and deadlines; not affected by CSC_NOW. */
long long clock_monotonic_ms(void);

#endif /* !CSC_CLOCK_H */

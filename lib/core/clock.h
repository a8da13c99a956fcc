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

/* clock_init(): read CSC_NOW once; every program's main() calls it before
 * any work, so a bad value stops the run before a request is sent.
 * Returns 0, or -1 after err_set(EX_CONFIG, ...) if CSC_NOW is set but is
 * not whole seconds from 0 to 9999-12-31T23:59:59Z (so a pinned time can
 * always be shown by clock_rfc3339). */
int clock_init(void);

/* clock_now(): the time pinned by CSC_NOW, else time(NULL).  Never fails:
 * after clock_init() succeeded CSC_NOW is known good; without it (unit
 * drivers), CSC_NOW is read here and a bad value means the real clock. */
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

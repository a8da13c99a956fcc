/*
 * deadline: the run's overall time budget, CSC_DEADLINE_MS.
 *
 * A caller with a deadline of its own (the HTTP API answers within API
 * Gateway's 30 s) sets CSC_DEADLINE_MS for the tools it runs.  Every
 * network attempt, retry wait and poll of the run then ends by it: the
 * http module bounds each attempt's timeouts by the time left and starts
 * no wait that would pass it, and the tool fails with EX_TEMPFAIL (try
 * again later).  Unset, empty or 0: no overall deadline, only each
 * attempt's own timeouts (the command line, generation jobs).  Time is
 * the monotonic clock's, from deadline_init().
 */
#ifndef CSC_DEADLINE_H
#define CSC_DEADLINE_H

/* The longest budget CSC_DEADLINE_MS takes: a day. */
#define DEADLINE_MAX_MS 86400000L

/* deadline_init(): read CSC_DEADLINE_MS once and start counting; every
 * program's main() calls it first, so the budget covers the whole run.
 * Returns 0, or -1 after err_set(EX_CONFIG, ...) when it is set but not
 * a whole number from 0 to DEADLINE_MAX_MS.  Without it (unit drivers
 * that do not call it) there is no deadline. */
int deadline_init(void);

/* deadline_ms(): the budget in milliseconds, 0 if there is none. */
long deadline_ms(void);

/* deadline_remaining_ms(): milliseconds left, 0 once the deadline has
 * passed, or -1 if there is no deadline. */
long deadline_remaining_ms(void);

/* deadline_fits(ms, room): whether a wait of MS ms still leaves ROOM ms
 * before the deadline (always, with none).  A wait that does not fit is
 * not worth starting. */
int deadline_fits(long ms, long room);

/* deadline_fail(attempts, fmt, ...): report that the deadline ended the
 * work: err_set(EX_TEMPFAIL, "deadline of N ms passed after ATTEMPTS
 * attempts: " and FMT's words, the last error). */
void deadline_fail(int attempts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* !CSC_DEADLINE_H */

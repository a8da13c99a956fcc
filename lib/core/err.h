/*
 * err: one-line error reporting and the exit-code table (SPEC section 3).
 *
 * Library code reports an error once, where it is detected, with
 * err_set(CLASS, fmt, ...), and returns -1 or NULL.  The first error of a
 * run is printed as "PROGNAME: message" on stderr and its class kept;
 * main() exits with err_code().  Later errors (cleanup after the first)
 * go to the debug log only, so a failure is one human line.
 */
#ifndef CSC_ERR_H
#define CSC_ERR_H

#include <sysexits.h>

/* Exit codes, from <sysexits.h>, plus csc's conflict code. */
#define CSC_EX_OK 0
#define CSC_EX_CONFLICT 73 /* the state changed under you: HTTP 409 */

/* err_init(progname): set the prefix of every message; reads CSC_LOG. */
void err_init(const char *progname);

/* err_set(code, fmt, ...): report the first error of the run on stderr as
 * one line and remember CODE; later calls are logged at debug level. */
void err_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* err_code(): the remembered class, or EX_SOFTWARE if none was set. */
int err_code(void);

/* err_clear(): forget the remembered error (an error that was handled). */
void err_clear(void);

/* err_quiet(on): while on, err_set records the class but prints nothing;
 * for callers that probe and handle a failure themselves. */
void err_quiet(int on);

/* err_message(): the remembered error's message ("" if none). */
const char *err_message(void);
/* err_flush(): print the remembered error if err_quiet kept it from being
 * printed (a probe whose failure turned out to matter). */
void err_flush(void);
/* err_set_verbose(on), err_verbose(): request logging (-v, CSC_LOG=debug). */
void err_set_verbose(int on);
int err_verbose(void);

/* err_debug(fmt, ...): "PROGNAME: fmt" on stderr when verbose. */
void err_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* err_progress(fmt, ...): "PROGNAME: fmt" on stderr over the line shown
 * before, without a newline, for a progress line on a terminal; with FMT
 * NULL the line is cleared.  The caller decides whether stderr is one. */
void err_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* !CSC_ERR_H */

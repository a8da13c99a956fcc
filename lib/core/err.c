#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static const char *s_progname = "csc";
static int s_code;    /* class of the first error, 0 if none */
static int s_verbose; /* request logging on stderr */
static int s_quiet;   /* record but do not print */

void
err_init(const char *progname)
{
	const char *log = getenv("CSC_LOG");
	const char *slash = strrchr(progname, '/');

	s_progname = slash ? slash + 1 : progname;
	if (log != NULL && strcmp(log, "debug") == 0)
		s_verbose = 1;
}

static char s_msg[1024]; /* the first error's message */
static int s_unshown;    /* it was recorded quietly, not printed */

/* MSG formatted as one line: newlines would make a second line, so they
 * are shown as spaces. */
static void
format_line(char *msg, size_t size, const char *fmt, va_list ap)
{
	char *p;

	vsnprintf(msg, size, fmt, ap); /* truncation is acceptable */
	for (p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void
err_set(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s_code == 0) {
		s_code = code;
		memcpy(s_msg, msg, sizeof(msg));
		s_unshown = s_quiet;
		if (!s_quiet)
			fprintf(stderr, "%s: %s\n", s_progname, msg);
	} else if (s_verbose) {
		fprintf(stderr, "%s: %s\n", s_progname, msg);
	}
}

const char *
err_message(void)
{
	return (s_code != 0 ? s_msg : "");
}

void
err_flush(void)
{
	if (s_code != 0 && s_unshown)
		fprintf(stderr, "%s: %s\n", s_progname, s_msg);
	s_unshown = 0;
}

int
err_code(void)
{
	return s_code != 0 ? s_code : EX_SOFTWARE;
}

void
err_clear(void)
{
	s_code = 0;
	s_unshown = 0;
}

void
err_quiet(int on)
{
	s_quiet = on;
}

void
err_set_verbose(int on)
{
	s_verbose = on;
}

int
err_verbose(void)
{
	return s_verbose;
}

void
err_debug(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!s_verbose)
		return;

	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", s_progname, msg);
}

void
err_progress(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (fmt == NULL) {
		fputs("\r\033[K", stderr); /* back to the start, erase */
		return;
	}
	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\r%s: %s", s_progname, msg);
}

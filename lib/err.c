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

/* Print "prog: message" as one line; newlines in the message would make a
 * second line, so they are shown as spaces. */
static void
print_line(const char *fmt, va_list ap)
{
	char msg[1024];
	char *p;

	vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is acceptable */
	for (p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s: %s\n", s_progname, msg);
}

void
err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (s_code == 0) {
		s_code = code;
		if (!s_quiet)
			print_line(fmt, ap);
	} else if (s_verbose) {
		print_line(fmt, ap);
	}
	va_end(ap);
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
	va_list ap;

	if (!s_verbose)
		return;
	va_start(ap, fmt);
	print_line(fmt, ap);
	va_end(ap);
}

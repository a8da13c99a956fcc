#include <stdarg.h>
#include <stdio.h>

#include "clock.h"
#include "deadline.h"
#include "env.h"
#include "err.h"

static long s_budget;       /* ms; 0: no deadline */
static long long s_started; /* clock_monotonic_ms() at deadline_init */

int
deadline_init(void)
{
	long ms;

	s_started = clock_monotonic_ms();
	if (env_long("CSC_DEADLINE_MS", 0, DEADLINE_MAX_MS, 0, &ms))
		return (-1);
	s_budget = ms;
	return (0);
}

long
deadline_ms(void)
{
	return (s_budget);
}

long
deadline_remaining_ms(void)
{
	long long left;

	if (s_budget == 0)
		return (-1);
	left = s_started + s_budget - clock_monotonic_ms();
	return (left > 0 ? (long)left : 0);
}

int
deadline_fits(long ms, long room)
{
	long left = deadline_remaining_ms();

	return (left < 0 || (ms >= 0 && room >= 0 && ms + room <= left));
}

void
deadline_fail(int attempts, const char *fmt, ...)
{
	char last[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap); /* truncation is acceptable */
	va_end(ap);
	err_set(EX_TEMPFAIL, "deadline of %ld ms passed after %d attempt%s: %s",
	    s_budget, attempts, attempts == 1 ? "" : "s", last);
}

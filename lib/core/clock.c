#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "num.h"

/* 9999-12-31T23:59:59Z: later times do not fit clock_rfc3339's form. */
#define CLOCK_MAX 253402300799LL

static int s_resolved; /* CSC_NOW has been read */
static int s_pinned;   /* it is set, and s_now holds it */
static time_t s_now;

/* Read CSC_NOW into s_pinned and s_now.  Returns 0, or -1 if it is set
 * but is not an integer 0..CLOCK_MAX (the clock is then not pinned). */
static int
resolve(void)
{
	const char *s = getenv("CSC_NOW");
	long long v;

	s_resolved = 1;
	s_pinned = 0;
	if (s == NULL || *s == '\0')
		return (0);
	if (num_parse(s, 0, CLOCK_MAX, &v))
		return (-1);
	s_pinned = 1;
	s_now = (time_t)v;
	return (0);
}

int
clock_init(void)
{
	if (resolve()) {
		err_set(EX_CONFIG,
		    "CSC_NOW must be seconds since the epoch, "
		    "not '%s'",
		    getenv("CSC_NOW"));
		return (-1);
	}
	return (0);
}

time_t
clock_now(void)
{
	if (!s_resolved)
		(void)resolve(); /* no clock_init(): a bad CSC_NOW is ignored */
	return (s_pinned ? s_now : time(NULL));
}

static int
format_utc(time_t t, const char *fmt, char *out, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return (-1);
	if (strftime(out, size, fmt, &tm) == 0)
		return (-1);
	return (0);
}

int
clock_amz_date(time_t t, char out[17])
{
	return (format_utc(t, "%Y%m%dT%H%M%SZ", out, 17));
}

int
clock_rfc3339(time_t t, char out[21])
{
	return (format_utc(t, "%Y-%m-%dT%H:%M:%SZ", out, 21));
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), so no timegm() or TZ games. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + (long long)doe - 719468);
}

int
clock_parse_rfc3339(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, n = 0, oh, om;
	long long t;
	char sign;

	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
	        &sec, &n) != 6 ||
	    n != 19)
		return (-1);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return (-1);
	s += n;
	if (*s == '.') /* fractional seconds: ignored */
		for (s++; isdigit((unsigned char)*s); s++)
			;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600 +
	    mi * 60 + sec;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if ((*s == '+' || *s == '-') &&
	           sscanf(s, "%c%2d:%2d%n", &sign, &oh, &om, &n) == 3 &&
	           n == 6) {
		t -= (sign == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
		s += n;
	} else {
		return (-1);
	}
	if (*s != '\0')
		return (-1);
	*out = (time_t)t;
	return (0);
}

long long
clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

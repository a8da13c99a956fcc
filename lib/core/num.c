#include <errno.h>
#include <stdlib.h>

#include "num.h"

int
num_parse(const char *text, long long min, long long max, long long *out)
{
	const char *p = text;
	char *end;
	long long v;

	if (p == NULL)
		return (-1);
	if (*p == '-' && min < 0)
		p++;
	/* strtoll alone would also take white space and a '+' first. */
	if (*p < '0' || *p > '9')
		return (-1);
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

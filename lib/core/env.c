#include <errno.h>
#include <stdlib.h>

#include "env.h"
#include "err.h"

int
env_long(const char *name, long min, long max, long dflt, long *out)
{
	const char *s = getenv(name);
	char *end;
	long v;

	*out = dflt;
	if (s == NULL || *s == '\0')
		return (0);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		err_set(EX_CONFIG, "%s must be a whole number from %ld to %ld",
		    name, min, max);
		return (-1);
	}
	*out = v;
	return (0);
}

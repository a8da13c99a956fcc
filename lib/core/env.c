#include <stdlib.h>

#include "env.h"
#include "err.h"
#include "num.h"

int
env_long(const char *name, long min, long max, long dflt, long *out)
{
	const char *s = getenv(name);
	long long v;

	*out = dflt;
	if (s == NULL || *s == '\0')
		return (0);
	if (num_parse(s, min, max, &v)) {
		err_set(EX_CONFIG, "%s must be a whole number from %ld to %ld",
		    name, min, max);
		return (-1);
	}
	*out = (long)v;
	return (0);
}

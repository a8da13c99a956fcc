#include <stdio.h>
#include <string.h>

#include <uuid/uuid.h>

#include "err.h"
#include "ids.h"

int
ids_valid(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (id[i] != '-')
				return (0);
		} else if (!((id[i] >= '0' && id[i] <= '9') ||
		               (id[i] >= 'a' && id[i] <= 'f'))) {
			return (0);
		}
	}
	return (1);
}

int
ids_check(const char *what, const char *id)
{
	if (ids_valid(id))
		return (0);
	if (id == NULL)
		err_set(EX_DATAERR, "%s is missing (a lowercase UUID)", what);
	else
		err_set(EX_DATAERR, "%s '%.40s%s' is not a lowercase UUID",
		    what, id, strlen(id) > 40 ? "..." : "");
	return (-1);
}

void
ids_new(char out[37])
{
	uuid_t u;

	/* Random (version 4) always: uuid_generate would fall back to a
	 * time-and-MAC id when the system has no good random source. */
	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

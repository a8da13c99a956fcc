/*
 * store.c: opening and closing the store (its one AWS client, DynamoDB
 * and S3).  What the store_*.c files share is in store_int.c.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"

int
store_open(struct store *st, int need_s3)
{
	const char *p;

	memset(st, 0, sizeof(*st));
	st->table = (p = getenv("CSC_TABLE")) && *p ? p : STORE_DEFAULT_TABLE;
	st->bucket = (p = getenv("CSC_BUCKET")) && *p ? p
	                                              : STORE_DEFAULT_BUCKET;
	st->parallel = STORE_MAX_FILES;
	/* One client: the credential chain runs once for both services. */
	if (aws_client_init(&st->aws) || ddb_init(&st->ddb, &st->aws) ||
	    (need_s3 && s3_init(&st->s3, &st->aws)))
		return (-1);
	return (0);
}

void
store_close(struct store *st)
{
	aws_client_free(&st->aws);
}

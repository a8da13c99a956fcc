/*
 * store_int: what the store_*.c files share: DynamoDB request building
 * (keys, UpdateItem expressions, a consistent GetItem) and the small
 * helpers every operation uses.  Not for use outside libcsc's store.
 */
#ifndef CSC_STORE_INT_H
#define CSC_STORE_INT_H

#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "store.h"

/*
 * An UpdateItem (or conditional PutItem) in the making.  Attribute names
 * are all csc's own identifiers, so each goes in as "#name" and its value
 * as ":name"; a value is given as plain JSON and marshalled once at the
 * end.
 */
struct update {
	struct buf set, remove;
	cJSON *names;  /* {"#status":"status"} */
	cJSON *values; /* plain {":status":"done"} */
};

/* store_oom(): report EX_SOFTWARE "out of memory"; returns NULL. */
void *store_oom(void);

/* {"pk":{"S":"PREFIX#ID"},"sk":{"S":SK}}, or NULL after reporting. */
cJSON *store_item_key(const char *prefix, const char *id, const char *sk);
/* The key of the CODE# item of SERVICE/CODE. */
cJSON *store_code_key(const char *service, const char *code);

/* An update: "#NAME = :NAME" clauses over plain JSON values, marshalled
 * once by upd_request.  Each returns 0, or -1 when out of memory. */
int upd_init(struct update *u);
void upd_free(struct update *u);
int upd_name(struct update *u, const char *name);
int upd_value(struct update *u, const char *name, cJSON *v);
int upd_set_how(struct update *u, const char *name, cJSON *v, int keep);
int upd_set(struct update *u, const char *name, cJSON *v);
int upd_remove(struct update *u, const char *name);
/* The UpdateItem request: KEY (taken), CONDITION and RETURN_VALUES may be
 * NULL.  NULL after reporting. */
cJSON *upd_request(struct update *u, const char *table, cJSON *key,
    const char *condition, const char *return_values);

/* GetItem of KEY (taken), consistent: 0 with *ITEM (NULL if none), or -1
 * after reporting. */
int store_get_item(struct store *st, cJSON *key, cJSON **item);
/* The plain document of ITEM without its key and index attributes. */
cJSON *store_plain_of(const cJSON *item);
/* The S value of ITEM's attribute NAME, or NULL. */
const char *store_item_string(const cJSON *item, const char *name);
/* T as an RFC 3339 string node, or NULL. */
cJSON *store_time_string(time_t t);

#endif /* !CSC_STORE_INT_H */

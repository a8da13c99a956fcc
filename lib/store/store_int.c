/*
 * store_int.c: the DynamoDB request building and small helpers the
 * store_*.c files share (store_int.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "ddbjson.h"
#include "digest.h"
#include "err.h"
#include "ids.h"
#include "jsonio.h"
#include "store.h"
#include "store_int.h"

void *
store_oom(void)
{
	err_set(EX_SOFTWARE, "out of memory");
	return (NULL);
}

/* --- DynamoDB requests ------------------------------------------------ */

/* {"pk":{"S":"PREFIX#ID"},"sk":{"S":SK}} */
cJSON *
store_item_key(const char *prefix, const char *id, const char *sk)
{
	cJSON *k = cJSON_CreateObject(), *v;
	char pk[96];

	snprintf(pk, sizeof(pk), "%s#%s", prefix, id);
	if (k == NULL || (v = cJSON_AddObjectToObject(k, "pk")) == NULL ||
	    !cJSON_AddStringToObject(v, "S", pk) ||
	    (v = cJSON_AddObjectToObject(k, "sk")) == NULL ||
	    !cJSON_AddStringToObject(v, "S", sk)) {
		cJSON_Delete(k);
		return (store_oom());
	}
	return (k);
}

cJSON *
store_code_key(const char *service, const char *code)
{
	char sk[64];

	snprintf(sk, sizeof(sk), "CODE#%s", code);
	return (store_item_key("SERVICE", service, sk));
}

int
upd_init(struct update *u)
{
	buf_init(&u->set, 1 << 16);
	buf_init(&u->remove, 1 << 16);
	u->names = cJSON_CreateObject();
	u->values = cJSON_CreateObject();
	return (u->names && u->values ? 0 : -1);
}

void
upd_free(struct update *u)
{
	buf_free(&u->set);
	buf_free(&u->remove);
	cJSON_Delete(u->names);
	cJSON_Delete(u->values);
}

/* upd_name(u, name): make "#NAME" usable in expressions. */
int
upd_name(struct update *u, const char *name)
{
	char tok[80];

	snprintf(tok, sizeof(tok), "#%s", name);
	if (cJSON_GetObjectItemCaseSensitive(u->names, tok) != NULL)
		return (0);
	return (cJSON_AddStringToObject(u->names, tok, name) ? 0 : -1);
}

/* upd_value(u, name, v): ":NAME" is V (consumed). */
int
upd_value(struct update *u, const char *name, cJSON *v)
{
	char tok[80];

	snprintf(tok, sizeof(tok), ":%s", name);
	if (v == NULL)
		return (-1);
	cJSON_DeleteItemFromObjectCaseSensitive(u->values, tok);
	return (cJSON_AddItemToObject(u->values, tok, v) ? 0 : -1);
}

/* SET #NAME = :NAME (or = if_not_exists(#NAME, :NAME) when KEEP). */
int
upd_set_how(struct update *u, const char *name, cJSON *v, int keep)
{
	if (upd_name(u, name) || upd_value(u, name, v) ||
	    (u->set.len > 0 && buf_addstr(&u->set, ", ")))
		return (-1);
	if (keep)
		return (buf_printf(&u->set, "#%s = if_not_exists(#%s, :%s)",
		    name, name, name));
	return (buf_printf(&u->set, "#%s = :%s", name, name));
}

int
upd_set(struct update *u, const char *name, cJSON *v)
{
	return (upd_set_how(u, name, v, 0));
}

int
upd_remove(struct update *u, const char *name)
{
	if (upd_name(u, name) ||
	    (u->remove.len > 0 && buf_addstr(&u->remove, ", ")))
		return (-1);
	return (buf_printf(&u->remove, "#%s", name));
}

/* The UpdateItem request: KEY (consumed), CONDITION (may be NULL),
 * RETURN_VALUES (may be NULL). */
cJSON *
upd_request(struct update *u, const char *table, cJSON *key,
    const char *condition, const char *return_values)
{
	cJSON *req = cJSON_CreateObject(), *vals = NULL;
	struct buf expr;

	buf_init(&expr, 1 << 17);
	if (req == NULL || key == NULL)
		goto fail;
	cJSON_AddStringToObject(req, "TableName", table);
	cJSON_AddItemToObject(req, "Key", key);
	key = NULL;
	if ((u->set.len > 0 && buf_printf(&expr, "SET %s", u->set.data)) ||
	    (u->remove.len > 0 && buf_printf(&expr, "%sREMOVE %s",
	                              expr.len ? " " : "", u->remove.data)))
		goto fail;
	if (expr.len > 0 &&
	    !cJSON_AddStringToObject(req, "UpdateExpression", expr.data))
		goto fail;
	if (condition != NULL &&
	    !cJSON_AddStringToObject(req, "ConditionExpression", condition))
		goto fail;
	if (u->names->child != NULL &&
	    !cJSON_AddItemToObject(req, "ExpressionAttributeNames",
	        cJSON_Duplicate(u->names, 1)))
		goto fail;
	if (u->values->child != NULL) {
		if ((vals = ddbjson_marshal_item(u->values)) == NULL)
			goto fail;
		cJSON_AddItemToObject(req, "ExpressionAttributeValues", vals);
	}
	if (return_values != NULL &&
	    !cJSON_AddStringToObject(req, "ReturnValues", return_values))
		goto fail;
	buf_free(&expr);
	return (req);
fail:
	buf_free(&expr);
	cJSON_Delete(key);
	cJSON_Delete(req);
	return (store_oom());
}

/* GetItem, consistent.  Returns 0 with the item in *ITEM (NULL when there
 * is none) or -1 after err_set. */
int
store_get_item(struct store *st, cJSON *key, cJSON **item)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL;
	int rc = -1;

	*item = NULL;
	if (req == NULL || key == NULL) {
		cJSON_Delete(key);
		store_oom();
		goto done;
	}
	cJSON_AddStringToObject(req, "TableName", st->table);
	cJSON_AddItemToObject(req, "Key", key);
	cJSON_AddTrueToObject(req, "ConsistentRead");
	if (ddb_call(&st->ddb, "GetItem", req, &resp, NULL))
		goto done;
	*item = cJSON_DetachItemFromObjectCaseSensitive(resp, "Item");
	if (*item != NULL && !cJSON_IsObject(*item)) {
		cJSON_Delete(*item);
		*item = NULL;
		err_set(EX_UNAVAILABLE, "DynamoDB GetItem: Item is not a map");
		goto done;
	}
	rc = 0;
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

/* The plain document of ITEM without the key and index attributes. */
cJSON *
store_plain_of(const cJSON *item)
{
	cJSON *doc = ddbjson_unmarshal_item(item);

	if (doc != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "pk");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "sk");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "job_queue");
	}
	return (doc);
}

const char *
store_item_string(const cJSON *item, const char *name)
{
	return (
	    jsonio_string(cJSON_GetObjectItemCaseSensitive(item, name), "S"));
}

cJSON *
store_time_string(time_t t)
{
	char s[21];

	if (clock_rfc3339(t, s))
		return (NULL);
	return (cJSON_CreateString(s));
}

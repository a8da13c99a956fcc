/*
 * store_conversation: the interview state of csc-ask, one item per
 * conversation, written over the version it follows.
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

cJSON *
store_put_conversation(struct store *st, const cJSON *state)
{
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(state, "version");
	const char *id = jsonio_string(state, "conversation_id");
	const char *exp = jsonio_string(state, "expires_at");
	cJSON *plain = NULL, *item = NULL, *key = NULL, *req = NULL;
	cJSON *resp = NULL, *stored = NULL, *out = NULL, *vals, *v;
	time_t expires;
	char cond[64];
	int r;

	if (!cJSON_IsObject(state)) {
		err_set(EX_DATAERR,
		    "a conversation state must be a JSON object");
		return (NULL);
	}
	if (ids_check("conversation_id", id))
		return (NULL);
	if (!jsonio_is_int(ver, 1, 1e15)) {
		err_set(EX_DATAERR,
		    "conversation %s: version must be a "
		    "positive integer",
		    id);
		return (NULL);
	}
	if (cJSON_GetObjectItemCaseSensitive(state, "pk") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(state, "sk") != NULL) {
		err_set(EX_DATAERR,
		    "conversation %s: pk and sk are reserved "
		    "names",
		    id);
		return (NULL);
	}
	if ((plain = cJSON_Duplicate(state, 1)) == NULL)
		return (store_oom());
	/* DynamoDB's TTL reads seconds since the epoch, not RFC 3339. */
	if (cJSON_GetObjectItemCaseSensitive(state, "expires_at") != NULL) {
		if (exp == NULL || clock_parse_rfc3339(exp, &expires)) {
			err_set(EX_DATAERR,
			    "conversation %s: expires_at must be "
			    "an RFC 3339 time",
			    id);
			goto done;
		}
		if (jsonio_set(plain, "expires_at",
		        cJSON_CreateNumber((double)expires)))
			goto nomem;
	}
	if ((item = ddbjson_marshal_item(plain)) == NULL ||
	    (key = store_item_key("CONVERSATION", id, "DATA")) == NULL)
		goto done;
	/* The item carries its key: pk and sk move over from KEY. */
	if (jsonio_set(item, "pk", cJSON_DetachItemFromObject(key, "pk")) ||
	    jsonio_set(item, "sk", cJSON_DetachItemFromObject(key, "sk")))
		goto nomem;
	/* Version N may only follow N - 1: of two writers that read the
	 * same state, one wins. */
	if ((req = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddItemReferenceToObject(req, "Item", item))
		goto nomem;
	if (ver->valuedouble == 1) {
		if (!cJSON_AddStringToObject(req, "ConditionExpression",
		        "attribute_not_exists(pk)"))
			goto nomem;
	} else {
		/* At most 1e15 - 1: 16 digits, well within COND. */
		snprintf(cond, sizeof(cond), "%.0f", ver->valuedouble - 1);
		if (!cJSON_AddStringToObject(req, "ConditionExpression",
		        "#version = :previous") ||
		    (vals = cJSON_AddObjectToObject(req,
		         "ExpressionAttributeValues")) == NULL ||
		    (v = cJSON_AddObjectToObject(vals, ":previous")) == NULL ||
		    !cJSON_AddStringToObject(v, "N", cond) ||
		    (v = cJSON_AddObjectToObject(req,
		         "ExpressionAttributeNames")) == NULL ||
		    !cJSON_AddStringToObject(v, "#version", "version"))
			goto nomem;
	}
	r = ddb_call(&st->ddb, "PutItem", req, &resp,
	    "ConditionalCheckFailedException");
	if (r < 0)
		goto done;
	if (r == 1) {
		/* Refused, with our very state stored (read back consistently):
		 * an earlier attempt was applied and its answer lost, or another
		 * writer stored the same state; either way the state is stored,
		 * once.  The attempt count cannot tell: libcurl itself sends a
		 * request again when a reused connection closes unanswered. */
		if (store_get_item(st,
		        store_item_key("CONVERSATION", id, "DATA"), &stored))
			goto done;
		if (stored == NULL || !cJSON_Compare(stored, item, 1)) {
			err_set(CSC_EX_CONFLICT,
			    "conversation %s changed under "
			    "you: version %.0f is not the "
			    "next one",
			    id, ver->valuedouble);
			goto done;
		}
	}
	out = cJSON_Duplicate(state, 1);
	if (out == NULL)
		goto nomem;
	goto done;
nomem:
	store_oom();
done:
	cJSON_Delete(stored);
	cJSON_Delete(resp);
	cJSON_Delete(req);
	cJSON_Delete(key);
	cJSON_Delete(item);
	cJSON_Delete(plain);
	return (out);
}

cJSON *
store_get_conversation(struct store *st, const char *id)
{
	cJSON *item = NULL, *doc = NULL, *exp;
	char when[21];
	time_t t;

	if (ids_check("conversation id", id) ||
	    store_get_item(st, store_item_key("CONVERSATION", id, "DATA"),
	        &item))
		return (NULL);
	if (item == NULL) {
		err_set(EX_NOINPUT, "conversation %s not found", id);
		return (NULL);
	}
	if ((doc = store_plain_of(item)) == NULL)
		goto fail;
	exp = cJSON_GetObjectItemCaseSensitive(doc, "expires_at");
	if (cJSON_IsNumber(exp)) {
		t = (time_t)exp->valuedouble;
		/* DynamoDB deletes expired items days late: expired is gone. */
		if (t <= clock_now()) {
			clock_rfc3339(t, when);
			err_set(EX_NOINPUT, "conversation %s expired at %s", id,
			    when);
			goto fail;
		}
		if (jsonio_set(doc, "expires_at", store_time_string(t)))
			goto fail;
	}
	cJSON_Delete(item);
	return (doc);
fail:
	cJSON_Delete(item);
	cJSON_Delete(doc);
	return (NULL);
}

/* DeleteItem KEY (consumed); *EXISTED says whether there was one. */
static int
delete_item(struct store *st, cJSON *key, int *existed)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL;
	int rc = -1;

	/* KEY goes in last: until it is in REQ, it is freed here. */
	if (req == NULL || key == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddStringToObject(req, "ReturnValues", "ALL_OLD") ||
	    !cJSON_AddItemToObject(req, "Key", key)) {
		cJSON_Delete(key);
		cJSON_Delete(req);
		store_oom();
		return (-1);
	}
	if (ddb_call(&st->ddb, "DeleteItem", req, &resp, NULL) == 0) {
		*existed = cJSON_GetObjectItemCaseSensitive(resp,
		               "Attributes") != NULL;
		rc = 0;
	}
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

cJSON *
store_delete_conversation(struct store *st, const char *id)
{
	cJSON *out;
	int existed;

	if (ids_check("conversation id", id) ||
	    delete_item(st, store_item_key("CONVERSATION", id, "DATA"),
	        &existed))
		return (NULL);
	if (!existed) {
		err_set(EX_NOINPUT, "conversation %s not found", id);
		return (NULL);
	}
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(out, "conversation_id", id) ||
	    !cJSON_AddTrueToObject(out, "deleted")) {
		cJSON_Delete(out);
		return (store_oom());
	}
	return (out);
}

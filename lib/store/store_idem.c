/*
 * store_idem: idempotency keys of the HTTP API's generate (SPEC section
 * 8): a client's key names the job its first request made, for 24 hours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "digest.h"
#include "err.h"
#include "ids.h"
#include "jsonio.h"
#include "store.h"
#include "store_int.h"

/*
 * One item per key: pk IDEMPOTENCY#<SHA-256 of the key, hex>, sk DATA,
 * with the service_id and code_id of the job the first request made, the
 * SHA-256 of that request (canonical: members sorted, no white space),
 * created_at, and expires_at (seconds since the epoch) for the table's
 * TTL.  The key itself is not stored: it may be something the client
 * keeps secret.  DynamoDB deletes expired items late (up to days), so an
 * item past its expires_at counts as absent.
 */

/* Sort the members of every object under V by name, in place, so that one
 * document prints one way whatever order its members came in. */
static int
sort_members(cJSON *v)
{
	cJSON **kids = NULL, *c;
	size_t n = 0, i, j;

	for (c = v->child; c != NULL; c = c->next)
		if (sort_members(c))
			return (-1);
	if (!cJSON_IsObject(v) || v->child == NULL)
		return (0);
	for (c = v->child; c != NULL; c = c->next)
		n++;
	if ((kids = malloc(n * sizeof(*kids))) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		kids[i] = cJSON_DetachItemViaPointer(v, v->child);
	/* Insertion sort: requests have a handful of members. */
	for (i = 1; i < n; i++) {
		c = kids[i];
		for (j = i; j > 0 && strcmp(kids[j - 1]->string, c->string) > 0;
		     j--)
			kids[j] = kids[j - 1];
		kids[j] = c;
	}
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(v, kids[i]); /* keeps each one's name */
	free(kids);
	return (0);
}

/* The hex SHA-256 of REQUEST printed canonically, into OUT; 0 or -1 after
 * reporting. */
static int
request_hash(const cJSON *request, char out[65])
{
	cJSON *copy = cJSON_Duplicate(request, 1);
	char *text = NULL;
	int rc = -1;

	if (copy == NULL || sort_members(copy) ||
	    (text = cJSON_PrintUnformatted(copy)) == NULL) {
		store_oom();
		goto done;
	}
	if (digest_sha256_hex(text, strlen(text), out)) {
		err_set(EX_SOFTWARE, "SHA-256 failed");
		goto done;
	}
	rc = 0;
done:
	free(text);
	cJSON_Delete(copy);
	return (rc);
}

/* The item key of idempotency key KEY, checked (1 to 255 printable ASCII
 * characters); NULL after err_set(EX_DATAERR). */
static cJSON *
idem_key(const char *key)
{
	char hex[65];
	size_t n;

	if (key == NULL) {
		err_set(EX_DATAERR, "the idempotency key must be a string");
		return (NULL);
	}
	n = strlen(key);
	if (n == 0 || n > STORE_IDEM_KEY_MAX ||
	    strspn(key,
	        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") != n) {
		err_set(EX_DATAERR,
		    "the idempotency key must be 1 to %d printable ASCII "
		    "characters",
		    STORE_IDEM_KEY_MAX);
		return (NULL);
	}
	if (digest_sha256_hex(key, n, hex)) {
		err_set(EX_SOFTWARE, "SHA-256 failed");
		return (NULL);
	}
	return (store_item_key("IDEMPOTENCY", hex, "DATA"));
}

/* {"created": CREATED, service_id, code_id, created_at} of the plain
 * item DOC (taken); NULL after reporting. */
static cJSON *
idem_answer(cJSON *doc, int created)
{
	static const char *const keep[] = {"service_id", "code_id",
	    "created_at"};
	cJSON *out = cJSON_CreateObject(), *v;
	size_t i;

	if (out == NULL || !cJSON_AddBoolToObject(out, "created", created))
		goto nomem;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		v = cJSON_DetachItemFromObjectCaseSensitive(doc, keep[i]);
		if (v != NULL && !cJSON_AddItemToObject(out, keep[i], v)) {
			cJSON_Delete(v);
			goto nomem;
		}
	}
	cJSON_Delete(doc);
	return (out);
nomem:
	cJSON_Delete(out);
	cJSON_Delete(doc);
	return (store_oom());
}

/* The PutItem of ITEM (not taken) unless a live item holds its key: 0
 * when written, 1 when one is there, -1 after reporting. */
static int
put_if_new(struct store *st, const cJSON *item, time_t now)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL, *vals;
	char t[32];
	int r = -1;

	snprintf(t, sizeof(t), "%lld", (long long)now);
	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddItemReferenceToObject(req, "Item", (cJSON *)item) ||
	    !cJSON_AddStringToObject(req, "ConditionExpression",
	        "attribute_not_exists(pk) OR #expires_at < :now") ||
	    !cJSON_AddStringToObject(
	        cJSON_AddObjectToObject(req, "ExpressionAttributeNames"),
	        "#expires_at", "expires_at") ||
	    (vals = cJSON_AddObjectToObject(req,
	         "ExpressionAttributeValues")) == NULL ||
	    !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":now"), "N",
	        t)) {
		store_oom();
		goto done;
	}
	r = ddb_call(&st->ddb, "PutItem", req, &resp,
	    "ConditionalCheckFailedException");
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (r);
}

/* An S attribute NAME = VALUE of the DynamoDB item ITEM; -1 when out of
 * memory. */
static int
add_s(cJSON *item, const char *name, const char *value)
{
	cJSON *a = cJSON_AddObjectToObject(item, name);

	return (a != NULL && cJSON_AddStringToObject(a, "S", value) ? 0 : -1);
}

cJSON *
store_put_idempotency(struct store *st, const cJSON *in)
{
	const char *service = jsonio_string(in, "service_id");
	const char *code = jsonio_string(in, "code_id");
	const cJSON *request = cJSON_GetObjectItemCaseSensitive(in, "request");
	cJSON *key = NULL, *item = NULL, *found = NULL, *doc, *out = NULL;
	cJSON *a;
	const char *had;
	char hash[65], created[21], exp[32];
	time_t now = clock_now();
	int tries, r;

	if (!cJSON_IsObject(in)) {
		err_set(EX_DATAERR, "the request must be a JSON object");
		return (NULL);
	}
	if (ids_check("service_id", service) || ids_check("code_id", code))
		return (NULL);
	if (request == NULL) {
		err_set(EX_DATAERR, "request is missing");
		return (NULL);
	}
	if ((key = idem_key(jsonio_string(in, "key"))) == NULL ||
	    request_hash(request, hash) || clock_rfc3339(now, created))
		goto done;
	if ((item = cJSON_Duplicate(key, 1)) == NULL) {
		store_oom();
		goto done;
	}
	snprintf(exp, sizeof(exp), "%lld", (long long)(now + STORE_IDEM_TTL));
	if (add_s(item, "service_id", service) ||
	    add_s(item, "code_id", code) ||
	    add_s(item, "request_sha256", hash) ||
	    add_s(item, "created_at", created) ||
	    (a = cJSON_AddObjectToObject(item, "expires_at")) == NULL ||
	    !cJSON_AddStringToObject(a, "N", exp)) {
		store_oom();
		goto done;
	}
	/* Written, or there: the first request's item, read back.  Twice at
	 * most: an item that expired is gone by the second read. */
	for (tries = 0; tries < 2; tries++) {
		if ((r = put_if_new(st, item, now)) < 0)
			goto done;
		if (r == 0) {
			out = idem_answer(store_plain_of(item), 1);
			goto done;
		}
		if (store_get_item(st, cJSON_Duplicate(key, 1), &found))
			goto done;
		if (found != NULL)
			break;
	}
	if (found == NULL) {
		err_set(EX_TEMPFAIL, "the idempotency key's item keeps "
		                     "changing; try again");
		goto done;
	}
	had = store_item_string(found, "request_sha256");
	if (had == NULL || strcmp(had, hash) != 0) {
		err_set(CSC_EX_CONFLICT,
		    "this idempotency key was used with another request in "
		    "the last %d hours",
		    STORE_IDEM_TTL / 3600);
		goto done;
	}
	if ((doc = store_plain_of(found)) != NULL)
		out = idem_answer(doc, 0);
done:
	cJSON_Delete(found);
	cJSON_Delete(item);
	cJSON_Delete(key);
	return (out);
}

cJSON *
store_delete_idempotency(struct store *st, const cJSON *in)
{
	const char *service = jsonio_string(in, "service_id");
	cJSON *key, *req = NULL, *resp = NULL, *out = NULL, *vals;
	int r;

	if (!cJSON_IsObject(in)) {
		err_set(EX_DATAERR, "the request must be a JSON object");
		return (NULL);
	}
	if (ids_check("service_id", service) ||
	    (key = idem_key(jsonio_string(in, "key"))) == NULL)
		return (NULL);
	/* Only the item of this request's job: a later request may have
	 * taken the key since. */
	if ((req = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(req, "Key", key)) {
		cJSON_Delete(key);
		store_oom();
		goto done;
	}
	if (!cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddStringToObject(req, "ConditionExpression",
	        "service_id = :s") ||
	    (vals = cJSON_AddObjectToObject(req,
	         "ExpressionAttributeValues")) == NULL ||
	    !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":s"), "S",
	        service)) {
		store_oom();
		goto done;
	}
	if ((r = ddb_call(&st->ddb, "DeleteItem", req, &resp,
	         "ConditionalCheckFailedException")) < 0)
		goto done;
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddBoolToObject(out, "deleted", r == 0)) {
		cJSON_Delete(out);
		out = store_oom();
	}
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (out);
}

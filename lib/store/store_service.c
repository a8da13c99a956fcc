/*
 * store_service: a service and its codes, read together and deleted
 * together (items first, then every object version).
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

#define DELETE_MAX 100000 /* versions one delete-service takes */

/* Query every item of partition PK; ON_ITEM as ddb_query_all. */
static int
query_partition(struct store *st, const char *pk,
    int (*on_item)(const cJSON *item, void *ctx), void *ctx)
{
	cJSON *req = cJSON_CreateObject(), *v, *s;
	int rc;

	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddStringToObject(req, "KeyConditionExpression",
	        "pk = :pk") ||
	    !cJSON_AddTrueToObject(req, "ConsistentRead") ||
	    (v = cJSON_AddObjectToObject(req, "ExpressionAttributeValues")) ==
	        NULL ||
	    (s = cJSON_AddObjectToObject(v, ":pk")) == NULL ||
	    !cJSON_AddStringToObject(s, "S", pk)) {
		cJSON_Delete(req);
		store_oom();
		return (-1);
	}
	rc = ddb_query_all(&st->ddb, "Query", req, on_item, ctx);
	cJSON_Delete(req);
	return (rc);
}

struct service_view {
	cJSON *doc;   /* the output */
	cJSON *codes; /* its "codes" */
	int found;
};

static int
add_service_item(const cJSON *item, void *ctx)
{
	struct service_view *sv = ctx;
	const char *sk = store_item_string(item, "sk");
	cJSON *plain, *m, *c, *summary;
	static const char *const keep[] = {"status", "created_at", "updated_at",
	    "model", "cost_usd", "attempts", "error", "lease_until"};
	size_t i;

	if (sk == NULL || (plain = store_plain_of(item)) == NULL)
		return (sk == NULL ? 0 : -1);
	sv->found = 1;
	if (strcmp(sk, "METADATA") == 0) {
		/* Its members go at the top: service_data, latest_code_id... */
		while ((m = plain->child) != NULL) {
			cJSON_DetachItemViaPointer(plain, m);
			cJSON_DeleteItemFromObjectCaseSensitive(sv->doc,
			    m->string);
			cJSON_AddItemToObject(sv->doc, m->string, m);
		}
	} else if (strncmp(sk, "CODE#", 5) == 0) {
		if ((summary = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(sv->codes, summary) ||
		    !cJSON_AddStringToObject(summary, "code_id", sk + 5)) {
			cJSON_Delete(plain);
			store_oom();
			return (-1);
		}
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if ((c = cJSON_DetachItemFromObjectCaseSensitive(plain,
			         keep[i])) != NULL)
				cJSON_AddItemToObject(summary, keep[i], c);
	}
	cJSON_Delete(plain);
	return (0);
}

cJSON *
store_get_service(struct store *st, const char *id)
{
	struct service_view sv;
	char pk[64];

	if (ids_check("service id", id))
		return (NULL);
	memset(&sv, 0, sizeof(sv));
	snprintf(pk, sizeof(pk), "SERVICE#%s", id);
	if ((sv.doc = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(sv.doc, "service_id", id) ||
	    (sv.codes = cJSON_AddArrayToObject(sv.doc, "codes")) == NULL) {
		cJSON_Delete(sv.doc);
		return (store_oom());
	}
	if (query_partition(st, pk, add_service_item, &sv))
		goto fail;
	if (!sv.found) {
		err_set(EX_NOINPUT, "service %s not found", id);
		goto fail;
	}
	return (sv.doc);
fail:
	cJSON_Delete(sv.doc);
	return (NULL);
}

/* What delete-service gathers before it deletes. */
struct doomed {
	cJSON **requests; /* DeleteRequests for BatchWriteItem */
	size_t nreq, areq;
	struct s3_key_version *objs;
	size_t nobj, aobj;
};

static int
doom_item(const cJSON *item, void *ctx)
{
	struct doomed *d = ctx;
	cJSON *r, *k, **grown;

	if (d->nreq == d->areq) {
		d->areq = d->areq ? d->areq * 2 : 16;
		if (d->areq > DELETE_MAX ||
		    (grown = realloc(d->requests, d->areq * sizeof(*grown))) ==
		        NULL) {
			err_set(EX_SOFTWARE, "too many items to delete");
			return (-1);
		}
		d->requests = grown;
	}
	if ((r = cJSON_CreateObject()) == NULL ||
	    (k = cJSON_AddObjectToObject(
	         cJSON_AddObjectToObject(r, "DeleteRequest"), "Key")) == NULL ||
	    !cJSON_AddItemToObject(k, "pk",
	        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(item, "pk"),
	            1)) ||
	    !cJSON_AddItemToObject(k, "sk",
	        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(item, "sk"),
	            1))) {
		cJSON_Delete(r);
		store_oom();
		return (-1);
	}
	d->requests[d->nreq++] = r;
	return (0);
}

static int
doom_version(const struct s3xml_version *v, void *ctx)
{
	struct doomed *d = ctx;
	struct s3_key_version *grown;

	if (d->nobj == d->aobj) {
		d->aobj = d->aobj ? d->aobj * 2 : 16;
		if (d->aobj > DELETE_MAX ||
		    (grown = realloc(d->objs, d->aobj * sizeof(*grown))) ==
		        NULL) {
			err_set(EX_SOFTWARE,
			    "too many object versions to delete");
			return (-1);
		}
		d->objs = grown;
	}
	d->objs[d->nobj].key = strdup(v->key);
	d->objs[d->nobj].version_id = v->version_id ? strdup(v->version_id)
	                                            : NULL;
	if (d->objs[d->nobj].key == NULL ||
	    (v->version_id != NULL && d->objs[d->nobj].version_id == NULL)) {
		free((char *)d->objs[d->nobj].key);
		store_oom();
		return (-1);
	}
	d->nobj++;
	return (0);
}

static void
doomed_free(struct doomed *d)
{
	size_t i;

	for (i = 0; i < d->nreq; i++)
		cJSON_Delete(d->requests[i]);
	for (i = 0; i < d->nobj; i++) {
		free((char *)d->objs[i].key);
		free((char *)d->objs[i].version_id);
	}
	free(d->requests);
	free(d->objs);
}

cJSON *
store_delete_service(struct store *st, const char *id)
{
	struct doomed d;
	cJSON *out = NULL;
	char pk[64], prefix[64];

	if (ids_check("service id", id))
		return (NULL);
	memset(&d, 0, sizeof(d));
	snprintf(pk, sizeof(pk), "SERVICE#%s", id);
	snprintf(prefix, sizeof(prefix), "%s/", id);
	if (query_partition(st, pk, doom_item, &d) ||
	    s3_list_versions(&st->s3, st->bucket, prefix, doom_version, &d))
		goto done;
	if (d.nreq == 0 && d.nobj == 0) {
		err_set(EX_NOINPUT, "service %s not found", id);
		goto done;
	}
	/* Items first: metadata never points at an object that is gone.  A
	 * failure after this leaves objects without items, which the next
	 * delete-service finds by their prefix. */
	if (ddb_batch_write(&st->ddb, st->table, d.requests, d.nreq) ||
	    s3_delete_objects(&st->s3, st->bucket, d.objs, d.nobj))
		goto done;
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(out, "service_id", id) ||
	    !cJSON_AddNumberToObject(out, "deleted_items", (double)d.nreq) ||
	    !cJSON_AddNumberToObject(out, "deleted_object_versions",
	        (double)d.nobj)) {
		cJSON_Delete(out);
		out = store_oom();
	}
done:
	doomed_free(&d);
	return (out);
}

/*
 * store_sweep: the object versions of the bucket that no CODE# item
 * records, left by a put-code that died between its uploads and its
 * metadata (or whose take-back failed), found and removed once they are
 * old enough that no put-code can still be about to record them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "jsonio.h"
#include "store.h"
#include "store_int.h"

#define SWEEP_BATCH 1000 /* one DeleteObjects request */

/* What the sweep has seen and done. */
struct sweep {
	struct store *st;
	char **refs; /* "KEY\nVERSION" recorded by an item; "KEY\n" for a
	                record without a version id (any version) */
	size_t nrefs, arefs;
	time_t cutoff; /* versions modified before it are old enough */
	int dry_run;
	struct s3_key_version batch[SWEEP_BATCH];
	char *owned[2 * SWEEP_BATCH]; /* the batch's strings */
	size_t nbatch;
	long long listed, markers, referenced, young, orphans, deleted;
};

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Add "KEY\nVID" to the references. */
static int
add_ref(struct sweep *sw, const char *key, const char *vid)
{
	char **p;
	size_t len = strlen(key) + strlen(vid) + 2;

	if (sw->nrefs == sw->arefs) {
		sw->arefs = sw->arefs ? sw->arefs * 2 : 256;
		if ((p = realloc(sw->refs, sw->arefs * sizeof(*p))) == NULL)
			return (-1);
		sw->refs = p;
	}
	if ((sw->refs[sw->nrefs] = malloc(len)) == NULL)
		return (-1);
	snprintf(sw->refs[sw->nrefs++], len, "%s\n%s", key, vid);
	return (0);
}

/* One CODE# item: the object versions its file records point at. */
static int
on_item(const cJSON *item, void *ctx)
{
	struct sweep *sw = ctx;
	cJSON *doc = store_plain_of(item);
	const cJSON *rec;
	const char *key, *vid;
	int rc = 0;

	if (doc == NULL)
		return (-1);
	cJSON_ArrayForEach(rec,
	    cJSON_GetObjectItemCaseSensitive(doc, "files")) {
		key = jsonio_string(rec, "key");
		vid = jsonio_string(rec, "version_id");
		if (key != NULL && add_ref(sw, key, vid ? vid : "")) {
			store_oom();
			rc = -1;
			break;
		}
	}
	cJSON_Delete(doc);
	return (rc);
}

/* Is KEY's version VID recorded by an item? */
static int
referenced(const struct sweep *sw, const char *key, const char *vid)
{
	char buf[4096], *p = buf;

	/* One too long to look up is kept: never delete on a doubt. */
	if ((size_t)snprintf(buf, sizeof(buf), "%s\n%s", key, vid) >=
	    sizeof(buf))
		return (1);
	if (bsearch(&p, sw->refs, sw->nrefs, sizeof(*sw->refs), cmp_str))
		return (1);
	snprintf(buf, sizeof(buf), "%s\n", key);
	return (bsearch(&p, sw->refs, sw->nrefs, sizeof(*sw->refs), cmp_str) !=
	        NULL);
}

/* Delete the batch (unless a dry run) and empty it. */
static int
flush(struct sweep *sw)
{
	size_t i;
	int rc = 0;

	if (sw->nbatch > 0 && !sw->dry_run) {
		rc = s3_delete_objects(&sw->st->s3, sw->st->bucket, sw->batch,
		    sw->nbatch);
		if (rc == 0)
			sw->deleted += (long long)sw->nbatch;
	}
	for (i = 0; i < 2 * sw->nbatch; i++)
		free(sw->owned[i]);
	sw->nbatch = 0;
	return (rc);
}

static int
on_version(const struct s3xml_version *v, void *ctx)
{
	struct sweep *sw = ctx;
	size_t i = sw->nbatch;

	sw->listed++;
	/* Delete markers point at nothing; the lifecycle rule expires
	 * them. */
	if (v->is_delete_marker) {
		sw->markers++;
		return (0);
	}
	if (referenced(sw, v->key, v->version_id)) {
		sw->referenced++;
		return (0);
	}
	/* Unrecorded but recent: a put-code may be about to record it. */
	if (v->last_modified == 0 || v->last_modified >= sw->cutoff) {
		sw->young++;
		return (0);
	}
	sw->orphans++;
	err_debug("orphan s3://%s/%s version %s", sw->st->bucket, v->key,
	    v->version_id);
	if ((sw->owned[2 * i] = strdup(v->key)) == NULL ||
	    (sw->owned[2 * i + 1] = strdup(v->version_id)) == NULL) {
		free(sw->owned[2 * i]);
		store_oom();
		return (-1);
	}
	sw->batch[i].key = sw->owned[2 * i];
	sw->batch[i].version_id = sw->owned[2 * i + 1];
	sw->nbatch++;
	return (sw->nbatch == SWEEP_BATCH ? flush(sw) : 0);
}

/* Every CODE# item's file records, into SW's sorted references. */
static int
scan_items(struct sweep *sw)
{
	cJSON *req = cJSON_CreateObject(), *names, *vals;
	int rc = -1;

	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", sw->st->table) ||
	    !cJSON_AddStringToObject(req, "FilterExpression",
	        "begins_with(#sk, :code)") ||
	    !cJSON_AddStringToObject(req, "ProjectionExpression",
	        "#pk, #sk, #files") ||
	    (names = cJSON_AddObjectToObject(req,
	         "ExpressionAttributeNames")) == NULL ||
	    !cJSON_AddStringToObject(names, "#pk", "pk") ||
	    !cJSON_AddStringToObject(names, "#sk", "sk") ||
	    !cJSON_AddStringToObject(names, "#files", "files") ||
	    (vals = cJSON_AddObjectToObject(req,
	         "ExpressionAttributeValues")) == NULL ||
	    !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":code"),
	        "S", "CODE#")) {
		store_oom();
		goto done;
	}
	if (ddb_query_all(&sw->st->ddb, "Scan", req, on_item, sw))
		goto done;
	if (sw->nrefs > 0)
		qsort(sw->refs, sw->nrefs, sizeof(*sw->refs), cmp_str);
	rc = 0;
done:
	cJSON_Delete(req);
	return (rc);
}

cJSON *
store_sweep_orphans(struct store *st, long older_than, int dry_run)
{
	struct sweep *sw;
	cJSON *out = NULL;
	size_t i;

	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return (store_oom());
	sw->st = st;
	sw->dry_run = dry_run;
	sw->cutoff = clock_now() - older_than;
	/* The items first: an object recorded after this scan is younger
	 * than OLDER_THAN, and so kept. */
	if (scan_items(sw) ||
	    s3_list_versions(&st->s3, st->bucket, "", on_version, sw) ||
	    flush(sw))
		goto done;
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddNumberToObject(out, "listed", (double)sw->listed) ||
	    !cJSON_AddNumberToObject(out, "delete_markers",
	        (double)sw->markers) ||
	    !cJSON_AddNumberToObject(out, "referenced",
	        (double)sw->referenced) ||
	    !cJSON_AddNumberToObject(out, "young", (double)sw->young) ||
	    !cJSON_AddNumberToObject(out, "orphans", (double)sw->orphans) ||
	    !cJSON_AddNumberToObject(out, "deleted", (double)sw->deleted) ||
	    !cJSON_AddNumberToObject(out, "older_than", (double)older_than) ||
	    !cJSON_AddBoolToObject(out, "dry_run", dry_run)) {
		cJSON_Delete(out);
		out = store_oom();
	}
done:
	for (i = 0; i < 2 * sw->nbatch; i++)
		free(sw->owned[i]);
	for (i = 0; i < sw->nrefs; i++)
		free(sw->refs[i]);
	free(sw->refs);
	free(sw);
	return (out);
}

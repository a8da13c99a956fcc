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

#define MAX_FILES 16
#define MAX_NAME 255
#define MAX_OBJECT ((size_t)64 << 20) /* a file read back from S3 */
#define DELETE_MAX 100000             /* versions one delete-service takes */

static void *
oom(void)
{
	err_set(EX_SOFTWARE, "out of memory");
	return (NULL);
}

int
store_open(struct store *st, int need_s3)
{
	const char *p;

	memset(st, 0, sizeof(*st));
	st->table = (p = getenv("CSC_TABLE")) && *p ? p : STORE_DEFAULT_TABLE;
	st->bucket = (p = getenv("CSC_BUCKET")) && *p ? p : STORE_DEFAULT_BUCKET;
	st->parallel = MAX_FILES;
	/* Marked before init: their free functions take a half-made one. */
	st->have_ddb = 1;
	if (ddb_init(&st->ddb))
		return (-1);
	if (need_s3) {
		st->have_s3 = 1;
		if (s3_init(&st->s3))
			return (-1);
	}
	return (0);
}

void
store_close(struct store *st)
{
	if (st->have_ddb)
		ddb_free(&st->ddb);
	if (st->have_s3)
		s3_free(&st->s3);
	st->have_ddb = st->have_s3 = 0;
}

/* --- DynamoDB requests ------------------------------------------------ */

/* {"pk":{"S":"PREFIX#ID"},"sk":{"S":SK}} */
static cJSON *
item_key(const char *prefix, const char *id, const char *sk)
{
	cJSON *k = cJSON_CreateObject(), *v;
	char pk[96];

	snprintf(pk, sizeof(pk), "%s#%s", prefix, id);
	if (k == NULL || (v = cJSON_AddObjectToObject(k, "pk")) == NULL ||
	    !cJSON_AddStringToObject(v, "S", pk) ||
	    (v = cJSON_AddObjectToObject(k, "sk")) == NULL ||
	    !cJSON_AddStringToObject(v, "S", sk)) {
		cJSON_Delete(k);
		return (oom());
	}
	return (k);
}

static cJSON *
code_key(const char *service, const char *code)
{
	char sk[64];

	snprintf(sk, sizeof(sk), "CODE#%s", code);
	return (item_key("SERVICE", service, sk));
}

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

static int
upd_init(struct update *u)
{
	buf_init(&u->set, 1 << 16);
	buf_init(&u->remove, 1 << 16);
	u->names = cJSON_CreateObject();
	u->values = cJSON_CreateObject();
	return (u->names && u->values ? 0 : -1);
}

static void
upd_free(struct update *u)
{
	buf_free(&u->set);
	buf_free(&u->remove);
	cJSON_Delete(u->names);
	cJSON_Delete(u->values);
}

/* upd_name(u, name): make "#NAME" usable in expressions. */
static int
upd_name(struct update *u, const char *name)
{
	char tok[80];

	snprintf(tok, sizeof(tok), "#%s", name);
	if (cJSON_GetObjectItemCaseSensitive(u->names, tok) != NULL)
		return (0);
	return (cJSON_AddStringToObject(u->names, tok, name) ? 0 : -1);
}

/* upd_value(u, name, v): ":NAME" is V (consumed). */
static int
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
static int
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

static int
upd_set(struct update *u, const char *name, cJSON *v)
{
	return (upd_set_how(u, name, v, 0));
}

static int
upd_remove(struct update *u, const char *name)
{
	if (upd_name(u, name) ||
	    (u->remove.len > 0 && buf_addstr(&u->remove, ", ")))
		return (-1);
	return (buf_printf(&u->remove, "#%s", name));
}

/* The UpdateItem request: KEY (consumed), CONDITION (may be NULL),
 * RETURN_VALUES (may be NULL). */
static cJSON *
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
	    (u->remove.len > 0 &&
	        buf_printf(&expr, "%sREMOVE %s", expr.len ? " " : "",
	            u->remove.data)))
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
	return (oom());
}

/* GetItem, consistent.  Returns 0 with the item in *ITEM (NULL when there
 * is none) or -1 after err_set. */
static int
get_item(struct store *st, cJSON *key, cJSON **item)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL;
	int rc = -1;

	*item = NULL;
	if (req == NULL || key == NULL) {
		cJSON_Delete(key);
		oom();
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
static cJSON *
plain_of(const cJSON *item)
{
	cJSON *doc = ddbjson_unmarshal_item(item);

	if (doc != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "pk");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "sk");
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "job_queue");
	}
	return (doc);
}

static const char *
item_string(const cJSON *item, const char *name)
{
	return (jsonio_string(cJSON_GetObjectItemCaseSensitive(item, name), "S"));
}

/* Replace DOC's member NAME (or add it) with V (consumed). */
static int
doc_set(cJSON *doc, const char *name, cJSON *v)
{
	if (v == NULL)
		return (-1);
	cJSON_DeleteItemFromObjectCaseSensitive(doc, name);
	return (cJSON_AddItemToObject(doc, name, v) ? 0 : -1);
}

static cJSON *
time_string(time_t t)
{
	char s[21];

	if (clock_rfc3339(t, s))
		return (NULL);
	return (cJSON_CreateString(s));
}

/* --- conversations ---------------------------------------------------- */

cJSON *
store_put_conversation(struct store *st, const cJSON *state)
{
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(state, "version");
	const char *id = jsonio_string(state, "conversation_id");
	const char *exp = jsonio_string(state, "expires_at");
	cJSON *plain = NULL, *item = NULL, *req = NULL, *resp = NULL;
	cJSON *stored = NULL, *out = NULL, *vals, *v;
	time_t expires;
	char cond[64];
	int r;

	if (!cJSON_IsObject(state)) {
		err_set(EX_DATAERR, "a conversation state must be a JSON object");
		return (NULL);
	}
	if (ids_check("conversation_id", id))
		return (NULL);
	if (!cJSON_IsNumber(ver) || ver->valuedouble < 1 ||
	    ver->valuedouble > 1e15 ||
	    ver->valuedouble != (double)(long long)ver->valuedouble) {
		err_set(EX_DATAERR, "conversation %s: version must be a "
		                    "positive integer", id);
		return (NULL);
	}
	if (cJSON_GetObjectItemCaseSensitive(state, "pk") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(state, "sk") != NULL) {
		err_set(EX_DATAERR, "conversation %s: pk and sk are reserved "
		                    "names", id);
		return (NULL);
	}
	if ((plain = cJSON_Duplicate(state, 1)) == NULL)
		return (oom());
	/* DynamoDB's TTL reads seconds since the epoch, not RFC 3339. */
	if (cJSON_GetObjectItemCaseSensitive(state, "expires_at") != NULL) {
		if (exp == NULL || clock_parse_rfc3339(exp, &expires)) {
			err_set(EX_DATAERR, "conversation %s: expires_at must be "
			                    "an RFC 3339 time", id);
			goto done;
		}
		if (doc_set(plain, "expires_at", cJSON_CreateNumber((double)expires)))
			goto nomem;
	}
	if ((item = ddbjson_marshal_item(plain)) == NULL)
		goto done;
	{
		cJSON *k = item_key("CONVERSATION", id, "DATA");

		if (k == NULL)
			goto done;
		cJSON_AddItemToObject(item, "pk",
		    cJSON_DetachItemFromObject(k, "pk"));
		cJSON_AddItemToObject(item, "sk",
		    cJSON_DetachItemFromObject(k, "sk"));
		cJSON_Delete(k);
	}
	/* Version N may only follow N - 1: of two writers that read the
	 * same state, one wins. */
	if ((req = cJSON_CreateObject()) == NULL)
		goto nomem;
	cJSON_AddStringToObject(req, "TableName", st->table);
	cJSON_AddItemReferenceToObject(req, "Item", item);
	if (ver->valuedouble == 1) {
		cJSON_AddStringToObject(req, "ConditionExpression",
		    "attribute_not_exists(pk)");
	} else {
		snprintf(cond, sizeof(cond), "%.0f", ver->valuedouble - 1);
		cJSON_AddStringToObject(req, "ConditionExpression",
		    "#version = :previous");
		vals = cJSON_AddObjectToObject(req, "ExpressionAttributeValues");
		v = cJSON_AddObjectToObject(vals, ":previous");
		cJSON_AddStringToObject(v, "N", cond);
		v = cJSON_AddObjectToObject(req, "ExpressionAttributeNames");
		if (!cJSON_AddStringToObject(v, "#version", "version"))
			goto nomem;
	}
	r = ddb_call(&st->ddb, "PutItem", req, &resp,
	    "ConditionalCheckFailedException");
	if (r < 0)
		goto done;
	if (r == 1) {
		/* Refused on a later attempt, with our very state stored: the
		 * earlier attempt was applied and its answer lost.  Refused on
		 * the first, it is another writer's, even if it is the same
		 * state (two identical answers sent at once: one wins). */
		if (st->ddb.last_attempts > 1 &&
		    get_item(st, item_key("CONVERSATION", id, "DATA"), &stored))
			goto done;
		if (stored == NULL || !cJSON_Compare(stored, item, 1)) {
			err_set(CSC_EX_CONFLICT, "conversation %s changed under "
			                         "you: version %.0f is not the "
			                         "next one", id, ver->valuedouble);
			goto done;
		}
	}
	out = cJSON_Duplicate(state, 1);
	if (out == NULL)
		goto nomem;
	goto done;
nomem:
	oom();
done:
	cJSON_Delete(stored);
	cJSON_Delete(resp);
	cJSON_Delete(req);
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
	    get_item(st, item_key("CONVERSATION", id, "DATA"), &item))
		return (NULL);
	if (item == NULL) {
		err_set(EX_NOINPUT, "conversation %s not found", id);
		return (NULL);
	}
	if ((doc = plain_of(item)) == NULL)
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
		if (doc_set(doc, "expires_at", time_string(t))) {
			oom();
			goto fail;
		}
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

	if (req == NULL || key == NULL) {
		cJSON_Delete(key);
		cJSON_Delete(req);
		oom();
		return (-1);
	}
	cJSON_AddStringToObject(req, "TableName", st->table);
	cJSON_AddItemToObject(req, "Key", key);
	cJSON_AddStringToObject(req, "ReturnValues", "ALL_OLD");
	if (ddb_call(&st->ddb, "DeleteItem", req, &resp, NULL) == 0) {
		*existed = cJSON_GetObjectItemCaseSensitive(resp, "Attributes") !=
		           NULL;
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
	    delete_item(st, item_key("CONVERSATION", id, "DATA"), &existed))
		return (NULL);
	if (!existed) {
		err_set(EX_NOINPUT, "conversation %s not found", id);
		return (NULL);
	}
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(out, "conversation_id", id) ||
	    !cJSON_AddTrueToObject(out, "deleted")) {
		cJSON_Delete(out);
		return (oom());
	}
	return (out);
}

/* --- code bundles ----------------------------------------------------- */

/* A file name that can be an object key's last part and a file in a
 * directory: no path, no control characters, not "." or "..". */
static int
valid_file_name(const char *name)
{
	const unsigned char *c;
	size_t n = strlen(name);

	if (n == 0 || n > MAX_NAME || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || name[0] == '.')
		return (0);
	for (c = (const unsigned char *)name; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '/' || *c == '\\')
			return (0);
	return (1);
}

static const char *
content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} map[] = {
		{".py", "text/x-python; charset=utf-8"},
		{".sql", "application/sql; charset=utf-8"},
		{".yaml", "application/yaml; charset=utf-8"},
		{".yml", "application/yaml; charset=utf-8"},
		{".txt", "text/plain; charset=utf-8"},
		{".md", "text/markdown; charset=utf-8"},
		{".json", "application/json"},
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(dot, map[i].ext) == 0)
			return (map[i].type);
	return ("text/plain; charset=utf-8");
}

/* The bundle's files, checked: at most MAX_FILES, unique safe names,
 * string contents. */
static int
check_files(const cJSON *files, size_t *count)
{
	const cJSON *f, *g;
	const char *name;
	size_t n = 0;

	if (!cJSON_IsArray(files) || files->child == NULL) {
		err_set(EX_DATAERR, "files must be a non-empty array");
		return (-1);
	}
	cJSON_ArrayForEach(f, files) {
		name = jsonio_string(f, "name");
		if (++n > MAX_FILES) {
			err_set(EX_DATAERR, "more than %d files", MAX_FILES);
			return (-1);
		}
		if (name == NULL || !valid_file_name(name)) {
			err_set(EX_DATAERR, "file %zu: name must be a plain file "
			                    "name (no path, 1-%d bytes)", n, MAX_NAME);
			return (-1);
		}
		if (jsonio_string(f, "content") == NULL) {
			err_set(EX_DATAERR, "file %s: content must be a string",
			    name);
			return (-1);
		}
		for (g = files->child; g != f; g = g->next)
			if (strcmp(jsonio_string(g, "name"), name) == 0) {
				err_set(EX_DATAERR, "file %s appears twice", name);
				return (-1);
			}
	}
	*count = n;
	return (0);
}

/* The file records {name, key, size, sha256, version_id, content_type}. */
static cJSON *
file_records(const struct s3_put *puts, const cJSON *files, size_t n)
{
	cJSON *list = cJSON_CreateArray(), *r;
	const cJSON *f = files->child;
	size_t i;

	for (i = 0; list != NULL && i < n; i++, f = f->next) {
		if ((r = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(list, r) ||
		    !cJSON_AddStringToObject(r, "name", jsonio_string(f, "name")) ||
		    !cJSON_AddStringToObject(r, "key", puts[i].key) ||
		    !cJSON_AddNumberToObject(r, "size", (double)puts[i].len) ||
		    !cJSON_AddStringToObject(r, "sha256", puts[i].sha256_hex) ||
		    !(puts[i].version_id
		            ? cJSON_AddStringToObject(r, "version_id",
		                  puts[i].version_id)
		            : cJSON_AddNullToObject(r, "version_id")) ||
		    !cJSON_AddStringToObject(r, "content_type",
		        puts[i].content_type)) {
			cJSON_Delete(list);
			return (oom());
		}
	}
	return (list);
}

/* Two file lists name the same bytes (a retried put-code). */
static int
same_files(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;

	if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return (0);
	for (x = a ? a->child : NULL, y = b ? b->child : NULL; x && y;
	     x = x->next, y = y->next) {
		const char *n1 = jsonio_string(x, "name"),
		           *n2 = jsonio_string(y, "name"),
		           *h1 = jsonio_string(x, "sha256"),
		           *h2 = jsonio_string(y, "sha256");

		if (!n1 || !n2 || !h1 || !h2 || strcmp(n1, n2) || strcmp(h1, h2))
			return (0);
	}
	return (1);
}

/* The fields of csc-generate's output that the CODE# item keeps. */
static const char *const code_fields[] = {"conversation_id", "model",
    "request_id", "stop_reason", "usage", "cost_usd", "check"};

/* Write the CODE# item of a stored bundle: status done, the file
 * records, the generation's facts.  Conditional: a bundle already done
 * is not replaced, unless it is this very bundle again. */
static int
write_code_item(struct store *st, const char *service, const char *code,
    const cJSON *bundle, const cJSON *records, time_t now)
{
	struct update u;
	cJSON *req = NULL, *resp = NULL, *stored = NULL, *doc = NULL;
	const cJSON *v;
	size_t i;
	int rc = -1, r;

	if (upd_init(&u))
		goto nomem;
	for (i = 0; i < sizeof(code_fields) / sizeof(code_fields[0]); i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(bundle,
		         code_fields[i])) != NULL &&
		    upd_set(&u, code_fields[i], cJSON_Duplicate(v, 1)))
			goto nomem;
	if (upd_set(&u, "status", cJSON_CreateString("done")) ||
	    upd_set(&u, "bucket", cJSON_CreateString(st->bucket)) ||
	    upd_set(&u, "files", cJSON_Duplicate(records, 1)) ||
	    upd_set(&u, "updated_at", time_string(now)) ||
	    upd_set(&u, "finished_at", time_string(now)) ||
	    upd_set_how(&u, "created_at", time_string(now), 1) ||
	    upd_remove(&u, "job_queue") || upd_remove(&u, "lease_until") ||
	    upd_remove(&u, "error") ||
	    upd_value(&u, "done", cJSON_CreateString("done")))
		goto nomem;
	if ((req = upd_request(&u, st->table, code_key(service, code),
	         "attribute_not_exists(pk) OR #status <> :done", NULL)) == NULL)
		goto done;
	r = ddb_call(&st->ddb, "UpdateItem", req, &resp,
	    "ConditionalCheckFailedException");
	if (r < 0)
		goto done;
	if (r == 1) {
		if (get_item(st, code_key(service, code), &stored))
			goto done;
		if (stored == NULL || (doc = plain_of(stored)) == NULL ||
		    !same_files(cJSON_GetObjectItemCaseSensitive(doc, "files"),
		        records)) {
			err_set(CSC_EX_CONFLICT, "code %s/%s is already stored "
			                         "with other files", service, code);
			goto done;
		}
	}
	rc = 0;
	goto done;
nomem:
	oom();
done:
	cJSON_Delete(doc);
	cJSON_Delete(stored);
	cJSON_Delete(resp);
	cJSON_Delete(req);
	upd_free(&u);
	return (rc);
}

/* The SERVICE#/METADATA item: what the service is and its latest code. */
static int
write_service_item(struct store *st, const char *service, const char *code,
    const cJSON *bundle, time_t now)
{
	struct update u;
	cJSON *req = NULL, *resp = NULL;
	const cJSON *v;
	int rc = -1;

	if (upd_init(&u) ||
	    ((v = cJSON_GetObjectItemCaseSensitive(bundle, "service_data")) &&
	        upd_set(&u, "service_data", cJSON_Duplicate(v, 1))) ||
	    ((v = cJSON_GetObjectItemCaseSensitive(bundle, "conversation_id")) &&
	        upd_set(&u, "conversation_id", cJSON_Duplicate(v, 1))) ||
	    upd_set(&u, "latest_code_id", cJSON_CreateString(code)) ||
	    upd_set(&u, "updated_at", time_string(now)) ||
	    upd_set_how(&u, "created_at", time_string(now), 1)) {
		oom();
		goto done;
	}
	if ((req = upd_request(&u, st->table,
	         item_key("SERVICE", service, "METADATA"), NULL, NULL)) == NULL ||
	    ddb_call(&st->ddb, "UpdateItem", req, &resp, NULL))
		goto done;
	rc = 0;
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	upd_free(&u);
	return (rc);
}

cJSON *
store_put_code(struct store *st, const cJSON *bundle)
{
	const char *service = jsonio_string(bundle, "service_id");
	const char *code = jsonio_string(bundle, "code_id");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(bundle, "files");
	const cJSON *f;
	struct s3_put puts[MAX_FILES];
	char keys[MAX_FILES][128 + MAX_NAME], sums[MAX_FILES][65];
	cJSON *records = NULL, *out = NULL;
	time_t now = clock_now();
	size_t n = 0, i;

	memset(puts, 0, sizeof(puts));
	if (!cJSON_IsObject(bundle)) {
		err_set(EX_DATAERR, "a code bundle must be a JSON object");
		return (NULL);
	}
	if (ids_check("service_id", service) ||
	    ids_check("code_id", code) || check_files(files, &n))
		return (NULL);
	for (i = 0, f = files->child; i < n; i++, f = f->next) {
		const char *content = jsonio_string(f, "content");

		snprintf(keys[i], sizeof(keys[i]), "%s/%s/%s", service, code,
		    jsonio_string(f, "name"));
		puts[i].key = keys[i];
		puts[i].body = content;
		puts[i].len = strlen(content);
		puts[i].content_type = content_type(jsonio_string(f, "name"));
		if (digest_sha256_hex(content, puts[i].len, sums[i]))
			goto nomem;
		puts[i].sha256_hex = sums[i];
	}
	/* Objects first: the items written next point at them. */
	if (s3_put_objects(&st->s3, st->bucket, puts, n, st->parallel) ||
	    (records = file_records(puts, files, n)) == NULL ||
	    write_code_item(st, service, code, bundle, records, now) ||
	    write_service_item(st, service, code, bundle, now))
		goto done;
	if ((out = cJSON_Duplicate(bundle, 1)) == NULL)
		goto nomem;
	/* The output is the bundle with records in place of the contents. */
	cJSON_ReplaceItemInObjectCaseSensitive(out, "files", records);
	records = NULL;
	if (doc_set(out, "bucket", cJSON_CreateString(st->bucket)) ||
	    doc_set(out, "status", cJSON_CreateString("done")))
		goto nomem;
	if (cJSON_GetObjectItemCaseSensitive(out, "created_at") == NULL &&
	    doc_set(out, "created_at", time_string(now)))
		goto nomem;
	goto done;
nomem:
	cJSON_Delete(out);
	out = oom();
done:
	cJSON_Delete(records);
	s3_put_free(puts, n);
	return (out);
}

/* The CODE# item of SERVICE/CODE as a plain document, with its ids; NULL
 * after err_set (EX_NOINPUT when there is none). */
static cJSON *
code_doc(struct store *st, const char *service, const char *code)
{
	cJSON *item = NULL, *doc = NULL;

	if (ids_check("service id", service) ||
	    ids_check("code id", code) ||
	    get_item(st, code_key(service, code), &item))
		return (NULL);
	if (item == NULL) {
		err_set(EX_NOINPUT, "code %s/%s not found", service, code);
		return (NULL);
	}
	if ((doc = plain_of(item)) != NULL &&
	    (doc_set(doc, "service_id", cJSON_CreateString(service)) ||
	        doc_set(doc, "code_id", cJSON_CreateString(code)))) {
		cJSON_Delete(doc);
		doc = oom();
	}
	cJSON_Delete(item);
	return (doc);
}

/* Fetch (or, with only_check, look at) one recorded file and check it
 * against its recorded SHA-256; with content, add it to REC. */
static int
fetch_file(struct store *st, const char *bucket, cJSON *rec, int only_check)
{
	const char *key = jsonio_string(rec, "key");
	const char *vid = jsonio_string(rec, "version_id");
	const char *want = jsonio_string(rec, "sha256");
	struct s3_object o;
	char got[65];
	int rc = -1;

	if (key == NULL || want == NULL) {
		err_set(EX_UNAVAILABLE, "a file record lacks its key or sha256");
		return (-1);
	}
	if (only_check) {
		if (s3_head_object(&st->s3, bucket, key, vid, &o))
			return (-1);
		if (o.meta_sha256 == NULL || strcmp(o.meta_sha256, want) != 0) {
			err_set(EX_UNAVAILABLE, "s3://%s/%s: its SHA-256 is not "
			                        "the recorded one", bucket, key);
			goto done;
		}
		rc = doc_set(rec, "verified", cJSON_CreateTrue());
		goto done;
	}
	if (s3_get_object(&st->s3, bucket, key, vid, MAX_OBJECT, &o))
		return (-1);
	if (digest_sha256_hex(o.body.data ? o.body.data : "", o.body.len, got) ||
	    strcmp(got, want) != 0) {
		err_set(EX_UNAVAILABLE, "s3://%s/%s: its bytes do not match the "
		                        "recorded SHA-256", bucket, key);
		goto done;
	}
	if (o.body.len > 0 && memchr(o.body.data, '\0', o.body.len) != NULL) {
		err_set(EX_UNAVAILABLE, "s3://%s/%s: not text (NUL byte)", bucket,
		    key);
		goto done;
	}
	if (doc_set(rec, "content",
	        cJSON_CreateString(o.body.data ? o.body.data : ""))) {
		oom();
		goto done;
	}
	rc = 0;
done:
	s3_object_free(&o);
	return (rc);
}

cJSON *
store_get_code(struct store *st, const char *service, const char *code,
    enum store_files what)
{
	cJSON *doc = code_doc(st, service, code), *rec, *files;
	const char *bucket;

	if (doc == NULL || what == STORE_META_ONLY)
		return (doc);
	files = cJSON_GetObjectItemCaseSensitive(doc, "files");
	bucket = jsonio_string(doc, "bucket");
	if (!cJSON_IsArray(files) || bucket == NULL) {
		err_set(EX_NOINPUT, "code %s/%s has no files yet (status %s)",
		    service, code,
		    jsonio_string(doc, "status") ? jsonio_string(doc, "status")
		                                 : "unknown");
		goto fail;
	}
	cJSON_ArrayForEach(rec, files) {
		if (fetch_file(st, bucket, rec, what == STORE_CHECK))
			goto fail;
	}
	return (doc);
fail:
	cJSON_Delete(doc);
	return (NULL);
}

/* Write LEN bytes to DIR/NAME through a temporary file and a rename, so
 * the file is whole or absent. */
static int
write_file(const char *dir, const char *name, const char *p, size_t len)
{
	char tmp[4096], path[4096];
	int fd;
	size_t off = 0;
	ssize_t w;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	        sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
	        sizeof(tmp)) {
		err_set(EX_USAGE, "%s: path too long", dir);
		return (-1);
	}
	if ((fd = mkstemp(tmp)) < 0) {
		err_set(EX_CANTCREAT, "%s: %s", tmp, strerror(errno));
		return (-1);
	}
	while (off < len) {
		if ((w = write(fd, p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	if (off < len || fchmod(fd, 0644) || fsync(fd) || close(fd) ||
	    rename(tmp, path)) {
		err_set(EX_IOERR, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	return (0);
}

cJSON *
store_export(struct store *st, const char *service, const char *code,
    const char *dir)
{
	cJSON *doc, *out = NULL, *list, *rec, *r;
	const char *name, *content;
	char path[4096];

	if (mkdir(dir, 0755) && errno != EEXIST) {
		err_set(EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		return (NULL);
	}
	if ((doc = store_get_code(st, service, code, STORE_CONTENT)) == NULL)
		return (NULL);
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(out, "service_id", service) ||
	    !cJSON_AddStringToObject(out, "code_id", code) ||
	    !cJSON_AddStringToObject(out, "dir", dir) ||
	    (list = cJSON_AddArrayToObject(out, "files")) == NULL)
		goto nomem;
	cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "files")) {
		name = jsonio_string(rec, "name");
		content = jsonio_string(rec, "content");
		/* The name comes from the table: check it as on the way in. */
		if (name == NULL || content == NULL || !valid_file_name(name)) {
			err_set(EX_UNAVAILABLE, "code %s/%s: a file record has an "
			                        "unusable name", service, code);
			goto fail;
		}
		if (write_file(dir, name, content, strlen(content)))
			goto fail;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((r = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(list, r) ||
		    !cJSON_AddStringToObject(r, "name", name) ||
		    !cJSON_AddStringToObject(r, "path", path) ||
		    !cJSON_AddNumberToObject(r, "size", (double)strlen(content)) ||
		    !cJSON_AddItemToObject(r, "sha256",
		        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec,
		                            "sha256"), 1)))
			goto nomem;
	}
	cJSON_Delete(doc);
	return (out);
nomem:
	oom();
fail:
	cJSON_Delete(out);
	cJSON_Delete(doc);
	return (NULL);
}

/* --- services --------------------------------------------------------- */

/* Query every item of partition PK; ON_ITEM as ddb_query_all. */
static int
query_partition(struct store *st, const char *pk,
    int (*on_item)(const cJSON *item, void *ctx), void *ctx)
{
	cJSON *req = cJSON_CreateObject(), *v, *s;
	int rc;

	if (req == NULL || !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddStringToObject(req, "KeyConditionExpression", "pk = :pk") ||
	    !cJSON_AddTrueToObject(req, "ConsistentRead") ||
	    (v = cJSON_AddObjectToObject(req, "ExpressionAttributeValues")) ==
	        NULL ||
	    (s = cJSON_AddObjectToObject(v, ":pk")) == NULL ||
	    !cJSON_AddStringToObject(s, "S", pk)) {
		cJSON_Delete(req);
		oom();
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
	const char *sk = item_string(item, "sk");
	cJSON *plain, *m, *c, *summary;
	static const char *const keep[] = {"status", "created_at", "updated_at",
	    "model", "cost_usd", "attempts", "error", "lease_until"};
	size_t i;

	if (sk == NULL || (plain = plain_of(item)) == NULL)
		return (sk == NULL ? 0 : -1);
	sv->found = 1;
	if (strcmp(sk, "METADATA") == 0) {
		/* Its members go at the top: service_data, latest_code_id... */
		while ((m = plain->child) != NULL) {
			cJSON_DetachItemViaPointer(plain, m);
			cJSON_DeleteItemFromObjectCaseSensitive(sv->doc, m->string);
			cJSON_AddItemToObject(sv->doc, m->string, m);
		}
	} else if (strncmp(sk, "CODE#", 5) == 0) {
		if ((summary = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(sv->codes, summary) ||
		    !cJSON_AddStringToObject(summary, "code_id", sk + 5)) {
			cJSON_Delete(plain);
			oom();
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
		return (oom());
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
	    (k = cJSON_AddObjectToObject(cJSON_AddObjectToObject(r,
	                                     "DeleteRequest"),
	         "Key")) == NULL ||
	    !cJSON_AddItemToObject(k, "pk",
	        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(item, "pk"), 1)) ||
	    !cJSON_AddItemToObject(k, "sk",
	        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(item, "sk"), 1))) {
		cJSON_Delete(r);
		oom();
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
		    (grown = realloc(d->objs, d->aobj * sizeof(*grown))) == NULL) {
			err_set(EX_SOFTWARE, "too many object versions to delete");
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
		oom();
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
		out = oom();
	}
done:
	doomed_free(&d);
	return (out);
}

/* --- jobs ------------------------------------------------------------- */

/*
 * A job is the CODE# item of a generation that runs asynchronously.
 * While it is pending or running it carries job_queue = "active" and
 * lease_until (seconds since the epoch): the two keys of the sparse
 * global secondary index jobs-by-lease.  The sweeper's Query of that index
 * (job_queue = "active" AND lease_until < now) reads only live jobs whose
 * lease has run out, never the table; finished jobs drop both attributes
 * and so leave the index.
 */

/* The job view of a CODE# item: its plain document with ids. */
static cJSON *
job_doc(const cJSON *item, const char *service, const char *code)
{
	cJSON *doc = plain_of(item);

	if (doc != NULL &&
	    (doc_set(doc, "service_id", cJSON_CreateString(service)) ||
	        doc_set(doc, "code_id", cJSON_CreateString(code)))) {
		cJSON_Delete(doc);
		return (oom());
	}
	return (doc);
}

/* Report why a conditional job update failed: no such job (66), or a
 * status that does not allow it (73). */
static void
job_refused(struct store *st, const char *service, const char *code,
    const char *what)
{
	cJSON *item = NULL;
	const char *status;
	const cJSON *lease;

	if (get_item(st, code_key(service, code), &item))
		return;
	if (item == NULL) {
		err_set(EX_NOINPUT, "job %s/%s not found", service, code);
		return;
	}
	status = item_string(item, "status");
	lease = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(item, "lease_until"), "N");
	err_set(CSC_EX_CONFLICT, "job %s/%s cannot be %s: it is %s%s%s", service,
	    code, what, status ? status : "of unknown status",
	    cJSON_IsString(lease) ? ", leased until " : "",
	    cJSON_IsString(lease) ? lease->valuestring : "");
	cJSON_Delete(item);
}

cJSON *
store_put_job(struct store *st, const cJSON *in)
{
	const char *service = jsonio_string(in, "service_id");
	const char *code = jsonio_string(in, "code_id");
	char sid[37], cid[37];
	cJSON *plain = NULL, *item = NULL, *req = NULL, *resp = NULL, *out = NULL;
	cJSON *k;
	const cJSON *v;
	time_t now = clock_now();
	int r;

	if (!cJSON_IsObject(in)) {
		err_set(EX_DATAERR, "a job must be a JSON object");
		return (NULL);
	}
	/* Ids the caller leaves out are made here. */
	if (service == NULL && cJSON_GetObjectItem(in, "service_id") == NULL) {
		ids_new(sid);
		service = sid;
	}
	if (code == NULL && cJSON_GetObjectItem(in, "code_id") == NULL) {
		ids_new(cid);
		code = cid;
	}
	if (ids_check("service_id", service) ||
	    ids_check("code_id", code))
		return (NULL);
	v = cJSON_GetObjectItemCaseSensitive(in, "conversation_id");
	if (v != NULL && !cJSON_IsNull(v) &&
	    ids_check("conversation_id",
	        cJSON_IsString(v) ? v->valuestring : "(not text)"))
		return (NULL);
	if ((plain = cJSON_Duplicate(in, 1)) == NULL)
		return (oom());
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "service_id");
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "code_id");
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "pk");
	cJSON_DeleteItemFromObjectCaseSensitive(plain, "sk");
	if (doc_set(plain, "status", cJSON_CreateString("pending")) ||
	    doc_set(plain, "attempts", cJSON_CreateNumber(0)) ||
	    doc_set(plain, "job_queue", cJSON_CreateString(STORE_JOB_QUEUE)) ||
	    doc_set(plain, "lease_until",
	        cJSON_CreateNumber((double)(now + STORE_PENDING_GRACE))) ||
	    doc_set(plain, "created_at", time_string(now)) ||
	    doc_set(plain, "updated_at", time_string(now)))
		goto nomem;
	if ((item = ddbjson_marshal_item(plain)) == NULL)
		goto done;
	if ((k = code_key(service, code)) == NULL)
		goto done;
	cJSON_AddItemToObject(item, "pk", cJSON_DetachItemFromObject(k, "pk"));
	cJSON_AddItemToObject(item, "sk", cJSON_DetachItemFromObject(k, "sk"));
	cJSON_Delete(k);
	if ((req = cJSON_CreateObject()) == NULL)
		goto nomem;
	cJSON_AddStringToObject(req, "TableName", st->table);
	cJSON_AddItemReferenceToObject(req, "Item", item);
	cJSON_AddStringToObject(req, "ConditionExpression",
	    "attribute_not_exists(pk)");
	if ((r = ddb_call(&st->ddb, "PutItem", req, &resp,
	         "ConditionalCheckFailedException")) < 0)
		goto done;
	if (r == 1) {
		err_set(CSC_EX_CONFLICT, "job %s/%s already exists", service, code);
		goto done;
	}
	out = job_doc(item, service, code);
	goto done;
nomem:
	oom();
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	cJSON_Delete(item);
	cJSON_Delete(plain);
	return (out);
}

/* Send the job update U on SERVICE/CODE under CONDITION; the new item's
 * job view, or NULL after err_set (66/73 when the condition fails). */
static cJSON *
job_update(struct store *st, const char *service, const char *code,
    struct update *u, const char *condition, const char *what)
{
	cJSON *req, *resp = NULL, *out = NULL;
	int r;

	if ((req = upd_request(u, st->table, code_key(service, code), condition,
	         "ALL_NEW")) == NULL)
		return (NULL);
	r = ddb_call(&st->ddb, "UpdateItem", req, &resp,
	    "ConditionalCheckFailedException");
	if (r == 1)
		job_refused(st, service, code, what);
	else if (r == 0)
		out = job_doc(cJSON_GetObjectItemCaseSensitive(resp, "Attributes"),
		    service, code);
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (out);
}

cJSON *
store_claim_job(struct store *st, const char *service, const char *code,
    long lease)
{
	struct update u;
	cJSON *out = NULL;
	time_t now = clock_now();

	if (ids_check("service id", service) ||
	    ids_check("code id", code))
		return (NULL);
	if (upd_init(&u) ||
	    upd_set(&u, "status", cJSON_CreateString("running")) ||
	    upd_set(&u, "job_queue", cJSON_CreateString(STORE_JOB_QUEUE)) ||
	    upd_set(&u, "lease_until", cJSON_CreateNumber((double)(now + lease))) ||
	    upd_set(&u, "claimed_at", time_string(now)) ||
	    upd_set(&u, "updated_at", time_string(now)) ||
	    upd_name(&u, "attempts") ||
	    upd_value(&u, "one", cJSON_CreateNumber(1)) ||
	    upd_value(&u, "zero", cJSON_CreateNumber(0)) ||
	    buf_addstr(&u.set, ", #attempts = if_not_exists(#attempts, :zero) "
	                       "+ :one") ||
	    upd_value(&u, "pending", cJSON_CreateString("pending")) ||
	    upd_value(&u, "running", cJSON_CreateString("running")) ||
	    upd_value(&u, "now", cJSON_CreateNumber((double)now))) {
		oom();
		goto done;
	}
	/* Pending, or running under a lease that ran out (its runner died):
	 * of two claimants, the condition lets one through. */
	out = job_update(st, service, code, &u,
	    "attribute_exists(pk) AND (#status = :pending OR "
	    "(#status = :running AND #lease_until < :now))",
	    "claimed");
done:
	upd_free(&u);
	return (out);
}

cJSON *
store_finish_job(struct store *st, const char *service, const char *code,
    const char *status, const char *error)
{
	struct update u;
	cJSON *out = NULL;
	time_t now = clock_now();
	int done = strcmp(status, "done") == 0;

	if (!done && strcmp(status, "failed") != 0) {
		err_set(EX_USAGE, "--status must be done or failed");
		return (NULL);
	}
	if (ids_check("service id", service) ||
	    ids_check("code id", code))
		return (NULL);
	if (upd_init(&u) || upd_set(&u, "status", cJSON_CreateString(status)) ||
	    upd_set(&u, "finished_at", time_string(now)) ||
	    upd_set(&u, "updated_at", time_string(now)) ||
	    (error != NULL && upd_set(&u, "error", cJSON_CreateString(error))) ||
	    upd_remove(&u, "job_queue") || upd_remove(&u, "lease_until") ||
	    (done && upd_name(&u, "files")) ||
	    upd_value(&u, "pending", cJSON_CreateString("pending")) ||
	    upd_value(&u, "running", cJSON_CreateString("running"))) {
		oom();
		goto done;
	}
	/* From pending or running, or again to the same end (a retry).  Done
	 * needs the files put-code stored; failed never replaces done. */
	out = job_update(st, service, code, &u,
	    done ? "attribute_exists(pk) AND attribute_exists(#files) AND "
	           "#status IN (:pending, :running, :status)"
	         : "attribute_exists(pk) AND #status IN (:pending, :running, "
	           ":status)",
	    done ? "finished as done" : "finished as failed");
done:
	upd_free(&u);
	return (out);
}

struct job_list {
	cJSON *jobs;
};

static int
add_job(const cJSON *item, void *ctx)
{
	struct job_list *jl = ctx;
	const char *pk = item_string(item, "pk"), *sk = item_string(item, "sk");
	cJSON *doc;

	if (pk == NULL || sk == NULL || strncmp(pk, "SERVICE#", 8) != 0 ||
	    strncmp(sk, "CODE#", 5) != 0)
		return (0);
	if ((doc = job_doc(item, pk + 8, sk + 5)) == NULL)
		return (-1);
	cJSON_AddItemToArray(jl->jobs, doc);
	return (0);
}

cJSON *
store_list_jobs(struct store *st, int expired_only)
{
	struct job_list jl;
	cJSON *req = cJSON_CreateObject(), *vals, *out = NULL;
	char now[32];

	jl.jobs = cJSON_CreateArray();
	snprintf(now, sizeof(now), "%lld", (long long)clock_now());
	if (req == NULL || jl.jobs == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table) ||
	    !cJSON_AddStringToObject(req, "IndexName", STORE_JOBS_INDEX) ||
	    !cJSON_AddStringToObject(req, "KeyConditionExpression",
	        expired_only ? "job_queue = :q AND lease_until < :now"
	                     : "job_queue = :q") ||
	    (vals = cJSON_AddObjectToObject(req, "ExpressionAttributeValues")) ==
	        NULL ||
	    !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":q"), "S",
	        STORE_JOB_QUEUE) ||
	    (expired_only &&
	        !cJSON_AddStringToObject(cJSON_AddObjectToObject(vals, ":now"),
	            "N", now))) {
		oom();
		goto done;
	}
	if (ddb_query_all(&st->ddb, "Query", req, add_job, &jl))
		goto done;
	if ((out = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(out, "jobs", jl.jobs)) {
		cJSON_Delete(out);
		out = oom();
		goto done;
	}
	jl.jobs = NULL;
done:
	cJSON_Delete(jl.jobs);
	cJSON_Delete(req);
	return (out);
}

/* --- init ------------------------------------------------------------- */

static int
warn(cJSON *warnings, const char *fmt, const char *arg)
{
	char line[512];

	snprintf(line, sizeof(line), fmt, arg);
	fprintf(stderr, "csc-store: warning: %s\n", line);
	return (cJSON_AddItemToArray(warnings, cJSON_CreateString(line)) ? 0
	                                                                  : -1);
}

/* The jobs index, for CreateTable and UpdateTable. */
static cJSON *
jobs_index(void)
{
	static const char spec[] =
	    "{\"IndexName\":\"" STORE_JOBS_INDEX "\",\"KeySchema\":["
	    "{\"AttributeName\":\"job_queue\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"lease_until\",\"KeyType\":\"RANGE\"}],"
	    "\"Projection\":{\"ProjectionType\":\"INCLUDE\","
	    "\"NonKeyAttributes\":[\"status\",\"attempts\",\"updated_at\"]}}";

	return (cJSON_Parse(spec));
}

static const char attribute_defs[] =
    "[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"job_queue\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"lease_until\",\"AttributeType\":\"N\"}]";

static int
has_jobs_index(const cJSON *describe)
{
	const cJSON *g;

	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(describe, "Table"),
	    "GlobalSecondaryIndexes")) {
		const char *n = jsonio_string(g, "IndexName");

		if (n != NULL && strcmp(n, STORE_JOBS_INDEX) == 0)
			return (1);
	}
	return (0);
}

/* The table: created when missing, its jobs index added when it lacks
 * one, waited for until ACTIVE.  *CREATED says whether it was made. */
static int
init_table(struct store *st, int *created, cJSON *warnings)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL, *gsi, *upd;
	int r, rc = -1;

	*created = 0;
	if (req == NULL || !cJSON_AddStringToObject(req, "TableName", st->table))
		goto nomem;
	if ((r = ddb_call(&st->ddb, "DescribeTable", req, &resp,
	         "ResourceNotFoundException")) < 0)
		goto done;
	if (r == 1) {
		cJSON_AddItemToObject(req, "AttributeDefinitions",
		    cJSON_Parse(attribute_defs));
		cJSON_AddItemToObject(req, "KeySchema",
		    cJSON_Parse("[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
		                "{\"AttributeName\":\"sk\",\"KeyType\":"
		                "\"RANGE\"}]"));
		cJSON_AddStringToObject(req, "BillingMode", "PAY_PER_REQUEST");
		if ((gsi = cJSON_AddArrayToObject(req, "GlobalSecondaryIndexes")) ==
		        NULL ||
		    !cJSON_AddItemToArray(gsi, jobs_index()))
			goto nomem;
		cJSON_Delete(resp);
		resp = NULL;
		/* Another init may be creating it at the same moment. */
		if ((r = ddb_call(&st->ddb, "CreateTable", req, &resp,
		         "ResourceInUseException")) < 0)
			goto done;
		*created = r == 0;
	} else if (!has_jobs_index(resp)) {
		cJSON_Delete(resp);
		resp = NULL;
		cJSON_AddItemToObject(req, "AttributeDefinitions",
		    cJSON_Parse(attribute_defs));
		if ((gsi = cJSON_AddArrayToObject(req,
		         "GlobalSecondaryIndexUpdates")) == NULL ||
		    (upd = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(gsi, upd) ||
		    !cJSON_AddItemToObject(upd, "Create", jobs_index()))
			goto nomem;
		if ((r = ddb_call(&st->ddb, "UpdateTable", req, &resp,
		         "UnknownOperationException")) < 0)
			goto done;
		if (r == 1 && warn(warnings, "this DynamoDB cannot add the "
		                             "%s index to an existing table",
		                  STORE_JOBS_INDEX))
			goto nomem;
	}
	rc = ddb_wait_active(&st->ddb, st->table, 60000);
	goto done;
nomem:
	oom();
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

/* Time to live on expires_at, unless it is on already. */
static int
init_ttl(struct store *st, cJSON *warnings)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL, *spec;
	const char *status, *attr;
	int r, rc = -1;

	if (req == NULL || !cJSON_AddStringToObject(req, "TableName", st->table))
		goto nomem;
	if ((r = ddb_call(&st->ddb, "DescribeTimeToLive", req, &resp,
	         "UnknownOperationException")) < 0)
		goto done;
	if (r == 1) {
		rc = warn(warnings, "this DynamoDB has no time to live (%s): "
		                    "expired conversations stay until deleted",
		    "DescribeTimeToLive");
		goto done;
	}
	spec = cJSON_GetObjectItemCaseSensitive(resp, "TimeToLiveDescription");
	status = jsonio_string(spec, "TimeToLiveStatus");
	attr = jsonio_string(spec, "AttributeName");
	if (status != NULL && attr != NULL && strcmp(attr, "expires_at") == 0 &&
	    (strcmp(status, "ENABLED") == 0 || strcmp(status, "ENABLING") == 0)) {
		rc = 0;
		goto done;
	}
	cJSON_Delete(resp);
	resp = NULL;
	if ((spec = cJSON_AddObjectToObject(req, "TimeToLiveSpecification")) ==
	        NULL ||
	    !cJSON_AddTrueToObject(spec, "Enabled") ||
	    !cJSON_AddStringToObject(spec, "AttributeName", "expires_at"))
		goto nomem;
	if ((r = ddb_call(&st->ddb, "UpdateTimeToLive", req, &resp,
	         "UnknownOperationException")) < 0)
		goto done;
	rc = r == 1 ? warn(warnings, "this DynamoDB has no time to live (%s): "
	                             "expired conversations stay until deleted",
	                  "UpdateTimeToLive")
	            : 0;
	goto done;
nomem:
	oom();
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

/* The bucket's configuration: what SPEC section 5 asks of it. */
static const struct {
	const char *sub, *xml;
} bucket_config[] = {
	{"versioning",
	    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>"},
	{"publicAccessBlock",
	    "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/"
	    "doc/2006-03-01/\"><BlockPublicAcls>true</BlockPublicAcls>"
	    "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true"
	    "</BlockPublicPolicy><RestrictPublicBuckets>true"
	    "</RestrictPublicBuckets></PublicAccessBlockConfiguration>"},
	{"encryption",
	    "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/"
	    "doc/2006-03-01/\"><Rule><ApplyServerSideEncryptionByDefault>"
	    "<SSEAlgorithm>AES256</SSEAlgorithm>"
	    "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true"
	    "</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"},
	/* Old versions go after 30 days; unfinished uploads after 7. */
	{"lifecycle",
	    "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Rule><ID>csc-old-versions</ID><Filter><Prefix>"
	    "</Prefix></Filter><Status>Enabled</Status>"
	    "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays>"
	    "</NoncurrentVersionExpiration><AbortIncompleteMultipartUpload>"
	    "<DaysAfterInitiation>7</DaysAfterInitiation>"
	    "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>"},
};

static int
init_bucket(struct store *st, int *created, cJSON *warnings)
{
	size_t i;
	int r;

	if ((r = s3_create_bucket(&st->s3, st->bucket)) < 0)
		return (-1);
	*created = r;
	for (i = 0; i < sizeof(bucket_config) / sizeof(bucket_config[0]); i++) {
		r = s3_put_bucket_config(&st->s3, st->bucket, bucket_config[i].sub,
		    bucket_config[i].xml);
		if (r < 0 || (r == 1 && warn(warnings, "this S3 does not "
		                                       "implement the bucket's "
		                                       "%s configuration",
		                            bucket_config[i].sub)))
			return (-1);
	}
	return (0);
}

cJSON *
store_init(struct store *st)
{
	cJSON *out = cJSON_CreateObject(), *created, *warnings;
	int table_created = 0, bucket_created = 0;

	if (out == NULL || !cJSON_AddStringToObject(out, "table", st->table) ||
	    !cJSON_AddStringToObject(out, "bucket", st->bucket) ||
	    (created = cJSON_AddObjectToObject(out, "created")) == NULL ||
	    (warnings = cJSON_AddArrayToObject(out, "warnings")) == NULL)
		goto nomem;
	if (init_table(st, &table_created, warnings) ||
	    init_ttl(st, warnings) ||
	    init_bucket(st, &bucket_created, warnings))
		goto fail;
	if (!cJSON_AddBoolToObject(created, "table", table_created) ||
	    !cJSON_AddBoolToObject(created, "bucket", bucket_created))
		goto nomem;
	return (out);
nomem:
	oom();
fail:
	cJSON_Delete(out);
	return (NULL);
}

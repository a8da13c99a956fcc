/*
 * store_code: code bundles, their objects first and then the items that
 * point at them; read back, checked, exported.
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

#define MAX_NAME 255
#define MAX_OBJECT ((size_t)64 << 20) /* a file read back from S3 */

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

/* The bundle's files, checked: at most STORE_MAX_FILES, unique safe names,
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
		if (++n > STORE_MAX_FILES) {
			err_set(EX_DATAERR, "more than %d files",
			    STORE_MAX_FILES);
			return (-1);
		}
		if (name == NULL || !valid_file_name(name)) {
			err_set(EX_DATAERR,
			    "file %zu: name must be a plain file "
			    "name (no path, 1-%d bytes)",
			    n, MAX_NAME);
			return (-1);
		}
		if (jsonio_string(f, "content") == NULL) {
			err_set(EX_DATAERR, "file %s: content must be a string",
			    name);
			return (-1);
		}
		for (g = files->child; g != f; g = g->next)
			if (strcmp(jsonio_string(g, "name"), name) == 0) {
				err_set(EX_DATAERR, "file %s appears twice",
				    name);
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
		    !cJSON_AddStringToObject(r, "name",
		        jsonio_string(f, "name")) ||
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
			return (store_oom());
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

		if (!n1 || !n2 || !h1 || !h2 || strcmp(n1, n2) ||
		    strcmp(h1, h2))
			return (0);
	}
	return (1);
}

/* The fields of csc-generate's output that the CODE# item keeps. */
static const char *const code_fields[] = {"conversation_id", "model",
    "request_id", "stop_reason", "usage", "cost_usd", "check"};

/* Write the CODE# item of a stored bundle: status done, the file
 * records, the generation's facts.  Conditional: a bundle already done
 * is not replaced, unless it is this very bundle again; with TOKEN, only
 * while the job's lease_token is TOKEN (the runner still holds the job).
 * Returns 0; 1 after err_set(73) when refused (the item then does not
 * point at these records' objects); -1 after err_set for any other
 * failure (the write may have happened, its answer lost). */
static int
write_code_item(struct store *st, const char *service, const char *code,
    const cJSON *bundle, const cJSON *records, const char *token, time_t now)
{
	struct update u;
	cJSON *req = NULL, *resp = NULL, *stored = NULL, *doc = NULL;
	const cJSON *v;
	const char *had;
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
	    upd_set(&u, "updated_at", store_time_string(now)) ||
	    upd_set(&u, "finished_at", store_time_string(now)) ||
	    upd_set_how(&u, "created_at", store_time_string(now), 1) ||
	    upd_remove(&u, "job_queue") || upd_remove(&u, "lease_until") ||
	    upd_remove(&u, "error") ||
	    upd_value(&u, "done", cJSON_CreateString("done")) ||
	    (token != NULL &&
	        (upd_name(&u, "lease_token") ||
	            upd_value(&u, "token", cJSON_CreateString(token)))))
		goto nomem;
	if ((req = upd_request(&u, st->table, store_code_key(service, code),
	         token != NULL ? "#lease_token = :token AND #status <> :done"
	                       : "attribute_not_exists(pk) OR #status <> :done",
	         NULL)) == NULL)
		goto done;
	r = ddb_call(&st->ddb, "UpdateItem", req, &resp,
	    "ConditionalCheckFailedException");
	if (r < 0)
		goto done;
	if (r == 1) {
		if (store_get_item(st, store_code_key(service, code), &stored))
			goto done;
		rc = 1;
		had = store_item_string(stored, "lease_token");
		if (token != NULL && (had == NULL || strcmp(had, token) != 0)) {
			err_set(CSC_EX_CONFLICT,
			    "code %s/%s: this runner's lease was taken "
			    "over; nothing written",
			    service, code);
			goto done;
		}
		if (stored == NULL || (doc = store_plain_of(stored)) == NULL ||
		    !same_files(cJSON_GetObjectItemCaseSensitive(doc, "files"),
		        records)) {
			err_set(CSC_EX_CONFLICT,
			    "code %s/%s is already stored "
			    "with other files",
			    service, code);
			goto done;
		}
	}
	rc = 0;
	goto done;
nomem:
	store_oom();
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
	    ((v = cJSON_GetObjectItemCaseSensitive(bundle,
	          "conversation_id")) &&
	        upd_set(&u, "conversation_id", cJSON_Duplicate(v, 1))) ||
	    upd_set(&u, "latest_code_id", cJSON_CreateString(code)) ||
	    upd_set(&u, "updated_at", store_time_string(now)) ||
	    upd_set_how(&u, "created_at", store_time_string(now), 1)) {
		store_oom();
		goto done;
	}
	if ((req = upd_request(&u, st->table,
	         store_item_key("SERVICE", service, "METADATA"), NULL, NULL)) ==
	        NULL ||
	    ddb_call(&st->ddb, "UpdateItem", req, &resp, NULL))
		goto done;
	rc = 0;
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	upd_free(&u);
	return (rc);
}

/* Before anything is uploaded: the job SERVICE/CODE is still held by
 * the runner whose lease token is TOKEN (a consistent read), running, or
 * done by it (a retry).  Returns 0, or -1 after err_set (73 when another
 * runner took the job over, 66 when there is no such job). */
static int
check_lease(struct store *st, const char *service, const char *code,
    const char *token)
{
	cJSON *item = NULL;
	const char *had, *status;
	int rc = -1;

	if (store_get_item(st, store_code_key(service, code), &item))
		return (-1);
	had = store_item_string(item, "lease_token");
	status = store_item_string(item, "status");
	if (item == NULL)
		err_set(EX_NOINPUT, "job %s/%s not found", service, code);
	else if (had == NULL || strcmp(had, token) != 0 || status == NULL ||
	         (strcmp(status, "running") != 0 &&
	             strcmp(status, "done") != 0))
		err_set(CSC_EX_CONFLICT,
		    "job %s/%s is no longer held by this runner (%s, "
		    "another lease); nothing written",
		    service, code, status ? status : "of unknown status");
	else
		rc = 0;
	cJSON_Delete(item);
	return (rc);
}

/* An object already at PUT's key (its create-only upload was refused):
 * when it holds the very bytes PUT would have written (a retried
 * put-code, or one whose metadata write was lost), PUT takes its version
 * id and is as good as stored; other bytes are a conflict (73).  S3's
 * own checksum of the object decides, else the bytes themselves.
 * Returns 0, or -1 after err_set. */
static int
adopt_existing(struct store *st, struct s3_put *put, const char *service,
    const char *code)
{
	struct s3_object o;
	char got[65];
	int same, rc = -1;

	if (s3_head_object(&st->s3, st->bucket, put->key, NULL, &o))
		return (-1);
	if (o.checksum_sha256 != NULL) {
		same = strcmp(o.checksum_sha256, put->checksum) == 0;
	} else {
		s3_object_free(&o);
		if (s3_get_object(&st->s3, st->bucket, put->key, NULL,
		        put->len + 1, &o))
			return (-1);
		same = digest_sha256_hex(o.body.data ? o.body.data : "",
		           o.body.len, got) == 0 &&
		       strcmp(got, put->sha256_hex) == 0;
	}
	if (!same) {
		err_set(CSC_EX_CONFLICT,
		    "code %s/%s is already stored with other files "
		    "(s3://%s/%s holds other bytes)",
		    service, code, st->bucket, put->key);
		goto done;
	}
	if (o.version_id != NULL &&
	    (put->version_id = strdup(o.version_id)) == NULL) {
		store_oom();
		goto done;
	}
	rc = 0;
done:
	s3_object_free(&o);
	return (rc);
}

/* Does the CODE# item of SERVICE/CODE record any object version this
 * put-code stored?  1 if so, 0 if not, -1 when it cannot be told. */
static int
item_records_ours(struct store *st, const char *service, const char *code,
    const struct s3_put *puts, size_t n)
{
	cJSON *item = NULL, *doc = NULL;
	const cJSON *rec;
	const char *key, *vid;
	size_t i;
	int rc = -1;

	if (store_get_item(st, store_code_key(service, code), &item))
		return (-1);
	rc = 0;
	if (item == NULL)
		goto done;
	if ((doc = store_plain_of(item)) == NULL) {
		rc = -1;
		goto done;
	}
	cJSON_ArrayForEach(rec,
	    cJSON_GetObjectItemCaseSensitive(doc, "files")) {
		key = jsonio_string(rec, "key");
		vid = jsonio_string(rec, "version_id");
		for (i = 0; key != NULL && i < n; i++)
			if (puts[i].outcome == S3_PUT_STORED &&
			    strcmp(puts[i].key, key) == 0 &&
			    (puts[i].version_id == NULL || vid == NULL ||
			        strcmp(puts[i].version_id, vid) == 0))
				rc = 1;
	}
done:
	cJSON_Delete(doc);
	cJSON_Delete(item);
	return (rc);
}

/* Take back the object versions this put-code stored (a refused or
 * failed write), by version id, so that nothing it wrote stays behind.
 * Answered before for a put whose answer was lost (FAILED) is left to
 * csc-store sweep-orphans.  Failures are logged only: the first error
 * of the run is the one that matters. */
static void
take_back(struct store *st, const struct s3_put *puts, size_t n)
{
	struct s3_key_version list[STORE_MAX_FILES];
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (puts[i].outcome == S3_PUT_STORED) {
			list[k].key = puts[i].key;
			list[k].version_id = puts[i].version_id;
			k++;
		}
	if (k > 0 && s3_delete_objects(&st->s3, st->bucket, list, k) == 0)
		err_debug("took back the %zu object version%s stored", k,
		    k == 1 ? "" : "s");
}

cJSON *
store_put_code(struct store *st, const cJSON *bundle, const char *token)
{
	const char *service = jsonio_string(bundle, "service_id");
	const char *code = jsonio_string(bundle, "code_id");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(bundle, "files");
	const cJSON *f;
	struct s3_put puts[STORE_MAX_FILES];
	char keys[STORE_MAX_FILES][128 + MAX_NAME], sums[STORE_MAX_FILES][65];
	cJSON *records = NULL, *out = NULL;
	time_t now = clock_now();
	size_t n = 0, i;
	int r, undo = 0;

	memset(puts, 0, sizeof(puts));
	if (!cJSON_IsObject(bundle)) {
		err_set(EX_DATAERR, "a code bundle must be a JSON object");
		return (NULL);
	}
	if (ids_check("service_id", service) || ids_check("code_id", code) ||
	    check_files(files, &n))
		return (NULL);
	if (token != NULL && check_lease(st, service, code, token))
		return (NULL);
	for (i = 0, f = files->child; i < n; i++, f = f->next) {
		const char *content = jsonio_string(f, "content");

		snprintf(keys[i], sizeof(keys[i]), "%s/%s/%s", service, code,
		    jsonio_string(f, "name"));
		puts[i].key = keys[i];
		puts[i].body = content;
		puts[i].len = strlen(content);
		puts[i].content_type = content_type(jsonio_string(f, "name"));
		puts[i].create_only = 1;
		if (digest_sha256_hex(content, puts[i].len, sums[i]))
			goto nomem;
		puts[i].sha256_hex = sums[i];
	}
	/* Objects first: the items written next point at them.  Each is
	 * written once (If-None-Match), never over another; from here on a
	 * refusal takes back what this run stored. */
	undo = 1;
	if (s3_put_objects(&st->s3, st->bucket, puts, n, st->parallel))
		goto done;
	for (i = 0; i < n; i++)
		if (puts[i].outcome == S3_PUT_EXISTS &&
		    adopt_existing(st, &puts[i], service, code))
			goto done;
	if ((records = file_records(puts, files, n)) == NULL)
		goto done;
	if ((r = write_code_item(st, service, code, bundle, records, token,
	         now)) != 0) {
		/* A write that may have landed keeps its objects, unless
		 * the item is seen not to point at them. */
		if (r < 0 && item_records_ours(st, service, code, puts, n) != 0)
			undo = 0;
		goto done;
	}
	/* The item points at the objects now: they stay. */
	undo = 0;
	if (write_service_item(st, service, code, bundle, now))
		goto done;
	if ((out = cJSON_Duplicate(bundle, 1)) == NULL)
		goto nomem;
	/* The output is the bundle with records in place of the contents. */
	cJSON_ReplaceItemInObjectCaseSensitive(out, "files", records);
	records = NULL;
	if (jsonio_set(out, "bucket", cJSON_CreateString(st->bucket)) ||
	    jsonio_set(out, "status", cJSON_CreateString("done")))
		goto nomem;
	if (cJSON_GetObjectItemCaseSensitive(out, "created_at") == NULL &&
	    jsonio_set(out, "created_at", store_time_string(now)))
		goto nomem;
	goto done;
nomem:
	cJSON_Delete(out);
	out = store_oom();
done:
	if (out == NULL && undo)
		take_back(st, puts, n);
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

	if (ids_check("service id", service) || ids_check("code id", code) ||
	    store_get_item(st, store_code_key(service, code), &item))
		return (NULL);
	if (item == NULL) {
		err_set(EX_NOINPUT, "code %s/%s not found", service, code);
		return (NULL);
	}
	if ((doc = store_plain_of(item)) != NULL &&
	    (jsonio_set(doc, "service_id", cJSON_CreateString(service)) ||
	        jsonio_set(doc, "code_id", cJSON_CreateString(code)))) {
		cJSON_Delete(doc); /* jsonio_set reported */
		doc = NULL;
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
		err_set(EX_UNAVAILABLE,
		    "a file record lacks its key or sha256");
		return (-1);
	}
	if (only_check) {
		if (s3_head_object(&st->s3, bucket, key, vid, &o))
			return (-1);
		if (o.meta_sha256 == NULL || strcmp(o.meta_sha256, want) != 0) {
			err_set(EX_UNAVAILABLE,
			    "s3://%s/%s: its SHA-256 is not "
			    "the recorded one",
			    bucket, key);
			goto done;
		}
		rc = jsonio_set(rec, "verified", cJSON_CreateTrue());
		goto done;
	}
	if (s3_get_object(&st->s3, bucket, key, vid, MAX_OBJECT, &o))
		return (-1);
	if (digest_sha256_hex(o.body.data ? o.body.data : "", o.body.len,
	        got) ||
	    strcmp(got, want) != 0) {
		err_set(EX_UNAVAILABLE,
		    "s3://%s/%s: its bytes do not match the "
		    "recorded SHA-256",
		    bucket, key);
		goto done;
	}
	if (o.body.len > 0 && memchr(o.body.data, '\0', o.body.len) != NULL) {
		err_set(EX_UNAVAILABLE, "s3://%s/%s: not text (NUL byte)",
		    bucket, key);
		goto done;
	}
	if (jsonio_set(rec, "content",
	        cJSON_CreateString(o.body.data ? o.body.data : "")))
		goto done;
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
	cJSON_ArrayForEach(rec,
	    cJSON_GetObjectItemCaseSensitive(doc, "files")) {
		name = jsonio_string(rec, "name");
		content = jsonio_string(rec, "content");
		/* The name comes from the table: check it as on the way in. */
		if (name == NULL || content == NULL || !valid_file_name(name)) {
			err_set(EX_UNAVAILABLE,
			    "code %s/%s: a file record has an "
			    "unusable name",
			    service, code);
			goto fail;
		}
		if (write_file(dir, name, content, strlen(content)))
			goto fail;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((r = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(list, r) ||
		    !cJSON_AddStringToObject(r, "name", name) ||
		    !cJSON_AddStringToObject(r, "path", path) ||
		    !cJSON_AddNumberToObject(r, "size",
		        (double)strlen(content)) ||
		    !cJSON_AddItemToObject(r, "sha256",
		        cJSON_Duplicate(
		            cJSON_GetObjectItemCaseSensitive(rec, "sha256"),
		            1)))
			goto nomem;
	}
	cJSON_Delete(doc);
	return (out);
nomem:
	store_oom();
fail:
	cJSON_Delete(out);
	cJSON_Delete(doc);
	return (NULL);
}

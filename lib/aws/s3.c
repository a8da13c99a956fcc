#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsreq.h"
#include "digest.h"
#include "err.h"
#include "http.h"
#include "num.h"
#include "s3.h"
#include "s3url.h"
#include "sigv4.h"

#define XML_MAX ((size_t)4 << 20) /* listings and errors */
#define DELETE_BATCH 1000

/* One S3 request: where it goes and its signed form. */
struct s3call {
	struct awsreq ar;
	struct buf host, path, query;
	char md5[32]; /* Content-MD5, base64 */
	char sha[48]; /* x-amz-checksum-sha256, base64 */
};

int
s3_init(struct s3 *s, struct aws_client *client)
{
	memset(s, 0, sizeof(*s));
	s->client = client;
	if (aws_client_requests(client) ||
	    (s->ep = aws_client_endpoint(client, AWS_S3)) == NULL ||
	    aws_client_credentials(client) == NULL)
		return (-1);
	return (0);
}

static void
call_free(struct s3call *c)
{
	awsreq_free(&c->ar);
	buf_free(&c->host);
	buf_free(&c->path);
	buf_free(&c->query);
}

/* call_init(c, s, method, bucket, key, query): address the request.
 * QUERY is as sent (already encoded), or NULL. */
static int
call_init(struct s3call *c, struct s3 *s, const char *method,
    const char *bucket, const char *key, const char *query)
{
	memset(c, 0, sizeof(*c));
	awsreq_init(&c->ar);
	buf_init(&c->host, 4096);
	buf_init(&c->path, 8192);
	buf_init(&c->query, 8192);
	if (!s3url_valid_bucket(bucket)) {
		err_set(EX_CONFIG, "'%.64s' is not a valid S3 bucket name",
		    bucket);
		return (-1);
	}
	if (s3url_object(s->ep, bucket, key,
	        s3url_path_style(s->ep, s->client->s3_prefer_path, bucket),
	        &c->host, &c->path) ||
	    (query != NULL && buf_addstr(&c->query, query))) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	c->ar.client = s->client;
	c->ar.service = "s3";
	c->ar.scheme = s->ep->scheme;
	c->ar.method = method;
	c->ar.host = c->host.data;
	c->ar.path = c->path.data;
	c->ar.query = c->query.data;
	c->ar.flags = SIGV4_CONTENT_SHA256;
	return (0);
}

/* The Code of an S3 error answer, "" if it has none. */
static void
error_code(const struct http_response *resp, struct s3xml_error *e)
{
	if (resp->body.data == NULL ||
	    s3xml_parse_error(resp->body.data, resp->body.len, e) != 0) {
		memset(e, 0, sizeof(*e));
		/* HEAD answers have no body: name the status instead. */
		if (resp->status == 404)
			snprintf(e->code, sizeof(e->code), "NotFound");
		else if (resp->status == 403)
			snprintf(e->code, sizeof(e->code), "Forbidden");
	}
}

static enum http_verdict
classify(const struct http_request *req, const struct http_response *resp)
{
	struct s3xml_error e;

	(void)req;
	if (resp->transport_error)
		return (resp->too_large || resp->cert_error ? HTTP_DONE
		                                            : HTTP_RETRY);
	if (resp->status >= 500)
		return (HTTP_RETRY);
	if (resp->status == 400 || resp->status == 409) {
		error_code(resp, &e);
		/* 409 ConditionalRequestConflict: a conditional write raced
		 * another; sent again, it gets that one's verdict. */
		if (strcmp(e.code, "RequestTimeout") == 0 ||
		    strcmp(e.code, "ConditionalRequestConflict") == 0)
			return (HTTP_RETRY);
	}
	return (HTTP_DONE);
}

static int
error_class(const char *code, long status)
{
	static const struct {
		const char *code;
		int ex;
	} map[] = {
	    {"AccessDenied", EX_NOPERM},
	    {"SignatureDoesNotMatch", EX_NOPERM},
	    {"InvalidAccessKeyId", EX_NOPERM},
	    {"ExpiredToken", EX_NOPERM},
	    {"InvalidToken", EX_NOPERM},
	    {"Forbidden", EX_NOPERM},
	    {"NoSuchKey", EX_NOINPUT},
	    {"NoSuchVersion", EX_NOINPUT},
	    {"NotFound", EX_NOINPUT},
	    {"NoSuchBucket", EX_CONFIG},
	    {"SlowDown", EX_TEMPFAIL},
	    {"BucketAlreadyExists", EX_CONFIG},
	    {"PreconditionFailed", CSC_EX_CONFLICT},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return (map[i].ex);
	if (status >= 500 || status == 0)
		return (EX_UNAVAILABLE);
	if (status == 401 || status == 403)
		return (EX_NOPERM);
	return (EX_DATAERR);
}

/* Report a failed answer to WHAT ("PutObject s3://b/k") once. */
static void
report(struct s3 *s, const char *what, const struct http_response *resp)
{
	struct s3xml_error e;

	if (resp->transport_error) {
		snprintf(s->last_code, sizeof(s->last_code), "%s", "Transport");
		http_fail(resp, EX_UNAVAILABLE,
		    "S3 %s: %s (after %d attempt%s)", what, resp->error,
		    resp->attempts, resp->attempts == 1 ? "" : "s");
		return;
	}
	error_code(resp, &e);
	snprintf(s->last_code, sizeof(s->last_code), "%s", e.code);
	if (strcmp(e.code, "NoSuchBucket") == 0)
		http_fail(resp, EX_CONFIG,
		    "S3 %s: no such bucket (run csc-store init?)", what);
	else if (strcmp(e.code, "BucketAlreadyExists") == 0)
		http_fail(resp, EX_CONFIG,
		    "S3 %s: the bucket name belongs to another "
		    "account; choose another CSC_BUCKET",
		    what);
	else if (e.code[0] != '\0')
		http_fail(resp, error_class(e.code, resp->status),
		    "S3 %s: %s%s%.200s", what, e.code, e.message[0] ? ": " : "",
		    e.message);
	else
		http_fail(resp, error_class("", resp->status),
		    "S3 %s: HTTP %ld", what, resp->status);
}

/* Send C (built) with retries.  Returns 0 with a 2xx answer in RESP, 1
 * with another final answer (not reported), -1 after err_set for a
 * transport failure or a failed signature. */
static int
call_send(struct s3 *s, struct s3call *c, size_t max,
    struct http_response *resp, const char *what)
{
	struct http_retry policy = {s->client->max_attempts, 100, 20000,
	    awsreq_prepare, classify, 0};

	s->last_code[0] = '\0';
	c->ar.http.max_response = max;
	if (http_do(&c->ar.http, resp, &policy)) {
		if (resp->transport_error)
			report(s, what, resp);
		return (-1);
	}
	if (resp->status >= 200 && resp->status < 300)
		return (0);
	return (1);
}

/* HeadBucket: 0 if the bucket is there and ours to read, 1 if not (not
 * reported), -1 after err_set for a transport failure. */
static int
head_bucket(struct s3 *s, const char *bucket)
{
	struct http_response resp;
	struct s3call c;
	int rc = -1;

	memset(&resp, 0, sizeof(resp));
	if (call_init(&c, s, "HEAD", bucket, NULL, NULL) == 0 &&
	    awsreq_build(&c.ar) == 0)
		rc = call_send(s, &c, XML_MAX, &resp, "HeadBucket");
	http_response_free(&resp);
	call_free(&c);
	return (rc);
}

int
s3_create_bucket(struct s3 *s, const char *bucket)
{
	struct http_response resp;
	struct s3call c;
	struct buf body;
	char what[128];
	int rc = -1, r;

	memset(&resp, 0, sizeof(resp));
	buf_init(&body, 4096);
	snprintf(what, sizeof(what), "CreateBucket %.64s", bucket);
	if (call_init(&c, s, "PUT", bucket, NULL, NULL))
		goto done;
	/* us-east-1 is the one region that takes no LocationConstraint. */
	if (strcmp(s->client->region, "us-east-1") != 0) {
		if (buf_printf(&body,
		        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/"
		        "doc/2006-03-01/\"><LocationConstraint>%s"
		        "</LocationConstraint></CreateBucketConfiguration>",
		        s->client->region)) {
			err_set(EX_SOFTWARE, "out of memory");
			goto done;
		}
		c.ar.body = body.data;
		c.ar.body_len = body.len;
	}
	if (awsreq_build(&c.ar) ||
	    (r = call_send(s, &c, XML_MAX, &resp, what)) < 0)
		goto done;
	if (r == 0) {
		rc = 1;
	} else {
		struct s3xml_error e;

		error_code(&resp, &e);
		/* Some S3s (s3rver, old us-east-1 behaviour aside) answer
		 * BucketAlreadyExists to the owner too: if we can read the
		 * bucket, it is ours. */
		if (strcmp(e.code, "BucketAlreadyOwnedByYou") == 0 ||
		    (strcmp(e.code, "BucketAlreadyExists") == 0 &&
		        head_bucket(s, bucket) == 0))
			rc = 0;
		else
			report(s, what, &resp);
	}
done:
	http_response_free(&resp);
	call_free(&c);
	buf_free(&body);
	return (rc);
}

int
s3_put_bucket_config(struct s3 *s, const char *bucket, const char *sub,
    const char *xml)
{
	struct http_response resp;
	struct s3call c;
	unsigned char md5[16];
	char what[128];
	int rc = -1, r;

	memset(&resp, 0, sizeof(resp));
	snprintf(what, sizeof(what), "PUT %.64s?%.32s", bucket, sub);
	if (call_init(&c, s, "PUT", bucket, NULL, sub))
		goto done;
	c.ar.body = xml;
	c.ar.body_len = strlen(xml);
	if (digest_md5(xml, c.ar.body_len, md5) ||
	    digest_base64(md5, sizeof(md5), c.md5, sizeof(c.md5)) ||
	    awsreq_header(&c.ar, "Content-MD5", c.md5) ||
	    awsreq_header(&c.ar, "Content-Type", "application/xml") ||
	    awsreq_build(&c.ar)) {
		err_set(EX_SOFTWARE, "cannot build %s", what);
		goto done;
	}
	if ((r = call_send(s, &c, XML_MAX, &resp, what)) < 0)
		goto done;
	if (r == 0) {
		rc = 0;
	} else {
		struct s3xml_error e;

		error_code(&resp, &e);
		if (resp.status == 501 || strcmp(e.code, "NotImplemented") == 0)
			rc = 1;
		else
			report(s, what, &resp);
	}
done:
	http_response_free(&resp);
	call_free(&c);
	return (rc);
}

int
s3_put_objects(struct s3 *s, const char *bucket, struct s3_put *puts, size_t n,
    size_t parallel)
{
	struct http_retry policy = {s->client->max_attempts, 100, 20000,
	    awsreq_prepare, classify, 0};
	struct http_response *resps = NULL;
	struct http_request *reqs = NULL;
	struct s3call *calls = NULL;
	unsigned char sha[32];
	char what[1200], *got;
	size_t i;
	int rc = -1, failed = 0;

	for (i = 0; i < n; i++)
		puts[i].outcome = S3_PUT_NOT_SENT;
	if (n == 0)
		return (0);
	calls = calloc(n, sizeof(*calls));
	reqs = calloc(n, sizeof(*reqs));
	resps = calloc(n, sizeof(*resps));
	if (calls == NULL || reqs == NULL || resps == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (call_init(&calls[i], s, "PUT", bucket, puts[i].key, NULL))
			goto done;
		calls[i].ar.body = puts[i].body;
		calls[i].ar.body_len = puts[i].len;
		if (digest_sha256(puts[i].body, puts[i].len, sha) ||
		    digest_base64(sha, sizeof(sha), calls[i].sha,
		        sizeof(calls[i].sha)) ||
		    awsreq_header(&calls[i].ar, "Content-Type",
		        puts[i].content_type) ||
		    awsreq_header(&calls[i].ar, "x-amz-checksum-sha256",
		        calls[i].sha) ||
		    awsreq_header(&calls[i].ar, "x-amz-meta-sha256",
		        puts[i].sha256_hex) ||
		    (puts[i].create_only &&
		        awsreq_header(&calls[i].ar, "If-None-Match", "*")) ||
		    awsreq_build(&calls[i].ar)) {
			err_set(EX_SOFTWARE, "cannot build PutObject %.200s",
			    puts[i].key);
			goto done;
		}
		memcpy(puts[i].checksum, calls[i].sha,
		    sizeof(puts[i].checksum));
		calls[i].ar.http.max_response = XML_MAX;
		reqs[i] = calls[i].ar.http;
		reqs[i].ctx = &calls[i].ar;
	}
	/* http_do_many works on its own array of requests; each one's ctx
	 * still points at its awsreq, which prepare signs into. */
	/* Failures are reported below, with the key they belong to. */
	(void)http_do_many(reqs, resps, n, &policy, parallel ? parallel : 1);
	/* Every answer is looked at, so that the caller knows each object
	 * stored (to take back what a refused write left). */
	for (i = 0; i < n; i++) {
		puts[i].outcome = S3_PUT_FAILED;
		snprintf(what, sizeof(what), "PutObject %.1100s", puts[i].key);
		if (puts[i].create_only && !resps[i].transport_error &&
		    resps[i].status == 412) {
			puts[i].outcome = S3_PUT_EXISTS;
			continue;
		}
		if (resps[i].transport_error || resps[i].status < 200 ||
		    resps[i].status >= 300) {
			/* status 0 without a transport error: prepare failed
			 * and reported */
			if (resps[i].status != 0 || resps[i].transport_error)
				report(s, what, &resps[i]);
			failed = 1;
			continue;
		}
		puts[i].outcome = S3_PUT_STORED;
		puts[i].version_id = http_response_header(&resps[i],
		    "x-amz-version-id");
		puts[i].etag = http_response_header(&resps[i], "etag");
		/* S3 answers with the checksum it computed; it matches ours or
		 * it would have refused the upload (BadDigest). */
		got = http_response_header(&resps[i], "x-amz-checksum-sha256");
		if (got != NULL && strcmp(got, calls[i].sha) != 0) {
			err_set(EX_UNAVAILABLE,
			    "S3 %s: stored checksum %s, "
			    "expected %s",
			    what, got, calls[i].sha);
			failed = 1;
		}
		free(got);
	}
	rc = failed ? -1 : 0;
done:
	for (i = 0; calls != NULL && i < n; i++) {
		http_response_free(&resps[i]);
		call_free(&calls[i]);
	}
	free(calls);
	free(reqs);
	free(resps);
	return (rc);
}

void
s3_put_free(struct s3_put *puts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(puts[i].version_id);
		free(puts[i].etag);
		puts[i].version_id = puts[i].etag = NULL;
	}
}

static int
fetch_object(struct s3 *s, const char *method, const char *bucket,
    const char *key, const char *version_id, size_t max, struct s3_object *out)
{
	struct http_response resp;
	struct s3call c;
	struct buf q;
	char what[1200], *len;
	int rc = -1, r;

	memset(out, 0, sizeof(*out));
	memset(&resp, 0, sizeof(resp));
	memset(&c, 0, sizeof(c));
	buf_init(&out->body, max);
	buf_init(&q, 4096);
	snprintf(what, sizeof(what), "%s s3://%.64s/%.1024s",
	    strcmp(method, "GET") == 0 ? "GetObject" : "HeadObject", bucket,
	    key);
	if (version_id != NULL &&
	    (buf_addstr(&q, "versionId=") ||
	        sigv4_uri_encode(&q, version_id, strlen(version_id), 0))) {
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	if (call_init(&c, s, method, bucket, key, q.data) ||
	    awsreq_header(&c.ar, "x-amz-checksum-mode", "ENABLED") ||
	    awsreq_build(&c.ar))
		goto done;
	if ((r = call_send(s, &c, max, &resp, what)) < 0)
		goto done;
	if (r > 0) {
		report(s, what, &resp);
		goto done;
	}
	if (strcmp(method, "GET") == 0) {
		out->body = resp.body;
		buf_init(&resp.body, 0);
		out->size = (long long)out->body.len;
	} else if ((len = http_response_header(&resp, "content-length")) !=
	           NULL) {
		/* one that is not a byte count leaves the size unknown (0) */
		(void)num_parse(len, 0, LLONG_MAX, &out->size);
		free(len);
	}
	out->version_id = http_response_header(&resp, "x-amz-version-id");
	out->checksum_sha256 = http_response_header(&resp,
	    "x-amz-checksum-sha256");
	out->meta_sha256 = http_response_header(&resp, "x-amz-meta-sha256");
	out->content_type = http_response_header(&resp, "content-type");
	rc = 0;
done:
	http_response_free(&resp);
	call_free(&c);
	buf_free(&q);
	if (rc != 0)
		s3_object_free(out);
	return (rc);
}

int
s3_get_object(struct s3 *s, const char *bucket, const char *key,
    const char *version_id, size_t max, struct s3_object *out)
{
	return (fetch_object(s, "GET", bucket, key, version_id, max, out));
}

int
s3_head_object(struct s3 *s, const char *bucket, const char *key,
    const char *version_id, struct s3_object *out)
{
	return (fetch_object(s, "HEAD", bucket, key, version_id, 0, out));
}

void
s3_object_free(struct s3_object *o)
{
	buf_free(&o->body);
	free(o->version_id);
	free(o->checksum_sha256);
	free(o->meta_sha256);
	free(o->content_type);
	o->version_id = o->checksum_sha256 = o->meta_sha256 = NULL;
	o->content_type = NULL;
}

/* Append "&NAME=VALUE" (VALUE encoded) to Q. */
static int
query_param(struct buf *q, const char *name, const char *value)
{
	return (buf_printf(q, "&%s=", name) ||
	        sigv4_uri_encode(q, value, strlen(value), 0));
}

int
s3_list_versions(struct s3 *s, const char *bucket, const char *prefix,
    int (*on_version)(const struct s3xml_version *v, void *ctx), void *ctx)
{
	struct s3xml_versions page;
	struct http_response resp;
	char *key_marker = NULL, *vid_marker = NULL;
	char what[128];
	struct s3call c;
	struct buf q;
	size_t i;
	int rc = -1, r, more = 1;

	memset(&page, 0, sizeof(page));
	memset(&resp, 0, sizeof(resp));
	memset(&c, 0, sizeof(c));
	buf_init(&q, 8192);
	snprintf(what, sizeof(what), "ListObjectVersions %.64s", bucket);
	while (more) {
		buf_reset(&q);
		/* URL-encoded keys: XML 1.0 cannot carry every byte a key
		 * may hold; s3xml decodes them. */
		if (buf_addstr(&q, "encoding-type=url&versions") ||
		    query_param(&q, "prefix", prefix) ||
		    (key_marker != NULL &&
		        query_param(&q, "key-marker", key_marker)) ||
		    (vid_marker != NULL &&
		        query_param(&q, "version-id-marker", vid_marker))) {
			err_set(EX_SOFTWARE, "out of memory");
			goto done;
		}
		if (call_init(&c, s, "GET", bucket, NULL, q.data) ||
		    awsreq_build(&c.ar) ||
		    (r = call_send(s, &c, XML_MAX, &resp, what)) < 0)
			goto done;
		if (r > 0) {
			report(s, what, &resp);
			goto done;
		}
		if (s3xml_parse_versions(resp.body.data ? resp.body.data : "",
		        resp.body.len, &page))
			goto done;
		for (i = 0; i < page.n; i++)
			if (on_version(&page.v[i], ctx))
				goto done;
		free(key_marker);
		free(vid_marker);
		key_marker = page.next_key_marker;
		vid_marker = page.next_version_id_marker;
		page.next_key_marker = page.next_version_id_marker = NULL;
		/* A truncated page without a marker would loop forever. */
		more = page.is_truncated && key_marker != NULL;
		s3xml_versions_free(&page);
		http_response_free(&resp);
		call_free(&c);
	}
	rc = 0;
done:
	s3xml_versions_free(&page);
	http_response_free(&resp);
	call_free(&c);
	buf_free(&q);
	free(key_marker);
	free(vid_marker);
	return (rc);
}

/* One DeleteObjects request for LIST[0..N). */
static int
delete_batch(struct s3 *s, const char *bucket,
    const struct s3_key_version *list, size_t n)
{
	struct s3xml_delete_result res;
	struct http_response resp;
	struct s3call c;
	struct buf body;
	unsigned char md5[16];
	char what[128];
	size_t i;
	int rc = -1, r;

	memset(&res, 0, sizeof(res));
	memset(&resp, 0, sizeof(resp));
	memset(&c, 0, sizeof(c));
	buf_init(&body, (size_t)64 << 20);
	snprintf(what, sizeof(what), "DeleteObjects %.64s", bucket);
	if (buf_addstr(&body, "<Delete xmlns=\"http://s3.amazonaws.com/doc/"
	                      "2006-03-01/\"><Quiet>true</Quiet>"))
		goto oom;
	for (i = 0; i < n; i++) {
		if (buf_addstr(&body, "<Object><Key>") ||
		    s3xml_escape(&body, list[i].key) ||
		    buf_addstr(&body, "</Key>"))
			goto oom;
		if (list[i].version_id != NULL &&
		    (buf_addstr(&body, "<VersionId>") ||
		        s3xml_escape(&body, list[i].version_id) ||
		        buf_addstr(&body, "</VersionId>")))
			goto oom;
		if (buf_addstr(&body, "</Object>"))
			goto oom;
	}
	if (buf_addstr(&body, "</Delete>"))
		goto oom;
	if (call_init(&c, s, "POST", bucket, NULL, "delete"))
		goto done;
	c.ar.body = body.data;
	c.ar.body_len = body.len;
	if (digest_md5(body.data, body.len, md5) ||
	    digest_base64(md5, sizeof(md5), c.md5, sizeof(c.md5)) ||
	    awsreq_header(&c.ar, "Content-MD5", c.md5) ||
	    awsreq_header(&c.ar, "Content-Type", "application/xml") ||
	    awsreq_build(&c.ar))
		goto oom;
	if ((r = call_send(s, &c, XML_MAX, &resp, what)) < 0)
		goto done;
	if (r > 0) {
		report(s, what, &resp);
		goto done;
	}
	if (s3xml_parse_delete_result(resp.body.data ? resp.body.data : "",
	        resp.body.len, &res))
		goto done;
	if (res.nerrors > 0) {
		snprintf(s->last_code, sizeof(s->last_code), "%s",
		    res.errors[0].code);
		err_set(error_class(res.errors[0].code, 400),
		    "S3 %s: %.1024s: %s: %s (%zu keys not deleted)", what,
		    res.errors[0].key ? res.errors[0].key : "?",
		    res.errors[0].code, res.errors[0].message, res.nerrors);
		goto done;
	}
	rc = 0;
	goto done;
oom:
	err_set(EX_SOFTWARE, "cannot build %s", what);
done:
	s3xml_delete_result_free(&res);
	http_response_free(&resp);
	call_free(&c);
	buf_free(&body);
	return (rc);
}

int
s3_delete_objects(struct s3 *s, const char *bucket,
    const struct s3_key_version *list, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < DELETE_BATCH ? n - i : DELETE_BATCH;
		if (delete_batch(s, bucket, list + i, k))
			return (-1);
	}
	return (0);
}

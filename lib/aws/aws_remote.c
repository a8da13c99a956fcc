#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "aws_remote.h"
#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "err.h"
#include "http.h"
#include "jsonio.h"

#define ECS_HOST "http://169.254.170.2"
#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_TOKEN_TTL "21600"

int
aws_remote_parse(const char *text, size_t len, const char *source,
    struct aws_credentials *out)
{
	cJSON *doc;
	const char *ak, *sk, *tok, *exp;
	int rc = -1;

	err_quiet(1); /* the parse error is reported below, naming SOURCE */
	doc = jsonio_parse(text, len, source);
	err_quiet(0);
	err_clear();
	ak = jsonio_string(doc, "AccessKeyId");
	sk = jsonio_string(doc, "SecretAccessKey");
	tok = jsonio_string(doc, "Token");
	exp = jsonio_string(doc, "Expiration");
	if (ak == NULL || sk == NULL) {
		err_set(EX_UNAVAILABLE,
		    "%s: answer has no AccessKeyId and "
		    "SecretAccessKey",
		    source);
		goto done;
	}
	memset(out, 0, sizeof(*out));
	if (exp != NULL && clock_parse_rfc3339(exp, &out->expiration)) {
		err_set(EX_UNAVAILABLE, "%s: bad Expiration '%.40s'", source,
		    exp);
		goto done;
	}
	out->access_key_id = strdup(ak);
	out->secret_access_key = strdup(sk);
	out->session_token = tok ? strdup(tok) : NULL;
	snprintf(out->source, sizeof(out->source), "%s", source);
	rc = 0;
done:
	if (doc != NULL) {
		/* Wipe the secret inside the parsed tree before freeing. */
		cJSON *s = cJSON_GetObjectItem(doc, "SecretAccessKey");
		if (cJSON_IsString(s))
			OPENSSL_cleanse(s->valuestring, strlen(s->valuestring));
		cJSON_Delete(doc);
	}
	return (rc);
}

/* Container endpoints: loopback over http, or anything over https. */
static int
allowed_full_uri(const char *uri)
{
	static const char *ok[] = {"http://127.0.0.1", "http://localhost",
	    "http://[::1]", "http://169.254.170.2", "http://169.254.170.23",
	    "http://[fd00:ec2::23]", NULL};
	size_t i, n;

	if (strncmp(uri, "https://", 8) == 0)
		return (1);
	for (i = 0; ok[i] != NULL; i++) {
		n = strlen(ok[i]);
		if (strncmp(uri, ok[i], n) == 0 &&
		    (uri[n] == '/' || uri[n] == ':' || uri[n] == '\0'))
			return (1);
	}
	return (0);
}

/* The container authorization token: the _FILE wins, as in the SDKs. */
static char *
container_token(void)
{
	const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *line = NULL, *nl;
	size_t alloc = 0;
	FILE *f;

	if (file != NULL && *file != '\0') {
		if ((f = fopen(file, "r")) == NULL)
			return (NULL);
		if (getline(&line, &alloc, f) < 0) {
			free(line);
			line = NULL;
		} else if ((nl = strpbrk(line, "\r\n")) != NULL) {
			*nl = '\0';
		}
		fclose(f);
		return (line);
	}
	return (tok != NULL && *tok != '\0' ? strdup(tok) : NULL);
}

/* Refuse on 401/403; retry transport errors and 5xx (the default). */
static enum http_verdict
classify_remote(const struct http_request *req,
    const struct http_response *resp)
{
	(void)req;
	if (resp->transport_error)
		return (HTTP_RETRY);
	return (resp->status >= 500 || resp->status == 429 ? HTTP_RETRY
	                                                   : HTTP_DONE);
}

/* Report a failed fetch from SOURCE as EX_NOPERM or EX_UNAVAILABLE. */
static void
report(const char *source, const struct http_response *resp)
{
	if (resp->transport_error)
		http_fail(resp, EX_UNAVAILABLE, "%s: %s", source, resp->error);
	else if (resp->status == 401 || resp->status == 403)
		http_fail(resp, EX_NOPERM, "%s: credentials refused (HTTP %ld)",
		    source, resp->status);
	else
		http_fail(resp, EX_UNAVAILABLE, "%s: HTTP %ld", source,
		    resp->status);
}

/* One request to a credential endpoint: METHOD URL with one header NAME
 * (none if NULL), ATTEMPTS tries, the given timeouts, and a small answer.
 * Returns as http_do. */
static int
remote_call(const char *method, const char *url, const char *name,
    const char *value, int attempts, long connect_ms, long timeout_ms,
    struct http_response *resp)
{
	struct http_retry policy = {attempts, 100, 1000, NULL, classify_remote,
	    0};
	struct http_request req;
	struct http_field h = {name, value};

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.connect_timeout_ms = connect_ms;
	req.timeout_ms = timeout_ms;
	req.max_response = 64 * 1024;
	if (name != NULL) {
		req.headers = &h;
		req.nheaders = 1;
	}
	return (http_do(&req, resp, &policy));
}

int
aws_remote_container(struct aws_credentials *out)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct http_response resp;
	struct buf url;
	char *token = NULL;
	int rc = -1;

	if ((rel == NULL || *rel == '\0') && (full == NULL || *full == '\0'))
		return (1);
	buf_init(&url, 8192);
	if (rel != NULL && *rel != '\0')
		buf_printf(&url, "%s%s", ECS_HOST, rel);
	else if (allowed_full_uri(full))
		buf_addstr(&url, full);
	else {
		err_set(EX_CONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be "
		                   "https or a loopback http address");
		goto done;
	}
	token = container_token();
	if (remote_call("GET", url.data, token ? "Authorization" : NULL, token,
	        3, 2000, 5000, &resp) != 0 ||
	    resp.status != 200)
		report("container credentials", &resp);
	else
		rc = aws_remote_parse(resp.body.data, resp.body.len,
		    "container credentials", out);
	http_response_free(&resp);
done:
	digest_free_secret(token);
	buf_free(&url);
	return (rc);
}

/* One IMDS request: METHOD BASE+PATH with the session token (or, for
 * the token PUT, the TTL header).  The metadata service answers in
 * microseconds or not at all, hence the short timeouts.  Returns as
 * http_do. */
static int
imds_call(const char *base, const char *method, const char *path,
    const char *token, struct http_response *resp)
{
	struct buf url;
	int rc = -1;

	buf_init(&url, 4096);
	if (buf_addstr(&url, base) == 0 && buf_addstr(&url, path) == 0)
		rc = token != NULL ? remote_call(method, url.data,
		                         "X-aws-ec2-metadata-token", token, 2,
		                         1000, 2000, resp)
		                   : remote_call(method, url.data,
		                         "X-aws-ec2-metadata-token-ttl-seconds",
		                         IMDS_TOKEN_TTL, 2, 1000, 2000, resp);
	else
		memset(resp, 0, sizeof(*resp));
	buf_free(&url);
	return (rc);
}

int
aws_remote_imds(struct aws_credentials *out)
{
	const char *env = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *base = env != NULL && *env != '\0' ? env : IMDS_DEFAULT;
	const char *cpath = "/latest/meta-data/iam/security-credentials/";
	struct http_response resp;
	struct buf path;
	char *token = NULL, *role = NULL;
	size_t blen = strlen(base);
	char b[512];
	int rc = -1;

	buf_init(&path, 4096);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	snprintf(b, sizeof(b), "%.*s", (int)blen, base);
	/* 1. a session token (IMDSv2).  No answer at all: not on
	 * EC2, so the chain ends without credentials. */
	if (imds_call(b, "PUT", "/latest/api/token", NULL, &resp)) {
		err_debug("instance metadata: %s", resp.error);
		http_response_free(&resp);
		rc = 1;
		goto done;
	}
	if (resp.status != 200) {
		report("instance metadata token", &resp);
		http_response_free(&resp);
		goto done;
	}
	token = strdup(resp.body.data ? resp.body.data : "");
	http_response_free(&resp);
	if (token == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	/* 2. the instance profile's role name */
	if (imds_call(b, "GET", cpath, token, &resp) || resp.status != 200 ||
	    resp.body.len == 0) {
		if (resp.status == 404)
			err_set(EX_CONFIG, "instance metadata: this "
			                   "instance has no IAM role");
		else
			report("instance metadata role", &resp);
		http_response_free(&resp);
		goto done;
	}
	role = strndup(resp.body.data, strcspn(resp.body.data, "\r\n"));
	http_response_free(&resp);
	/* 3. the role's credentials */
	if (role == NULL || buf_printf(&path, "%s%s", cpath, role))
		goto done;
	if (imds_call(b, "GET", path.data, token, &resp) || resp.status != 200)
		report("instance metadata credentials", &resp);
	else
		rc = aws_remote_parse(resp.body.data, resp.body.len,
		    "instance metadata", out);
	http_response_free(&resp);
done:
	digest_free_secret(token);
	free(role);
	buf_free(&path);
	return (rc);
}

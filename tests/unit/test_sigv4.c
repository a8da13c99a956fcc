/*
 * test_sigv4 [--form header|query] CASEDIR...: sign each case of AWS's
 * SigV4 test suite (request.txt + context.json) and compare every stage
 * with the suite's files: canonical request, string to sign, signature
 * and, for the query form, the query that is sent.  Prints one line per
 * case ("ok NAME" or "FAIL NAME: stage" with both texts) and exits 1 if
 * any case failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "sigv4.h"

#define MAX_HEADERS 32

struct vector {
	char method[16];
	char *path;
	char *query;
	struct sigv4_header headers[MAX_HEADERS];
	size_t nheaders;
	char *body; /* NULL if none */
	cJSON *context;
};

/* The whole file DIR/NAME as a C string without one trailing newline. */
static char *
slurp(const char *dir, const char *name)
{
	char path[4096];
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return (buf_detach(&b));
}

/* Parse request.txt: "METHOD PATH[?QUERY] HTTP/1.1", headers (a line
 * starting with white space continues the previous value), blank line,
 * body. */
static int
parse_request(char *text, struct vector *v)
{
	char *line, *next, *sp, *http, *q, *colon;

	next = strchr(text, '\n');
	if (next != NULL)
		*next++ = '\0';
	line = text;
	sp = strchr(line, ' ');
	http = strstr(line, " HTTP/");
	if (sp == NULL || http == NULL || (size_t)(sp - line) >= 16)
		return (-1);
	memcpy(v->method, line, (size_t)(sp - line));
	*http = '\0';
	v->path = sp + 1;
	if ((q = strchr(v->path, '?')) != NULL) {
		*q = '\0';
		v->query = q + 1;
	}
	while ((line = next) != NULL) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0') {
			v->body = next;
			break;
		}
		if ((*line == ' ' || *line == '\t') && v->nheaders > 0) {
			/* A folded line: the previous value continues; the
			 * newline between them is kept for the signer. */
			line[-1] = '\n';
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL ||
		    v->nheaders == MAX_HEADERS)
			return (-1);
		*colon = '\0';
		v->headers[v->nheaders].name = line;
		v->headers[v->nheaders++].value = colon + 1;
	}
	return (0);
}

static int
check(const char *name, const char *stage, const char *got, const char *want)
{
	if (want != NULL && got != NULL && strcmp(got, want) == 0)
		return (0);
	printf("FAIL %s: %s\n--- want\n%s\n--- got\n%s\n", name, stage,
	    want ? want : "(missing file)", got ? got : "(null)");
	return (-1);
}

/* The query of the expected signed request's first line. */
static char *
signed_query(const char *dir)
{
	char *text = slurp(dir, "query-signed-request.txt"), *q, *end;
	char *out = NULL;

	if (text == NULL)
		return (NULL);
	q = strchr(text, '?');
	end = strstr(text, " HTTP/");
	if (q != NULL && end != NULL && end > q)
		out = strndup(q + 1, (size_t)(end - q - 1));
	free(text);
	return (out);
}

/* Split a query into its parameters, sorted, so that the order in which
 * the suite happens to list them does not matter. */
static char *
sorted_params(const char *q)
{
	char *copy = strdup(q ? q : ""), *p, *parts[64], *save = NULL;
	struct buf b;
	size_t n = 0, i, j;

	for (p = strtok_r(copy, "&", &save); p && n < 64;
	     p = strtok_r(NULL, "&", &save))
		parts[n++] = p;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(parts[j - 1], parts[j]) > 0; j--) {
			p = parts[j];
			parts[j] = parts[j - 1];
			parts[j - 1] = p;
		}
	buf_init(&b, 1 << 16);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? "&" : "", parts[i]);
	free(copy);
	return (buf_detach(&b));
}

static int
run_case(const char *dir, int query_form)
{
	struct vector v;
	struct sigv4_credentials creds;
	struct sigv4_scope scope;
	struct sigv4_request req;
	struct sigv4_result r;
	const cJSON *c, *cr;
	const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	const char *pre = query_form ? "query" : "header";
	char file[64], hash[65], *text, *want, *got_q = NULL, *want_q = NULL;
	int failed = 0;

	memset(&v, 0, sizeof(v));
	text = slurp(dir, "request.txt");
	want = slurp(dir, "context.json");
	v.context = want ? cJSON_Parse(want) : NULL;
	free(want);
	if (text == NULL || v.context == NULL || parse_request(text, &v)) {
		printf("FAIL %s: cannot read the case\n", name);
		free(text);
		cJSON_Delete(v.context);
		return (-1);
	}
	c = v.context;
	cr = cJSON_GetObjectItem(c, "credentials");
	creds.access_key_id = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cr, "access_key_id"));
	creds.secret_access_key = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cr, "secret_access_key"));
	creds.session_token = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cr, "token"));
	scope.region = cJSON_GetStringValue(cJSON_GetObjectItem(c, "region"));
	scope.service = cJSON_GetStringValue(cJSON_GetObjectItem(c, "service"));
	clock_parse_rfc3339(
	    cJSON_GetStringValue(cJSON_GetObjectItem(c, "timestamp")),
	    &scope.when);

	memset(&req, 0, sizeof(req));
	req.method = v.method;
	req.path = v.path;
	req.query = v.query;
	req.headers = v.headers;
	req.nheaders = v.nheaders;
	digest_sha256_hex(v.body ? v.body : "", v.body ? strlen(v.body) : 0,
	    hash);
	req.payload_hash = hash;
	if (cJSON_IsTrue(cJSON_GetObjectItem(c, "normalize")))
		req.flags |= SIGV4_NORMALIZE_PATH;
	if (cJSON_IsTrue(cJSON_GetObjectItem(c, "sign_body")) && !query_form)
		req.flags |= SIGV4_CONTENT_SHA256;
	if (cJSON_IsTrue(cJSON_GetObjectItem(c, "omit_session_token")))
		req.flags |= SIGV4_TOKEN_UNSIGNED;

	if (query_form ? sigv4_sign_query(&creds, &scope, &req,
	                     (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(
	                         c, "expiration_in_seconds")),
	                     &r)
	               : sigv4_sign_headers(&creds, &scope, &req, &r)) {
		printf("FAIL %s: signing failed\n", name);
		failed = 1;
		goto done;
	}
#define STAGE(suffix, got)                                          \
	do {                                                        \
		snprintf(file, sizeof(file), "%s-%s", pre, suffix); \
		want = slurp(dir, file);                            \
		failed |= check(name, file, got, want) != 0;        \
		free(want);                                         \
	} while (0)
	STAGE("canonical-request.txt", r.canonical_request);
	STAGE("string-to-sign.txt", r.string_to_sign);
	STAGE("signature.txt", r.signature);
#undef STAGE
	if (query_form) {
		/* The sent query holds the same parameters as the suite's. */
		want = signed_query(dir);
		got_q = sorted_params(r.query);
		want_q = sorted_params(want);
		failed |= check(name, "query-signed-request.txt", got_q,
		              want_q) != 0;
		free(want);
	}
	sigv4_result_free(&r);
	if (!failed)
		printf("ok %s\n", name);
done:
	free(got_q);
	free(want_q);
	free(text);
	cJSON_Delete(v.context);
	return (failed ? -1 : 0);
}

int
main(int argc, char *argv[])
{
	int i = 1, query_form = 0, failed = 0;

	if (argc > 2 && strcmp(argv[1], "--form") == 0) {
		query_form = strcmp(argv[2], "query") == 0;
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: test_sigv4 [--form header|query] "
		                "CASEDIR...\n");
		return (64);
	}
	for (; i < argc; i++)
		if (run_case(argv[i], query_form))
			failed++;
	return (failed ? 1 : 0);
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anthropic.h"
#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "env.h"
#include "err.h"
#include "http.h"
#include "jsonio.h"
#include "msgstream.h"
#include "sse.h"

#define ERROR_KEEP ((size_t)64 << 10)   /* an error answer's bytes kept */
#define MESSAGE_MAX ((size_t)16 << 20)  /* a reply's content */
#define SSE_EVENT_MAX ((size_t)4 << 20) /* one event */
#define RESULTS_MAX ((size_t)512 << 20) /* a batch's results */
#define DEFAULT_TIMEOUT_MS (10L * 60 * 1000)
#define TEXT_MAX ((size_t)64 << 10) /* a URL or header built here */

static char *
env_dup(const char *name)
{
	const char *s = getenv(name);

	return (s != NULL && *s != '\0' ? strdup(s) : NULL);
}

int
anthropic_init(struct anthropic *a)
{
	long attempts;
	size_t n;

	memset(a, 0, sizeof(*a));
	a->api_key = env_dup("ANTHROPIC_API_KEY");
	a->auth_token = env_dup("ANTHROPIC_AUTH_TOKEN");
	a->base = env_dup("ANTHROPIC_BASE_URL");
	if (a->base == NULL)
		a->base = strdup(ANTHROPIC_DEFAULT_BASE);
	if (a->base == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	for (n = strlen(a->base); n > 0 && a->base[n - 1] == '/'; n--)
		a->base[n - 1] = '\0';
	if (strncmp(a->base, "https://", 8) != 0 &&
	    strncmp(a->base, "http://", 7) != 0) {
		err_set(EX_CONFIG, "ANTHROPIC_BASE_URL must be an http(s) URL");
		return (-1);
	}
	if (a->api_key == NULL && a->auth_token == NULL) {
		err_set(EX_CONFIG, "no Claude API key: set ANTHROPIC_API_KEY "
		                   "(or ANTHROPIC_AUTH_TOKEN)");
		return (-1);
	}
	if (env_long("CSC_MAX_ATTEMPTS", 1, 20, 5, &attempts) ||
	    env_long("CSC_TIMEOUT_MS", 1, 3600000, DEFAULT_TIMEOUT_MS,
	        &a->timeout_ms))
		return (-1);
	a->max_attempts = (int)attempts;
	return (0);
}

void
anthropic_free(struct anthropic *a)
{
	digest_free_secret(a->api_key);
	digest_free_secret(a->auth_token);
	free(a->base);
	a->api_key = a->auth_token = a->base = NULL;
}

/* One request to the API, its attempts and, when it streams, the reply
 * being rebuilt. */
struct call {
	struct anthropic *a;
	struct http_request http;
	struct http_field fields[4];
	char *bearer;
	int stream;
	struct sse_parser *sse;
	struct msgstream *ms;
	struct buf kept;      /* the first bytes of the body: error JSON */
	long long started_ms; /* of the attempt */
	long long shown_ms;   /* last progress line */
	size_t received;      /* bytes of this attempt */
	int progress_shown;
};

static int
on_event(const struct sse_event *ev, void *ctx)
{
	struct call *c = ctx;
	enum msgstream_state st;

	st = msgstream_event(c->ms, ev->type, ev->data, ev->data_len);
	return (st == MSGSTREAM_ERROR || st == MSGSTREAM_BROKEN ? 1 : 0);
}

/* Progress on a terminal: bytes and seconds, five times a second. */
static void
show_progress(struct call *c, int last)
{
	long long now = clock_monotonic_ms();
	long tokens;

	if (!c->a->progress || c->ms == NULL)
		return;
	if (last) {
		if (c->progress_shown)
			err_progress(NULL);
		return;
	}
	if (now - c->shown_ms < 200)
		return;
	c->shown_ms = now;
	c->progress_shown = 1;
	/* Output tokens arrive with the last event; until then, roughly four
	 * bytes of JSON per token. */
	if ((tokens = msgstream_output_tokens(c->ms)) <= 1)
		tokens = (long)(c->received / 4);
	err_progress("~%ld tokens, %.1f s", tokens,
	    (double)(now - c->started_ms) / 1000.0);
}

static int
on_body(const char *p, size_t n, void *ctx)
{
	struct call *c = ctx;
	size_t room = c->kept.len < ERROR_KEEP ? ERROR_KEEP - c->kept.len : 0;

	(void)buf_add(&c->kept, p, n < room ? n : room);
	c->received += n;
	if (c->sse != NULL) {
		if (sse_feed(c->sse, p, n) != 0)
			return (1);
		show_progress(c, 0);
	}
	return (0);
}

/* Before every attempt: a fresh parser and reply. */
static int
prepare(struct http_request *http)
{
	struct call *c = http->ctx;

	buf_reset(&c->kept);
	c->received = 0;
	c->started_ms = clock_monotonic_ms();
	if (!c->stream)
		return (0);
	sse_free(c->sse);
	msgstream_free(c->ms);
	c->sse = sse_new(SSE_EVENT_MAX, on_event, c);
	c->ms = msgstream_new(MESSAGE_MAX);
	if (c->sse == NULL || c->ms == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	return (0);
}

/* The error an answer (or a stream) carries: type and message. */
static void
answer_error(const struct call *c, const struct http_response *resp, char *type,
    size_t tsize, char *msg, size_t msize)
{
	cJSON *doc = NULL;
	const cJSON *e;

	type[0] = msg[0] = '\0';
	if (c->ms != NULL && (msgstream_state(c->ms) == MSGSTREAM_ERROR ||
	                         msgstream_state(c->ms) == MSGSTREAM_BROKEN)) {
		snprintf(type, tsize, "%s", msgstream_error_type(c->ms));
		snprintf(msg, msize, "%s", msgstream_error_message(c->ms));
		return;
	}
	if (resp->status < 300 || c->kept.len == 0)
		return;
	doc = cJSON_ParseWithLength(c->kept.data, c->kept.len);
	e = cJSON_GetObjectItemCaseSensitive(doc, "error");
	if (jsonio_string(e, "type") != NULL)
		snprintf(type, tsize, "%s", jsonio_string(e, "type"));
	if (jsonio_string(e, "message") != NULL)
		snprintf(msg, msize, "%s", jsonio_string(e, "message"));
	cJSON_Delete(doc);
}

/* A 429 that more waiting will not cure. */
static int
spend_limit(const char *type, const char *msg)
{
	return (strcmp(type, "rate_limit_error") == 0 &&
	        (strstr(msg, "spend limit") != NULL ||
	            strstr(msg, "credit balance") != NULL));
}

static int
retryable_type(const char *type)
{
	return (strcmp(type, "overloaded_error") == 0 ||
	        strcmp(type, "api_error") == 0 ||
	        strcmp(type, "rate_limit_error") == 0 ||
	        strcmp(type, "timeout_error") == 0 ||
	        strcmp(type, "stream_error") == 0);
}

static enum http_verdict
classify(const struct http_request *req, const struct http_response *resp)
{
	const struct call *c = req->ctx;
	char type[64], msg[512], *should;
	int r;

	answer_error(c, resp, type, sizeof(type), msg, sizeof(msg));
	if (resp->transport_error) {
		if (resp->too_large)
			return (HTTP_DONE);
		/* Aborted by an error event: as that error's type says. */
		if (resp->aborted)
			return (retryable_type(type) && !spend_limit(type, msg)
			            ? HTTP_RETRY
			            : HTTP_DONE);
		return (HTTP_RETRY); /* connection errors and timeouts */
	}
	if (resp->status >= 200 && resp->status < 300) {
		/* A stream that ends without message_stop was cut short. */
		if (c->stream && msgstream_state(c->ms) != MSGSTREAM_DONE)
			return (HTTP_RETRY);
		return (HTTP_DONE);
	}
	if ((should = http_response_header(resp, "x-should-retry")) != NULL) {
		r = strcmp(should, "true") == 0;
		free(should);
		return (r && !spend_limit(type, msg) ? HTTP_RETRY : HTTP_DONE);
	}
	if (spend_limit(type, msg))
		return (HTTP_DONE);
	if (resp->status == 408 || resp->status == 409 || resp->status == 429 ||
	    resp->status >= 500)
		return (HTTP_RETRY);
	return (HTTP_DONE);
}

static int
error_class(const char *type, long status, const char *msg)
{
	if (spend_limit(type, msg) || strcmp(type, "rate_limit_error") == 0 ||
	    status == 429)
		return (EX_TEMPFAIL);
	if (strcmp(type, "authentication_error") == 0 ||
	    strcmp(type, "permission_error") == 0 || status == 401 ||
	    status == 403)
		return (EX_NOPERM);
	if (strcmp(type, "not_found_error") == 0 || status == 404)
		return (EX_CONFIG);
	if (strcmp(type, "invalid_request_error") == 0 ||
	    strcmp(type, "request_too_large") == 0 || status == 400 ||
	    status == 413)
		return (EX_DATAERR);
	return (EX_UNAVAILABLE);
}

/* The parameter MSG names in the API's "PARAM: problem" form (a dotted
 * path of letters, digits and '_'), into OUT; "" if it names none. */
static void
error_param(const char *msg, char *out, size_t size)
{
	size_t n = strspn(msg, "abcdefghijklmnopqrstuvwxyz"
	                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");

	out[0] = '\0';
	if (n > 0 && n < size && msg[n] == ':' && msg[n + 1] == ' ')
		snprintf(out, size, "%.*s", (int)n, msg);
}

static void
report(struct call *c, const struct http_response *resp, const char *what)
{
	struct anthropic *a = c->a;
	char type[64], msg[512];

	answer_error(c, resp, type, sizeof(type), msg, sizeof(msg));
	snprintf(a->error_type, sizeof(a->error_type), "%s", type);
	a->error_status = resp->transport_error ? 0 : resp->status;
	if (a->error_status == 400)
		error_param(msg, a->error_param, sizeof(a->error_param));
	/* on_body stopped the transfer because the parser refused the
	 * stream: its reason, not the transport's "stopped by the reader". */
	if (resp->aborted && c->sse != NULL && sse_error(c->sse)[0] != '\0') {
		snprintf(a->error_type, sizeof(a->error_type), "%s",
		    "stream_error");
		http_fail(resp, EX_UNAVAILABLE,
		    "Claude %s: the event stream was "
		    "refused: %s (after %d attempt%s)",
		    what, sse_error(c->sse), resp->attempts,
		    resp->attempts == 1 ? "" : "s");
	} else if (type[0] != '\0' && resp->aborted) {
		http_fail(resp, error_class(type, 0, msg),
		    "Claude %s: %s in the stream: %.300s (after %d attempt%s)",
		    what, type, msg, resp->attempts,
		    resp->attempts == 1 ? "" : "s");
	} else if (resp->transport_error) {
		snprintf(a->error_type, sizeof(a->error_type), "%s",
		    "connection_error");
		http_fail(resp, EX_UNAVAILABLE,
		    "Claude %s: %s (after %d attempt%s)", what, resp->error,
		    resp->attempts, resp->attempts == 1 ? "" : "s");
	} else if (resp->status >= 200 && resp->status < 300) {
		snprintf(a->error_type, sizeof(a->error_type), "%s",
		    "stream_error");
		http_fail(resp, EX_UNAVAILABLE,
		    "Claude %s: the stream ended before the "
		    "message did (after %d attempt%s)",
		    what, resp->attempts, resp->attempts == 1 ? "" : "s");
	} else {
		http_fail(resp, error_class(type, resp->status, msg),
		    "Claude %s: HTTP %ld %s: %.300s (after %d attempt%s)", what,
		    resp->status, type[0] ? type : "error",
		    msg[0] ? msg : "no message", resp->attempts,
		    resp->attempts == 1 ? "" : "s");
	}
}

/* Send METHOD URL with BODY (NULL for none).  Returns 0 with a 2xx answer
 * in RESP, or -1 after err_set. */
static int
send_call(struct call *c, const char *method, const char *url, const char *body,
    size_t max, struct http_response *resp, const char *what)
{
	struct anthropic *a = c->a;
	struct http_retry policy = {a->max_attempts, 500, 8000, prepare,
	    classify, 75};
	struct buf bearer;
	size_t n = 0;
	int rc;

	c->fields[n].name = "anthropic-version";
	c->fields[n++].value = ANTHROPIC_VERSION;
	if (a->api_key != NULL) {
		c->fields[n].name = "x-api-key";
		c->fields[n++].value = a->api_key;
	} else {
		/* One allocation, sized before the token is written: no
		 * copy of it is left behind in freed memory. */
		buf_init(&bearer, TEXT_MAX);
		if (c->bearer == NULL &&
		    (buf_printf(&bearer, "Bearer %s", a->auth_token) ||
		        (c->bearer = buf_detach(&bearer)) == NULL)) {
			digest_free_secret(bearer.data);
			err_set(EX_SOFTWARE, "out of memory");
			return (-1);
		}
		c->fields[n].name = "Authorization";
		c->fields[n++].value = c->bearer;
	}
	if (body != NULL) {
		c->fields[n].name = "Content-Type";
		c->fields[n++].value = "application/json";
	}
	c->http.method = method;
	c->http.url = url;
	c->http.headers = c->fields;
	c->http.nheaders = n;
	c->http.body = body;
	c->http.body_len = body ? strlen(body) : 0;
	c->http.timeout_ms = a->timeout_ms;
	c->http.max_response = max;
	c->http.ctx = c;
	c->http.on_body = c->stream ? on_body : NULL;
	c->http.label = what;
	a->request_id[0] = a->error_type[0] = a->error_param[0] = '\0';
	a->error_status = 0;
	rc = http_do(&c->http, resp, &policy);
	show_progress(c, 1);
	{
		char *rid = http_response_header(resp, "request-id");

		if (rid != NULL) {
			snprintf(a->request_id, sizeof(a->request_id), "%s",
			    rid);
			free(rid);
		}
	}
	if (rc != 0 && !resp->transport_error)
		return (-1); /* prepare failed and reported */
	/* Non-streamed bodies land in RESP; keep their start for errors. */
	if (!c->stream && resp->body.len > 0)
		(void)buf_add(&c->kept, resp->body.data,
		    resp->body.len < ERROR_KEEP ? resp->body.len : ERROR_KEEP);
	if (rc == 0 && resp->status >= 200 && resp->status < 300 &&
	    (!c->stream || msgstream_state(c->ms) == MSGSTREAM_DONE))
		return (0);
	report(c, resp, what);
	return (-1);
}

static void
call_init(struct call *c, struct anthropic *a, int stream)
{
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->stream = stream;
	buf_init(&c->kept, ERROR_KEEP);
}

static void
call_free(struct call *c)
{
	sse_free(c->sse);
	msgstream_free(c->ms);
	buf_free(&c->kept);
	digest_free_secret(c->bearer);
	c->sse = NULL;
	c->ms = NULL;
	c->bearer = NULL;
}

/* The JSON body of a 2xx answer, or NULL after err_set. */
static cJSON *
answer_json(const struct http_response *resp, const char *what)
{
	cJSON *doc = NULL;

	if (resp->body.len > 0)
		doc = cJSON_ParseWithLength(resp->body.data, resp->body.len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		err_set(EX_UNAVAILABLE,
		    "Claude %s: the answer is not a JSON "
		    "object",
		    what);
		return (NULL);
	}
	if (jsonio_check_unique(doc, "Claude's answer", EX_UNAVAILABLE)) {
		cJSON_Delete(doc);
		return (NULL);
	}
	return (doc);
}

int
anthropic_messages(struct anthropic *a, const cJSON *req, int stream,
    cJSON **out)
{
	struct http_response resp;
	struct call c;
	struct buf url;
	cJSON *body = NULL;
	char *text = NULL;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	call_init(&c, a, stream);
	buf_init(&url, TEXT_MAX);
	if ((body = cJSON_Duplicate(req, 1)) == NULL ||
	    (cJSON_DeleteItemFromObjectCaseSensitive(body, "stream"),
	        !cJSON_AddBoolToObject(body, "stream", stream)) ||
	    (text = jsonio_print(body)) == NULL ||
	    buf_printf(&url, "%s/v1/messages", a->base)) {
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	if (send_call(&c, "POST", url.data, text, MESSAGE_MAX, &resp,
	        "messages"))
		goto done;
	if (stream)
		*out = cJSON_Duplicate(msgstream_message(c.ms), 1);
	else
		*out = answer_json(&resp, "messages");
	if (*out == NULL)
		goto done;
	rc = 0;
done:
	http_response_free(&resp);
	call_free(&c);
	cJSON_Delete(body);
	free(text);
	buf_free(&url);
	return (rc);
}

/* A JSON call that does not stream: METHOD on URL with BODY. */
static int
json_call(struct anthropic *a, const char *method, const char *url,
    const cJSON *body, size_t max, cJSON **out, const char *what)
{
	struct http_response resp;
	struct call c;
	char *text = NULL;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	call_init(&c, a, 0);
	if (body != NULL && (text = jsonio_print(body)) == NULL)
		goto done;
	if (send_call(&c, method, url, text, max, &resp, what) == 0 &&
	    (*out = answer_json(&resp, what)) != NULL)
		rc = 0;
done:
	http_response_free(&resp);
	call_free(&c);
	free(text);
	return (rc);
}

int
anthropic_batch_create(struct anthropic *a, const cJSON *requests, cJSON **out)
{
	cJSON *body = cJSON_CreateObject();
	struct buf url;
	int rc = -1;

	buf_init(&url, TEXT_MAX);
	if (body == NULL ||
	    buf_printf(&url, "%s/v1/messages/batches", a->base) ||
	    !cJSON_AddItemReferenceToObject(body, "requests",
	        (cJSON *)requests)) {
		err_set(EX_SOFTWARE, "out of memory");
	} else {
		rc = json_call(a, "POST", url.data, body, MESSAGE_MAX, out,
		    "batch create");
	}
	cJSON_Delete(body);
	buf_free(&url);
	return (rc);
}

/* A batch id as the API makes them ("msgbatch_..."): nothing that could
 * change the URL's path. */
static int
valid_batch_id(const char *id)
{
	const char *p;

	if (*id == '\0' || strlen(id) > 128)
		return (0);
	for (p = id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return (0);
	return (1);
}

int
anthropic_batch_get(struct anthropic *a, const char *id, cJSON **out)
{
	struct buf url;
	int rc;

	*out = NULL;
	if (!valid_batch_id(id)) {
		err_set(EX_UNAVAILABLE, "Claude batch: an unusable batch id");
		return (-1);
	}
	buf_init(&url, TEXT_MAX);
	if (buf_printf(&url, "%s/v1/messages/batches/%s", a->base, id)) {
		buf_free(&url);
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	rc = json_call(a, "GET", url.data, NULL, MESSAGE_MAX, out,
	    "batch poll");
	buf_free(&url);
	return (rc);
}

int
anthropic_batch_results(struct anthropic *a, const char *url,
    int (*on_line)(const cJSON *line, void *ctx), void *ctx)
{
	struct http_response resp;
	struct call c;
	const char *p, *end, *nl;
	size_t blen = strlen(a->base);
	cJSON *line;
	int rc = -1;

	memset(&resp, 0, sizeof(resp));
	call_init(&c, a, 0);
	/* The key goes only where the API itself lives. */
	if (strncmp(url, a->base, blen) != 0 || url[blen] != '/') {
		err_set(EX_UNAVAILABLE,
		    "Claude batch: results_url is not on %s", a->base);
		goto done;
	}
	if (send_call(&c, "GET", url, NULL, RESULTS_MAX, &resp,
	        "batch results"))
		goto done;
	p = resp.body.data ? resp.body.data : "";
	end = p + resp.body.len;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p || (nl - p == 1 && *p == '\r'))
			continue;
		if ((line = cJSON_ParseWithLength(p, (size_t)(nl - p))) ==
		    NULL) {
			err_set(EX_UNAVAILABLE, "Claude batch results: a line "
			                        "is not JSON");
			goto done;
		}
		if (jsonio_check_unique(line, "Claude batch results",
		        EX_UNAVAILABLE) ||
		    on_line(line, ctx)) {
			cJSON_Delete(line);
			goto done;
		}
		cJSON_Delete(line);
	}
	rc = 0;
done:
	http_response_free(&resp);
	call_free(&c);
	return (rc);
}

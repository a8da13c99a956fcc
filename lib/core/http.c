/*
 * http: libcurl underneath.  One easy handle is kept for sequential
 * requests so that connections are reused; parallel transfers get their
 * own handles under one multi handle.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curlfn.h"

#include "clock.h"
#include "deadline.h"
#include "err.h"
#include "http.h"

/* One transfer in flight: the request, where its response goes, and the
 * header list curl reads from. */
struct transfer {
	struct http_request *req;
	struct http_response *resp;
	struct curl_slist *hdrs;
	CURL *easy;
	int attempt; /* 0-based */
	int bounded; /* this attempt's timeout is the deadline's time left */
	char detail[CURL_ERROR_SIZE]; /* libcurl's own words on a failure */
	long long started;            /* monotonic ms */
	long long next_at; /* http_do_many: when to start the next try */
	int active, finished;
};

static const struct curlfn *s_curl; /* libcurl, once loaded */
static CURL *s_easy;                /* reused by http_perform */
static int s_inited;

static int
global_init(void)
{
	if (!s_inited) {
		if ((s_curl = curlfn_load()) == NULL ||
		    s_curl->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return (-1);
		s_inited = 1;
	}
	return (0);
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;

	if (t->req->on_body != NULL) {
		if (t->req->on_body(p, n, t->req->ctx)) {
			t->resp->aborted = 1;
			return (0);
		}
		return (n);
	}
	if (buf_add(&t->resp->body, p, n)) {
		t->resp->too_large = 1;
		return (0); /* curl ends the transfer with a write error */
	}
	return (n);
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb, len = n;

	/* Keep only the final response's headers (not 100 Continue's). */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		buf_reset(&t->resp->headers);
		return (n);
	}
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len == 0)
		return (n);
	if (buf_add(&t->resp->headers, p, len) ||
	    buf_add(&t->resp->headers, "\n", 1))
		return (0);
	return (n);
}

static void
response_init(struct http_response *resp, size_t max)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, max);
	buf_init(&resp->headers, 64 * 1024);
}

/* The least time worth giving an attempt: none is started, and no retry
 * waited for, that would have less before the deadline. */
#define MIN_ATTEMPT_MS 100L

/* Set every option of T's easy handle for one attempt. */
static int
transfer_setup(struct transfer *t)
{
	const struct http_request *r = t->req;
	CURL *h = t->easy;
	struct buf line;
	long connect_ms, total_ms, left = deadline_remaining_ms();
	int has_ctype = 0, rc = -1;
	size_t i;

	/* Each attempt ends by the deadline (curl reads 0 as "no timeout":
	 * at least 1 ms; an attempt with nothing left is never started). */
	connect_ms = r->connect_timeout_ms ? r->connect_timeout_ms
	                                   : HTTP_DEFAULT_CONNECT_MS;
	total_ms = r->timeout_ms ? r->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	t->bounded = left >= 0 && left < total_ms;
	if (t->bounded)
		total_ms = left > 0 ? left : 1;
	if (connect_ms > total_ms)
		connect_ms = total_ms;

	response_init(t->resp,
	    r->max_response ? r->max_response : HTTP_DEFAULT_MAX_RESPONSE);
	t->hdrs = NULL;
	buf_init(&line, 1 << 16);
	for (i = 0; i < r->nheaders; i++) {
		struct curl_slist *n;

		buf_reset(&line);
		if (buf_printf(&line, "%s: %s", r->headers[i].name,
		        r->headers[i].value))
			goto done;
		if ((n = s_curl->slist_append(t->hdrs, line.data)) == NULL)
			goto done;
		t->hdrs = n;
		has_ctype |= strcasecmp(r->headers[i].name, "Content-Type") ==
		             0;
	}
	/* No "Expect: 100-continue" round trip, and no form content type
	 * that curl would otherwise add to a body. */
	if ((t->hdrs = s_curl->slist_append(t->hdrs, "Expect:")) == NULL ||
	    (!has_ctype && (t->hdrs = s_curl->slist_append(t->hdrs,
	                        "Content-Type:")) == NULL))
		goto done;
	s_curl->easy_setopt(h, CURLOPT_URL, r->url);
	s_curl->easy_setopt(h, CURLOPT_HTTPHEADER, t->hdrs);
	s_curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	s_curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	s_curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	s_curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	s_curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	s_curl->easy_setopt(h, CURLOPT_WRITEDATA, t);
	s_curl->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	s_curl->easy_setopt(h, CURLOPT_HEADERDATA, t);
	s_curl->easy_setopt(h, CURLOPT_USERAGENT, "csc/" CSC_VERSION);
	t->detail[0] = '\0';
	s_curl->easy_setopt(h, CURLOPT_ERRORBUFFER, t->detail);
	if (r->ca_file != NULL)
		s_curl->easy_setopt(h, CURLOPT_CAINFO, r->ca_file);
	if (strcmp(r->method, "HEAD") == 0) {
		s_curl->easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (r->body != NULL || strcmp(r->method, "GET") != 0) {
		s_curl->easy_setopt(h, CURLOPT_POSTFIELDS,
		    r->body != NULL ? r->body : "");
		s_curl->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(r->body != NULL ? r->body_len : 0));
		if (strcmp(r->method, "POST") != 0)
			s_curl->easy_setopt(h, CURLOPT_CUSTOMREQUEST,
			    r->method);
		if (r->body == NULL && strcmp(r->method, "DELETE") == 0)
			s_curl->easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	}
	t->started = clock_monotonic_ms();
	rc = 0;
done:
	buf_free(&line);
	return (rc);
}

/* "host/path" of URL, without scheme, credentials or query, and the
 * request's LABEL if it has one, for logs. */
static void
log_target(const char *url, const char *label, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	size_t n;
	int w;

	p = p ? p + 3 : url;
	n = strcspn(p, "?#");
	w = snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
	if (label != NULL && w >= 0 && (size_t)w < size)
		snprintf(out + w, size - (size_t)w, " (%s)", label);
}

/* Whether CODE says the server's certificate could not be verified. */
static int
is_cert_error(CURLcode code)
{
	return (code == CURLE_PEER_FAILED_VERIFICATION ||
	        code == CURLE_SSL_CACERT_BADFILE ||
	        code == CURLE_SSL_ISSUER_ERROR);
}

/* After curl is done with T: status, error text, timing, the log line. */
static void
transfer_finish(struct transfer *t, CURLcode code)
{
	struct http_response *resp = t->resp;
	char target[256], *rid = NULL;

	s_curl->easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->elapsed_ms = (long)(clock_monotonic_ms() - t->started);
	if (code != CURLE_OK) {
		resp->transport_error = (int)code;
		if (resp->too_large)
			snprintf(resp->error, sizeof(resp->error),
			    "response larger than %zu bytes", resp->body.cap);
		else if (resp->aborted)
			snprintf(resp->error, sizeof(resp->error),
			    "transfer stopped by the reader");
		else if (is_cert_error(code) && t->detail[0] != '\0')
			/* "SSL peer certificate ... was not OK" says little;
			 * libcurl's detail names the problem ("unable to get
			 * local issuer certificate"). */
			snprintf(resp->error, sizeof(resp->error),
			    "%.60s: %.190s", s_curl->easy_strerror(code),
			    t->detail);
		else
			snprintf(resp->error, sizeof(resp->error), "%s",
			    s_curl->easy_strerror(code));
		resp->cert_error = is_cert_error(code);
	}
	/* T's buffer does not outlive this attempt; the handle may. */
	s_curl->easy_setopt(t->easy, CURLOPT_ERRORBUFFER, NULL);
	s_curl->slist_free_all(t->hdrs);
	t->hdrs = NULL;
	if (!err_verbose())
		return;
	log_target(t->req->url, t->req->label, target, sizeof(target));
	rid = http_response_header(resp, "x-amzn-requestid");
	if (rid == NULL)
		rid = http_response_header(resp, "x-amz-request-id");
	if (rid == NULL)
		rid = http_response_header(resp, "request-id");
	if (code != CURLE_OK)
		err_debug("%s %s -> %s (attempt %d, %ld ms)", t->req->method,
		    target, resp->error, t->attempt + 1, resp->elapsed_ms);
	else
		err_debug("%s %s -> %ld (attempt %d, %ld ms%s%s)",
		    t->req->method, target, resp->status, t->attempt + 1,
		    resp->elapsed_ms, rid ? ", request id " : "",
		    rid ? rid : "");
	free(rid);
}

/* One attempt of T on the kept-alive easy handle. */
static int
perform_transfer(struct transfer *t)
{
	struct http_response *resp = t->resp;
	CURLcode code;

	if (global_init() ||
	    (s_easy == NULL && (s_easy = s_curl->easy_init()) == NULL)) {
		response_init(resp, 0);
		snprintf(resp->error, sizeof(resp->error), "cannot start curl");
		resp->transport_error = CURLE_FAILED_INIT;
		return (-1);
	}
	s_curl->easy_reset(s_easy);
	t->easy = s_easy;
	if (transfer_setup(t)) {
		s_curl->slist_free_all(t->hdrs);
		snprintf(resp->error, sizeof(resp->error), "out of memory");
		resp->transport_error = CURLE_OUT_OF_MEMORY;
		return (-1);
	}
	code = s_curl->easy_perform(s_easy);
	transfer_finish(t, code);
	return (code == CURLE_OK ? 0 : -1);
}

int
http_perform(const struct http_request *req, struct http_response *resp)
{
	struct transfer t;

	memset(&t, 0, sizeof(t));
	t.req = (struct http_request *)req;
	t.resp = resp;
	return (perform_transfer(&t));
}

static enum http_verdict
default_classify(const struct http_request *req,
    const struct http_response *resp)
{
	(void)req;
	if (resp->transport_error && !resp->too_large && !resp->aborted &&
	    !resp->cert_error)
		return (HTTP_RETRY);
	return (resp->status >= 500 ? HTTP_RETRY : HTTP_DONE);
}

long
http_backoff_ms(const struct http_retry *policy, int attempt)
{
	long base = policy && policy->base_ms ? policy->base_ms : 100;
	long cap = policy && policy->cap_ms ? policy->cap_ms : 20000;
	long ceiling = base;
	long floor;

	while (attempt-- > 0 && ceiling < cap)
		ceiling *= 2;
	if (ceiling > cap)
		ceiling = cap;
	floor = policy && policy->jitter_floor_pct > 0 &&
	                policy->jitter_floor_pct <= 100
	            ? ceiling * policy->jitter_floor_pct / 100
	            : 0;
	return (
	    floor + (long)arc4random_uniform((uint32_t)(ceiling - floor) + 1));
}

long
http_retry_after_ms(const struct http_response *resp)
{
	char *v;
	char *end;
	long ms = -1;
	double d;
	struct tm tm;

	if ((v = http_response_header(resp, "retry-after-ms")) != NULL) {
		d = strtod(v, &end);
		if (end != v && d >= 0 && d < 86400000)
			ms = (long)d;
		free(v);
		if (ms >= 0)
			return (ms);
	}
	if ((v = http_response_header(resp, "retry-after")) == NULL)
		return (-1);
	d = strtod(v, &end);
	if (end != v && *end == '\0' && d >= 0 && d < 86400) {
		ms = (long)(d * 1000);
	} else {
		/* An HTTP date: the wait is from now (not CSC_NOW, which
		 * pins signing, not sleeping). */
		memset(&tm, 0, sizeof(tm));
		if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL) {
			time_t at = timegm(&tm), now = time(NULL);
			ms = at > now ? (long)(at - now) * 1000 : 0;
		}
	}
	free(v);
	return (ms);
}

void
http_sleep_ms(long ms)
{
	struct timespec ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

/* The wait before the next attempt, or -1 if there is none to make;
 * T's response is marked when the deadline is why. */
static long
next_delay(const struct http_retry *policy, struct transfer *t)
{
	enum http_verdict v;
	int max = policy && policy->max_attempts ? policy->max_attempts : 4;
	long ra, delay;

	v = (policy && policy->classify ? policy->classify
	                                : default_classify)(t->req, t->resp);
	if (v == HTTP_DONE)
		return (-1);
	/* Cut short by the deadline (an attempt it bounded, and no time
	 * left), not by its own timeouts: the deadline's failure, even on
	 * the last attempt. */
	if (t->bounded && !deadline_fits(0, MIN_ATTEMPT_MS)) {
		t->resp->deadline = 1;
		return (-1);
	}
	if (t->attempt + 1 >= max)
		return (-1);
	if (v == HTTP_RETRY_NOW) {
		delay = 0;
	} else {
		ra = http_retry_after_ms(t->resp);
		/* A server's own wait wins, within reason. */
		delay = ra >= 0 && ra <= 60000
		            ? ra
		            : http_backoff_ms(policy, t->attempt);
	}
	/* No wait is started that would leave the retry no time. */
	if (!deadline_fits(delay, MIN_ATTEMPT_MS)) {
		t->resp->deadline = 1;
		return (-1);
	}
	return (delay);
}

/* Whether T may start an attempt; if the deadline leaves it too little
 * time, T's response says so (a transport error, RESP->deadline). */
static int
time_left(struct transfer *t)
{
	struct http_response *resp = t->resp;

	if (deadline_fits(0, MIN_ATTEMPT_MS))
		return (1);
	response_init(resp, 0);
	resp->transport_error = CURLE_OPERATION_TIMEDOUT;
	resp->deadline = 1;
	resp->attempts = t->attempt;
	snprintf(resp->error, sizeof(resp->error),
	    "no time left for an attempt");
	return (0);
}

static void
log_retry(const struct transfer *t, long delay)
{
	char target[256];

	if (!err_verbose())
		return;
	log_target(t->req->url, t->req->label, target, sizeof(target));
	err_debug("retrying %s %s in %ld ms", t->req->method, target, delay);
}

int
http_do(struct http_request *req, struct http_response *resp,
    const struct http_retry *policy)
{
	struct transfer t;
	long delay;
	int rc;

	memset(&t, 0, sizeof(t));
	t.req = req;
	t.resp = resp;
	for (t.attempt = 0;; t.attempt++) {
		if (!time_left(&t))
			return (-1);
		if (policy && policy->prepare && policy->prepare(req)) {
			response_init(resp, 0);
			return (-1);
		}
		rc = perform_transfer(&t);
		resp->attempts = t.attempt + 1;
		if ((delay = next_delay(policy, &t)) < 0)
			return (rc);
		log_retry(&t, delay);
		http_response_free(resp);
		http_sleep_ms(delay);
	}
}

/* Start T's next attempt on MULTI. */
static int
start_transfer(CURLM *multi, struct transfer *t,
    const struct http_retry *policy)
{
	if (policy && policy->prepare && policy->prepare(t->req))
		return (-1);
	if ((t->easy = s_curl->easy_init()) == NULL || transfer_setup(t) ||
	    s_curl->multi_add_handle(multi, t->easy) != CURLM_OK) {
		s_curl->slist_free_all(t->hdrs);
		t->hdrs = NULL;
		return (-1);
	}
	t->active = 1;
	return (0);
}

/* A transfer on MULTI ended with CODE: keep it, or schedule a retry. */
static void
end_transfer(CURLM *multi, struct transfer *t, CURLcode code,
    const struct http_retry *policy)
{
	long delay;

	transfer_finish(t, code);
	s_curl->multi_remove_handle(multi, t->easy);
	s_curl->easy_cleanup(t->easy);
	t->easy = NULL;
	t->active = 0;
	t->resp->attempts = t->attempt + 1;
	if ((delay = next_delay(policy, t)) < 0) {
		t->finished = 1;
		return;
	}
	log_retry(t, delay);
	http_response_free(t->resp);
	t->attempt++;
	t->next_at = clock_monotonic_ms() + delay;
}

/* Whether a transfer of T[0..N) waits for a slot and is due by NOW. */
static int
due_waiting(const struct transfer *t, size_t n, long long now)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!t[i].active && !t[i].finished && t[i].next_at <= now)
			return (1);
	return (0);
}

int
http_do_many(struct http_request *reqs, struct http_response *resps, size_t n,
    const struct http_retry *policy, size_t parallel)
{
	struct transfer *t;
	CURLM *multi = NULL;
	CURLMsg *msg;
	size_t i, active = 0, finished = 0;
	long long now, wake;
	int running, left, unstarted = 0, rc = -1;

	if (global_init() || (t = calloc(n ? n : 1, sizeof(*t))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		t[i].req = &reqs[i];
		t[i].resp = &resps[i];
		response_init(&resps[i], 0);
	}
	if ((multi = s_curl->multi_init()) == NULL)
		goto done;
	while (finished < n) {
		/* Start what is due, up to PARALLEL at once. */
		now = clock_monotonic_ms();
		wake = now + 1000;
		for (i = 0; i < n && active < (parallel ? parallel : n); i++) {
			if (t[i].active || t[i].finished)
				continue;
			if (t[i].next_at > now) {
				if (t[i].next_at < wake)
					wake = t[i].next_at;
				continue;
			}
			if (!time_left(&t[i])) {
				t[i].finished = 1;
				finished++;
				continue;
			}
			if (start_transfer(multi, &t[i], policy)) {
				/* Cannot even try: this request has failed. */
				t[i].finished = 1;
				finished++;
				unstarted = 1;
				continue;
			}
			active++;
		}
		if (s_curl->multi_perform(multi, &running) != CURLM_OK)
			goto done;
		while ((msg = s_curl->multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < n && t[i].easy != msg->easy_handle; i++)
				;
			if (i == n)
				continue;
			end_transfer(multi, &t[i], msg->data.result, policy);
			active--;
			if (t[i].finished)
				finished++;
		}
		/* A slot freed with a request due: start it now, not after
		 * the poll's timeout. */
		if (finished < n && active < (parallel ? parallel : n) &&
		    due_waiting(t, n, clock_monotonic_ms()))
			continue;
		if (finished < n) {
			now = clock_monotonic_ms();
			s_curl->multi_poll(multi, NULL, 0,
			    active ? (int)(wake > now ? wake - now : 0) + 1
			           : (int)(wake > now ? wake - now : 0),
			    NULL);
		}
	}
	rc = unstarted ? -1 : 0;
	for (i = 0; i < n; i++)
		if (resps[i].transport_error)
			rc = -1;
done:
	for (i = 0; i < n; i++) {
		if (t[i].easy != NULL) {
			s_curl->multi_remove_handle(multi, t[i].easy);
			s_curl->easy_cleanup(t[i].easy);
			s_curl->slist_free_all(t[i].hdrs);
		}
	}
	if (multi != NULL)
		s_curl->multi_cleanup(multi);
	free(t);
	return (rc);
}

void
http_fail(const struct http_response *resp, int code, const char *fmt, ...)
{
	char msg[1024], *tail, *p;
	va_list ap;
	int n = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is acceptable */
	va_end(ap);
	if (!resp->deadline) {
		err_set(code, "%s", msg);
		return;
	}
	/* The last " (after N attempt(s))", if the words end with it. */
	for (tail = NULL, p = strstr(msg, " (after "); p != NULL;
	     p = strstr(p + 1, " (after "))
		tail = p;
	if (tail != NULL && sscanf(tail, " (after %*d attempt%n", &n) == 0 &&
	    n > 0 && strcmp(tail + n + (tail[n] == 's'), ")") == 0)
		*tail = '\0';
	deadline_fail(resp->attempts, "%s", msg);
}

char *
http_response_header(const struct http_response *resp, const char *name)
{
	const char *line, *end, *colon, *v;
	size_t nlen = strlen(name);

	if (resp->headers.data == NULL)
		return (NULL);
	for (line = resp->headers.data; *line != '\0'; line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			break;
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon == NULL || (size_t)(colon - line) != nlen ||
		    strncasecmp(line, name, nlen) != 0)
			continue;
		for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		return (strndup(v, (size_t)(end - v)));
	}
	return (NULL);
}

void
http_response_free(struct http_response *resp)
{
	buf_free(&resp->body);
	buf_free(&resp->headers);
}

void
http_cleanup(void)
{
	if (s_easy != NULL)
		s_curl->easy_cleanup(s_easy);
	s_easy = NULL;
	if (s_inited)
		s_curl->global_cleanup();
	s_inited = 0;
}

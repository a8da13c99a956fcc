/*
 * http: requests over libcurl with timeouts, bounded responses, retries
 * with full-jitter backoff, and parallel transfers.
 *
 * What is retryable is the caller's decision (a classify callback); this
 * module only knows how to wait (Retry-After honoured) and how to try
 * again.  The run's deadline (lib/core/deadline.h) bounds it all: each
 * attempt's connect and total timeouts are cut to the time left, and no
 * retry is made whose wait would not leave time for it before the
 * deadline.  Nothing here calls err_set but http_fail: the caller reports
 * the outcome, since only it knows what the request was for.  With -v / CSC_LOG=debug
 * each attempt is logged as "METHOD host/path -> status (attempt, ms,
 * request id)"; query strings and headers are never logged, so signatures
 * and tokens are not either.
 */
#ifndef CSC_HTTP_H
#define CSC_HTTP_H

#include <stddef.h>

#include "buf.h"

#define HTTP_DEFAULT_CONNECT_MS 3000L
#define HTTP_DEFAULT_TIMEOUT_MS 30000L
#define HTTP_DEFAULT_MAX_RESPONSE ((size_t)16 << 20)

struct http_field {
	const char *name;
	const char *value;
};

struct http_request {
	const char *method; /* "GET", "PUT", ... */
	const char *url;
	const struct http_field *headers; /* "Name", "value" */
	size_t nheaders;
	const void *body; /* NULL for none */
	size_t body_len;
	long connect_timeout_ms; /* 0: HTTP_DEFAULT_CONNECT_MS */
	long timeout_ms;         /* 0: HTTP_DEFAULT_TIMEOUT_MS */
	size_t max_response;     /* 0: HTTP_DEFAULT_MAX_RESPONSE */
	/* CA certificates to verify the server with (CURLOPT_CAINFO); NULL:
	 * libcurl's default store.  Verification is never turned off. */
	const char *ca_file;
	/* Optional streaming: body bytes go to on_body instead of the
	 * response buffer; a nonzero return aborts the transfer. */
	int (*on_body)(const char *p, size_t n, void *ctx);
	void *ctx;         /* the caller's, for its callbacks */
	const char *label; /* optional, logged after the path ("PutItem") */
};

struct http_response {
	long status;         /* 0 if no response arrived */
	struct buf body;     /* unless the request streams */
	struct buf headers;  /* "name: value\n" lines of the final response */
	int transport_error; /* nonzero (a CURLcode) if no complete response */
	int cert_error;      /* TLS verification failed (untrusted or bad
	                        certificate, unreadable CA file): no retry
	                        will fix it */
	int too_large;       /* the response passed max_response */
	int aborted;         /* on_body asked to stop */
	char error[256];     /* transport error, human text */
	long elapsed_ms;
	int attempts; /* attempts made (http_do) */
	int deadline; /* the run's deadline ended the attempts: the last one
	                 was cut short by it, none could start, or a retry
	                 was due whose wait it would not allow */
};

enum http_verdict {
	HTTP_DONE,     /* keep this response */
	HTTP_RETRY,    /* try again after a backoff, if attempts remain */
	HTTP_RETRY_NOW /* try again without waiting (e.g. credentials renewed) */
};

struct http_retry {
	int max_attempts; /* total attempts; 0: 4 */
	long base_ms;     /* first backoff ceiling; 0: 100 */
	long cap_ms;      /* backoff ceiling; 0: 20000 */
	/* Called before every attempt (sign it, set fresh headers); a
	 * nonzero return stops with that failure.  May be NULL. */
	int (*prepare)(struct http_request *req);
	/* Decides on each response or transport error. NULL: retry
	 * transport errors (but not certificate failures) and 5xx. */
	enum http_verdict (*classify)(const struct http_request *req,
	    const struct http_response *resp);
	/* 0: full jitter, a wait in [0, ceiling]; N: a wait in [N%, 100%]
	 * of the ceiling (Anthropic's SDKs use 75). */
	int jitter_floor_pct;
};

/* http_perform(req, resp): one attempt.  RESP is initialised here and
 * must be freed with http_response_free.  Returns 0 if a response
 * arrived (whatever its status), -1 on a transport error, a timeout or an
 * oversized response (RESP->error says which). */
int http_perform(const struct http_request *req, struct http_response *resp);

/* http_do(req, resp, policy): attempts until POLICY's classify says done,
 * or attempts run out, or the deadline ends them (RESP->deadline),
 * sleeping the backoff (or Retry-After) between.  Returns as http_perform
 * for the last attempt (-1 with a transport error and no attempt made
 * when the deadline had passed before the first), or -1 if prepare failed
 * (RESP->error empty then). */
int http_do(struct http_request *req, struct http_response *resp,
    const struct http_retry *policy);

/* http_do_many(reqs, resps, n, policy, parallel): as http_do for N
 * requests, at most PARALLEL transfers at once through curl's multi
 * interface, each retried on its own schedule and ended by the deadline
 * on its own (one still waiting for a slot then has no attempt).  Returns 0 if every
 * request got a final response (look at each status), -1 if any ended
 * with a transport error or a failed prepare. */
int http_do_many(struct http_request *reqs, struct http_response *resps,
    size_t n, const struct http_retry *policy, size_t parallel);

/* http_fail(resp, code, fmt, ...): report the failure RESP ended with,
 * as err_set(CODE, fmt, ...) does; but when the deadline ended its
 * attempts (RESP->deadline), as deadline_fail: EX_TEMPFAIL, "deadline of
 * N ms passed after A attempts: " and FMT's words (their own "(after A
 * attempts)" at the end dropped, so the count is said once). */
void http_fail(const struct http_response *resp, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* http_response_header(resp, name): the value of the response header
 * NAME (any case), as a malloc'd string, or NULL if absent. */
char *http_response_header(const struct http_response *resp, const char *name);

/* http_retry_after_ms(resp): the wait the server asked for, from
 * retry-after-ms or Retry-After (seconds or an HTTP date), or -1. */
long http_retry_after_ms(const struct http_response *resp);

/* http_backoff_ms(policy, attempt): a random wait in [0, min(cap, base *
 * 2^attempt)] for the ATTEMPT-th retry (0-based), or in [floor%, 100%] of
 * that ceiling when the policy sets jitter_floor_pct. */
long http_backoff_ms(const struct http_retry *policy, int attempt);

/* http_sleep_ms(ms): sleep, resuming after signals. */
void http_sleep_ms(long ms);

/* http_response_free(resp): release RESP's buffers; safe twice. */
void http_response_free(struct http_response *resp);

/* http_cleanup(): close kept-alive connections (at exit). */
void http_cleanup(void);

#endif /* !CSC_HTTP_H */

/*
 * anthropic: the Claude Messages and Message Batches APIs over libcurl,
 * configured as Anthropic's SDKs are (ANTHROPIC_API_KEY as x-api-key, or
 * ANTHROPIC_AUTH_TOKEN as a bearer token; ANTHROPIC_BASE_URL), with
 * anthropic-version 2023-06-01.
 *
 * Retries follow the SDKs (SPEC section 7): x-should-retry decides when
 * present; otherwise 408, 409, 429, 5xx and 529, connection errors,
 * timeouts, a stream cut before message_stop and an "error" event in the
 * stream are retried, the whole request again, after min(0.5 s * 2^n, 8 s)
 * times a 0.75-1.0 jitter, or retry-after-ms / retry-after.  A 429 for an
 * exhausted spend limit is not retried.
 *
 * Failures are reported once with their SPEC section 3 class:
 *   invalid_request_error (400), request_too_large (413)      65
 *   authentication_error (401), permission_error (403)        77
 *   not_found_error (404: an unknown model)                   78
 *   rate_limit_error (429) that outlasts the retries, and
 *   a spend limit                                             75
 *   overloaded_error (529), api_error (5xx), transport        69
 */
#ifndef CSC_ANTHROPIC_H
#define CSC_ANTHROPIC_H

#include <cjson/cJSON.h>

#define ANTHROPIC_VERSION "2023-06-01"
#define ANTHROPIC_DEFAULT_BASE "https://api.anthropic.com"

struct anthropic {
	char *base;           /* without a trailing '/' */
	char *api_key;        /* x-api-key, or NULL */
	char *auth_token;     /* Authorization: Bearer, or NULL */
	int max_attempts;     /* CSC_MAX_ATTEMPTS, default 5 */
	long timeout_ms;      /* one attempt, CSC_TIMEOUT_MS, default 10 min */
	int progress;         /* report streaming progress on stderr */
	char request_id[128]; /* of the last answer, "" if none */
	/* The last failed call, for callers that handle a failure by kind
	 * rather than by its message: */
	char error_type[64];  /* error.type, "" if none */
	long error_status;    /* the HTTP status of an error answer; 0 for
	                        * transport and stream failures, or none */
	char error_param[64]; /* the request parameter a 400's error.message
	                        * starts with, in the API's "PARAM: problem"
	                        * form ("output_config.format" of
	                        * "output_config.format: Extra inputs are not
	                        * permitted"); "" if it names none */
};

/* anthropic_init(a): read the configuration.  Returns 0, or -1 after
 * err_set(EX_CONFIG, ...) when there is no key (nor token). */
int anthropic_init(struct anthropic *a);

/* anthropic_free(a): wipe the key, free A's strings. */
void anthropic_free(struct anthropic *a);

/* anthropic_messages(a, req, stream, out): POST /v1/messages with the
 * request REQ ("stream" is set here).  Streamed or not, *OUT is the
 * message as the API returns it without streaming (the caller frees it).
 * Returns 0, or -1 after err_set. */
int anthropic_messages(struct anthropic *a, const cJSON *req, int stream,
    cJSON **out);

/* anthropic_batch_create(a, requests, out): POST /v1/messages/batches
 * with REQUESTS, an array of {custom_id, params}.  *OUT is the batch
 * object.  Returns 0 or -1 after err_set. */
int anthropic_batch_create(struct anthropic *a, const cJSON *requests,
    cJSON **out);

/* anthropic_batch_get(a, id, out): GET the batch ID (a poll).  As above. */
int anthropic_batch_get(struct anthropic *a, const char *id, cJSON **out);

/* anthropic_batch_results(a, url, on_line, ctx): GET the results URL of an
 * ended batch and call ON_LINE for each JSON line ({custom_id, result});
 * a nonzero return stops with -1.  Returns 0 or -1 after err_set. */
int anthropic_batch_results(struct anthropic *a, const char *url,
    int (*on_line)(const cJSON *line, void *ctx), void *ctx);

#endif /* !CSC_ANTHROPIC_H */

/*
 * test_http [options] URL...: drive the http module against a test
 * server and print one JSON line per URL:
 *   {"status":N,"attempts":N,"body_len":N,"body":"...","error":"...",
 *    "deadline":true|false}
 * One URL goes through http_do, several through http_do_many.
 *   -X METHOD  -d BODY  -H 'Name: value'  -t TIMEOUT_MS  -m MAX_BYTES
 *   -a ATTEMPTS  -p PARALLEL  -v (request log)
 * The default policy retries transport errors, 429 and 5xx.  The run's
 * deadline is CSC_DEADLINE_MS, as in the tools.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "deadline.h"
#include "err.h"
#include "http.h"

#define MAX_HEADERS 16

static enum http_verdict
classify(const struct http_request *req, const struct http_response *resp)
{
	(void)req;
	if (resp->transport_error && !resp->too_large)
		return (HTTP_RETRY);
	if (resp->status == 429 || resp->status >= 500)
		return (HTTP_RETRY);
	return (HTTP_DONE);
}

static void
print_result(const struct http_response *r)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "status", (double)r->status);
	cJSON_AddNumberToObject(o, "attempts", r->attempts);
	cJSON_AddNumberToObject(o, "body_len", (double)r->body.len);
	cJSON_AddStringToObject(o, "body",
	    r->body.len < 4096 && r->body.data ? r->body.data : "");
	cJSON_AddStringToObject(o, "error", r->error);
	cJSON_AddBoolToObject(o, "deadline", r->deadline);
	text = cJSON_PrintUnformatted(o);
	printf("%s\n", text);
	free(text);
	cJSON_Delete(o);
}

int
main(int argc, char *argv[])
{
	struct http_field headers[MAX_HEADERS];
	char *hcopy[MAX_HEADERS];
	struct http_retry policy = {4, 50, 2000, NULL, classify, 0};
	struct http_request *reqs;
	struct http_response *resps;
	const char *method = "GET", *body = NULL;
	long timeout = 0;
	size_t max = 0, nh = 0, parallel = 0, n, i;
	int c, rc;

	err_init("test_http");
	if (deadline_init())
		return (78);
	while ((c = getopt(argc, argv, "X:d:H:t:m:a:p:v")) != -1) {
		switch (c) {
		case 'X':
			method = optarg;
			break;
		case 'd':
			body = optarg;
			break;
		case 'H':
			if (nh == MAX_HEADERS || strchr(optarg, ':') == NULL)
				return (64);
			hcopy[nh] = strdup(optarg);
			*strchr(hcopy[nh], ':') = '\0';
			headers[nh].name = hcopy[nh];
			headers[nh].value = hcopy[nh] + strlen(hcopy[nh]) + 2;
			nh++;
			break;
		case 't':
			timeout = atol(optarg);
			break;
		case 'm':
			max = (size_t)atol(optarg);
			break;
		case 'a':
			policy.max_attempts = atoi(optarg);
			break;
		case 'p':
			parallel = (size_t)atol(optarg);
			break;
		case 'v':
			err_set_verbose(1);
			break;
		default:
			return (64);
		}
	}
	if ((n = (size_t)(argc - optind)) == 0)
		return (64);
	reqs = calloc(n, sizeof(*reqs));
	resps = calloc(n, sizeof(*resps));
	for (i = 0; i < n; i++) {
		reqs[i].method = method;
		reqs[i].url = argv[optind + (int)i];
		reqs[i].headers = headers;
		reqs[i].nheaders = nh;
		reqs[i].body = body;
		reqs[i].body_len = body ? strlen(body) : 0;
		reqs[i].timeout_ms = timeout;
		reqs[i].connect_timeout_ms = 1000;
		reqs[i].max_response = max;
	}
	if (n == 1)
		rc = http_do(&reqs[0], &resps[0], &policy);
	else
		rc = http_do_many(reqs, resps, n, &policy, parallel);
	for (i = 0; i < n; i++) {
		print_result(&resps[i]);
		http_response_free(&resps[i]);
	}
	for (i = 0; i < nh; i++)
		free(hcopy[i]);
	free(reqs);
	free(resps);
	http_cleanup();
	return (rc ? 1 : 0);
}

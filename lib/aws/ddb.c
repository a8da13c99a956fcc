#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "awsreq.h"
#include "clock.h"
#include "ddb.h"
#include "deadline.h"
#include "err.h"
#include "http.h"
#include "jsonio.h"
#include "num.h"

#define TARGET_PREFIX "DynamoDB_20120810."
#define BATCH_MAX 25

int
ddb_init(struct ddb *d, struct aws_client *client)
{
	memset(d, 0, sizeof(*d));
	d->client = client;
	if (aws_client_requests(client) ||
	    (d->ep = aws_client_endpoint(client, AWS_DYNAMODB)) == NULL ||
	    aws_client_credentials(client) == NULL)
		return (-1);
	return (0);
}

/* The error's name in the error answer RESP, whose body is BODY (parsed,
 * may be NULL): "com.amazonaws.dynamodb.v20120810#ThrottlingException"
 * ends in "ThrottlingException".  The body's __type, else the
 * x-amzn-ErrorType header ("AccessDeniedException:http://..."), where
 * some services and emulators put it; empty if there is neither. */
static void
error_type(const struct http_response *resp, const cJSON *body, char *out,
    size_t size)
{
	const char *t = jsonio_string(body, "__type"), *hash;
	char *h = NULL;

	out[0] = '\0';
	if (t == NULL && (h = http_response_header(resp, "x-amzn-errortype")))
		t = h;
	if (t != NULL) {
		hash = strrchr(t, '#');
		snprintf(out, size, "%.*s",
		    (int)strcspn(hash ? hash + 1 : t, ":"),
		    hash ? hash + 1 : t);
	}
	free(h);
}

/* RESP's body as JSON, or NULL. */
static cJSON *
answer_body(const struct http_response *resp)
{
	if (resp->body.data == NULL)
		return (NULL);
	return (cJSON_ParseWithLength(resp->body.data, resp->body.len));
}

/* DynamoDB sends x-amz-crc32 over the body; a mismatch is a corrupted
 * answer and worth another attempt (botocore does the same). */
static int
crc_ok(const struct http_response *resp)
{
	char *want = http_response_header(resp, "x-amz-crc32");
	unsigned long crc;
	long long got;
	int ok = 1;

	if (want != NULL) {
		crc = crc32(0L,
		    (const Bytef *)(resp->body.data ? resp->body.data : ""),
		    (uInt)resp->body.len);
		/* a header that is no CRC-32 cannot vouch for the body */
		ok = num_parse(want, 0, 0xffffffffLL, &got) == 0 &&
		     (unsigned long)got == crc;
		free(want);
	}
	return (ok);
}

static int
is_throttle(const char *type)
{
	return (strcmp(type, "ThrottlingException") == 0 ||
	        strcmp(type, "ProvisionedThroughputExceededException") == 0 ||
	        strcmp(type, "RequestLimitExceeded") == 0 ||
	        strcmp(type, "LimitExceededException") == 0);
}

static enum http_verdict
classify(const struct http_request *req, const struct http_response *resp)
{
	char type[96];
	cJSON *body;

	(void)req;
	if (resp->transport_error)
		return (resp->too_large || resp->cert_error ? HTTP_DONE
		                                            : HTTP_RETRY);
	if (resp->status >= 500)
		return (HTTP_RETRY);
	if (resp->status == 200)
		return (crc_ok(resp) ? HTTP_DONE : HTTP_RETRY);
	body = answer_body(resp);
	error_type(resp, body, type, sizeof(type));
	cJSON_Delete(body);
	return (is_throttle(type) ? HTTP_RETRY : HTTP_DONE);
}

static int
error_class(const char *type, long status)
{
	static const struct {
		const char *type;
		int code;
	} map[] = {
	    {"ConditionalCheckFailedException", CSC_EX_CONFLICT},
	    {"TransactionConflictException", CSC_EX_CONFLICT},
	    {"ValidationException", EX_DATAERR},
	    {"SerializationException", EX_DATAERR},
	    {"UnrecognizedClientException", EX_NOPERM},
	    {"InvalidSignatureException", EX_NOPERM},
	    {"AccessDeniedException", EX_NOPERM},
	    {"ExpiredTokenException", EX_NOPERM},
	    {"MissingAuthenticationTokenException", EX_NOPERM},
	    {"MissingAuthenticationToken", EX_NOPERM},
	    {"IncompleteSignatureException", EX_NOPERM},
	    {"ResourceNotFoundException", EX_CONFIG},
	};
	size_t i;

	if (is_throttle(type))
		return (EX_TEMPFAIL);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(type, map[i].type) == 0)
			return (map[i].code);
	if (status == 401 || status == 403)
		return (EX_NOPERM);
	return (EX_UNAVAILABLE);
}

/* Report the failed answer RESP to OP, whose error body (parsed, may be
 * NULL) names TYPE, as one line. */
static void
report(const char *op, const struct http_response *resp, const char *type,
    const cJSON *body)
{
	const char *msg;

	if (resp->transport_error) {
		http_fail(resp, EX_UNAVAILABLE,
		    "DynamoDB %s: %s (after %d attempt%s)", op, resp->error,
		    resp->attempts, resp->attempts == 1 ? "" : "s");
		return;
	}
	if ((msg = jsonio_string(body, "message")) == NULL)
		msg = jsonio_string(body, "Message");
	if (strcmp(type, "ResourceNotFoundException") == 0)
		http_fail(resp, EX_CONFIG,
		    "DynamoDB %s: %s (run csc-store init?)", op,
		    msg ? msg : "table not found");
	else if (type[0] != '\0')
		http_fail(resp, error_class(type, resp->status),
		    "DynamoDB %s: %s: %.200s", op, type,
		    msg ? msg : "no message");
	else if (resp->status == 401 || resp->status == 403)
		/* A refusal without a name: a proxy or an emulator's IAM. */
		http_fail(resp, EX_NOPERM, "DynamoDB %s: HTTP %ld: %.200s", op,
		    resp->status, msg ? msg : "access denied");
	else
		http_fail(resp, EX_UNAVAILABLE,
		    "DynamoDB %s: HTTP %ld (after %d attempt%s)", op,
		    resp->status, resp->attempts,
		    resp->attempts == 1 ? "" : "s");
}

int
ddb_call(struct ddb *d, const char *op, const cJSON *req, cJSON **out,
    const char *expected)
{
	struct http_retry policy = {d->client->max_attempts, 50, 5000,
	    awsreq_prepare, classify, 0};
	struct http_response resp;
	struct awsreq ar;
	cJSON *err_body = NULL;
	char target[96], what[96];
	char *body = NULL;
	int rc = -1;

	*out = NULL;
	d->last_type[0] = '\0';
	memset(&resp, 0, sizeof(resp));
	awsreq_init(&ar);
	snprintf(target, sizeof(target), TARGET_PREFIX "%s", op);
	if ((body = jsonio_print(req)) == NULL)
		goto done;
	ar.client = d->client;
	ar.service = "dynamodb";
	ar.scheme = d->ep->scheme;
	ar.method = "POST";
	ar.host = d->ep->host;
	ar.path = d->ep->path[0] != '\0' ? d->ep->path : "/";
	ar.body = body;
	ar.body_len = strlen(body);
	if (awsreq_header(&ar, "Content-Type", "application/x-amz-json-1.0") ||
	    awsreq_header(&ar, "X-Amz-Target", target) || awsreq_build(&ar))
		goto done;
	ar.http.label = op;
	d->last_attempts = 0;
	if (http_do(&ar.http, &resp, &policy) && !resp.transport_error) {
		rc = -1; /* prepare failed and reported */
		goto done;
	}
	d->last_attempts = resp.attempts;
	if (resp.transport_error == 0 && resp.status == 200) {
		/* Read as every document is (a name given twice refused), a
		 * broken one being a broken peer. */
		snprintf(what, sizeof(what), "DynamoDB %s answer", op);
		if (resp.body.len == 0 && (*out = cJSON_CreateObject()) == NULL)
			err_set(EX_SOFTWARE, "out of memory");
		else if (resp.body.len > 0)
			*out = jsonio_parse_with(resp.body.data, resp.body.len,
			    what, JSONIO_ANSWER);
		if (*out != NULL)
			rc = 0;
		goto done;
	}
	/* An error answer: parsed once, for its type and its message. */
	if (!resp.transport_error)
		err_body = answer_body(&resp);
	error_type(&resp, err_body, d->last_type, sizeof(d->last_type));
	if (expected != NULL && strcmp(d->last_type, expected) == 0) {
		*out = err_body;
		err_body = NULL;
		rc = 1;
		goto done;
	}
	report(op, &resp, d->last_type, err_body);
done:
	cJSON_Delete(err_body);
	http_response_free(&resp);
	awsreq_free(&ar);
	free(body);
	return (rc);
}

int
ddb_query_all(struct ddb *d, const char *op, const cJSON *req,
    int (*on_item)(const cJSON *item, void *ctx), void *ctx)
{
	cJSON *page_req = cJSON_Duplicate(req, 1), *resp = NULL;
	const cJSON *items, *item, *last;
	int rc = -1;

	if (page_req == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	for (;;) {
		if (ddb_call(d, op, page_req, &resp, NULL))
			goto done;
		items = cJSON_GetObjectItemCaseSensitive(resp, "Items");
		if (items != NULL && !cJSON_IsArray(items)) {
			err_set(EX_UNAVAILABLE,
			    "DynamoDB %s: Items is not a list", op);
			goto done;
		}
		cJSON_ArrayForEach(item, items) {
			if (on_item(item, ctx))
				goto done;
		}
		last = cJSON_GetObjectItemCaseSensitive(resp,
		    "LastEvaluatedKey");
		if (!cJSON_IsObject(last) || last->child == NULL)
			break;
		cJSON_DeleteItemFromObjectCaseSensitive(page_req,
		    "ExclusiveStartKey");
		if (!cJSON_AddItemToObject(page_req, "ExclusiveStartKey",
		        cJSON_Duplicate(last, 1))) {
			err_set(EX_SOFTWARE, "out of memory");
			goto done;
		}
		cJSON_Delete(resp);
		resp = NULL;
	}
	rc = 0;
done:
	cJSON_Delete(resp);
	cJSON_Delete(page_req);
	return (rc);
}

/* One BatchWriteItem of up to 25 requests, again and again while
 * DynamoDB hands some back unprocessed. */
static int
batch_write_one(struct ddb *d, const char *table, cJSON *const *requests,
    size_t n)
{
	struct http_retry backoff = {d->client->max_attempts, 50, 5000, NULL,
	    NULL, 0};
	cJSON *req = cJSON_CreateObject(), *resp = NULL, *ri, *list;
	const cJSON *un;
	int attempt, rc = -1;
	long wait;
	size_t i;

	if (req == NULL ||
	    (ri = cJSON_AddObjectToObject(req, "RequestItems")) == NULL ||
	    (list = cJSON_AddArrayToObject(ri, table)) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		if (!cJSON_AddItemToArray(list,
		        cJSON_Duplicate(requests[i], 1)))
			goto oom;
	for (attempt = 0;; attempt++) {
		if (ddb_call(d, "BatchWriteItem", req, &resp, NULL))
			goto done;
		un = cJSON_GetObjectItemCaseSensitive(resp, "UnprocessedItems");
		if (!cJSON_IsObject(un) || un->child == NULL)
			break;
		if (attempt + 1 >= d->client->max_attempts) {
			err_set(EX_TEMPFAIL,
			    "DynamoDB BatchWriteItem: items "
			    "still unprocessed after %d attempts",
			    attempt + 1);
			goto done;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(req, "RequestItems",
		    cJSON_DetachItemFromObjectCaseSensitive(resp,
		        "UnprocessedItems"));
		cJSON_Delete(resp);
		resp = NULL;
		wait = http_backoff_ms(&backoff, attempt);
		if (!deadline_fits(wait, 0)) {
			deadline_fail(attempt + 1, "DynamoDB BatchWriteItem: "
			                           "items still unprocessed");
			goto done;
		}
		http_sleep_ms(wait);
	}
	rc = 0;
	goto done;
oom:
	err_set(EX_SOFTWARE, "out of memory");
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

int
ddb_batch_write(struct ddb *d, const char *table, cJSON *const *requests,
    size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < BATCH_MAX ? n - i : BATCH_MAX;
		if (batch_write_one(d, table, requests + i, k))
			return (-1);
	}
	return (0);
}

/* Whether the DescribeTable answer shows the table and every global
 * secondary index ACTIVE. */
static int
all_active(const cJSON *resp)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(resp, "Table"), *gsi;
	const char *s = jsonio_string(t, "TableStatus");

	if (s == NULL || strcmp(s, "ACTIVE") != 0)
		return (0);
	cJSON_ArrayForEach(gsi,
	    cJSON_GetObjectItemCaseSensitive(t, "GlobalSecondaryIndexes")) {
		s = jsonio_string(gsi, "IndexStatus");
		if (s != NULL && strcmp(s, "ACTIVE") != 0)
			return (0);
	}
	return (1);
}

int
ddb_wait_active(struct ddb *d, const char *table, long max_ms)
{
	long long start = clock_monotonic_ms();
	cJSON *req = cJSON_CreateObject(), *resp = NULL;
	long wait = 100;
	int polls, rc = -1;

	if (req == NULL || !cJSON_AddStringToObject(req, "TableName", table)) {
		err_set(EX_SOFTWARE, "out of memory");
		goto done;
	}
	for (polls = 1;; polls++) {
		if (ddb_call(d, "DescribeTable", req, &resp, NULL))
			goto done;
		if (all_active(resp))
			break;
		cJSON_Delete(resp);
		resp = NULL;
		if (clock_monotonic_ms() - start > max_ms) {
			err_set(EX_TEMPFAIL,
			    "table %s is not ACTIVE after %ld s", table,
			    max_ms / 1000);
			goto done;
		}
		if (!deadline_fits(wait, 0)) {
			deadline_fail(polls, "table %s is not ACTIVE yet",
			    table);
			goto done;
		}
		http_sleep_ms(wait);
		wait = wait < 2000 ? wait * 2 : 2000;
	}
	rc = 0;
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

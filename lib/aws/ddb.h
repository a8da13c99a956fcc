/*
 * ddb: DynamoDB's JSON protocol (X-Amz-Target: DynamoDB_20120810.OP,
 * application/x-amz-json-1.0), signed with SigV4, retried as the AWS
 * SDKs do: throttling, 5xx, transport errors and a failed CRC32 of the
 * response are retried with full-jitter backoff; everything else is an
 * answer.
 *
 * The error's name is the body's __type, or else the x-amzn-ErrorType
 * header, as botocore reads it.
 *
 * Requests and answers are cJSON trees in DynamoDB's own shape (items of
 * AttributeValues; see ddbjson for plain JSON).  Errors are reported once
 * with the SPEC section 3 class of their __type:
 *   ConditionalCheckFailedException, TransactionConflictException  73
 *   ValidationException, SerializationException                    65
 *   throttling that outlasts the retries                           75
 *   UnrecognizedClient, InvalidSignature, AccessDenied, ExpiredToken,
 *   MissingAuthenticationToken, IncompleteSignature, and any
 *   401 or 403 answer (an IAM-enforcing emulator denies with 403)  77
 *   ResourceNotFoundException (no table: run csc-store init)       78
 *   5xx, transport errors, unreadable answers                      69
 */
#ifndef CSC_DDB_H
#define CSC_DDB_H

#include <cjson/cJSON.h>

#include "awsclient.h"

struct ddb {
	struct aws_client *client;     /* shared; outlives the ddb */
	const struct aws_endpoint *ep; /* the client's DynamoDB endpoint */
	char last_type[96]; /* __type of the last error answer, "" if none */
	int last_attempts;  /* attempts the last call made: more than one
	                       means an earlier one may have been applied */
};

/* ddb_init(d, client): D talks to DynamoDB through CLIENT, whose request
 * settings, DynamoDB endpoint and credentials are resolved now (once per
 * client, whichever service asks first).  D owns nothing: there is no
 * ddb_free.  Returns 0, or -1 after err_set (EX_CONFIG without
 * credentials or for a bad setting, as aws_client_* otherwise). */
int ddb_init(struct ddb *d, struct aws_client *client);

/* ddb_call(d, op, req, out, expected): send OP ("PutItem") with the
 * request body REQ.  Returns 0 with the answer in *OUT (the caller frees
 * it; {} for an empty answer); 1 when DynamoDB answered with the error
 * EXPECTED (the __type's name after '#', such as
 * "ConditionalCheckFailedException"; NULL for none), reported to no one,
 * *OUT the error body; -1 after err_set for any other failure, *OUT NULL.
 * D->last_type holds the error's name either way. */
int ddb_call(struct ddb *d, const char *op, const cJSON *req, cJSON **out,
    const char *expected);

/* ddb_query_all(d, req, on_item, ctx): Query (or Scan, with op "Scan")
 * page after page, following LastEvaluatedKey, calling ON_ITEM for every
 * item until it returns nonzero.  Returns 0, or -1 after err_set (or
 * ON_ITEM's nonzero return, passed through as -1 with whatever it
 * reported). */
int ddb_query_all(struct ddb *d, const char *op, const cJSON *req,
    int (*on_item)(const cJSON *item, void *ctx), void *ctx);

/* ddb_batch_write(d, table, requests, n): BatchWriteItem of N
 * WriteRequests ({"PutRequest":...} or {"DeleteRequest":...}) in batches
 * of 25, sending UnprocessedItems again with backoff until none remain or
 * the attempts run out (EX_TEMPFAIL).  Returns 0 or -1 after err_set. */
int ddb_batch_write(struct ddb *d, const char *table, cJSON *const *requests,
    size_t n);

/* ddb_wait_active(d, table, max_ms): DescribeTable until the table and its
 * indexes are ACTIVE, for at most MAX_MS.  Returns 0, or -1 after err_set
 * (EX_TEMPFAIL when it stays in CREATING/UPDATING). */
int ddb_wait_active(struct ddb *d, const char *table, long max_ms);

#endif /* !CSC_DDB_H */

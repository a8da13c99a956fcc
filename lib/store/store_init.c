/*
 * store_init: the table and the bucket, made as SPEC section 5 says,
 * idempotently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "ddbjson.h"
#include "digest.h"
#include "err.h"
#include "ids.h"
#include "jsonio.h"
#include "store.h"
#include "store_int.h"

static int
warn(cJSON *warnings, const char *fmt, const char *arg)
{
	char line[512];

	snprintf(line, sizeof(line), fmt, arg);
	fprintf(stderr, "csc-store: warning: %s\n", line);
	return (
	    cJSON_AddItemToArray(warnings, cJSON_CreateString(line)) ? 0 : -1);
}

/* The jobs index, for CreateTable and UpdateTable. */
static cJSON *
jobs_index(void)
{
	static const char spec[] =
	    "{\"IndexName\":\"" STORE_JOBS_INDEX "\",\"KeySchema\":["
	    "{\"AttributeName\":\"job_queue\",\"KeyType\":\"HASH\"},"
	    "{\"AttributeName\":\"lease_until\",\"KeyType\":\"RANGE\"}],"
	    "\"Projection\":{\"ProjectionType\":\"INCLUDE\","
	    "\"NonKeyAttributes\":[\"status\",\"attempts\",\"updated_at\"]}}";

	return (cJSON_Parse(spec));
}

static const char attribute_defs[] =
    "[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"job_queue\",\"AttributeType\":\"S\"},"
    "{\"AttributeName\":\"lease_until\",\"AttributeType\":\"N\"}]";

static int
has_jobs_index(const cJSON *describe)
{
	const cJSON *g;

	cJSON_ArrayForEach(g,
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(describe, "Table"),
	        "GlobalSecondaryIndexes")) {
		const char *n = jsonio_string(g, "IndexName");

		if (n != NULL && strcmp(n, STORE_JOBS_INDEX) == 0)
			return (1);
	}
	return (0);
}

/* The table: created when missing, its jobs index added when it lacks
 * one, waited for until ACTIVE.  *CREATED says whether it was made. */
static int
init_table(struct store *st, int *created, cJSON *warnings)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL, *gsi, *upd;
	int r, rc = -1;

	*created = 0;
	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table))
		goto nomem;
	if ((r = ddb_call(&st->ddb, "DescribeTable", req, &resp,
	         "ResourceNotFoundException")) < 0)
		goto done;
	if (r == 1) {
		cJSON_AddItemToObject(req, "AttributeDefinitions",
		    cJSON_Parse(attribute_defs));
		cJSON_AddItemToObject(req, "KeySchema",
		    cJSON_Parse(
		        "[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
		        "{\"AttributeName\":\"sk\",\"KeyType\":"
		        "\"RANGE\"}]"));
		cJSON_AddStringToObject(req, "BillingMode", "PAY_PER_REQUEST");
		if ((gsi = cJSON_AddArrayToObject(req,
		         "GlobalSecondaryIndexes")) == NULL ||
		    !cJSON_AddItemToArray(gsi, jobs_index()))
			goto nomem;
		cJSON_Delete(resp);
		resp = NULL;
		/* Another init may be creating it at the same moment. */
		if ((r = ddb_call(&st->ddb, "CreateTable", req, &resp,
		         "ResourceInUseException")) < 0)
			goto done;
		*created = r == 0;
	} else if (!has_jobs_index(resp)) {
		cJSON_Delete(resp);
		resp = NULL;
		cJSON_AddItemToObject(req, "AttributeDefinitions",
		    cJSON_Parse(attribute_defs));
		if ((gsi = cJSON_AddArrayToObject(req,
		         "GlobalSecondaryIndexUpdates")) == NULL ||
		    (upd = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(gsi, upd) ||
		    !cJSON_AddItemToObject(upd, "Create", jobs_index()))
			goto nomem;
		if ((r = ddb_call(&st->ddb, "UpdateTable", req, &resp,
		         "UnknownOperationException")) < 0)
			goto done;
		if (r == 1 && warn(warnings,
		                  "this DynamoDB cannot add the "
		                  "%s index to an existing table",
		                  STORE_JOBS_INDEX))
			goto nomem;
	}
	rc = ddb_wait_active(&st->ddb, st->table, 60000);
	goto done;
nomem:
	store_oom();
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

/* Time to live on expires_at, unless it is on already. */
static int
init_ttl(struct store *st, cJSON *warnings)
{
	cJSON *req = cJSON_CreateObject(), *resp = NULL, *spec;
	const char *status, *attr;
	int r, rc = -1;

	if (req == NULL ||
	    !cJSON_AddStringToObject(req, "TableName", st->table))
		goto nomem;
	if ((r = ddb_call(&st->ddb, "DescribeTimeToLive", req, &resp,
	         "UnknownOperationException")) < 0)
		goto done;
	if (r == 1) {
		rc = warn(warnings,
		    "this DynamoDB has no time to live (%s): "
		    "expired conversations stay until deleted",
		    "DescribeTimeToLive");
		goto done;
	}
	spec = cJSON_GetObjectItemCaseSensitive(resp, "TimeToLiveDescription");
	status = jsonio_string(spec, "TimeToLiveStatus");
	attr = jsonio_string(spec, "AttributeName");
	if (status != NULL && attr != NULL && strcmp(attr, "expires_at") == 0 &&
	    (strcmp(status, "ENABLED") == 0 ||
	        strcmp(status, "ENABLING") == 0)) {
		rc = 0;
		goto done;
	}
	cJSON_Delete(resp);
	resp = NULL;
	if ((spec = cJSON_AddObjectToObject(req, "TimeToLiveSpecification")) ==
	        NULL ||
	    !cJSON_AddTrueToObject(spec, "Enabled") ||
	    !cJSON_AddStringToObject(spec, "AttributeName", "expires_at"))
		goto nomem;
	if ((r = ddb_call(&st->ddb, "UpdateTimeToLive", req, &resp,
	         "UnknownOperationException")) < 0)
		goto done;
	rc = r == 1 ? warn(warnings,
	                  "this DynamoDB has no time to live (%s): "
	                  "expired conversations stay until deleted",
	                  "UpdateTimeToLive")
	            : 0;
	goto done;
nomem:
	store_oom();
done:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	return (rc);
}

/* The bucket's configuration: what SPEC section 5 asks of it. */
static const struct {
	const char *sub, *xml;
} bucket_config[] = {
    {"versioning",
        "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
        "2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>"},
    {"publicAccessBlock",
        "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/"
        "doc/2006-03-01/\"><BlockPublicAcls>true</BlockPublicAcls>"
        "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true"
        "</BlockPublicPolicy><RestrictPublicBuckets>true"
        "</RestrictPublicBuckets></PublicAccessBlockConfiguration>"},
    {"encryption",
        "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/"
        "doc/2006-03-01/\"><Rule><ApplyServerSideEncryptionByDefault>"
        "<SSEAlgorithm>AES256</SSEAlgorithm>"
        "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true"
        "</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"},
    /* Old versions go after 30 days; unfinished uploads after 7. */
    {"lifecycle",
        "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
        "2006-03-01/\"><Rule><ID>csc-old-versions</ID><Filter><Prefix>"
        "</Prefix></Filter><Status>Enabled</Status>"
        "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays>"
        "</NoncurrentVersionExpiration><AbortIncompleteMultipartUpload>"
        "<DaysAfterInitiation>7</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>"},
};

static int
init_bucket(struct store *st, int *created, cJSON *warnings)
{
	size_t i;
	int r;

	if ((r = s3_create_bucket(&st->s3, st->bucket)) < 0)
		return (-1);
	*created = r;
	for (i = 0; i < sizeof(bucket_config) / sizeof(bucket_config[0]); i++) {
		r = s3_put_bucket_config(&st->s3, st->bucket,
		    bucket_config[i].sub, bucket_config[i].xml);
		if (r < 0 || (r == 1 && warn(warnings,
		                            "this S3 does not "
		                            "implement the bucket's "
		                            "%s configuration",
		                            bucket_config[i].sub)))
			return (-1);
	}
	return (0);
}

cJSON *
store_init(struct store *st)
{
	cJSON *out = cJSON_CreateObject(), *created, *warnings;
	int table_created = 0, bucket_created = 0;

	if (out == NULL || !cJSON_AddStringToObject(out, "table", st->table) ||
	    !cJSON_AddStringToObject(out, "bucket", st->bucket) ||
	    (created = cJSON_AddObjectToObject(out, "created")) == NULL ||
	    (warnings = cJSON_AddArrayToObject(out, "warnings")) == NULL)
		goto nomem;
	if (init_table(st, &table_created, warnings) ||
	    init_ttl(st, warnings) ||
	    init_bucket(st, &bucket_created, warnings))
		goto fail;
	if (!cJSON_AddBoolToObject(created, "table", table_created) ||
	    !cJSON_AddBoolToObject(created, "bucket", bucket_created))
		goto nomem;
	return (out);
nomem:
	store_oom();
fail:
	cJSON_Delete(out);
	return (NULL);
}

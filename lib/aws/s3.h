/*
 * s3: the S3 REST operations csc needs, signed with SigV4 (payload hash
 * sent as x-amz-content-sha256), retried as the AWS SDKs do (SlowDown,
 * InternalError, RequestTimeout, 5xx, transport errors and timeouts),
 * XML answers read through s3xml (expat).
 *
 * Errors are reported once, classed for SPEC section 3: AccessDenied,
 * SignatureDoesNotMatch, InvalidAccessKeyId, ExpiredToken, and any other
 * 401 or 403 answer (a HEAD's has no body to name it) 77; NoSuchKey,
 * NoSuchBucket, NoSuchVersion 66; SlowDown that outlasts the retries 75;
 * PreconditionFailed (a conditional write refused) 73; 5xx and transport
 * errors 69; other 4xx 65.
 */
#ifndef CSC_S3_H
#define CSC_S3_H

#include <stddef.h>

#include "awsclient.h"
#include "buf.h"
#include "s3xml.h"

struct s3 {
	struct aws_client *client;     /* shared; outlives the s3 */
	const struct aws_endpoint *ep; /* the client's S3 endpoint */
	char last_code[64]; /* S3 error Code of the last failure, or "" */
};

/* s3_init(s, client): S talks to S3 through CLIENT, whose request
 * settings, S3 endpoint and addressing, and credentials are resolved now
 * (once per client, whichever service asks first).  S owns nothing:
 * there is no s3_free.  Returns 0, or -1 after err_set. */
int s3_init(struct s3 *s, struct aws_client *client);

/* s3_create_bucket(s, bucket): CreateBucket, with a LocationConstraint
 * outside us-east-1.  Returns 1 if it was created, 0 if it already was
 * ours (BucketAlreadyOwnedByYou), -1 after err_set (EX_CONFIG when the
 * name belongs to someone else). */
int s3_create_bucket(struct s3 *s, const char *bucket);

/* s3_put_bucket_config(s, bucket, sub, xml): PUT ?SUB (versioning,
 * publicAccessBlock, encryption, lifecycle) with the XML body XML, sent
 * with its Content-MD5 as S3 demands.  Returns 0, 1 when the endpoint
 * does not implement it (NotImplemented, 501: an emulator), reported to
 * no one, or -1 after err_set. */
int s3_put_bucket_config(struct s3 *s, const char *bucket, const char *sub,
    const char *xml);

/* One object to upload, and what S3 said of it. */
struct s3_put {
	const char *key;
	const void *body;
	size_t len;
	const char *content_type;
	const char *sha256_hex; /* hex SHA-256 of BODY, kept as metadata */
	int create_only;        /* If-None-Match: *: never replace an object */
	/* Filled by s3_put_objects: */
	enum {
		S3_PUT_NOT_SENT,
		S3_PUT_STORED,
		S3_PUT_EXISTS,
		S3_PUT_FAILED
	} outcome;
	char *version_id; /* of a STORED object; NULL when the bucket is
	                     not versioned */
	char *etag;
	char checksum[48]; /* base64 SHA-256 of BODY, as S3 sends it */
};

/* s3_put_objects(s, bucket, puts, n, parallel): PutObject each of N
 * objects, PARALLEL at a time (1: one after the other), each with
 * x-amz-checksum-sha256 (S3 checks the bytes against it) and the hex
 * SHA-256 as x-amz-meta-sha256; a create_only one with If-None-Match: *,
 * whose 412 PreconditionFailed (the key has a current version) is not
 * retried and not an error: its outcome is S3_PUT_EXISTS.  Every put's
 * outcome is set, STORED ones with their version id, whether or not
 * another failed (a FAILED one may still have been stored, its answer
 * lost).  Returns 0 when every object is STORED or EXISTS, or -1 after
 * err_set for the first failure. */
int s3_put_objects(struct s3 *s, const char *bucket, struct s3_put *puts,
    size_t n, size_t parallel);
void s3_put_free(struct s3_put *puts, size_t n);

/* What GetObject and HeadObject say of an object. */
struct s3_object {
	struct buf body;       /* GetObject only */
	long long size;        /* Content-Length */
	char *version_id;      /* x-amz-version-id, or NULL */
	char *checksum_sha256; /* x-amz-checksum-sha256 (base64), or NULL */
	char *meta_sha256;     /* x-amz-meta-sha256, or NULL */
	char *content_type;
};

/* s3_get_object(s, bucket, key, version_id, max, out): GetObject (a
 * version when VERSION_ID is not NULL), at most MAX bytes, with
 * checksum mode enabled.  Returns 0, or -1 after err_set (EX_NOINPUT for
 * a missing key).  Free OUT with s3_object_free. */
int s3_get_object(struct s3 *s, const char *bucket, const char *key,
    const char *version_id, size_t max, struct s3_object *out);

/* s3_head_object(s, bucket, key, version_id, out): HeadObject, as
 * s3_get_object without the body. */
int s3_head_object(struct s3 *s, const char *bucket, const char *key,
    const char *version_id, struct s3_object *out);
void s3_object_free(struct s3_object *o);

/* s3_list_versions(s, bucket, prefix, on_version, ctx): every object
 * version and delete marker under PREFIX, page by page.  ON_VERSION
 * returning nonzero stops with -1.  Returns 0 or -1 after err_set. */
int s3_list_versions(struct s3 *s, const char *bucket, const char *prefix,
    int (*on_version)(const struct s3xml_version *v, void *ctx), void *ctx);

/* An object version to delete. */
struct s3_key_version {
	const char *key;
	const char *version_id; /* NULL: the current version */
};

/* s3_delete_objects(s, bucket, list, n): DeleteObjects in batches of
 * 1000 (quiet mode).  Returns 0 when every one is gone, or -1 after
 * err_set naming the first key S3 could not delete. */
int s3_delete_objects(struct s3 *s, const char *bucket,
    const struct s3_key_version *list, size_t n);

#endif /* !CSC_S3_H */

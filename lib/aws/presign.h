/*
 * presign: presigned S3 URLs (SigV4 query signing), with the
 * credentials, region and endpoint resolved once for many URLs.
 */
#ifndef CSC_PRESIGN_H
#define CSC_PRESIGN_H

#include <time.h>

#include "aws.h"
#include "buf.h"

struct presigner {
	struct aws_credentials creds;
	char *region;
	struct aws_endpoint ep;
	const char *method; /* "GET" or "PUT" */
	unsigned expires;   /* seconds, 1..604800 */
	int prefer_path;    /* s3url_addressing's answer */
	struct buf host, path, query, url; /* scratch, reused per URL */
};

/* presigner_init(p, method, expires): resolve credentials, region and
 * the S3 endpoint.  Returns 0, or -1 after err_set (EX_CONFIG without
 * credentials, as aws_credentials_load otherwise). */
int presigner_init(struct presigner *p, const char *method,
    unsigned expires);

/* presigner_refresh(p): renew temporary credentials that expire soon.
 * Returns 0, or -1 after err_set. */
int presigner_refresh(struct presigner *p);

/* presign_url(p, bucket, key, attachment, now): the URL for KEY in BUCKET
 * signed at NOW.  With ATTACHMENT non-NULL the URL asks S3 to answer with
 * "Content-Disposition: attachment" and that file name.  The string lives
 * in P until the next call.  Returns NULL after err_set: EX_DATAERR for a
 * bucket name S3 refuses, EX_CONFIG, or EX_SOFTWARE. */
const char *presign_url(struct presigner *p, const char *bucket,
    const char *key, const char *attachment, time_t now);

/* presigner_free(p): wipe the credentials and free P's memory. */
void presigner_free(struct presigner *p);

#endif /* !CSC_PRESIGN_H */

/*
 * presign: presigned S3 URLs (SigV4 query signing) for many URLs, with
 * the credentials, region and S3 endpoint of a shared aws_client.
 */
#ifndef CSC_PRESIGN_H
#define CSC_PRESIGN_H

#include <time.h>

#include "awsclient.h"
#include "buf.h"

struct presigner {
	struct aws_client *client;         /* shared; outlives the presigner */
	const struct aws_endpoint *ep;     /* the client's S3 endpoint */
	const char *method;                /* "GET" or "PUT" */
	unsigned expires;                  /* seconds, 1..604800 */
	struct buf host, path, query, url; /* scratch, reused per URL */
};

/* presigner_init(p, client, method, expires): P signs with CLIENT, whose
 * S3 endpoint and addressing and credentials are resolved now (nothing
 * else of it: a presigner sends no request).  Returns 0, or -1 after
 * err_set (EX_CONFIG without credentials, as aws_credentials_load
 * otherwise).  Free P with presigner_free either way. */
int presigner_init(struct presigner *p, struct aws_client *client,
    const char *method, unsigned expires);

/* presigner_refresh(p): renew the client's temporary credentials if they
 * expire soon.  Returns 0, or -1 after err_set. */
int presigner_refresh(struct presigner *p);

/* presign_url(p, bucket, key, version_id, attachment, now): the URL for
 * KEY in BUCKET signed at NOW; with VERSION_ID non-NULL, for that version
 * of it only (versionId, signed: what a later write puts at KEY is not
 * what the URL serves).  With ATTACHMENT non-NULL the URL asks S3 to
 * answer with "Content-Disposition: attachment" and that file name.  The
 * string lives in P until the next call.  Returns NULL after err_set:
 * EX_DATAERR for a bucket name S3 refuses, EX_CONFIG, or EX_SOFTWARE. */
const char *presign_url(struct presigner *p, const char *bucket,
    const char *key, const char *version_id, const char *attachment,
    time_t now);

/* presigner_free(p): free P's scratch memory (not the client). */
void presigner_free(struct presigner *p);

#endif /* !CSC_PRESIGN_H */

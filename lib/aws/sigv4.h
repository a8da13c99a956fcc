/*
 * sigv4: AWS Signature Version 4, in three stages (canonical request,
 * string to sign, signature) over a signing key cached per
 * date/region/service.  Pure computation: the time is a parameter, so
 * AWS's test vectors replay byte for byte.
 *
 * Paths are given unencoded ("/bucket/my key.txt"); the canonical URI and
 * the path to send are its RFC 3986 encoding with '/' kept.  S3 keys are
 * neither normalised nor encoded twice.  Queries are given as sent
 * ("a=b&c=d"); each name and value is decoded and re-encoded strictly for
 * the canonical query, so raw and encoded forms sign alike.
 */
#ifndef CSC_SIGV4_H
#define CSC_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_MAX_EXPIRES 604800 /* seven days: SigV4's presign limit */

struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL for long-term credentials */
};

struct sigv4_scope {
	const char *region;
	const char *service; /* "s3", "dynamodb" */
	time_t when;         /* the signing time */
};

struct sigv4_header {
	const char *name;
	const char *value;
};

enum sigv4_flags {
	SIGV4_NORMALIZE_PATH = 1, /* collapse ".", ".." and "//" (not S3) */
	SIGV4_CONTENT_SHA256 = 2, /* send and sign x-amz-content-sha256 (S3) */
	SIGV4_TOKEN_UNSIGNED = 4  /* add the session token after signing */
};

struct sigv4_request {
	const char *method;
	const char *path;  /* unencoded, starting with '/' */
	const char *query; /* as sent, without '?'; NULL or "" for none */
	const struct sigv4_header *headers; /* must include Host */
	size_t nheaders;
	const char *payload_hash; /* hex SHA-256 of the body, or UNSIGNED */
	unsigned flags;
};

#define SIGV4_MAX_ADDED 4

struct sigv4_result {
	char *canonical_request; /* kept for tests and debugging */
	char *string_to_sign;
	char signature[65];
	char amz_date[17];
	/* Header form: headers the caller adds to the request, in order
	 * (X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-SHA256,
	 * Authorization). */
	struct sigv4_header added[SIGV4_MAX_ADDED];
	size_t nadded;
	/* Query form: the whole query string to send (the request's own
	 * parameters, then the X-Amz-* ones as botocore orders them). */
	char *query;
};

/* sigv4_sign_headers(creds, scope, req, out): sign REQ for the
 * Authorization header.  On success returns 0 and fills OUT (free it with
 * sigv4_result_free); on failure (out of memory, a time that cannot be
 * shown, a request without Host) returns -1 with OUT freed and nothing
 * reported. */
int sigv4_sign_headers(const struct sigv4_credentials *creds,
    const struct sigv4_scope *scope, const struct sigv4_request *req,
    struct sigv4_result *out);

/* sigv4_sign_query(creds, scope, req, expires, out): sign REQ as a
 * presigned URL valid EXPIRES seconds (1..604800); every header of REQ
 * is signed.  Returns as sigv4_sign_headers; OUT->query is the query to
 * send. */
int sigv4_sign_query(const struct sigv4_credentials *creds,
    const struct sigv4_scope *scope, const struct sigv4_request *req,
    unsigned expires, struct sigv4_result *out);

/* sigv4_result_free(r): release R's strings and wipe its signature;
 * safe on a zeroed or already freed result. */
void sigv4_result_free(struct sigv4_result *r);

/* sigv4_uri_encode(b, s, n, keep_slash): append S[0..N) to B encoded as
 * RFC 3986 requires for SigV4 (unreserved bytes kept, '/' kept when
 * KEEP_SLASH, everything else %XX in upper case).  Returns 0 or -1. */
int sigv4_uri_encode(struct buf *b, const char *s, size_t n, int keep_slash);

#endif /* !CSC_SIGV4_H */

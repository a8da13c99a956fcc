/*
 * awsreq: one signed AWS request, ready for the http module: the URL,
 * the headers, and a prepare hook that re-signs it before every attempt
 * (a retry an hour later needs a fresh X-Amz-Date, and temporary
 * credentials may have been renewed meanwhile).
 *
 * The service modules (ddb, s3) fill an awsreq, then call http_do or
 * http_do_many with awsreq_prepare as the policy's prepare hook; the
 * http_request inside points back at its awsreq through ctx.
 */
#ifndef CSC_AWSREQ_H
#define CSC_AWSREQ_H

#include "awsclient.h"
#include "buf.h"
#include "http.h"
#include "sigv4.h"

#define AWSREQ_MAX_HEADERS 8

struct awsreq {
	/* Set by the caller, unchanged by the attempts. */
	struct aws_client *client; /* credentials, region, settings */
	const char *service;       /* "dynamodb", "s3" */
	const char *scheme;        /* "https" or "http" */
	const char *method;
	const char *host;  /* the Host header */
	const char *path;  /* unencoded, starting with '/' */
	const char *query; /* as sent (encoded), without '?'; NULL: none */
	struct sigv4_header extra[AWSREQ_MAX_HEADERS]; /* signed, sent */
	size_t nextra;
	const void *body;
	size_t body_len;
	unsigned flags; /* sigv4 flags */

	/* Built here. */
	char payload_hash[65];
	struct buf url;
	struct sigv4_result sig;
	struct http_field fields[AWSREQ_MAX_HEADERS + SIGV4_MAX_ADDED + 1];
	struct http_request http; /* http.ctx == this awsreq */
};

/* awsreq_init(r): zero R; the caller then sets the fields above. */
void awsreq_init(struct awsreq *r);

/* awsreq_header(r, name, value): add a header to send and sign (NAME and
 * VALUE must outlive R).  Returns 0, or -1 when there is no room. */
int awsreq_header(struct awsreq *r, const char *name, const char *value);

/* awsreq_build(r): hash the body and build the URL and R->http (with the
 * client's timeout and CA bundle, which aws_client_requests has read);
 * sign with awsreq_prepare before sending.  Returns 0, or -1 after
 * err_set(EX_SOFTWARE, ...). */
int awsreq_build(struct awsreq *r);

/* awsreq_prepare(http): the http_retry prepare hook: the client's
 * credentials (renewed if they are about to expire), then the request
 * signed with them at clock_now().  Returns 0, or -1 after err_set. */
int awsreq_prepare(struct http_request *http);

/* awsreq_free(r): release what awsreq_build and signing allocated. */
void awsreq_free(struct awsreq *r);

#endif /* !CSC_AWSREQ_H */

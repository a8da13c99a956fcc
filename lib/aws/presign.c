#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "presign.h"
#include "s3url.h"
#include "sigv4.h"

#define URL_MAX ((size_t)64 << 10)

int
presigner_init(struct presigner *p, struct aws_client *client,
    const char *method, unsigned expires)
{
	memset(p, 0, sizeof(*p));
	p->client = client;
	p->method = method;
	p->expires = expires;
	buf_init(&p->host, URL_MAX);
	buf_init(&p->path, URL_MAX);
	buf_init(&p->query, URL_MAX);
	buf_init(&p->url, URL_MAX);
	if ((p->ep = aws_client_endpoint(client, AWS_S3)) == NULL ||
	    aws_client_credentials(client) == NULL)
		return (-1);
	return (0);
}

int
presigner_refresh(struct presigner *p)
{
	return (aws_client_credentials(p->client) == NULL ? -1 : 0);
}

/* The response-content-disposition value for NAME: a plain quoted name
 * when it is printable ASCII, else RFC 6266's filename* with UTF-8 (and
 * an ASCII stand-in for old clients). */
static int
disposition(struct buf *q, const char *name)
{
	const unsigned char *c;
	int plain = 1;

	for (c = (const unsigned char *)name; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
			plain = 0;
	if (plain)
		return (buf_printf(q, "attachment; filename=\"%s\"", name));
	if (buf_addstr(q, "attachment; filename=\"download\"; "
	                  "filename*=UTF-8''"))
		return (-1);
	return (sigv4_uri_encode(q, name, strlen(name), 0));
}

const char *
presign_url(struct presigner *p, const char *bucket, const char *key,
    const char *version_id, const char *attachment, time_t now)
{
	/* The credentials as loaded or last renewed (presigner_refresh):
	 * signing a URL costs microseconds, so no expiry check per URL. */
	const struct aws_credentials *c = &p->client->creds;
	struct sigv4_credentials creds = {c->access_key_id,
	    c->secret_access_key, c->session_token};
	struct sigv4_scope scope = {p->client->region, "s3", now};
	struct sigv4_header host;
	struct sigv4_request req;
	struct sigv4_result r;
	struct buf disp;
	int path_style;

	if (!s3url_valid_bucket(bucket)) {
		err_set(EX_DATAERR, "'%.64s' is not a valid S3 bucket name",
		    bucket);
		return (NULL);
	}
	path_style = s3url_path_style(p->ep, p->client->s3_prefer_path, bucket);
	buf_reset(&p->host);
	buf_reset(&p->path);
	buf_reset(&p->query);
	buf_reset(&p->url);
	buf_init(&disp, URL_MAX);
	if (s3url_object(p->ep, bucket, key, path_style, &p->host, &p->path))
		goto oom;
	if (attachment != NULL) {
		if (disposition(&disp, attachment) ||
		    buf_addstr(&p->query, "response-content-disposition=") ||
		    sigv4_uri_encode(&p->query, disp.data, disp.len, 0))
			goto oom;
	}
	/* After response-content-disposition, in the order of GetObject's
	 * members (botocore sends its Params in the order given; the
	 * signature sorts them anyway). */
	if (version_id != NULL &&
	    ((p->query.len > 0 && buf_add(&p->query, "&", 1)) ||
	        buf_addstr(&p->query, "versionId=") ||
	        sigv4_uri_encode(&p->query, version_id, strlen(version_id), 0)))
		goto oom;
	host.name = "host";
	host.value = p->host.data;
	memset(&req, 0, sizeof(req));
	req.method = p->method;
	req.path = p->path.data;
	req.query = p->query.data;
	req.headers = &host;
	req.nheaders = 1;
	req.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	if (sigv4_sign_query(&creds, &scope, &req, p->expires, &r))
		goto oom;
	/* scheme://host + the encoded path + ? + the signed query */
	if (buf_addstr(&p->url, p->ep->scheme) || buf_add(&p->url, "://", 3) ||
	    buf_addstr(&p->url, p->host.data) ||
	    sigv4_uri_encode(&p->url, p->path.data, p->path.len, 1) ||
	    buf_add(&p->url, "?", 1) || buf_addstr(&p->url, r.query)) {
		sigv4_result_free(&r);
		goto oom;
	}
	sigv4_result_free(&r);
	buf_free(&disp);
	return (p->url.data);
oom:
	buf_free(&disp);
	err_set(EX_SOFTWARE,
	    "cannot sign s3://%.64s/%.200s: out of memory "
	    "or URL too long",
	    bucket, key);
	return (NULL);
}

void
presigner_free(struct presigner *p)
{
	buf_free(&p->host);
	buf_free(&p->path);
	buf_free(&p->query);
	buf_free(&p->url);
}

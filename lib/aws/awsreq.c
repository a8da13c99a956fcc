#include <stdlib.h>
#include <string.h>

#include "awsreq.h"
#include "clock.h"
#include "digest.h"
#include "err.h"

#define URL_MAX ((size_t)16 << 10)

void
awsreq_init(struct awsreq *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->url, URL_MAX);
}

int
awsreq_header(struct awsreq *r, const char *name, const char *value)
{
	if (r->nextra == AWSREQ_MAX_HEADERS)
		return (-1);
	r->extra[r->nextra].name = name;
	r->extra[r->nextra].value = value;
	r->nextra++;
	return (0);
}

int
awsreq_build(struct awsreq *r)
{
	buf_reset(&r->url);
	if (digest_sha256_hex(r->body ? r->body : "", r->body_len,
	        r->payload_hash) ||
	    buf_printf(&r->url, "%s://%s", r->scheme, r->host) ||
	    sigv4_uri_encode(&r->url, r->path, strlen(r->path), 1) ||
	    (r->query != NULL && r->query[0] != '\0' &&
	        buf_printf(&r->url, "?%s", r->query))) {
		err_set(EX_SOFTWARE, "out of memory building a request");
		return (-1);
	}
	r->http.method = r->method;
	r->http.url = r->url.data;
	r->http.body = r->body;
	r->http.body_len = r->body_len;
	r->http.headers = r->fields;
	r->http.nheaders = 0;
	r->http.ctx = r;
	r->http.timeout_ms = r->client->timeout_ms;
	r->http.ca_file = r->client->ca_bundle;
	return (0);
}

int
awsreq_prepare(struct http_request *http)
{
	struct awsreq *r = http->ctx;
	struct sigv4_header hdrs[AWSREQ_MAX_HEADERS + 1];
	const struct aws_credentials *c;
	struct sigv4_credentials creds;
	struct sigv4_scope scope;
	struct sigv4_request sr;
	size_t i, n = 0;

	if ((c = aws_client_credentials(r->client)) == NULL)
		return (-1);
	creds.access_key_id = c->access_key_id;
	creds.secret_access_key = c->secret_access_key;
	creds.session_token = c->session_token;
	scope.region = r->client->region;
	scope.service = r->service;
	scope.when = clock_now();
	hdrs[n].name = "Host";
	hdrs[n++].value = r->host;
	for (i = 0; i < r->nextra; i++)
		hdrs[n++] = r->extra[i];
	sr.method = r->method;
	sr.path = r->path;
	sr.query = r->query;
	sr.headers = hdrs;
	sr.nheaders = n;
	sr.payload_hash = r->payload_hash;
	sr.flags = r->flags;
	sigv4_result_free(&r->sig);
	if (sigv4_sign_headers(&creds, &scope, &sr, &r->sig)) {
		err_set(EX_SOFTWARE, "cannot sign the %s request", r->service);
		return (-1);
	}
	/* Host is curl's to send, from the URL. */
	n = 0;
	for (i = 0; i < r->nextra; i++) {
		r->fields[n].name = r->extra[i].name;
		r->fields[n++].value = r->extra[i].value;
	}
	for (i = 0; i < r->sig.nadded; i++) {
		r->fields[n].name = r->sig.added[i].name;
		r->fields[n++].value = r->sig.added[i].value;
	}
	http->headers = r->fields;
	http->nheaders = n;
	return (0);
}

void
awsreq_free(struct awsreq *r)
{
	sigv4_result_free(&r->sig);
	buf_free(&r->url);
}

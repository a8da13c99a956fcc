/*
 * sigv4: AWS Signature Version 4.  The pipeline, for either form:
 *   (1) canonical request: method, URI, query, headers, signed headers,
 *       payload hash, one per line;
 *   (2) string to sign: algorithm, time, scope, SHA-256 of (1);
 *   (3) signature: HMAC of (2) under the signing key, which is derived
 *       from the secret, date, region and service and cached.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "clock.h"
#include "digest.h"
#include "sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define LINE_MAX_BYTES ((size_t)1 << 20) /* bound on any one request */

/* A query parameter, both parts already encoded for the canonical form. */
struct param {
	char *name;
	char *value;
};

/* A header entry while canonicalising: lower-case name, trimmed value,
 * and its position so duplicates keep their order. */
struct hentry {
	char *name;
	char *value;
	size_t pos;
};

/* The cached signing key: deriving it costs four HMACs, and a batch of
 * presigned URLs shares one. */
static struct {
	char date[9];
	char region[64];
	char service[32];
	unsigned char secret_hash[32];
	struct digest_hmac *mac; /* keyed with kSigning */
} s_key;

/* RFC 3986's unreserved bytes: A-Z a-z 0-9 - _ . ~ (a table, since this
 * runs for every byte of every signed path and query). */
/* clang-format off */
static const unsigned char s_unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1};
/* clang-format on */

int
sigv4_uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3];
	size_t i, run;

	for (i = 0; i < n; i += run) {
		/* Copy the longest run of bytes that need no escape. */
		for (run = 0; i + run < n; run++) {
			unsigned char c = (unsigned char)s[i + run];
			if (!s_unreserved[c] && !(keep_slash && c == '/'))
				break;
		}
		if (run > 0) {
			if (buf_add(b, s + i, run))
				return (-1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[(unsigned char)s[i] >> 4];
		esc[2] = hex[(unsigned char)s[i] & 15];
		if (buf_add(b, esc, 3))
			return (-1);
		run = 1;
	}
	return (0);
}

/* Decode %XX escapes of S[0..N) in place; returns the new length.  A '%'
 * not followed by two hex digits stands for itself. */
static size_t
uri_decode(char *s, size_t n)
{
	size_t i, j;

	for (i = j = 0; i < n; i++, j++) {
		if (s[i] == '%' && i + 2 < n &&
		    digest_hex_value(s[i + 1]) >= 0 &&
		    digest_hex_value(s[i + 2]) >= 0) {
			s[j] = (char)(digest_hex_value(s[i + 1]) * 16 +
			              digest_hex_value(s[i + 2]));
			i += 2;
		} else {
			s[j] = s[i];
		}
	}
	return (j);
}

/* Encode a raw string strictly into a new C string, or NULL. */
static char *
encode_dup(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, LINE_MAX_BYTES);
	if (sigv4_uri_encode(&b, s, n, 0)) {
		buf_free(&b);
		return (NULL);
	}
	return (buf_detach(&b));
}

/* Append the canonical URI: PATH encoded (normalised if asked). */
static int
canonical_uri(struct buf *b, const char *path, int normalize)
{
	const char **seg = NULL;
	size_t *seglen = NULL, nseg = 0, i, len, plen = strlen(path);
	const char *p, *end;
	int rc = -1;

	if (!normalize || plen == 0)
		return (
		    sigv4_uri_encode(b, plen ? path : "/", plen ? plen : 1, 1));
	/* Split on '/', dropping empty and "." segments, popping on "..". */
	if ((seg = calloc(plen, sizeof(*seg))) == NULL ||
	    (seglen = calloc(plen, sizeof(*seglen))) == NULL)
		goto done;
	for (p = path; p < path + plen; p = end + 1) {
		end = memchr(p, '/', (size_t)(path + plen - p));
		if (end == NULL)
			end = path + plen;
		len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				nseg--;
			continue;
		}
		seg[nseg] = p;
		seglen[nseg++] = len;
	}
	for (i = 0; i < nseg; i++)
		if (buf_add(b, "/", 1) ||
		    sigv4_uri_encode(b, seg[i], seglen[i], 0))
			goto done;
	/* A trailing slash stays; an empty path is "/". */
	if ((nseg == 0 || path[plen - 1] == '/') && buf_add(b, "/", 1))
		goto done;
	rc = 0;
done:
	free(seg);
	free(seglen);
	return (rc);
}

static int
param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return (c != 0 ? c : strcmp(x->value, y->value));
}

static void
params_free(struct param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

/* Parse QUERY (as sent) and append the EXTRA raw parameters; every name
 * and value is decoded, then encoded strictly.  Returns the array (sorted
 * for the canonical form) in *OUT and its length in *N. */
static int
parse_query(const char *query, const struct sigv4_header *extra, size_t nextra,
    struct param **out, size_t *n)
{
	struct param *p;
	size_t cap = nextra + 1, np = 0, i, nlen, vlen;
	const char *q, *amp, *eq;
	char *tmp;

	for (q = query ? query : ""; *q; q++)
		cap += *q == '&';
	if ((p = calloc(cap, sizeof(*p))) == NULL)
		return (-1);
	for (q = query ? query : ""; *q != '\0'; q = *amp ? amp + 1 : amp) {
		amp = strchr(q, '&');
		if (amp == NULL)
			amp = q + strlen(q);
		if (amp == q)
			continue;
		eq = memchr(q, '=', (size_t)(amp - q));
		nlen = (size_t)((eq ? eq : amp) - q);
		vlen = eq ? (size_t)(amp - eq - 1) : 0;
		if ((tmp = malloc((size_t)(amp - q) + 1)) == NULL)
			goto err;
		memcpy(tmp, q, (size_t)(amp - q));
		p[np].name = encode_dup(tmp, uri_decode(tmp, nlen));
		if (eq != NULL)
			memcpy(tmp, eq + 1, vlen);
		p[np].value = encode_dup(tmp, uri_decode(tmp, vlen));
		free(tmp);
		if (p[np].name == NULL || p[np++].value == NULL)
			goto err;
	}
	for (i = 0; i < nextra; i++) {
		p[np].name = encode_dup(extra[i].name, strlen(extra[i].name));
		p[np].value = encode_dup(extra[i].value,
		    strlen(extra[i].value));
		if (p[np].name == NULL || p[np++].value == NULL)
			goto err;
	}
	qsort(p, np, sizeof(*p), param_cmp);
	*out = p;
	*n = np;
	return (0);
err:
	params_free(p, np);
	return (-1);
}

static int
canonical_query(struct buf *b, const struct param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((i > 0 && buf_add(b, "&", 1)) || buf_addstr(b, p[i].name) ||
		    buf_add(b, "=", 1) || buf_addstr(b, p[i].value))
			return (-1);
	return (0);
}

static int
hentry_cmp(const void *a, const void *b)
{
	const struct hentry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return (c);
	return (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static int
is_ws(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* A header value as SigV4 wants it: trimmed, with each run of whitespace
 * (including folded lines) made one space. */
static char *
trim_value(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;

	if (out == NULL)
		return (NULL);
	while (is_ws(*v))
		v++;
	while (*v != '\0') {
		if (is_ws(*v)) {
			while (is_ws(*v))
				v++;
			if (*v != '\0')
				*o++ = ' ';
			continue;
		}
		*o++ = *v++;
	}
	*o = '\0';
	return (out);
}

/* Append the canonical headers block (with its trailing blank line) to B
 * and the signed-header list to NAMES.  Duplicate names join with ','. */
static int
canonical_headers(struct buf *b, struct buf *names,
    const struct sigv4_header *h, size_t n)
{
	struct hentry *e;
	size_t i, j;
	char *c;
	int rc = -1, have_host = 0;

	if ((e = calloc(n ? n : 1, sizeof(*e))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		e[i].pos = i;
		if ((e[i].name = strdup(h[i].name)) == NULL ||
		    (e[i].value = trim_value(h[i].value)) == NULL)
			goto done;
		for (c = e[i].name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		have_host |= strcmp(e[i].name, "host") == 0;
	}
	if (!have_host)
		goto done;
	qsort(e, n, sizeof(*e), hentry_cmp);
	for (i = 0; i < n; i = j) {
		if (buf_printf(b, "%s:%s", e[i].name, e[i].value) ||
		    buf_printf(names, "%s%s", i ? ";" : "", e[i].name))
			goto done;
		for (j = i + 1; j < n && strcmp(e[j].name, e[i].name) == 0; j++)
			if (buf_printf(b, ",%s", e[j].value))
				goto done;
		if (buf_add(b, "\n", 1))
			goto done;
	}
	rc = buf_add(b, "\n", 1);
done:
	for (i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
	return (rc);
}

/* The signing key for SCOPE's date, region and service, as a keyed HMAC,
 * from the cache when it holds the same secret.  The cache owns it. */
static const struct digest_hmac *
signing_key(const char *secret, const struct sigv4_scope *scope,
    const char *date)
{
	unsigned char h[32], k[32];
	char kinit[256];
	size_t slen = strlen(secret);
	struct digest_hmac *mac = NULL;
	int n;

	if (digest_sha256(secret, slen, h))
		return (NULL);
	if (s_key.mac != NULL && strncmp(s_key.date, date, 8) == 0 &&
	    strcmp(s_key.region, scope->region) == 0 &&
	    strcmp(s_key.service, scope->service) == 0 &&
	    CRYPTO_memcmp(s_key.secret_hash, h, 32) == 0)
		return (s_key.mac);
	n = snprintf(kinit, sizeof(kinit), "AWS4%s", secret);
	if (n < 0 || (size_t)n >= sizeof(kinit) ||
	    strlen(scope->region) >= sizeof(s_key.region) ||
	    strlen(scope->service) >= sizeof(s_key.service))
		goto done;
	/* kDate = HMAC("AWS4" + secret, date) */
	if (digest_hmac_sha256(kinit, (size_t)n, date, 8, k))
		goto done;
	/* kRegion = HMAC(kDate, region) */
	if (digest_hmac_sha256(k, 32, scope->region, strlen(scope->region), k))
		goto done;
	/* kService = HMAC(kRegion, service) */
	if (digest_hmac_sha256(k, 32, scope->service, strlen(scope->service),
	        k))
		goto done;
	/* kSigning = HMAC(kService, "aws4_request") */
	if (digest_hmac_sha256(k, 32, "aws4_request", 12, k))
		goto done;
	if ((mac = digest_hmac_new(k, 32)) == NULL)
		goto done;
	digest_hmac_free(s_key.mac);
	s_key.mac = mac;
	memcpy(s_key.date, date, 8);
	s_key.date[8] = '\0';
	strcpy(s_key.region, scope->region);
	strcpy(s_key.service, scope->service);
	memcpy(s_key.secret_hash, h, 32);
done:
	OPENSSL_cleanse(kinit, sizeof(kinit));
	OPENSSL_cleanse(k, sizeof(k));
	return (mac);
}

/* Append S and a newline. */
static int
add_line(struct buf *b, const char *s)
{
	return (buf_addstr(b, s) || buf_add(b, "\n", 1));
}

/* The canonical parts of one request, which the two forms build in
 * different orders: the header form adds headers that carry the time,
 * the query form adds parameters that name the signed headers. */
struct canon {
	struct buf uri;      /* CanonicalURI */
	struct buf query;    /* CanonicalQueryString */
	struct buf headers;  /* CanonicalHeaders, blank line included */
	struct buf names;    /* SignedHeaders */
	char credscope[256]; /* "date/region/service/aws4_request" */
};

static void
canon_init(struct canon *c)
{
	buf_init(&c->uri, LINE_MAX_BYTES);
	buf_init(&c->query, LINE_MAX_BYTES);
	buf_init(&c->headers, LINE_MAX_BYTES);
	buf_init(&c->names, LINE_MAX_BYTES);
	c->credscope[0] = '\0';
}

static void
canon_free(struct canon *c)
{
	buf_free(&c->uri);
	buf_free(&c->query);
	buf_free(&c->headers);
	buf_free(&c->names);
}

/* canon_start(c, scope, req, out): clear OUT and fill its time, C's
 * credential scope and C's canonical URI.  Returns 0 or -1. */
static int
canon_start(struct canon *c, const struct sigv4_scope *scope,
    const struct sigv4_request *req, struct sigv4_result *out)
{
	int n;

	memset(out, 0, sizeof(*out));
	if (clock_amz_date(scope->when, out->amz_date))
		return (-1);
	n = snprintf(c->credscope, sizeof(c->credscope),
	    "%.8s/%s/%s/aws4_request", out->amz_date, scope->region,
	    scope->service);
	if (n < 0 || (size_t)n >= sizeof(c->credscope))
		return (-1);
	return (canonical_uri(&c->uri, req->path,
	    (req->flags & SIGV4_NORMALIZE_PATH) != 0));
}

/* canon_query(c, req, extra, nextra): C's canonical query: REQ's own
 * parameters and the EXTRA raw ones, encoded and sorted.  0 or -1. */
static int
canon_query(struct canon *c, const struct sigv4_request *req,
    const struct sigv4_header *extra, size_t nextra)
{
	struct param *qp = NULL;
	size_t nq = 0;
	int rc = -1;

	if (parse_query(req->query, extra, nextra, &qp, &nq) == 0 &&
	    canonical_query(&c->query, qp, nq) == 0)
		rc = 0;
	params_free(qp, nq);
	return (rc);
}

/* (1) canonical_request(req, c, cr): append the canonical request to
 * CR, one part per line.  Returns 0 or -1. */
static int
canonical_request(const struct sigv4_request *req, const struct canon *c,
    struct buf *cr)
{
	const char *query = c->query.len > 0 ? c->query.data : "";

	if (add_line(cr, req->method) ||       /* HTTPRequestMethod */
	    add_line(cr, c->uri.data) ||       /* CanonicalURI */
	    add_line(cr, query) ||             /* CanonicalQueryString */
	    buf_addstr(cr, c->headers.data) || /* CanonicalHeaders */
	    add_line(cr, c->names.data) ||     /* SignedHeaders */
	    buf_addstr(cr, req->payload_hash)) /* HashedPayload */
		return (-1);
	return (0);
}

/* (2) string_to_sign(amz_date, credscope, cr, sts): append the string to
 * sign for the canonical request CR to STS.  Returns 0 or -1. */
static int
string_to_sign(const char *amz_date, const char *credscope,
    const struct buf *cr, struct buf *sts)
{
	char crhash[65];

	if (digest_sha256_hex(cr->data, cr->len, crhash) ||
	    add_line(sts, ALGORITHM) || /* Algorithm */
	    add_line(sts, amz_date) ||  /* RequestDateTime */
	    add_line(sts, credscope) || /* CredentialScope */
	    buf_addstr(sts, crhash))    /* HashedCanonicalRequest */
		return (-1);
	return (0);
}

/* (3) signature(creds, scope, amz_date, sts, sig): SIG = hex(HMAC(
 * kSigning, STS)).  Returns 0 or -1; the MAC is wiped either way. */
static int
signature(const struct sigv4_credentials *creds,
    const struct sigv4_scope *scope, const char *amz_date,
    const struct buf *sts, char sig[65])
{
	const struct digest_hmac *key;
	unsigned char mac[32];
	int rc = -1;

	key = signing_key(creds->secret_access_key, scope, amz_date);
	if (key == NULL || digest_hmac_sign(key, sts->data, sts->len, mac))
		goto done;
	digest_hex(mac, 32, sig);
	rc = 0;
done:
	OPENSSL_cleanse(mac, sizeof(mac));
	return (rc);
}

/* sign(creds, scope, req, c, out): stages (1) to (3) over the canonical
 * parts C, into OUT's canonical request, string to sign and signature.
 * Returns 0 or -1. */
static int
sign(const struct sigv4_credentials *creds, const struct sigv4_scope *scope,
    const struct sigv4_request *req, const struct canon *c,
    struct sigv4_result *out)
{
	struct buf cr, sts;
	int rc = -1;

	buf_init(&cr, LINE_MAX_BYTES);
	buf_init(&sts, LINE_MAX_BYTES);
	if (canonical_request(req, c, &cr) ||
	    string_to_sign(out->amz_date, c->credscope, &cr, &sts) ||
	    signature(creds, scope, out->amz_date, &sts, out->signature))
		goto done;
	out->canonical_request = buf_detach(&cr);
	out->string_to_sign = buf_detach(&sts);
	if (out->canonical_request == NULL || out->string_to_sign == NULL)
		goto done;
	rc = 0;
done:
	buf_free(&cr);
	buf_free(&sts);
	return (rc);
}

static int
add_header(struct sigv4_result *out, const char *name, const char *value)
{
	char *n = strdup(name), *v = strdup(value);

	if (n == NULL || v == NULL || out->nadded == SIGV4_MAX_ADDED) {
		free(n);
		free(v);
		return (-1);
	}
	out->added[out->nadded].name = n;
	out->added[out->nadded++].value = v;
	return (0);
}

int
sigv4_sign_headers(const struct sigv4_credentials *creds,
    const struct sigv4_scope *scope, const struct sigv4_request *req,
    struct sigv4_result *out)
{
	struct sigv4_header *all = NULL;
	struct canon c;
	struct buf auth;
	size_t nall, i;
	int sign_token, rc = -1;

	canon_init(&c);
	buf_init(&auth, LINE_MAX_BYTES);
	if (canon_start(&c, scope, req, out))
		goto done;
	/* The headers signing adds come first in OUT, then Authorization. */
	sign_token = creds->session_token != NULL &&
	             !(req->flags & SIGV4_TOKEN_UNSIGNED);
	if (add_header(out, "X-Amz-Date", out->amz_date) ||
	    (sign_token && add_header(out, "X-Amz-Security-Token",
	                       creds->session_token)) ||
	    ((req->flags & SIGV4_CONTENT_SHA256) &&
	        add_header(out, "X-Amz-Content-SHA256", req->payload_hash)))
		goto done;
	nall = req->nheaders + out->nadded;
	if ((all = calloc(nall, sizeof(*all))) == NULL)
		goto done;
	memcpy(all, req->headers, req->nheaders * sizeof(*all));
	for (i = 0; i < out->nadded; i++)
		all[req->nheaders + i] = out->added[i];
	if (canonical_headers(&c.headers, &c.names, all, nall) ||
	    canon_query(&c, req, NULL, 0) || sign(creds, scope, req, &c, out))
		goto done;
	if (buf_printf(&auth,
	        ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
	        creds->access_key_id, c.credscope, c.names.data,
	        out->signature) ||
	    add_header(out, "Authorization", auth.data))
		goto done;
	/* A token added after signing is sent but not signed (STS style). */
	if (creds->session_token != NULL && !sign_token &&
	    add_header(out, "X-Amz-Security-Token", creds->session_token))
		goto done;
	rc = 0;
done:
	if (rc)
		sigv4_result_free(out);
	free(all);
	canon_free(&c);
	buf_free(&auth);
	return (rc);
}

/* Append "&name=value" (value encoded) to the query being sent. */
static int
append_param(struct buf *q, const char *name, const char *value)
{
	if ((q->len > 0 && buf_add(q, "&", 1)) || buf_addstr(q, name) ||
	    buf_add(q, "=", 1))
		return (-1);
	return (sigv4_uri_encode(q, value, strlen(value), 0));
}

int
sigv4_sign_query(const struct sigv4_credentials *creds,
    const struct sigv4_scope *scope, const struct sigv4_request *req,
    unsigned expires, struct sigv4_result *out)
{
	struct sigv4_header x[6];
	struct canon c;
	struct buf sent;
	char credential[512], exp[16];
	size_t nx = 0, i;
	int n, sign_token, rc = -1;

	canon_init(&c);
	buf_init(&sent, LINE_MAX_BYTES);
	/* canon_start first: it clears OUT, which the failure path frees. */
	if (canon_start(&c, scope, req, out) || expires < 1 ||
	    expires > SIGV4_MAX_EXPIRES ||
	    canonical_headers(&c.headers, &c.names, req->headers,
	        req->nheaders))
		goto done;
	n = snprintf(credential, sizeof(credential), "%s/%s",
	    creds->access_key_id, c.credscope);
	if (n < 0 || (size_t)n >= sizeof(credential))
		goto done;
	snprintf(exp, sizeof(exp), "%u", expires);
	/* The X-Amz-* parameters, in the order botocore sends them. */
	sign_token = creds->session_token != NULL &&
	             !(req->flags & SIGV4_TOKEN_UNSIGNED);
	x[nx++] = (struct sigv4_header){"X-Amz-Algorithm", ALGORITHM};
	x[nx++] = (struct sigv4_header){"X-Amz-Credential", credential};
	x[nx++] = (struct sigv4_header){"X-Amz-Date", out->amz_date};
	x[nx++] = (struct sigv4_header){"X-Amz-Expires", exp};
	x[nx++] = (struct sigv4_header){"X-Amz-SignedHeaders", c.names.data};
	if (sign_token)
		x[nx++] = (struct sigv4_header){"X-Amz-Security-Token",
		    creds->session_token};
	if (canon_query(&c, req, x, nx) || sign(creds, scope, req, &c, out))
		goto done;
	/* The query to send: the request's own, then ours, then the
	 * signature (and an unsigned token, STS style). */
	if (req->query != NULL && *req->query != '\0' &&
	    buf_addstr(&sent, req->query))
		goto done;
	for (i = 0; i < nx; i++)
		if (append_param(&sent, x[i].name, x[i].value))
			goto done;
	if (append_param(&sent, "X-Amz-Signature", out->signature) ||
	    (creds->session_token != NULL && !sign_token &&
	        append_param(&sent, "X-Amz-Security-Token",
	            creds->session_token)))
		goto done;
	if ((out->query = buf_detach(&sent)) == NULL)
		goto done;
	rc = 0;
done:
	if (rc)
		sigv4_result_free(out);
	canon_free(&c);
	buf_free(&sent);
	return (rc);
}

void
sigv4_result_free(struct sigv4_result *r)
{
	size_t i;

	free(r->canonical_request);
	free(r->string_to_sign);
	free(r->query);
	for (i = 0; i < r->nadded; i++) {
		free((char *)r->added[i].name);
		free((char *)r->added[i].value);
	}
	OPENSSL_cleanse(r->signature, sizeof(r->signature));
	memset(r, 0, sizeof(*r));
}

/*
 * fuzz_sigv4: libFuzzer over the SigV4 canonicalisation of untrusted
 * request parts.  The input is split on NUL bytes into path, query, and
 * header name/value pairs; both forms are signed, with and without path
 * normalisation.  Besides the sanitizers it checks that signing twice
 * gives the same signature (no hidden state but the key cache).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

#define MAX_PARTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sigv4_credentials creds = {"AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token"};
	struct sigv4_scope scope = {"us-east-1", "s3", 1440938160};
	struct sigv4_header h[MAX_PARTS];
	struct sigv4_request req;
	struct sigv4_result a, b;
	char *copy, *parts[MAX_PARTS + 2], *p;
	size_t n = 0, nh = 0, i;

	if ((copy = malloc(size + 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* Split on NUL: path, query, then name/value pairs. */
	for (p = copy; n < MAX_PARTS + 2 && p <= copy + size;
	     p += strlen(p) + 1)
		parts[n++] = p;
	h[nh].name = "host";
	h[nh++].value = "example.amazonaws.com";
	for (i = 2; i + 1 < n && nh < MAX_PARTS; i += 2) {
		h[nh].name = parts[i];
		h[nh++].value = parts[i + 1];
	}
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = n > 0 ? parts[0] : "/";
	req.query = n > 1 ? parts[1] : NULL;
	req.headers = h;
	req.nheaders = nh;
	req.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	req.flags = size % 2 ? SIGV4_NORMALIZE_PATH : SIGV4_CONTENT_SHA256;
	if (sigv4_sign_headers(&creds, &scope, &req, &a) == 0) {
		if (sigv4_sign_headers(&creds, &scope, &req, &b) == 0) {
			if (strcmp(a.signature, b.signature) != 0)
				abort();
			sigv4_result_free(&b);
		}
		sigv4_result_free(&a);
	}
	if (sigv4_sign_query(&creds, &scope, &req, 3600, &a) == 0)
		sigv4_result_free(&a);
	free(copy);
	return (0);
}

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "digest.h"

struct digest_hmac {
	EVP_MAC_CTX *keyed; /* initialised with the key, never finalised */
};

static EVP_MD *s_sha256;
static EVP_MAC *s_hmac;

/* Fetch the algorithms once; they live until the process exits. */
static int
fetch(void)
{
	if (s_sha256 == NULL)
		s_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (s_hmac == NULL)
		s_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return (s_sha256 != NULL && s_hmac != NULL ? 0 : -1);
}

int
digest_sha256(const void *p, size_t n, unsigned char out[32])
{
	if (fetch())
		return (-1);
	return (EVP_Digest(p, n, out, NULL, s_sha256, NULL) == 1 ? 0 : -1);
}

int
digest_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];

	if (digest_sha256(p, n, md))
		return (-1);
	digest_hex(md, sizeof(md), out);
	return (0);
}

/* A MAC context for HMAC-SHA256 keyed with KEY, or NULL. */
static EVP_MAC_CTX *
hmac_keyed(const void *key, size_t keylen)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;

	if (fetch() || (ctx = EVP_MAC_CTX_new(s_hmac)) == NULL)
		return (NULL);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);
}

/* Feed P to CTX, take the 32-byte MAC into OUT, and free CTX. */
static int
mac_finish(EVP_MAC_CTX *ctx, const void *p, size_t n, unsigned char out[32])
{
	size_t outlen = 0;
	int rc = -1;

	if (ctx == NULL)
		return (-1);
	if (EVP_MAC_update(ctx, p, n) == 1 &&
	    EVP_MAC_final(ctx, out, &outlen, 32) == 1 && outlen == 32)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	return (rc);
}

struct digest_hmac *
digest_hmac_new(const void *key, size_t keylen)
{
	struct digest_hmac *h = malloc(sizeof(*h));

	if (h == NULL)
		return (NULL);
	if ((h->keyed = hmac_keyed(key, keylen)) == NULL) {
		free(h);
		return (NULL);
	}
	return (h);
}

int
digest_hmac_sign(const struct digest_hmac *h, const void *p, size_t n,
    unsigned char out[32])
{
	/* A copy of the keyed context, so the key set-up is not redone. */
	return (mac_finish(EVP_MAC_CTX_dup(h->keyed), p, n, out));
}

void
digest_hmac_free(struct digest_hmac *h)
{
	if (h == NULL)
		return;
	EVP_MAC_CTX_free(h->keyed);
	free(h);
}

int
digest_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
    unsigned char out[32])
{
	return (mac_finish(hmac_keyed(key, keylen), p, n, out));
}

void
digest_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
digest_md5(const void *p, size_t n, unsigned char out[16])
{
	static EVP_MD *md5;

	if (md5 == NULL && (md5 = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL)
		return (-1);
	return (EVP_Digest(p, n, out, NULL, md5, NULL) == 1 ? 0 : -1);
}

int
digest_base64(const unsigned char *p, size_t n, char *out, size_t size)
{
	if (n > (size_t)INT_MAX / 2 || size < 4 * ((n + 2) / 3) + 1)
		return (-1);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return (0);
}

int
digest_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

void
digest_free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

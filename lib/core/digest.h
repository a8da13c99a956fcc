/*
 * digest: SHA-256, HMAC-SHA256, hex and base64, through libcrypto.
 *
 * The algorithms are fetched once per process: OpenSSL 3 makes an
 * implicit fetch on every one-shot call, which dominates when thousands of
 * URLs are signed.
 */
#ifndef CSC_DIGEST_H
#define CSC_DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_LEN 32

/* digest_sha256(p, n, out): OUT = SHA-256(P[0..N)).  Returns 0 or -1. */
int digest_sha256(const void *p, size_t n, unsigned char out[32]);

/* digest_sha256_hex(p, n, out): lowercase hex SHA-256, NUL-terminated. */
int digest_sha256_hex(const void *p, size_t n, char out[65]);

/* digest_hmac_sha256(key, keylen, p, n, out): OUT = HMAC-SHA256(key, P).
 * Returns 0 or -1. */
int digest_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
    unsigned char out[32]);

/* digest_hmac: HMAC-SHA256 under one key for many messages; keying it
 * once saves the per-call key set-up that dominates short messages. */
struct digest_hmac;

/* digest_hmac_new(key, keylen): a keyed context, or NULL. */
struct digest_hmac *digest_hmac_new(const void *key, size_t keylen);

/* digest_hmac_sign(h, p, n, out): OUT = HMAC(key of H, P).  H is not
 * changed.  Returns 0 or -1. */
int digest_hmac_sign(const struct digest_hmac *h, const void *p, size_t n,
    unsigned char out[32]);

/* digest_hmac_free(h): release H; NULL does nothing. */
void digest_hmac_free(struct digest_hmac *h);

/* digest_md5(p, n, out): OUT = MD5(P[0..N)), for S3's Content-MD5 on
 * configuration requests (an integrity check S3 demands, not security).
 * Returns 0 or -1. */
int digest_md5(const void *p, size_t n, unsigned char out[16]);

/* digest_base64(p, n, out, size): standard base64 of N bytes, padded,
 * NUL-terminated, into OUT of SIZE bytes (at least 4 * ((N + 2) / 3) + 1).
 * Returns 0, or -1 if OUT is too small. */
int digest_base64(const unsigned char *p, size_t n, char *out, size_t size);

/* digest_free_secret(s): wipe the C string S (OPENSSL_cleanse, which the
 * compiler may not drop as it may a memset before free) and free it;
 * NULL does nothing.  For keys, tokens and secrets. */
void digest_free_secret(char *s);

/* digest_hex_value(c): the value of the hex digit C (either case), or -1. */
int digest_hex_value(char c);

/* digest_hex(p, n, out): lowercase hex of N bytes into 2N+1 bytes. */
void digest_hex(const unsigned char *p, size_t n, char *out);

#endif /* !CSC_DIGEST_H */

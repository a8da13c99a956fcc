/*
 * buf: a growable byte buffer with a size cap set at init.
 *
 * The contents are always NUL-terminated (the NUL is not counted in len),
 * so text can be used as a C string.  On failure (out of memory, or the
 * cap would be exceeded) the buffer keeps what it had and -1 is returned;
 * nothing is reported, the caller knows what the buffer was for.
 */
#ifndef CSC_BUF_H
#define CSC_BUF_H

#include <stddef.h>

struct buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes held, excluding the terminating NUL */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* most bytes the buffer may hold */
};

/* buf_init(b, cap): an empty buffer that will hold at most CAP bytes. */
void buf_init(struct buf *b, size_t cap);

/* buf_add(b, p, n): append N bytes.  Returns 0, or -1 if out of memory or
 * over the cap. */
int buf_add(struct buf *b, const void *p, size_t n);

/* buf_addstr(b, s): append a C string.  As buf_add. */
int buf_addstr(struct buf *b, const char *s);

/* buf_printf(b, fmt, ...): append formatted text.  As buf_add. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* buf_reset(b): empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);

/* buf_detach(b): the contents as a malloc'd C string owned by the caller
 * (an empty string if nothing was added), leaving B empty; NULL if out of
 * memory. */
char *buf_detach(struct buf *b);

/* buf_free(b): release the memory; B is empty afterwards. */
void buf_free(struct buf *b);

#endif /* !CSC_BUF_H */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

/* Make room for N more bytes and the NUL, doubling to amortise growth. */
static int
reserve(struct buf *b, size_t n)
{
	size_t need, want;
	char *p;

	if (n > b->cap || b->len > b->cap - n)
		return (-1);
	need = b->len + n + 1;
	if (need <= b->alloc)
		return (0);
	want = b->alloc ? b->alloc : 256;
	while (want < need)
		want *= 2;
	p = realloc(b->data, want);
	if (p == NULL)
		return (-1);
	b->data = p;
	b->alloc = want;
	return (0);
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (reserve(b, n))
		return (-1);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return (0);
}

int
buf_addstr(struct buf *b, const char *s)
{
	return (buf_add(b, s, strlen(s)));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n))
		return (-1);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return (0);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char *s = b->data;

	if (s == NULL)
		s = strdup("");
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return (s);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

/*
 * sse: the WHATWG event-stream parser, fed in pieces.
 *
 * Bytes go through three stages.  The first looks for a byte-order mark
 * at the very start of the stream; it may arrive split, so the bytes that
 * match so far are held back, and replayed as ordinary bytes if the mark
 * turns out not to be one.  The second splits lines at CR, LF or CR LF;
 * a CR ending one piece leaves a flag so that an LF starting the next is
 * not taken for a second, empty, line.  The third interprets each line
 * (spec section 9.2.6): a blank line dispatches the event being built,
 * ':' starts a comment, anything else is "field[: value]".
 *
 * The parser works on bytes, not characters: it never needs to see
 * inside a UTF-8 sequence (CR, LF and ':' are ASCII and never occur
 * inside one), so a piece may end anywhere.  Invalid UTF-8 is passed
 * through as it came, not replaced by U+FFFD as a browser would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"

static const unsigned char s_bom[3] = {0xef, 0xbb, 0xbf};

/* Where the parser is within the current line. */
enum line_state {
	L_START,  /* nothing of the line seen yet */
	L_FIELD,  /* a field line, collected in p->line */
	L_COMMENT /* a comment, skipped up to its end */
};

struct sse_parser {
	size_t max; /* longest line, and longest event data */
	sse_callback cb;
	void *ctx;
	int rc;       /* nonzero once stopped: what feed returns */
	char err[64]; /* why it stopped, for sse_error */
	size_t bom;   /* bytes of the BOM matched so far */
	int bom_done; /* the start of the stream is behind us */
	int after_cr; /* the last byte was a CR ending a line */
	enum line_state ls;
	int pending;     /* field lines seen since the last blank line */
	struct buf line; /* the field line being collected */
	struct buf type; /* the "event" field */
	struct buf data; /* "data" values, each followed by LF */
};

/* sse_new(max_event, cb, ctx): a parser that refuses events (or lines)
 * longer than MAX_EVENT bytes: a field line, counted without its line
 * ending, or an event's joined data.  Comment lines are skipped as they
 * arrive, never held, so they have no limit.  NULL when out of memory. */
struct sse_parser *
sse_new(size_t max_event, sse_callback cb, void *ctx)
{
	struct sse_parser *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->max = max_event;
	p->cb = cb;
	p->ctx = ctx;
	p->ls = L_START;
	buf_init(&p->line, max_event);
	buf_init(&p->type, max_event);
	/* the data keeps an LF after each value, the last one not counted */
	buf_init(&p->data, max_event == (size_t)-1 ? max_event : max_event + 1);
	return (p);
}

/* stop(p, rc, why): stop the parser with RC; returns RC. */
static int
stop(struct sse_parser *p, int rc, const char *why)
{
	p->rc = rc;
	snprintf(p->err, sizeof(p->err), "%s", why);
	return (rc);
}

/* too_long(p, what): stop on a line or event over the limit.  A buffer
 * refuses only over its cap or when memory runs out; tell them apart. */
static int
too_long(struct sse_parser *p, const struct buf *b, size_t n, const char *what)
{
	char why[64];

	if (n > b->cap || b->len > b->cap - n)
		snprintf(why, sizeof(why), "%s longer than %zu bytes", what,
		    p->max);
	else
		snprintf(why, sizeof(why), "out of memory");
	return (stop(p, -1, why));
}

/* dispatch(p): the blank line that ends an event.  An event without data
 * is dropped; either way the event's fields start afresh. */
static int
dispatch(struct sse_parser *p)
{
	struct sse_event ev;
	int rc = 0;

	p->pending = 0;
	if (p->data.len > 0) {
		/* drop the LF that followed the last value */
		p->data.data[--p->data.len] = '\0';
		ev.type = p->type.len > 0 ? p->type.data : "message";
		ev.data = p->data.data;
		ev.data_len = p->data.len;
		if ((rc = p->cb(&ev, p->ctx)) != 0)
			stop(p, rc, "");
	}
	buf_reset(&p->type);
	buf_reset(&p->data);
	return (rc);
}

/* field(p): interpret the complete field line in p->line. */
static int
field(struct sse_parser *p)
{
	const char *name = p->line.data, *colon, *value;
	size_t nlen, vlen;

	/* "name: value" loses one space; a line without ':' is all name */
	if ((colon = memchr(name, ':', p->line.len)) != NULL) {
		nlen = (size_t)(colon - name);
		value = colon + 1;
		vlen = p->line.len - nlen - 1;
		if (vlen > 0 && *value == ' ') {
			value++;
			vlen--;
		}
	} else {
		nlen = p->line.len;
		value = "";
		vlen = 0;
	}
	p->pending = 1;
	/* "id" and "retry" serve reconnection, which is not done here */
	if (nlen == 5 && memcmp(name, "event", 5) == 0) {
		buf_reset(&p->type);
		if (buf_add(&p->type, value, vlen))
			return (too_long(p, &p->type, vlen, "line"));
	} else if (nlen == 4 && memcmp(name, "data", 4) == 0) {
		if (buf_add(&p->data, value, vlen))
			return (too_long(p, &p->data, vlen, "event"));
		if (buf_add(&p->data, "\n", 1))
			return (too_long(p, &p->data, 1, "event"));
	}
	return (0);
}

/* end_line(p): a line ending; the line is blank, a comment or a field. */
static int
end_line(struct sse_parser *p)
{
	enum line_state ls = p->ls;
	int rc = 0;

	p->ls = L_START;
	if (ls == L_START)
		rc = dispatch(p);
	else if (ls == L_FIELD)
		rc = field(p);
	buf_reset(&p->line);
	return (rc);
}

/* lines(p, s, n): split N bytes into lines. */
static int
lines(struct sse_parser *p, const char *s, size_t n)
{
	size_t i = 0, j;
	int rc;

	while (i < n) {
		/* the LF of a CR LF split between two pieces */
		if (p->after_cr) {
			p->after_cr = 0;
			if (s[i] == '\n') {
				i++;
				continue;
			}
		}
		if (s[i] == '\r' || s[i] == '\n') {
			p->after_cr = s[i] == '\r';
			i++;
			if ((rc = end_line(p)) != 0)
				return (rc);
			continue;
		}
		/* the rest of the line in this piece, in one append */
		for (j = i; j < n && s[j] != '\r' && s[j] != '\n'; j++)
			;
		if (p->ls == L_START)
			p->ls = s[i] == ':' ? L_COMMENT : L_FIELD;
		if (p->ls == L_FIELD && buf_add(&p->line, s + i, j - i))
			return (too_long(p, &p->line, j - i, "line"));
		i = j;
	}
	return (0);
}

/* sse_feed(p, buf, n): parse N more bytes.  Returns 0; the callback's
 * nonzero value if it stopped the parser; or -1 for an event over the
 * limit or out of memory (sse_error says which).  After a nonzero return
 * the parser refuses further input with the same value. */
int
sse_feed(struct sse_parser *p, const char *buf, size_t n)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t i = 0;
	int rc;

	if (p->rc != 0)
		return (p->rc);
	/* 1. a BOM at the start: match it byte by byte, across pieces */
	while (!p->bom_done && i < n) {
		if (u[i] != s_bom[p->bom]) {
			/* not a BOM: what matched so far was text */
			p->bom_done = 1;
			if ((rc = lines(p, (const char *)s_bom, p->bom)) != 0)
				return (rc);
			break;
		}
		i++;
		if (++p->bom == sizeof(s_bom))
			p->bom_done = 1;
	}
	/* 2. and 3. lines and fields */
	return (lines(p, buf + i, n - i));
}

/* sse_finish(p): the stream ended.  Returns 0 if it ended between events,
 * 1 if it was cut inside one (in a line, or after fields that no empty
 * line ended; the event is dropped, as EventSource does), or the value
 * sse_feed returned last if that was nonzero. */
int
sse_finish(struct sse_parser *p)
{
	int cut;

	if (p->rc != 0)
		return (p->rc);
	/* a stream that is only the start of a BOM holds those bytes */
	if (!p->bom_done) {
		p->bom_done = 1;
		if (lines(p, (const char *)s_bom, p->bom) != 0)
			return (p->rc);
	}
	/* inside an event: in a line, or after fields not yet dispatched */
	cut = p->ls != L_START || p->pending;
	p->ls = L_START;
	p->pending = 0;
	p->after_cr = 0;
	buf_reset(&p->line);
	buf_reset(&p->type);
	buf_reset(&p->data);
	return (cut);
}

/* sse_error(p): what went wrong, for messages: "line longer than N
 * bytes", "event longer than N bytes" or "out of memory"; "" if nothing
 * did, or if the callback stopped the parser. */
const char *
sse_error(const struct sse_parser *p)
{
	return (p->err);
}

/* sse_free(p): release P; NULL does nothing. */
void
sse_free(struct sse_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->line);
	buf_free(&p->type);
	buf_free(&p->data);
	free(p);
}

/*
 * sse: Server-Sent Events (the WHATWG "text/event-stream" format), parsed
 * from pieces of any size as they arrive: a piece may end inside a line,
 * inside a CR LF pair or inside a UTF-8 character.
 *
 * Lines end with CR LF, LF or CR; a line starting with ':' is a comment;
 * "field: value" loses one space after the colon, and a line without a
 * colon is a field with an empty value ("data" alone adds an empty line);
 * "data" lines are joined with "\n"; an empty line ends an event, which
 * is dispatched when it has data; "event" names it ("message" when
 * unnamed or named ""); "id", "retry" and unknown fields are ignored
 * (nothing here reconnects); a byte-order mark at the very start is
 * skipped, anywhere else it is text.
 *
 * Bytes are not decoded: UTF-8, valid or not, passes through as it came.
 */
#ifndef CSC_SSE_H
#define CSC_SSE_H

#include <stddef.h>

struct sse_event {
	const char *type; /* the "event" field, or "message"; a NUL byte in
	                   * the field ends this C string early */
	const char *data; /* the joined "data" lines, NUL-terminated */
	size_t data_len;  /* its length: the data may hold NUL bytes */
};

/* Called for each complete event; the strings live until it returns.  A
 * nonzero return stops the parser: sse_feed returns it (so use a value
 * other than -1 and 1, which mean a refusal and a cut stream).  It must
 * not feed or finish the parser that called it. */
typedef int (*sse_callback)(const struct sse_event *ev, void *ctx);

struct sse_parser;

/* sse_new(max_event, cb, ctx): a parser that refuses events (or lines)
 * longer than MAX_EVENT bytes: a field line, counted without its line
 * ending, or an event's joined data.  Comment lines are skipped as they
 * arrive, never held, so they have no limit.  NULL when out of memory. */
struct sse_parser *sse_new(size_t max_event, sse_callback cb, void *ctx);

/* sse_feed(p, buf, n): parse N more bytes.  Returns 0; the callback's
 * nonzero value if it stopped the parser; or -1 for an event over the
 * limit or out of memory (sse_error says which).  After a nonzero return
 * the parser refuses further input with the same value. */
int sse_feed(struct sse_parser *p, const char *buf, size_t n);

/* sse_finish(p): the stream ended.  Returns 0 if it ended between events,
 * 1 if it was cut inside one (in a line, or after fields that no empty
 * line ended; the event is dropped, as EventSource does), or the value
 * sse_feed returned last if that was nonzero. */
int sse_finish(struct sse_parser *p);

/* sse_error(p): what went wrong, for messages: "line longer than N
 * bytes", "event longer than N bytes" or "out of memory"; "" if nothing
 * did, or if the callback stopped the parser. */
const char *sse_error(const struct sse_parser *p);

/* sse_free(p): release P; NULL does nothing. */
void sse_free(struct sse_parser *p);

#endif /* !CSC_SSE_H */

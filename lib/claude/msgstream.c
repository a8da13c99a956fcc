/*
 * msgstream: a Messages API reply rebuilt from its events.
 *
 * message_start gives the message with an empty "content"; each block
 * then arrives as content_block_start (appended to "content" as it
 * starts), deltas and content_block_stop.  The deltas of the open block
 * are joined in one growable buffer, and the block's string ("text",
 * "thinking") or parsed "input" is set once, at its stop: adding each
 * delta to a cJSON string would copy the text so far every time.  So
 * until its stop an open block shows what it started with.  message_delta
 * updates the top-level fields and the usage, message_stop ends it.
 *
 * The first problem makes the reply BROKEN, with one message naming the
 * event; nothing is printed here, the caller reports it.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "jsonio.h"
#include "msgstream.h"

/* What the open block collects from its deltas. */
enum kind {
	K_TEXT,     /* text_delta pieces into "text" */
	K_THINKING, /* thinking_delta into "thinking", signature_delta */
	K_TOOL,     /* input_json_delta pieces, parsed into "input" */
	K_OTHER     /* nothing: kept as it started */
};

struct msgstream {
	size_t max;  /* content bytes allowed in total */
	size_t used; /* content bytes taken so far */
	enum msgstream_state state;
	cJSON *msg;     /* NULL before message_start */
	cJSON *content; /* msg's "content" array */
	cJSON *block;   /* the open block, in content, or NULL */
	enum kind kind; /* the open block's */
	int index;      /* the open block's index, or the next's */
	struct buf acc; /* the open block's joined deltas */
	int bad_input;  /* 1 + a tool block whose input is cut */
	long output_tokens;
	char etype[64];  /* msgstream_error_type */
	char emsg[1024]; /* msgstream_error_message */
};

/* broken(m, fmt, ...): the stream is malformed; say how. */
static void broken(struct msgstream *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
broken(struct msgstream *m, const char *fmt, ...)
{
	va_list ap;

	m->state = MSGSTREAM_BROKEN;
	snprintf(m->etype, sizeof(m->etype), "stream_error");
	va_start(ap, fmt);
	vsnprintf(m->emsg, sizeof(m->emsg), fmt, ap);
	va_end(ap);
}

/* copy_text(dst, size, src): SRC into DST, cut to fit without leaving half
 * a UTF-8 character at the end. */
static void
copy_text(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		/* back up over continuation bytes to the lead byte, and it */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* take(m, n, what): count N more bytes of content against the limit.
 * Returns 0, or -1 with the stream BROKEN. */
static int
take(struct msgstream *m, size_t n, const char *what)
{
	if (n > m->max || m->used > m->max - n) {
		broken(m, "%s: the reply is over %zu bytes", what, m->max);
		return (-1);
	}
	m->used += n;
	return (0);
}

/* parse_object(text, len): TEXT as exactly one JSON object (whitespace
 * around it allowed), or NULL. */
static cJSON *
parse_object(const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *j;

	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (j == NULL)
		return (NULL);
	while (end < text + len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != text + len || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return (NULL);
	}
	return (j);
}

/* count(j): J as a non-negative long (0 if not a number). */
static long
count(const cJSON *j)
{
	if (!cJSON_IsNumber(j) || !(j->valuedouble >= 0))
		return (0);
	if (j->valuedouble >= (double)LONG_MAX)
		return (LONG_MAX);
	return ((long)j->valuedouble);
}

/* get_index(m, ev, what, out): EV's "index", a whole number. */
static int
get_index(struct msgstream *m, const cJSON *ev, const char *what, int *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(ev, "index");

	if (!cJSON_IsNumber(j) || !(j->valuedouble >= 0) ||
	    j->valuedouble >= INT_MAX ||
	    j->valuedouble != (double)(int)j->valuedouble) {
		broken(m, "%s without a valid index", what);
		return (-1);
	}
	*out = (int)j->valuedouble;
	return (0);
}

/* open_block(m, ev, what): check that EV names the open block. */
static int
open_block(struct msgstream *m, const cJSON *ev, const char *what)
{
	int i;

	if (get_index(m, ev, what, &i))
		return (-1);
	if (m->block == NULL) {
		broken(m, "%s for block %d, but no block is open", what, i);
		return (-1);
	}
	if (i != m->index) {
		broken(m, "%s for block %d, but block %d is open", what, i,
		    m->index);
		return (-1);
	}
	return (0);
}

static void
on_message_start(struct msgstream *m, cJSON *ev, size_t len)
{
	cJSON *msg, *content;

	if (m->msg != NULL) {
		broken(m, "a second message_start");
		return;
	}
	msg = cJSON_GetObjectItemCaseSensitive(ev, "message");
	if (!cJSON_IsObject(msg)) {
		broken(m, "message_start without a message object");
		return;
	}
	content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	if (content != NULL && !cJSON_IsArray(content)) {
		broken(m, "message_start: its content is not an array");
		return;
	}
	if (take(m, len, "message_start"))
		return;
	if (content == NULL) {
		content = cJSON_CreateArray();
		if (jsonio_set(msg, "content", content)) {
			broken(m, "out of memory");
			return;
		}
	}
	m->msg = cJSON_DetachItemViaPointer(ev, msg);
	m->content = content;
	/* blocks already there (the API sends none) keep their indexes */
	m->index = cJSON_GetArraySize(content);
	m->output_tokens = count(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(msg, "usage"), "output_tokens"));
}

static void
on_block_start(struct msgstream *m, cJSON *ev, size_t len)
{
	const cJSON *type, *init;
	cJSON *cb;
	int i;

	if (get_index(m, ev, "content_block_start", &i))
		return;
	if (m->block != NULL) {
		broken(m,
		    "content_block_start for block %d, but block %d is "
		    "open",
		    i, m->index);
		return;
	}
	if (i != m->index) {
		broken(m,
		    "content_block_start for block %d, but block %d "
		    "comes next",
		    i, m->index);
		return;
	}
	cb = cJSON_GetObjectItemCaseSensitive(ev, "content_block");
	type = cJSON_GetObjectItemCaseSensitive(cb, "type");
	if (!cJSON_IsObject(cb) || !cJSON_IsString(type)) {
		broken(m,
		    "content_block_start for block %d without a typed "
		    "content_block",
		    i);
		return;
	}
	if (take(m, len, "content_block_start"))
		return;
	/* what the deltas will add to; text the block starts with counts */
	init = NULL;
	if (strcmp(type->valuestring, "text") == 0) {
		m->kind = K_TEXT;
		init = cJSON_GetObjectItemCaseSensitive(cb, "text");
	} else if (strcmp(type->valuestring, "thinking") == 0) {
		m->kind = K_THINKING;
		init = cJSON_GetObjectItemCaseSensitive(cb, "thinking");
	} else if (strcmp(type->valuestring, "tool_use") == 0 ||
	           strcmp(type->valuestring, "server_tool_use") == 0 ||
	           strcmp(type->valuestring, "mcp_tool_use") == 0)
		m->kind = K_TOOL;
	else
		m->kind = K_OTHER;
	buf_reset(&m->acc);
	if (cJSON_IsString(init) && buf_addstr(&m->acc, init->valuestring)) {
		broken(m, "out of memory");
		return;
	}
	cJSON_AddItemToArray(m->content, cJSON_DetachItemViaPointer(ev, cb));
	m->block = cb;
}

/* The delta types that add to a block, and the field each carries. */
static const struct {
	const char *type;
	const char *field;
	enum kind kind;
} s_deltas[] = {
    {"text_delta", "text", K_TEXT},
    {"thinking_delta", "thinking", K_THINKING},
    {"signature_delta", "signature", K_THINKING},
    {"input_json_delta", "partial_json", K_TOOL},
};

static void
on_block_delta(struct msgstream *m, cJSON *ev, size_t len)
{
	const cJSON *delta, *type, *piece;
	size_t d, n;

	(void)len;
	if (open_block(m, ev, "content_block_delta"))
		return;
	delta = cJSON_GetObjectItemCaseSensitive(ev, "delta");
	type = cJSON_GetObjectItemCaseSensitive(delta, "type");
	if (!cJSON_IsObject(delta) || !cJSON_IsString(type)) {
		broken(m,
		    "content_block_delta for block %d without a typed "
		    "delta",
		    m->index);
		return;
	}
	for (d = 0; d < sizeof(s_deltas) / sizeof(s_deltas[0]); d++)
		if (strcmp(type->valuestring, s_deltas[d].type) == 0)
			break;
	/* citations_delta and types to come are dropped, as are any deltas
	 * of a block type not known here */
	if (d == sizeof(s_deltas) / sizeof(s_deltas[0]) || m->kind == K_OTHER)
		return;
	if (s_deltas[d].kind != m->kind) {
		broken(m,
		    "content_block_delta: %s for block %d, which cannot "
		    "take it",
		    s_deltas[d].type, m->index);
		return;
	}
	piece = cJSON_GetObjectItemCaseSensitive(delta, s_deltas[d].field);
	if (!cJSON_IsString(piece)) {
		broken(m, "content_block_delta: %s for block %d without %s",
		    s_deltas[d].type, m->index, s_deltas[d].field);
		return;
	}
	n = strlen(piece->valuestring);
	if (take(m, n, "content_block_delta"))
		return;
	/* the signature comes whole, and replaces (as the SDKs do) */
	if (strcmp(s_deltas[d].field, "signature") == 0) {
		if (jsonio_set(m->block, "signature",
		        cJSON_CreateString(piece->valuestring)))
			broken(m, "out of memory");
		return;
	}
	if (buf_add(&m->acc, piece->valuestring, n))
		broken(m, "out of memory");
}

/* finish_tool(m): the open tool block's "input", from its joined
 * partial_json; none at all (or only empty pieces) leaves the input it
 * started with, which the API sends as {}.  JSON that does not parse is
 * what a reply cut by max_tokens ends with: the input becomes {}, as in
 * the API's whole reply, and message_stop judges it once the stop reason
 * is known. */
static void
finish_tool(struct msgstream *m)
{
	cJSON *input;

	if (m->acc.len == 0) {
		if (cJSON_IsObject(
		        cJSON_GetObjectItemCaseSensitive(m->block, "input")))
			return;
		input = cJSON_CreateObject();
	} else if ((input = parse_object(m->acc.data, m->acc.len)) == NULL) {
		if (m->bad_input == 0)
			m->bad_input = 1 + m->index;
		input = cJSON_CreateObject();
	}
	if (jsonio_set(m->block, "input", input))
		broken(m, "out of memory");
}

static void
on_block_stop(struct msgstream *m, cJSON *ev, size_t len)
{
	const char *key = NULL;

	(void)len;
	if (open_block(m, ev, "content_block_stop"))
		return;
	if (m->kind == K_TEXT)
		key = "text";
	else if (m->kind == K_THINKING)
		key = "thinking";
	else if (m->kind == K_TOOL)
		finish_tool(m);
	if (key != NULL &&
	    jsonio_set(m->block, key,
	        cJSON_CreateString(m->acc.data != NULL ? m->acc.data : "")))
		broken(m, "out of memory");
	if (m->state != MSGSTREAM_OPEN)
		return;
	buf_reset(&m->acc);
	m->block = NULL;
	m->index++;
}

/* Top-level fields message_delta may not replace: they are built here. */
static const char *const s_kept[] = {"content", "usage", "type"};

static void
on_message_delta(struct msgstream *m, cJSON *ev, size_t len)
{
	cJSON *delta, *usage, *have, *j;
	size_t k;

	delta = cJSON_GetObjectItemCaseSensitive(ev, "delta");
	usage = cJSON_GetObjectItemCaseSensitive(ev, "usage");
	if ((delta != NULL && !cJSON_IsObject(delta)) ||
	    (usage != NULL && !cJSON_IsObject(usage))) {
		broken(m, "message_delta: delta or usage is not an object");
		return;
	}
	/* each one could add fields: bounded as the blocks are */
	if (take(m, len, "message_delta"))
		return;
	/* stop_reason, stop_sequence, stop_details, and fields to come */
	for (j = delta != NULL ? delta->child : NULL; j != NULL; j = j->next) {
		for (k = 0; k < sizeof(s_kept) / sizeof(s_kept[0]); k++)
			if (strcmp(j->string, s_kept[k]) == 0)
				break;
		if (k < sizeof(s_kept) / sizeof(s_kept[0]))
			continue;
		if (jsonio_set(m->msg, j->string, cJSON_Duplicate(j, 1))) {
			broken(m, "out of memory");
			return;
		}
	}
	if (usage == NULL)
		return;
	/* the counts are totals: those given replace, a null changes none */
	have = cJSON_GetObjectItemCaseSensitive(m->msg, "usage");
	if (!cJSON_IsObject(have)) {
		have = cJSON_CreateObject();
		if (jsonio_set(m->msg, "usage", have)) {
			broken(m, "out of memory");
			return;
		}
	}
	for (j = usage->child; j != NULL; j = j->next) {
		if (cJSON_IsNull(j))
			continue;
		if (jsonio_set(have, j->string, cJSON_Duplicate(j, 1))) {
			broken(m, "out of memory");
			return;
		}
		if (strcmp(j->string, "output_tokens") == 0)
			m->output_tokens = count(j);
	}
}

static void
on_message_stop(struct msgstream *m, cJSON *ev, size_t len)
{
	const cJSON *why;

	(void)ev;
	(void)len;
	if (m->block != NULL) {
		broken(m, "message_stop while block %d is open", m->index);
		return;
	}
	why = cJSON_GetObjectItemCaseSensitive(m->msg, "stop_reason");
	if (m->bad_input != 0 &&
	    !(cJSON_IsString(why) &&
	        strcmp(why->valuestring, "max_tokens") == 0)) {
		broken(m,
		    "the input of block %d is not a JSON object, and the "
		    "reply was not cut by max_tokens",
		    m->bad_input - 1);
		return;
	}
	m->state = MSGSTREAM_DONE;
}

static void
on_error(struct msgstream *m, cJSON *ev, size_t len)
{
	const cJSON *e, *type, *message;

	(void)len;
	e = cJSON_GetObjectItemCaseSensitive(ev, "error");
	type = cJSON_GetObjectItemCaseSensitive(e, "type");
	message = cJSON_GetObjectItemCaseSensitive(e, "message");
	/* ERROR promises a type to report */
	if (!cJSON_IsString(type) || type->valuestring[0] == '\0') {
		broken(m, "an error event without error.type");
		return;
	}
	m->state = MSGSTREAM_ERROR;
	copy_text(m->etype, sizeof(m->etype), type->valuestring);
	copy_text(m->emsg, sizeof(m->emsg),
	    cJSON_IsString(message) ? message->valuestring : "");
}

/* The events, and whether each needs message_start first.  Others (ping
 * among them) are ignored. */
static const struct {
	const char *name;
	void (*fn)(struct msgstream *, cJSON *, size_t);
	int after_start;
} s_events[] = {
    {"message_start", on_message_start, 0},
    {"content_block_start", on_block_start, 1},
    {"content_block_delta", on_block_delta, 1},
    {"content_block_stop", on_block_stop, 1},
    {"message_delta", on_message_delta, 1},
    {"message_stop", on_message_stop, 1},
    {"error", on_error, 0},
};

/* msgstream_new(max_bytes): an empty reply, holding at most MAX_BYTES of
 * content in total: the text of the deltas, and the JSON of the
 * message_start, content_block_start and message_delta events; past it
 * the reply is BROKEN.  NULL when out of memory. */
struct msgstream *
msgstream_new(size_t max_bytes)
{
	struct msgstream *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	m->max = max_bytes;
	m->state = MSGSTREAM_OPEN;
	/* the total is checked by take(); the buffer itself is not capped */
	buf_init(&m->acc, (size_t)-1);
	return (m);
}

/* msgstream_event(m, type, data, len): apply one SSE event (TYPE is its
 * "event" name, DATA its JSON).  Returns the new state; once not OPEN, it
 * stays (later events are ignored). */
enum msgstream_state
msgstream_event(struct msgstream *m, const char *type, const char *data,
    size_t len)
{
	const cJSON *t;
	cJSON *ev;
	size_t e;

	if (m->state != MSGSTREAM_OPEN)
		return (m->state);
	for (e = 0; e < sizeof(s_events) / sizeof(s_events[0]); e++)
		if (strcmp(type, s_events[e].name) == 0)
			break;
	if (e == sizeof(s_events) / sizeof(s_events[0]))
		return (m->state);
	if (s_events[e].after_start && m->msg == NULL) {
		broken(m, "%s before message_start", s_events[e].name);
		return (m->state);
	}
	if ((ev = parse_object(data, len)) == NULL) {
		broken(m, "%s: its data is not a JSON object",
		    s_events[e].name);
		return (m->state);
	}
	/* the data's own "type" (always sent) must agree with the name */
	t = cJSON_GetObjectItemCaseSensitive(ev, "type");
	if (t != NULL && (!cJSON_IsString(t) ||
	                     strcmp(t->valuestring, s_events[e].name) != 0))
		broken(m, "%s: its data has another type", s_events[e].name);
	else
		s_events[e].fn(m, ev, len);
	cJSON_Delete(ev);
	return (m->state);
}

/* msgstream_state(m): the current state. */
enum msgstream_state
msgstream_state(const struct msgstream *m)
{
	return (m->state);
}

/* msgstream_message(m): the reply so far (whole when DONE), owned by M;
 * NULL before message_start.  A block still open shows what it started
 * with (its deltas are joined when it stops); it is valid until the next
 * msgstream_event or msgstream_free. */
const cJSON *
msgstream_message(const struct msgstream *m)
{
	return (m->msg);
}

/* msgstream_output_tokens(m): output tokens so far (for progress). */
long
msgstream_output_tokens(const struct msgstream *m)
{
	return (m->output_tokens);
}

/* msgstream_error_type(m), msgstream_error_message(m): the "error"
 * event's error.type ("overloaded_error") and message; for BROKEN, type
 * "stream_error" and what was wrong.  "" when there is none. */
const char *
msgstream_error_type(const struct msgstream *m)
{
	return (m->etype);
}

const char *
msgstream_error_message(const struct msgstream *m)
{
	return (m->emsg);
}

/* msgstream_free(m): release M; NULL does nothing. */
void
msgstream_free(struct msgstream *m)
{
	if (m == NULL)
		return;
	buf_free(&m->acc);
	cJSON_Delete(m->msg);
	free(m);
}

/*
 * fuzz_sse: libFuzzer over the streaming reply's two readers: the input
 * is an event stream, fed to the sse parser whole, in two pieces split
 * where its first byte says (it stays part of the stream, so captured
 * streams are seeds as they are), and a byte at a time;
 * each run's events go to a msgstream.  The three runs must see the same
 * events, end the same way and rebuild the same message, and every
 * result must keep its contract (states, error texts, limits).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "msgstream.h"
#include "sse.h"

/* Small enough that the fuzzer meets both limits. */
#define MAX_EVENT 2048
#define MAX_BYTES 16384

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One run: the events seen, as "type NUL data NUL", and the outcome. */
struct run {
	struct buf log;
	struct msgstream *ms;
	int end;
	char *message; /* the rebuilt message, printed, or NULL */
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	err_init("fuzz_sse");
	err_quiet(1);
	return (0);
}

static int
on_event(const struct sse_event *ev, void *ctx)
{
	struct run *r = ctx;
	size_t len = strlen(ev->type);

	/* NUL-terminated data within the limit (the name may be "": a NUL
	 * byte in an "event" field ends the C string) */
	if (ev->data == NULL || ev->data[ev->data_len] != '\0' ||
	    ev->data_len > MAX_EVENT)
		abort();
	if (buf_add(&r->log, ev->type, len + 1) ||
	    buf_add(&r->log, ev->data, ev->data_len + 1))
		abort();
	msgstream_event(r->ms, ev->type, ev->data, ev->data_len);
	return (0);
}

/* feed(r, data, size, step, split): DATA in pieces of STEP bytes, all at
 * once when STEP is 0, or in two pieces cut at SPLIT when STEP is
 * (size_t)-1 (either may be empty). */
static void
feed(struct run *r, const char *data, size_t size, size_t step, size_t split)
{
	struct sse_parser *p;
	size_t off = 0, n;
	int rc = 0;

	buf_init(&r->log, (size_t)1 << 24);
	if ((r->ms = msgstream_new(MAX_BYTES)) == NULL ||
	    (p = sse_new(MAX_EVENT, on_event, r)) == NULL)
		abort();
	if (step == (size_t)-1) {
		if ((rc = sse_feed(p, data, split)) == 0)
			rc = sse_feed(p, data + split, size - split);
	} else {
		n = step == 0 ? size : step;
		for (; off < size && rc == 0; off += n) {
			if (n > size - off)
				n = size - off;
			rc = sse_feed(p, data + off, n);
		}
	}
	/* a stopped parser stays stopped, with the same value */
	if (rc != 0 && (sse_feed(p, "\n\n", 2) != rc || sse_error(p)[0] == 0))
		abort();
	r->end = sse_finish(p);
	if (r->end != rc && rc != 0)
		abort();
	if (r->end != -1 && r->end != 0 && r->end != 1)
		abort();
	sse_free(p);
	r->message = NULL;
	if (msgstream_message(r->ms) != NULL &&
	    (r->message = cJSON_PrintUnformatted(msgstream_message(r->ms))) ==
	        NULL)
		abort();
}

/* check(r): what msgstream promises about its state. */
static void
check(const struct run *r)
{
	enum msgstream_state st = msgstream_state(r->ms);
	const char *type = msgstream_error_type(r->ms);
	const cJSON *msg = msgstream_message(r->ms);
	cJSON *back;

	switch (st) {
	case MSGSTREAM_OPEN:
	case MSGSTREAM_DONE:
		if (type[0] != '\0' || msgstream_error_message(r->ms)[0] != 0)
			abort();
		if (st == MSGSTREAM_DONE &&
		    (msg == NULL ||
		        !cJSON_IsArray(
		            cJSON_GetObjectItemCaseSensitive(msg, "content"))))
			abort();
		break;
	case MSGSTREAM_ERROR:
		if (type[0] == '\0')
			abort();
		break;
	case MSGSTREAM_BROKEN:
		if (strcmp(type, "stream_error") != 0 ||
		    msgstream_error_message(r->ms)[0] == '\0')
			abort();
		break;
	default:
		abort();
	}
	if (msgstream_output_tokens(r->ms) < 0)
		abort();
	/* the message prints as JSON that reads back */
	if (r->message != NULL) {
		if ((back = cJSON_Parse(r->message)) == NULL)
			abort();
		cJSON_Delete(back);
	}
}

/* same(a, b): two runs over the same bytes agree. */
static void
same(const struct run *a, const struct run *b)
{
	if (a->log.len != b->log.len ||
	    (a->log.len > 0 &&
	        memcmp(a->log.data, b->log.data, a->log.len) != 0))
		abort();
	if (a->end != b->end ||
	    msgstream_state(a->ms) != msgstream_state(b->ms) ||
	    msgstream_output_tokens(a->ms) != msgstream_output_tokens(b->ms) ||
	    strcmp(msgstream_error_type(a->ms), msgstream_error_type(b->ms)) !=
	        0 ||
	    strcmp(msgstream_error_message(a->ms),
	        msgstream_error_message(b->ms)) != 0)
		abort();
	if ((a->message == NULL) != (b->message == NULL) ||
	    (a->message != NULL && strcmp(a->message, b->message) != 0))
		abort();
}

static void
done(struct run *r)
{
	buf_free(&r->log);
	msgstream_free(r->ms);
	free(r->message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, two, bytes;
	const char *text = (const char *)data;
	size_t split;

	if (size == 0)
		return (0);
	/* the first byte picks the split, from the start (0) to the end */
	split = (size_t)data[0] * size / 255;
	feed(&whole, text, size, 0, 0);
	feed(&two, text, size, (size_t)-1, split);
	feed(&bytes, text, size, 1, 0);
	check(&whole);
	same(&whole, &two);
	same(&whole, &bytes);
	done(&whole);
	done(&two);
	done(&bytes);
	return (0);
}

/*
 * msgstream: a Messages API reply rebuilt from its stream of events
 * (message_start, content_block_start, content_block_delta,
 * content_block_stop, message_delta, message_stop, ping, error), into the
 * same JSON the API returns without streaming:
 *
 *   {"id", "type": "message", "role", "model", "content": [blocks],
 *    "stop_reason", "stop_sequence", "stop_details", "usage"}
 *
 * Text blocks get their text_delta pieces joined; tool_use (and
 * server_tool_use, mcp_tool_use) blocks their input_json_delta pieces
 * joined and parsed into "input" (no pieces, or only empty ones: the
 * input they started with, {}); thinking blocks their thinking_delta
 * pieces joined, and the signature_delta's signature (a later one
 * replaces it, as in Anthropic's SDKs); redacted_thinking blocks are kept
 * as they started.  Unknown block and delta types (citations_delta among
 * them) are kept as they started, their deltas dropped.  message_delta's
 * "delta" fields (stop_reason, stop_sequence, stop_details...; not
 * content, usage or type) replace the message's; its "usage" counts are
 * totals and replace message_start's (a null count changes nothing).  Unknown event types and ping are
 * ignored, wherever they come.
 *
 * A tool input that does not parse is what a reply cut by max_tokens
 * ends with: it becomes {}, as in the reply without streaming, and the
 * message is DONE if its stop_reason is "max_tokens", BROKEN if not.
 *
 * Input comes from the network: every event's JSON is checked (one
 * object, whose "type", if any, is the event's name); blocks must start
 * in index order 0, 1, 2..., one at a time, and a delta or stop must name
 * the open block; events other than ping and error need message_start
 * first, and message_stop needs no block open; sizes are bounded.
 */
#ifndef CSC_MSGSTREAM_H
#define CSC_MSGSTREAM_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum msgstream_state {
	MSGSTREAM_OPEN,  /* more events expected */
	MSGSTREAM_DONE,  /* message_stop seen: the message is whole */
	MSGSTREAM_ERROR, /* an "error" event: see error_type/message */
	MSGSTREAM_BROKEN /* a malformed or out-of-order event */
};

struct msgstream;

/* msgstream_new(max_bytes): an empty reply, holding at most MAX_BYTES of
 * content in total: the text of the deltas, and the JSON of the
 * message_start, content_block_start and message_delta events; past it
 * the reply is BROKEN.  NULL when out of memory. */
struct msgstream *msgstream_new(size_t max_bytes);

/* msgstream_event(m, type, data, len): apply one SSE event (TYPE is its
 * "event" name, DATA its JSON).  Returns the new state; once not OPEN, it
 * stays (later events are ignored). */
enum msgstream_state msgstream_event(struct msgstream *m, const char *type,
    const char *data, size_t len);

/* msgstream_state(m): the current state. */
enum msgstream_state msgstream_state(const struct msgstream *m);

/* msgstream_message(m): the reply so far (whole when DONE), owned by M;
 * NULL before message_start.  A block still open shows what it started
 * with (its deltas are joined when it stops); it is valid until the next
 * msgstream_event or msgstream_free. */
const cJSON *msgstream_message(const struct msgstream *m);

/* msgstream_output_tokens(m): output tokens so far (for progress). */
long msgstream_output_tokens(const struct msgstream *m);

/* msgstream_error_type(m), msgstream_error_message(m): the "error"
 * event's error.type ("overloaded_error") and message; for BROKEN, type
 * "stream_error" and what was wrong.  "" when there is none. */
const char *msgstream_error_type(const struct msgstream *m);
const char *msgstream_error_message(const struct msgstream *m);

/* msgstream_free(m): release M; NULL does nothing. */
void msgstream_free(struct msgstream *m);

#endif /* !CSC_MSGSTREAM_H */

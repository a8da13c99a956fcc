/*
 * msgstream: a Messages API reply rebuilt from its stream of events
 * (message_start, content_block_start, content_block_delta,
 * content_block_stop, message_delta, message_stop, ping, error), into the
 * same JSON the API returns without streaming:
 *
 *   {"id", "type": "message", "role", "model", "content": [blocks],
 *    "stop_reason", "stop_sequence", "stop_details", "usage"}
 *
 * Text blocks get their text_delta pieces joined; tool_use blocks their
 * input_json_delta pieces joined and parsed into "input"; thinking and
 * redacted_thinking blocks are kept with their thinking/signature deltas;
 * unknown block and delta types are kept as they started, their deltas
 * dropped.  "usage" is message_start's, updated by message_delta's
 * (cumulative) counts.  Unknown event types and ping are ignored.
 *
 * Input comes from the network: every event's JSON is checked, an index
 * that does not name the open block is an error, and sizes are bounded.
 */
#ifndef CSC_MSGSTREAM_H
#define CSC_MSGSTREAM_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum msgstream_state {
	MSGSTREAM_OPEN,     /* more events expected */
	MSGSTREAM_DONE,     /* message_stop seen: the message is whole */
	MSGSTREAM_ERROR,    /* an "error" event: see error_type/message */
	MSGSTREAM_BROKEN    /* a malformed or out-of-order event */
};

struct msgstream;

/* msgstream_new(max_bytes): an empty reply, holding at most MAX_BYTES of
 * content in total.  NULL when out of memory. */
struct msgstream *msgstream_new(size_t max_bytes);

/* msgstream_event(m, type, data, len): apply one SSE event (TYPE is its
 * "event" name, DATA its JSON).  Returns the new state; once not OPEN, it
 * stays (later events are ignored). */
enum msgstream_state msgstream_event(struct msgstream *m, const char *type,
    const char *data, size_t len);

/* msgstream_state(m): the current state. */
enum msgstream_state msgstream_state(const struct msgstream *m);

/* msgstream_message(m): the reply so far (whole when DONE), owned by M;
 * NULL before message_start. */
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

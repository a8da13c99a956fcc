/*
 * test_sse [-m] [-p N] [-s SEED] [-l MAX] [-b MAX] [-n N]: read an event
 * stream on standard input and feed it to the sse parser in pieces.
 *   -p N     pieces of N bytes (default 4096); -p 0: pieces of random
 *            sizes 1..64 bytes, from a fixed generator seeded with -s
 *            SEED (default 1), the same on every machine
 *   -l MAX   the parser's max_event (default 1 MiB)
 *   -n N     the callback stops the parser (returning 2) at event N
 * Without -m each event is printed as a JSON line {"type","data"}, and
 * last {"end": sse_finish's value}.  With -m the events go to msgstream
 * (holding at most -b MAX bytes, default 16 MiB) and one line is printed:
 *   {"state","end","output_tokens","error":{"type","message"},"message"}
 * Exits 0; 1 when the parser refused the stream or the reply is BROKEN,
 * after one line on stderr saying why; 64 on misuse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "msgstream.h"
#include "sse.h"

#define INPUT_MAX ((size_t)64 << 20)

static const char *const s_states[] = {"open", "done", "error", "broken"};

struct run {
	struct msgstream *ms; /* -m, or NULL */
	long stop_at;         /* -n, or 0 */
	long events;
};

/* put_string(s, n): S as a JSON string; NUL and control bytes escaped,
 * other bytes as they are. */
static void
put_string(const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int
on_event(const struct sse_event *ev, void *ctx)
{
	struct run *r = ctx;

	r->events++;
	if (r->ms != NULL)
		msgstream_event(r->ms, ev->type, ev->data, ev->data_len);
	else {
		fputs("{\"type\":", stdout);
		put_string(ev->type, strlen(ev->type));
		fputs(",\"data\":", stdout);
		put_string(ev->data, ev->data_len);
		fputs("}\n", stdout);
	}
	return (r->stop_at > 0 && r->events == r->stop_at ? 2 : 0);
}

/* next_piece(seed): a size in 1..64 from a xorshift32 generator. */
static size_t
next_piece(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return (1 + *seed % 64);
}

/* feed(p, in, piece, seed): IN to the parser in pieces; sse_finish's
 * value. */
static int
feed(struct sse_parser *p, const struct buf *in, size_t piece, uint32_t seed)
{
	size_t off = 0, n;

	while (off < in->len) {
		n = piece > 0 ? piece : next_piece(&seed);
		if (n > in->len - off)
			n = in->len - off;
		if (sse_feed(p, in->data + off, n) != 0)
			break;
		off += n;
	}
	return (sse_finish(p));
}

/* report(ms, end): the -m line. */
static int
report(const struct msgstream *ms, int end)
{
	cJSON *o, *e;
	char *text;
	int rc = -1;

	if ((o = cJSON_CreateObject()) == NULL)
		return (-1);
	cJSON_AddStringToObject(o, "state", s_states[msgstream_state(ms)]);
	cJSON_AddNumberToObject(o, "end", end);
	cJSON_AddNumberToObject(o, "output_tokens",
	    (double)msgstream_output_tokens(ms));
	e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "type", msgstream_error_type(ms));
	cJSON_AddStringToObject(e, "message", msgstream_error_message(ms));
	if (msgstream_message(ms) != NULL)
		cJSON_AddItemReferenceToObject(o, "message",
		    (cJSON *)msgstream_message(ms));
	else
		cJSON_AddNullToObject(o, "message");
	if ((text = cJSON_PrintUnformatted(o)) != NULL) {
		puts(text);
		rc = 0;
	}
	free(text);
	cJSON_Delete(o);
	return (rc);
}

/* read_all(f, b): F into B. */
static int
read_all(FILE *f, struct buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n)) {
			err_set(EX_DATAERR, "input over %zu bytes", b->cap);
			return (-1);
		}
	if (ferror(f)) {
		err_set(EX_IOERR, "reading standard input failed");
		return (-1);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct run r = {NULL, 0, 0};
	struct sse_parser *p = NULL;
	struct buf in;
	size_t piece = 4096, max_event = (size_t)1 << 20;
	size_t max_bytes = (size_t)16 << 20;
	uint32_t seed = 1;
	int c, end, ms = 0, rc = EX_USAGE;

	err_init("test_sse");
	buf_init(&in, INPUT_MAX);
	while ((c = getopt(argc, argv, "b:l:mn:p:s:")) != -1) {
		switch (c) {
		case 'b':
			max_bytes = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			max_event = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			ms = 1;
			break;
		case 'n':
			r.stop_at = strtol(optarg, NULL, 10);
			break;
		case 'p':
			piece = strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || seed == 0)
		goto usage;
	if (read_all(stdin, &in)) {
		rc = err_code();
		goto done;
	}
	if ((ms && (r.ms = msgstream_new(max_bytes)) == NULL) ||
	    (p = sse_new(max_event, on_event, &r)) == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		rc = err_code();
		goto done;
	}
	end = feed(p, &in, piece, seed);
	if (ms)
		rc = report(r.ms, end);
	else
		rc = printf("{\"end\":%d}\n", end) < 0 ? -1 : 0;
	if (rc != 0) {
		err_set(EX_IOERR, "writing output failed");
		rc = err_code();
	} else if (end == -1) {
		err_set(1, "%s", sse_error(p));
		rc = 1;
	} else if (ms && msgstream_state(r.ms) == MSGSTREAM_BROKEN) {
		err_set(1, "%s: %s", msgstream_error_type(r.ms),
		    msgstream_error_message(r.ms));
		rc = 1;
	}
done:
	sse_free(p);
	msgstream_free(r.ms);
	buf_free(&in);
	if (ferror(stdout) || fclose(stdout)) {
		err_set(EX_IOERR, "writing output failed");
		rc = err_code();
	}
	return (rc);
usage:
	fprintf(stderr, "usage: test_sse [-m] [-p piece] [-s seed] "
	                "[-l max_event] [-b max_bytes] [-n stop_at]\n");
	buf_free(&in);
	return (rc);
}

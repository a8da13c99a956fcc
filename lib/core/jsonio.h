/*
 * jsonio: one JSON document in, one out (SPEC section 3).
 *
 * Input is bounded (default 1 MiB, CSC_MAX_INPUT overrides); output is
 * written only once the whole document is ready, and write errors (a full
 * disk, a closed pipe) are failures.
 */
#ifndef CSC_JSONIO_H
#define CSC_JSONIO_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define JSONIO_DEFAULT_LIMIT ((size_t)1 << 20)

/* jsonio_limit(): CSC_MAX_INPUT if set to a positive integer, else 1 MiB. */
size_t jsonio_limit(void);

/* jsonio_parse(text, len, what): parse exactly one JSON value from TEXT
 * (whitespace around it allowed; NUL bytes and trailing data are not).
 * WHAT names the input in errors ("standard input").  Returns the value,
 * or NULL after err_set(EX_DATAERR, ...) saying where it went wrong. */
cJSON *jsonio_parse(const char *text, size_t len, const char *what);

/* jsonio_read(f, limit): read F to its end and parse one document.
 * Returns NULL after reporting: EX_DATAERR for empty, oversized or
 * invalid input, EX_IOERR for a read error. */
cJSON *jsonio_read(FILE *f, size_t limit);

/* jsonio_read_line(f, limit, out): read the next non-blank line of a JSON
 * Lines stream into *OUT.  Returns 1 with a document, 0 at end of input,
 * -1 after reporting as jsonio_read (the line number is in the message). */
int jsonio_read_line(FILE *f, size_t limit, cJSON **out);

/* jsonio_print(doc): DOC as compact JSON text, malloc'd, or NULL after
 * reporting EX_SOFTWARE (out of memory).  Number nodes that carry their
 * exact text (jsonio_exact_numbers, jsonio_create_number_text) are
 * printed as that text. */
char *jsonio_print(const cJSON *doc);

/* jsonio_write(f, doc): print DOC compactly with a newline and flush.
 * Returns 0, or -1 after err_set(EX_IOERR, ...). */
int jsonio_write(FILE *f, const cJSON *doc);

/* jsonio_write_text(f, text, len): write TEXT fully and flush; as
 * jsonio_write. */
int jsonio_write_text(FILE *f, const char *text, size_t len);

/* jsonio_exact_numbers(on): while on, numbers parsed by jsonio keep their
 * source text (in the cJSON node's valuestring, which cJSON frees and
 * duplicates with the node), so that "12345678901234567890" or "0.10"
 * reach DynamoDB digit for digit.  Off by default: only csc-store needs
 * it.  Printing always honours a kept text (see jsonio_print). */
void jsonio_exact_numbers(int on);

/* jsonio_number_text(n, tmp): the decimal text of the number node N: its
 * kept text if it has one that is a valid JSON number, else the shortest
 * text that reads back as the same double (integers without exponent up
 * to 2^53), written into TMP.  NULL if N is not a finite number. */
const char *jsonio_number_text(const cJSON *n, char tmp[32]);

/* jsonio_create_number_text(text): a number node holding TEXT exactly,
 * or NULL if TEXT is not a JSON number (or out of memory).  Reports
 * nothing. */
cJSON *jsonio_create_number_text(const char *text);

/* jsonio_is_number_text(text): 1 if TEXT is exactly one JSON number
 * (RFC 8259 grammar: -?int frac? exp?), else 0. */
int jsonio_is_number_text(const char *text);

/* jsonio_string(obj, name): OBJ's member NAME if it is a string, else NULL. */
const char *jsonio_string(const cJSON *obj, const char *name);

#endif /* !CSC_JSONIO_H */

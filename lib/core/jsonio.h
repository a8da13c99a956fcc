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
/* The most CSC_MAX_INPUT may ask for: a document is held whole in memory. */
#define JSONIO_MAX_LIMIT (1L << 30)

/*
 * Every document jsonio reads is checked beyond what cJSON checks: it is
 * UTF-8, holds no NUL (raw or \u0000), is one value with nothing after it,
 * and no object in it has a member name twice.  Readers disagree on such
 * an object (cJSON keeps the first, jq the last), so it is refused, with
 * the path of the object in jq's notation: "." is the document itself,
 * then ".name" for a member whose name is a plain identifier,
 * "[\"any name\"]" for any other, "[2]" for an element (".files[2]",
 * ".answers", ".[\"a b\"].x").  Of several such objects the one that
 * begins first is named, and in it the first member that repeats an
 * earlier one.  Long names and paths are cut, with "...".
 */

/* Flags of jsonio_parse_with and jsonio_read_with. */
/* Numbers print as they were written (see below). */
#define JSONIO_NUMBER_TEXT 0x1
/* The text is a peer's answer (DynamoDB, Claude, a credential endpoint):
 * failures are EX_UNAVAILABLE, a broken peer, not EX_DATAERR. */
#define JSONIO_ANSWER 0x2

/*
 * Numbers kept as written (JSONIO_NUMBER_TEXT), for the documents csc
 * stores in DynamoDB, whose numbers must go there and come back digit for
 * digit ("12345678901234567890123", "0.10", "1E+2"), which a double
 * cannot do.  In such a tree a number written the way both cJSON prints
 * it and jsonio_number_text gives it (1, 42, 0.5, 1700000000) stays a
 * cJSON Number, so code reads it as usual; any other is a cJSON Raw node
 * holding its text, which cJSON prints verbatim and ddbjson stores as it
 * is.  Either way the number prints, and is stored, as written.
 * Only texts in JSON's number grammar become Raw nodes: a number cJSON
 * accepts outside it (01, 1., -.5) stays the Number it reads as.  So code
 * that needs a number's value must find a Number: a value written
 * unusually (2.0 for 2) is a Raw node, not a number, to such code.
 */

/* jsonio_limit(out): *OUT = CSC_MAX_INPUT's value, or 1 MiB when unset.
 * Returns 0, or -1 after err_set(EX_CONFIG, ...) for a value that is not
 * a whole number from 1 to JSONIO_MAX_LIMIT. */
int jsonio_limit(size_t *out);

/* jsonio_parse(text, len, what): parse exactly one JSON value from TEXT
 * (whitespace around it allowed; NUL bytes and trailing data are not).
 * WHAT names the input in errors ("standard input").  Returns the value,
 * or NULL after err_set(EX_DATAERR, "WHAT: ...") saying where it went
 * wrong ("WHAT: duplicate key \"id\" at .files[2]"), or EX_SOFTWARE if
 * out of memory. */
cJSON *jsonio_parse(const char *text, size_t len, const char *what);

/* jsonio_parse_with(text, len, what, flags): jsonio_parse with FLAGS
 * (JSONIO_NUMBER_TEXT, JSONIO_ANSWER, or both). */
cJSON *jsonio_parse_with(const char *text, size_t len, const char *what,
    int flags);

/* jsonio_check_unique(doc, what, code): refuse DOC, a tree parsed
 * elsewhere (cJSON keeps every member it reads), if an object in it has a
 * member name twice, as jsonio_parse does.  Returns 0, or -1 after
 * err_set(CODE, "WHAT: duplicate key ... at PATH"). */
int jsonio_check_unique(const cJSON *doc, const char *what, int code);

/* jsonio_read(f, limit): read F to its end and parse one document.
 * Returns NULL after reporting: EX_DATAERR for empty, oversized or
 * invalid input, EX_IOERR for a read error. */
cJSON *jsonio_read(FILE *f, size_t limit);

/* jsonio_read_with(f, limit, flags): jsonio_read with jsonio_parse_with's
 * FLAGS. */
cJSON *jsonio_read_with(FILE *f, size_t limit, int flags);

/* jsonio_read_line(f, limit, out): read the next non-blank line of a JSON
 * Lines stream into *OUT.  Returns 1 with a document, 0 at end of input,
 * -1 after reporting as jsonio_read (the line number is in the message). */
int jsonio_read_line(FILE *f, size_t limit, cJSON **out);

/* jsonio_print(doc): DOC as compact JSON text, malloc'd, or NULL after
 * reporting EX_SOFTWARE (out of memory). */
char *jsonio_print(const cJSON *doc);

/* jsonio_write(f, doc): print DOC compactly with a newline and flush.
 * Returns 0, or -1 after err_set(EX_IOERR, ...). */
int jsonio_write(FILE *f, const cJSON *doc);

/* jsonio_write_text(f, text, len): write TEXT fully and flush; as
 * jsonio_write. */
int jsonio_write_text(FILE *f, const char *text, size_t len);

/* Room for any number's text from jsonio_number_text, with its NUL. */
#define JSONIO_NUMBER_MAX 64

/* jsonio_close(f): close F, the output, at the end of a run: a write that
 * failed earlier (ferror) or a failing close is a failure, not silence
 * (a full disk, a closed pipe).  Returns 0, or -1 after err_set(EX_IOERR,
 * "writing output: ..."). */
int jsonio_close(FILE *f);

/* jsonio_number_text(n, tmp): the decimal text of the number N: a Raw
 * node's text if it is a JSON number, or for a finite Number the shortest
 * text that reads back as the same double (whole numbers below 2^53
 * without exponent), written into TMP.  NULL for anything else: a Number
 * that is not finite, a Raw node that is not a number, any other node.
 * Reports nothing. */
const char *jsonio_number_text(const cJSON *n, char tmp[JSONIO_NUMBER_MAX]);

/* jsonio_number_from_text(text): a node that prints as TEXT, made as
 * JSONIO_NUMBER_TEXT makes one (a Number or a Raw node), or NULL if TEXT
 * is not a JSON number or out of memory.  Reports nothing. */
cJSON *jsonio_number_from_text(const char *text);

/* jsonio_is_number_text(text): 1 if TEXT is exactly one JSON number
 * (RFC 8259 grammar: -?int frac? exp?), else 0. */
int jsonio_is_number_text(const char *text);

/* jsonio_string(obj, name): OBJ's member NAME if it is a string, else NULL. */
const char *jsonio_string(const cJSON *obj, const char *name);

/* jsonio_type_name(v): what an error message says V is: "a string", "a
 * number", "a boolean", "an array", "an object", "null", or "nothing"
 * for NULL. */
const char *jsonio_type_name(const cJSON *v);

/* jsonio_is_int(v, lo, hi): 1 if V is a number with a whole value from LO
 * to HI (both within a long long), else 0. */
int jsonio_is_int(const cJSON *v, double lo, double hi);

/* jsonio_set(obj, name, value): make VALUE OBJ's member NAME, replacing
 * the one there (in its place) or adding it at the end.  VALUE is OBJ's
 * from then on, or freed on failure, so cJSON_Create* calls can be passed
 * directly: a NULL OBJ or VALUE is taken for a failed allocation.
 * Returns 0, or -1 after err_set(EX_SOFTWARE, "out of memory"). */
int jsonio_set(cJSON *obj, const char *name, cJSON *value);

#endif /* !CSC_JSONIO_H */

/*
 * fuzz_s3xml: libFuzzer over the S3 XML readers, which read what the
 * network sends: each input goes through the error, ListVersionsResult
 * and DeleteResult parsers, whose results are checked against their
 * contracts.  The input as a C string is also escaped; an escaped key
 * must parse back, inside a DeleteResult, to the same key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "s3xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	err_init("fuzz_s3xml");
	err_quiet(1);
	return (0);
}

/* The three parsers, and what their results promise. */
static void
parse_all(const char *text, size_t size)
{
	struct s3xml_error e;
	struct s3xml_versions vs;
	struct s3xml_delete_result d;
	size_t i;

	if (s3xml_parse_error(text, size, &e) == 0 && e.code[0] == '\0')
		abort();
	if (s3xml_parse_versions(text, size, &vs) == 0) {
		for (i = 0; i < vs.n; i++)
			if (vs.v[i].key == NULL || vs.v[i].key[0] == '\0' ||
			    vs.v[i].version_id == NULL ||
			    (vs.v[i].is_delete_marker && vs.v[i].size != -1))
				abort();
		if (!vs.is_truncated && (vs.next_key_marker != NULL ||
		                            vs.next_version_id_marker != NULL))
			abort();
		if (vs.is_truncated && vs.next_key_marker == NULL)
			abort();
	} else if (vs.n != 0 || vs.v != NULL) {
		abort(); /* a refused page is left empty */
	}
	s3xml_versions_free(&vs);
	err_clear();
	if (s3xml_parse_delete_result(text, size, &d) == 0) {
		for (i = 0; i < d.nerrors; i++)
			if (d.errors[i].key == NULL)
				abort();
	}
	s3xml_delete_result_free(&d);
	err_clear();
}

/* Escape KEY and read it back from a DeleteResult. */
static void
round_trip(const char *key)
{
	struct s3xml_delete_result d;
	struct buf b;

	buf_init(&b, 1 << 20);
	if (buf_addstr(&b, "<DeleteResult><Error><Key>") ||
	    s3xml_escape(&b, key) ||
	    buf_addstr(&b, "</Key></Error></DeleteResult>"))
		goto done;
	/* An escaped key is XML; empty or over 4 KiB it is refused. */
	if (s3xml_parse_delete_result(b.data, b.len, &d) != 0) {
		if (key[0] != '\0' && strlen(key) <= 4096)
			abort();
		goto done;
	}
	if (d.nerrors != 1 || strcmp(d.errors[0].key, key) != 0)
		abort();
	s3xml_delete_result_free(&d);
done:
	err_clear();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	parse_all((const char *)data, size);
	if ((text = strndup((const char *)data, size)) == NULL)
		return (0);
	round_trip(text);
	free(text);
	return (0);
}

/*
 * test_s3xml error|versions|delete|escape < FILE: drive the s3xml module
 * on standard input and print the result as one JSON line:
 *   error     {"code":"...","message":"...","request_id":"..."}
 *   versions  {"is_truncated":B,"next_key_marker":S|null,
 *              "next_version_id_marker":S|null,"versions":[{"key":"...",
 *              "version_id":"...","delete_marker":B,"latest":B,"size":N}]}
 *   delete    {"deleted":N,"errors":[{"key":"...","version_id":S|null,
 *              "code":"...","message":"..."}]}
 *   escape    the escaped text itself (not JSON), then a newline
 * Exits 0, 64 on misuse, err_code() when the module refuses the input (1
 * for the error parser, which reports nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "s3xml.h"

#define MAX_INPUT (64 * 1024 * 1024)

/* Read all of standard input into B.  Returns 0, or -1. */
static int
read_stdin(struct buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_add(b, chunk, n))
			return (-1);
	return (ferror(stdin) ? -1 : 0);
}

/* Add S, or null when S is NULL. */
static void
add_string(cJSON *o, const char *name, const char *s)
{
	if (s != NULL)
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

static cJSON *
do_error(const struct buf *in)
{
	struct s3xml_error e;
	cJSON *o;

	if (s3xml_parse_error(in->data, in->len, &e)) {
		fprintf(stderr, "test_s3xml: not an S3 error body\n");
		return (NULL);
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "code", e.code);
	cJSON_AddStringToObject(o, "message", e.message);
	cJSON_AddStringToObject(o, "request_id", e.request_id);
	return (o);
}

static cJSON *
do_versions(const struct buf *in)
{
	struct s3xml_versions vs;
	cJSON *o, *a, *v;
	size_t i;

	if (s3xml_parse_versions(in->data, in->len, &vs))
		return (NULL);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "is_truncated", vs.is_truncated);
	add_string(o, "next_key_marker", vs.next_key_marker);
	add_string(o, "next_version_id_marker", vs.next_version_id_marker);
	a = cJSON_AddArrayToObject(o, "versions");
	for (i = 0; i < vs.n; i++) {
		v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "key", vs.v[i].key);
		cJSON_AddStringToObject(v, "version_id", vs.v[i].version_id);
		cJSON_AddBoolToObject(v, "delete_marker",
		    vs.v[i].is_delete_marker);
		cJSON_AddBoolToObject(v, "latest", vs.v[i].is_latest);
		cJSON_AddNumberToObject(v, "size", (double)vs.v[i].size);
		cJSON_AddItemToArray(a, v);
	}
	s3xml_versions_free(&vs);
	return (o);
}

static cJSON *
do_delete(const struct buf *in)
{
	struct s3xml_delete_result d;
	cJSON *o, *a, *e;
	size_t i;

	if (s3xml_parse_delete_result(in->data, in->len, &d))
		return (NULL);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "deleted", (double)d.deleted);
	a = cJSON_AddArrayToObject(o, "errors");
	for (i = 0; i < d.nerrors; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "key", d.errors[i].key);
		add_string(e, "version_id", d.errors[i].version_id);
		cJSON_AddStringToObject(e, "code", d.errors[i].code);
		cJSON_AddStringToObject(e, "message", d.errors[i].message);
		cJSON_AddItemToArray(a, e);
	}
	s3xml_delete_result_free(&d);
	return (o);
}

/* Escape the input (a C string: it ends at a NUL) and print it. */
static int
do_escape(const struct buf *in)
{
	struct buf out;
	int rc = -1;

	buf_init(&out, MAX_INPUT * 6);
	if (s3xml_escape(&out, in->data))
		goto done;
	printf("%s\n", out.data != NULL ? out.data : "");

	/* Success! */
	rc = 0;
done:
	buf_free(&out);
	return (rc);
}

int
main(int argc, char *argv[])
{
	struct buf in;
	cJSON *o = NULL;
	char *text;
	int rc = 1;

	err_init("test_s3xml");
	if (argc != 2) {
		fprintf(stderr, "usage: test_s3xml error|versions|delete|"
		                "escape < FILE\n");
		return (64);
	}
	buf_init(&in, MAX_INPUT);
	if (read_stdin(&in) || buf_add(&in, "", 0)) {
		fprintf(stderr, "test_s3xml: cannot read standard input\n");
		goto done;
	}
	if (strcmp(argv[1], "escape") == 0) {
		rc = do_escape(&in) ? err_code() : 0;
		goto done;
	}
	if (strcmp(argv[1], "error") == 0)
		o = do_error(&in);
	else if (strcmp(argv[1], "versions") == 0)
		o = do_versions(&in);
	else if (strcmp(argv[1], "delete") == 0)
		o = do_delete(&in);
	else
		rc = 64;
	if (o == NULL) {
		if (rc != 64 && strcmp(argv[1], "error") != 0)
			rc = err_code();
		goto done;
	}
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		goto done;
	printf("%s\n", text);
	free(text);
	rc = 0;
done:
	cJSON_Delete(o);
	buf_free(&in);
	if (ferror(stdout) || fclose(stdout))
		rc = 1;
	return (rc);
}

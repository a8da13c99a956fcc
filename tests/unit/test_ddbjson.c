/*
 * test_ddbjson [-d] MODE: read one JSON document on standard input and
 * print it as the ddbjson module converts it, on one line:
 *   marshal          a plain object as an item
 *   unmarshal        an item as a plain object
 *   roundtrip        a plain object as an item and back again
 *   marshal-value    any plain value as an AttributeValue
 *   unmarshal-value  an AttributeValue as a plain value
 *   print            the document as jsonio reads and prints it
 * Numbers keep their text (JSONIO_NUMBER_TEXT) unless -d (doubles) is
 * given.  The input of the unmarshal modes is read as DynamoDB's answer
 * would be (JSONIO_ANSWER: unreadable is 69).  Exits 0, 64 on misuse, or
 * err_code() after its one-line error, with nothing on standard output.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ddbjson.h"
#include "err.h"
#include "jsonio.h"

enum mode {
	MARSHAL,
	UNMARSHAL,
	ROUNDTRIP,
	MARSHAL_VALUE,
	UNMARSHAL_VALUE,
	PRINT
};

static const char *const s_modes[] = {"marshal", "unmarshal", "roundtrip",
    "marshal-value", "unmarshal-value", "print"};

static cJSON *
convert(enum mode m, const cJSON *in)
{
	cJSON *item, *out;

	switch (m) {
	case MARSHAL:
		return (ddbjson_marshal_item(in));
	case UNMARSHAL:
		return (ddbjson_unmarshal_item(in));
	case ROUNDTRIP:
		if ((item = ddbjson_marshal_item(in)) == NULL)
			return (NULL);
		out = ddbjson_unmarshal_item(item);
		cJSON_Delete(item);
		return (out);
	case MARSHAL_VALUE:
		return (ddbjson_marshal_value(in));
	case UNMARSHAL_VALUE:
		return (ddbjson_unmarshal_value(in));
	case PRINT:
		break;
	}
	/* a copy, which must keep the texts too */
	if ((out = cJSON_Duplicate(in, 1)) == NULL)
		err_set(EX_SOFTWARE, "out of memory");
	return (out);
}

int
main(int argc, char *argv[])
{
	cJSON *in = NULL, *out = NULL;
	size_t m, limit;
	int c, flags = JSONIO_NUMBER_TEXT, rc = EX_USAGE;

	err_init("test_ddbjson");
	while ((c = getopt(argc, argv, "d")) != -1) {
		if (c != 'd')
			goto usage;
		flags = 0;
	}
	if (argc - optind != 1)
		goto usage;
	for (m = 0; m < sizeof(s_modes) / sizeof(s_modes[0]); m++)
		if (strcmp(argv[optind], s_modes[m]) == 0)
			break;
	if (m == sizeof(s_modes) / sizeof(s_modes[0]))
		goto usage;
	if (m == UNMARSHAL || m == UNMARSHAL_VALUE)
		flags |= JSONIO_ANSWER;
	if (jsonio_limit(&limit) ||
	    (in = jsonio_read_with(stdin, limit, flags)) == NULL ||
	    (out = convert((enum mode)m, in)) == NULL ||
	    jsonio_write(stdout, out) == -1)
		rc = err_code();
	else
		rc = 0;
	cJSON_Delete(in);
	cJSON_Delete(out);
	if (ferror(stdout) || fclose(stdout)) {
		err_set(EX_IOERR, "writing output failed");
		rc = err_code();
	}
	return (rc);
usage:
	fprintf(stderr,
	    "usage: test_ddbjson [-d] marshal | unmarshal | "
	    "roundtrip | marshal-value | unmarshal-value | print\n");
	return (rc);
}

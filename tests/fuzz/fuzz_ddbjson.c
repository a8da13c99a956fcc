/*
 * fuzz_ddbjson: libFuzzer over the ddbjson module and jsonio's exact
 * numbers.  The input is parsed with number texts kept
 * (JSONIO_NUMBER_TEXT), then:
 *   - printing it and parsing the print again prints the same text (a
 *     kept text always prints as valid JSON);
 *   - read as an item or AttributeValue from DynamoDB, whatever
 *     unmarshals marshals again, and unmarshalling that prints the same
 *     as the first unmarshal;
 *   - read as a plain document, whatever marshals unmarshals again, and
 *     marshalling that prints the same as the first marshal.
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ddbjson.h"
#include "err.h"
#include "jsonio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef cJSON *(*convert_fn)(const cJSON *);

/* inverse(there, back, x): if THERE takes X, BACK must take the result,
 * THERE must take that again, and the two results of THERE must print
 * alike. */
static void
inverse(convert_fn there, convert_fn back, const cJSON *x)
{
	cJSON *a, *b, *c;
	char *ta, *tc;

	if ((a = there(x)) == NULL) {
		err_clear();
		return;
	}
	if ((b = back(a)) == NULL || (c = there(b)) == NULL)
		abort();
	if ((ta = jsonio_print(a)) == NULL || (tc = jsonio_print(c)) == NULL)
		abort();
	if (strcmp(ta, tc) != 0)
		abort();
	free(ta);
	free(tc);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
}

/* reprint(x): X's print parses and prints the same again. */
static void
reprint(const cJSON *x)
{
	cJSON *y;
	char *tx, *ty;

	if ((tx = jsonio_print(x)) == NULL)
		abort();
	if ((y = jsonio_parse_with(tx, strlen(tx), "fuzz",
	         JSONIO_NUMBER_TEXT)) == NULL ||
	    (ty = jsonio_print(y)) == NULL)
		abort();
	if (strcmp(tx, ty) != 0)
		abort();
	free(tx);
	free(ty);
	cJSON_Delete(y);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	err_init("fuzz_ddbjson");
	err_quiet(1);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *x;

	if ((x = jsonio_parse_with((const char *)data, size, "fuzz",
	         JSONIO_NUMBER_TEXT)) == NULL) {
		err_clear();
		return (0);
	}
	reprint(x);
	inverse(ddbjson_unmarshal_item, ddbjson_marshal_item, x);
	inverse(ddbjson_unmarshal_value, ddbjson_marshal_value, x);
	inverse(ddbjson_marshal_item, ddbjson_unmarshal_item, x);
	inverse(ddbjson_marshal_value, ddbjson_unmarshal_value, x);
	cJSON_Delete(x);
	return (0);
}

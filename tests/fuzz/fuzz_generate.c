/*
 * fuzz_generate: libFuzzer over what csc-generate reads from Claude: a
 * Messages reply (its content blocks, stop reason, the JSON of the six
 * files inside a text block or a tool call) and its usage, priced.
 * Whatever the reply, generate_files_of either refuses it or returns six
 * non-empty files within the limits; the cost is finite and not negative.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "generate.h"
#include "jsonio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cJSON *s_prices;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char prices[] =
	    "{\"batch_discount\":0.5,\"models\":{\"claude-sonnet-5-5\":"
	    "{\"input\":3,\"output\":15,\"cache_write_5m\":3.75,"
	    "\"cache_write_1h\":6,\"cache_read\":0.3},\"claude\":{\"input\":1}}}";

	(void)argc;
	(void)argv;
	err_init("fuzz_generate");
	err_quiet(1);
	if ((s_prices = cJSON_Parse(prices)) == NULL)
		abort();
	return (0);
}

/* The files must be the six, in order, non-empty and within limits. */
static void
check_files(const cJSON *files)
{
	const cJSON *f;
	size_t i = 0, total = 0, n;

	cJSON_ArrayForEach(f, files) {
		const char *name = jsonio_string(f, "name");
		const char *content = jsonio_string(f, "content");

		if (i >= GENERATE_NFILES || name == NULL || content == NULL ||
		    strcmp(name, generate_files[i]) != 0)
			abort();
		n = strlen(content);
		if (n == 0 || n > GENERATE_FILE_MAX)
			abort();
		total += n;
		i++;
	}
	if (i != GENERATE_NFILES || total > GENERATE_TOTAL_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *msg, *files;
	double cost;
	int tool;

	if ((msg = cJSON_ParseWithLength((const char *)data, size)) == NULL)
		return (0);
	for (tool = 0; tool < 2; tool++) {
		if ((files = generate_files_of(msg, tool)) != NULL) {
			check_files(files);
			cJSON_Delete(files);
		}
		err_clear();
	}
	if (generate_cost(s_prices, jsonio_string(msg, "model"),
	        cJSON_GetObjectItemCaseSensitive(msg, "usage"), size & 1,
	        &cost) == 0 &&
	    (!isfinite(cost) || cost < 0))
		abort();
	cJSON_Delete(msg);
	return (0);
}

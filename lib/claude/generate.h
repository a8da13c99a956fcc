/*
 * generate: what csc asks of Claude and what it accepts back (SPEC
 * section 7): the Messages request for one service_data, the six files
 * taken out of the reply and checked, and the cost from the price table.
 */
#ifndef CSC_GENERATE_H
#define CSC_GENERATE_H

#include <cjson/cJSON.h>

#define GENERATE_NFILES 6
#define GENERATE_FILE_MAX ((size_t)512 << 10) /* one file */
#define GENERATE_TOTAL_MAX ((size_t)2 << 20)  /* the bundle */
#define GENERATE_TOOL "write_bundle"

/* The six files, in the order they are written out. */
extern const char *const generate_files[GENERATE_NFILES];

struct generate_config {
	const char *model;
	long max_tokens;
	const char *system_prompt;
	int tool; /* ask through a tool instead of structured output */
};

/* generate_schema(): the JSON schema of the reply: an object of the six
 * files, each a string, nothing else.  NULL when out of memory. */
cJSON *generate_schema(void);

/* generate_request(cfg, service_data): the Messages API parameters (no
 * "stream"): model, max_tokens, the system prompt as a block marked for
 * the prompt cache, one user message holding SERVICE_DATA, and the schema
 * as output_config.format (or as the input_schema of a forced tool).  No
 * sampling parameters.  NULL after err_set. */
cJSON *generate_request(const struct generate_config *cfg,
    const cJSON *service_data);

/* generate_files_of(message, tool): the files of a reply, as
 * [{name, content}] in generate_files order.  Refused, NULL after
 * err_set(EX_UNAVAILABLE, ...): a stop_reason of max_tokens or refusal
 * (saying which), no text (or tool_use) block, JSON that does not parse,
 * a missing, extra, empty or oversized file. */
cJSON *generate_files_of(const cJSON *message, int tool);

/* generate_cost(prices, model, usage, batch, out): *OUT = the cost in US
 * dollars of USAGE (input, output, cache write 5m/1h, cache read tokens)
 * at MODEL's prices (the longest model id in PRICES that MODEL starts
 * with, at a '-' boundary), halved as PRICES' batch_discount says when
 * BATCH.  Returns 0, or 1 when the model has no price (*OUT = 0). */
int generate_cost(const cJSON *prices, const char *model, const cJSON *usage,
    int batch, double *out);

#endif /* !CSC_GENERATE_H */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "generate.h"
#include "jsonio.h"

const char *const generate_files[GENERATE_NFILES] = {
    "backend_service.py",
    "api_routes.py",
    "database_schema.sql",
    "config.yaml",
    "requirements.txt",
    "README.md",
};

cJSON *
generate_schema(void)
{
	cJSON *s = cJSON_CreateObject(), *props, *req, *f;
	size_t i;

	if (s == NULL || !cJSON_AddStringToObject(s, "type", "object") ||
	    (props = cJSON_AddObjectToObject(s, "properties")) == NULL ||
	    (req = cJSON_AddArrayToObject(s, "required")) == NULL ||
	    !cJSON_AddFalseToObject(s, "additionalProperties"))
		goto fail;
	for (i = 0; i < GENERATE_NFILES; i++) {
		if ((f = cJSON_AddObjectToObject(props, generate_files[i])) ==
		        NULL ||
		    !cJSON_AddStringToObject(f, "type", "string") ||
		    !cJSON_AddStringToObject(f, "description",
		        "the complete text of the file") ||
		    !cJSON_AddItemToArray(req,
		        cJSON_CreateString(generate_files[i])))
			goto fail;
	}
	return (s);
fail:
	cJSON_Delete(s);
	return (NULL);
}

/* The user message: the service to build, as JSON the model reads. */
static char *
user_text(const cJSON *service_data)
{
	char *sd = cJSON_Print(service_data), *text = NULL;
	struct buf b;

	buf_init(&b, (size_t)1 << 20);
	if (sd != NULL && buf_printf(&b,
	                      "Write the six files for this service.\n\n"
	                      "service_data:\n%s\n",
	                      sd) == 0)
		text = buf_detach(&b);
	buf_free(&b);
	cJSON_free(sd);
	return (text);
}

cJSON *
generate_request(const struct generate_config *cfg, const cJSON *service_data)
{
	cJSON *r = cJSON_CreateObject(), *sys, *blk, *msgs, *msg, *schema;
	cJSON *oc, *fmt, *tools, *tool, *choice;
	char *text = user_text(service_data);

	schema = generate_schema();
	if (r == NULL || text == NULL || schema == NULL ||
	    !cJSON_AddStringToObject(r, "model", cfg->model) ||
	    !cJSON_AddNumberToObject(r, "max_tokens",
	        (double)cfg->max_tokens) ||
	    (sys = cJSON_AddArrayToObject(r, "system")) == NULL ||
	    (blk = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(sys, blk) ||
	    !cJSON_AddStringToObject(blk, "type", "text") ||
	    !cJSON_AddStringToObject(blk, "text", cfg->system_prompt) ||
	    /* The prompt is the same for every service: cache it. */
	    !cJSON_AddStringToObject(
	        cJSON_AddObjectToObject(blk, "cache_control"), "type",
	        "ephemeral") ||
	    (msgs = cJSON_AddArrayToObject(r, "messages")) == NULL ||
	    (msg = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(msgs, msg) ||
	    !cJSON_AddStringToObject(msg, "role", "user") ||
	    !cJSON_AddStringToObject(msg, "content", text))
		goto fail;
	if (cfg->tool) {
		if ((tools = cJSON_AddArrayToObject(r, "tools")) == NULL ||
		    (tool = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(tools, tool) ||
		    !cJSON_AddStringToObject(tool, "name", GENERATE_TOOL) ||
		    !cJSON_AddStringToObject(tool, "description",
		        "Write the six files of the service's code bundle.") ||
		    !cJSON_AddItemToObject(tool, "input_schema", schema))
			goto fail;
		schema = NULL;
		if ((choice = cJSON_AddObjectToObject(r, "tool_choice")) ==
		        NULL ||
		    !cJSON_AddStringToObject(choice, "type", "tool") ||
		    !cJSON_AddStringToObject(choice, "name", GENERATE_TOOL))
			goto fail;
	} else {
		if ((oc = cJSON_AddObjectToObject(r, "output_config")) ==
		        NULL ||
		    (fmt = cJSON_AddObjectToObject(oc, "format")) == NULL ||
		    !cJSON_AddStringToObject(fmt, "type", "json_schema") ||
		    !cJSON_AddItemToObject(fmt, "schema", schema))
			goto fail;
		schema = NULL;
	}
	free(text);
	return (r);
fail:
	err_set(EX_SOFTWARE, "out of memory building the request");
	cJSON_Delete(schema);
	cJSON_Delete(r);
	free(text);
	return (NULL);
}

/* The object the reply carries: the text of its text blocks, parsed, or
 * the input of its tool_use block.  Other blocks (thinking) are skipped.
 * A new tree, or NULL after err_set. */
static cJSON *
reply_object(const cJSON *message, int tool)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(message,
	    "content");
	const cJSON *blk;
	struct buf text;
	cJSON *obj = NULL;
	int found = 0;

	buf_init(&text, GENERATE_TOTAL_MAX * 2);
	cJSON_ArrayForEach(blk, content) {
		const char *type = jsonio_string(blk, "type");

		if (type == NULL)
			continue;
		if (tool && strcmp(type, "tool_use") == 0) {
			const char *name = jsonio_string(blk, "name");

			if (name != NULL && strcmp(name, GENERATE_TOOL) == 0) {
				obj = cJSON_Duplicate(
				    cJSON_GetObjectItemCaseSensitive(blk,
				        "input"),
				    1);
				found = 1;
				break;
			}
		} else if (!tool && strcmp(type, "text") == 0 &&
		           jsonio_string(blk, "text") != NULL) {
			found = 1;
			if (buf_addstr(&text, jsonio_string(blk, "text"))) {
				err_set(EX_UNAVAILABLE,
				    "Claude's reply is larger than "
				    "%zu bytes",
				    text.cap);
				goto done;
			}
		}
	}
	if (!found) {
		err_set(EX_UNAVAILABLE, "Claude's reply has no %s",
		    tool ? "write_bundle tool call" : "text");
		goto done;
	}
	if (!tool) {
		obj = cJSON_ParseWithLength(text.data ? text.data : "",
		    text.len);
		if (obj == NULL)
			err_set(EX_UNAVAILABLE,
			    "Claude's reply is not the JSON "
			    "the schema asks for");
	}
	if (obj != NULL && !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		obj = NULL;
		err_set(EX_UNAVAILABLE, "Claude's reply is not a JSON object");
	}
	/* A file given twice would be read one way here (cJSON's first) and
	 * another by a jq in the glue (the last): one JSON reading. */
	if (obj != NULL &&
	    jsonio_check_unique(obj, "Claude's reply", EX_UNAVAILABLE)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
done:
	buf_free(&text);
	return (obj);
}

static int
is_file_name(const char *name)
{
	size_t i;

	for (i = 0; i < GENERATE_NFILES; i++)
		if (strcmp(name, generate_files[i]) == 0)
			return (1);
	return (0);
}

/* Why the model stopped, when that means the bundle is not whole. */
static int
check_stop(const cJSON *message)
{
	const char *stop = jsonio_string(message, "stop_reason");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(message, "usage");
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(usage,
	    "output_tokens");
	const char *why;

	if (stop == NULL)
		return (0);
	if (strcmp(stop, "max_tokens") == 0) {
		err_set(EX_UNAVAILABLE,
		    "Claude stopped at max_tokens (%.0f output "
		    "tokens): the bundle is cut short; raise "
		    "CSC_MAX_TOKENS",
		    cJSON_IsNumber(out) ? out->valuedouble : 0.0);
		return (-1);
	}
	if (strcmp(stop, "refusal") == 0) {
		why = jsonio_string(
		    cJSON_GetObjectItemCaseSensitive(message, "stop_details"),
		    "explanation");
		err_set(EX_UNAVAILABLE,
		    "Claude refused to write this bundle "
		    "(stop_reason refusal)%s%.200s",
		    why ? ": " : "", why ? why : "");
		return (-1);
	}
	return (0);
}

cJSON *
generate_files_of(const cJSON *message, int tool)
{
	cJSON *obj = NULL, *files = NULL, *f;
	const cJSON *m;
	size_t i, total = 0, len;
	const char *content;

	if (check_stop(message) || (obj = reply_object(message, tool)) == NULL)
		return (NULL);
	cJSON_ArrayForEach(m, obj) {
		if (m->string == NULL || !is_file_name(m->string)) {
			err_set(EX_UNAVAILABLE,
			    "Claude's bundle has an unexpected "
			    "file '%.64s'",
			    m->string ? m->string : "");
			goto fail;
		}
	}
	if ((files = cJSON_CreateArray()) == NULL)
		goto nomem;
	for (i = 0; i < GENERATE_NFILES; i++) {
		m = cJSON_GetObjectItemCaseSensitive(obj, generate_files[i]);
		content = cJSON_IsString(m) ? m->valuestring : NULL;
		if (content == NULL || (len = strlen(content)) == 0) {
			err_set(EX_UNAVAILABLE, "Claude's bundle lacks %s%s",
			    generate_files[i],
			    m != NULL ? " (empty or not text)" : "");
			goto fail;
		}
		if (len > GENERATE_FILE_MAX ||
		    (total += len) > GENERATE_TOTAL_MAX) {
			err_set(EX_UNAVAILABLE,
			    "Claude's %s is over the size limit "
			    "(%zu bytes a file, %zu in all)",
			    generate_files[i], GENERATE_FILE_MAX,
			    GENERATE_TOTAL_MAX);
			goto fail;
		}
		if ((f = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(files, f) ||
		    !cJSON_AddStringToObject(f, "name", generate_files[i]) ||
		    !cJSON_AddStringToObject(f, "content", content))
			goto nomem;
	}
	cJSON_Delete(obj);
	return (files);
nomem:
	err_set(EX_SOFTWARE, "out of memory");
fail:
	cJSON_Delete(files);
	cJSON_Delete(obj);
	return (NULL);
}

static double
number(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return (cJSON_IsNumber(v) && v->valuedouble > 0 ? v->valuedouble : 0);
}

/* The price entry for MODEL: the longest id it starts with, followed by
 * the end or a '-' (claude-sonnet-4-5-20250929 is claude-sonnet-4-5). */
static const cJSON *
price_of(const cJSON *prices, const char *model)
{
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(prices,
	    "models");
	const cJSON *m, *best = NULL;
	size_t n, best_n = 0;

	cJSON_ArrayForEach(m, models) {
		if (m->string == NULL)
			continue;
		n = strlen(m->string);
		if (strncmp(model, m->string, n) == 0 &&
		    (model[n] == '\0' || model[n] == '-') && n > best_n) {
			best = m;
			best_n = n;
		}
	}
	return (best);
}

int
generate_cost(const cJSON *prices, const char *model, const cJSON *usage,
    int batch, double *out)
{
	const cJSON *p = model ? price_of(prices, model) : NULL;
	const cJSON *cc = cJSON_GetObjectItemCaseSensitive(usage,
	    "cache_creation");
	double w5, w1h, cost, discount;

	*out = 0;
	if (p == NULL)
		return (1);
	/* The split of cache writes by lifetime, when the API gives it;
	 * otherwise every write is a five-minute one. */
	w5 = number(usage, "cache_creation_input_tokens");
	w1h = 0;
	if (cJSON_IsObject(cc)) {
		w5 = number(cc, "ephemeral_5m_input_tokens");
		w1h = number(cc, "ephemeral_1h_input_tokens");
	}
	cost = number(usage, "input_tokens") * number(p, "input") +
	       number(usage, "output_tokens") * number(p, "output") +
	       w5 * number(p, "cache_write_5m") +
	       w1h * number(p, "cache_write_1h") +
	       number(usage, "cache_read_input_tokens") *
	           number(p, "cache_read");
	cost /= 1e6;
	discount = number(prices, "batch_discount");
	if (batch && discount > 0 && discount < 1)
		cost *= 1 - discount;
	*out = cost;
	return (0);
}

/*
 * fuzz_presign: libFuzzer over what csc-presign reads: a JSON document
 * parsed as standard input is, whose files' keys (and names) are
 * presigned.  Credentials come from the environment set up once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "jsonio.h"
#include "presign.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct aws_client s_aws;
static struct presigner s_p;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	err_init("fuzz_presign");
	err_quiet(1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDFUZZ", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "fuzz-secret", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4569", 1);
	if (aws_client_init(&s_aws) ||
	    presigner_init(&s_p, &s_aws, "GET", 3600))
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc, *file;
	const char *bucket, *key;

	if (size > JSONIO_DEFAULT_LIMIT)
		return (0);
	doc = jsonio_parse((const char *)data, size, "fuzz");
	err_clear();
	if (doc == NULL)
		return (0);
	bucket = jsonio_string(doc, "bucket");
	cJSON_ArrayForEach(file, cJSON_GetObjectItem(doc, "files")) {
		key = jsonio_string(file, "key");
		if (bucket != NULL && key != NULL)
			(void)presign_url(&s_p, bucket, key,
			    jsonio_string(file, "name"), 1764072000);
		err_clear();
	}
	cJSON_Delete(doc);
	return (0);
}

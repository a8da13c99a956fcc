/*
 * fuzz_awsconfig: libFuzzer over the AWS configuration parsers that read
 * outside input: the credentials JSON of the container and instance
 * metadata endpoints, an endpoint URL, and the shared config file (the
 * input written to a temporary file and read as AWS_CONFIG_FILE).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "aws_remote.h"
#include "err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	err_init("fuzz_awsconfig");
	err_quiet(1);
	snprintf(s_path, sizeof(s_path), "/tmp/fuzz_awsconfig.XXXXXX");
	if ((fd = mkstemp(s_path)) < 0)
		abort();
	close(fd);
	setenv("AWS_CONFIG_FILE", s_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", s_path, 1);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_credentials c;
	struct aws_endpoint ep;
	char *text, *v;
	FILE *f;

	/* 1. the credentials JSON */
	if (aws_remote_parse((const char *)data, size, "fuzz", &c) == 0)
		aws_credentials_free(&c);
	err_clear();
	/* 2. an endpoint URL (a C string, as environment values are) */
	if ((text = strndup((const char *)data, size)) == NULL)
		return (0);
	setenv("AWS_ENDPOINT_URL_S3", text, 1);
	if (aws_endpoint_resolve("s3", "us-east-1", &ep) == 0)
		aws_endpoint_free(&ep);
	err_clear();
	/* 3. the shared config file */
	if ((f = fopen(s_path, "w")) != NULL) {
		fwrite(data, 1, size, f);
		fclose(f);
		if ((v = aws_config_value("default", "region")) != NULL)
			free(v);
		setenv("AWS_PROFILE", "p", 1);
		if ((v = aws_config_value("p", "aws_access_key_id")) != NULL)
			free(v);
		unsetenv("AWS_PROFILE");
	}
	free(text);
	return (0);
}

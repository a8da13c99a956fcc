/*
 * aws: configuration as the AWS SDKs and CLI read it (SPEC section 4):
 * credentials through the default chain, the region, and endpoints.
 *
 * Chain, first that answers wins: environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); the profile AWS_PROFILE (or
 * "default") in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) then
 * AWS_CONFIG_FILE (~/.aws/config); container credentials
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI, with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]); EC2 instance metadata, IMDSv2
 * (AWS_EC2_METADATA_SERVICE_ENDPOINT, skipped when
 * AWS_EC2_METADATA_DISABLED=true).  The CA bundle: AWS_CA_BUNDLE, then
 * the profile's ca_bundle.
 */
#ifndef CSC_AWS_H
#define CSC_AWS_H

#include "awscreds.h"

/* aws_credentials_load(out): the first credentials the chain yields.
 * Returns 0, or -1 after err_set: EX_CONFIG when no source has any (or a
 * profile is incomplete), EX_UNAVAILABLE when the container or instance
 * endpoint fails, EX_NOPERM when it refuses. */
int aws_credentials_load(struct aws_credentials *out);

/* aws_credentials_refresh(c): load the chain again if C expires within
 * AWS_REFRESH_WINDOW of clock_now().  Returns 0 (C fresh), or -1 as
 * aws_credentials_load, C unchanged. */
int aws_credentials_refresh(struct aws_credentials *c);

/* aws_region(): AWS_REGION, AWS_DEFAULT_REGION, the profile's "region",
 * or "us-east-1"; malloc'd, NULL only when out of memory. */
char *aws_region(void);

struct aws_endpoint {
	char *scheme; /* "https" */
	char *host;   /* "dynamodb.us-east-1.amazonaws.com", or
	                 "127.0.0.1:8000" (port kept unless default) */
	char *path;   /* base path of a custom endpoint, "" or "/prefix" */
	int custom;   /* set through AWS_ENDPOINT_URL[_SERVICE] */
};

/* aws_endpoint_resolve(service, region, out): AWS_ENDPOINT_URL_<SERVICE>
 * ("S3", "DYNAMODB"), else AWS_ENDPOINT_URL, else AWS's own endpoint for
 * SERVICE ("s3", "dynamodb") in REGION.  Returns 0, or -1 after
 * err_set(EX_CONFIG, ...) for an unusable URL. */
int aws_endpoint_resolve(const char *service, const char *region,
    struct aws_endpoint *out);

/* aws_endpoint_free(ep): release EP's strings; safe twice. */
void aws_endpoint_free(struct aws_endpoint *ep);

/* aws_ca_bundle(out): the CA certificates to verify AWS's TLS
 * certificates with: AWS_CA_BUNDLE, else the profile's "ca_bundle"; *OUT
 * is that path (malloc'd), or NULL for none (libcurl's default store).
 * Returns 0, or -1 after err_set: EX_CONFIG when the path is set but
 * cannot be read as a file, EX_SOFTWARE when out of memory. */
int aws_ca_bundle(char **out);

/* aws_config_value(profile, key): KEY of PROFILE in the config file, or
 * NULL; malloc'd.  For settings such as "region". */
char *aws_config_value(const char *profile, const char *key);

#endif /* !CSC_AWS_H */

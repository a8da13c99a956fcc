/*
 * awsclient: what every AWS request of a process shares, held once: the
 * credentials, the region, the DynamoDB and S3 endpoints, S3's
 * addressing, the retry and timeout settings and the CA bundle.  The
 * service modules (ddb, s3, presign) each take a pointer to one client,
 * so a process that talks to both services resolves the credential chain
 * once (one request to a container or instance endpoint, not one per
 * service) and renews temporary credentials in one place.
 *
 * Each part is resolved the first time a module asks for it, then kept:
 * csc-presign reads no retry setting, CA bundle or DynamoDB endpoint, and
 * a csc-store run that needs only DynamoDB never reads S3's settings.
 */
#ifndef CSC_AWSCLIENT_H
#define CSC_AWSCLIENT_H

#include "aws.h"

enum aws_service { AWS_DYNAMODB, AWS_S3 };

struct aws_client {
	char *region;                 /* aws_region(), at init */
	struct aws_credentials creds; /* aws_client_credentials */
	struct aws_endpoint dynamodb; /* aws_client_endpoint */
	struct aws_endpoint s3;
	int s3_prefer_path; /* s3url_addressing's answer */
	int max_attempts;   /* AWS_MAX_ATTEMPTS, default 5 */
	long timeout_ms;    /* one attempt: CSC_TIMEOUT_MS, 0 for http's */
	char *ca_bundle;    /* aws_ca_bundle's answer; NULL: libcurl's own */
	unsigned have;      /* which parts are resolved (awsclient.c) */
};

/* aws_client_init(c): an empty client with the region resolved.
 * Returns 0, or -1 after err_set(EX_SOFTWARE, ...) when out of memory;
 * C is safe to free either way. */
int aws_client_init(struct aws_client *c);

/* aws_client_endpoint(c, service): SERVICE's endpoint, resolved on the
 * first call (for S3 with its addressing, C->s3_prefer_path).  Returns
 * it (it lives in C), or NULL after err_set(EX_CONFIG, ...) for an
 * unusable endpoint URL or CSC_S3_ADDRESSING. */
const struct aws_endpoint *aws_client_endpoint(struct aws_client *c,
    enum aws_service service);

/* aws_client_requests(c): the settings of a module that sends requests
 * (C->max_attempts, C->timeout_ms, C->ca_bundle), read on the first
 * call.  Returns 0, or -1 after err_set(EX_CONFIG, ...) for a setting
 * out of range or a CA bundle that cannot be read. */
int aws_client_requests(struct aws_client *c);

/* aws_client_credentials(c): the credentials, loaded through the chain
 * on the first call and renewed when they expire within
 * AWS_REFRESH_WINDOW.  Returns them (they live in C, and a later call may
 * replace them), or NULL after err_set as aws_credentials_load. */
const struct aws_credentials *aws_client_credentials(struct aws_client *c);

/* aws_client_free(c): wipe the credentials and free C's memory; safe on
 * a half-made client and twice. */
void aws_client_free(struct aws_client *c);

#endif /* !CSC_AWSCLIENT_H */

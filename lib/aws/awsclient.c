#include <stdlib.h>
#include <string.h>

#include "awsclient.h"
#include "env.h"
#include "err.h"
#include "s3url.h"

/* The parts of a client, resolved at most once each. */
#define HAVE_CREDENTIALS 0x1u
#define HAVE_DYNAMODB 0x2u
#define HAVE_S3 0x4u
#define HAVE_REQUESTS 0x8u

int
aws_client_init(struct aws_client *c)
{
	memset(c, 0, sizeof(*c));
	if ((c->region = aws_region()) == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	return (0);
}

const struct aws_endpoint *
aws_client_endpoint(struct aws_client *c, enum aws_service service)
{
	if (service == AWS_DYNAMODB) {
		if (!(c->have & HAVE_DYNAMODB)) {
			if (aws_endpoint_resolve("dynamodb", c->region,
			        &c->dynamodb))
				return (NULL);
			c->have |= HAVE_DYNAMODB;
		}
		return (&c->dynamodb);
	}
	if (!(c->have & HAVE_S3)) {
		if (aws_endpoint_resolve("s3", c->region, &c->s3))
			return (NULL);
		if ((c->s3_prefer_path = s3url_addressing(&c->s3)) < 0) {
			aws_endpoint_free(&c->s3);
			return (NULL);
		}
		c->have |= HAVE_S3;
	}
	return (&c->s3);
}

int
aws_client_requests(struct aws_client *c)
{
	long attempts;

	if (c->have & HAVE_REQUESTS)
		return (0);
	if (env_long("AWS_MAX_ATTEMPTS", 1, 20, 5, &attempts) ||
	    env_long("CSC_TIMEOUT_MS", 1, 3600000, 0, &c->timeout_ms) ||
	    aws_ca_bundle(&c->ca_bundle))
		return (-1);
	c->max_attempts = (int)attempts;
	c->have |= HAVE_REQUESTS;
	return (0);
}

const struct aws_credentials *
aws_client_credentials(struct aws_client *c)
{
	if (!(c->have & HAVE_CREDENTIALS)) {
		if (aws_credentials_load(&c->creds))
			return (NULL);
		c->have |= HAVE_CREDENTIALS;
	} else if (aws_credentials_refresh(&c->creds)) {
		return (NULL);
	}
	return (&c->creds);
}

void
aws_client_free(struct aws_client *c)
{
	aws_credentials_free(&c->creds);
	aws_endpoint_free(&c->dynamodb);
	aws_endpoint_free(&c->s3);
	free(c->region);
	free(c->ca_bundle);
	c->region = c->ca_bundle = NULL;
	c->have = 0;
}

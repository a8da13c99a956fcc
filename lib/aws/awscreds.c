#include <stddef.h>

#include "awscreds.h"
#include "digest.h"

void
aws_credentials_free(struct aws_credentials *c)
{
	digest_free_secret(c->access_key_id);
	digest_free_secret(c->secret_access_key);
	digest_free_secret(c->session_token);
	c->access_key_id = c->secret_access_key = c->session_token = NULL;
	c->expiration = 0;
}

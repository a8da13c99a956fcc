/*
 * aws_remote: the credential chain's network sources, for aws.c only.
 * Each returns 0 with credentials in OUT, 1 if the source is not
 * configured or not there (the chain goes on), or -1 after err_set.
 */
#ifndef CSC_AWS_REMOTE_H
#define CSC_AWS_REMOTE_H

#include <stddef.h>

#include "awscreds.h"

/* aws_remote_container(out): ECS/EKS container credentials. */
int aws_remote_container(struct aws_credentials *out);

/* aws_remote_imds(out): EC2 instance metadata, IMDSv2. */
int aws_remote_imds(struct aws_credentials *out);

/* aws_remote_parse(text, len, source, out): the credentials JSON both
 * endpoints answer ({AccessKeyId, SecretAccessKey, Token, Expiration}).
 * Returns 0, or -1 after err_set(EX_UNAVAILABLE, ...). */
int aws_remote_parse(const char *text, size_t len, const char *source,
    struct aws_credentials *out);

#endif /* !CSC_AWS_REMOTE_H */

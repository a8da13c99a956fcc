/*
 * awscreds: one set of AWS credentials, as the chain (aws) and its
 * network sources (aws_remote) produce them.  Its own module so that
 * both can use the type without including each other.
 */
#ifndef CSC_AWSCREDS_H
#define CSC_AWSCREDS_H

#include <time.h>

struct aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term credentials */
	time_t expiration;   /* 0: does not expire */
	char source[64];     /* where they came from, for messages */
};

/* Temporary credentials are renewed this long before they expire. */
#define AWS_REFRESH_WINDOW 300

/* aws_credentials_free(c): wipe and free C's strings; safe twice. */
void aws_credentials_free(struct aws_credentials *c);

#endif /* !CSC_AWSCREDS_H */

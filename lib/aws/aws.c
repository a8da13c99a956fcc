/*
 * aws: the shared config files, the credential chain's local sources,
 * the region and endpoints.  The remote sources (container, instance
 * metadata) are in aws_remote.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aws.h"
#include "aws_remote.h"
#include "clock.h"
#include "digest.h"
#include "err.h"

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

/* The path of a shared file: ENV if set, else ~/.aws/NAME. */
static char *
shared_file(const char *env, const char *name)
{
	const char *v = getenv(env), *home = getenv("HOME");
	char *path;

	if (v != NULL && *v != '\0')
		return (strdup(v));
	if (home == NULL)
		return (NULL);
	if ((path = malloc(strlen(home) + strlen(name) + 8)) != NULL)
		sprintf(path, "%s/.aws/%s", home, name);
	return (path);
}

/* A profile's settings: the key/value pairs of its section in the
 * credentials file, then in the config file.  The first pair for a key
 * wins, so the credentials file overrides the config, as in the CLI. */
struct profile {
	char **kv; /* key, value, key, value, ... */
	size_t n;  /* pairs */
	size_t alloc;
};

static int
profile_add(struct profile *p, const char *key, const char *value)
{
	char **kv;

	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 8;
		if ((kv = realloc(p->kv, 2 * p->alloc * sizeof(*kv))) == NULL)
			return (-1);
		p->kv = kv;
	}
	p->kv[2 * p->n] = strdup(key);
	p->kv[2 * p->n + 1] = strdup(value);
	p->n++;
	return (p->kv[2 * p->n - 2] && p->kv[2 * p->n - 1] ? 0 : -1);
}

/* Append the pairs of the section named NAME (or ALT, if not NULL) of the
 * INI-style FILE to P, reading FILE once.  Indented lines belong to a
 * nested block ("s3 =\n  addressing_style = path") and are skipped; '#'
 * and ';' start comments.  A missing file adds nothing.  Returns 0, or -1
 * when out of memory. */
static int
ini_section(const char *file, const char *name, const char *alt,
    struct profile *p)
{
	FILE *f;
	char *line = NULL, *s, *eq, *end;
	size_t alloc = 0;
	int in_section = 0, rc = 0;

	if (file == NULL || (f = fopen(file, "r")) == NULL)
		return (0);
	while (rc == 0 && getline(&line, &alloc, f) > 0) {
		if (isspace((unsigned char)line[0]) && in_section &&
		    *trim(line) != '\0')
			continue; /* nested block */
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if ((end = strchr(s, ']')) == NULL)
				continue;
			*end = '\0';
			s = trim(s + 1);
			in_section = strcmp(s, name) == 0 ||
			             (alt != NULL && strcmp(s, alt) == 0);
			continue;
		}
		if (!in_section || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		rc = profile_add(p, trim(s), trim(eq + 1));
	}
	if (line != NULL)
		OPENSSL_cleanse(line, alloc);
	free(line);
	fclose(f);
	return (rc);
}

/* The first value of KEY in P, or NULL. */
static const char *
profile_get(const struct profile *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->kv[2 * i], key) == 0)
			return (p->kv[2 * i + 1]);
	return (NULL);
}

/* Release P, wiping the values (they may be secrets). */
static void
profile_free(struct profile *p)
{
	size_t i;

	for (i = 0; i < 2 * p->n; i++)
		digest_free_secret(p->kv[i]);
	free(p->kv);
	memset(p, 0, sizeof(*p));
}

/* Load profile NAME: from the credentials file when WITH_CREDENTIALS,
 * then from the config file, where it is "[profile NAME]" (or plain
 * "[default]").  Each file is read once.  Returns 0, or -1 when out of
 * memory (P freed). */
static int
profile_load(const char *name, int with_credentials, struct profile *p)
{
	char section[256], *creds = NULL, *config;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	snprintf(section, sizeof(section), "profile %s", name);
	if (with_credentials) {
		creds = shared_file("AWS_SHARED_CREDENTIALS_FILE",
		    "credentials");
		rc = ini_section(creds, name, NULL, p);
		free(creds);
	}
	config = shared_file("AWS_CONFIG_FILE", "config");
	if (rc == 0)
		rc = ini_section(config, section,
		    strcmp(name, "default") == 0 ? "default" : NULL, p);
	free(config);
	if (rc != 0)
		profile_free(p);
	return (rc);
}

static const char *
profile_name(void)
{
	const char *p = getenv("AWS_PROFILE");

	return (p != NULL && *p != '\0' ? p : "default");
}

char *
aws_config_value(const char *profile, const char *key)
{
	struct profile p;
	const char *v;
	char *out = NULL;

	if (profile_load(profile, 0, &p))
		return (NULL);
	if ((v = profile_get(&p, key)) != NULL)
		out = strdup(v);
	profile_free(&p);
	return (out);
}

static int
from_environment(struct aws_credentials *out)
{
	const char *ak = getenv("AWS_ACCESS_KEY_ID");
	const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
	const char *tok = getenv("AWS_SESSION_TOKEN");

	if (ak == NULL || *ak == '\0' || sk == NULL || *sk == '\0')
		return (1);
	out->access_key_id = strdup(ak);
	out->secret_access_key = strdup(sk);
	if (tok != NULL && *tok != '\0')
		out->session_token = strdup(tok);
	snprintf(out->source, sizeof(out->source), "environment");
	return (0);
}

/* 0 with credentials, 1 if the profile has none, -1 after reporting. */
static int
from_profile(struct aws_credentials *out)
{
	const char *name = profile_name(), *ak, *sk, *tok;
	struct profile p;
	int rc = 1;

	if (profile_load(name, 1, &p)) {
		err_set(EX_SOFTWARE, "out of memory reading profile %s", name);
		return (-1);
	}
	ak = profile_get(&p, "aws_access_key_id");
	sk = profile_get(&p, "aws_secret_access_key");
	tok = profile_get(&p, "aws_session_token");
	if (ak != NULL && sk != NULL) {
		out->access_key_id = strdup(ak);
		out->secret_access_key = strdup(sk);
		out->session_token = tok != NULL ? strdup(tok) : NULL;
		snprintf(out->source, sizeof(out->source), "profile %.50s",
		    name);
		rc = 0;
	} else if (ak != NULL || sk != NULL) {
		err_set(EX_CONFIG,
		    "profile %s: aws_access_key_id and "
		    "aws_secret_access_key must both be set",
		    name);
		rc = -1;
	} else if (profile_get(&p, "role_arn") != NULL ||
	           profile_get(&p, "credential_process") != NULL ||
	           profile_get(&p, "sso_session") != NULL) {
		/* Say so, rather than silently falling through to IMDS. */
		err_set(EX_CONFIG,
		    "profile %s: only static keys are supported "
		    "(not role_arn, credential_process or SSO); "
		    "export temporary keys instead",
		    name);
		rc = -1;
	} else if (getenv("AWS_PROFILE") != NULL &&
	           *getenv("AWS_PROFILE") != '\0') {
		/* A profile asked for by name must exist, as in the CLI. */
		err_set(EX_CONFIG,
		    "profile %s: no credentials in the shared "
		    "credentials or config file",
		    name);
		rc = -1;
	}
	profile_free(&p);
	return (rc);
}

static int
is_true(const char *v)
{
	return (v != NULL && strcasecmp(v, "true") == 0);
}

int
aws_credentials_load(struct aws_credentials *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = from_environment(out)) == 1 && (rc = from_profile(out)) == 1)
		rc = aws_remote_container(out);
	if (rc == 1 && !is_true(getenv("AWS_EC2_METADATA_DISABLED")))
		rc = aws_remote_imds(out);
	if (rc == 1) {
		err_set(EX_CONFIG, "no AWS credentials: set AWS_ACCESS_KEY_ID "
		                   "and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE");
		rc = -1;
	}
	if (rc == 0 &&
	    (out->access_key_id == NULL || out->secret_access_key == NULL)) {
		err_set(EX_SOFTWARE, "out of memory loading credentials");
		rc = -1;
	}
	if (rc != 0)
		aws_credentials_free(out);
	return (rc);
}

int
aws_credentials_refresh(struct aws_credentials *c)
{
	struct aws_credentials fresh;

	if (c->expiration == 0 ||
	    c->expiration - clock_now() > AWS_REFRESH_WINDOW)
		return (0);
	err_debug("credentials from %s expire soon; renewing", c->source);
	if (aws_credentials_load(&fresh))
		return (-1);
	aws_credentials_free(c);
	*c = fresh;
	return (0);
}

char *
aws_region(void)
{
	const char *v = getenv("AWS_REGION");
	char *r;

	if (v == NULL || *v == '\0')
		v = getenv("AWS_DEFAULT_REGION");
	if (v != NULL && *v != '\0')
		return (strdup(v));
	if ((r = aws_config_value(profile_name(), "region")) != NULL)
		return (r);
	return (strdup("us-east-1"));
}

int
aws_ca_bundle(char **out)
{
	const char *env = getenv("AWS_CA_BUNDLE");
	char from[128];
	struct stat st;
	int fd = -1, rc = -1;

	*out = NULL;
	if (env != NULL && *env != '\0') {
		snprintf(from, sizeof(from), "AWS_CA_BUNDLE");
		*out = strdup(env);
	} else {
		snprintf(from, sizeof(from), "ca_bundle of profile %.64s",
		    profile_name());
		/* NULL: not set, or no memory to say so; libcurl's default
		 * store is then the one used either way. */
		if ((*out = aws_config_value(profile_name(), "ca_bundle")) ==
		        NULL ||
		    **out == '\0') {
			free(*out);
			*out = NULL;
			return (0);
		}
	}
	if (*out == NULL) {
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	/* Checked here, so that a wrong path is a configuration error
	 * before any request rather than a TLS failure retried later. */
	if ((fd = open(*out, O_RDONLY)) < 0 || fstat(fd, &st) != 0)
		err_set(EX_CONFIG, "CA bundle %s (%s): %s", *out, from,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		err_set(EX_CONFIG, "CA bundle %s (%s): not a file", *out, from);
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return (rc);
}

/* AWS's own host for SERVICE in REGION, as botocore builds it. */
static char *
default_host(const char *service, const char *region)
{
	const char *suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn"
	                                                    : "amazonaws.com";
	char host[256];

	/* S3 in us-east-1 answers on its legacy global name. */
	if (strcmp(service, "s3") == 0 && strcmp(region, "us-east-1") == 0)
		snprintf(host, sizeof(host), "s3.amazonaws.com");
	else
		snprintf(host, sizeof(host), "%s.%s.%s", service, region,
		    suffix);
	return (strdup(host));
}

/* Split URL, "http[s]://host[:port][/path]", into OUT's scheme,
 * host[:port] and base path.  A default port is dropped: the host is part
 * of the signed Host header and must be what curl sends.  No user info,
 * query or fragment: an endpoint has none. */
static int
parse_endpoint(const char *url, struct aws_endpoint *out)
{
	const char *host, *end, *colon;
	size_t plen;

	if (strncmp(url, "https://", 8) == 0) {
		out->scheme = strdup("https");
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		out->scheme = strdup("http");
		host = url + 7;
	} else {
		return (-1);
	}
	end = host + strcspn(host, "/");
	if (end == host || strpbrk(url, "?#@ ") != NULL || out->scheme == NULL)
		return (-1);
	/* The port: after the last ':' outside an IPv6 literal's brackets. */
	colon = memchr(host, ']', (size_t)(end - host));
	colon = memchr(colon ? colon : host, ':',
	    (size_t)(end - (colon ? colon : host)));
	if (colon != NULL &&
	    (colon + 1 == end ||
	        strspn(colon + 1, "0123456789") != (size_t)(end - colon - 1)))
		return (-1);
	if (colon != NULL &&
	    ((strcmp(out->scheme, "https") == 0 && (size_t)(end - colon) == 4 &&
	         !strncmp(colon, ":443", 4)) ||
	        (strcmp(out->scheme, "http") == 0 &&
	            (size_t)(end - colon) == 3 && !strncmp(colon, ":80", 3))))
		out->host = strndup(host, (size_t)(colon - host));
	else
		out->host = strndup(host, (size_t)(end - host));
	plen = strlen(end);
	while (plen > 0 && end[plen - 1] == '/')
		plen--;
	out->path = strndup(end, plen);
	return (out->host && out->path ? 0 : -1);
}

int
aws_endpoint_resolve(const char *service, const char *region,
    struct aws_endpoint *out)
{
	char env[64], *p;
	const char *url;

	memset(out, 0, sizeof(*out));
	snprintf(env, sizeof(env), "AWS_ENDPOINT_URL_%s", service);
	for (p = env; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	url = getenv(env);
	if (url == NULL || *url == '\0')
		url = getenv("AWS_ENDPOINT_URL");
	if (url != NULL && *url != '\0') {
		out->custom = 1;
		if (parse_endpoint(url, out)) {
			err_set(EX_CONFIG,
			    "endpoint URL '%s' is not an "
			    "http(s) URL",
			    url);
			aws_endpoint_free(out);
			return (-1);
		}
		return (0);
	}
	out->scheme = strdup("https");
	out->host = default_host(service, region);
	out->path = strdup("");
	if (!out->scheme || !out->host || !out->path) {
		err_set(EX_SOFTWARE, "out of memory");
		aws_endpoint_free(out);
		return (-1);
	}
	return (0);
}

void
aws_endpoint_free(struct aws_endpoint *ep)
{
	free(ep->scheme);
	free(ep->host);
	free(ep->path);
	ep->scheme = ep->host = ep->path = NULL;
}

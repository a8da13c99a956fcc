#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "s3url.h"

int
s3url_valid_bucket(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 3 || n > 63 || !isalnum((unsigned char)name[0]) ||
	    !isalnum((unsigned char)name[n - 1]))
		return (0);
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)name[i]) ||
		        isdigit((unsigned char)name[i]) || name[i] == '-' ||
		        name[i] == '.'))
			return (0);
	return (1);
}

/* A bucket name that can be the first label of a TLS host name. */
static int
dns_label(const char *bucket)
{
	return (s3url_valid_bucket(bucket) && strchr(bucket, '.') == NULL);
}

/* An IPv4 or bracketed IPv6 host, with or without a port. */
static int
is_ip_host(const char *host)
{
	const char *p;

	if (host[0] == '[')
		return (1);
	for (p = host; *p != '\0' && *p != ':'; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return (0);
	return (1);
}

int
s3url_addressing(const struct aws_endpoint *ep)
{
	const char *mode = getenv("CSC_S3_ADDRESSING");

	if (mode == NULL || *mode == '\0')
		return (ep->custom);
	if (strcmp(mode, "path") == 0)
		return (1);
	if (strcmp(mode, "virtual") == 0)
		return (0);
	err_set(EX_CONFIG,
	    "CSC_S3_ADDRESSING must be 'path' or 'virtual', "
	    "not '%s'",
	    mode);
	return (-1);
}

int
s3url_path_style(const struct aws_endpoint *ep, int prefer_path,
    const char *bucket)
{
	return (prefer_path || !dns_label(bucket) || is_ip_host(ep->host));
}

int
s3url_object(const struct aws_endpoint *ep, const char *bucket, const char *key,
    int path_style, struct buf *host, struct buf *path)
{
	/* Plain appends: this runs once per presigned URL. */
	if (path_style) {
		if (buf_addstr(host, ep->host) || buf_addstr(path, ep->path) ||
		    buf_add(path, "/", 1) || buf_addstr(path, bucket))
			return (-1);
	} else {
		if (buf_addstr(host, bucket) || buf_add(host, ".", 1) ||
		    buf_addstr(host, ep->host) || buf_addstr(path, ep->path))
			return (-1);
	}
	if (key != NULL && *key != '\0')
		return (buf_add(path, "/", 1) || buf_addstr(path, key));
	/* The bucket itself: "/bucket" path-style, "/" virtual-hosted. */
	return (path_style ? 0 : buf_addstr(path, "/"));
}

/*
 * s3url: where an S3 object lives: the Host header and the (unencoded)
 * path, virtual-hosted or path-style as SPEC section 4 says.
 */
#ifndef CSC_S3URL_H
#define CSC_S3URL_H

#include "aws.h"
#include "buf.h"

/* s3url_addressing(ep): 1 to prefer path-style, 0 for virtual-hosted.
 * CSC_S3_ADDRESSING=path|virtual decides; unset, a custom endpoint is
 * path-style and AWS virtual-hosted.  -1 if CSC_S3_ADDRESSING is neither
 * value (err_set EX_CONFIG).  Read once, not per URL. */
int s3url_addressing(const struct aws_endpoint *ep);

/* s3url_path_style(ep, prefer_path, bucket): 1 for path-style, 0 for
 * virtual-hosted, given s3url_addressing's answer.  A bucket whose name
 * cannot be a DNS label (dots, upper case, '_'), or an endpoint that is an
 * IP address, is always path-style, as botocore does. */
int s3url_path_style(const struct aws_endpoint *ep, int prefer_path,
    const char *bucket);

/* s3url_object(ep, bucket, key, path_style, host, path): append the Host
 * header value to HOST and the unencoded path ("/key" or "/bucket/key",
 * after a custom endpoint's base path) to PATH.  KEY may be NULL or ""
 * for the bucket itself.  Returns 0, or -1 when out of memory. */
int s3url_object(const struct aws_endpoint *ep, const char *bucket,
    const char *key, int path_style, struct buf *host, struct buf *path);

/* s3url_valid_bucket(name): 1 if NAME follows S3's bucket naming rules
 * (3-63 of [a-z0-9.-], starting and ending with a letter or digit). */
int s3url_valid_bucket(const char *name);

#endif /* !CSC_S3URL_H */

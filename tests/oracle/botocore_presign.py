#!/usr/bin/env python3
"""Presign S3 URLs with botocore, an independent oracle for csc-presign.

Reads the same environment csc-presign reads (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL_S3,
CSC_S3_ADDRESSING, CSC_NOW) and prints one URL per s3://BUCKET/KEY argument.
Options: --expires N, --method GET|PUT, --attachment, --version-id V (every
URL for that version of its key).
Exit 2 with a message when botocore is not installed.
"""
import argparse
import datetime
import os
import sys
import urllib.parse

try:
    import botocore.auth
    import botocore.session
    from botocore.config import Config
except ImportError:
    print("botocore is not installed", file=sys.stderr)
    sys.exit(2)


def disposition(name):
    """csc's Content-Disposition policy (RFC 6266), not botocore's."""
    if all(0x20 <= ord(c) <= 0x7e and c not in '"\\' for c in name):
        return 'attachment; filename="%s"' % name
    return ('attachment; filename="download"; filename*=UTF-8\'\'' +
            urllib.parse.quote(name, safe=""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expires", type=int, default=3600)
    ap.add_argument("--method", default="GET")
    ap.add_argument("--attachment", action="store_true")
    ap.add_argument("--version-id")
    ap.add_argument("uris", nargs="+")
    args = ap.parse_args()

    now = datetime.datetime.fromtimestamp(
        int(os.environ["CSC_NOW"]), datetime.timezone.utc)
    # botocore reads the clock through this one function.
    botocore.auth.get_current_datetime = lambda: now

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3")
    style = os.environ.get("CSC_S3_ADDRESSING") or (
        "path" if endpoint else "virtual")
    client = botocore.session.get_session().create_client(
        "s3",
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        endpoint_url=endpoint,
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
        config=Config(signature_version="s3v4",
                      s3={"addressing_style": style}))
    op = "get_object" if args.method == "GET" else "put_object"
    for uri in args.uris:
        bucket, key = uri[len("s3://"):].split("/", 1)
        params = {"Bucket": bucket, "Key": key}
        if args.attachment:
            params["ResponseContentDisposition"] = disposition(
                key.rstrip("/").rsplit("/", 1)[-1])
        # botocore sends Params in the order given: this is GetObject's.
        if args.version_id is not None:
            params["VersionId"] = args.version_id
        print(client.generate_presigned_url(
            op, Params=params, ExpiresIn=args.expires))


if __name__ == "__main__":
    main()

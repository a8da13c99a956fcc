#!/usr/bin/env python3
"""A loopback stand-in for the EC2 instance metadata service (IMDSv2) and
the ECS/EKS container credentials endpoint, for the credential-chain tests.

  metadata.py --port-file FILE [--expires-in SECONDS] [--now EPOCH]
              [--auth-token TOKEN] [--log FILE]

IMDSv2: PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds)
returns a token; GET /latest/meta-data/iam/security-credentials/ (needs that
token, 401 otherwise) returns the role name; GET .../ROLE returns the
credentials JSON.  Container: GET /creds returns the same JSON when the
Authorization header equals --auth-token (403 otherwise).  Each credentials
answer carries a new key id (ASIATESTKEY0001, 0002, ...) so tests can count
renewals.  Every request is logged as one line "METHOD PATH" to --log.
"""
import argparse
import datetime
import http.server
import json
import os
import sys
import threading

TOKEN = "imds-session-token"
ROLE = "csc-test-role"


def make_handler(args, counter):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def reply(self, status, body, ctype="text/plain"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def record(self):
            if args.log:
                with open(args.log, "a") as f:
                    f.write("%s %s\n" % (self.command, self.path))

        def credentials(self):
            with counter["lock"]:
                counter["n"] += 1
                n = counter["n"]
            now = args.now if args.now is not None else int(
                datetime.datetime.now(datetime.timezone.utc).timestamp())
            exp = datetime.datetime.fromtimestamp(
                now + args.expires_in, datetime.timezone.utc)
            return json.dumps({
                "Code": "Success",
                "Type": "AWS-HMAC",
                "AccessKeyId": "ASIATESTKEY%04d" % n,
                "SecretAccessKey": "test-secret-%04d" % n,
                "Token": "test-session-token-%04d" % n,
                "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            })

        def do_PUT(self):
            self.record()
            if self.path != "/latest/api/token":
                return self.reply(404, "not found")
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400, "missing ttl")
            self.reply(200, TOKEN)

        def do_GET(self):
            self.record()
            base = "/latest/meta-data/iam/security-credentials/"
            if self.path.startswith(base):
                if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                    return self.reply(401, "no token")
                if self.path == base:
                    return self.reply(200, ROLE)
                if self.path == base + ROLE:
                    return self.reply(200, self.credentials(),
                                      "application/json")
                return self.reply(404, "no such role")
            if self.path == "/creds":
                if self.headers.get("Authorization") != args.auth_token:
                    return self.reply(403, '{"message":"denied"}')
                return self.reply(200, self.credentials(),
                                  "application/json")
            self.reply(404, "not found")

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--expires-in", type=int, default=6 * 3600)
    ap.add_argument("--now", type=int)
    ap.add_argument("--auth-token", default="container-auth-token")
    ap.add_argument("--log")
    args = ap.parse_args()
    counter = {"n": 0, "lock": threading.Lock()}
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), make_handler(args, counter))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

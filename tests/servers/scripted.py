#!/usr/bin/env python3
"""A loopback HTTP server whose answers follow a script, for the HTTP
module's retry, timeout and parallelism tests.

  scripted.py --port-file FILE [--log FILE]

Each path names its behaviour; a count in the query ("?n=2") is per path:
  /ok              200 "ok"
  /status/CODE     CODE with a short body
  /flaky?n=N       503 for the first N requests to this URL, then 200
  /retry-after?n=N 429 with Retry-After: 1 for the first N, then 200
  /retry-after-ms?n=N  429 with retry-after-ms: 50 for the first N
  /slow?ms=M       waits M ms, then 200
  /max-inflight    the most /slow requests that were served at once
  /drop?n=N        closes the connection without answering, N times
  /big?bytes=B     200 with B bytes
  /echo            200 with the request's method, headers and body as JSON
  /denied          403 AccessDeniedException as a DynamoDB emulator that
                   enforces IAM answers, the __type in the JSON body
  /denied-header   the same, named only by the x-amzn-ErrorType header
Every request is logged as "METHOD PATH" to --log, and the end of a /slow
one as "END PATH".
"""
import argparse
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

counts = {}
lock = threading.Lock()
inflight = {"now": 0, "max": 0}


def seen(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_path = None

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write("%s %s\n" % (self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        n = int(q.get("n", 0))
        path = url.path
        if path == "/ok":
            return self.reply(200, "ok")
        if path.startswith("/status/"):
            return self.reply(int(path.split("/")[2]), "status")
        if path == "/flaky":
            if seen(self.path) <= n:
                return self.reply(503, "try later")
            return self.reply(200, "recovered")
        if path == "/retry-after":
            if seen(self.path) <= n:
                return self.reply(429, "slow down", [("Retry-After", "1")])
            return self.reply(200, "after")
        if path == "/retry-after-ms":
            if seen(self.path) <= n:
                return self.reply(429, "slow down",
                                  [("retry-after-ms", "50")])
            return self.reply(200, "after-ms")
        if path == "/slow":
            with lock:
                inflight["now"] += 1
                inflight["max"] = max(inflight["max"], inflight["now"])
            time.sleep(int(q.get("ms", 1000)) / 1000)
            with lock:
                inflight["now"] -= 1
            if self.log_path:
                with open(self.log_path, "a") as f:
                    f.write("END %s\n" % self.path)
            return self.reply(200, "slow")
        if path == "/max-inflight":
            return self.reply(200, str(inflight["max"]))
        if path == "/drop":
            if seen(self.path) <= n:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            return self.reply(200, "undropped")
        if path == "/big":
            return self.reply(200, b"x" * int(q.get("bytes", 0)))
        if path in ("/denied", "/denied-header"):
            message = ("User: arn:aws:iam::000000000000:user/csc is not "
                       "authorized to perform: dynamodb:%s"
                       % self.headers.get("X-Amz-Target", "").split(".")[-1])
            if path == "/denied-header":
                return self.reply(403, json.dumps({"message": message}), [
                    ("Content-Type", "application/x-amz-json-1.0"),
                    ("x-amzn-ErrorType", "AccessDeniedException:http://"
                     "internal.amazon.com/coral/com.amazon.coral.service/")])
            return self.reply(403, json.dumps({
                "__type": "com.amazon.coral.service#AccessDeniedException",
                "Message": message}),
                [("Content-Type", "application/x-amz-json-1.0")])
        if path == "/echo":
            return self.reply(200, json.dumps({
                "method": self.command,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }), [("Content-Type", "application/json")])
        self.reply(404, "no such script")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    Handler.log_path = args.log
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""tests/bench/original_handler.py: the peer of the API benchmark (SPEC
section 10), the original design's conversation handler as a plain
Python/boto3 Lambda would write it: `handler(event)` takes an API Gateway
proxy event and answers `start` and `message` against the DynamoDB table
CloudServiceCreator (pk CONVERSATION#id, sk DATA).

    original_handler.py --cgi                 one request as a CGI program
                                              (REQUEST_METHOD, CONTENT_LENGTH,
                                              the body on stdin): a cold start
    original_handler.py --serve PORT [--port-file FILE]
                                              a warm server (a warm Lambda):
                                              POST /conversation, the client
                                              made once; PORT 0 picks one

boto3 finds the endpoint in AWS_ENDPOINT_URL_DYNAMODB and the credentials
and region in the environment, as it does in Lambda.  Only what a handler
needs is imported, and the DynamoDB resource is made once per process, at
import, as a Lambda handler does it.
"""

import json
import os
import sys
import uuid
from datetime import datetime, timedelta, timezone

import boto3
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

TABLE = os.environ.get("CSC_TABLE", "CloudServiceCreator")
# Made once per process (a Lambda's init phase), reused by every request.
table = boto3.resource("dynamodb").Table(TABLE)

# The interview: one question per step, each with its options.
QUESTIONS = [
    {"id": "service_type", "kind": "one_of",
     "text": "What type of network service do you want to create?",
     "options": ["vFirewall", "vRouter", "vLoadBalancer", "vVPN", "vIPS",
                 "vNAT", "vWAF", "vDNS"]},
    {"id": "vendor", "kind": "one_of",
     "text": "Which vendor's platform should the service follow?",
     "options": ["Cisco", "Palo Alto Networks", "Fortinet", "Check Point",
                 "Juniper", "F5 BIG-IP", "HAProxy", "NGINX", "BIND"]},
    {"id": "features", "kind": "many_of",
     "text": "Which features should the service have? Choose one or more.",
     "options": ["Traffic Filtering", "NAT", "VPN", "Logging", "High Availability",
                 "Rate Limiting", "Health Checks", "TLS Termination"]},
    {"id": "deployment", "kind": "one_of", "text": "Where will it run?",
     "options": ["Kubernetes", "Docker", "Virtual machine", "Bare metal", "AWS Lambda"]},
    {"id": "scale", "kind": "one_of", "text": "At what scale?",
     "options": ["Single instance", "Active/standby pair", "Horizontal cluster"]},
    {"id": "database", "kind": "one_of", "text": "Which database should it use?",
     "options": ["PostgreSQL", "MySQL", "SQLite", "DynamoDB", "None"]},
    {"id": "requirements", "kind": "text", "text": "Anything else it must do?",
     "options": []},
]
TOTAL = len(QUESTIONS)


class Fail(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def now():
    return datetime.now(timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def question(step):
    q = QUESTIONS[step - 1]
    return {"id": q["id"], "text": q["text"], "kind": q["kind"], "options": q["options"]}


def validate(step, message):
    q = QUESTIONS[step - 1]
    if q["kind"] == "text":
        return str(message)[:2000]
    wanted = message if isinstance(message, list) else [
        m.strip() for m in str(message).split(",")]
    by_lower = {o.lower(): o for o in q["options"]}
    chosen = [by_lower.get(str(w).lower()) for w in wanted]
    if not chosen or None in chosen:
        raise Fail(400, "invalid_answer", "choose from: " + ", ".join(q["options"]))
    if q["kind"] == "one_of":
        if len(chosen) != 1:
            raise Fail(400, "invalid_answer", "choose one option")
        return chosen[0]
    return chosen


def start(_body):
    t = now()
    cid = str(uuid.uuid4())
    item = {
        "pk": "CONVERSATION#" + cid, "sk": "DATA",
        "conversation_id": cid, "step": 1, "total_steps": TOTAL, "status": "open",
        "answers": {}, "history": [], "version": 1,
        "created_at": iso(t), "updated_at": iso(t),
        "expires_at": int((t + timedelta(days=7)).timestamp()),
    }
    table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists())
    return 201, {"conversation_id": cid, "step": 1, "total_steps": TOTAL,
                 "question": question(1)}


def message(body):
    cid, step = body.get("conversation_id"), body.get("step")
    try:
        uuid.UUID(str(cid))
    except ValueError:
        raise Fail(400, "invalid_request", "conversation_id must be a UUID")
    got = table.get_item(Key={"pk": "CONVERSATION#" + str(cid), "sk": "DATA"})
    state = got.get("Item")
    if state is None:
        raise Fail(404, "not_found", "no such conversation")
    if state["status"] != "open":
        raise Fail(409, "conflict", "the interview is complete")
    current = int(state["step"])
    if step is not None and step != current:
        raise Fail(409, "conflict", "the conversation is at step %d" % current)
    answer = validate(current, body.get("message", ""))
    version = state["version"]
    t = now()
    state["answers"][QUESTIONS[current - 1]["id"]] = answer
    state["history"].append({"step": current, "message": body.get("message"), "at": iso(t)})
    state["version"] = version + 1
    state["updated_at"] = iso(t)
    if current == TOTAL:
        state["status"] = "complete"
    else:
        state["step"] = current + 1
    try:
        table.put_item(Item=state, ConditionExpression=Attr("version").eq(version))
    except ClientError as e:
        if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise Fail(409, "conflict", "the conversation changed; retry")
        raise
    if state["status"] == "complete":
        return 200, {"conversation_id": cid, "done": True, "service_data": state["answers"]}
    return 200, {"conversation_id": cid, "done": False, "step": current + 1,
                 "total_steps": TOTAL, "question": question(current + 1)}


def handler(event, context=None):
    """The Lambda entry point: an API Gateway proxy event in, a proxy
    response out."""
    headers = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}
    try:
        if event.get("httpMethod") != "POST":
            raise Fail(405, "method_not_allowed", "use POST")
        try:
            body = json.loads(event.get("body") or "")
        except ValueError:
            raise Fail(400, "invalid_request", "the body must be JSON")
        if not isinstance(body, dict):
            raise Fail(400, "invalid_request", "the body must be a JSON object")
        action = body.get("action")
        if action == "start":
            status, out = start(body)
        elif action == "message":
            status, out = message(body)
        else:
            raise Fail(400, "unknown_action", "action must be start or message")
    except Fail as f:
        status, out = f.status, {"error": {"code": f.code, "message": f.message}}
    return {"statusCode": status, "headers": headers, "body": json.dumps(out, default=str)}


REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict"}


def cgi():
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    body = sys.stdin.buffer.read(length).decode("utf-8", "replace") if length else ""
    event = {"httpMethod": os.environ.get("REQUEST_METHOD", "GET"),
             "path": os.environ.get("PATH_INFO", "/"), "body": body}
    res = handler(event)
    out = res["body"].encode()
    head = "Status: %d %s\r\n" % (res["statusCode"], REASONS.get(res["statusCode"], "Error"))
    for k, v in res["headers"].items():
        head += "%s: %s\r\n" % (k, v)
    head += "Content-Length: %d\r\n\r\n" % len(out)
    sys.stdout.buffer.write(head.encode() + out)
    sys.stdout.buffer.flush()


def serve(port, port_file):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            res = handler({"httpMethod": "POST", "path": self.path, "body": body})
            out = res["body"].encode()
            self.send_response(res["statusCode"])
            for k, v in res["headers"].items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


def main(argv):
    if argv[:1] == ["--cgi"]:
        cgi()
    elif argv[:1] == ["--serve"] and len(argv) in (2, 4):
        port_file = argv[3] if len(argv) == 4 and argv[2] == "--port-file" else None
        if len(argv) == 4 and port_file is None:
            sys.exit("usage: original_handler.py --serve PORT [--port-file FILE]")
        serve(int(argv[1]), port_file)
    else:
        sys.exit("usage: original_handler.py --cgi | --serve PORT [--port-file FILE]")


if __name__ == "__main__":
    main(sys.argv[1:])

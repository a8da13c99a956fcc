#!/usr/bin/env python3
"""sigproxy.py: a signature-checking, fault-injecting reverse proxy for tests.

It sits in front of one AWS emulator (s3rver or dynalite, neither of which
checks SigV4 signatures) and answers as the real service would:

  * every request's SigV4 signature (Authorization header or presigned
    query) is recomputed with botocore, an implementation independent of
    csc's own, from the request exactly as received, and a mismatch gets the
    service's real error (S3 SignatureDoesNotMatch XML, DynamoDB
    InvalidSignatureException JSON, ...);
  * a fault script (JSON, re-read on every request) makes chosen requests
    fail the way AWS fails: throttling, 500, 503, slow answers, dropped
    connections, tampered headers;
  * everything else is forwarded to the emulator and the answer relayed.

Usage:
  sigproxy.py --service s3|dynamodb --upstream http://127.0.0.1:N
              [--listen-port P] [--region us-east-1] [--credentials FILE]
              [--faults FILE] [--log FILE] [--port-file FILE]

--listen-port 0 (the default) lets the kernel pick a port; the port is then
printed on stdout and written to --port-file (atomically, so a test can wait
for the file to appear).  The proxy listens on 127.0.0.1 only and forwards
only to a loopback upstream.

Credentials file (JSON, re-read when it changes):
  {"AKID": {"secret": "SECRET", "token": "SESSION-TOKEN" or null}, ...}
A key with a token must send it (X-Amz-Security-Token) and one without a
token must not send any.

Faults file (JSON, re-read on every request; write it atomically, e.g.
write a temporary file and mv it, or the proxy may read half a file and
treat it as no faults): a list of rules, the first rule that matches a
request and still has uses left applies:
  {"match": {"method": "PUT", "target": "DynamoDB_20120810.PutItem",
             "path": "REGEX"},
   "action": "throttle" | "500" | "503" | "slow" | "drop"
             | "drop-after-forward" | "alter-header",
   "times": N, "skip": N, "delay_ms": M, "retry_after": S,
   "code": "ProvisionedThroughputExceededException",
   "header": "x-amz-target", "value": "NEW VALUE"}
  match     all given fields must match: method (case-insensitive), target
            (the X-Amz-Target header, exactly), path (a regular expression
            searched in the request target as received: path and ?query).
            No match object matches every request.
  action    throttle: S3 503 SlowDown; DynamoDB 400 ThrottlingException, or
              ProvisionedThroughputExceededException with "code".
            500, 503: the service's InternalError / ServiceUnavailable.
            slow: wait delay_ms (default 2000) and then forward.
            drop: read the request, then close the connection unanswered.
            drop-after-forward: forward (the emulator does the work), then
              close the connection unanswered: the lost-reply case.
            alter-header: set header (default "host") to value (default: the
              old value with "-tampered" appended) before the signature
              check, which must then fail.
  times     how many requests the rule applies to (default: unlimited).
  skip      how many matching requests pass untouched before it applies.
  delay_ms  wait this long before any action (for slow, its whole point).
  retry_after  an error answer (throttle, 500, 503) carries Retry-After: S.
Counters live in the proxy's memory, one per rule position, and start afresh
whenever the file is written again (a new inode, size or modification
time) and when the proxy restarts.

Log (--log): one JSON object per line per request: time, method, path (with
X-Amz-Signature and X-Amz-Security-Token values redacted), target, status,
fault, sig ("ok", "bad" or "none"), error (the error code sent, if any),
access_key (the key the request names, also when its signature is wrong).
Never the Authorization header, a signature, a token or a secret.

The clock is not checked (no RequestTimeTooSkewed, no presign expiry): tests
pin the clock so that signatures are reproducible.
"""

import argparse
import datetime
import email.utils
import hashlib
import hmac
import http.client
import http.server
import ipaddress
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from xml.sax.saxutils import escape

import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.compat import HTTPHeaders

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect",
}
REDACTED_QUERY = {"x-amz-signature", "x-amz-security-token"}


# ---------------------------------------------------------------------------
# The services' own error answers.

def claimed_key(headers, raw_target):
    """The access key id a request names in its Authorization header or
    X-Amz-Credential query parameter, or None."""
    m = re.search(r"Credential=([A-Za-z0-9]+)/", headers.get("authorization") or "")
    if m is None:
        m = re.search(r"[?&]X-Amz-Credential=([A-Za-z0-9]+)(?:/|%2F)",
                      raw_target, re.IGNORECASE)
    return m.group(1) if m else None


class AwsError(Exception):
    """An error answer: a generic kind, mapped per service to AWS's code."""

    def __init__(self, kind, message=None, **fields):
        super().__init__(kind)
        self.kind = kind
        self.message = message
        self.fields = fields


# kind -> (S3 code, HTTP status, default message)
S3_ERRORS = {
    "missing-auth": ("AccessDenied", 403, "Access Denied"),
    "malformed": ("AuthorizationHeaderMalformed", 400,
                  "The authorization header is malformed."),
    "query-malformed": ("AuthorizationQueryParametersError", 400,
                        "Query-string authentication version 4 requires the "
                        "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
                        "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires "
                        "parameters."),
    "two-mechanisms": ("InvalidArgument", 400,
                       "Only one auth mechanism allowed; only the "
                       "X-Amz-Algorithm query parameter, Signature query "
                       "string parameter or the Authorization header should "
                       "be specified"),
    "unknown-key": ("InvalidAccessKeyId", 403,
                    "The AWS Access Key Id you provided does not exist in "
                    "our records."),
    "bad-token": ("InvalidToken", 400,
                  "The provided token is malformed or otherwise invalid."),
    "mismatch": ("SignatureDoesNotMatch", 403,
                 "The request signature we calculated does not match the "
                 "signature you provided. Check your key and signing "
                 "method."),
    "unsigned-headers": ("AccessDenied", 403,
                         "There were headers present in the request which "
                         "were not signed"),
    "missing-sha256": ("InvalidRequest", 400,
                       "Missing required header for this request: "
                       "x-amz-content-sha256"),
    "sha256-mismatch": ("XAmzContentSHA256Mismatch", 400,
                        "The provided 'x-amz-content-sha256' header does not "
                        "match what was computed."),
    "not-implemented": ("NotImplemented", 501,
                        "A header you provided implies functionality that is "
                        "not implemented"),
    "missing-length": ("MissingContentLength", 411,
                       "You must provide the Content-Length HTTP header."),
    "throttle": ("SlowDown", 503, "Please reduce your request rate."),
    "500": ("InternalError", 500,
            "We encountered an internal error. Please try again."),
    "503": ("ServiceUnavailable", 503,
            "Service is unable to handle request."),
}

CORAL = "com.amazon.coral.service#"
DDB = "com.amazonaws.dynamodb.v20120810#"
# kind -> (DynamoDB __type, HTTP status, default message).  DynamoDB answers
# its authentication errors with 400, not 403.
DDB_ERRORS = {
    "missing-auth": (CORAL + "MissingAuthenticationTokenException", 400,
                     "Request is missing Authentication Token"),
    "malformed": (CORAL + "IncompleteSignatureException", 400,
                  "The request signature does not conform to AWS "
                  "standards."),
    "query-malformed": (CORAL + "IncompleteSignatureException", 400,
                        "AWS query-string parameters must include "
                        "'X-Amz-Algorithm', 'X-Amz-Credential', "
                        "'X-Amz-Signature', 'X-Amz-SignedHeaders' and "
                        "'X-Amz-Date'."),
    "two-mechanisms": (CORAL + "InvalidSignatureException", 400,
                       "Found both 'X-Amz-Algorithm' as a query-string param "
                       "and 'Authorization' as HTTP header."),
    "unknown-key": (CORAL + "UnrecognizedClientException", 400,
                    "The security token included in the request is "
                    "invalid."),
    "bad-token": (CORAL + "UnrecognizedClientException", 400,
                  "The security token included in the request is invalid."),
    "mismatch": (CORAL + "InvalidSignatureException", 400,
                 "The request signature we calculated does not match the "
                 "signature you provided. Check your AWS Secret Access Key "
                 "and signing method. Consult the service documentation for "
                 "details."),
    "unsigned-headers": (CORAL + "InvalidSignatureException", 400,
                         "'Host' must be a 'SignedHeader' in the AWS "
                         "Authorization."),
    "missing-sha256": (CORAL + "IncompleteSignatureException", 400,
                       "Missing x-amz-content-sha256."),
    "sha256-mismatch": (CORAL + "InvalidSignatureException", 400,
                        "The provided 'x-amz-content-sha256' header does not "
                        "match what was computed."),
    "not-implemented": (CORAL + "UnknownOperationException", 400,
                        "Streaming payloads are not supported."),
    "throttle": (DDB + "ThrottlingException", 400,
                 "Rate of requests exceeds the allowed throughput."),
    "ProvisionedThroughputExceededException": (
        DDB + "ProvisionedThroughputExceededException", 400,
        "The level of configured provisioned throughput for the table was "
        "exceeded. Consider increasing your provisioning level with the "
        "UpdateTable API."),
    "500": (DDB + "InternalServerError", 500, "Internal server error"),
    "503": (DDB + "ServiceUnavailable", 503,
            "The service is currently unavailable or busy."),
}


def request_id():
    return uuid.uuid4().hex[:16].upper()


def s3_error_answer(err, method, resource):
    """(status, headers, body) of S3's XML error document."""
    code, status, default = S3_ERRORS[err.kind]
    rid = request_id()
    parts = ["<Code>%s</Code>" % code,
             "<Message>%s</Message>" % escape(err.message or default)]
    for name, value in err.fields.items():
        parts.append("<%s>%s</%s>" % (name, escape(str(value)), name))
    parts.append("<Resource>%s</Resource>" % escape(resource))
    parts.append("<RequestId>%s</RequestId>" % rid)
    parts.append("<HostId>%s</HostId>" % escape(rid.lower()))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>%s</Error>'
            % "".join(parts)).encode()
    headers = [("Content-Type", "application/xml"),
               ("x-amz-request-id", rid), ("x-amz-id-2", rid.lower())]
    if method == "HEAD":  # S3 answers HEAD errors with the status alone
        body = b""
    return status, headers, body, code


def ddb_error_answer(err):
    """(status, headers, body) of DynamoDB's JSON error."""
    kind = err.kind
    if kind == "throttle" and err.fields.get("code") in DDB_ERRORS:
        kind = err.fields["code"]
    err_type, status, default = DDB_ERRORS[kind]
    message = err.message or default
    if "CanonicalRequest" in err.fields:  # as DynamoDB itself words it
        message += ("\n\nThe Canonical String for this request should have "
                    "been\n'%s'\n\nThe String-to-Sign should have been\n"
                    "'%s'\n" % (err.fields["CanonicalRequest"],
                                err.fields["StringToSign"]))
    body = json.dumps({"__type": err_type, "message": message}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.0"),
               ("x-amzn-RequestId", request_id()),
               ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF))]
    return status, headers, body, err_type.split("#", 1)[1]


# ---------------------------------------------------------------------------
# Signature checking, by botocore.

class _ExactSignedHeaders:
    """Canonicalise exactly the headers the client listed in SignedHeaders.

    botocore's signers pick the headers themselves (all but a blacklist);
    a verifier must instead take the client's list, as AWS does.
    """

    def headers_to_sign(self, request):
        return request.context["signed_headers"]


class S3HeaderSigner(_ExactSignedHeaders, botocore.auth.S3SigV4Auth):
    pass


class S3QuerySigner(_ExactSignedHeaders, botocore.auth.S3SigV4QueryAuth):
    pass


class HeaderSigner(_ExactSignedHeaders, botocore.auth.SigV4Auth):
    pass


class QuerySigner(_ExactSignedHeaders, botocore.auth.SigV4QueryAuth):
    pass


def split_query(raw_query):
    """[(raw_pair, key, value)] with key and value percent-decoded."""
    pairs = []
    if raw_query:
        for raw in raw_query.split("&"):
            key, _, value = raw.partition("=")
            pairs.append((raw, urllib.parse.unquote(key),
                          urllib.parse.unquote(value)))
    return pairs


def header_value(value):
    """Header values arrive decoded as latin-1; sign what was on the wire."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def sigv4_date(headers):
    """The request's timestamp, from X-Amz-Date or else Date."""
    amz_date = headers.get("x-amz-date")
    if amz_date:
        return amz_date
    date = headers.get("date")
    if date:
        try:
            parsed = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return parsed.astimezone(datetime.timezone.utc).strftime(
                "%Y%m%dT%H%M%SZ")
    return None


class Verifier:
    """Checks one request's signature; raises AwsError when it is wrong."""

    def __init__(self, service, region, credentials):
        self.service = service
        self.region = region
        self.credentials = credentials  # a CredentialStore

    def check(self, method, raw_target, headers, body):
        """Return the access key of a correctly signed request."""
        path, _, raw_query = raw_target.partition("?")
        query = split_query(raw_query)
        query_keys = {key for _, key, _ in query}
        auth = headers.get("authorization")
        presigned = "X-Amz-Signature" in query_keys or \
            "X-Amz-Algorithm" in query_keys
        if auth and presigned:
            raise AwsError("two-mechanisms")
        if not auth and not presigned:
            raise AwsError("missing-auth")
        if auth:
            return self._check_header(method, path, raw_query, headers, body,
                                      auth)
        return self._check_query(method, path, query, headers, body)

    # -- the two mechanisms ------------------------------------------------

    def _check_header(self, method, path, raw_query, headers, body, auth):
        algorithm, _, rest = auth.strip().partition(" ")
        if algorithm != ALGORITHM:
            raise AwsError("malformed", "Unsupported Authorization Type "
                           "(only %s is accepted)" % ALGORITHM)
        params = {}
        for part in rest.split(","):
            name, eq, value = part.strip().partition("=")
            if eq:
                params[name] = value
        for name in ("Credential", "SignedHeaders", "Signature"):
            if not params.get(name):
                raise AwsError("malformed", "The authorization header is "
                               "malformed; missing %s." % name)
        timestamp = sigv4_date(headers)
        if not timestamp:
            raise AwsError("malformed", "AWS authentication requires a valid "
                           "Date or x-amz-date header")
        key = self._check_scope(params["Credential"], timestamp, "malformed")
        secret, token = self._lookup(key, headers.get("x-amz-security-token"))
        signed = params["SignedHeaders"].split(";")
        self._check_signed_headers(signed, headers)
        declared = headers.get("x-amz-content-sha256")
        if self.service == "s3" and declared is None:
            raise AwsError("missing-sha256")
        if declared is not None and declared.startswith("STREAMING-"):
            raise AwsError("not-implemented", "x-amz-content-sha256 %s "
                           "(aws-chunked uploads) is not supported by this "
                           "test proxy" % declared)
        signer = S3HeaderSigner if self.service == "s3" else HeaderSigner
        self._compare(signer, key, secret, token, method, path, raw_query,
                      headers, signed, body, timestamp, params["Signature"])
        self._check_payload(declared, body)
        return key

    def _check_query(self, method, path, query, headers, body):
        values = {key: value for _, key, value in query}
        needed = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                  "X-Amz-Date", "X-Amz-SignedHeaders")
        if self.service == "s3":
            needed += ("X-Amz-Expires",)
        if any(not values.get(name) for name in needed):
            raise AwsError("query-malformed")
        if values["X-Amz-Algorithm"] != ALGORITHM:
            raise AwsError("query-malformed",
                           'X-Amz-Algorithm only supports "%s"' % ALGORITHM)
        expires = values.get("X-Amz-Expires", "0")
        if not expires.isdigit() or int(expires) > 604800:
            raise AwsError("query-malformed", "X-Amz-Expires must be less "
                           "than a week (in seconds); that is, the given "
                           "X-Amz-Expires must be less than 604800 seconds")
        timestamp = values["X-Amz-Date"]
        key = self._check_scope(values["X-Amz-Credential"], timestamp,
                                "query-malformed")
        secret, token = self._lookup(key, values.get("X-Amz-Security-Token"))
        signed = values["X-Amz-SignedHeaders"].split(";")
        self._check_signed_headers(signed, headers)
        # The canonical query string is the query as sent, less the
        # signature itself.
        raw_query = "&".join(raw for raw, key_, _ in query
                             if key_ != "X-Amz-Signature")
        signer = S3QuerySigner if self.service == "s3" else QuerySigner
        self._compare(signer, key, secret, token, method, path, raw_query,
                      headers, signed, body, timestamp,
                      values["X-Amz-Signature"])
        return key

    # -- the steps ---------------------------------------------------------

    def _check_scope(self, credential, timestamp, malformed_kind):
        parts = credential.split("/")
        if len(parts) != 5:
            raise AwsError(malformed_kind, "Credential must have exactly 5 "
                           "slash-delimited elements, e.g. "
                           "keyid/date/region/service/term, got '%s'"
                           % credential)
        key, date, region, service, terminator = parts
        if region != self.region:
            raise AwsError(malformed_kind, "The authorization header is "
                           "malformed; the region '%s' is wrong; expecting "
                           "'%s'" % (region, self.region), Region=self.region)
        if service != self.service:
            raise AwsError(malformed_kind, "Credential should be scoped to "
                           "correct service: '%s'." % self.service)
        if terminator != "aws4_request":
            raise AwsError(malformed_kind, "Credential should be scoped with "
                           "a valid terminator: 'aws4_request', not '%s'."
                           % terminator)
        if date != timestamp[:8]:
            raise AwsError(malformed_kind, "Date in Credential scope does not "
                           "match YYYYMMDD from ISO-8601 version of date from "
                           "HTTP: '%s' != '%s', from '%s'."
                           % (date, timestamp[:8], timestamp))
        return key

    def _lookup(self, key, sent_token):
        entry = self.credentials.get(key)
        if entry is None:
            raise AwsError("unknown-key", AWSAccessKeyId=key)
        token = entry.get("token")
        if token is not None and sent_token is None:
            # A temporary key without its token is unknown to AWS.
            raise AwsError("unknown-key", AWSAccessKeyId=key)
        if sent_token is not None and not hmac.compare_digest(
                sent_token.encode(), (token or "").encode()):
            raise AwsError("bad-token")
        return entry["secret"], token

    def _check_signed_headers(self, signed, headers):
        names = set(signed)
        if "host" not in names:
            raise AwsError("unsigned-headers", HeadersNotSigned="host")
        if self.service == "s3":
            unsigned = sorted(name for name in headers.keys_lower()
                              if name.startswith("x-amz-")
                              and name not in names)
            if unsigned:
                raise AwsError("unsigned-headers",
                               HeadersNotSigned=", ".join(unsigned))

    def _compare(self, signer_class, key, secret, token, method, path,
                 raw_query, headers, signed, body, timestamp, provided):
        canonical, string_to_sign, expected = self.compute(
            signer_class, key, secret, token, method, path, raw_query,
            headers, signed, body, timestamp)
        if not hmac.compare_digest(expected, provided):
            raise AwsError(
                "mismatch", AWSAccessKeyId=key, StringToSign=string_to_sign,
                CanonicalRequest=canonical)

    def compute(self, signer_class, key, secret, token, method, path,
                raw_query, headers, signed, body, timestamp):
        """(canonical request, string to sign, signature), by botocore.

        botocore's add_auth() would stamp the current time and rewrite the
        payload hash; instead the timestamp is the request's own and the
        pieces are called directly, so the canonical request reproduces
        what the client declared (its x-amz-content-sha256 included).
        """
        host = headers.get("host") or "localhost"
        url = "http://%s%s" % (host, path)
        if raw_query:
            url += "?" + raw_query
        signed_map = HTTPHeaders()
        for name in signed:
            for value in headers.get_all(name):
                signed_map[name] = value
        request = botocore.awsrequest.AWSRequest(
            method=method, url=url, data=body)
        request.headers = signed_map
        request.context["timestamp"] = timestamp
        request.context["signed_headers"] = signed_map
        signer = signer_class(
            botocore.credentials.Credentials(key, secret, token),
            self.service, self.region)
        canonical = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical)
        return canonical, string_to_sign, signer.signature(string_to_sign,
                                                           request)

    @staticmethod
    def _check_payload(declared, body):
        """The payload hash the client signed must be the body's."""
        if declared is None or declared == UNSIGNED_PAYLOAD:
            return
        computed = hashlib.sha256(body).hexdigest()
        if declared.lower() != computed:
            raise AwsError("sha256-mismatch",
                           ClientComputedContentSHA256=declared,
                           S3ComputedContentSHA256=computed)


class Headers:
    """The request's headers, case-insensitive, every value kept."""

    def __init__(self, message):
        self._items = [(name, header_value(value))
                       for name, value in message.items()]

    def get(self, name):
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name):
        name = name.lower()
        return [value for key, value in self._items if key.lower() == name]

    def set(self, name, value):
        lower = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lower]
        self._items.append((name, value))

    def keys_lower(self):
        return {key.lower() for key, _ in self._items}

    def items(self):
        return list(self._items)


# ---------------------------------------------------------------------------
# Files re-read while running.

class CredentialStore:
    """The credentials file, re-read whenever it changes."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp = None
        self._data = {}

    def get(self, key):
        if not self.path:
            return None
        with self._lock:
            try:
                stat = os.stat(self.path)
                stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
                if stamp != self._stamp:
                    with open(self.path, encoding="utf-8") as f:
                        self._data = json.load(f)
                    self._stamp = stamp
            except (OSError, ValueError) as e:
                log_stderr("credentials file %s: %s" % (self.path, e))
        entry = self._data.get(key)
        if not isinstance(entry, dict) or "secret" not in entry:
            return None
        return entry


class FaultScript:
    """The faults file, re-read on every request, with in-memory counters.

    Counters start afresh whenever the file is written anew (another inode,
    size or modification time), so a test that writes its rules gets fresh
    counts even if an earlier test wrote the very same rules.
    """

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp = None
        self._seen = {}  # rule index -> matching requests so far

    def _rules(self):
        """The rules now in the file; resets the counters if it changed."""
        if not self.path:
            return []
        try:
            with open(self.path, encoding="utf-8") as f:
                stat = os.fstat(f.fileno())
                stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
                text = f.read()
        except FileNotFoundError:
            return []
        except OSError as e:
            log_stderr("faults file %s: %s (no faults applied)"
                       % (self.path, e))
            return []
        if stamp != self._stamp:
            self._stamp = stamp
            self._seen = {}
        try:
            rules = json.loads(text) if text.strip() else []
        except ValueError as e:
            log_stderr("faults file %s: %s (no faults applied)"
                       % (self.path, e))
            return []
        if not isinstance(rules, list):
            log_stderr("faults file %s: not a list" % self.path)
            return []
        return rules

    @staticmethod
    def _matches(rule, method, target, raw_target):
        match = rule.get("match") or {}
        if "method" in match and match["method"].upper() != method.upper():
            return False
        if "target" in match and match["target"] != (target or ""):
            return False
        if "path" in match and not re.search(match["path"], raw_target):
            return False
        return True

    def take(self, method, target, raw_target, alter_phase):
        """The rule that applies to this request, counted as used, or None.

        Tampering rules are taken before the signature check, all others
        after it, so a request refused for its signature uses up no fault.
        """
        with self._lock:
            for index, rule in enumerate(self._rules()):
                if not isinstance(rule, dict):
                    continue
                if (rule.get("action") == "alter-header") != alter_phase:
                    continue
                if not self._matches(rule, method, target, raw_target):
                    continue
                seen = self._seen.get(index, 0)
                skip = int(rule.get("skip", 0))
                times = rule.get("times")
                if times is not None and seen >= skip + int(times):
                    continue  # used up: a later rule may still apply
                self._seen[index] = seen + 1
                if seen < skip:
                    return None
                return rule
        return None


# ---------------------------------------------------------------------------
# The proxy.

def log_stderr(message):
    sys.stderr.write("sigproxy: %s\n" % message)
    sys.stderr.flush()


def redact(raw_target):
    """The request target with signatures and tokens blanked out."""
    path, sep, raw_query = raw_target.partition("?")
    if not sep:
        return path
    pairs = []
    for raw, key, _ in split_query(raw_query):
        if key.lower() in REDACTED_QUERY:
            raw = raw.split("=", 1)[0] + "=REDACTED"
        pairs.append(raw)
    return path + "?" + "&".join(pairs)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as AWS endpoints do
    server_version = "sigproxy"

    # Every method is proxied the same way.
    def do_GET(self):
        self.proxy()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_GET

    def log_message(self, format, *args):  # the --log file replaces this
        pass

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def proxy(self):
        config = self.server.config
        started = time.monotonic()
        body = self.read_body()
        headers = Headers(self.headers)
        method, raw_target = self.command, self.path
        target = headers.get("x-amz-target")
        entry = {"method": method, "path": redact(raw_target),
                 "target": target, "fault": None, "sig": "none",
                 "error": None, "access_key": None}
        try:
            if config.service == "s3" and method == "PUT" and \
                    self.headers.get("Content-Length") is None:
                # S3 takes no chunked uploads (aws-chunked has a length too).
                raise AwsError("missing-length")
            tamper = config.faults.take(method, target, raw_target, True)
            if tamper:
                entry["fault"] = "alter-header"
                self.tamper(headers, tamper)
            if headers.get("authorization") or "X-Amz-" in raw_target:
                entry["sig"] = "bad"
                # The key the request claims, logged even when its
                # signature turns out wrong.
                entry["access_key"] = claimed_key(headers, raw_target)
            entry["access_key"] = self.verify(method, raw_target, headers,
                                              body)
            entry["sig"] = "ok"
            fault = config.faults.take(method, target, raw_target, False)
            if fault:
                entry["fault"] = fault.get("action")
                self.apply_fault(fault, method, raw_target, headers, body,
                                 entry)
            else:
                self.forward(method, raw_target, headers, body, entry)
        except AwsError as err:
            self.send_error_answer(err, method, raw_target, entry)
        except (OSError, http.client.HTTPException) as e:
            log_stderr("%s %s: upstream failed: %s" % (method, raw_target, e))
            self.send_error_answer(AwsError("503"), method, raw_target, entry)
        entry["ms"] = int((time.monotonic() - started) * 1000)
        config.log(entry)

    def verify(self, method, raw_target, headers, body):
        try:
            return self.server.config.verifier.check(method, raw_target,
                                                     headers, body)
        except AwsError:
            raise
        except Exception as e:  # a request botocore cannot even canonicalise
            log_stderr("%s %s: cannot check the signature: %r"
                       % (method, redact(raw_target), e))
            raise AwsError("malformed", "The request could not be "
                           "canonicalised: %s" % e) from e

    @staticmethod
    def tamper(headers, rule):
        name = rule.get("header", "host")
        old = headers.get(name) or ""
        headers.set(name, rule.get("value", old + "-tampered"))

    def apply_fault(self, fault, method, raw_target, headers, body, entry):
        action = fault.get("action")
        delay = fault.get("delay_ms", 2000 if action == "slow" else 0)
        if delay:
            time.sleep(int(delay) / 1000.0)
        if action in ("throttle", "500", "503"):
            fields = {"code": fault["code"]} if "code" in fault else {}
            err = AwsError(action, **fields)
            err.retry_after = fault.get("retry_after")
            raise err
        if action == "drop":
            entry["status"] = None
            self.close_connection = True
            return
        if action == "drop-after-forward":
            self.forward(method, raw_target, headers, body, entry, send=False)
            entry["status"] = None
            self.close_connection = True
            return
        if action != "slow":
            log_stderr("unknown fault action %r: forwarding" % action)
        self.forward(method, raw_target, headers, body, entry)

    def forward(self, method, raw_target, headers, body, entry, send=True):
        upstream = self.server.config.upstream
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port,
                                          timeout=120)
        try:
            conn.putrequest(method, raw_target, skip_host=True,
                            skip_accept_encoding=True)
            for name, value in headers.items():
                if name.lower() in HOP_BY_HOP or name.lower() == \
                        "content-length":
                    continue
                conn.putheader(name, value.encode("utf-8"))
            if body or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        entry["status"] = response.status
        if not send:
            return
        self.send_response_only(response.status, response.reason)
        has_length = False
        for name, value in response.getheaders():
            lower = name.lower()
            if lower in HOP_BY_HOP:
                continue
            if lower == "content-length":
                if method != "HEAD":
                    continue  # set below from the body actually relayed
                has_length = True
            self.send_header(name, value)
        if method != "HEAD" and response.status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        elif method == "HEAD" and not has_length:
            self.send_header("Content-Length", "0")
        self.end_headers()
        if method != "HEAD" and response.status not in (204, 304):
            self.wfile.write(data)

    def send_error_answer(self, err, method, raw_target, entry):
        if self.server.config.service == "s3":
            status, headers, body, code = s3_error_answer(
                err, method, raw_target.partition("?")[0])
        else:
            status, headers, body, code = ddb_error_answer(err)
        entry["status"] = status
        entry["error"] = code
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        if getattr(err, "retry_after", None) is not None:
            self.send_header("Retry-After", str(err.retry_after))
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class Config:
    def __init__(self, args):
        self.service = args.service
        self.upstream = urllib.parse.urlsplit(args.upstream)
        self.verifier = Verifier(args.service, args.region,
                                 CredentialStore(args.credentials))
        self.faults = FaultScript(args.faults)
        self._log_path = args.log
        self._log_lock = threading.Lock()

    def log(self, entry):
        if not self._log_path:
            return
        entry = dict(time=datetime.datetime.now(datetime.timezone.utc)
                     .strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **entry)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._log_lock:
            with open(self._log_path, "a", encoding="utf-8") as f:
                f.write(line)


def loopback_upstream(url):
    """Refuse anything but http://LOOPBACK:PORT: the tests talk to nothing
    else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or not parts.port:
        raise argparse.ArgumentTypeError("want http://127.0.0.1:PORT")
    host = parts.hostname
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise argparse.ArgumentTypeError(
                "the upstream must be a loopback address, not %s" % host)
    return url


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Signature-checking, fault-injecting proxy in front of "
                    "an S3 or DynamoDB emulator.")
    parser.add_argument("--service", required=True, choices=["s3", "dynamodb"])
    parser.add_argument("--upstream", required=True, type=loopback_upstream,
                        help="http://127.0.0.1:PORT of the emulator")
    parser.add_argument("--listen-port", type=int, default=0,
                        help="port on 127.0.0.1; 0 picks one and prints it")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--credentials",
                        help='JSON {"AKID": {"secret": ..., "token": ...}}')
    parser.add_argument("--faults", help="JSON list of fault rules")
    parser.add_argument("--log", help="one JSON line per request")
    parser.add_argument("--port-file", help="write the port here once bound")
    return parser.parse_args(argv)


def write_port_file(path, port):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.listen_port),
                                             Handler)
    server.daemon_threads = True
    server.config = Config(args)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    if args.listen_port == 0:
        print(port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

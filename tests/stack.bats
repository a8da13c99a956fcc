#!/usr/bin/env bats
# deploy/local/stack: the local test stack's emulators, started and stopped
# by PID file, answering real AWS requests made with the aws CLI and boto3,
# and lighttpd serving a CGI program and static files.

load helper

STACK="$CSC_TOP/deploy/local/stack"

setup_file() {
	STACK_DIR=$(mktemp -d)
	export STACK_DIR
	# lighttpd serves a CGI program that answers with its environment and
	# the request body, instead of bin/csc-api (tested in its own suite).
	CSC_API_CGI="$BATS_TEST_DIRNAME/fixtures/stack/env-cgi"
	export CSC_API_CGI
	# Without a real Anthropic key, so that the stand-in starts too.
	env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN "$STACK" up "$STACK_DIR" >/dev/null
}

teardown_file() {
	"$STACK" down "$STACK_DIR"
	rm -rf "$STACK_DIR"
}

# alive PID: the process exists (and is not a zombie).
alive() {
	[ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status"
}

# in_stack_at DIR COMMAND...: COMMAND with DIR/env sourced, in a subshell so
# that one test's environment never leaks into the next.
in_stack_at() {
	(
		# shellcheck source=/dev/null
		source "$1/env"
		shift
		"$@"
	)
}

in_stack() {
	in_stack_at "$STACK_DIR" "$@"
}

@test "up writes an env file with every variable, quoted" {
	# In an empty environment, so that only the file defines the variables;
	# the inner shell expands them.
	# shellcheck disable=SC2016
	run env -i bash -c 'set -u; source "$1"; for v in AWS_ENDPOINT_URL_DYNAMODB \
		AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION \
		AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED CSC_S3_ADDRESSING CSC_STACK_DIR \
		CSC_API_URL; do printf "%s=%s\n" "$v" "${!v}"; done' _ "$STACK_DIR/env"
	assert_success
	assert_line "CSC_API_URL=http://127.0.0.1:$(cat "$STACK_DIR/lighttpd.port")"
	assert_line --regexp '^AWS_ENDPOINT_URL_DYNAMODB=http://127\.0\.0\.1:[0-9]+$'
	assert_line --regexp '^AWS_ENDPOINT_URL_S3=http://127\.0\.0\.1:[0-9]+$'
	assert_line AWS_ACCESS_KEY_ID=AKIDLOCALSTACK
	assert_line --regexp '^AWS_SECRET_ACCESS_KEY=.{40}$'
	assert_line AWS_REGION=us-east-1
	assert_line AWS_DEFAULT_REGION=us-east-1
	assert_line AWS_EC2_METADATA_DISABLED=true
	assert_line CSC_S3_ADDRESSING=path
	assert_line "CSC_STACK_DIR=$(cd "$STACK_DIR" && pwd -P)"
	# Only export lines and comments, every value in single quotes.
	run grep -v -E "^(#.*|export [A-Z0-9_]+='[^']*')$" "$STACK_DIR/env"
	assert_failure 1
}

@test "dynalite answers the aws CLI and keeps its data under DIR" {
	run in_stack aws dynamodb create-table --table-name StackTest \
		--attribute-definitions AttributeName=pk,AttributeType=S \
		--key-schema AttributeName=pk,KeyType=HASH --billing-mode PAY_PER_REQUEST
	assert_success
	run in_stack aws dynamodb wait table-exists --table-name StackTest
	assert_success
	run in_stack aws dynamodb put-item --table-name StackTest \
		--item '{"pk": {"S": "k"}, "v": {"N": "42"}}'
	assert_success
	run in_stack aws dynamodb get-item --table-name StackTest \
		--key '{"pk": {"S": "k"}}' --query Item.v.N --output text
	assert_success
	assert_output 42
	[ -n "$(ls -A "$STACK_DIR/dynamodb")" ]
	# TTL, which dynalite lacks, comes from deploy/local/dynalite.js.
	run in_stack aws dynamodb update-time-to-live --table-name StackTest \
		--time-to-live-specification Enabled=true,AttributeName=expires_at
	assert_success
	run in_stack aws dynamodb describe-time-to-live --table-name StackTest \
		--query 'TimeToLiveDescription.[TimeToLiveStatus, AttributeName]' --output text
	assert_output $'ENABLED\texpires_at'
	run in_stack aws dynamodb update-time-to-live --table-name NoSuchTable \
		--time-to-live-specification Enabled=true,AttributeName=expires_at
	assert_failure
	assert_output --partial ResourceNotFoundException
}

@test "s3rver answers boto3 on path-style URLs with any credentials" {
	run in_stack python3 - <<'EOF'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
s3.create_bucket(Bucket="stack-test")
s3.put_object(Bucket="stack-test", Key="dir/a file ü.txt", Body=b"hello")
print(s3.get_object(Bucket="stack-test", Key="dir/a file ü.txt")["Body"].read().decode())
other = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
                     aws_access_key_id="AKIDANYOTHERKEY",
                     aws_secret_access_key="any-other-secret")
print(sorted(b["Name"] for b in other.list_buckets()["Buckets"]))
EOF
	assert_success
	assert_line --index 0 hello
	assert_line --index 1 "['stack-test']"
	[ -d "$STACK_DIR/s3/stack-test" ]
}

@test "a pinned clock does not upset the emulators" {
	# Tests pin the clock for reproducible signatures; s3rver would refuse
	# a request dated a year ago (RequestTimeTooSkewed) if left alone.
	run in_stack python3 - <<'EOF'
import os, datetime, unittest.mock, boto3, botocore.auth
past = datetime.datetime(2025, 1, 2, 3, 4, 5)
with unittest.mock.patch.object(botocore.auth, "get_current_datetime",
                                return_value=past):
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
    s3.put_object(Bucket="stack-test", Key="old.txt", Body=b"old")
    print(s3.get_object(Bucket="stack-test", Key="old.txt")["Body"].read().decode())
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    print(len(ddb.list_tables()["TableNames"]) >= 0)
EOF
	assert_success
	assert_output "old
True"
}

@test "S3 bucket configurations csc-store sets are kept and read back" {
	run in_stack python3 - <<'EOF'
import os, boto3, botocore.exceptions
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
b = "stack-config"
s3.create_bucket(Bucket=b)
# What a new AWS bucket reads as: unversioned, SSE-S3, public access blocked.
assert "Status" not in s3.get_bucket_versioning(Bucket=b)
rule = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]
assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
assert all(s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"].values())
try:
    s3.get_bucket_lifecycle_configuration(Bucket=b)
    raise SystemExit("a lifecycle configuration out of nowhere")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchLifecycleConfiguration", e.response
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [
    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})
s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
    "RestrictPublicBuckets": False})
s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
    {"ID": "old-versions", "Status": "Enabled", "Filter": {"Prefix": ""},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
rule = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]
assert rule["BucketKeyEnabled"] is True
assert s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is False
rules = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30, rules
s3.delete_public_access_block(Bucket=b)
try:
    s3.get_public_access_block(Bucket=b)
    raise SystemExit("the deleted public access block is still there")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration", e.response
print("ok")
EOF
	assert_success
	assert_output ok
}

@test "S3 object versions: ids, old versions, delete markers, listing" {
	run in_stack python3 - <<'EOF'
import os, boto3, botocore.exceptions
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
b = "stack-versions"
s3.create_bucket(Bucket=b)
assert "VersionId" not in s3.put_object(Bucket=b, Key="before", Body=b"x")
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
v2 = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
assert v1 and v2 and v1 != v2
assert s3.get_object(Bucket=b, Key="k")["VersionId"] == v2
assert s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"one"
assert s3.head_object(Bucket=b, Key="k", VersionId=v2)["ContentLength"] == 3
try:
    s3.get_object(Bucket=b, Key="k", VersionId="no-such-version")
    raise SystemExit("a version out of nowhere")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchVersion", e.response
marker = s3.delete_object(Bucket=b, Key="k")
assert marker["DeleteMarker"] is True
try:
    s3.get_object(Bucket=b, Key="k")
    raise SystemExit("a deleted object is still there")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchKey", e.response
listing = s3.list_object_versions(Bucket=b, Prefix="k")
assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [(v2, False), (v1, False)], listing
assert [(m["VersionId"], m["IsLatest"]) for m in listing["DeleteMarkers"]] == [(marker["VersionId"], True)]
# Removing the marker brings v2 back; removing v2 brings v1 back.
s3.delete_object(Bucket=b, Key="k", VersionId=marker["VersionId"])
assert s3.get_object(Bucket=b, Key="k")["VersionId"] == v2
s3.delete_object(Bucket=b, Key="k", VersionId=v2)
got = s3.get_object(Bucket=b, Key="k")
assert (got["VersionId"], got["Body"].read()) == (v1, b"one")
print("ok")
EOF
	assert_success
	assert_output ok
}

@test "S3 DeleteObjects removes every version and delete marker (aws CLI)" {
	local b=stack-delete-all key
	run in_stack aws s3api create-bucket --bucket "$b"
	assert_success
	run in_stack aws s3api put-bucket-versioning --bucket "$b" \
		--versioning-configuration Status=Enabled
	assert_success
	for key in "a file.txt" "dir/ünï cödé" "c++ & <more>" plain; do
		for _ in 1 2; do
			run in_stack aws s3api put-object --bucket "$b" --key "$key" --body "$BATS_TEST_FILENAME"
			assert_success
		done
	done
	run in_stack aws s3api delete-object --bucket "$b" --key "c++ & <more>"
	assert_success
	# What csc-store delete-service does: every version id and delete marker
	# from ListObjectVersions into one DeleteObjects.
	run in_stack aws s3api list-object-versions --bucket "$b" --output json
	assert_success
	jq '{Objects: [(.Versions[], .DeleteMarkers[]) | {Key, VersionId}]}' <<<"$output" \
		>"$BATS_TEST_TMPDIR/delete.json"
	assert_equal "$(jq '.Objects | length' "$BATS_TEST_TMPDIR/delete.json")" 9
	run in_stack aws s3api delete-objects --bucket "$b" \
		--delete "file://$BATS_TEST_TMPDIR/delete.json" --output json
	assert_success
	assert_equal "$(jq -c '[(.Errors // [] | length), (.Deleted | length)]' <<<"$output")" '[0,9]'
	assert_equal "$(jq -c '.Deleted | sort_by(.Key, .VersionId) | map({Key, VersionId})' <<<"$output")" \
		"$(jq -c '.Objects | sort_by(.Key, .VersionId)' "$BATS_TEST_TMPDIR/delete.json")"
	assert_equal "$(jq -c '[.Deleted[] | select(.DeleteMarker) | .Key]' <<<"$output")" '["c++ & <more>"]'
	run in_stack aws s3api list-object-versions --bucket "$b" --output json
	assert_success
	assert_equal "$(jq '[.Versions[]?, .DeleteMarkers[]?] | length' <<<"$output")" 0
	run in_stack aws s3api delete-bucket --bucket "$b"
	assert_success
}

@test "S3 DeleteObjects: delete markers, versions, quiet answers (boto3)" {
	run in_stack python3 - <<'EOF'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
b = "stack-delete-versions"
s3.create_bucket(Bucket=b)
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
keys = ["k", "tab\tnew\nline\rcr", "x+y&z ü"]
ids = {k: [s3.put_object(Bucket=b, Key=k, Body=bytes([i]))["VersionId"] for i in range(2)] for k in keys}
# Without VersionId: a delete marker each, the versions kept.
got = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys]})
assert "Errors" not in got, got
assert sorted(d["Key"] for d in got["Deleted"]) == sorted(keys), got
assert all(d["DeleteMarker"] and "VersionId" not in d for d in got["Deleted"]), got
marker = {d["Key"]: d["DeleteMarkerVersionId"] for d in got["Deleted"]}
listing = s3.list_object_versions(Bucket=b)
assert (len(listing["Versions"]), len(listing["DeleteMarkers"])) == (6, 3), listing
# Removing a marker by its id brings the object back, removing the current
# version brings the one before; an id that does not exist is Deleted too,
# one that cannot exist is NoSuchVersion.
got = s3.delete_objects(Bucket=b, Delete={"Objects": [
    {"Key": "k", "VersionId": marker["k"]}, {"Key": "k", "VersionId": ids["k"][1]},
    {"Key": "k", "VersionId": "NoSuchVersion0000000000000000000"},
    {"Key": "k", "VersionId": "not/a+version"}]})
assert got["Deleted"] == [
    {"Key": "k", "VersionId": marker["k"], "DeleteMarker": True, "DeleteMarkerVersionId": marker["k"]},
    {"Key": "k", "VersionId": ids["k"][1]},
    {"Key": "k", "VersionId": "NoSuchVersion0000000000000000000"}], got
assert got["Errors"] == [{"Key": "k", "VersionId": "not/a+version", "Code": "NoSuchVersion",
                          "Message": "The specified version does not exist."}], got
obj = s3.get_object(Bucket=b, Key="k")
assert (obj["VersionId"], obj["Body"].read()) == (ids["k"][0], b"\0"), obj
# Quiet: only the errors.
got = s3.delete_objects(Bucket=b, Delete={"Quiet": True, "Objects": [
    {"Key": "k", "VersionId": "not/a+version"}, {"Key": "no-such-key"}]})
assert "Deleted" not in got and [e["Code"] for e in got["Errors"]] == ["NoSuchVersion"], got
listing = s3.list_object_versions(Bucket=b)
every = [{"Key": v["Key"], "VersionId": v["VersionId"]}
         for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])]
got = s3.delete_objects(Bucket=b, Delete={"Quiet": True, "Objects": every})
assert "Deleted" not in got and "Errors" not in got, got
listing = s3.list_object_versions(Bucket=b)
assert "Versions" not in listing and "DeleteMarkers" not in listing, listing
s3.delete_bucket(Bucket=b)
print("ok")
EOF
	assert_success
	assert_output ok
}

@test "S3 DeleteObjects wants Content-MD5 or a checksum, and well-formed XML" {
	# Unsigned requests: s3rver serves anonymous ones, and botocore would add
	# a checksum of its own.
	run in_stack python3 - <<'EOF'
import base64, hashlib, os, urllib.error, urllib.request, boto3
endpoint = os.environ["AWS_ENDPOINT_URL_S3"]
s3 = boto3.client("s3", endpoint_url=endpoint)
b = "stack-delete-plain"
s3.create_bucket(Bucket=b)
for key in ("p1", "p 2&", "dir/p3"):
    s3.put_object(Bucket=b, Key=key, Body=b"x")

def md5(body):
    return base64.b64encode(hashlib.md5(body).digest()).decode()

def post(body, headers):
    request = urllib.request.Request(f"{endpoint}/{b}?delete", data=body, method="POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def code(answer):
    return answer[0], answer[1].split("<Code>")[1].split("</Code>")[0]

body = (b"<Delete><Object><Key>p1</Key></Object><Object><Key>p 2&amp;</Key></Object>"
        b"<Object><Key>dir/p3</Key><VersionId>null</VersionId></Object>"
        b"<Object><Key>never/there</Key></Object></Delete>")
answer = post(body, {})
assert answer[0] == 400 and "<Code>InvalidRequest</Code><Message>Missing required header " \
    "for this request: Content-Md5</Message>" in answer[1], answer
assert code(post(body, {"Content-MD5": md5(b"other")})) == (400, "BadDigest")
sha = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
assert code(post(body, {"x-amz-checksum-sha256": sha})) == (400, "BadDigest")
assert code(post(b"<Delete><Object>", {"Content-MD5": md5(b"<Delete><Object>")})) == (400, "MalformedXML")
many = b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>"
assert code(post(many, {"Content-MD5": md5(many)})) == (400, "MalformedXML")
assert s3.list_objects_v2(Bucket=b)["KeyCount"] == 3
# Unversioned: the objects go, and keys come back escaped.
answer = post(body, {"Content-MD5": md5(body)})
assert answer == (200, '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<Deleted><Key>p1</Key></Deleted><Deleted><Key>p 2&amp;</Key></Deleted>"
    "<Deleted><Key>dir/p3</Key><VersionId>null</VersionId></Deleted>"
    "<Deleted><Key>never/there</Key></Deleted></DeleteResult>"), answer
assert s3.list_objects_v2(Bucket=b)["KeyCount"] == 0
assert "Versions" not in s3.list_object_versions(Bucket=b)
print("ok")
EOF
	assert_success
	assert_output ok
}

@test "S3 checksums are checked, stored and returned" {
	run in_stack python3 - <<'EOF'
import base64, hashlib, os, struct, boto3, botocore.config, botocore.exceptions
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
                  config=botocore.config.Config(retries={"total_max_attempts": 1}))
b = "stack-checksums"
s3.create_bucket(Bucket=b)
body = b"backend_service.py contents\n"
sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
put = s3.put_object(Bucket=b, Key="f", Body=body, ChecksumSHA256=sha)
assert put["ChecksumSHA256"] == sha and put["ServerSideEncryption"] == "AES256", put
head = s3.head_object(Bucket=b, Key="f", ChecksumMode="ENABLED")
assert head["ChecksumSHA256"] == sha, head
assert "ChecksumSHA256" not in s3.head_object(Bucket=b, Key="f")
for algorithm in ("CRC32", "SHA1"):
    put = s3.put_object(Bucket=b, Key="g", Body=body, ChecksumAlgorithm=algorithm)
    assert put["Checksum" + algorithm], put
# CRC32C by its published check value (botocore computes it only with awscrt).
crc32c = base64.b64encode(struct.pack(">I", 0xE3069283)).decode()
assert s3.put_object(Bucket=b, Key="c", Body=b"123456789",
                     ChecksumCRC32C=crc32c)["ChecksumCRC32C"] == crc32c
wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
try:
    s3.put_object(Bucket=b, Key="bad", Body=body, ChecksumSHA256=wrong)
    raise SystemExit("a wrong checksum was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "BadDigest", e.response
assert "Contents" not in s3.list_objects_v2(Bucket=b, Prefix="bad")
print("ok")
EOF
	assert_success
	assert_output ok
}

@test "S3 conditional writes: If-None-Match: * creates once, If-Match compares ETags" {
	run in_stack python3 - <<'EOF'
import os, boto3, botocore.config, botocore.exceptions
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
                  config=botocore.config.Config(retries={"total_max_attempts": 1}))
b = "stack-conditional"
s3.create_bucket(Bucket=b)

def error(call, **kwargs):
    try:
        call(Bucket=b, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]
    raise SystemExit(f"no error from {kwargs}")

put = s3.put_object(Bucket=b, Key="k", Body=b"first", IfNoneMatch="*")
assert put["ResponseMetadata"]["HTTPStatusCode"] == 200, put
assert error(s3.put_object, Key="k", Body=b"second", IfNoneMatch="*") == (412, {
    "Code": "PreconditionFailed",
    "Message": "At least one of the pre-conditions you specified did not hold",
    "Condition": "If-None-Match"})
assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"first"
# S3 knows If-None-Match: * only.
status, err = error(s3.put_object, Key="k", Body=b"second", IfNoneMatch=put["ETag"])
assert (status, err["Code"]) == (501, "NotImplemented"), err
# If-Match: the current ETag, quoted or not, else 412; no object: 404.
status, err = error(s3.put_object, Key="k", Body=b"second",
                    IfMatch='"0123456789abcdef0123456789abcdef"')
assert (status, err["Code"], err["Condition"]) == (412, "PreconditionFailed", "If-Match"), err
second = s3.put_object(Bucket=b, Key="k", Body=b"second", IfMatch=put["ETag"].strip('"'))
assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"second"
status, err = error(s3.put_object, Key="k", Body=b"third", IfMatch=put["ETag"])
assert (status, err["Code"]) == (412, "PreconditionFailed"), err
status, err = error(s3.put_object, Key="none", Body=b"x", IfMatch=second["ETag"])
assert (status, err["Code"]) == (404, "NoSuchKey"), err
# CompleteMultipartUpload is a write too.
upload = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
part = s3.upload_part(Bucket=b, Key="k", UploadId=upload, PartNumber=1, Body=b"multipart")
status, err = error(s3.complete_multipart_upload, Key="k", UploadId=upload, IfNoneMatch="*",
                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
assert (status, err["Code"]) == (412, "PreconditionFailed"), err
assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"second"
# Versioned: a delete marker is no current version.
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
s3.delete_object(Bucket=b, Key="k")
s3.put_object(Bucket=b, Key="k", Body=b"again", IfNoneMatch="*")
assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"again"
print("ok")
EOF
	assert_success
	assert_output ok
	# The error as S3 words it, to a plain (unsigned) request.
	# shellcheck disable=SC2016 # expanded by the inner shell
	run in_stack bash -c 'curl -sS -X PUT -H "If-None-Match: *" --data-binary other \
		-w "\n%{http_code}\n" "$AWS_ENDPOINT_URL_S3/stack-conditional/k"'
	assert_success
	assert_line --index 0 '<?xml version="1.0" encoding="UTF-8"?>'
	assert_line --index 1 --partial '<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition>'
	assert_line --index 2 412
	run in_stack aws s3 cp s3://stack-conditional/k -
	assert_output again
}

@test "S3 conditional writes: of 10 concurrent If-None-Match: * puts exactly one wins" {
	run in_stack python3 - <<'EOF'
import os, threading, boto3, botocore.config, botocore.exceptions
config = botocore.config.Config(retries={"total_max_attempts": 1})
endpoint = os.environ["AWS_ENDPOINT_URL_S3"]
b = "stack-conditional-race"
boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=b)
clients = [boto3.client("s3", endpoint_url=endpoint, config=config) for _ in range(10)]
# Different bodies of 256 KiB, all sent at once, so that the writes overlap.
bodies = [bytes([65 + i]) * 262144 for i in range(10)]
start = threading.Barrier(10)
statuses = [None] * 10

def put(i):
    start.wait()
    try:
        clients[i].put_object(Bucket=b, Key="race", Body=bodies[i], IfNoneMatch="*")
        statuses[i] = 200
    except botocore.exceptions.ClientError as e:
        statuses[i] = (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])

threads = [threading.Thread(target=put, args=(i,)) for i in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join()
winners = [i for i, s in enumerate(statuses) if s == 200]
assert len(winners) == 1, statuses
assert statuses.count((412, "PreconditionFailed")) == 9, statuses
got = clients[0].get_object(Bucket=b, Key="race")["Body"].read()
assert got == bodies[winners[0]], (winners, got[:8], len(got))
print("ok")
EOF
	assert_success
	assert_output ok
}

@test "status reports every process running" {
	run "$STACK" status "$STACK_DIR"
	assert_success
	assert_line --regexp '^dynalite running pid [0-9]+ http://127\.0\.0\.1:[0-9]+$'
	assert_line --regexp '^s3rver running pid [0-9]+ http://127\.0\.0\.1:[0-9]+$'
	assert_line --regexp '^claude running pid [0-9]+ http://127\.0\.0\.1:[0-9]+$'
	assert_line --regexp '^lighttpd running pid [0-9]+ http://127\.0\.0\.1:[0-9]+$'
	assert_line --regexp '^sweeper running pid [0-9]+$'
}

# api_at DIR [CURL ARGS...] PATH: the reply of the lighttpd of the stack in
# DIR to a request for PATH; curl fails on an HTTP error.
api_at() {
	local dir="$1" path="${*: -1}" url
	shift
	url=$(in_stack_at "$dir" printenv CSC_API_URL)
	curl -sS -f "${@:1:$#-1}" "$url$path"
}

api() {
	api_at "$STACK_DIR" "$@"
}

@test "lighttpd runs the CGI program with the request on the API's paths" {
	local got
	got=$(api -H 'X-Request-Id: req-123' -H 'X-Amzn-RequestId: amzn-456' \
		-H 'Origin: http://localhost:8000' '/health?probe=1&x=%20')
	assert_equal "$(jq -c '.env | [.REQUEST_METHOD, .PATH_INFO, .REQUEST_URI, .QUERY_STRING,
		.HTTP_X_REQUEST_ID, .HTTP_X_AMZN_REQUESTID, .HTTP_ORIGIN]' <<<"$got")" \
		'["GET","/health","/health?probe=1&x=%20","probe=1&x=%20","req-123","amzn-456","http://localhost:8000"]'
	assert_equal "$(jq -r .body <<<"$got")" ""
	# The body on stdin, its length and type; nothing from it is expanded.
	# shellcheck disable=SC2016 # nothing to expand, on purpose
	local body='{"action": "start", "text": "ü \" $HOME `id` \\"}'
	got=$(api -X POST -H 'Content-Type: application/json' --data-binary "$body" /conversation)
	assert_equal "$(jq -r .body <<<"$got")" "$body"
	assert_equal "$(jq -c '.env | [.REQUEST_METHOD, .PATH_INFO, .CONTENT_TYPE, .CONTENT_LENGTH]' <<<"$got")" \
		"[\"POST\",\"/conversation\",\"application/json\",\"$(printf '%s' "$body" | wc -c)\"]"
	# Any method, and whatever follows the API's paths.
	got=$(api -X OPTIONS -H 'Access-Control-Request-Method: POST' /questions)
	assert_equal "$(jq -c '.env | [.REQUEST_METHOD, .PATH_INFO, .HTTP_ACCESS_CONTROL_REQUEST_METHOD]' <<<"$got")" \
		'["OPTIONS","/questions","POST"]'
	got=$(api -X DELETE /conversation/some/where)
	assert_equal "$(jq -c '.env | [.REQUEST_METHOD, .PATH_INFO]' <<<"$got")" '["DELETE","/conversation/some/where"]'
	# Other paths are static files, not the CGI.
	run api /healthz
	assert_failure 22
	# The CGI program's standard error goes to DIR/lighttpd.log.
	api -d stderr /health >/dev/null
	run grep -c 'env-cgi: a line on standard error' "$STACK_DIR/lighttpd.log"
	assert_output 1
	# The access log (lighttpd writes it in batches; down flushes it).
	[ -f "$STACK_DIR/lighttpd-access.log" ]
}

@test "lighttpd passes bodies of up to 64 KiB to the CGI, refuses larger ones itself with a JSON 413" {
	local got url size
	head -c 65536 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/64k"
	got=$(api -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/64k" /conversation)
	assert_equal "$(jq -c '[.env.CONTENT_LENGTH, (.body | length)]' <<<"$got")" '["65536",65536]'
	# Chunked: read whole first, so the CGI still gets a CONTENT_LENGTH.
	got=$(api -H 'Transfer-Encoding: chunked' --data-binary "@$BATS_TEST_TMPDIR/64k" /conversation)
	assert_equal "$(jq -c '[.env.CONTENT_LENGTH, (.body | length)]' <<<"$got")" '["65536",65536]'
	# One byte more, and more: lighttpd's 413, in the API's shape, whether
	# the length is announced or not.
	url=$(in_stack printenv CSC_API_URL)
	for size in 65537 1100000; do
		head -c "$size" /dev/zero >"$BATS_TEST_TMPDIR/big"
		for te in '' 'Transfer-Encoding: chunked'; do
			got=$(curl -s -o "$BATS_TEST_TMPDIR/reply" -D "$BATS_TEST_TMPDIR/headers" -w '%{http_code}' \
				-H "$te" --data-binary "@$BATS_TEST_TMPDIR/big" "$url/conversation") || true
			assert_equal "$got" 413
			assert_equal "$(jq -c . "$BATS_TEST_TMPDIR/reply")" \
				'{"error":{"code":"too_large","message":"the body is larger than 65536 bytes"}}'
			grep -q -i '^content-type: application/json' "$BATS_TEST_TMPDIR/headers"
		done
	done
}

@test "the CGI program gets every variable of the env file, and PATH with bin/" {
	local got names want
	got=$(api /health)
	names=$(sed -n 's/^export \([A-Z0-9_]*\)=.*/\1/p' "$STACK_DIR/env" | jq -R . | jq -s -c .)
	# The stack's AWS endpoints and keys, the stand-in's URL and key.
	for name in AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID \
		AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION CSC_S3_ADDRESSING \
		CSC_STACK_DIR CSC_API_URL ANTHROPIC_BASE_URL ANTHROPIC_API_KEY; do
		jq -e --arg n "$name" 'index($n)' <<<"$names" >/dev/null
	done
	# shellcheck disable=SC2016 # $ENV is jq's
	want=$(in_stack jq -n -c --argjson names "$names" \
		'$ENV | with_entries(select(.key as $k | $names | index($k)))')
	assert_equal "$(jq -c --argjson names "$names" \
		'.env | with_entries(select(.key as $k | $names | index($k)))' <<<"$got")" "$want"
	assert_equal "$(jq -r '.env.PATH | split(":")[0]' <<<"$got")" "$(cd "$CSC_TOP" && pwd -P)/bin"
	# The CGI found jq on that PATH; lighttpd's own environment stays out.
	assert_equal "$(jq -r '.env.HOME // "unset"' <<<"$got")" unset
}

@test "lighttpd serves the web page's static files at /" {
	local url root file
	url=$(in_stack printenv CSC_API_URL)
	root=$(sed -n 's/^server\.document-root = "\(.*\)"$/\1/p' "$STACK_DIR/lighttpd.conf")
	if [ -d "$CSC_TOP/examples/web" ]; then
		assert_equal "$root" "$(cd "$CSC_TOP/examples/web" && pwd -P)"
	else
		# No web page yet: an empty directory of the stack's.
		assert_equal "$root" "$STACK_DIR/www"
		printf '<!doctype html><title>csc</title>\n' >"$root/index.html"
		printf 'body { margin: 0 }\n' >"$root/style.css"
		printf 'console.log("csc")\n' >"$root/app.js"
	fi
	while IFS= read -r file; do
		curl -sS -f -o "$BATS_TEST_TMPDIR/got" "$url/$file"
		cmp "$BATS_TEST_TMPDIR/got" "$root/$file"
	done < <(cd "$root" && find . -maxdepth 1 -type f -name '[a-z]*.*' -printf '%P\n' | head -n 5)
	if [ -f "$root/index.html" ]; then
		run curl -sS -f -o /dev/null -w '%{content_type}' "$url/"
		assert_output 'text/html; charset=utf-8'
	fi
	if [ "$root" = "$STACK_DIR/www" ]; then
		run curl -sS -f -o /dev/null -w '%{content_type}' "$url/style.css"
		assert_output 'text/css; charset=utf-8'
		run curl -sS -f -o /dev/null -w '%{content_type}' "$url/app.js"
		assert_output 'text/javascript; charset=utf-8'
	fi
	run curl -s -o /dev/null -w '%{http_code}' "$url/no-such-file.html"
	assert_output 404
}

# One Messages API request to the stand-in named by the env file.
say_hello_to_claude() {
	curl -sS "$ANTHROPIC_BASE_URL/v1/messages" \
		-H "x-api-key: $ANTHROPIC_API_KEY" -H "anthropic-version: 2023-06-01" \
		-H "content-type: application/json" \
		-d '{"model": "claude-sonnet-4-5", "max_tokens": 64,
			"messages": [{"role": "user", "content": "hello"}]}'
}

@test "without an Anthropic key the Claude stand-in answers and records" {
	run in_stack say_hello_to_claude
	assert_success
	assert_equal "$(jq -r .type <<<"$output")" message
	run jq -r .path "$STACK_DIR/claude-requests.jsonl"
	assert_output --partial /v1/messages
}

@test "with an Anthropic key set, the stand-in is not started" {
	local dir
	dir=$(mktemp -d)
	# A key lighttpd's configuration could not even hold (a final backslash).
	local key="sk-ant-real-key-of-the-user \"\\"
	run env ANTHROPIC_API_KEY="$key" "$STACK" up "$dir"
	assert_success
	[ ! -e "$dir/claude.pid" ]
	run grep -c ANTHROPIC "$dir/env"
	assert_output 0
	# The CGI program gets the key by reference, never written to DIR.
	run grep -r -l sk-ant-real-key-of-the-user "$dir"
	assert_failure 1
	run jq -r .env.ANTHROPIC_API_KEY < <(api_at "$dir" /health)
	assert_output "$key"
	"$STACK" down "$dir"
	rm -rf "$dir"
}

@test "up refuses to start twice on the same DIR and leaves the stack alone" {
	local ddb s3
	ddb=$(cat "$STACK_DIR/dynalite.pid")
	s3=$(cat "$STACK_DIR/s3rver.pid")
	run "$STACK" up "$STACK_DIR"
	assert_failure 1
	assert_output --partial "already running"
	assert_equal "$(cat "$STACK_DIR/dynalite.pid")" "$ddb"
	assert_equal "$(cat "$STACK_DIR/s3rver.pid")" "$s3"
	alive "$ddb"
	alive "$s3"
	run in_stack aws dynamodb list-tables --query 'TableNames[0]' --output text
	assert_output StackTest
}

@test "down stops the processes by PID; data survives a restart" {
	local pids pid sweeper
	pids=$(cat "$STACK_DIR"/*.pid)
	[ "$(wc -w <<<"$pids")" -eq 5 ]
	sweeper=$(cat "$STACK_DIR/sweeper.pid")
	run "$STACK" down "$STACK_DIR"
	assert_success
	refute_output --partial 'ignored TERM'
	for pid in $pids; do
		run alive "$pid" # (bats ignores a failing `! cmd`, hence run)
		assert_failure
	done
	# Nothing of the sweeper's is left, not even its sleep (60 s, the
	# default interval): its process group holds no live process (zombies
	# wait for init).  It stopped on TERM, at once: no KILL was needed.
	run bash -c 'ps -e -o pgid=,stat= | awk -v g="$1" "\$1 == g && \$2 !~ /^Z/"' _ "$sweeper"
	assert_success
	assert_output ''
	run ls "$STACK_DIR"
	refute_output --partial .pid
	[ ! -e "$STACK_DIR/env" ]
	run "$STACK" status "$STACK_DIR"
	assert_failure 3
	run "$STACK" down "$STACK_DIR" # nothing runs: still a success
	assert_success
	# Up again: the table and the object are still there.
	"$STACK" up "$STACK_DIR" >/dev/null
	run in_stack aws dynamodb get-item --table-name StackTest \
		--key '{"pk": {"S": "k"}}' --query Item.v.N --output text
	assert_output 42
	run in_stack aws s3 cp "s3://stack-test/dir/a file ü.txt" -
	assert_output hello
	run in_stack aws dynamodb describe-time-to-live --table-name StackTest \
		--query 'TimeToLiveDescription.TimeToLiveStatus' --output text
	assert_output ENABLED
	run jq -r .env.PATH_INFO < <(api /health)
	assert_output /health
}

@test "down stops what runs for the stack without a PID file, such as a job runner" {
	local real ours other
	real=$(cd "$STACK_DIR" && pwd -P)
	# What the API's CGI program starts (csc-job run) carries DIR/env:
	# stand-ins for such runners, in sessions of their own as the CGI
	# starts them, one of this stack and one of another.
	CSC_STACK_DIR=$real setsid sleep 300 3>&- &
	ours=$!
	CSC_STACK_DIR="$real-other" setsid sleep 300 3>&- &
	other=$!
	# One that ignores TERM (exec keeps the ignored signal) is killed after
	# the bounded wait.
	CSC_STACK_DIR=$real setsid bash -c 'trap "" TERM; exec sleep 300' 3>&- &
	local stubborn=$!
	run "$STACK" down "$STACK_DIR"
	assert_success
	assert_output "stack: pid $stubborn, started for $real, ignored TERM; killing it"
	run alive "$ours"
	assert_failure
	run alive "$stubborn"
	assert_failure
	alive "$other"
	kill "$other"
	"$STACK" up "$STACK_DIR" >/dev/null
}

@test "up from a shell that sourced an earlier DIR/env starts the stand-in anew" {
	local old_url
	old_url=$(in_stack printenv ANTHROPIC_BASE_URL)
	# The stand-in's key and URL are in that shell's environment now, and so
	# in the environment of the stack it starts.
	(
		set -a
		# shellcheck source=/dev/null
		source "$STACK_DIR/env"
		"$STACK" down "$STACK_DIR"
		"$STACK" up "$STACK_DIR" >/dev/null
	)
	run "$STACK" status "$STACK_DIR"
	assert_success
	assert_line --regexp '^claude running pid [0-9]+ '
	run in_stack printenv ANTHROPIC_BASE_URL
	assert_output "http://127.0.0.1:$(cat "$STACK_DIR/claude.port")"
	[ "$output" != "$old_url" ]
	run in_stack say_hello_to_claude
	assert_success
	assert_equal "$(jq -r .type <<<"$output")" message
	# The CGI program gets the new URL, not the stale one.
	run jq -r .env.ANTHROPIC_BASE_URL < <(api /health)
	assert_output "http://127.0.0.1:$(cat "$STACK_DIR/claude.port")"
	# With a real token as well, no stand-in, and the stale key and URL are
	# not passed on either.
	(
		set -a
		# shellcheck source=/dev/null
		source "$STACK_DIR/env"
		"$STACK" down "$STACK_DIR"
		ANTHROPIC_AUTH_TOKEN=a-real-token "$STACK" up "$STACK_DIR" >/dev/null
	)
	[ ! -e "$STACK_DIR/claude.pid" ]
	run jq -c '.env | [.ANTHROPIC_AUTH_TOKEN, .ANTHROPIC_API_KEY, .ANTHROPIC_BASE_URL]' < <(api /health)
	assert_output '["a-real-token",null,null]'
	tr '\0' '\n' <"/proc/$(cat "$STACK_DIR/sweeper.pid")/environ" >"$BATS_TEST_TMPDIR/sweeper.env"
	run grep -c '^ANTHROPIC_\(API_KEY\|BASE_URL\)=' "$BATS_TEST_TMPDIR/sweeper.env"
	assert_output 0
	grep -qx 'ANTHROPIC_AUTH_TOKEN=a-real-token' "$BATS_TEST_TMPDIR/sweeper.env"
}

@test "the sweeper runs csc-job sweep every CSC_SWEEP_INTERVAL s: a job whose runner died is finished" {
	local dir sid cid
	dir=$(mktemp -d)
	run env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN CSC_SWEEP_INTERVAL=1 "$STACK" up "$dir"
	assert_success
	# No table yet: the sweeps fail, are logged, and the loop goes on.
	wait_for 300 grep -q 'csc-job sweep failed (exit 78)' "$dir/sweeper.log"
	run "$STACK" status "$dir"
	assert_line --regexp '^sweeper running pid [0-9]+$'
	in_stack_at "$dir" csc-store init >/dev/null
	# A job whose runner claimed it (a lease of 1 s) and died.
	sid=$(cat /proc/sys/kernel/random/uuid) cid=$(cat /proc/sys/kernel/random/uuid)
	# shellcheck disable=SC2016 # the inner shell expands
	in_stack_at "$dir" bash -c 'csc-ask complete <<<"$1" | jq -c --arg s "$2" --arg c "$3" \
		"{service_id: \$s, code_id: \$c, conversation_id: null} + ." | csc-store put-job' \
		_ '{"service_type":"vFirewall","vendor":"Cisco","features":["Traffic Filtering"]}' \
		"$sid" "$cid" >/dev/null
	in_stack_at "$dir" csc-store claim-job "$sid" "$cid" --lease 1 >/dev/null
	# The sweeper runs it again and finishes it.
	# shellcheck disable=SC2016 # the inner shell expands
	wait_for 600 in_stack_at "$dir" bash -c 'csc-store get-code "$1" "$2" 2>/dev/null |
		jq -e ".status == \"done\"" >/dev/null' _ "$sid" "$cid"
	run in_stack_at "$dir" csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .attempts, (.files | length)]' <<<"$output")" '["done",2,6]'
	# put-code marks the job done; the runner logs it after its own
	# finish-job, a moment later.
	wait_for 100 grep -q "$sid/$cid: done" "$dir/sweeper.log"
	run "$STACK" status "$dir"
	assert_success
	assert_line --regexp '^sweeper running pid [0-9]+$'
	"$STACK" down "$dir"
	run pgrep -f "$dir/"
	assert_failure 1
	rm -rf "$dir"
}

@test "stale PID files are cleaned up; an unrelated process is never touched" {
	local dir dead stranger
	dir=$(mktemp -d)
	# A PID that is gone, and a live PID that is not the stack's.
	sleep 0 &
	dead=$!
	wait "$dead"
	sleep 600 3>&- &
	stranger=$!
	printf '%s\n' "$dead" >"$dir/dynalite.pid"
	printf '%s\n' "$stranger" >"$dir/s3rver.pid"
	run "$STACK" up "$dir"
	assert_success
	[ "$(cat "$dir/dynalite.pid")" != "$dead" ]
	[ "$(cat "$dir/s3rver.pid")" != "$stranger" ]
	alive "$(cat "$dir/dynalite.pid")"
	run "$STACK" down "$dir"
	assert_success
	alive "$stranger" # down killed only what up started
	printf '%s\n' "$stranger" >"$dir/s3rver.pid"
	run "$STACK" down "$dir"
	assert_success
	alive "$stranger"
	[ ! -e "$dir/s3rver.pid" ]
	kill "$stranger"
	rm -rf "$dir"
}

@test "a process that dies at start-up fails up with its log, and nothing stays" {
	local dir
	dir=$(mktemp -d)
	# A node that runs dynalite but cannot start s3rver.
	cat >"$BATS_TEST_TMPDIR/node" <<'EOF'
#!/bin/bash
case "$1" in
*/s3rver.js)
	printf 'boom: s3rver cannot start\n' >&2
	exit 1
	;;
esac
exec node "$@"
EOF
	chmod +x "$BATS_TEST_TMPDIR/node"
	run env NODE="$BATS_TEST_TMPDIR/node" "$STACK" up "$dir"
	assert_failure 1
	assert_output --partial 's3rver exited during start-up'
	assert_output --partial 'boom: s3rver cannot start'
	# dynalite had started; it was stopped again.
	[ -z "$(ls "$dir"/*.pid 2>/dev/null)" ]
	run pgrep -f "$dir/"
	assert_failure 1
	[ ! -e "$dir/env" ]
	rm -rf "$dir"
}

@test "up fails cleanly when lighttpd is missing or does not start" {
	local dir
	dir=$(mktemp -d)
	run env LIGHTTPD=/no/such/lighttpd "$STACK" up "$dir"
	assert_failure 1
	assert_output --partial 'lighttpd is not installed'
	[ -z "$(ls "$dir"/*.pid 2>/dev/null)" ]
	cat >"$BATS_TEST_TMPDIR/lighttpd" <<'EOF'
#!/bin/sh
echo "boom: lighttpd cannot start with $*" >&2
exit 1
EOF
	chmod +x "$BATS_TEST_TMPDIR/lighttpd"
	run env LIGHTTPD="$BATS_TEST_TMPDIR/lighttpd" "$STACK" up "$dir"
	assert_failure 1
	assert_output --partial 'lighttpd exited during start-up'
	assert_output --partial "boom: lighttpd cannot start with -D -f $dir/lighttpd.conf"
	# The emulators had started; they were stopped again.
	[ -z "$(ls "$dir"/*.pid 2>/dev/null)" ]
	run pgrep -f "$dir/"
	assert_failure 1
	[ ! -e "$dir/env" ]
	[ ! -e "$dir/env.tmp" ]
	rm -rf "$dir"
}

@test "lighttpd's configuration holds any DIR, or up refuses it" {
	local base dir
	base=$(mktemp -d)
	dir="$base/a \"quoted\" 'dir' \$HOME & \\\" x"
	run "$STACK" up "$dir"
	assert_success
	run jq -r .env.CSC_STACK_DIR < <(api_at "$dir" /health)
	assert_output "$(cd "$dir" && pwd -P)"
	"$STACK" down "$dir"
	# lighttpd cannot hold a string that ends in a backslash.
	dir="$base/tail\\"
	run "$STACK" up "$dir"
	assert_failure 1
	assert_output --partial "ends in a backslash, which lighttpd's configuration cannot hold"
	[ -z "$(ls "$dir"/*.pid 2>/dev/null)" ]
	rm -rf "$base"
}

@test "up --sigproxy checks every signature in front of both emulators" {
	local dir
	dir=$(mktemp -d)
	run env -u ANTHROPIC_API_KEY "$STACK" up --sigproxy "$dir"
	assert_success
	run "$STACK" status "$dir"
	assert_line --regexp '^s3-proxy running pid [0-9]+ '
	assert_line --regexp '^dynamodb-proxy running pid [0-9]+ '
	# The env file names the proxies, not the emulators.
	grep -q "AWS_ENDPOINT_URL_S3='http://127.0.0.1:$(cat "$dir/s3-proxy.port")'" "$dir/env"
	grep -q "AWS_ENDPOINT_URL_DYNAMODB='http://127.0.0.1:$(cat "$dir/dynamodb-proxy.port")'" "$dir/env"
	run in_stack_at "$dir" aws s3api create-bucket --bucket proxied-bucket
	assert_success
	run in_stack_at "$dir" env AWS_SECRET_ACCESS_KEY=wrong-secret aws dynamodb list-tables
	assert_failure
	assert_output --partial InvalidSignatureException
	printf '[{"match": {"method": "PUT"}, "action": "503"}]\n' >"$dir/faults-s3.json"
	run in_stack_at "$dir" env AWS_MAX_ATTEMPTS=1 aws s3api put-object --bucket proxied-bucket --key k
	assert_failure
	assert_output --partial ServiceUnavailable
	[ "$(jq -s 'map(select(.sig == "ok")) | length' "$dir/s3-requests.jsonl")" -ge 2 ]
	"$STACK" down "$dir"
	run ls "$dir"
	refute_output --partial .pid
	rm -rf "$dir"
}

@test "--help prints the usage; a wrong command line is refused" {
	run "$STACK" --help
	assert_success
	assert_line --index 0 --partial 'Usage: deploy/local/stack up [--sigproxy] DIR'
	run "$STACK" frobnicate /tmp
	assert_failure 64
	run "$STACK" up
	assert_failure 1
	assert_output --partial 'usage: stack up DIR'
	run env CSC_SWEEP_INTERVAL=1m "$STACK" up "$BATS_TEST_TMPDIR/never"
	assert_failure 1
	assert_output --partial "CSC_SWEEP_INTERVAL must be a whole number of seconds (0: no sweeper), not '1m'"
	[ ! -e "$BATS_TEST_TMPDIR/never/env" ]
}

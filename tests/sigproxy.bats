#!/usr/bin/env bats
# tests/servers/sigproxy.py: the signature-checking, fault-injecting proxy in
# front of the local stack's S3 and DynamoDB emulators, exercised with boto3
# (an independent SigV4 client) and curl.

load helper

CLIENT_PY="$CSC_TOP/tests/fixtures/sigproxy/client.py"

# client ARGS: the boto3 command line of tests/fixtures/sigproxy/client.py.
client() {
	python3 "$CLIENT_PY" "$@"
}

# start_proxy NAME SERVICE UPSTREAM: run sigproxy.py in the background and
# wait (bounded) for its port file.  fd 3 is closed because bats waits on it.
start_proxy() {
	local name="$1" service="$2" upstream="$3" tries=0
	python3 "$CSC_TOP/tests/servers/sigproxy.py" --service "$service" \
		--upstream "$upstream" --region us-east-1 \
		--credentials "$PX/credentials.json" --faults "$PX/faults.json" \
		--log "$PX/$name.log" --port-file "$PX/$name.port" \
		>"$PX/$name.out" 2>"$PX/$name.err" 3>&- &
	printf '%s\n' "$!" >"$PX/$name.pid"
	while [ ! -s "$PX/$name.port" ]; do
		tries=$((tries + 1))
		if [ "$tries" -gt 100 ]; then
			cat "$PX/$name.err" >&2
			return 1
		fi
		sleep 0.1
	done
	printf 'http://127.0.0.1:%s\n' "$(cat "$PX/$name.port")"
}

# faults JSON: install a fault script, atomically, as the proxy expects.
faults() {
	printf '%s\n' "$1" >"$PX/faults.json.tmp"
	mv -f "$PX/faults.json.tmp" "$PX/faults.json"
}

# The temporary-credential key of credentials.json.
as_temp() {
	AWS_ACCESS_KEY_ID=ASIATEMPORARYKEY AWS_SECRET_ACCESS_KEY=temporary-secret \
		AWS_SESSION_TOKEN="$TOKEN" "$@"
}

setup_file() {
	STACK_DIR=$(mktemp -d)
	export STACK_DIR
	"$CSC_TOP/deploy/local/stack" up "$STACK_DIR" >/dev/null
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	export PX="$STACK_DIR/proxy"
	mkdir -p "$PX"
	# A token with characters that need encoding in a presigned URL.
	export TOKEN='FwoGZXIvYXdzE+temporary/session=token'
	cat >"$PX/credentials.json" <<EOF
{"$AWS_ACCESS_KEY_ID": {"secret": "$AWS_SECRET_ACCESS_KEY", "token": null},
 "ASIATEMPORARYKEY": {"secret": "temporary-secret", "token": "$TOKEN"}}
EOF
	faults '[]'
	S3P=$(start_proxy s3 s3 "$AWS_ENDPOINT_URL_S3")
	DBP=$(start_proxy ddb dynamodb "$AWS_ENDPOINT_URL_DYNAMODB")
	export S3P DBP
	client call s3 "$S3P" CreateBucket '{"Bucket": "sigproxy-test"}' >/dev/null
	client call dynamodb "$DBP" CreateTable '{"TableName": "SigProxy",
		"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
			{"AttributeName": "sk", "AttributeType": "S"}],
		"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
			{"AttributeName": "sk", "KeyType": "RANGE"}],
		"BillingMode": "PAY_PER_REQUEST"}' >/dev/null
	python3 - "$DBP" <<'EOF'
import sys, boto3
boto3.client("dynamodb", endpoint_url=sys.argv[1]).get_waiter(
    "table_exists").wait(TableName="SigProxy",
                         WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
EOF
}

teardown_file() {
	local name
	for name in s3 ddb; do
		if [ -f "$PX/$name.pid" ]; then
			kill "$(cat "$PX/$name.pid")" 2>/dev/null || true
		fi
	done
	"$CSC_TOP/deploy/local/stack" down "$STACK_DIR"
	rm -rf "$STACK_DIR"
}

setup() {
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	faults '[]'
}

# The field FIELD of the JSON in $output.
field() {
	jq -r ".$1" <<<"$output"
}

# The log lines of proxy NAME written since the start of the test.
log_since() {
	tail -n "+$(($2 + 1))" "$PX/$1.log"
}

log_lines() {
	wc -l <"$PX/$1.log"
}

@test "S3 objects with awkward keys go through with their signatures checked" {
	local before
	before=$(log_lines s3)
	run python3 - "$S3P" <<'EOF'
import sys, boto3, botocore.config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=botocore.config.Config(
    signature_version="s3v4", retries={"total_max_attempts": 1}))
# (s3rver cannot store keys with an empty segment, like a//b.)
keys = ["plain.txt", "with space/and more.txt", "ünïcødé/日本.txt", "plus+sign.txt",
        "tilde~name.txt", "equals=sign&amp.txt", "percent%20literal.txt",
        "deep/er/path.txt", "(parens) [brackets] 'quotes' !*$@,;:.txt"]
for key in keys:
    s3.put_object(Bucket="sigproxy-test", Key=key, Body=("body of " + key).encode())
    got = s3.get_object(Bucket="sigproxy-test", Key=key)["Body"].read().decode()
    assert got == "body of " + key, (key, got)
listed = {o["Key"] for o in s3.list_objects_v2(Bucket="sigproxy-test")["Contents"]}
assert set(keys) <= listed, set(keys) - listed
print(len(keys))
EOF
	assert_success
	assert_output 9
	# Every request was checked and found good.
	run log_since s3 "$before"
	assert_equal "$(jq -s 'map(select(.sig != "ok")) | length' <<<"$output")" 0
	assert_equal "$(jq -s 'length' <<<"$output")" 19
}

@test "a several-MiB object goes through intact" {
	head -c $((5 * 1024 * 1024 + 17)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	run client call s3 "$S3P" PutObject "{\"Bucket\": \"sigproxy-test\",
		\"Key\": \"big.bin\", \"Body\": \"@$BATS_TEST_TMPDIR/big\"}"
	assert_success
	run client call s3 "$S3P" GetObject '{"Bucket": "sigproxy-test", "Key": "big.bin"}'
	assert_success
	assert_equal "$(field Body.sha256)" "$(sha256sum <"$BATS_TEST_TMPDIR/big" | cut -d' ' -f1)"
	assert_equal "$(field Body.size)" $((5 * 1024 * 1024 + 17))
}

@test "DynamoDB requests go through with their signatures checked" {
	run client call dynamodb "$DBP" PutItem '{"TableName": "SigProxy",
		"Item": {"pk": {"S": "CONVERSATION#1"}, "sk": {"S": "DATA"},
			"note": {"S": "ünïcødé + spaces"}}}'
	assert_success
	run client call dynamodb "$DBP" GetItem '{"TableName": "SigProxy",
		"Key": {"pk": {"S": "CONVERSATION#1"}, "sk": {"S": "DATA"}}}'
	assert_success
	assert_equal "$(field Item.note.S)" "ünïcødé + spaces"
	run tail -n 1 "$PX/ddb.log"
	assert_equal "$(field sig)" ok
	assert_equal "$(field target)" DynamoDB_20120810.GetItem
	assert_equal "$(field status)" 200
}

@test "session-token credentials are accepted with their token only" {
	run as_temp python3 "$CLIENT_PY" call dynamodb "$DBP" ListTables
	assert_success
	assert_equal "$(field 'TableNames | index("SigProxy") != null')" true
	run as_temp client call s3 "$S3P" PutObject \
		'{"Bucket": "sigproxy-test", "Key": "temp creds.txt", "Body": "t"}'
	assert_success
	run tail -n 1 "$PX/s3.log"
	assert_equal "$(field access_key)" ASIATEMPORARYKEY
	# The same key without its token, or with another, is refused.
	run env -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=ASIATEMPORARYKEY \
		AWS_SECRET_ACCESS_KEY=temporary-secret python3 "$CLIENT_PY" call s3 "$S3P" ListBuckets
	assert_failure 3
	assert_equal "$(field error)" InvalidAccessKeyId
	run env AWS_ACCESS_KEY_ID=ASIATEMPORARYKEY AWS_SECRET_ACCESS_KEY=temporary-secret \
		AWS_SESSION_TOKEN=another-token python3 "$CLIENT_PY" call s3 "$S3P" ListBuckets
	assert_failure 3
	assert_equal "$(field error)" InvalidToken
	assert_equal "$(field status)" 400
	run env AWS_ACCESS_KEY_ID=ASIATEMPORARYKEY AWS_SECRET_ACCESS_KEY=temporary-secret \
		AWS_SESSION_TOKEN=another-token python3 "$CLIENT_PY" call dynamodb "$DBP" ListTables
	assert_failure 3
	assert_equal "$(field error)" UnrecognizedClientException
	# A long-term key must not carry a token.
	run env AWS_SESSION_TOKEN="$TOKEN" python3 "$CLIENT_PY" call dynamodb "$DBP" ListTables
	assert_failure 3
	assert_equal "$(field error)" UnrecognizedClientException
}

@test "presigned URLs made by boto3 download with curl" {
	local key url
	for key in 'presigned plain.txt' 'presigned ünï+~=.txt'; do
		client call s3 "$S3P" PutObject "$(jq -n --arg k "$key" \
			'{Bucket: "sigproxy-test", Key: $k, Body: ("content of " + $k)}')"
		url=$(client presign "$S3P" sigproxy-test "$key")
		[[ "$url" == *X-Amz-Signature=* ]]
		run curl -sS -f "$url"
		assert_success
		assert_output "content of $key"
	done
	# With temporary credentials the token rides in the query.
	url=$(as_temp client presign "$S3P" sigproxy-test 'presigned plain.txt')
	[[ "$url" == *X-Amz-Security-Token=* ]]
	run curl -sS -f "$url"
	assert_success
	assert_output "content of presigned plain.txt"
	# The log shows neither signatures nor tokens.
	run grep -F -e "$TOKEN" -e "${TOKEN//+/%2B}" "$PX/s3.log"
	assert_failure 1
	run grep -E 'X-Amz-Signature=[0-9a-f]' "$PX/s3.log"
	assert_failure 1
	run grep -c 'X-Amz-Security-Token=REDACTED' "$PX/s3.log"
	assert_output 1
}

@test "a presigned URL changed after signing is refused" {
	local url
	client call s3 "$S3P" PutObject '{"Bucket": "sigproxy-test", "Key": "one.txt", "Body": "1"}'
	client call s3 "$S3P" PutObject '{"Bucket": "sigproxy-test", "Key": "two.txt", "Body": "2"}'
	url=$(client presign "$S3P" sigproxy-test one.txt)
	run curl -sS -f "$url"
	assert_output 1
	run curl -sS -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "${url/one.txt/two.txt}"
	assert_output 403
	run cat "$BATS_TEST_TMPDIR/body"
	assert_output --partial '<Code>SignatureDoesNotMatch</Code>'
	run curl -sS -o /dev/null -w '%{http_code}' "${url/X-Amz-Expires=3600/X-Amz-Expires=7200}"
	assert_output 403
}

@test "a wrong secret gets each service's own signature error" {
	run env AWS_SECRET_ACCESS_KEY=not-the-secret python3 "$CLIENT_PY" call s3 "$S3P" ListBuckets
	assert_failure 3
	assert_equal "$(field error)" SignatureDoesNotMatch
	assert_equal "$(field status)" 403
	assert_equal "$(field content_type)" application/xml
	run env AWS_SECRET_ACCESS_KEY=not-the-secret python3 "$CLIENT_PY" call dynamodb "$DBP" ListTables
	assert_failure 3
	assert_equal "$(field error)" InvalidSignatureException
	assert_equal "$(field status)" 400 # DynamoDB's auth errors are 400s
	assert_equal "$(field content_type)" application/x-amz-json-1.0
	run tail -n 1 "$PX/ddb.log"
	assert_equal "$(field sig)" bad
	# The secret never reaches the log.
	run grep -F -e "$AWS_SECRET_ACCESS_KEY" -e not-the-secret \
		"$PX/s3.log" "$PX/ddb.log"
	assert_failure 1
	run grep -E 'Signature=[0-9a-f]{64}' "$PX/s3.log" "$PX/ddb.log"
	assert_failure 1
}

@test "an unknown access key and a missing signature are refused" {
	run env AWS_ACCESS_KEY_ID=AKIDUNKNOWN python3 "$CLIENT_PY" call s3 "$S3P" ListBuckets
	assert_equal "$(field error)" InvalidAccessKeyId
	assert_equal "$(field status)" 403
	run env AWS_ACCESS_KEY_ID=AKIDUNKNOWN python3 "$CLIENT_PY" call dynamodb "$DBP" ListTables
	assert_equal "$(field error)" UnrecognizedClientException
	run curl -sS -w '\n%{http_code}' "$S3P/sigproxy-test/one.txt"
	assert_output --partial '<Code>AccessDenied</Code>'
	assert_equal "${lines[${#lines[@]} - 1]}" 403
	run curl -sS -X POST -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
		-H 'Content-Type: application/x-amz-json-1.0' -d '{}' "$DBP/"
	assert_output --partial '#MissingAuthenticationTokenException"'
}

@test "an S3 upload without Content-Length is refused as S3 does" {
	run curl -sS -X PUT -H 'Transfer-Encoding: chunked' --data-binary 'chunked body' \
		-w '\n%{http_code}' "$S3P/sigproxy-test/chunked.txt"
	assert_output --partial '<Code>MissingContentLength</Code>'
	assert_equal "${lines[${#lines[@]} - 1]}" 411
}

@test "a body changed after signing is caught by its payload hash" {
	run client call s3 "$S3P" PutObject \
		'{"Bucket": "sigproxy-test", "Key": "swapped.txt", "Body": "genuine"}' \
		--replace genuine forgery
	assert_failure 3
	assert_equal "$(field error)" XAmzContentSHA256Mismatch
	run client call s3 "$S3P" HeadObject '{"Bucket": "sigproxy-test", "Key": "swapped.txt"}'
	assert_failure 3 # nothing was stored
	run client call dynamodb "$DBP" PutItem \
		'{"TableName": "SigProxy", "Item": {"pk": {"S": "X"}, "sk": {"S": "Y"}}}' \
		--replace '"Y"' '"Z"'
	assert_failure 3
	assert_equal "$(field error)" InvalidSignatureException
}

@test "alter-header: a tampered signed header is refused" {
	faults '[{"match": {"target": "DynamoDB_20120810.DescribeTable"},
		"action": "alter-header", "header": "X-Amz-Target",
		"value": "DynamoDB_20120810.DeleteTable", "times": 1}]'
	run client call dynamodb "$DBP" DescribeTable '{"TableName": "SigProxy"}'
	assert_failure 3
	assert_equal "$(field error)" InvalidSignatureException
	run tail -n 1 "$PX/ddb.log"
	assert_equal "$(field fault)" alter-header
	# The tampered request never reached DynamoDB: the table is still there,
	# and the rule is used up.
	run client call dynamodb "$DBP" DescribeTable '{"TableName": "SigProxy"}'
	assert_success
	assert_equal "$(field Table.TableStatus)" ACTIVE
	faults '[{"match": {"method": "PUT"}, "action": "alter-header",
		"header": "Content-Type", "value": "text/evil"}]'
	run client call s3 "$S3P" PutObject \
		'{"Bucket": "sigproxy-test", "Key": "tampered.txt", "Body": "x", "ContentType": "text/plain"}'
	assert_failure 3
	assert_equal "$(field error)" SignatureDoesNotMatch
	assert_equal "$(field status)" 403
}

@test "throttle answers each service's real throttling error, and runs out" {
	faults '[{"match": {"target": "DynamoDB_20120810.GetItem"}, "action": "throttle", "times": 2},
		{"match": {"method": "GET", "path": "^/sigproxy-test/one\\.txt"}, "action": "throttle", "times": 1}]'
	local get='{"TableName": "SigProxy", "Key": {"pk": {"S": "CONVERSATION#1"}, "sk": {"S": "DATA"}}}'
	run client call dynamodb "$DBP" GetItem "$get"
	assert_failure 3
	assert_equal "$(field error)" ThrottlingException
	assert_equal "$(field status)" 400
	run client call dynamodb "$DBP" GetItem "$get"
	assert_equal "$(field error)" ThrottlingException
	run client call dynamodb "$DBP" GetItem "$get"
	assert_success # two uses, then done
	# Another object is not matched by the path; the matched one is, once.
	run client call s3 "$S3P" GetObject '{"Bucket": "sigproxy-test", "Key": "two.txt"}'
	assert_success
	run client call s3 "$S3P" GetObject '{"Bucket": "sigproxy-test", "Key": "one.txt"}'
	assert_failure 3
	assert_equal "$(field error)" SlowDown
	assert_equal "$(field status)" 503
	run client call s3 "$S3P" GetObject '{"Bucket": "sigproxy-test", "Key": "one.txt"}'
	assert_success
}

@test "throttle bodies are AWS's, including ProvisionedThroughputExceededException" {
	faults '[{"match": {"target": "DynamoDB_20120810.PutItem"}, "action": "throttle",
		"code": "ProvisionedThroughputExceededException"}, {"action": "throttle"}]'
	run client call dynamodb "$DBP" PutItem \
		'{"TableName": "SigProxy", "Item": {"pk": {"S": "T"}, "sk": {"S": "T"}}}'
	assert_equal "$(field error)" ProvisionedThroughputExceededException
	# The raw bodies, as a client that parses them by hand sees them.
	url=$(client presign "$S3P" sigproxy-test one.txt)
	run curl -sS -D "$BATS_TEST_TMPDIR/headers" "$url"
	assert_output --partial '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>'
	run grep -i '^content-type: application/xml' "$BATS_TEST_TMPDIR/headers"
	assert_success
	run grep '^HTTP/1.1 503' "$BATS_TEST_TMPDIR/headers"
	assert_success
}

@test "500 and 503 answer InternalError and ServiceUnavailable bodies" {
	faults '[{"match": {"target": "DynamoDB_20120810.ListTables"}, "action": "500", "times": 1},
		{"match": {"target": "DynamoDB_20120810.ListTables"}, "action": "503", "times": 1},
		{"match": {"method": "GET"}, "action": "500", "times": 1},
		{"match": {"method": "GET"}, "action": "503", "times": 1}]'
	run client call dynamodb "$DBP" ListTables
	assert_equal "$(field error)" InternalServerError
	assert_equal "$(field status)" 500
	run client call dynamodb "$DBP" ListTables
	assert_equal "$(field error)" ServiceUnavailable
	assert_equal "$(field status)" 503
	run client call dynamodb "$DBP" ListTables
	assert_success
	run client call s3 "$S3P" ListBuckets
	assert_equal "$(field error)" InternalError
	assert_equal "$(field status)" 500
	run client call s3 "$S3P" ListBuckets
	assert_equal "$(field error)" ServiceUnavailable
	assert_equal "$(field status)" 503
	run client call s3 "$S3P" ListBuckets
	assert_success
}

@test "drop closes the connection without an answer" {
	faults '[{"match": {"method": "GET", "path": "^/sigproxy-test/one\\.txt"}, "action": "drop", "times": 1},
		{"match": {"target": "DynamoDB_20120810.ListTables"}, "action": "drop", "times": 1}]'
	url=$(client presign "$S3P" sigproxy-test one.txt)
	run curl -sS "$url"
	assert_failure 52 # curl: empty reply from server
	run curl -sS "$url"
	assert_success
	assert_output 1
	run client call dynamodb "$DBP" ListTables
	assert_failure 4
	assert_equal "$(field error)" connection
	run tail -n 1 "$PX/ddb.log"
	assert_equal "$(field fault)" drop
	assert_equal "$(field status)" null
}

@test "drop-after-forward: the write happens though the answer is lost" {
	faults '[{"match": {"target": "DynamoDB_20120810.PutItem"}, "action": "drop-after-forward", "times": 1}]'
	run client call dynamodb "$DBP" PutItem \
		'{"TableName": "SigProxy", "Item": {"pk": {"S": "LOST"}, "sk": {"S": "REPLY"}}}'
	assert_failure 4
	run client call dynamodb "$DBP" GetItem \
		'{"TableName": "SigProxy", "Key": {"pk": {"S": "LOST"}, "sk": {"S": "REPLY"}}}'
	assert_success
	assert_equal "$(field Item.pk.S)" LOST
}

@test "slow delays the answer; skip lets the first requests through" {
	faults '[{"match": {"target": "DynamoDB_20120810.ListTables"}, "action": "slow",
		"delay_ms": 1500, "skip": 1, "times": 1}]'
	run client call dynamodb "$DBP" ListTables
	assert_success
	run tail -n 1 "$PX/ddb.log"
	assert_equal "$(field fault)" null
	run client call dynamodb "$DBP" ListTables
	assert_success # slow, yet answered
	run tail -n 1 "$PX/ddb.log"
	assert_equal "$(field fault)" slow
	[ "$(field ms)" -ge 1500 ]
	run client call dynamodb "$DBP" ListTables
	run tail -n 1 "$PX/ddb.log"
	assert_equal "$(field fault)" null
}

@test "rewriting the fault script starts its counts afresh" {
	local rule='[{"match": {"target": "DynamoDB_20120810.ListTables"}, "action": "throttle", "times": 1}]'
	faults "$rule"
	run client call dynamodb "$DBP" ListTables
	assert_equal "$(field error)" ThrottlingException
	run client call dynamodb "$DBP" ListTables
	assert_success
	faults "$rule"
	run client call dynamodb "$DBP" ListTables
	assert_equal "$(field error)" ThrottlingException
}

@test "the proxy refuses an upstream that is not on loopback" {
	run python3 "$CSC_TOP/tests/servers/sigproxy.py" --service s3 \
		--upstream http://192.0.2.1:80 --port-file "$BATS_TEST_TMPDIR/port"
	assert_failure 2
	assert_output --partial 'loopback'
	[ ! -e "$BATS_TEST_TMPDIR/port" ]
}

#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: run sets $output/$status, @test bodies run in subshells
# csc-store against the local stack, every request through the signature-
# checking, fault-injecting proxy (deploy/local/stack up --sigproxy), with
# boto3 and the aws CLI as independent readers of what it writes.

load helper

ORACLE="$CSC_TOP/tests/oracle/ddb_item.py"

setup_file() {
	STACK_DIR=$(mktemp -d)
	export STACK_DIR
	env -u ANTHROPIC_API_KEY "$CSC_TOP/deploy/local/stack" up --sigproxy "$STACK_DIR" >/dev/null
	# A temporary key with a session token that needs encoding.
	export TOKEN='IQoJb3JpZ2luX2VjE+temporary/session=token'
	jq --arg t "$TOKEN" '. + {"ASIASTORETEMPKEY": {"secret": "store-temp-secret", "token": $t},
		"AKIDWRONGSECRET": {"secret": "the-real-secret", "token": null}}' \
		"$STACK_DIR/credentials.json" >"$STACK_DIR/credentials.json.tmp"
	mv "$STACK_DIR/credentials.json.tmp" "$STACK_DIR/credentials.json"
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	# Where csc-store's requests start in the proxies' logs (after the
	# stack's own unsigned readiness probes).
	wc -l <"$STACK_DIR/s3-requests.jsonl" >"$STACK_DIR/s3-requests.start"
	wc -l <"$STACK_DIR/dynamodb-requests.jsonl" >"$STACK_DIR/dynamodb-requests.start"
	csc-store init >/dev/null
}

teardown_file() {
	"$CSC_TOP/deploy/local/stack" down "$STACK_DIR"
	rm -rf "$STACK_DIR"
}

setup() {
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	rm -f "$STACK_DIR/faults-s3.json" "$STACK_DIR/faults-dynamodb.json"
	# Short retry schedules keep the fault tests quick.
	export AWS_MAX_ATTEMPTS=4
}

# Servers a test starts for itself, in $BATS_TEST_TMPDIR/server-NAME,
# stop even when the test fails.
teardown() {
	local dir
	# A test that froze DynamoDB: it runs again, whatever the test did.
	kill -CONT "$(cat "$STACK_DIR/dynalite.pid")" 2>/dev/null || true
	for dir in "$BATS_TEST_TMPDIR"/server-*; do
		if [ -d "$dir" ]; then
			stop_server "$dir"
		fi
	done
}

# faults SERVICE JSON: install a proxy fault script, atomically.
faults() {
	printf '%s\n' "$2" >"$STACK_DIR/faults-$1.json.tmp"
	mv -f "$STACK_DIR/faults-$1.json.tmp" "$STACK_DIR/faults-$1.json"
}

# bundle SERVICE CODE [BIG]: csc-generate's output for the six files, some
# with unicode, README.md of BIG bytes (default 1 MiB).
bundle() {
	python3 "$CSC_TOP/tests/fixtures/store/bundle.py" "$@"
}

# sig_ok_since SERVICE N: the requests after line N of the proxy's log
# were there, and every one had a right signature.
sig_ok_since() {
	tail -n "+$(($2 + 1))" "$STACK_DIR/$1-requests.jsonl" |
		jq -s -e 'length > 0 and all(.sig == "ok")' >/dev/null
}

# answer_through_store ID TEXT: answer conversation ID's current step, the
# pipeline of SPEC section 8.
answer_through_store() {
	set -o pipefail
	csc-store get-conversation "$1" | csc-ask answer "$2" | csc-store put-conversation
}

# message_through_store ID FILTER: a message request whose step and message
# come from the jq FILTER applied to the stored state.
message_through_store() {
	set -o pipefail
	csc-store get-conversation "$1" |
		jq -c "{action: \"message\", conversation: .} + ($2)" |
		csc-ask | csc-store put-conversation
}

log_lines() {
	wc -l <"$STACK_DIR/$1-requests.jsonl"
}

@test "init creates the table and bucket of SPEC section 5; a second run changes nothing" {
	run --separate-stderr csc-store init
	assert_success
	assert_equal "$(jq -c .created <<<"$output")" '{"table":false,"bucket":false}'
	assert_equal "$(jq -c .warnings <<<"$output")" '[]'
	run aws dynamodb describe-table --table-name CloudServiceCreator --output json
	assert_success
	assert_equal "$(jq -c '[.Table.KeySchema[] | [.AttributeName, .KeyType]]' <<<"$output")" \
		'[["pk","HASH"],["sk","RANGE"]]'
	assert_equal "$(jq -r '.Table.BillingModeSummary.BillingMode' <<<"$output")" PAY_PER_REQUEST
	assert_equal "$(jq -c '[.Table.GlobalSecondaryIndexes[] | .IndexName, [.KeySchema[].AttributeName]]' <<<"$output")" \
		'["jobs-by-lease",["job_queue","lease_until"]]'
	run aws dynamodb describe-time-to-live --table-name CloudServiceCreator \
		--query 'TimeToLiveDescription.[TimeToLiveStatus, AttributeName]' --output text
	assert_output $'ENABLED\texpires_at'
	run aws s3api get-bucket-versioning --bucket cloudservicecreator-code --query Status --output text
	assert_output Enabled
	run aws s3api get-public-access-block --bucket cloudservicecreator-code --output json
	assert_equal "$(jq -c '.PublicAccessBlockConfiguration | [.[]] | unique' <<<"$output")" '[true]'
	run aws s3api get-bucket-encryption --bucket cloudservicecreator-code \
		--query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm' --output text
	assert_output AES256
	run aws s3api get-bucket-lifecycle-configuration --bucket cloudservicecreator-code --output json
	assert_equal "$(jq -c '.Rules[0] | [.Status, .NoncurrentVersionExpiration.NoncurrentDays]' <<<"$output")" '["Enabled",30]'
}

@test "init on a fresh table and bucket creates both, then settles" {
	export CSC_TABLE=InitTest CSC_BUCKET=init-test-bucket
	run --separate-stderr csc-store init
	assert_success
	assert_equal "$(jq -c .created <<<"$output")" '{"table":true,"bucket":true}'
	run --separate-stderr csc-store init
	assert_success
	assert_equal "$(jq -c .created <<<"$output")" '{"table":false,"bucket":false}'
}

@test "put-code then get-code --content gives back the same bytes, unicode and 1 MiB included" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" >"$BATS_TEST_TMPDIR/in.json"
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	# The output is the metadata without contents, in csc-presign's shape.
	assert_equal "$(jq -r '.bucket, .status, (.files | length), ([.files[].content] | unique | tostring)' <<<"$output")" \
		$'cloudservicecreator-code\ndone\n6\n[null]'
	assert_equal "$(jq -r '.files[] | select(.name == "README.md") | .size, .key' <<<"$output")" \
		"1048576
$sid/$cid/README.md"
	jq -e '.files | all(.version_id | type == "string")' <<<"$output" >/dev/null
	csc-store get-code --content "$sid" "$cid" >"$BATS_TEST_TMPDIR/got.json"
	python3 - "$BATS_TEST_TMPDIR/in.json" "$BATS_TEST_TMPDIR/got.json" <<'EOF'
import json, sys, hashlib
want = {f["name"]: f["content"] for f in json.load(open(sys.argv[1]))["files"]}
got = json.load(open(sys.argv[2]))
assert {f["name"]: f["content"] for f in got["files"]} == want, "contents differ"
for f in got["files"]:
    assert f["sha256"] == hashlib.sha256(want[f["name"]].encode()).hexdigest()
    assert f["size"] == len(want[f["name"]].encode())
assert got["status"] == "done" and got["model"] == "claude-test"
assert str(got["cost_usd"]) == "0.0531" and got["usage"]["output_tokens"] == 3400
EOF
}

@test "csc-store put-code | csc-presign gives URLs that curl downloads to the same bytes" {
	local sid cid name url
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 70000 >"$BATS_TEST_TMPDIR/in.json"
	csc-store put-code <"$BATS_TEST_TMPDIR/in.json" | csc-presign >"$BATS_TEST_TMPDIR/urls.json"
	[ "$(jq '.files | length' "$BATS_TEST_TMPDIR/urls.json")" -eq 6 ]
	while IFS=$'\t' read -r name url; do
		curl -sSf -o "$BATS_TEST_TMPDIR/got" "$url"
		jq -j --arg n "$name" '.files[] | select(.name == $n) | .content' \
			"$BATS_TEST_TMPDIR/in.json" >"$BATS_TEST_TMPDIR/want"
		cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	done < <(jq -r '.files[] | [.name, .url] | @tsv' "$BATS_TEST_TMPDIR/urls.json")
}

@test "objects carry the SHA-256 that head-object --checksum-mode reports and csc-store recorded" {
	local sid cid key sum b64
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 1000 | csc-store put-code >"$BATS_TEST_TMPDIR/out.json"
	while IFS=$'\t' read -r key sum; do
		b64=$(python3 -c 'import base64, sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$sum")
		run aws s3api head-object --bucket cloudservicecreator-code --key "$key" \
			--checksum-mode ENABLED --output json
		assert_success
		assert_equal "$(jq -r .ChecksumSHA256 <<<"$output")" "$b64"
		assert_equal "$(jq -r .Metadata.sha256 <<<"$output")" "$sum"
	done < <(jq -r '.files[] | [.key, .sha256] | @tsv' "$BATS_TEST_TMPDIR/out.json")
	run --separate-stderr csc-store get-code --check "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.files[].verified] | unique' <<<"$output")" '[true]'
}

@test "boto3's TypeDeserializer reads csc-store's items as the documents csc-store returns" {
	local id sid cid
	id=$(csc-ask start | csc-store put-conversation | jq -r .conversation_id)
	run python3 "$ORACLE" get "CONVERSATION#$id" DATA
	assert_success
	# The item is the state with its key, and expires_at in epoch seconds
	# for DynamoDB's time to live.
	assert_equal "$(jq -S -c 'del(.pk, .sk, .expires_at)' <<<"$output")" \
		"$(csc-store get-conversation "$id" | jq -S -c 'del(.expires_at)')"
	assert_equal "$(jq -r '.expires_at | todate' <<<"$output")" \
		"$(csc-store get-conversation "$id" | jq -r .expires_at)"
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 100 | csc-store put-code >/dev/null
	run python3 "$ORACLE" get "SERVICE#$sid" "CODE#$cid"
	assert_success
	assert_equal "$(jq -S -c 'del(.pk, .sk)' <<<"$output")" \
		"$(csc-store get-code "$sid" "$cid" | jq -S -c 'del(.service_id, .code_id)')"
	run aws dynamodb get-item --table-name CloudServiceCreator --output json \
		--key "{\"pk\": {\"S\": \"SERVICE#$sid\"}, \"sk\": {\"S\": \"METADATA\"}}"
	assert_equal "$(jq -r '.Item.latest_code_id.S, .Item.service_data.M.vendor.S' <<<"$output")" \
		"$cid
Cisco"
}

@test "items boto3 writes in the documented shape are read by csc-store" {
	local id sid cid
	id=$(new_id) sid=$(new_id) cid=$(new_id)
	python3 "$ORACLE" put "CONVERSATION#$id" DATA <<EOF
{"conversation_id": "$id", "step": 3, "status": "open", "version": 3,
 "answers": {"service_type": "vRouter", "vendor": "Juniper"},
 "history": [{"step": 1, "answer": "vRouter"}], "ratio": 0.25,
 "big": 123456789012345678901234567890, "expires_at": 4102444800}
EOF
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_equal "$(jq -S -c 'del(.big)' <<<"$output")" \
		"{\"answers\":{\"service_type\":\"vRouter\",\"vendor\":\"Juniper\"},\"conversation_id\":\"$id\",\"expires_at\":\"2100-01-01T00:00:00Z\",\"history\":[{\"answer\":\"vRouter\",\"step\":1}],\"ratio\":0.25,\"status\":\"open\",\"step\":3,\"version\":3}"
	# Big numbers keep their digits (jq would round them).
	assert_output --partial '"big":123456789012345678901234567890'
	python3 "$ORACLE" put "SERVICE#$sid" "CODE#$cid" <<EOF
{"status": "done", "bucket": "cloudservicecreator-code", "model": "m",
 "files": [{"name": "a.txt", "key": "$sid/$cid/a.txt", "size": 1,
            "sha256": "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
            "version_id": null, "content_type": "text/plain"}]}
EOF
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.status, .files[0].name, .files[0].size, .service_id]' <<<"$output")" \
		"[\"done\",\"a.txt\",1,\"$sid\"]"
}

@test "numbers keep their exact decimal text through DynamoDB" {
	local id
	id=$(new_id)
	run --separate-stderr csc-store put-conversation <<EOF
{"conversation_id":"$id","version":1,"n":12345678901234567890123,"pi":3.14159265358979323846264,"neg":-42}
EOF
	assert_success
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_output "{\"conversation_id\":\"$id\",\"version\":1,\"n\":12345678901234567890123,\"pi\":3.14159265358979323846264,\"neg\":-42}"
	run aws dynamodb get-item --table-name CloudServiceCreator --output json \
		--key "{\"pk\": {\"S\": \"CONVERSATION#$id\"}, \"sk\": {\"S\": \"DATA\"}}"
	assert_equal "$(jq -r '.Item.n.N, .Item.pi.N' <<<"$output")" \
		"12345678901234567890123
3.14159265358979323846264"
}

@test "of 20 concurrent put-conversation calls with the same version, exactly one succeeds" {
	local id i rc
	csc-ask start >"$BATS_TEST_TMPDIR/s1.json"
	csc-store put-conversation <"$BATS_TEST_TMPDIR/s1.json" >/dev/null
	id=$(jq -r .conversation_id "$BATS_TEST_TMPDIR/s1.json")
	# Twenty writers, each with its own version-2 state (different notes).
	for i in $(seq 20); do
		jq -c --arg i "$i" '.version = 2 | .note = $i' "$BATS_TEST_TMPDIR/s1.json" >"$BATS_TEST_TMPDIR/w$i.json"
	done
	for i in $(seq 20); do
		(
			rc=0
			csc-store put-conversation <"$BATS_TEST_TMPDIR/w$i.json" >"$BATS_TEST_TMPDIR/o$i" 2>/dev/null || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/rc$i"
		) &
	done
	wait
	run cat "$BATS_TEST_TMPDIR"/rc*
	assert_equal "$(grep -c '^0$' <<<"$output")" 1
	assert_equal "$(grep -c '^73$' <<<"$output")" 19
	# Losers printed nothing; the stored note is the winner's.
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/o* | wc -l)" 1
	assert_equal "$(csc-store get-conversation "$id" | jq -r .note)" \
		"$(cat "$BATS_TEST_TMPDIR"/o* | jq -r .note)"
}

@test "a put whose answer was lost is retried and is no conflict" {
	local id
	csc-ask start >"$BATS_TEST_TMPDIR/s.json"
	id=$(jq -r .conversation_id "$BATS_TEST_TMPDIR/s.json")
	# DynamoDB does the write, the answer never arrives; the retry finds
	# its own state stored.
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.PutItem"}, "action": "drop-after-forward", "times": 1}]'
	run --separate-stderr csc-store put-conversation <"$BATS_TEST_TMPDIR/s.json"
	assert_success
	assert_equal "$(jq -r .conversation_id <<<"$output")" "$id"
	run jq -s '[.[] | select(.fault == "drop-after-forward")] | length' "$STACK_DIR/dynamodb-requests.jsonl"
	[ "$output" -ge 1 ]
	# Another state with the same version is still a conflict.
	jq '.note = "other"' "$BATS_TEST_TMPDIR/s.json" >"$BATS_TEST_TMPDIR/other.json"
	run --separate-stderr csc-store put-conversation <"$BATS_TEST_TMPDIR/other.json"
	assert_failure 73
	assert_output ''
}

@test "a message whose write's reply was lost: its own retry finds the answer stored, and a client's retry gets the same reply" {
	local id body first
	id=$(csc-store start --api <<<'{"action":"start"}' | jq -r .conversation_id)
	body=$(message_body "$id" 1 '"vfirewall"')
	# DynamoDB applies the write and its reply never arrives (libcurl
	# sends it again on a fresh connection, or csc-store retries).
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.PutItem"}, "action": "drop-after-forward", "times": 1}]'
	run --separate-stderr csc-store message --api <<<"$body"
	assert_success
	first=$output
	assert_equal "$(jq -c '[.conversation_id, .done, .step, .question.id]' <<<"$output")" "[\"$id\",false,2,\"vendor\"]"
	run jq -s '[.[] | select(.fault == "drop-after-forward")] | length' "$STACK_DIR/dynamodb-requests.jsonl"
	[ "$output" -ge 1 ]
	# The client's retry: the same reply, nothing written.
	run --separate-stderr csc-store message --api <<<"$body"
	assert_success
	assert_equal "$output" "$first"
	assert_equal "$(csc-store get-conversation "$id" | jq -c '[.version, (.history | length), .answers.service_type]')" \
		'[2,1,"vFirewall"]'
}

@test "two identical answers, one write held back: the held one is refused, finds the same answer stored, and gets the same reply" {
	local id before n pid
	id=$(csc-store start --api <<<'{"action":"start"}' | jq -r .conversation_id)
	# The first writer's PutItem waits at the proxy while the second
	# answers (once normalised, the same answer: written differently, so
	# the two states differ in their history's message).
	before=$(log_lines dynamodb)
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.PutItem"}, "action": "slow", "delay_ms": 1500, "times": 1}]'
	csc-store message --api <<<"$(message_body "$id" 1 '"vfirewall"')" >"$BATS_TEST_TMPDIR/a.out" 2>"$BATS_TEST_TMPDIR/a.err" 3>&- &
	pid=$!
	# Its read is done (logged), so its write is on its way.
	n=0
	while [ "$(tail -n "+$((before + 1))" "$STACK_DIR/dynamodb-requests.jsonl" | grep -c GetItem)" -lt 1 ]; do
		n=$((n + 1))
		[ "$n" -lt 100 ] || fail "the first writer never read the conversation"
		sleep 0.1
	done
	sleep 0.3
	run --separate-stderr csc-store message --api <<<"$(message_body "$id" 1 '"vFirewall"')"
	assert_success
	wait "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a.out")" "$output"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a.err")" ''
	# The held write was the one refused.
	assert_equal "$(tail -n "+$((before + 1))" "$STACK_DIR/dynamodb-requests.jsonl" |
		jq -s -c '[.[] | select(.target == "DynamoDB_20120810.PutItem") | [.fault, .status]] | sort')" \
		'[[null,200],["slow",400]]'
	assert_equal "$(csc-store get-conversation "$id" | jq -c '[.version, (.history | length), .answers.service_type]')" \
		'[2,1,"vFirewall"]'
}

@test "a whole interview through get-conversation | csc-ask | put-conversation" {
	local id answer
	id=$(csc-ask start | csc-store put-conversation | jq -r .conversation_id)
	# Names, numbers, odd case and spacing; features as a comma list.
	for answer in ' vfirewall ' 2 'traffic filtering,  INTRUSION prevention' kubernetes \
		'ha PAIR (active-passive)' ' postgresql' 'Must log every dropped packet'; do
		run --separate-stderr answer_through_store "$id" "$answer"
		assert_success
	done
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_equal "$(jq -r '.status, .version' <<<"$output")" $'complete\n8'
	assert_equal "$(jq -c '.service_data | [.service_type, .features, .deployment, .scale, .database, .requirements]' <<<"$output")" \
		'["vFirewall",["Traffic Filtering","Intrusion Prevention"],"Kubernetes","HA pair (active-passive)","PostgreSQL","Must log every dropped packet"]'
	# Features as a JSON array, through the same pipeline.
	id=$(csc-ask start | csc-store put-conversation | jq -r .conversation_id)
	for answer in vRouter 1; do
		csc-store get-conversation "$id" | csc-ask answer "$answer" | csc-store put-conversation >/dev/null
	done
	run --separate-stderr message_through_store "$id" '{step: .step, message: .question.options[0:2]}'

	assert_success
	assert_equal "$(csc-store get-conversation "$id" | jq -c '.answers.features | length')" 2
	# A stale answer (step 1 again, another value) is refused, nothing stored.
	csc-store get-conversation "$id" |
		jq -c '{action: "message", conversation: ., step: 1, message: "vNAT"}' >"$BATS_TEST_TMPDIR/stale.json"
	run --separate-stderr csc-ask <"$BATS_TEST_TMPDIR/stale.json"

	assert_failure 73
	assert_equal "$(csc-store get-conversation "$id" | jq -r .answers.service_type)" vRouter
}

# message_body ID STEP ANSWER_JSON: the HTTP API's message body.
message_body() {
	jq -n -c --arg id "$1" --argjson s "$2" --argjson m "$3" \
		'{action: "message", conversation_id: $id, message: $m, step: $s}'
}

@test "start and message take the HTTP API's bodies: one process each, a repeat gets the first reply" {
	local id body first state
	run --separate-stderr csc-store start --api <<<'{"action":"start"}'
	assert_success
	assert_equal "$(jq -c 'keys' <<<"$output")" '["conversation_id","question","step","total_steps"]'
	id=$(jq -r .conversation_id <<<"$output")
	body=$(message_body "$id" 1 '" vnat "')
	run --separate-stderr csc-store message --api <<<"$body"
	assert_success
	first=$output
	assert_equal "$(jq -c '[.done, .step, .question.id]' <<<"$output")" '[false,2,"vendor"]'
	state=$(csc-store get-conversation "$id")
	assert_equal "$(jq -c '[.version, .answers.service_type]' <<<"$state")" '[2,"vNAT"]'
	# The same answer again (a retry), or the same once matched, is the
	# same reply byte for byte, and writes nothing; without --api, the
	# stored state.
	for body in "$body" "$(message_body "$id" 1 '"VNAT"')"; do
		run --separate-stderr csc-store message --api <<<"$body"
		assert_success
		assert_equal "$output" "$first"
		run --separate-stderr csc-store message <<<"$body"
		assert_success
		assert_equal "$output" "$state"
	done
	assert_equal "$(csc-store get-conversation "$id")" "$state"
	# Another answer to the previous step, and an older answer than the
	# last, are conflicts that write nothing.
	run --separate-stderr csc-store message --api <<<"$(message_body "$id" 1 '"vFirewall"')"
	assert_failure 73
	assert_output ''
	assert_equal "$stderr" "csc-store: conversation $id is at step 2, not step 1"
	# A wrong answer lists the options.
	run --separate-stderr csc-store message <<<"{\"action\":\"message\",\"conversation_id\":\"$id\",\"message\":\"Ciscoo\",\"step\":2}"
	assert_failure 65
	assert_output ''
	[[ "$stderr" == *"did you mean"* ]]
	run --separate-stderr csc-store message --api <<<"$(message_body "$id" 2 '"Cisco"')"
	assert_success
	run --separate-stderr csc-store message --api <<<"$(message_body "$id" 1 '"vNAT"')"
	assert_failure 73
	assert_output ''
	assert_equal "$(csc-store get-conversation "$id" | jq -c '[.version, (.history | length)]')" '[3,2]'
	# Wrong bodies are refused.
	run --separate-stderr csc-store message <<<"{\"action\":\"start\",\"conversation_id\":\"$id\"}"
	assert_failure 65
	run --separate-stderr csc-store message <<<'{"action":"message","message":"x","step":2}'
	assert_failure 65
	run --separate-stderr csc-store start <<<'{"action":"start","action":"start"}'
	assert_failure 65
	run --separate-stderr csc-store message --api <<<"{\"action\":\"message\",\"conversation_id\":\"$(new_id)\",\"message\":\"x\",\"step\":1}"
	assert_failure 66
}

@test "get, delete: unknown and expired conversations are not found; bad ids are refused" {
	local id
	id=$(new_id)
	run --separate-stderr csc-store get-conversation "$id"
	assert_failure 66
	assert_equal "$stderr" "csc-store: conversation $id not found"
	run --separate-stderr csc-store delete-conversation "$id"
	assert_failure 66
	id=$(CSC_NOW=1000000000 csc-ask start | CSC_NOW=1000000000 csc-store put-conversation | jq -r .conversation_id)
	run --separate-stderr csc-store get-conversation "$id"
	assert_failure 66
	assert_equal "$stderr" "csc-store: conversation $id expired at 2001-09-16T01:46:40Z"
	run --separate-stderr env CSC_NOW=1000000001 csc-store get-conversation "$id"
	assert_success
	run --separate-stderr csc-store delete-conversation "$id"
	assert_success
	assert_output "{\"conversation_id\":\"$id\",\"deleted\":true}"
	for id in ABCDEF00-0000-0000-0000-000000000000 '../../etc/passwd' '' \
		"$(new_id)x" 'CONVERSATION#x' "$(new_id | tr - _)"; do
		run --separate-stderr csc-store get-conversation "$id"
		assert_failure 65
		assert_output ''
	done
}

@test "a member name given twice is refused with 65, naming the object; nothing is stored" {
	local id
	id=$(new_id)
	run --separate-stderr csc-store put-conversation <<<"{\"conversation_id\":\"$id\",\"version\":1,\"conversation_id\":\"$(new_id)\"}"
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'csc-store: standard input: duplicate key "conversation_id" at .'
	run --separate-stderr csc-store put-conversation <<<"{\"conversation_id\":\"$id\",\"version\":1,\"answers\":{\"vendor\":\"Cisco\",\"vendor\":\"Fortinet\"}}"
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'csc-store: standard input: duplicate key "vendor" at .answers'
	run --separate-stderr csc-store get-conversation - <<<"{\"conversation_id\":\"$id\",\"conversation_id\":\"$(new_id)\"}"
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'csc-store: standard input: duplicate key "conversation_id" at .'
	run --separate-stderr csc-store get-conversation "$id"
	assert_failure 66
}

@test "a CSC_MAX_INPUT that is not a whole number is a configuration error (78)" {
	CSC_MAX_INPUT=abc run --separate-stderr csc-store put-conversation <<<"{\"conversation_id\":\"$(new_id)\",\"version\":1}"
	assert_failure 78
	assert_output ""
	assert_equal "$stderr" 'csc-store: CSC_MAX_INPUT must be a whole number from 1 to 1073741824'
	CSC_MAX_INPUT=abc run --separate-stderr csc-store get-code - <<<'{}'
	assert_failure 78
	CSC_MAX_INPUT=abc run --separate-stderr csc-store put-code <<<'{}'
	assert_failure 78
}

@test "bad JSON, wrong shapes and usage errors get SPEC section 3's exit codes" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	run --separate-stderr csc-store put-conversation <<<'{"conversation_id": '
	assert_failure 65
	assert_equal "$stderr" "csc-store: standard input: invalid JSON near byte 20"
	# cJSON would cut the string at an escaped NUL and store the rest lost.
	run --separate-stderr csc-store put-conversation <<<"{\"conversation_id\":\"$sid\",\"version\":1,\"x\":\"a\\u0000b\"}"
	assert_failure 65
	assert_equal "$stderr" 'csc-store: standard input: \u0000 in a JSON string at byte 76'
	run --separate-stderr csc-store put-conversation <<<'[1]'
	assert_failure 65
	run --separate-stderr csc-store put-conversation <<<"{\"conversation_id\":\"$sid\",\"version\":0}"
	assert_failure 65
	run --separate-stderr csc-store put-conversation <<<"{\"conversation_id\":\"$sid\",\"version\":1,\"expires_at\":\"soon\"}"
	assert_failure 65
	run --separate-stderr csc-store put-code <<<"{\"service_id\":\"$sid\",\"code_id\":\"$cid\",\"files\":[]}"
	assert_failure 65
	run --separate-stderr csc-store put-code <<<"{\"service_id\":\"$sid\",\"code_id\":\"$cid\",\"files\":[{\"name\":\"../x\",\"content\":\"\"}]}"
	assert_failure 65
	assert_equal "$stderr" "csc-store: file 1: name must be a plain file name (no path, 1-255 bytes)"
	run --separate-stderr csc-store put-code <<<"{\"service_id\":\"$sid\",\"code_id\":\"$cid\",\"files\":[{\"name\":\"a\",\"content\":1}]}"
	assert_failure 65
	run --separate-stderr csc-store put-code <<<"{\"service_id\":\"$sid\",\"code_id\":\"$cid\",\"files\":[{\"name\":\"a\",\"content\":\"\"},{\"name\":\"a\",\"content\":\"\"}]}"
	assert_failure 65
	run --separate-stderr csc-store put-code <<<"{\"service_id\":\"$sid\",\"code_id\":\"NOT-A-UUID\",\"files\":[{\"name\":\"a\",\"content\":\"\"}]}"
	assert_failure 65
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_failure 66
	run --separate-stderr csc-store get-code "$sid"
	assert_failure 64
	run --separate-stderr csc-store frobnicate
	assert_failure 64
	run --separate-stderr csc-store get-code --lease 5 "$sid" "$cid"
	assert_failure 64
	run --separate-stderr csc-store claim-job "$sid" "$cid"
	assert_failure 64
	run --separate-stderr csc-store claim-job "$sid" "$cid" --lease 0
	assert_failure 64
	run --separate-stderr csc-store get-service "$sid"
	assert_failure 66
	run csc-store --help
	assert_success
	assert_line --index 0 --partial 'usage: csc-store'
	run csc-store --version
	assert_output --regexp '^csc-store [0-9]+\.[0-9]+\.[0-9]+$'
	# No credentials: a configuration error, before any request.
	run --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY csc-store get-conversation "$sid"
	assert_failure 78
}

@test "a bad CSC_NOW exits 78 with one line naming it, before any request" {
	local before
	before=$(wc -l <"$STACK_DIR/dynamodb-requests.jsonl")
	CSC_NOW=abc run --separate-stderr csc-store list-jobs
	assert_failure 78
	assert_output ''
	assert_equal "$stderr" "csc-store: CSC_NOW must be seconds since the epoch, not 'abc'"
	CSC_NOW=abc run --separate-stderr csc-store start <<<'{"action":"start"}'
	assert_failure 78
	assert_output ''
	assert_equal "$(wc -l <"$STACK_DIR/dynamodb-requests.jsonl")" "$before"
}

@test "throttling, 5xx and dropped connections on some requests are retried; the bundle is stored" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	faults s3 '[{"match": {"method": "PUT", "path": "README"}, "action": "500", "times": 2},
		{"match": {"method": "PUT", "path": "config"}, "action": "throttle", "times": 1},
		{"match": {"method": "PUT", "path": "requirements"}, "action": "drop", "times": 1}]'
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.UpdateItem"}, "action": "throttle", "times": 2},
		{"match": {"target": "DynamoDB_20120810.UpdateItem"}, "action": "503", "times": 1}]'
	bundle "$sid" "$cid" 5000 >"$BATS_TEST_TMPDIR/in.json"
	run --separate-stderr csc-store -v put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" "done"
	assert_equal "$(grep -c 'retrying' <<<"$stderr")" 7
	run --separate-stderr csc-store get-code --content "$sid" "$cid"
	assert_success
	assert_equal "$(jq '.files | length' <<<"$output")" 6
}

@test "a persistent S3 failure exits 69 with nothing on stdout and no CODE# item" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	faults s3 '[{"match": {"method": "PUT", "path": "README"}, "action": "503"}]'
	run --separate-stderr csc-store put-code < <(bundle "$sid" "$cid" 100)
	assert_failure 69
	assert_output ''
	assert_equal "$stderr" "csc-store: S3 PutObject $sid/$cid/README.md: ServiceUnavailable: Service is unable to handle request."
	run python3 "$ORACLE" get "SERVICE#$sid" "CODE#$cid"
	assert_failure 1
	run python3 "$ORACLE" get "SERVICE#$sid" METADATA
	assert_failure 1
	# A dropped connection every time: the same.
	faults s3 '[{"match": {"method": "PUT"}, "action": "drop"}]'
	run --separate-stderr csc-store put-code < <(bundle "$sid" "$cid" 100)
	assert_failure 69
	assert_output ''
	run python3 "$ORACLE" get "SERVICE#$sid" "CODE#$cid"
	assert_failure 1
}

@test "persistent throttling exits 75; failed metadata leaves no CODE# item" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.UpdateItem"}, "action": "throttle"}]'
	run --separate-stderr csc-store put-code < <(bundle "$sid" "$cid" 100)
	assert_failure 75
	assert_output ''
	[[ "$stderr" == "csc-store: DynamoDB UpdateItem: ThrottlingException: "* ]]
	run python3 "$ORACLE" get "SERVICE#$sid" "CODE#$cid"
	assert_failure 1
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.GetItem"}, "action": "500"}]'
	run --separate-stderr csc-store get-conversation "$sid"
	assert_failure 69
	assert_output ''
}

@test "a slow answer within the timeout is awaited, one past it retried, and always past it exits 69" {
	local id
	id=$(csc-ask start | csc-store put-conversation | jq -r .conversation_id)
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.GetItem"}, "action": "slow", "delay_ms": 1200, "times": 1}]'
	run --separate-stderr env CSC_TIMEOUT_MS=10000 csc-store -v get-conversation "$id"
	assert_success
	refute [ "$(grep -c retrying <<<"$stderr")" -gt 0 ]
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.GetItem"}, "action": "slow", "delay_ms": 1200, "times": 1}]'
	run --separate-stderr env CSC_TIMEOUT_MS=400 csc-store -v get-conversation "$id"
	assert_success
	assert_equal "$(jq -r .conversation_id <<<"$output")" "$id"
	assert_equal "$(grep -c 'retrying POST' <<<"$stderr")" 1
	assert_equal "$(grep -c 'Timeout was reached' <<<"$stderr")" 1
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.GetItem"}, "action": "slow", "delay_ms": 1200}]'
	run --separate-stderr env CSC_TIMEOUT_MS=300 AWS_MAX_ATTEMPTS=2 csc-store get-conversation "$id"
	assert_failure 69
	assert_output ''
	assert_equal "$stderr" "csc-store: DynamoDB GetItem: Timeout was reached (after 2 attempts)"
}

# requests_since SERVICE N TARGET: how many requests to TARGET the proxy
# logged after line N.
requests_since() {
	tail -n "+$(($2 + 1))" "$STACK_DIR/$1-requests.jsonl" |
		jq -s --arg t "$3" 'map(select(.target == $t)) | length'
}

@test "a frozen DynamoDB (SIGSTOP): get-conversation exits 75 at CSC_DEADLINE_MS, one line, nothing on stdout" {
	local id pid
	id=$(csc-ask start | csc-store put-conversation | jq -r .conversation_id)
	pid=$(cat "$STACK_DIR/dynalite.pid")
	kill -STOP "$pid"
	# timeout(1) bounds the run should the deadline be ignored (4 attempts
	# of CSC_TIMEOUT_MS, 30 s each); teardown resumes dynalite.
	run --separate-stderr timeout 20 env CSC_DEADLINE_MS=2000 csc-store get-conversation "$id"
	kill -CONT "$pid"
	assert_failure 75
	assert_output ''
	assert_equal "$stderr" "csc-store: deadline of 2000 ms passed after 1 attempt: DynamoDB GetItem: Timeout was reached"
	# Without CSC_DEADLINE_MS, the same request once DynamoDB is back.
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_equal "$(jq -r .conversation_id <<<"$output")" "$id"
}

@test "a retry whose Retry-After would pass CSC_DEADLINE_MS is not waited for: exit 75 after one request" {
	local id n
	id=$(csc-ask start | csc-store put-conversation | jq -r .conversation_id)
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.GetItem"}, "action": "500", "retry_after": 10}]'
	n=$(log_lines dynamodb)
	run --separate-stderr timeout 20 env CSC_DEADLINE_MS=2000 csc-store -v get-conversation "$id"
	assert_failure 75
	assert_output ''
	refute_regex "$stderr" 'retrying'
	assert_equal "${stderr##*$'\n'}" "csc-store: deadline of 2000 ms passed after 1 attempt: DynamoDB GetItem: InternalServerError: Internal server error"
	assert_equal "$(requests_since dynamodb "$n" DynamoDB_20120810.GetItem)" 1
}

@test "put-code stopped by CSC_DEADLINE_MS in its uploads exits 75, nothing on stdout, no CODE# item" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	faults s3 '[{"match": {"method": "PUT", "path": "README"}, "action": "slow", "delay_ms": 4000}]'
	run --separate-stderr timeout 20 env CSC_DEADLINE_MS=1500 csc-store put-code < <(bundle "$sid" "$cid" 100)
	assert_failure 75
	assert_output ''
	assert_equal "$stderr" "csc-store: deadline of 1500 ms passed after 1 attempt: S3 PutObject $sid/$cid/README.md: Timeout was reached"
	run python3 "$ORACLE" get "SERVICE#$sid" "CODE#$cid"
	assert_failure 1
}

@test "every request passes the proxy's signature check: awkward keys, session tokens" {
	local sid cid s3n ddbn
	sid=$(new_id) cid=$(new_id)
	s3n=$(log_lines s3) ddbn=$(log_lines dynamodb)
	bundle "$sid" "$cid" 10 | jq -c '.files = [{"name": "a file with spaces.txt", "content": "1"},
		{"name": "ünïcödé ✓.md", "content": "2"}, {"name": "plus+sign=eq&amp.txt", "content": "3"},
		{"name": "semi;colon,comma~tilde*star.py", "content": "4"}]' >"$BATS_TEST_TMPDIR/in.json"
	run --separate-stderr env AWS_ACCESS_KEY_ID=ASIASTORETEMPKEY AWS_SECRET_ACCESS_KEY=store-temp-secret \
		AWS_SESSION_TOKEN="$TOKEN" csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	run --separate-stderr env AWS_ACCESS_KEY_ID=ASIASTORETEMPKEY AWS_SECRET_ACCESS_KEY=store-temp-secret \
		AWS_SESSION_TOKEN="$TOKEN" csc-store get-code --content "$sid" "$cid"
	assert_success
	assert_equal "$(jq -r '[.files[].content] | join("")' <<<"$output")" 1234
	run --separate-stderr csc-store delete-service "$sid"
	assert_success
	sig_ok_since s3 "$s3n"
	sig_ok_since dynamodb "$ddbn"
	run jq -s -r --argjson n "$s3n" '.[$n:] | map(.access_key) | unique | join(" ")' "$STACK_DIR/s3-requests.jsonl"
	assert_output 'AKIDLOCALSTACK ASIASTORETEMPKEY'
}

@test "a signed header altered in flight gets 403 and exit 77" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.GetItem"}, "action": "alter-header",
		"header": "X-Amz-Target", "value": "DynamoDB_20120810.DeleteItem"}]'
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_failure 77
	assert_output ''
	[[ "$stderr" == "csc-store: DynamoDB GetItem: InvalidSignatureException: "* ]]
	faults s3 '[{"match": {"method": "PUT"}, "action": "alter-header", "header": "Content-Type", "value": "text/evil"}]'
	run --separate-stderr csc-store put-code < <(bundle "$sid" "$cid" 10)
	assert_failure 77
	assert_output ''
	[[ "$stderr" == "csc-store: S3 PutObject $sid/$cid/"*": SignatureDoesNotMatch: "* ]]
	# A key whose secret csc-store does not have (a key of its own, so that
	# the suite's last test can tell these requests from the rest).
	run --separate-stderr env AWS_ACCESS_KEY_ID=AKIDWRONGSECRET AWS_SECRET_ACCESS_KEY=not-the-secret \
		csc-store get-service "$sid"
	assert_failure 77
}

@test "export writes the files whole; get-service lists the codes" {
	local sid cid cid2
	sid=$(new_id) cid=$(new_id) cid2=$(new_id)
	bundle "$sid" "$cid" 3000 >"$BATS_TEST_TMPDIR/in.json"
	csc-store put-code <"$BATS_TEST_TMPDIR/in.json" >/dev/null
	bundle "$sid" "$cid2" 10 | csc-store put-code >/dev/null
	run --separate-stderr csc-store export "$sid" "$cid" --dir "$BATS_TEST_TMPDIR/out"
	assert_success
	assert_equal "$(find "$BATS_TEST_TMPDIR/out" -type f -printf '%f\n' | sort | tr '\n' ' ')" \
		'README.md api_routes.py backend_service.py config.yaml database_schema.sql requirements.txt '
	jq -j '.files[] | select(.name == "backend_service.py") | .content' "$BATS_TEST_TMPDIR/in.json" |
		cmp - "$BATS_TEST_TMPDIR/out/backend_service.py"
	(cd "$BATS_TEST_TMPDIR/out" && sha256sum -- *) | sort >"$BATS_TEST_TMPDIR/sums"
	jq -r '.files[] | "\(.sha256)  \(.name)"' <<<"$output" | sort | diff - "$BATS_TEST_TMPDIR/sums"
	run --separate-stderr csc-store get-service "$sid"
	assert_success
	assert_equal "$(jq -r '.latest_code_id, (.codes | length), .service_data.vendor' <<<"$output")" \
		"$cid2
2
Cisco"
}

@test "delete-service removes every item and every object version" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 10 >"$BATS_TEST_TMPDIR/in.json"
	csc-store put-code <"$BATS_TEST_TMPDIR/in.json" >/dev/null
	# A second version of each object, written out of band.
	while read -r key; do
		aws s3api put-object --bucket cloudservicecreator-code --key "$key" >/dev/null
	done < <(jq -r --arg sid "$sid" --arg cid "$cid" '.files[] | "\($sid)/\($cid)/\(.name)"' "$BATS_TEST_TMPDIR/in.json")
	run aws s3api list-object-versions --bucket cloudservicecreator-code --prefix "$sid/" --output json
	assert_equal "$(jq '.Versions | length' <<<"$output")" 12
	run --separate-stderr csc-store delete-service "$sid"
	assert_success
	assert_equal "$(jq -c '[.deleted_items, .deleted_object_versions]' <<<"$output")" '[2,12]'
	run aws s3api list-object-versions --bucket cloudservicecreator-code --prefix "$sid/" --output json
	assert_equal "$(jq '[.Versions[]?, .DeleteMarkers[]?] | length' <<<"${output:-null}")" 0
	run --separate-stderr csc-store get-service "$sid"
	assert_failure 66
	run --separate-stderr csc-store delete-service "$sid"
	assert_failure 66
}

# versions SID: "KEY VERSION_ID" of every object version under SID/, sorted.
versions() {
	aws s3api list-object-versions --bucket cloudservicecreator-code --prefix "$1/" --output json |
		jq -r '[.Versions[]?, .DeleteMarkers[]?] | map("\(.Key) \(.VersionId)") | sort | .[]'
}

# one_file SID CID NAME CONTENT [NAME CONTENT...]: a bundle of those files.
one_file() {
	local sid="$1" cid="$2"
	shift 2
	jq -n -c --arg s "$sid" --arg c "$cid" '{service_id: $s, code_id: $c,
		files: [$ARGS.positional | _nwise(2) | {name: .[0], content: .[1]}]}' --args "$@"
}

@test "a put-code refused for other files changes no object and leaves none behind" {
	local sid cid before url
	sid=$(new_id) cid=$(new_id)
	one_file "$sid" "$cid" README.md ORIGINAL | csc-store put-code >/dev/null
	before=$(versions "$sid")
	assert_equal "$(wc -l <<<"$before")" 1
	run --separate-stderr csc-store put-code < <(one_file "$sid" "$cid" README.md REPLACED extra.txt 'not wanted')
	assert_failure 73
	assert_output ''
	assert_equal "$stderr" "csc-store: code $sid/$cid is already stored with other files (s3://cloudservicecreator-code/$sid/$cid/README.md holds other bytes)"
	# No new version of README.md, and no extra.txt, not even a deleted one.
	assert_equal "$(versions "$sid")" "$before"
	url=$(csc-store get-code "$sid" "$cid" | csc-presign | jq -r '.files[0].url')
	assert_equal "$(curl -sSf "$url")" ORIGINAL
	run --separate-stderr csc-store get-code --content "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.files[] | [.name, .content]]' <<<"$output")" '[["README.md","ORIGINAL"]]'
}

@test "the same bundle again, or after a lost reply, is stored once: no second object version" {
	local sid cid first
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 100 >"$BATS_TEST_TMPDIR/in.json"
	# README.md's PUT is done but its answer lost: the retry finds it there.
	faults s3 '[{"match": {"method": "PUT", "path": "README"}, "action": "drop-after-forward", "times": 1}]'
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	first=$output
	assert_equal "$(versions "$sid" | wc -l)" 6
	# The records name the versions there are.
	assert_equal "$(jq -r '.files[] | "\(.key) \(.version_id)"' <<<"$first" | sort)" "$(versions "$sid")"
	rm -f "$STACK_DIR/faults-s3.json"
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	assert_equal "$(jq -S -c .files <<<"$output")" "$(jq -S -c .files <<<"$first")"
	assert_equal "$(versions "$sid" | wc -l)" 6
	run --separate-stderr csc-store get-code --check "$sid" "$cid"
	assert_success
}

@test "objects whose metadata write was lost are taken up by the retry, not written again" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 100 >"$BATS_TEST_TMPDIR/in.json"
	# Every UpdateItem of the code item reaches DynamoDB, every answer is
	# lost: put-code cannot tell, and keeps its objects.
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.UpdateItem"}, "action": "drop-after-forward", "times": 4}]'
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_failure 69
	assert_equal "$(versions "$sid" | wc -l)" 6
	rm -f "$STACK_DIR/faults-dynamodb.json"
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	assert_equal "$(jq -r '.files[] | "\(.key) \(.version_id)"' <<<"$output" | sort)" "$(versions "$sid")"
	run --separate-stderr csc-store get-code --check "$sid" "$cid"
	assert_success
}

@test "a put-code whose metadata write fails takes back the objects it stored" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 100 >"$BATS_TEST_TMPDIR/in.json"
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.UpdateItem"}, "action": "503"}]'
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_failure 69
	assert_output ''
	assert_equal "$(versions "$sid")" ''
	rm -f "$STACK_DIR/faults-dynamodb.json"
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	assert_equal "$(versions "$sid" | wc -l)" 6
}

@test "an object overwritten out of band: presigned URLs still serve the recorded bytes" {
	local sid cid key sum url
	sid=$(new_id) cid=$(new_id)
	one_file "$sid" "$cid" README.md ORIGINAL | csc-store put-code >/dev/null
	key="$sid/$cid/README.md"
	printf 'OVERWRITTEN' >"$BATS_TEST_TMPDIR/other"
	aws s3api put-object --bucket cloudservicecreator-code --key "$key" --body "$BATS_TEST_TMPDIR/other" >/dev/null
	sum=$(printf ORIGINAL | sha256sum)
	sum=${sum%% *}
	# csc-presign on get-code's records, and get-code --api's own URLs.
	for url in "$(csc-store get-code "$sid" "$cid" | csc-presign | jq -r '.files[0].url')" \
		"$(csc-store get-code --api "$sid" "$cid" | jq -r '.files[0].url')"; do
		assert_equal "$(curl -sSf "$url")" ORIGINAL
		assert_equal "$(jq -r .sha256 <<<"$(csc-store get-code "$sid" "$cid" | jq .files[0])")" "$sum"
	done
	# A URL of the key alone serves what is there now.
	assert_equal "$(curl -sSf "$(csc-presign "s3://cloudservicecreator-code/$key")")" OVERWRITTEN
}

@test "jobs: put, claim with a lease, a second claim refused, an expired lease re-claimed, finished" {
	local sid cid now
	now=$(date +%s)
	sid=$(new_id)
	run --separate-stderr csc-store put-job <<<"{\"service_id\":\"$sid\",\"service_data\":{\"service_type\":\"vDNS\"}}"
	assert_success
	cid=$(jq -r .code_id <<<"$output")
	assert_equal "$(jq -c '[.status, .attempts]' <<<"$output")" '["pending",0]'
	run --separate-stderr csc-store put-job <<<"{\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_failure 73
	run --separate-stderr env CSC_NOW="$now" csc-store claim-job "$sid" "$cid" --lease 60
	assert_success
	assert_equal "$(jq -c "[.status, .attempts, .lease_until - $now, .service_data.service_type]" <<<"$output")" \
		'["running",1,60,"vDNS"]'
	run --separate-stderr env CSC_NOW="$((now + 30))" csc-store claim-job "$sid" "$cid" --lease 60
	assert_failure 73
	assert_output ''
	# Not expired yet, then expired: the sweeper's view.
	run --separate-stderr env CSC_NOW="$((now + 30))" csc-store list-jobs --expired
	assert_success
	refute_output --partial "$cid"
	run --separate-stderr env CSC_NOW="$((now + 61))" csc-store list-jobs --expired
	assert_success
	assert_equal "$(jq -c --arg c "$cid" '.jobs[] | select(.code_id == $c) | [.status, .attempts]' <<<"$output")" '["running",1]'
	run --separate-stderr env CSC_NOW="$((now + 61))" csc-store claim-job "$sid" "$cid" --lease 60
	assert_success
	assert_equal "$(jq .attempts <<<"$output")" 2
	# Done needs the files; failed is final and leaves the index.
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status "done"
	assert_failure 73
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status failed --error 'Claude said no'
	assert_success
	assert_equal "$(jq -c '[.status, .error, .lease_until]' <<<"$output")" '["failed","Claude said no",null]'
	run --separate-stderr env CSC_NOW="$((now + 100000))" csc-store list-jobs
	refute_output --partial "$cid"
	run --separate-stderr csc-store claim-job "$sid" "$(new_id)" --lease 60
	assert_failure 66
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status maybe
	assert_failure 64
}

@test "jobs: of two runners claiming one job, one wins; put-code finishes it" {
	local sid cid i rc
	sid=$(new_id)
	cid=$(csc-store put-job <<<"{\"service_id\":\"$sid\"}" | jq -r .code_id)
	for i in 1 2; do
		(
			rc=0
			csc-store claim-job "$sid" "$cid" --lease 300 >/dev/null 2>&1 || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/rc$i"
		) &
	done
	wait
	assert_equal "$(sort "$BATS_TEST_TMPDIR"/rc* | tr '\n' ' ')" '0 73 '
	bundle "$sid" "$cid" 10 | csc-store put-code >/dev/null
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status "done"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" "done"
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status failed
	assert_failure 73
	run --separate-stderr csc-store list-jobs
	refute_output --partial "$cid"
}

@test "jobs: a runner whose lease was taken over renews, stores and finishes nothing" {
	local sid cid now old new
	now=$(date +%s)
	sid=$(new_id)
	cid=$(csc-store put-job <<<"{\"service_id\":\"$sid\"}" | jq -r .code_id)
	old=$(env CSC_NOW="$now" csc-store claim-job "$sid" "$cid" --lease 60 | jq -r .lease_token)
	[[ "$old" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] || fail "lease token '$old'"
	# The holder renews its lease; a stranger cannot.
	run --separate-stderr env CSC_NOW="$((now + 50))" csc-store renew-job "$sid" "$cid" --token "$old" --lease 60
	assert_success
	assert_equal "$(jq -c "[.status, .lease_until - $now, .lease_token == \"$old\"]" <<<"$output")" '["running",110,true]'
	run --separate-stderr csc-store renew-job "$sid" "$cid" --token "$(new_id)" --lease 60
	assert_failure 73
	assert_equal "$stderr" "csc-store: job $sid/$cid cannot be renewed: another runner's lease holds it now"
	# The lease runs out; a sweep's runner claims the job with a new token.
	new=$(env CSC_NOW="$((now + 111))" csc-store claim-job "$sid" "$cid" --lease 60 | jq -r .lease_token)
	[ -n "$new" ] && [ "$new" != "$old" ] || fail "no new lease token: '$new'"
	# The old runner: refused before it uploads anything, then at the end.
	run --separate-stderr csc-store renew-job "$sid" "$cid" --token "$old" --lease 60
	assert_failure 73
	run --separate-stderr csc-store put-code --token "$old" < <(bundle "$sid" "$cid" 10)
	assert_failure 73
	assert_output ''
	assert_equal "$stderr" "csc-store: job $sid/$cid is no longer held by this runner (running, another lease); nothing written"
	assert_equal "$(versions "$sid")" ''
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status failed --error late --token "$old"
	assert_failure 73
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .error, .lease_token == "'"$new"'"]' <<<"$output")" '["running",null,true]'
	# The new runner stores and finishes it.
	bundle "$sid" "$cid" 10 | csc-store put-code --token "$new" >/dev/null
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status "done" --token "$new"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" "done"
	# Done, the old token still stores nothing: its own other bytes are
	# refused and taken back.
	run --separate-stderr csc-store put-code --token "$old" < <(bundle "$sid" "$cid" 20)
	assert_failure 73
	assert_equal "$(versions "$sid" | wc -l)" 6
	run --separate-stderr csc-store finish-job "$sid" "$cid" --status "done" --token "$old"
	assert_failure 73
	run --separate-stderr csc-store renew-job "$sid" "$cid" --lease 60
	assert_failure 64
}

# from_container DIR COMMAND...: COMMAND with no credentials but those of
# the container credentials endpoint (metadata.py) started in DIR.
from_container() {
	local port
	port=$(cat "$1/port")
	shift
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port/creds" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN=container-auth-token "$@"
}

@test "one run that uses DynamoDB and S3 asks the container credentials endpoint once" {
	local sid cid meta s3n ddbn
	sid=$(new_id) cid=$(new_id)
	meta="$BATS_TEST_TMPDIR/server-metadata"
	mkdir "$meta"
	start_server "$meta" python3 "$CSC_TOP/tests/servers/metadata.py" --log "$meta/requests.log"
	# The proxies accept the keys the endpoint hands out (a new one for
	# every answer: ASIATESTKEY0001, 0002, ...).
	jq '. + ([range(1; 7)] | map({key: ("ASIATESTKEY000\(.)"),
		value: {secret: "test-secret-000\(.)", token: "test-session-token-000\(.)"}}) | from_entries)' \
		"$STACK_DIR/credentials.json" >"$STACK_DIR/credentials.json.tmp"
	mv "$STACK_DIR/credentials.json.tmp" "$STACK_DIR/credentials.json"
	bundle "$sid" "$cid" 100 >"$BATS_TEST_TMPDIR/in.json"
	s3n=$(log_lines s3) ddbn=$(log_lines dynamodb)
	: >"$meta/requests.log"
	run --separate-stderr from_container "$meta" csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	assert_equal "$(cat "$meta/requests.log")" "GET /creds"
	: >"$meta/requests.log"
	run --separate-stderr from_container "$meta" csc-store get-code --content "$sid" "$cid"
	assert_success
	assert_equal "$(cat "$meta/requests.log")" "GET /creds"
	assert_equal "$(jq -r .files[0].content <<<"$output")" "$(jq -r .files[0].content "$BATS_TEST_TMPDIR/in.json")"
	# Both services were asked by both runs, each run with its one key.
	run jq -s -r --argjson n "$s3n" '.[$n:] | map(.access_key) | unique | join(" ")' "$STACK_DIR/s3-requests.jsonl"
	assert_output 'ASIATESTKEY0001 ASIATESTKEY0002'
	run jq -s -r --argjson n "$ddbn" '.[$n:] | map(.access_key) | unique | join(" ")' "$STACK_DIR/dynamodb-requests.jsonl"
	assert_output 'ASIATESTKEY0001 ASIATESTKEY0002'
}

@test "a 403 refusal is a permission error (77), whether DynamoDB's answer names it or not" {
	local srv base id
	srv="$BATS_TEST_TMPDIR/server-scripted"
	mkdir "$srv"
	start_server "$srv" python3 "$CSC_TOP/tests/servers/scripted.py"
	base="http://127.0.0.1:$(cat "$srv/port")"
	id=$(new_id)
	# An IAM-enforcing emulator: 403 (AWS itself says 400) with the
	# __type in the body, or only in the x-amzn-ErrorType header.
	AWS_ENDPOINT_URL_DYNAMODB="$base/denied" run --separate-stderr csc-store get-conversation "$id"
	assert_failure 77
	assert_equal "$stderr" "csc-store: DynamoDB GetItem: AccessDeniedException: User: arn:aws:iam::000000000000:user/csc is not authorized to perform: dynamodb:GetItem"
	AWS_ENDPOINT_URL_DYNAMODB="$base/denied-header" run --separate-stderr csc-store get-conversation "$id"
	assert_failure 77
	assert_equal "$stderr" "csc-store: DynamoDB GetItem: AccessDeniedException: User: arn:aws:iam::000000000000:user/csc is not authorized to perform: dynamodb:GetItem"
	# A bare 403 without any name (a proxy in front): still a refusal.
	AWS_ENDPOINT_URL_DYNAMODB="$base/status/403" run --separate-stderr csc-store get-conversation "$id"
	assert_failure 77
	assert_equal "$stderr" "csc-store: DynamoDB GetItem: HTTP 403: access denied"
	# S3's bare 403 too (its named ones are the signature tests').
	AWS_ENDPOINT_URL_S3="$base/status/403" run --separate-stderr csc-store put-code < <(bundle "$id" "$(new_id)" 10)
	assert_failure 77
	[[ "$stderr" == "csc-store: S3 PutObject $id/"*": Forbidden" ]]
	assert_output ''
}

# vg ARGS...: run a program under valgrind; exit 99 on any memory error.
@test "sweep-orphans removes old object versions no item records, and keeps recorded and young ones" {
	local sid cid old young t_old t_young
	sid=$(new_id) cid=$(new_id)
	one_file "$sid" "$cid" README.md KEPT | csc-store put-code >/dev/null
	# An orphan, then a young one two seconds later (S3 times are seconds).
	old="$sid/orphans/old.txt" young="$sid/orphans/young.txt"
	aws s3api put-object --bucket cloudservicecreator-code --key "$old" >/dev/null
	t_old=$(aws s3api list-object-versions --bucket cloudservicecreator-code --prefix "$old" --output json |
		jq '.Versions[0].LastModified | sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdate')
	while [ "$(date +%s)" -le "$((t_old + 2))" ]; do sleep 0.2; done
	aws s3api put-object --bucket cloudservicecreator-code --key "$young" >/dev/null
	t_young=$(aws s3api list-object-versions --bucket cloudservicecreator-code --prefix "$young" --output json |
		jq '.Versions[0].LastModified | sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdate')
	[ "$t_young" -ge "$((t_old + 2))" ] || fail "young orphan at $t_young, old at $t_old"
	# Ten seconds of age: the old orphan has it at old + 11, the young one not.
	run --separate-stderr env CSC_NOW="$((t_old + 11))" csc-store sweep-orphans --older-than 10 --dry-run
	assert_success
	assert_equal "$(jq -c '[.dry_run, .deleted, .orphans >= 1, .young >= 1, .referenced >= 1]' <<<"$output")" '[true,0,true,true,true]'
	assert_equal "$(versions "$sid" | wc -l)" 3
	run --separate-stderr env CSC_NOW="$((t_old + 11))" CSC_ORPHAN_AGE=10 csc-job sweep --orphans
	assert_success
	assert_equal "$(jq -c '[.dry_run, .deleted == .orphans, .orphans >= 1]' <<<"$output")" '[false,true,true]'
	assert_equal "$(versions "$sid" | cut -d' ' -f1)" "$sid/$cid/README.md
$young"
	run --separate-stderr csc-store get-code --check "$sid" "$cid"
	assert_success
	# Nothing is an orphan twice.
	run --separate-stderr env CSC_NOW="$((t_old + 11))" csc-store sweep-orphans --older-than 10
	assert_success
	assert_equal "$(jq -c '[.orphans, .deleted]' <<<"$output")" '[0,0]'
}

vg() {
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 "$@"
}

@test "csc-store is clean under valgrind on its requests, retries and error paths" {
	local sid cid id token
	case "$CSC_BUILD" in *san*) skip "the sanitizer build checks memory itself" ;; esac
	sid=$(new_id) cid=$(new_id)
	bundle "$sid" "$cid" 20000 >"$BATS_TEST_TMPDIR/in.json"
	faults s3 '[{"match": {"method": "PUT", "path": "README"}, "action": "500", "times": 1}]'
	faults dynamodb '[{"match": {"target": "DynamoDB_20120810.UpdateItem"}, "action": "throttle", "times": 1}]'
	run vg csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	run vg csc-store get-code --content "$sid" "$cid"
	assert_success
	run vg csc-store get-code --check "$sid" "$cid"
	assert_success
	run vg csc-store export "$sid" "$cid" --dir "$BATS_TEST_TMPDIR/out"
	assert_success
	run vg csc-store get-service "$sid"
	assert_success
	id=$(csc-ask start | csc-store put-conversation | jq -r .conversation_id)
	run vg csc-store get-conversation "$id"
	assert_success
	csc-store get-conversation "$id" | csc-ask answer vNAT >"$BATS_TEST_TMPDIR/s2.json"
	run vg csc-store put-conversation <"$BATS_TEST_TMPDIR/s2.json"
	assert_success
	# The same state again is stored already (a retry); another state of
	# the same version is another writer's, refused.
	run vg csc-store put-conversation <"$BATS_TEST_TMPDIR/s2.json"
	assert_success
	jq '.note = 1' "$BATS_TEST_TMPDIR/s2.json" >"$BATS_TEST_TMPDIR/s3.json"
	run vg csc-store put-conversation <"$BATS_TEST_TMPDIR/s3.json"
	assert_failure 73
	# A message, its repeat, and a conflict.
	run vg csc-store message --api <<<"$(message_body "$id" 2 '"Cisco"')"
	assert_success
	run vg csc-store message <<<"$(message_body "$id" 2 '"cisco"')"
	assert_success
	run vg csc-store message --api <<<"$(message_body "$id" 2 '"Juniper"')"
	assert_failure 73
	cid=$(csc-store put-job <<<"{\"service_id\":\"$sid\"}" | jq -r .code_id)
	run vg csc-store claim-job "$sid" "$cid" --lease 60
	assert_success
	run vg csc-store claim-job "$sid" "$cid" --lease 60
	assert_failure 73
	run vg csc-store list-jobs
	assert_success
	token=$(csc-store get-code "$sid" "$cid" | jq -r .lease_token)
	run vg csc-store renew-job "$sid" "$cid" --token "$token" --lease 60
	assert_success
	run vg csc-store renew-job "$sid" "$cid" --token "$(new_id)" --lease 60
	assert_failure 73
	run vg csc-store put-code --token "$(new_id)" < <(bundle "$sid" "$cid" 10)
	assert_failure 73
	run vg csc-store finish-job "$sid" "$cid" --status failed --error x --token "$token"
	assert_success
	run vg csc-store delete-service "$sid"
	assert_success
	run vg csc-store init
	assert_success
	run vg csc-store sweep-orphans --dry-run
	assert_success
	one_file "$sid" "$cid" README.md A | csc-store put-code >/dev/null
	run vg csc-store put-code < <(one_file "$sid" "$cid" README.md B extra.txt C)
	assert_failure 73
	faults s3 '[{"match": {"method": "PUT"}, "action": "503"}]'
	run vg csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_failure 69
	run vg csc-store get-conversation nope
	assert_failure 65
	run vg csc-store put-code <<<'{"files":'
	assert_failure 65
}

# Last, over everything the suite sent: each request's signature was
# recomputed by botocore and matched, except the ones spoiled on purpose.
@test "every request of this suite passed the proxy's signature check" {
	local log
	for log in "$STACK_DIR/s3-requests" "$STACK_DIR/dynamodb-requests"; do
		run jq -s -c --argjson from "$(cat "$log.start")" '.[$from:] |
			map(select(.fault != "alter-header" and .access_key != "AKIDWRONGSECRET")) |
			length' "$log.jsonl"
		[ "$output" -gt 50 ]
		# Any request that did not pass is shown, to say which it was.
		run jq -s -c --argjson from "$(cat "$log.start")" '.[$from:][] |
			select(.fault != "alter-header" and .access_key != "AKIDWRONGSECRET" and .sig != "ok")' "$log.jsonl"
		assert_output ''
	done
}

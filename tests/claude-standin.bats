#!/usr/bin/env bats
# The local Anthropic-API stand-in (deploy/local/claude-standin.js): wire
# format, request checks, generated bundles, scripted faults and batches,
# exercised with curl as a client would.
# shellcheck shell=bash

load helper

FIX="$BATS_TEST_DIRNAME/fixtures/claude"
FILES='["README.md","api_routes.py","backend_service.py","config.yaml","database_schema.sql","requirements.txt"]'
MARK='Generated offline by the csc Claude stand-in'

setup_file() {
	local dir="$BATS_FILE_TMPDIR" port
	export STANDIN="$CSC_TOP/deploy/local/claude-standin.js"
	export FAULTS="$dir/faults.json" RECORD="$dir/record.jsonl"
	printf '[]\n' >"$FAULTS"
	start_server "$dir" node "$STANDIN" --port 0 --record "$RECORD" \
		--faults "$FAULTS" --batch-polls 2
	port=$(cat "$dir/port")
	export BASE="http://127.0.0.1:$port"
}

teardown_file() {
	stop_server "$BATS_FILE_TMPDIR"
}

setup() {
	BODY="$BATS_TEST_TMPDIR/body"
	HDRS="$BATS_TEST_TMPDIR/headers"
}

teardown() {
	printf '[]\n' >"$FAULTS"
	# A second stand-in a test started is stopped even when the test failed.
	if [ -n "${second_pid:-}" ]; then
		kill -TERM "$second_pid" 2>/dev/null || true
	fi
}

# call METHOD PATH [curl args...]: a request with the version and key
# headers; prints the status; the body lands in $BODY, headers in $HDRS.
call() {
	local method="$1" path="$2"
	shift 2
	curl -sS -o "$BODY" -D "$HDRS" -w '%{http_code}' -X "$method" \
		-H 'anthropic-version: 2023-06-01' -H 'x-api-key: sk-test-key' \
		-H 'content-type: application/json' "$@" "$BASE$path"
}

# post FIXTURE [jq filter]: POST /v1/messages with the fixture, edited.
post() {
	jq "${2:-.}" "$FIX/$1" | call POST /v1/messages --data-binary @-
}

# header NAME: the value of a response header in $HDRS.
header() {
	tr -d '\r' <"$HDRS" | awk -v name="$1" -F': ' 'tolower($1) == name { print $2 }'
}

faults() {
	printf '%s\n' "$1" >"$FAULTS"
}

# deltas: the concatenated text or input_json deltas of the stream in $BODY.
deltas() {
	sed -n 's/^data: //p' "$BODY" | jq -rj 'select(.type == "content_block_delta")
		| .delta.text // .delta.partial_json // empty'
}

# data QUERY: jq QUERY over the stream's data payloads in $BODY, slurped.
data() {
	sed -n 's/^data: //p' "$BODY" | jq -sc "$1"
}

# delta_keys: the keys of the JSON object the stream's deltas spell out.
delta_keys() {
	deltas | jq -c keys
}

# event_names: the event names of the stream in $BODY, pings and repeats
# of the same event squeezed out.
event_names() {
	sed -n 's/^event: //p' "$BODY" | grep -vx ping | uniq
}

# bundle_file NAME: one generated file, from the JSON text reply in $BODY.
bundle_file() {
	jq -r --arg f "$1" '.content[0].text | fromjson | .[$f]' "$BODY"
}

# --- command line -----------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
	run node "$STANDIN" --help
	assert_success
	assert_line --index 0 'usage: claude-standin [options]'
	assert_output --partial '--faults FILE'
}

@test "an unknown option is refused with exit 64" {
	run node "$STANDIN" --bogus
	assert_failure 64
	assert_line --index 0 "claude-standin: unknown option '--bogus'"
}

@test "the stand-in listens on 127.0.0.1 at the port in the port file" {
	run curl -s -o /dev/null -w '%{http_code} %{remote_ip}' "$BASE/v1/messages"
	assert_output '405 127.0.0.1'
}

# start_second [options...]: a second stand-in for this test only; sets
# $second_pid and $second_base.
start_second() {
	local dir="$BATS_TEST_TMPDIR"
	node "$STANDIN" --port 0 --port-file "$dir/port2" "$@" 2>"$dir/stderr2" 3>&- &
	second_pid=$!
	for _ in $(seq 50); do
		[ -s "$dir/port2" ] && break
		sleep 0.1
	done
	second_base="http://127.0.0.1:$(cat "$dir/port2")"
}

@test "SIGTERM stops the stand-in cleanly with status 0" {
	local status=0
	start_second
	kill -TERM "$second_pid"
	wait "$second_pid" || status=$?
	[ "$status" -eq 0 ]
	run grep -c 'SIGTERM: shutting down' "$BATS_TEST_TMPDIR/stderr2"
	assert_output 1
	run curl -s -o /dev/null "$second_base/v1/messages"
	assert_failure 7
}

@test "CLAUDE_STANDIN_REQUIRE_KEY makes it accept that key only" {
	CLAUDE_STANDIN_REQUIRE_KEY=sk-right start_second
	run curl -sS -w ' %{http_code}' -H 'anthropic-version: 2023-06-01' -H 'x-api-key: sk-wrong' \
		--data-binary "@$FIX/text.json" "$second_base/v1/messages"
	assert_output --regexp '"type":"authentication_error","message":"invalid x-api-key".* 401$'
	run curl -sS -o /dev/null -w '%{http_code}' -H 'anthropic-version: 2023-06-01' \
		-H 'authorization: Bearer sk-right' --data-binary "@$FIX/text.json" "$second_base/v1/messages"
	assert_output 200
}

@test "--bundle-bytes sets the size of every bundle" {
	start_second --bundle-bytes 30000
	curl -sS -o "$BODY" -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k' \
		--data-binary "@$FIX/generate.json" "$second_base/v1/messages"
	kill -TERM "$second_pid"
	run jq '.content[0].text | fromjson | [.[] | utf8bytelength] | add' "$BODY"
	assert [ "$output" -ge 29000 ] && assert [ "$output" -le 33000 ]
}

# --- request checks ---------------------------------------------------------

@test "a request without anthropic-version is refused with 400" {
	run curl -sS -H 'x-api-key: k' --data-binary "@$FIX/text.json" "$BASE/v1/messages"
	assert_output --partial '"type":"invalid_request_error","message":"anthropic-version: header is required"'
	run curl -sS -o /dev/null -w '%{http_code}' -H 'x-api-key: k' \
		--data-binary "@$FIX/text.json" "$BASE/v1/messages"
	assert_output 400
}

@test "a request without an API key is refused with 401 authentication_error" {
	run curl -sS -w ' %{http_code}' -H 'anthropic-version: 2023-06-01' \
		--data-binary "@$FIX/text.json" "$BASE/v1/messages"
	assert_output --regexp '^\{"type":"error","error":\{"type":"authentication_error","message":"x-api-key header is required"\},"request_id":"req_[A-Za-z0-9]+"\} 401$'
}

@test "a Bearer token is accepted instead of x-api-key" {
	run curl -sS -o /dev/null -w '%{http_code}' -H 'anthropic-version: 2023-06-01' \
		-H 'authorization: Bearer tok-123' --data-binary "@$FIX/text.json" "$BASE/v1/messages"
	assert_output 200
}

@test "a body that is not JSON is refused with 400" {
	run call POST /v1/messages --data-binary '{"model": '
	assert_output 400
	run jq -r '.error.type' "$BODY"
	assert_output invalid_request_error
}

@test "a missing max_tokens is refused with 400 naming the field" {
	run post text.json 'del(.max_tokens)'
	assert_output 400
	run jq -r '.error.message' "$BODY"
	assert_output 'max_tokens: Field required'
}

@test "a max_tokens of 0 is refused with 400" {
	run post text.json '.max_tokens = 0'
	assert_output 400
	run jq -r '.error.message' "$BODY"
	assert_output 'max_tokens: Input should be greater than or equal to 1'
}

@test "an empty messages list is refused with 400 naming the field" {
	run post text.json '.messages = []'
	assert_output 400
	run jq -r '.error.message' "$BODY"
	assert_output 'messages: at least one message is required'
}

@test "a missing model is refused with 400 naming the field" {
	run post text.json 'del(.model)'
	assert_output 400
	run jq -r '.error.message' "$BODY"
	assert_output 'model: Field required'
}

@test "an unknown model is 404 not_found_error" {
	run post text.json '.model = "gpt-4o"'
	assert_output 404
	run jq -c '.error' "$BODY"
	assert_output '{"type":"not_found_error","message":"model: gpt-4o"}'
}

@test "assistant prefill is refused for a sonnet-5 model" {
	run post text.json '.messages += [{"role": "assistant", "content": "{"}]'
	assert_output 400
	run jq -r '.error.message' "$BODY"
	assert_output --partial 'does not support assistant message prefill'
}

@test "assistant prefill is accepted for an older model" {
	run post text.json '.model = "claude-haiku-4-5" | .messages += [{"role": "assistant", "content": "{"}]'
	assert_output 200
}

@test "an output schema object without additionalProperties false is refused" {
	run post generate.json 'del(.output_config.format.schema.additionalProperties)'
	assert_output 400
	run jq -r '.error.message' "$BODY"
	assert_output "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
}

@test "thinking with a forced tool is refused with 400" {
	run post tool.json '.thinking = {"type": "adaptive"}'
	assert_output 400
	run jq -r '.error.message' "$BODY"
	assert_output 'Thinking may not be enabled when tool_choice forces tool use.'
}

@test "an unknown path is 404 not_found_error" {
	run call GET /v1/nothing
	assert_output 404
	run jq -r '.error.type' "$BODY"
	assert_output not_found_error
}

@test "sampling parameters are accepted and recorded" {
	run post text.json '.temperature = 0.2 | .top_p = 0.9'
	assert_output 200
	run jq -c 'select(.body.temperature != null) | [.body.temperature, .body.top_p]' "$RECORD"
	assert_output '[0.2,0.9]'
}

# --- replies ----------------------------------------------------------------

@test "a structured-output request returns the six files as JSON text" {
	run post generate.json
	assert_output 200
	run jq -e --argjson files "$FILES" '.type == "message" and .role == "assistant"
		and .stop_reason == "end_turn" and (.id | startswith("msg_"))
		and (.content | length) == 1 and .content[0].type == "text"
		and (.content[0].text | fromjson | (keys == $files)
			and all(.[]; type == "string" and length > 0))' "$BODY"
	assert_success
}

@test "replies carry request-id, content-type and rate-limit headers" {
	run post text.json
	assert_output 200
	run header request-id
	assert_output --regexp '^req_[A-Za-z0-9]{20,}$'
	run header content-type
	assert_output application/json
	run header anthropic-ratelimit-requests-remaining
	assert_output --regexp '^[0-9]+$'
	run header anthropic-ratelimit-tokens-reset
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
}

@test "the generated Python files compile" {
	post generate.json >/dev/null
	bundle_file backend_service.py >"$BATS_TEST_TMPDIR/backend_service.py"
	bundle_file api_routes.py >"$BATS_TEST_TMPDIR/api_routes.py"
	run python3 -W error -m py_compile "$BATS_TEST_TMPDIR/backend_service.py" \
		"$BATS_TEST_TMPDIR/api_routes.py"
	assert_success
}

@test "the generated config.yaml is valid YAML describing the service" {
	python3 -c 'import yaml' 2>/dev/null || skip 'PyYAML is not installed for python3'
	post generate.json >/dev/null
	bundle_file config.yaml >"$BATS_TEST_TMPDIR/config.yaml"
	run python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
print(d["service"]["name"], "|", d["service"]["vendor"], "|", d["database"]["engine"])' \
		"$BATS_TEST_TMPDIR/config.yaml"
	assert_success
	assert_output 'vFirewall | Palo Alto Networks | SQLite'
}

@test "the generated SQL runs in SQLite when SQLite was asked for" {
	post generate.json >/dev/null
	bundle_file database_schema.sql >"$BATS_TEST_TMPDIR/schema.sql"
	run python3 -c 'import sqlite3, sys
db = sqlite3.connect(":memory:")
db.executescript(open(sys.argv[1]).read())
print(db.execute("select name, vendor from services").fetchone())' "$BATS_TEST_TMPDIR/schema.sql"
	assert_success
	assert_output "('vFirewall', 'Palo Alto Networks')"
}

@test "the bundle follows the database asked for" {
	post generate.json '.messages[0].content |= sub("SQLite"; "PostgreSQL")' >/dev/null
	run bundle_file database_schema.sql
	assert_line '    id SERIAL PRIMARY KEY,'
	run bundle_file requirements.txt
	assert_line 'psycopg[binary]>=3.1'
}

@test "every generated file says it was generated offline" {
	local f
	post generate.json >/dev/null
	for f in backend_service.py api_routes.py config.yaml requirements.txt; do
		run bundle_file "$f"
		assert_line --index 0 "# $MARK — not written by Claude."
	done
	run bundle_file database_schema.sql
	assert_line --index 0 "-- $MARK — not written by Claude."
	run bundle_file README.md
	assert_output --partial "**$MARK — not written by Claude.**"
}

@test "the files are tailored to the service in the user message" {
	post generate.json >/dev/null
	run bundle_file backend_service.py
	assert_line 'VENDOR = "Palo Alto Networks"'
	assert_line 'FEATURES = ["Traffic Filtering", "Stateful Inspection", "NAT"]'
	assert_line 'class VFirewallPaloAltoNetworksService:'
	run bundle_file README.md
	assert_line '- Deployment: Kubernetes'
}

@test "a service described in prose is understood too" {
	post generate.json '.messages[0].content = "Service type: vRouter\nVendor: Juniper\nFeatures: BGP, OSPF\nScale: Cluster (active-active, autoscaling)\nDatabase: MySQL"' >/dev/null
	run bundle_file backend_service.py
	assert_line 'VENDOR = "Juniper"'
	assert_line 'FEATURES = ["BGP", "OSPF"]'
	assert_line 'SCALE = "Cluster (active-active, autoscaling)"'
	run bundle_file database_schema.sql
	assert_line '    id INTEGER AUTO_INCREMENT PRIMARY KEY,'
	run bundle_file requirements.txt
	assert_line 'PyMySQL>=1.1'
}

@test "bundle_bytes in a rule sets the size of the bundle" {
	faults '[{"match": {"path": "/v1/messages"}, "bundle_bytes": 20000, "fault": "big_bundle"}]'
	post generate.json >/dev/null
	run jq '.content[0].text | fromjson | [.[] | utf8bytelength] | add' "$BODY"
	assert [ "$output" -ge 19000 ] && assert [ "$output" -le 22000 ]
}

@test "a schema that nests the files under a property is filled from the schema" {
	run post generate-nested.json
	assert_output 200
	run jq -e --argjson files "$FILES" '.content[0].text | fromjson
		| keys == ["files"] and (.files | keys == $files)' "$BODY"
	assert_success
}

@test "a plain request gets a text reply that says it is offline" {
	run post text.json
	assert_output 200
	run jq -r '.content[0].text' "$BODY"
	assert_output --partial 'csc Claude stand-in, a local offline substitute for the Anthropic API; no model was called'
}

@test "a forced tool gets a tool_use block whose input follows input_schema" {
	run post tool.json
	assert_output 200
	run jq -e --argjson files "$FILES" '.stop_reason == "tool_use"
		and .content[0].type == "tool_use" and .content[0].name == "write_bundle"
		and (.content[0].id | startswith("toolu_"))
		and (.content[0].input | keys == $files)' "$BODY"
	assert_success
}

@test "a small max_tokens cuts the reply with stop_reason max_tokens" {
	run post generate.json '.max_tokens = 100'
	assert_output 200
	run jq -r '.stop_reason, .usage.output_tokens, (.content[0].text | length)' "$BODY"
	assert_output $'max_tokens\n100\n400'
}

@test "a cached system prompt is written once, then read" {
	local tag="run-$RANDOM-$$"
	post generate.json ".system[0].text += \"$tag\"" >/dev/null
	run jq -c '.usage | [.cache_creation_input_tokens > 0, .cache_read_input_tokens]' "$BODY"
	assert_output '[true,0]'
	written=$(jq '.usage.cache_creation_input_tokens' "$BODY")
	post generate.json ".system[0].text += \"$tag\"" >/dev/null
	run jq -c '.usage | [.cache_creation_input_tokens, .cache_read_input_tokens]' "$BODY"
	assert_output "[0,$written]"
}

@test "count_tokens estimates the input tokens" {
	run call POST /v1/messages/count_tokens --data-binary "@$FIX/text.json"
	assert_output 200
	run jq -e '.input_tokens > 0' "$BODY"
	assert_success
}

# --- streaming --------------------------------------------------------------

@test "a streamed reply has the events in the API's order" {
	run post generate.json '.stream = true'
	assert_output 200
	run header content-type
	assert_output 'text/event-stream; charset=utf-8'
	run event_names
	assert_output "$(printf '%s\n' message_start content_block_start content_block_delta \
		content_block_stop message_delta message_stop)"
	run grep -c '^event: ping$' "$BODY"
	assert [ "$output" -ge 1 ]
	# Every event line is followed by its data line of the same type.
	run awk '/^event: / { e = $2; next } /^data: / { if (index($0, "\"type\":\"" e "\"") == 0) bad++ } END { print bad + 0 }' "$BODY"
	assert_output 0
}

@test "the streamed deltas concatenate to JSON with the six files" {
	post generate.json '.stream = true' >/dev/null
	run delta_keys
	assert_output "$(jq -c . <<<"$FILES")"
}

@test "message_delta carries the stop reason and cumulative usage" {
	post generate.json '.stream = true' >/dev/null
	run data '[(.[] | select(.type == "message_start") | .message.usage.output_tokens),
		(.[] | select(.type == "message_delta") | .delta.stop_reason, (.usage.output_tokens > 1),
			(.usage.input_tokens > 0))]'
	assert_output '[1,"end_turn",true,true]'
}

@test "a streamed reply goes out in small writes that split events" {
	run python3 - "$BASE" "$FIX/generate.json" <<'EOF'
import http.client, json, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
body = json.load(open(sys.argv[2])); body["stream"] = True
conn = http.client.HTTPConnection(url.hostname, url.port)
conn.request("POST", "/v1/messages", json.dumps(body), {
    "anthropic-version": "2023-06-01", "x-api-key": "k",
    "content-type": "application/json"})
resp = conn.getresponse()
pieces = []
while True:
    piece = resp.read1(65536)  # at most one HTTP chunk: one write
    if not piece:
        break
    pieces.append(piece)
data = b"".join(pieces)
split = sum(1 for p in pieces if not p.endswith(b"\n\n"))
print(len(pieces) > 100, max(len(p) for p in pieces) <= 90, split > len(pieces) // 2,
      data.decode().endswith('event: message_stop\ndata: {"type":"message_stop"}\n\n'))
EOF
	assert_success
	assert_output 'True True True True'
}

@test "thinking, when enabled, streams a signed thinking block before the text" {
	run post text.json '.stream = true | .max_tokens = 4000 | .thinking = {"type": "enabled", "budget_tokens": 2048}'
	assert_output 200
	run data '[.[] | select(.type == "content_block_start") | .content_block.type]'
	assert_output '["thinking","text"]'
	run data '[.[] | select(.type == "content_block_delta") | .delta.type] | unique'
	assert_output '["signature_delta","text_delta","thinking_delta"]'
}

@test "a streamed tool_use input arrives as input_json_delta pieces that parse" {
	run post tool.json '.stream = true'
	assert_output 200
	run data '[.[] | select(.type == "content_block_delta") | .delta.type] | unique'
	assert_output '["input_json_delta"]'
	# The API opens a tool input with an empty partial_json.
	run data '[.[] | select(.type == "content_block_delta")][0].delta.partial_json'
	assert_output '""'
	run delta_keys
	assert_output "$(jq -c . <<<"$FILES")"
}

# --- faults -----------------------------------------------------------------

@test "overloaded answers 529 overloaded_error, then succeeds after times runs out" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "overloaded", "times": 1}]'
	run post text.json
	assert_output 529
	run jq -c '.error' "$BODY"
	assert_output '{"type":"overloaded_error","message":"Overloaded"}'
	run header x-should-retry
	assert_output true
	run post text.json
	assert_output 200
}

@test "rate_limit answers 429 with retry-after and retry-after-ms" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "rate_limit"}]'
	run post text.json
	assert_output 429
	run jq -r '.error.type' "$BODY"
	assert_output rate_limit_error
	run header retry-after
	assert_output 1
	run header retry-after-ms
	assert_output 1000
}

@test "rate_limit_spend answers 429 that must not be retried" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "rate_limit_spend"}]'
	run post text.json
	assert_output 429
	run header x-should-retry
	assert_output false
	run jq -r '.error.type + ": " + .error.message' "$BODY"
	assert_output --regexp '^rate_limit_error: .*spend limit'
}

@test "server_error answers 500 api_error that may be retried" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "server_error"}]'
	run post text.json
	assert_output 500
	run jq -r '.error.type' "$BODY"
	assert_output api_error
	run header x-should-retry
	assert_output true
}

@test "should_retry_false answers 500 with x-should-retry false" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "should_retry_false"}]'
	run post text.json
	assert_output 500
	run header x-should-retry
	assert_output false
}

@test "bad_request answers 400 invalid_request_error" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "bad_request", "message": "messages.0: nope"}]'
	run post text.json
	assert_output 400
	run jq -c '.error' "$BODY"
	assert_output '{"type":"invalid_request_error","message":"messages.0: nope"}'
}

@test "a rule for streams leaves non-streaming requests alone" {
	faults '[{"match": {"path": "/v1/messages", "stream": true}, "fault": "server_error"}]'
	run post text.json
	assert_output 200
	run post text.json '.stream = true'
	assert_output 500
}

@test "skip lets the first requests through and times limits the fault" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "overloaded", "skip": 1, "times": 1}]'
	run post text.json
	assert_output 200
	run post text.json
	assert_output 529
	run post text.json
	assert_output 200
}

@test "a rewritten fault script starts its counters afresh" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "overloaded", "times": 1}]'
	run post text.json
	assert_output 529
	run post text.json
	assert_output 200
	faults '[{"match": {"path": "/v1/messages"}, "fault": "overloaded", "times": 1} ]'
	run post text.json
	assert_output 529
}

@test "stream_error sends a few events, then an overloaded_error event" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "stream_error"}]'
	run post generate.json '.stream = true'
	assert_output 200
	run sed -n 's/^event: //p' "$BODY"
	assert_line --index 0 message_start
	refute_line message_stop
	assert_line error
	run tail -n 2 "$BODY"
	assert_output 'data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
}

@test "slow delays every write by delay_ms" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "slow", "delay_ms": 25}]'
	run bash -c "jq '.stream = true' '$FIX/text.json' | curl -sS -o /dev/null -w '%{time_total}' \
		-H 'anthropic-version: 2023-06-01' -H 'x-api-key: k' --data-binary @- '$BASE/v1/messages'"
	assert_success
	# The stream is well over ten writes, so at least a quarter second.
	run awk -v t="$output" 'BEGIN { exit !(t >= 0.25) }'
	assert_success
}

@test "drop cuts the connection in the middle of a stream" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "drop"}]'
	run curl -sS -o "$BODY" -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k' \
		--data-binary "$(jq -c '.stream = true' "$FIX/generate.json")" "$BASE/v1/messages"
	assert_failure 18
	run head -n 1 "$BODY"
	assert_output 'event: message_start'
	run grep -c '^event: message_stop' "$BODY"
	assert_output 0
}

@test "drop cuts a JSON reply short of its content-length" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "drop", "fraction": 0.3}]'
	run curl -sS -o "$BODY" -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k' \
		--data-binary "@$FIX/generate.json" "$BASE/v1/messages"
	assert_failure 18
	run jq . "$BODY"
	assert_failure
}

@test "hang never answers, so the client's timeout fires" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "hang"}]'
	run curl -sS -m 1 -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k' \
		--data-binary "@$FIX/text.json" "$BASE/v1/messages"
	assert_failure 28
}

@test "max_tokens stops with stop_reason max_tokens and truncated JSON" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "max_tokens"}]'
	run post generate.json
	assert_output 200
	run jq -r '.stop_reason' "$BODY"
	assert_output max_tokens
	run jq -e '.content[0].text | fromjson' "$BODY"
	assert_failure
}

@test "max_tokens in a stream ends with message_delta stop_reason max_tokens" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "max_tokens"}]'
	post generate.json '.stream = true' >/dev/null
	run data '.[] | select(.type == "message_delta") | .delta.stop_reason'
	assert_output '"max_tokens"'
	run delta_keys
	assert_failure
}

@test "refusal stops with stop_reason refusal and stop_details" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "refusal"}]'
	run post generate.json
	assert_output 200
	run jq -c '[.stop_reason, .stop_details.type]' "$BODY"
	assert_output '["refusal","refusal"]'
	run post generate.json '.stream = true'
	run data '.[] | select(.type == "message_delta") | [.delta.stop_reason, .delta.stop_details.type]'
	assert_output '["refusal","refusal"]'
}

@test "invalid_json sends text that does not parse as JSON" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "invalid_json"}]'
	run post generate.json
	assert_output 200
	run jq -r '.stop_reason' "$BODY"
	assert_output end_turn
	run jq -e '.content[0].text | fromjson' "$BODY"
	assert_failure
}

@test "invalid_json with variant schema parses but lacks a required file" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "invalid_json", "variant": "schema"}]'
	run post generate.json
	assert_output 200
	run jq -c '.content[0].text | fromjson | keys | length' "$BODY"
	assert_output 5
}

@test "big_bundle makes the six files about 60 KB, still valid" {
	faults '[{"match": {"path": "/v1/messages"}, "fault": "big_bundle"}]'
	post generate.json >/dev/null
	run jq '.content[0].text | fromjson | [.[] | utf8bytelength] | add' "$BODY"
	assert [ "$output" -ge 55000 ] && assert [ "$output" -le 66000 ]
	bundle_file backend_service.py >"$BATS_TEST_TMPDIR/backend_service.py"
	run python3 -m py_compile "$BATS_TEST_TMPDIR/backend_service.py"
	assert_success
}

# --- batches ----------------------------------------------------------------

# create_batch FIXTURE [jq filter]: POST a batch; prints its id.
create_batch() {
	jq "${2:-.}" "$FIX/$1" | call POST /v1/messages/batches --data-binary @- >/dev/null
	jq -r .id "$BODY"
}

@test "a batch runs in_progress for two polls, then ends with the results" {
	faults '[{"match": {"path": "batch", "custom_id": "svc-bravo"}, "fault": "server_error"}]'
	id=$(create_batch batch.json)
	run jq -c '[.type, .processing_status, .request_counts.processing, .results_url]' "$BODY"
	assert_output '["message_batch","in_progress",4,null]'
	run call GET "/v1/messages/batches/$id"
	run jq -r .processing_status "$BODY"
	assert_output in_progress
	run call GET "/v1/messages/batches/$id"
	run jq -r .processing_status "$BODY"
	assert_output in_progress
	run call GET "/v1/messages/batches/$id"
	run jq -c '[.processing_status, .request_counts, .results_url, (.ended_at != null)]' "$BODY"
	assert_output "[\"ended\",{\"processing\":0,\"succeeded\":3,\"errored\":1,\"canceled\":0,\"expired\":0},\"$BASE/v1/messages/batches/$id/results\",true]"
}

@test "batch results are JSON Lines with an errored entry where the script says" {
	faults '[{"match": {"path": "batch", "custom_id": "svc-bravo"}, "fault": "server_error"}]'
	id=$(create_batch batch.json)
	for _ in 1 2 3; do call GET "/v1/messages/batches/$id" >/dev/null; done
	run call GET "$(jq -r .results_url "$BODY" | sed "s|^$BASE||")"
	assert_output 200
	run jq -sc 'map(.custom_id) | sort' "$BODY"
	assert_output '["svc-alpha","svc-bravo","svc-charlie","svc-delta"]'
	run jq -c 'select(.custom_id == "svc-bravo") | .result' "$BODY"
	assert_output '{"type":"errored","error":{"type":"error","error":{"type":"api_error","message":"Internal server error"}}}'
	run jq -e --argjson files "$FILES" -s 'map(select(.result.type == "succeeded"))
		| length == 3 and all(.[]; .result.message.stop_reason == "end_turn"
			and (.result.message.content[0].text | fromjson | keys == $files)
			and .result.message.usage.service_tier == "batch")' "$BODY"
	assert_success
}

@test "batch results do not keep the order of the requests" {
	# shellcheck disable=SC2016 # $i is jq's, not the shell's
	id=$(create_batch batch.json '.requests = [range(12) as $i | .requests[0] | .custom_id = "r\($i)"]')
	for _ in 1 2 3; do call GET "/v1/messages/batches/$id" >/dev/null; done
	call GET "/v1/messages/batches/$id/results" >/dev/null
	run jq -sc 'map(.custom_id)' "$BODY"
	refute_output '["r0","r1","r2","r3","r4","r5","r6","r7","r8","r9","r10","r11"]'
	run jq -sc 'map(.custom_id) | sort_by(.[1:] | tonumber)' "$BODY"
	assert_output '["r0","r1","r2","r3","r4","r5","r6","r7","r8","r9","r10","r11"]'
	# ...but the order is fixed for a batch.
	first=$(jq -sc 'map(.custom_id)' "$BODY")
	call GET "/v1/messages/batches/$id/results" >/dev/null
	run jq -sc 'map(.custom_id)' "$BODY"
	assert_output "$first"
}

@test "a batch request with invalid params is an errored result" {
	id=$(create_batch batch.json '.requests[2].params.max_tokens = 0')
	for _ in 1 2 3; do call GET "/v1/messages/batches/$id" >/dev/null; done
	run jq -c '.request_counts | [.succeeded, .errored]' "$BODY"
	assert_output '[3,1]'
	call GET "/v1/messages/batches/$id/results" >/dev/null
	run jq -c 'select(.custom_id == "svc-charlie") | .result.error.error' "$BODY"
	assert_output '{"type":"invalid_request_error","message":"max_tokens: Input should be greater than or equal to 1"}'
}

@test "batch faults can expire a request" {
	faults '[{"match": {"path": "batch", "custom_id": "svc-delta"}, "fault": "expired"}]'
	id=$(create_batch batch.json)
	for _ in 1 2 3; do call GET "/v1/messages/batches/$id" >/dev/null; done
	run jq -c '.request_counts | [.succeeded, .expired]' "$BODY"
	assert_output '[3,1]'
	call GET "/v1/messages/batches/$id/results" >/dev/null
	run jq -c 'select(.custom_id == "svc-delta") | .result' "$BODY"
	assert_output '{"type":"expired"}'
}

@test "a batch with a repeated custom_id is refused with 400" {
	run bash -c "jq '.requests[1].custom_id = \"svc-alpha\"' '$FIX/batch.json' |
		curl -sS -w ' %{http_code}' -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k' \
		--data-binary @- '$BASE/v1/messages/batches'"
	assert_output --regexp '"type":"invalid_request_error","message":"requests: Duplicate custom_id .svc-alpha.*\} 400$'
}

@test "batch results before the batch ends are refused with 400" {
	id=$(create_batch batch.json)
	run call GET "/v1/messages/batches/$id/results"
	assert_output 400
}

@test "an unknown batch is 404 not_found_error" {
	run call GET /v1/messages/batches/msgbatch_01nope
	assert_output 404
	run jq -r '.error.type' "$BODY"
	assert_output not_found_error
}

@test "a canceled batch ends with its requests canceled" {
	id=$(create_batch batch.json)
	run call POST "/v1/messages/batches/$id/cancel"
	assert_output 200
	run jq -c '[.processing_status, (.cancel_initiated_at != null)]' "$BODY"
	assert_output '["canceling",true]'
	call GET "/v1/messages/batches/$id" >/dev/null
	run jq -c '[.processing_status, .request_counts.canceled]' "$BODY"
	assert_output '["ended",4]'
}

@test "an ended batch can be deleted" {
	id=$(create_batch batch.json '.requests |= .[:1]')
	for _ in 1 2 3; do call GET "/v1/messages/batches/$id" >/dev/null; done
	run call DELETE "/v1/messages/batches/$id"
	assert_output 200
	run jq -c . "$BODY"
	assert_output "{\"id\":\"$id\",\"type\":\"message_batch_deleted\"}"
	run call GET "/v1/messages/batches/$id"
	assert_output 404
}

# --- the record file --------------------------------------------------------

@test "the record file holds each request with its keys redacted" {
	curl -sS -o /dev/null -H 'anthropic-version: 2023-06-01' -H 'x-api-key: sk-secret-a1' \
		--data-binary "@$FIX/text.json" "$BASE/v1/messages?probe=1"
	curl -sS -o /dev/null -H 'anthropic-version: 2023-06-01' \
		-H 'authorization: Bearer sk-secret-b2' --data-binary "@$FIX/text.json" "$BASE/v1/messages?probe=2"
	run jq -c 'select(.query == "?probe=1" or .query == "?probe=2")
		| [.method, .path, .auth, .headers["x-api-key"], .headers.authorization,
			.headers["anthropic-version"], .body.model]' "$RECORD"
	assert_line --index 0 '["POST","/v1/messages","x-api-key","<redacted>",null,"2023-06-01","claude-sonnet-5-5"]'
	assert_line --index 1 '["POST","/v1/messages","bearer",null,"<redacted>","2023-06-01","claude-sonnet-5-5"]'
	run grep -c 'sk-secret' "$RECORD"
	assert_output 0
}

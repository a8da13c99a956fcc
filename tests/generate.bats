#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: run sets $output/$status, @test bodies run in subshells
# csc-generate (SPEC section 7) against the local Claude stand-in
# (deploy/local/claude-standin.js): the bundle, the request on the wire,
# input checks, every scripted fault streamed and not, cost, Message
# Batches, the pipeline into csc-store and csc-presign, and valgrind.

load helper

FIX="$BATS_TEST_DIRNAME/fixtures/generate"
FILES='["backend_service.py","api_routes.py","database_schema.sql","config.yaml","requirements.txt","README.md"]'
MARK='Generated offline by the csc Claude stand-in'
PRICES="$CSC_TOP/share/prices.json"
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

setup_file() {
	local dir="$BATS_FILE_TMPDIR"
	export STANDIN="$CSC_TOP/deploy/local/claude-standin.js"
	export FAULTS="$dir/faults.json" RECORD="$dir/record.jsonl" REQ="$dir/request.json"
	printf '[]\n' >"$FAULTS"
	start_server "$dir" node "$STANDIN" --port 0 --record "$RECORD" \
		--faults "$FAULTS" --batch-polls 2
	BASE="http://127.0.0.1:$(cat "$dir/port")"
	export BASE
	# A full service_data, checked by csc-ask, with a non-ASCII requirement.
	csc-ask complete >"$REQ" <<-'EOF'
		{"service_type": "vFirewall", "vendor": "Palo Alto Networks",
		 "features": ["Traffic Filtering", "Intrusion Prevention"], "deployment": "Kubernetes",
		 "scale": "HA pair (active-passive)", "database": "PostgreSQL",
		 "requirements": "Log every dropped packet to the SIEM in Zürich"}
	EOF
}

teardown_file() {
	stop_server "$BATS_FILE_TMPDIR"
}

setup() {
	T="$BATS_TEST_TMPDIR"
	export ANTHROPIC_BASE_URL="$BASE" ANTHROPIC_API_KEY=sk-test-key
	# Short retry schedules: three attempts (0.4-0.5 s, then 0.75-1 s apart).
	export CSC_MAX_ATTEMPTS=3 CSC_BATCH_POLL_MS=50
	: >"$RECORD"
}

teardown() {
	faults '[]'
	# A stack a test started is stopped even when the test failed.
	if [ -n "${stack_dir:-}" ]; then
		"$CSC_TOP/deploy/local/stack" down "$stack_dir" >/dev/null 2>&1 || true
		rm -rf "$stack_dir"
	fi
	if [ -f "$BATS_TEST_TMPDIR/canned/pid" ]; then
		stop_server "$BATS_TEST_TMPDIR/canned"
	fi
}

# faults RULES: install a fault script (a JSON list of rules), atomically.
# Each script carries a new tag, so the stand-in sees new content and
# starts its per-rule counters afresh even when the rules repeat.
faults() {
	fault_n=$((${fault_n:-0} + 1))
	printf '{"tag":"%s.%s","rules":%s}\n' "$BATS_TEST_NUMBER" "$fault_n" "$1" >"$FAULTS.tmp"
	mv -f "$FAULTS.tmp" "$FAULTS"
}

# rule FAULT STREAM [EXTRA]: a rule for POST /v1/messages requests that
# stream (STREAM true) or not (false), with EXTRA's members added.
rule() {
	jq -nc --arg f "$1" --argjson s "$2" --argjson x "${3:-null}" \
		'{match: {path: "/v1/messages", method: "POST", stream: $s}, fault: $f} + ($x // {})'
}

# mode STREAM: the option that makes csc-generate stream (none) or not.
mode() {
	[ "$1" = true ] || printf '%s\n' --no-stream
}

# requests PATH: how many requests for PATH the stand-in recorded.
requests() {
	jq -s --arg p "$1" 'map(select(.path == $p)) | length' "$RECORD"
}

# recorded: the body of the last recorded request.
recorded() {
	jq -s -c '.[-1].body' "$RECORD"
}

# assert_bundle JSON: six files, in order, each non-empty and marked as
# the stand-in's.
assert_bundle() {
	assert_equal "$(jq -c '[.files[].name]' <<<"$1")" "$FILES"
	assert_equal "$(jq --arg m "$MARK" '[.files[] | select((.content | length) > 0 and (.content | contains($m)))] | length' <<<"$1")" 6
}

# write_files JSON DIR: the bundle's files, byte for byte, into DIR.
write_files() {
	local name
	mkdir -p "$2"
	for name in $(jq -r '.files[].name' <<<"$1"); do
		jq -j --arg n "$name" '.files[] | select(.name == $n) | .content' <<<"$1" >"$2/$name"
	done
}

# micro_usd PRICES MODEL BATCH: the cost of the usage in the bundle on
# stdin, in millionths of a dollar, from the price table PRICES for MODEL
# (cache writes split by lifetime when the usage says so; batch: the
# table's discount).
micro_usd() {
	jq --slurpfile t "$1" --arg m "$2" --argjson batch "$3" '
		def n: if type == "number" and . > 0 then . else 0 end;
		$t[0] as $tab | $tab.models[$m] as $p | .usage as $u |
		(if ($u.cache_creation | type) == "object"
		 then [($u.cache_creation.ephemeral_5m_input_tokens | n), ($u.cache_creation.ephemeral_1h_input_tokens | n)]
		 else [($u.cache_creation_input_tokens | n), 0] end) as [$w5, $w1h] |
		(($u.input_tokens | n) * $p.input + ($u.output_tokens | n) * $p.output
		 + $w5 * $p.cache_write_5m + $w1h * $p.cache_write_1h
		 + ($u.cache_read_input_tokens | n) * $p.cache_read)
		* (if $batch then 1 - $tab.batch_discount else 1 end) | round'
}

# micro JSON: the bundle's cost_usd in millionths of a dollar.
micro() {
	jq '.cost_usd * 1e6 | round' <<<"$1"
}

# --- the bundle ---------------------------------------------------------------

@test "a streamed generation gives the six files in order, from the stand-in, and the Python compiles" {
	run --separate-stderr csc-generate <"$REQ"
	assert_success
	assert_equal "$stderr" ''
	assert_bundle "$output"
	assert_equal "$(jq -c .service_data <<<"$output")" "$(jq -c .service_data "$REQ")"
	assert_equal "$(jq -r '.model, .stop_reason' <<<"$output")" $'claude-sonnet-5-5\nend_turn'
	# The ids are new UUIDs; the request id is the one the stand-in gave.
	assert_regex "$(jq -r .service_id <<<"$output")" "$UUID_RE"
	assert_regex "$(jq -r .code_id <<<"$output")" "$UUID_RE"
	assert_equal "$(jq -r .request_id <<<"$output")" "$(jq -r .request_id "$RECORD")"
	assert_regex "$(jq -r .created_at <<<"$output")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
	assert_equal "$(jq -c 'has("conversation_id"), (.usage.output_tokens > 0), (.cost_usd > 0)' <<<"$output")" \
		$'false\ntrue\ntrue'
	# The files are what the stand-in wrote for this service.
	assert_equal "$(jq -r '.files[] | select(.name == "backend_service.py") | .content | contains("Palo Alto Networks")' <<<"$output")" true
	write_files "$output" "$T/files"
	run python3 -m py_compile "$T/files/backend_service.py" "$T/files/api_routes.py"
	assert_success
	run python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$T/files/config.yaml"
	assert_success
}

@test "--no-stream gives the same six files; --check compiles the Python and parses the YAML" {
	run --separate-stderr csc-generate --no-stream --check <"$REQ"
	assert_success
	assert_bundle "$output"
	assert_equal "$(jq -c .check <<<"$output")" '{"backend_service.py":"ok","api_routes.py":"ok","config.yaml":"ok"}'
	assert_equal "$(jq -s 'length' "$RECORD")" 1
	assert_equal "$(jq -c '.body.stream' "$RECORD")" false
	# Without --check there is no check member.
	run --separate-stderr csc-generate --no-stream <"$REQ"
	assert_success
	assert_equal "$(jq 'has("check")' <<<"$output")" false
}

@test "--check reports files that do not compile or parse; content blocks are picked by type" {
	mkdir "$T/canned"
	start_server "$T/canned" python3 "$FIX/canned.py" --reply "$FIX/broken-files.json"
	# The reply starts with a thinking block whose text is JSON: it is not
	# the bundle.
	ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$T/canned/port")" run --separate-stderr csc-generate --no-stream --check <"$REQ"
	assert_success
	assert_equal "$(jq -c '[.files[].name]' <<<"$output")" "$FILES"
	assert_equal "$(jq -r '.files[] | select(.name == "README.md") | .content' <<<"$output")" '# A canned bundle'
	assert_equal "$(jq -r '.check["api_routes.py"]' <<<"$output")" ok
	assert_regex "$(jq -r '.check["backend_service.py"]' <<<"$output")" '^error: .*SyntaxError'
	assert_regex "$(jq -r '.check["config.yaml"]' <<<"$output")" '^error: .*line'
	assert_equal "$(jq -r .request_id <<<"$output")" req_canned
}

@test "an event larger than the parser takes is reported as that, exit 69, nothing on stdout" {
	mkdir "$T/canned"
	# One data line of 4 MiB and a few bytes: over SSE_EVENT_MAX (4 MiB).
	{
		printf 'event: message_start\ndata: {"type":"message_start","pad":"'
		head -c 4194304 /dev/zero | tr '\0' a
		printf '"}\n\n'
	} >"$T/big.sse"
	start_server "$T/canned" python3 "$FIX/canned.py" --reply "$T/big.sse" --content-type text/event-stream
	ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$T/canned/port")" run --separate-stderr csc-generate <"$REQ"
	assert_failure 69
	assert_output ''
	assert_equal "$stderr" 'csc-generate: Claude messages: the event stream was refused: line longer than 4194304 bytes (after 1 attempt)'
}

@test "--help, --version and a bad command line" {
	run --separate-stderr csc-generate --help
	assert_success
	assert_line --index 0 --partial 'usage: csc-generate'
	run --separate-stderr csc-generate --version
	assert_success
	assert_output --regexp '^csc-generate [0-9]+\.[0-9]+\.[0-9]+$'
	run --separate-stderr csc-generate --bogus <"$REQ"
	assert_failure 64
	assert_output ''
	run --separate-stderr csc-generate extra <"$REQ"
	assert_failure 64
	assert_equal "$(jq -s length "$RECORD")" 0
}

# --- the request on the wire ------------------------------------------------------

@test "the request: version, x-api-key, model, max_tokens, the cached system prompt, the six-file schema, no sampling parameters" {
	local body
	run --separate-stderr csc-generate -v <"$REQ"
	assert_success
	assert_equal "$(jq -s length "$RECORD")" 1
	assert_equal "$(jq -r '.method, .path, .headers["anthropic-version"], .auth, .headers["x-api-key"], .headers["content-type"]' "$RECORD")" \
		$'POST\n/v1/messages\n2023-06-01\nx-api-key\n<redacted>\napplication/json'
	body=$(recorded)
	assert_equal "$(jq -c '[.model, .max_tokens, .stream]' <<<"$body")" '["claude-sonnet-5-5",32000,true]'
	# The system prompt is share/system-prompt.txt, marked for the cache.
	assert_equal "$(jq -c '[.system | length, .[0].type, .[0].cache_control.type]' <<<"$body")" '[1,"text","ephemeral"]'
	jq -j '.system[0].text' <<<"$body" >"$T/system.txt"
	cmp "$T/system.txt" "$CSC_TOP/share/system-prompt.txt"
	# Structured output: a JSON schema of six required strings, nothing else.
	assert_equal "$(jq -r '.output_config.format.type' <<<"$body")" json_schema
	assert_equal "$(jq -c '.output_config.format.schema | [.type, .additionalProperties, (.required | sort), (.properties | keys), ([.properties[].type] | unique)]' <<<"$body")" \
		"$(jq -c '["object", false, sort, sort, ["string"]]' <<<"$FILES")"
	# No sampling parameters, no prefill, no tools.
	assert_equal "$(jq -c '[has("temperature"), has("top_p"), has("top_k"), has("tools"), has("tool_choice")]' <<<"$body")" \
		'[false,false,false,false,false]'
	assert_equal "$(jq -c '[.messages[].role]' <<<"$body")" '["user"]'
	# The user message carries every value of service_data.
	assert_equal "$(jq -c --slurpfile r "$REQ" '.messages[0].content as $c |
		[$r[0].service_data | .. | strings | select(. as $v | $c | contains($v) | not)]' <<<"$body")" '[]'
	# The key is never recorded, never logged.
	run grep -c -F sk-test-key "$RECORD"
	assert_output 0
	assert_regex "$stderr" 'POST 127\.0\.0\.1:[0-9]+/v1/messages .*-> 200'
	refute_regex "$stderr" 'sk-test-key'
}

@test "CSC_MODEL and CSC_MAX_TOKENS set the request; --no-stream sends stream false; a bad CSC_MAX_TOKENS exits 78" {
	CSC_MODEL=claude-haiku-4-5 CSC_MAX_TOKENS=20000 run --separate-stderr csc-generate --no-stream <"$REQ"
	assert_success
	assert_equal "$(recorded | jq -c '[.model, .max_tokens, .stream]')" '["claude-haiku-4-5",20000,false]'
	assert_equal "$(jq -r .model <<<"$output")" claude-haiku-4-5
	: >"$RECORD"
	CSC_MAX_TOKENS=lots run --separate-stderr csc-generate <"$REQ"
	assert_failure 78
	assert_output ''
	assert_equal "$(jq -s length "$RECORD")" 0
}

@test "a bad CSC_NOW exits 78 with one line naming it, before any request" {
	CSC_NOW=abc run --separate-stderr csc-generate <"$REQ"
	assert_failure 78
	assert_output ''
	assert_equal "$stderr" "csc-generate: CSC_NOW must be seconds since the epoch, not 'abc'"
	assert_equal "$(jq -s length "$RECORD")" 0
	CSC_NOW=abc run --separate-stderr csc-generate --batch <<<"$(jq -c . "$REQ")"
	assert_failure 78
	assert_output ''
	assert_equal "$stderr" "csc-generate: CSC_NOW must be seconds since the epoch, not 'abc'"
	assert_equal "$(jq -s length "$RECORD")" 0
}

@test "a numeric setting with a sign or white space around it exits 78 and sends nothing" {
	for v in '+100' ' 100' '100 ' '0x64'; do
		CSC_MAX_TOKENS="$v" run --separate-stderr csc-generate <"$REQ"
		assert_failure 78
		assert_equal "$stderr" "csc-generate: CSC_MAX_TOKENS must be a whole number from 1 to 1000000"
	done
	assert_equal "$(jq -s length "$RECORD")" 0
}

@test "ANTHROPIC_AUTH_TOKEN alone is sent as a bearer token, and never recorded" {
	ANTHROPIC_AUTH_TOKEN=tok-bearer-secret-42 run --separate-stderr env -u ANTHROPIC_API_KEY csc-generate -v <"$REQ"
	assert_success
	assert_bundle "$output"
	assert_equal "$(jq -c '[.auth, .headers.authorization, (.headers | has("x-api-key"))]' "$RECORD")" '["bearer","<redacted>",false]'
	run grep -c -F tok-bearer-secret-42 "$RECORD"
	assert_output 0
	refute_regex "$stderr" 'tok-bearer-secret-42'
}

@test "--tool asks through the forced tool write_bundle instead of output_config, streamed and not" {
	local stream body
	for stream in true false; do
		echo "stream=$stream"
		: >"$RECORD"
		# shellcheck disable=SC2046 # mode prints one word or nothing
		run --separate-stderr csc-generate --tool $(mode "$stream") <"$REQ"
		assert_success
		assert_bundle "$output"
		assert_equal "$(jq -r .stop_reason <<<"$output")" tool_use
		body=$(recorded)
		assert_equal "$(jq -c '[(.tools | length), .tools[0].name, .tool_choice, has("output_config"), .stream]' <<<"$body")" \
			"[1,\"write_bundle\",{\"type\":\"tool\",\"name\":\"write_bundle\"},false,$stream]"
		assert_equal "$(jq -c '.tools[0].input_schema | [.type, .additionalProperties, (.required | sort), (.properties | keys)]' <<<"$body")" \
			"$(jq -c '["object", false, sort, sort]' <<<"$FILES")"
		assert_equal "$(jq -c '.system[0].cache_control.type' <<<"$body")" '"ephemeral"'
	done
}

# --- input ----------------------------------------------------------------------

@test "a finished csc-ask interview is a request, and its conversation_id is carried" {
	local answer state id
	state=$(csc-ask start)
	for answer in ' vfirewall ' 2 'traffic filtering,  INTRUSION prevention' kubernetes \
		'ha PAIR (active-passive)' ' postgresql' 'Must log every dropped packet'; do
		state=$(csc-ask answer "$answer" <<<"$state")
	done
	assert_equal "$(jq -r .status <<<"$state")" complete
	id=$(jq -r .conversation_id <<<"$state")
	run --separate-stderr csc-generate <<<"$state"
	assert_success
	assert_bundle "$output"
	assert_equal "$(jq -r .conversation_id <<<"$output")" "$id"
	assert_equal "$(jq -c .service_data <<<"$output")" "$(jq -c .service_data <<<"$state")"
	assert_equal "$(recorded | jq -r '.messages[0].content | contains("Must log every dropped packet")')" true
	# Given ids are kept.
	run --separate-stderr csc-generate --no-stream <<<"$(jq -c '{service_data, service_id: "4b1e8f3a-0c2d-4e5f-8a9b-0c1d2e3f4a5b",
		code_id: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", conversation_id}' <<<"$state")"
	assert_success
	assert_equal "$(jq -r '.service_id, .code_id, .conversation_id' <<<"$output")" \
		$'4b1e8f3a-0c2d-4e5f-8a9b-0c1d2e3f4a5b\n9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a\n'"$id"
}

@test "an unfinished interview and bad requests exit 65 with nothing on stdout and nothing sent" {
	local state bad sd
	state=$(csc-ask start | csc-ask answer vfirewall)
	run --separate-stderr csc-generate <<<"$state"
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" 'csc-generate: the interview is not complete (step 2 of 7)'
	sd=$(jq -c .service_data "$REQ")
	for bad in '' 'not json' '{"service_data":' '[1,2]' '{}' '{"service_data":"vFirewall"}' \
		'{"service_data":{"vendor":"Cisco"}}' '{"service_data":{"service_type":7}}' \
		"{\"service_data\":$sd,\"service_id\":\"SVC-1\"}" \
		"{\"service_data\":$sd,\"service_id\":\"../../etc/passwd\"}" \
		"{\"service_data\":$sd,\"code_id\":42}" \
		"{\"service_data\":$sd,\"conversation_id\":\"4B1E8F3A-0C2D-4E5F-8A9B-0C1D2E3F4A5B\"}"; do
		echo "input: $bad"
		run --separate-stderr csc-generate <<<"$bad"
		assert_failure 65
		assert_output ''
		# One line on stderr.
		assert_regex "$stderr" '^csc-generate: '
		assert_equal "$(wc -l <<<"$stderr")" 1
	done
	assert_equal "$(jq -s length "$RECORD")" 0
}

@test "a member name given twice exits 65 naming the object, with nothing sent; so does a bad CSC_MAX_INPUT, with 78" {
	run --separate-stderr csc-generate <<<'{"service_data":{"service_type":"vFirewall"},"service_data":{"service_type":"vDNS"}}'
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" 'csc-generate: standard input: duplicate key "service_data" at .'
	jq -c '.service_data.vendor_extra = 1' "$REQ" | sed 's/"vendor_extra":1/"vendor":"Cisco","vendor":"Fortinet"/' >"$T/dup.json"
	run --separate-stderr csc-generate <"$T/dup.json"
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" 'csc-generate: standard input: duplicate key "vendor" at .service_data'
	CSC_MAX_INPUT=abc run --separate-stderr csc-generate <"$REQ"
	assert_failure 78
	assert_output ''
	assert_equal "$stderr" 'csc-generate: CSC_MAX_INPUT must be a whole number from 1 to 1073741824'
	CSC_MAX_INPUT=abc run --separate-stderr csc-generate --batch <"$REQ"
	assert_failure 78
	assert_output ''
	assert_equal "$(jq -s length "$RECORD")" 0
}

@test "no API key exits 78 before any request; so do a model the API does not know and a bad ANTHROPIC_BASE_URL" {
	run --separate-stderr env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN csc-generate <"$REQ"
	assert_failure 78
	assert_output ''
	assert_regex "$stderr" 'ANTHROPIC_API_KEY'
	ANTHROPIC_API_KEY='' run --separate-stderr csc-generate <"$REQ"
	assert_failure 78
	ANTHROPIC_BASE_URL=ftp://127.0.0.1/ run --separate-stderr csc-generate <"$REQ"
	assert_failure 78
	assert_equal "$(jq -s length "$RECORD")" 0
	# The stand-in answers 404 not_found_error for a model not named claude-*.
	CSC_MODEL=gpt-4o run --separate-stderr csc-generate <"$REQ"
	assert_failure 78
	assert_output ''
	assert_equal "$(requests /v1/messages)" 1
}

# --- faults -----------------------------------------------------------------------

# The fault tests run csc-generate streamed and unstreamed side by side:
# each mode has its own rule (matched on "stream") and its requests are
# told apart in the record by body.stream.

# both_faults FAULT [EXTRA]: FAULT, with EXTRA's members, for both modes.
both_faults() {
	faults "[$(rule "$1" true "${2:-}"), $(rule "$1" false "${2:-}")]"
}

# gen_both ARGS...: csc-generate ARGS <$REQ, streamed and not, at the same
# time; each run's stdout, stderr and status land in $T/{out,err,rc}.MODE.
gen_both() {
	local s
	for s in true false; do
		{
			local rc=0
			# shellcheck disable=SC2046 # mode prints one word or nothing
			csc-generate "$@" $(mode "$s") <"$REQ" >"$T/out.$s" 2>"$T/err.$s" || rc=$?
			printf '%s\n' "$rc" >"$T/rc.$s"
		} 3>&- &
	done
	wait
}

# result STREAM: $status, $output and $stderr of that mode's run.
result() {
	echo "stream=$1"
	status=$(cat "$T/rc.$1")
	output=$(cat "$T/out.$1")
	stderr=$(cat "$T/err.$1")
}

# requests_of STREAM: how many /v1/messages requests of that mode the
# stand-in recorded.
requests_of() {
	jq -s --argjson s "$1" 'map(select(.path == "/v1/messages" and .body.stream == $s)) | length' "$RECORD"
}

# retried FAULT [EXTRA]: FAULT twice, then a clean answer; streamed and not,
# csc-generate succeeds on the third request, with -v logging two retries,
# and writes exactly one bundle.
retried() {
	local s
	both_faults "$1" "$(jq -nc --argjson x "${2:-null}" '{times: 2} + ($x // {})')"
	: >"$RECORD"
	gen_both -v
	for s in true false; do
		result "$s"
		assert_success
		assert_equal "$(jq -s length <<<"$output")" 1
		assert_bundle "$output"
		assert_equal "$(requests_of "$s")" 3
		assert_equal "$(grep -c '^csc-generate: retrying POST .*/v1/messages' <<<"$stderr")" 2
		assert_equal "$(jq -r .request_id <<<"$output")" \
			"$(jq -s -r --argjson s "$s" 'map(select(.body.stream == $s)) | .[2].request_id' "$RECORD")"
	done
}

# exhausted FAULT CODE [EXTRA]: FAULT on every request; streamed and not,
# csc-generate gives up after CSC_MAX_ATTEMPTS (3) requests with exit CODE,
# one line on stderr and nothing on stdout.
exhausted() {
	local s
	both_faults "$1" "${3:-}"
	: >"$RECORD"
	gen_both
	for s in true false; do
		result "$s"
		assert_failure "$2"
		assert_output ''
		assert_equal "$(requests_of "$s")" 3
		assert_regex "$stderr" '^csc-generate: Claude messages: .*\(after 3 attempts\)$'
		assert_equal "$(wc -l <<<"$stderr")" 1
	done
}

# refused_once FAULT CODE PATTERN [EXTRA]: FAULT ends csc-generate after one
# request with exit CODE and an error line matching PATTERN.
refused_once() {
	local s
	both_faults "$1" "${4:-}"
	: >"$RECORD"
	gen_both
	for s in true false; do
		result "$s"
		assert_failure "$2"
		assert_output ''
		assert_equal "$(requests_of "$s")" 1
		assert_regex "$stderr" "^csc-generate: $3"
	done
}

@test "overloaded (529) twice is retried and the third request succeeds" {
	retried overloaded
}

@test "rate_limit (429) twice is retried after the server's retry-after-ms" {
	retried rate_limit '{"retry_after_ms": 30}'
	assert_equal "$(grep -c 'retrying POST .* in 30 ms$' <<<"$stderr")" 2
}

@test "server_error (500) twice is retried and the third request succeeds" {
	retried server_error
}

@test "stream_error (an error event mid-stream; 529 unstreamed) twice is retried and the third request succeeds" {
	retried stream_error
	result true
	assert_regex "$stderr" 'transfer stopped by the reader'
}

@test "drop (the connection cut mid-reply) twice is retried; no partial bundle reaches stdout" {
	retried drop '{"fraction": 0.9}'
}

@test "slow within the timeout is one request that succeeds; slower than CSC_TIMEOUT_MS twice is retried" {
	local s
	both_faults slow '{"delay_ms": 1}'
	CSC_TIMEOUT_MS=30000 gen_both
	for s in true false; do
		result "$s"
		assert_success
		assert_bundle "$output"
		assert_equal "$(requests_of "$s")" 1
	done
	CSC_TIMEOUT_MS=300 retried slow '{"delay_ms": 50}'
	assert_regex "$stderr" 'Timeout'
}

@test "overloaded on every request: exit 69 after CSC_MAX_ATTEMPTS requests, nothing on stdout" {
	exhausted overloaded 69
}

@test "rate_limit on every request: exit 75 after CSC_MAX_ATTEMPTS requests; the default is five attempts" {
	exhausted rate_limit 75 '{"retry_after_ms": 20}'
	faults "[$(rule rate_limit true '{"retry_after_ms": 20}')]"
	: >"$RECORD"
	run --separate-stderr env -u CSC_MAX_ATTEMPTS csc-generate <"$REQ"
	assert_failure 75
	assert_output ''
	assert_equal "$(requests /v1/messages)" 5
}

@test "server_error on every request: exit 69 after CSC_MAX_ATTEMPTS requests, nothing on stdout" {
	exhausted server_error 69
}

@test "stream_error on every request: exit 69 after CSC_MAX_ATTEMPTS requests, nothing on stdout" {
	exhausted stream_error 69
}

@test "drop on every request: exit 69 after CSC_MAX_ATTEMPTS requests; a stream cut mid-way never yields output" {
	exhausted drop 69 '{"fraction": 0.95}'
}

@test "slower than CSC_TIMEOUT_MS on every request: exit 69 after CSC_MAX_ATTEMPTS requests" {
	CSC_TIMEOUT_MS=300 exhausted slow 69 '{"delay_ms": 50}'
}

@test "hang: CSC_TIMEOUT_MS fires, the request is retried, then exit 69 with nothing on stdout" {
	local s
	both_faults hang
	CSC_TIMEOUT_MS=500 CSC_MAX_ATTEMPTS=2 gen_both -v
	for s in true false; do
		result "$s"
		assert_failure 69
		assert_output ''
		assert_equal "$(requests_of "$s")" 2
		assert_equal "$(grep -c '^csc-generate: retrying POST' <<<"$stderr")" 1
		assert_regex "$stderr" 'Timeout was reached \(after 2 attempts\)$'
	done
}

@test "CSC_DEADLINE_MS ends a hung or trickling reply at the deadline: exit 75, one line, nothing on stdout" {
	local s
	# No reply at all: the deadline ends it, long before CSC_TIMEOUT_MS
	# would (which bounds the run should the deadline be ignored).
	both_faults hang
	CSC_DEADLINE_MS=1500 CSC_TIMEOUT_MS=5000 gen_both
	for s in true false; do
		result "$s"
		assert_failure 75
		assert_output ''
		assert_equal "$(requests_of "$s")" 1
		assert_regex "$stderr" '^csc-generate: deadline of 1500 ms passed after 1 attempt: Claude messages: Timeout was reached$'
	done
	# A reply that keeps coming, slower than the deadline allows.
	both_faults slow '{"delay_ms": 300}'
	: >"$RECORD"
	CSC_DEADLINE_MS=1500 CSC_TIMEOUT_MS=5000 gen_both
	for s in true false; do
		result "$s"
		assert_failure 75
		assert_output ''
		assert_equal "$(requests_of "$s")" 1
		assert_regex "$stderr" '^csc-generate: deadline of 1500 ms passed after 1 attempt: Claude messages: Timeout was reached$'
	done
}

@test "a retry whose wait would pass the deadline is not made: exit 75 after one request" {
	local s
	both_faults rate_limit '{"retry_after_ms": 5000}'
	CSC_DEADLINE_MS=2000 CSC_MAX_ATTEMPTS=2 gen_both -v
	for s in true false; do
		result "$s"
		assert_failure 75
		assert_output ''
		assert_equal "$(requests_of "$s")" 1
		refute_regex "$stderr" 'retrying'
		assert_regex "$stderr" '(^|'$'\n'')csc-generate: deadline of 2000 ms passed after 1 attempt: Claude messages: HTTP 429 rate_limit_error: '
	done
}

@test "rate_limit_spend (an exhausted spend limit) is not retried: one request, exit 75" {
	refused_once rate_limit_spend 75 'Claude messages: HTTP 429 rate_limit_error: .*spend limit'
}

@test "x-should-retry: false is obeyed on a 500: one request, exit 69" {
	refused_once should_retry_false 69 'Claude messages: HTTP 500 api_error'
}

@test "401 and 403 exit 77 after one request" {
	refused_once unauthorized 77 'Claude messages: HTTP 401 authentication_error'
	refused_once forbidden 77 'Claude messages: HTTP 403 permission_error'
}

@test "404 not_found exits 78 and 400 invalid_request exits 65, each after one request" {
	refused_once not_found 78 'Claude messages: HTTP 404 not_found_error'
	refused_once bad_request 65 'Claude messages: HTTP 400 invalid_request_error: scripted: messages is wrong' \
		'{"message": "scripted: messages is wrong"}'
}

@test "a 400 refusing output_config.format itself is asked again through the tool, streamed and not" {
	local s
	for s in true false; do
		echo "stream=$s"
		: >"$RECORD"
		faults "[$(rule bad_request "$s" '{"times": 1, "message": "output_config.format: Extra inputs are not permitted"}')]"
		# shellcheck disable=SC2046 # mode prints one word or nothing
		run --separate-stderr csc-generate $(mode "$s") <"$REQ"
		assert_success
		assert_equal "$stderr" ''
		assert_bundle "$output"
		assert_equal "$(jq -r .stop_reason <<<"$output")" tool_use
		assert_equal "$(jq -s -c 'map(.body | [has("output_config"), .tool_choice.name])' "$RECORD")" \
			'[[true,null],[false,"write_bundle"]]'
	done
}

@test "other 400 invalid_request_errors, and output_config refused with another status, do not fall back to the tool" {
	local msg
	# Another parameter, a problem inside the schema, no parameter at all.
	for msg in 'messages.0.content: Field required' \
		"output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false" \
		'scripted: output_config is wrong'; do
		echo "message: $msg"
		: >"$RECORD"
		faults "[$(rule bad_request true "$(jq -nc --arg m "$msg" '{times: 1, message: $m}')")]"
		run --separate-stderr csc-generate <"$REQ"
		assert_failure 65
		assert_output ''
		assert_equal "$stderr" "csc-generate: Claude messages: HTTP 400 invalid_request_error: $msg (after 1 attempt)"
		assert_equal "$(requests /v1/messages)" 1
	done
	: >"$RECORD"
	faults "[$(rule status true '{"times": 1, "status": 422, "error_type": "invalid_request_error", "message": "output_config.format: Extra inputs are not permitted"}')]"
	run --separate-stderr csc-generate <"$REQ"
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" 'csc-generate: Claude messages: HTTP 422 invalid_request_error: output_config.format: Extra inputs are not permitted (after 1 attempt)'
	assert_equal "$(requests /v1/messages)" 1
}

@test "stop_reason max_tokens is a failure naming max_tokens, not a truncated bundle" {
	refused_once max_tokens 69 'Claude stopped at max_tokens .*CSC_MAX_TOKENS'
}

@test "stop_reason refusal is a failure that says Claude refused" {
	refused_once refusal 69 'Claude refused'
}

@test "a reply that is not JSON, or JSON without every file, exits 69, with output_config and with --tool" {
	refused_once invalid_json 69 "Claude's reply is not the JSON the schema asks for"
	refused_once invalid_json 69 "Claude's bundle lacks [a-z_]+\.(py|sql|yaml|txt|md)" '{"variant": "schema"}'
	# A file named twice: cJSON would keep the first, jq the last.
	refused_once invalid_json 69 "Claude's reply: duplicate key \"README.md\" at \\.(files)?\$" '{"variant": "duplicate_key"}'
	faults "[$(rule invalid_json false)]"
	run --separate-stderr csc-generate --tool --no-stream <"$REQ"
	assert_failure 69
	assert_output ''
	assert_regex "$stderr" "^csc-generate: Claude's bundle lacks "
}

# --- cost -------------------------------------------------------------------------

@test "cost_usd is usage times the price table, cache writes and reads included; a cached request costs less" {
	local first second
	# A dated id of a model no other test uses: its cache starts empty, and
	# its price is the base id's.
	export CSC_MODEL=claude-sonnet-4-5-20250929
	run --separate-stderr csc-generate <"$REQ"
	assert_success
	first=$output
	assert_equal "$(jq -r .model <<<"$first")" claude-sonnet-4-5-20250929
	assert_equal "$(jq '.usage.cache_creation_input_tokens > 0 and .usage.cache_read_input_tokens == 0' <<<"$first")" true
	assert_equal "$(micro "$first")" "$(micro_usd "$PRICES" claude-sonnet-4-5 false <<<"$first")"
	run --separate-stderr csc-generate --no-stream <"$REQ"
	assert_success
	second=$output
	assert_equal "$(jq '.usage.cache_read_input_tokens > 0 and .usage.cache_creation_input_tokens == 0' <<<"$second")" true
	assert_equal "$(micro "$second")" "$(micro_usd "$PRICES" claude-sonnet-4-5 false <<<"$second")"
	[ "$(micro "$second")" -lt "$(micro "$first")" ]
}

@test "CSC_PRICES replaces the price table; an unknown model costs null; a file that is no table exits 78" {
	local default
	run --separate-stderr csc-generate --no-stream <"$REQ"
	assert_success
	default=$(micro "$output")
	jq -n '{batch_discount: 0.5, models: {"claude-sonnet-5-5": {input: 1000, output: 2000,
		cache_write_5m: 4000, cache_write_1h: 8000, cache_read: 100}}}' >"$T/prices.json"
	CSC_PRICES="$T/prices.json" run --separate-stderr csc-generate --no-stream <"$REQ"
	assert_success
	assert_equal "$(micro "$output")" "$(micro_usd "$T/prices.json" claude-sonnet-5-5 false <<<"$output")"
	[ "$(micro "$output")" -gt "$default" ]
	# No price for this model: the bundle still comes, at an unknown cost.
	CSC_MODEL=claude-unknown-9 run --separate-stderr csc-generate <"$REQ"
	assert_success
	assert_bundle "$output"
	assert_equal "$(jq -c '[.model, .cost_usd]' <<<"$output")" '["claude-unknown-9",null]'
	: >"$RECORD"
	printf '{"prices": []}\n' >"$T/not-a-table.json"
	for bad in "$T/not-a-table.json" "$CSC_TOP/share/questions.json" "$T/missing.json"; do
		CSC_PRICES="$bad" run --separate-stderr csc-generate <"$REQ"
		assert_failure 78
		assert_output ''
		assert_regex "$stderr" "^csc-generate: CSC_PRICES $bad"
	done
	assert_equal "$(jq -s length "$RECORD")" 0
}

# --- batches ----------------------------------------------------------------------

# batch_input: 20 request lines: svc-01..svc-20, except line 15 (no
# service_type) and line 18 (no custom_id: line-18); line 2 brings its own
# service_id.
batch_input() {
	local i
	for i in $(seq 1 20); do
		case $i in
		2) jq -c '. + {custom_id: "svc-02", service_id: "4b1e8f3a-0c2d-4e5f-8a9b-0c1d2e3f4a5b"}' "$REQ" ;;
		15) printf '%s\n' '{"custom_id":"svc-15","service_data":{"vendor":"Cisco"}}' ;;
		18) printf '%s\n' '{"service_data":{"service_type":"vRouter","vendor":"Juniper"}}' ;;
		*) jq -c --arg c "$(printf 'svc-%02d' "$i")" '. + {custom_id: $c}' "$REQ" ;;
		esac
	done
}

@test "--batch: 20 lines give 20 lines in input order, with per-line errors; one Message Batch carries each custom_id" {
	local ids create
	batch_input >"$T/in.jsonl"
	faults '[{"match": {"path": "batch", "custom_id": "svc-03"}, "fault": "server_error"},
		{"match": {"path": "batch", "custom_id": "svc-07"}, "fault": "max_tokens"},
		{"match": {"path": "batch", "custom_id": "svc-11"}, "fault": "expired"}]'
	run --separate-stderr csc-generate --batch <"$T/in.jsonl"
	assert_success
	ids=$(jq -c '[range(1; 21) | if . == 18 then "line-18" else "svc-\(if . < 10 then "0" else "" end)\(.)" end]' <<<null)
	assert_equal "$(jq -s -c 'map(.custom_id)' <<<"$output")" "$ids"
	# Every line but the four failures is a bundle, priced at batch rates.
	assert_equal "$(jq -s -c '[.[] | select(has("files")) | .custom_id] | length' <<<"$output")" 16
	assert_equal "$(jq -s -c --argjson f "$FILES" '[.[] | select(has("files"))
		| ([.files[].name] == $f) and (.usage.service_tier == "batch") and (.service_id | test("^[0-9a-f-]{36}$"))]
		| unique' <<<"$output")" '[true]'
	assert_equal "$(jq -s -r '.[1].service_id' <<<"$output")" 4b1e8f3a-0c2d-4e5f-8a9b-0c1d2e3f4a5b
	assert_equal "$(jq -s -r '.[17].service_data.service_type' <<<"$output")" vRouter
	# The failures: {custom_id, error: {type, message}}, no files.
	assert_equal "$(jq -s -c '.[2] | [.custom_id, .error.type, has("files"), (.service_id | type), (.code_id | type)]' <<<"$output")" \
		'["svc-03","api_error",false,"string","string"]'
	assert_equal "$(jq -s -c '.[6] | [.custom_id, .error.type, (.error.message | test("max_tokens"))]' <<<"$output")" \
		'["svc-07","invalid_output",true]'
	assert_equal "$(jq -s -c '.[10] | [.custom_id, .error.type]' <<<"$output")" '["svc-11","expired"]'
	assert_equal "$(jq -s -c '.[14] | [.custom_id, .error.type, (.error.message | test("service_type"))]' <<<"$output")" \
		'["svc-15","invalid_request",true]'
	# One batch of 19 (the invalid line is not sent), polled, then read;
	# no request went to /v1/messages.
	assert_equal "$(requests /v1/messages/batches)" 1
	assert_equal "$(requests /v1/messages)" 0
	create=$(jq -s -c 'map(select(.path == "/v1/messages/batches")) | .[0].body' "$RECORD")
	assert_equal "$(jq -c '[.requests[].custom_id]' <<<"$create")" "$(jq -c 'del(.[14])' <<<"$ids")"
	assert_equal "$(jq -c '[.requests[].params | (.model == "claude-sonnet-5-5") and (.output_config.format.type == "json_schema")
		and (.system[0].cache_control.type == "ephemeral") and ((.stream // false) == false)] | unique' <<<"$create")" '[true]'
	assert_equal "$(jq -r '.requests[] | select(.custom_id == "line-18") | .params.messages[0].content | contains("vRouter")' <<<"$create")" true
	assert_equal "$(jq -s '[.[] | select(.method == "GET" and (.path | test("^/v1/messages/batches/[^/]+$")))] | length' "$RECORD")" 3
	assert_equal "$(jq -s '[.[] | select(.method == "GET" and (.path | test("/results$")))] | length' "$RECORD")" 1
}

@test "--batch costs half: each line's cost_usd is the table's price at the batch discount" {
	local line
	batch_input | head -n 3 >"$T/in.jsonl"
	run --separate-stderr csc-generate --batch <"$T/in.jsonl"
	assert_success
	assert_equal "$(jq -s length <<<"$output")" 3
	while IFS= read -r line; do
		assert_equal "$(micro "$line")" "$(micro_usd "$PRICES" claude-sonnet-5-5 true <<<"$line")"
		[ "$(micro "$line")" -lt "$(micro_usd "$PRICES" claude-sonnet-5-5 false <<<"$line")" ]
	done <<<"$output"
}

@test "--batch: a repeated custom_id exits 65 with nothing sent; a line that is not JSON gets its own error line; only bad lines send no batch" {
	{
		jq -c '. + {custom_id: "twice"}' "$REQ"
		jq -c '. + {custom_id: "twice"}' "$REQ"
	} >"$T/dup.jsonl"
	run --separate-stderr csc-generate --batch <"$T/dup.jsonl"
	assert_failure 65
	assert_output ''
	{
		jq -c . "$REQ"
		printf 'not json\n'
	} >"$T/notjson.jsonl"
	run --separate-stderr csc-generate --batch <"$T/notjson.jsonl"
	assert_success
	assert_equal "$(jq -s -c 'map([.custom_id, (.files | length), .error.type])' <<<"$output")" \
		'[["line-1",6,null],["line-2",0,"invalid_request"]]'
	assert_equal "$(jq -s -r '.[1].error.message' <<<"$output")" 'standard input line 2: invalid JSON near byte 0'
	# One batch, of the one good line.
	assert_equal "$(jq -s -c 'map(select(.path == "/v1/messages/batches")) | map(.body.requests | length)' "$RECORD")" '[1]'
	: >"$RECORD"
	# A custom_id that cannot be one is that line's error, not replaced.
	printf '%s\n' '{"custom_id":"bad id!","service_data":{"service_type":"vNAT"}}' >"$T/badid.jsonl"
	run --separate-stderr csc-generate --batch <"$T/badid.jsonl"
	assert_success
	assert_equal "$(jq -c '[.custom_id, .error.type, (.error.message | test("custom_id"))]' <<<"$output")" '["line-1","invalid_request",true]'
	assert_equal "$(jq -s length "$RECORD")" 0
	# Every line invalid: one error line each, and no batch at all.
	printf '%s\n' '{"service_data":{}}' '{"custom_id":"b","service_data":{"service_type":"vNAT"},"code_id":"x"}' >"$T/bad.jsonl"
	run --separate-stderr csc-generate --batch <"$T/bad.jsonl"
	assert_success
	assert_equal "$(jq -s -c 'map([.custom_id, .error.type])' <<<"$output")" '[["line-1","invalid_request"],["b","invalid_request"]]'
	assert_equal "$(jq -s length "$RECORD")" 0
}

@test "--batch takes 100000 lines, each bad line its own error line; 100001 exit 65 saying so, nothing sent" {
	# Lines that are not JSON: no batch is sent for them, so the limit is
	# checked without a 100000-request batch.
	seq 100000 | sed 's/.*/not json/' >"$T/max.jsonl"
	run --separate-stderr csc-generate --batch <"$T/max.jsonl"
	assert_success
	assert_equal "$stderr" ''
	assert_equal "${#lines[@]}" 100000
	assert_equal "$(jq -c 'select(.error.type != "invalid_request")' <<<"$output" | wc -l)" 0
	assert_equal "${lines[99999]}" \
		'{"custom_id":"line-100000","error":{"type":"invalid_request","message":"standard input line 100000: invalid JSON near byte 0"}}'
	printf 'not json\n' >>"$T/max.jsonl"
	run --separate-stderr csc-generate --batch <"$T/max.jsonl"
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" 'csc-generate: more than 100000 requests in one batch'
	assert_equal "$(jq -s length "$RECORD")" 0
}

@test "--batch: a failed create or results download is retried; a create that keeps failing exits 69 with nothing on stdout" {
	batch_input | head -n 2 >"$T/in.jsonl"
	faults '[{"match": {"path": "/v1/messages/batches", "method": "POST"}, "fault": "server_error", "times": 1},
		{"match": {"path": "/v1/messages/batches/*/results", "method": "GET"}, "fault": "drop", "times": 1}]'
	run --separate-stderr csc-generate --batch <"$T/in.jsonl"
	assert_success
	assert_equal "$(jq -s -c 'map([.custom_id, (.files | length)])' <<<"$output")" '[["svc-01",6],["svc-02",6]]'
	assert_equal "$(requests /v1/messages/batches)" 2
	assert_equal "$(jq -s '[.[] | select(.path | test("/results$"))] | length' "$RECORD")" 2
	faults '[{"match": {"path": "/v1/messages/batches", "method": "POST"}, "fault": "server_error"}]'
	: >"$RECORD"
	CSC_MAX_ATTEMPTS=2 run --separate-stderr csc-generate --batch <"$T/in.jsonl"
	assert_failure 69
	assert_output ''
	assert_equal "$(requests /v1/messages/batches)" 2
}

# --- the pipeline -----------------------------------------------------------------

# pipeline OUT: csc-generate | csc-store put-code | csc-presign, keeping
# csc-generate's output in OUT.gen.json.
pipeline() {
	set -o pipefail
	csc-generate <"$REQ" | tee "$1.gen.json" | csc-store put-code | csc-presign
}

@test "end to end: csc-generate | csc-store put-code | csc-presign, and each URL gives back the bytes generated" {
	local name url gen
	stack_dir=$(mktemp -d)
	env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN -u ANTHROPIC_BASE_URL \
		"$CSC_TOP/deploy/local/stack" up "$stack_dir" >/dev/null 3>&-
	# shellcheck source=/dev/null
	source "$stack_dir/env"
	# The stack's own stand-in, not this suite's.
	[ "$ANTHROPIC_BASE_URL" != "$BASE" ]
	csc-store init >/dev/null
	run --separate-stderr pipeline "$T/p"
	assert_success
	gen=$(cat "$T/p.gen.json")
	assert_bundle "$gen"
	assert_equal "$(jq -c '[.files[].name]' <<<"$output")" "$FILES"
	assert_equal "$(jq -c '[.service_id, .code_id]' <<<"$output")" "$(jq -c '[.service_id, .code_id]' <<<"$gen")"
	write_files "$gen" "$T/want"
	mkdir "$T/got"
	for name in $(jq -r '.files[].name' <<<"$gen"); do
		url=$(jq -r --arg n "$name" '.files[] | select(.name == $n) | .url' <<<"$output")
		assert_regex "$url" '^http://127\.0\.0\.1:[0-9]+/.*X-Amz-Signature='
		curl -sSf -o "$T/got/$name" "$url"
		cmp "$T/want/$name" "$T/got/$name"
	done
	assert_equal "$(jq -s '[.[] | select(.path == "/v1/messages")] | length' "$stack_dir/claude-requests.jsonl")" 1
	assert_equal "$(jq -s length "$RECORD")" 0
	"$CSC_TOP/deploy/local/stack" down "$stack_dir" >/dev/null
	rm -rf "$stack_dir"
	stack_dir=
}

# --- valgrind ---------------------------------------------------------------------

# vg ARGS...: run a program under valgrind; exit 99 on any memory error.
vg() {
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 "$@"
}

@test "csc-generate is clean under valgrind: streamed (with retries), unstreamed, a batch, and error paths" {
	case "$CSC_BUILD" in *san*) skip "the sanitizer build checks memory itself" ;; esac
	command -v valgrind >/dev/null || fail "valgrind is not installed"
	# A stream cut once and an error event once, then a whole one.
	faults "[$(rule drop true '{"times": 1}'), $(rule stream_error true '{"times": 1}')]"
	run --separate-stderr vg csc-generate <"$REQ"
	assert_success
	assert_bundle "$output"
	assert_equal "$(requests /v1/messages)" 3
	run --separate-stderr vg csc-generate --no-stream --check --tool <"$REQ"
	assert_success
	assert_bundle "$output"
	batch_input | head -n 4 >"$T/in.jsonl"
	faults '[{"match": {"path": "batch", "custom_id": "svc-03"}, "fault": "server_error"}]'
	run --separate-stderr vg csc-generate --batch <"$T/in.jsonl"
	assert_success
	assert_equal "$(jq -s -c 'map(.error.type)' <<<"$output")" '[null,null,"api_error",null]'
	faults "[$(rule server_error true)]"
	CSC_MAX_ATTEMPTS=2 run --separate-stderr vg csc-generate <"$REQ"
	assert_failure 69
	faults "[$(rule max_tokens false)]"
	run --separate-stderr vg csc-generate --no-stream <"$REQ"
	assert_failure 69
	run --separate-stderr vg csc-generate <<<'{"service_data":{"vendor":"Cisco"}}'
	assert_failure 65
	ANTHROPIC_API_KEY='' run --separate-stderr vg csc-generate <"$REQ"
	assert_failure 78
}

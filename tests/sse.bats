#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# sse and msgstream: the event-stream parser (WHATWG framing, fed in
# pieces split anywhere) and the Messages API reply rebuilt from its
# events.  The .sse fixtures were captured from the Claude stand-in
# (deploy/local), each with the reply the same request gets without
# "stream" (.json), which the rebuilt message must equal.

load helper

setup() {
	SSE=$(unit test_sse)
	FIX="$CSC_TOP/tests/fixtures/sse"
	T="$BATS_TEST_TMPDIR"
}

teardown() {
	if [ -f "$T/standin/pid" ]; then
		stop_server "$T/standin"
	fi
}

# events [driver options...]: run the driver on stdin, expecting success
# and nothing on stderr.
events() {
	run --separate-stderr "$SSE" "$@"
	assert_success
	assert_equal "$stderr" ""
}

# refused LINE [driver options...]: the driver refuses stdin with exit 1
# and the one line "test_sse: LINE".
refused() {
	local line="$1"
	shift
	run -1 --separate-stderr "$SSE" "$@"
	assert_equal "$stderr" "test_sse: $line"
}

# expect LINE...: the output is these lines.
expect() {
	assert_output "$(printf '%s\n' "$@")"
}

# json FILTER: the jq FILTER holds of the driver's output.
json() {
	jq -e "$1" <<<"$output" >/dev/null || fail "jq $1 does not hold of: $output"
}

# same_split FILE [options...]: FILE gives the same output in pieces of
# every size from 1 to 80 bytes, and in random pieces from 20 seeds, as
# in one piece.
same_split() {
	local file="$1" want p s
	shift
	want=$("$SSE" "$@" <"$file")
	for p in $(seq 80); do
		assert_equal "$("$SSE" -p "$p" "$@" <"$file")" "$want"
	done
	for s in $(seq 20); do
		assert_equal "$("$SSE" -p 0 -s "$s" "$@" <"$file")" "$want"
	done
}

# same_reply FILE JSON: the message rebuilt from the stream in FILE equals
# the non-streamed reply in JSON, but for the ids and signatures that each
# request draws afresh, which must equal the stream's own.
same_reply() {
	local got="$T/got.json" data="$T/data"
	"$SSE" -m <"$1" >"$got" || fail "test_sse -m failed on $1"
	jq -e '.state == "done" and .end == 0' "$got" >/dev/null ||
		fail "$1 did not end well: $(jq -c 'del(.message)' "$got")"
	diff -u <(jq -S 'del(.id, .content[].id, .content[].signature)' "$2") \
		<(jq -S '.message | del(.id, .content[].id, .content[].signature)' "$got") ||
		fail "the message rebuilt from $1 differs from $2"
	sed -n 's/^data: //p' "$1" >"$data"
	assert_equal "$(jq -r '.message.id' "$got")" \
		"$(jq -r 'select(.type == "message_start").message.id' "$data")"
	assert_equal "$(jq -c '[.message.content[] | .id // .signature // empty]' "$got")" \
		"$(jq -sc '[.[] | .content_block.id // .delta.signature // empty]' "$data")"
}

# Crafted streams, in the API's framing.
# ev NAME JSON: one event.
ev() {
	printf 'event: %s\ndata: %s\n\n' "$1" "$2"
}

START='{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[],"stop_reason":null,"stop_sequence":null,"stop_details":null,"usage":{"input_tokens":7,"cache_creation_input_tokens":0,"cache_read_input_tokens":3,"output_tokens":1}}}'

msg_start() {
	ev message_start "$START"
}

# block INDEX BLOCK: content_block_start.
block() {
	ev content_block_start "{\"type\":\"content_block_start\",\"index\":$1,\"content_block\":$2}"
}

# delta INDEX DELTA: content_block_delta.
delta() {
	ev content_block_delta "{\"type\":\"content_block_delta\",\"index\":$1,\"delta\":$2}"
}

# text INDEX TEXT: a text_delta (TEXT already JSON-escaped).
text() {
	delta "$1" "{\"type\":\"text_delta\",\"text\":\"$2\"}"
}

# block_stop INDEX: content_block_stop.
block_stop() {
	ev content_block_stop "{\"type\":\"content_block_stop\",\"index\":$1}"
}

# msg_end REASON OUTPUT_TOKENS: message_delta and message_stop.
msg_end() {
	ev message_delta "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"$1\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":$2}}"
	ev message_stop '{"type":"message_stop"}'
}

# hello: a whole reply with one text block, "Hello, world".
hello() {
	msg_start
	block 0 '{"type":"text","text":""}'
	text 0 'Hello, '
	text 0 'world'
	block_stop 0
	msg_end end_turn 5
}

# broken MESSAGE [driver options...]: msgstream finds the stream in
# $T/s BROKEN, saying MESSAGE.
broken() {
	local message="$1"
	shift
	refused "stream_error: $message" -m "$@" <"$T/s"
	json '.state == "broken" and .error.type == "stream_error"'
	assert_equal "$(jq -r .error.message <<<"$output")" "$message"
}

# --- framing ----------------------------------------------------------------

@test "each event is printed with its name and data, and a clean end is 0" {
	events <"$FIX/text.sse"
	[[ "${lines[0]}" == '{"type":"message_start","data":"{\"type\":\"message_start\",\"message\":{'* ]]
	assert_line --index 1 '{"type":"content_block_start","data":"{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"}'
	assert_line --index 2 '{"type":"ping","data":"{\"type\":\"ping\"}"}'
	assert_equal "${lines[-2]}" '{"type":"message_stop","data":"{\"type\":\"message_stop\"}"}'
	assert_equal "${lines[-1]}" '{"end":0}'
	[ "${#lines[@]}" -eq "$(($(grep -c '^event: ' "$FIX/text.sse") + 1))" ]
}

@test "LF, CR LF, CR and mixed line endings give the same events" {
	"$SSE" <"$FIX/text.sse" >"$T/lf"
	sed 's/$/\r/' "$FIX/text.sse" >"$T/crlf.sse"
	tr '\n' '\r' <"$FIX/text.sse" >"$T/cr.sse"
	awk '{ printf "%s%s", $0, (NR % 3 == 0 ? "\r\n" : NR % 3 == 1 ? "\r" : "\n") }' \
		"$FIX/text.sse" >"$T/mixed.sse"
	for f in crlf cr mixed; do
		events <"$T/$f.sse"
		assert_equal "$output" "$(cat "$T/lf")"
	done
}

@test "a CR ending one piece and an LF starting the next end one line, not two" {
	printf 'data: a\r\ndata: b\r\n\r\n' >"$T/s"
	events -p 8 <"$T/s"
	expect '{"type":"message","data":"a\nb"}' '{"end":0}'
}

@test "events are the same whatever the pieces, cut at every byte position" {
	{
		printf '\xef\xbb\xbf: a comment\r\nevent: first\r\ndata: one\r\n'
		printf 'data:  two\r\rdata\ndata:\n\n:\nid: 7\rretry: 10\r\n'
		printf 'event: second\ndata: ünïcödé 文件 🚀\r\n\r\n'
		printf 'data:x\r\n\n'
	} >"$T/s"
	events <"$T/s"
	expect '{"type":"first","data":"one\n two"}' \
		'{"type":"message","data":"\n"}' \
		'{"type":"second","data":"ünïcödé 文件 🚀"}' \
		'{"type":"message","data":"x"}' '{"end":0}'
	same_split "$T/s"
	sed 's/$/\r/' "$FIX/text.sse" >"$T/crlf.sse"
	same_split "$T/crlf.sse"
}

@test "comment lines are skipped, even ones longer than the limit" {
	printf ': ping\n:\n: %s\ndata: x\n\n' "$(printf '%0100d' 0)" >"$T/s"
	events -l 20 <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":0}'
}

@test "data lines are joined with LF, and one space after the colon is removed" {
	printf 'data:x\ndata: y\ndata:  z\ndata\ndata:\n\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x\ny\n z\n\n"}' '{"end":0}'
}

@test "a data line without a value dispatches an event with empty data" {
	printf 'data\n\ndata:\n\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":""}' '{"type":"message","data":""}' '{"end":0}'
}

@test "the event name is that event's only, and an empty one is message" {
	printf 'event: ping\ndata: 1\n\ndata: 2\n\nevent\ndata: 3\n\nevent: named\n\ndata: 4\n\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"ping","data":"1"}' '{"type":"message","data":"2"}' \
		'{"type":"message","data":"3"}' '{"type":"message","data":"4"}' '{"end":0}'
}

@test "id, retry, unknown and misspelt fields are ignored" {
	printf 'id: 7\nretry: 100\nfoo: bar\n data: no\nData: no\nevent : no\ndata: x\n\nid: 8\n\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":0}'
}

@test "NUL bytes in data are kept, with the length" {
	printf 'data: a\0b\n\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"a\u0000b"}' '{"end":0}'
}

@test "a BOM is skipped at the start, even split across pieces, and only there" {
	printf '\xef\xbb\xbfdata: x\n\n' >"$T/s"
	events -p 1 <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":0}'
	# a second BOM is text: the field is not "data"
	printf '\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n' >"$T/s"
	events -p 1 <"$T/s"
	expect '{"end":0}'
	printf 'data: x\n\n\xef\xbb\xbfdata: y\n\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":0}'
	# part of a BOM is text too: a line was cut
	printf '\xef\xbb' >"$T/s"
	events -p 1 <"$T/s"
	expect '{"end":1}'
	printf '\xef\xbb\xbf' >"$T/s"
	events -p 1 <"$T/s"
	expect '{"end":0}'
}

@test "a line at the limit is taken, one byte over is refused" {
	printf 'data: 1234\n\n' >"$T/s"
	events -l 10 <"$T/s"
	expect '{"type":"message","data":"1234"}' '{"end":0}'
	printf 'data: 1\n\ndata: 12345\n\ndata: 2\n\n' >"$T/s"
	refused 'line longer than 10 bytes' -l 10 -p 1 <"$T/s"
	expect '{"type":"message","data":"1"}' '{"end":-1}'
}

@test "event data at the limit is taken, one byte over is refused" {
	printf 'data:12345\ndata:1234\n\n' >"$T/s"
	events -l 10 <"$T/s"
	expect '{"type":"message","data":"12345\n1234"}' '{"end":0}'
	printf 'data:12345\ndata:12345\n\n' >"$T/s"
	refused 'event longer than 10 bytes' -l 10 <"$T/s"
	expect '{"end":-1}'
}

@test "a stream cut inside an event ends with 1 and drops that event" {
	printf 'data: x\n\ndata: y' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":1}'
	printf 'data: x\n\ndata: y\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":1}'
	printf 'data: x\n\nevent: e\r' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":1}'
	head -c 1000 "$FIX/text.sse" >"$T/s"
	events <"$T/s"
	assert_equal "${lines[-1]}" '{"end":1}'
}

@test "a stream ending after an event or a comment line is not cut" {
	printf 'data: x\n\r' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":0}'
	printf 'data: x\n\n: bye\n' >"$T/s"
	events <"$T/s"
	expect '{"type":"message","data":"x"}' '{"end":0}'
	printf '' >"$T/s"
	events <"$T/s"
	expect '{"end":0}'
}

@test "a callback's stop value ends the parse and is what it returns after" {
	printf 'data: 1\n\ndata: 2\n\ndata: 3\n\n' >"$T/s"
	events -n 2 -p 1 <"$T/s"
	expect '{"type":"message","data":"1"}' '{"type":"message","data":"2"}' '{"end":2}'
}

# --- msgstream: captured replies --------------------------------------------

@test "a text reply rebuilds into the reply without streaming" {
	same_reply "$FIX/text.sse" "$FIX/text.json"
}

@test "a structured-output reply (the six files as JSON) rebuilds whole" {
	same_reply "$FIX/generate.sse" "$FIX/generate.json"
	jq -e '.content[0].text | fromjson | has("backend_service.py")' "$FIX/generate.json"
}

@test "a thinking reply keeps its thinking text and signature before the text" {
	same_reply "$FIX/thinking-text.sse" "$FIX/thinking-text.json"
	run jq -c '[.message.content[] | .type]' "$T/got.json"
	assert_output '["thinking","text"]'
	run jq -r '.message.content[0].signature | length > 20' "$T/got.json"
	assert_output true
}

@test "a tool_use reply parses the joined input_json pieces into its input" {
	same_reply "$FIX/tool.sse" "$FIX/tool.json"
	run jq -r '.message.content[0].input | type' "$T/got.json"
	assert_output object
	[ "$(grep -c input_json_delta "$FIX/tool.sse")" -gt 100 ]
}

@test "a tool input cut by max_tokens becomes {}, as without streaming" {
	same_reply "$FIX/tool-short.sse" "$FIX/tool-short.json"
	run jq -c '.message | [.stop_reason, .content[0].input]' "$T/got.json"
	assert_output '["max_tokens",{}]'
}

@test "a text reply cut by max_tokens keeps its stop reason and usage" {
	same_reply "$FIX/text-max-tokens.sse" "$FIX/text-max-tokens.json"
	run jq -c '.message | [.stop_reason, .usage.output_tokens]' "$T/got.json"
	assert_output '["max_tokens",12]'
}

@test "a refusal takes its stop_details from message_delta" {
	same_reply "$FIX/refusal.sse" "$FIX/refusal.json"
	run jq -r '.message.stop_details.type' "$T/got.json"
	assert_output refusal
}

@test "the rebuilt message is the same in any pieces and line endings" {
	"$SSE" -m <"$FIX/generate.sse" >"$T/want"
	for s in 1 2 3 4 5; do
		assert_equal "$("$SSE" -m -p 0 -s "$s" <"$FIX/generate.sse")" "$(cat "$T/want")"
	done
	assert_equal "$("$SSE" -m -p 1 <"$FIX/generate.sse")" "$(cat "$T/want")"
	assert_equal "$(sed 's/$/\r/' "$FIX/generate.sse" | "$SSE" -m -p 7)" "$(cat "$T/want")"
	assert_equal "$(tr '\n' '\r' <"$FIX/generate.sse" | "$SSE" -m -p 13)" "$(cat "$T/want")"
	same_split "$FIX/thinking-text.sse" -m
}

@test "the stand-in's streams rebuild into its replies to the same requests" {
	command -v node >/dev/null || skip "node is not installed: no stand-in"
	mkdir "$T/standin"
	start_server "$T/standin" node "$CSC_TOP/deploy/local/claude-standin.js" --port 0
	local url req
	url="http://127.0.0.1:$(cat "$T/standin/port")/v1/messages"
	post() {
		curl -sS -H 'anthropic-version: 2023-06-01' -H 'x-api-key: k' \
			-H 'content-type: application/json' --data-binary @- "$url"
	}
	for req in '{"f":"text.json","q":"."}' \
		'{"f":"text.json","q":".max_tokens = 4000 | .thinking = {\"type\":\"enabled\",\"budget_tokens\":1024}"}' \
		'{"f":"tool.json","q":"del(.system[]?.cache_control)"}' \
		'{"f":"generate.json","q":".max_tokens = 900"}'; do
		jq "$(jq -r .q <<<"$req")" "$CSC_TOP/tests/fixtures/claude/$(jq -r .f <<<"$req")" >"$T/req"
		# the stream first: a cached prompt prefix is created by the
		# first request and read by the later ones
		jq '.stream = true' "$T/req" | post >"$T/live.sse"
		post <"$T/req" >"$T/live.json"
		if jq -e '.usage.cache_read_input_tokens > 0' "$T/live.json" >/dev/null; then
			jq '.stream = true' "$T/req" | post >"$T/live.sse"
		fi
		same_reply "$T/live.sse" "$T/live.json"
	done
}

# --- msgstream: errors and the unexpected -----------------------------------

@test "an error event ends the stream with its type and message" {
	run --separate-stderr "$SSE" -m <"$FIX/stream-error.sse"
	assert_success
	json '.state == "error" and .error == {"type":"overloaded_error","message":"Overloaded"}'
	# the block in progress shows as it started
	json '.message.content == [{"type":"text","text":""}] and .output_tokens == 1'
}

@test "an error event before message_start leaves no message" {
	{
		ev ping '{"type":"ping"}'
		ev error '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}'
	} >"$T/s"
	run --separate-stderr "$SSE" -m <"$T/s"
	assert_success
	json '.state == "error" and .message == null and .error.type == "api_error"'
}

@test "a cut stream stays open with the blocks done so far" {
	{
		hello | head -n 15
		block 1 '{"type":"text","text":""}'
		text 1 'more'
	} >"$T/s"
	run --separate-stderr "$SSE" -m <"$T/s"
	assert_success
	json '.state == "open" and .end == 0 and .output_tokens == 1'
	json '.message.content == [{"type":"text","text":"Hello, world"},{"type":"text","text":""}]'
}

@test "thinking, redacted thinking, tool_use and text blocks rebuild in order" {
	{
		msg_start
		block 0 '{"type":"thinking","thinking":"","signature":""}'
		delta 0 '{"type":"thinking_delta","thinking":"Let me "}'
		delta 0 '{"type":"thinking_delta","thinking":"think."}'
		delta 0 '{"type":"signature_delta","signature":"c2ln"}'
		block_stop 0
		block 1 '{"type":"redacted_thinking","data":"EmwKAhgB"}'
		block_stop 1
		block 2 '{"type":"tool_use","id":"toolu_1","name":"get","input":{}}'
		delta 2 '{"type":"input_json_delta","partial_json":""}'
		delta 2 '{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}'
		delta 2 '{"type":"input_json_delta","partial_json":"is\", \"n\": [1, 2]}"}'
		block_stop 2
		block 3 '{"type":"tool_use","id":"toolu_2","name":"now","input":{}}'
		block_stop 3
		block 4 '{"type":"text","text":""}'
		text 4 'Done \u00e9\n'
		delta 4 '{"type":"citations_delta","citation":{"type":"char_location"}}'
		block_stop 4
		msg_end tool_use 42
	} >"$T/s"
	run --separate-stderr "$SSE" -m -p 3 <"$T/s"
	assert_success
	json '.state == "done" and .output_tokens == 42'
	json '.message.content == [
		{"type":"thinking","thinking":"Let me think.","signature":"c2ln"},
		{"type":"redacted_thinking","data":"EmwKAhgB"},
		{"type":"tool_use","id":"toolu_1","name":"get","input":{"city":"Paris","n":[1,2]}},
		{"type":"tool_use","id":"toolu_2","name":"now","input":{}},
		{"type":"text","text":"Done é\n"}]'
	json '.message.stop_reason == "tool_use" and .message.stop_sequence == null'
}

@test "message_delta's usage replaces the counts it gives, and null none" {
	{
		hello | head -n 15
		ev message_delta '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":9,"cache_read_input_tokens":null,"output_tokens":20,"server_tool_use":{"web_search_requests":1}}}'
		ev message_stop '{"type":"message_stop"}'
	} >"$T/s"
	run --separate-stderr "$SSE" -m <"$T/s"
	assert_success
	json '.message.usage == {"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":3,"output_tokens":20,"server_tool_use":{"web_search_requests":1}}'
	json '.output_tokens == 20'
}

@test "unknown events, block types and delta types are ignored" {
	{
		ev future_event 'not even JSON'
		msg_start
		ev future_event '{"type":"future_event"}'
		block 0 '{"type":"future_block","x":1}'
		text 0 'dropped'
		delta 0 '{"type":"future_delta","y":2}'
		block_stop 0
		block 1 '{"type":"text","text":""}'
		delta 1 '{"type":"future_delta","text":"no"}'
		text 1 'yes'
		block_stop 1
		ev ping '{"type":"ping"}'
		msg_end end_turn 3
		ev message_start 'after the end: ignored'
	} >"$T/s"
	run --separate-stderr "$SSE" -m <"$T/s"
	assert_success
	json '.state == "done"'
	json '.message.content == [{"type":"future_block","x":1},{"type":"text","text":"yes"}]'
}

@test "a delta for a block that is not the open one is BROKEN" {
	{
		msg_start
		block 0 '{"type":"text","text":""}'
		text 1 'x'
	} >"$T/s"
	broken 'content_block_delta for block 1, but block 0 is open'
	{
		hello | head -n 15
		text 0 'late'
	} >"$T/s"
	broken 'content_block_delta for block 0, but no block is open'
}

@test "blocks out of order, overlapping or stopped twice are BROKEN" {
	{
		msg_start
		block 1 '{"type":"text","text":""}'
	} >"$T/s"
	broken 'content_block_start for block 1, but block 0 comes next'
	{
		msg_start
		block 0 '{"type":"text","text":""}'
		block 1 '{"type":"text","text":""}'
	} >"$T/s"
	broken 'content_block_start for block 1, but block 0 is open'
	{
		hello | head -n 15
		block_stop 0
	} >"$T/s"
	broken 'content_block_stop for block 0, but no block is open'
	{
		hello | head -n 15
		block 0 '{"type":"text","text":""}'
	} >"$T/s"
	broken 'content_block_start for block 0, but block 1 comes next'
}

@test "message_stop with a block open is BROKEN" {
	{
		msg_start
		block 0 '{"type":"text","text":""}'
		ev message_stop '{"type":"message_stop"}'
	} >"$T/s"
	broken 'message_stop while block 0 is open'
}

@test "events before message_start, or a second one, are BROKEN" {
	block 0 '{"type":"text","text":""}' >"$T/s"
	broken 'content_block_start before message_start'
	ev message_stop '{"type":"message_stop"}' >"$T/s"
	broken 'message_stop before message_start'
	{
		msg_start
		msg_start
	} >"$T/s"
	broken 'a second message_start'
}

@test "malformed event data is BROKEN, naming the event" {
	{
		msg_start
		ev content_block_start '{"type":"content_block_start","index":0,'
	} >"$T/s"
	broken 'content_block_start: its data is not a JSON object'
	{
		msg_start
		ev content_block_start '[1]'
	} >"$T/s"
	broken 'content_block_start: its data is not a JSON object'
	{
		msg_start
		ev content_block_start '{"type":"content_block_start","index":0} {}'
	} >"$T/s"
	broken 'content_block_start: its data is not a JSON object'
	{
		msg_start
		ev content_block_start '{"type":"content_block_stop","index":0}'
	} >"$T/s"
	broken 'content_block_start: its data has another type'
	{
		msg_start
		ev content_block_start '{"type":"content_block_start","index":0.5,"content_block":{"type":"text"}}'
	} >"$T/s"
	broken 'content_block_start without a valid index'
	{
		msg_start
		block 0 '{"text":""}'
	} >"$T/s"
	broken 'content_block_start for block 0 without a typed content_block'
	ev message_start '{"type":"message_start"}' >"$T/s"
	broken 'message_start without a message object'
	ev error '{"type":"error","error":"overloaded"}' >"$T/s"
	broken 'an error event without error.type'
	ev error '{"type":"error","error":{"type":"","message":"x"}}' >"$T/s"
	broken 'an error event without error.type'
}

@test "a delta of the wrong kind, or without its text, is BROKEN" {
	{
		msg_start
		block 0 '{"type":"tool_use","id":"t","name":"n","input":{}}'
		text 0 'x'
	} >"$T/s"
	broken 'content_block_delta: text_delta for block 0, which cannot take it'
	{
		msg_start
		block 0 '{"type":"text","text":""}'
		delta 0 '{"type":"text_delta","text":7}'
	} >"$T/s"
	broken 'content_block_delta: text_delta for block 0 without text'
	{
		msg_start
		block 0 '{"type":"text","text":""}'
		delta 0 '{"text":"x"}'
	} >"$T/s"
	broken 'content_block_delta for block 0 without a typed delta'
}

@test "a tool input that does not parse, not cut by max_tokens, is BROKEN" {
	{
		msg_start
		block 0 '{"type":"tool_use","id":"t","name":"n","input":{}}'
		delta 0 '{"type":"input_json_delta","partial_json":"{\"a\": "}'
		block_stop 0
		msg_end tool_use 9
	} >"$T/s"
	broken 'the input of block 0 is not a JSON object, and the reply was not cut by max_tokens'
	{
		msg_start
		block 0 '{"type":"tool_use","id":"t","name":"n","input":{}}'
		delta 0 '{"type":"input_json_delta","partial_json":"[1, 2]"}'
		block_stop 0
		msg_end tool_use 9
	} >"$T/s"
	broken 'the input of block 0 is not a JSON object, and the reply was not cut by max_tokens'
}

@test "a reply over the size limit is BROKEN, and the event limit holds too" {
	# 487 bytes: message_start 285, content_block_start 82, text 7 + 5,
	# message_delta 108
	hello >"$T/s"
	run --separate-stderr "$SSE" -m -b 487 <"$T/s"
	assert_success
	json '.state == "done"'
	broken 'message_delta: the reply is over 486 bytes' -b 486
	broken 'content_block_delta: the reply is over 378 bytes' -b 378
	refused 'line longer than 100 bytes' -m -l 100 <"$FIX/text.sse"
	json '.state == "open" and .message == null and .end == -1'
}

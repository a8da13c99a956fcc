#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# The http module against tests/servers/scripted.py on loopback: retries,
# Retry-After, timeouts, size limits, parallel transfers, redacted logs.

load helper

setup_file() {
	HTTP_DIR=$(mktemp -d)
	export HTTP_DIR
	start_server "$HTTP_DIR" python3 "$CSC_TOP/tests/servers/scripted.py" \
		--log "$HTTP_DIR/requests.log"
}

teardown_file() {
	stop_server "$HTTP_DIR"
	rm -rf "$HTTP_DIR"
}

setup() {
	BASE="http://127.0.0.1:$(cat "$HTTP_DIR/port")"
	# Each test gets URLs of its own so the server's counters start at 0.
	TAG="t$BATS_TEST_NUMBER"
}

field() { # field NAME JSON-LINE
	jq -r ".$1" <<<"$2"
}

@test "a plain GET returns the status and the body" {
	run --separate-stderr "$(unit test_http)" "$BASE/ok"
	assert_success
	[ "$(field status "$output")" = 200 ]
	[ "$(field body "$output")" = ok ]
	[ "$(field attempts "$output")" = 1 ]
}

@test "5xx answers are retried until they succeed" {
	run --separate-stderr "$(unit test_http)" "$BASE/flaky?n=2&$TAG"
	assert_success
	[ "$(field status "$output")" = 200 ]
	[ "$(field attempts "$output")" = 3 ]
}

@test "retries stop after the attempt budget and return the last answer" {
	run --separate-stderr "$(unit test_http)" -a 3 "$BASE/flaky?n=9&$TAG"
	assert_success
	[ "$(field status "$output")" = 503 ]
	[ "$(field attempts "$output")" = 3 ]
	[ "$(grep -c "flaky?n=9&$TAG" "$HTTP_DIR/requests.log")" -eq 3 ]
}

@test "a 4xx that is not retryable is answered after one attempt" {
	run --separate-stderr "$(unit test_http)" "$BASE/status/404?$TAG"
	[ "$(field status "$output")" = 404 ]
	[ "$(field attempts "$output")" = 1 ]
}

@test "Retry-After (seconds) decides the wait before the retry" {
	run --separate-stderr "$(unit test_http)" -v "$BASE/retry-after?n=1&$TAG"
	assert_success
	[ "$(field status "$output")" = 200 ]
	[[ "$stderr" == *"retrying GET 127.0.0.1:"*"/retry-after in 1000 ms"* ]]
}

@test "retry-after-ms wins over Retry-After" {
	run --separate-stderr "$(unit test_http)" -v "$BASE/retry-after-ms?n=2&$TAG"
	[ "$(field status "$output")" = 200 ]
	[ "$(grep -c 'in 50 ms' <<<"$stderr")" -eq 2 ]
}

@test "a dropped connection is retried as a transport error" {
	run --separate-stderr "$(unit test_http)" "$BASE/drop?n=1&$TAG"
	assert_success
	[ "$(field status "$output")" = 200 ]
	[ "$(field body "$output")" = undropped ]
	[ "$(field attempts "$output")" = 2 ]
}

@test "the total timeout ends a slow answer with a transport error" {
	run --separate-stderr "$(unit test_http)" -a 1 -t 200 "$BASE/slow?ms=2000&$TAG"
	assert_failure
	[ "$(field status "$output")" = 0 ]
	[[ "$(field error "$output")" == *"Timeout"* ]]
}

@test "a connection refused is a transport error after the retries" {
	run --separate-stderr "$(unit test_http)" -a 2 "http://127.0.0.1:9/never"
	assert_failure
	[ "$(field attempts "$output")" = 2 ]
	[[ "$(field error "$output")" == *"connect"* ]]
}

@test "a response over the size limit is refused, not truncated" {
	run --separate-stderr "$(unit test_http)" -m 1000 "$BASE/big?bytes=5000&$TAG"
	assert_failure
	[ "$(field error "$output")" = "response larger than 1000 bytes" ]
	[ "$(field attempts "$output")" = 1 ]
	run --separate-stderr "$(unit test_http)" -m 1000 "$BASE/big?bytes=1000&$TAG"
	assert_success
	[ "$(field body_len "$output")" = 1000 ]
}

@test "method, headers and body reach the server as given" {
	run --separate-stderr "$(unit test_http)" -X PUT -d 'héllo {"x":1}' \
		-H 'X-Amz-Target: DynamoDB_20120810.GetItem' -H 'Content-Type: application/x-amz-json-1.0' \
		"$BASE/echo"
	assert_success
	body=$(field body "$output")
	[ "$(jq -r .method <<<"$body")" = PUT ]
	[ "$(jq -r .body <<<"$body")" = 'héllo {"x":1}' ]
	[ "$(jq -r '.headers["x-amz-target"]' <<<"$body")" = DynamoDB_20120810.GetItem ]
	[ "$(jq -r '.headers["content-type"]' <<<"$body")" = application/x-amz-json-1.0 ]
	[ "$(jq -r '.headers.expect' <<<"$body")" = null ]
}

@test "a body without a content type is not sent as a form" {
	run --separate-stderr "$(unit test_http)" -X POST -d 'a=b' "$BASE/echo"
	[ "$(jq -r '.headers["content-type"]' <<<"$(field body "$output")")" = null ]
}

@test "parallel transfers run at once and each keeps its own answer" {
	run --separate-stderr "$(unit test_http)" -p 6 \
		"$BASE/slow?ms=700&$TAG-1" "$BASE/slow?ms=700&$TAG-2" "$BASE/slow?ms=700&$TAG-3" \
		"$BASE/flaky?n=1&$TAG" "$BASE/status/404?$TAG" "$BASE/big?bytes=7&$TAG"
	assert_success
	[ "${#lines[@]}" -eq 6 ]
	[ "$(jq -r .status <<<"$output" | tr '\n' ' ')" = "200 200 200 200 404 200 " ]
	[ "$(field attempts "${lines[3]}")" = 2 ]
	[ "$(field body_len "${lines[5]}")" = 7 ]
	run curl -s "$BASE/max-inflight"
	[ "$output" -ge 3 ]
}

@test "the parallel limit is respected" {
	run --separate-stderr "$(unit test_http)" -p 1 \
		"$BASE/slow?ms=300&$TAG-1" "$BASE/slow?ms=300&$TAG-2"
	assert_success
	# With one transfer at a time the second starts after the first ends.
	end1=$(grep -n "^END /slow?ms=300&$TAG-1\$" "$HTTP_DIR/requests.log" | cut -d: -f1)
	start2=$(grep -n "^GET /slow?ms=300&$TAG-2\$" "$HTTP_DIR/requests.log" | cut -d: -f1)
	[ -n "$end1" ] && [ -n "$start2" ]
	[ "$end1" -lt "$start2" ]
}

@test "the request log names method, host and path but never the query" {
	run --separate-stderr "$(unit test_http)" -v "$BASE/ok?X-Amz-Signature=secret-sig&X-Amz-Security-Token=tok"
	assert_success
	[[ "$stderr" == *"GET 127.0.0.1:"*"/ok -> 200 (attempt 1, "* ]]
	[[ "$stderr" != *secret-sig* ]]
	[[ "$stderr" != *tok* ]]
}

@test "CSC_DEADLINE_MS cuts a slow attempt short at the deadline, not at its own timeout" {
	run --separate-stderr env CSC_DEADLINE_MS=500 "$(unit test_http)" -t 10000 "$BASE/slow?ms=3000&$TAG"
	assert_failure
	[ "$(field status "$output")" = 0 ]
	[ "$(field attempts "$output")" = 1 ]
	[ "$(field deadline "$output")" = true ]
	[[ "$(field error "$output")" == *"Timeout"* ]]
}

@test "a Retry-After wait that would pass the deadline is not started: one attempt, its answer kept" {
	run --separate-stderr env CSC_DEADLINE_MS=800 "$(unit test_http)" -v "$BASE/retry-after?n=1&$TAG"
	[ "$(field status "$output")" = 429 ]
	[ "$(field attempts "$output")" = 1 ]
	[ "$(field deadline "$output")" = true ]
	[[ "$stderr" != *retrying* ]]
	[ "$(grep -c "retry-after?n=1&$TAG" "$HTTP_DIR/requests.log")" -eq 1 ]
	# With time for the wait, the retry is made.
	run --separate-stderr env CSC_DEADLINE_MS=5000 "$(unit test_http)" "$BASE/retry-after?n=1&$TAG-2"
	assert_success
	[ "$(field status "$output")" = 200 ]
	[ "$(field deadline "$output")" = false ]
}

@test "once the deadline has passed no transfer starts: the one waiting for a slot has no attempt" {
	run --separate-stderr env CSC_DEADLINE_MS=500 "$(unit test_http)" -p 1 -t 10000 \
		"$BASE/slow?ms=3000&$TAG-1" "$BASE/ok?$TAG-2"
	assert_failure
	[ "$(field deadline "${lines[0]}")" = true ]
	[ "$(field attempts "${lines[0]}")" = 1 ]
	[ "$(field deadline "${lines[1]}")" = true ]
	[ "$(field attempts "${lines[1]}")" = 0 ]
	[ "$(field error "${lines[1]}")" = "no time left for an attempt" ]
	run grep -c "ok?$TAG-2" "$HTTP_DIR/requests.log"
	assert_output 0
}

@test "CSC_DEADLINE_MS unset or 0 sets no deadline; a bad value is a configuration error" {
	run --separate-stderr env CSC_DEADLINE_MS=0 "$(unit test_http)" "$BASE/slow?ms=600&$TAG"
	assert_success
	[ "$(field status "$output")" = 200 ]
	[ "$(field deadline "$output")" = false ]
	run --separate-stderr env CSC_DEADLINE_MS=-5 "$(unit test_http)" "$BASE/ok?$TAG"
	assert_failure 78
	assert_output ''
	assert_equal "$stderr" "test_http: CSC_DEADLINE_MS must be a whole number from 0 to 86400000"
}

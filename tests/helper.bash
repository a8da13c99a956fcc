# Common set-up for the bats suites: assertions, paths, a scratch dir.
# shellcheck shell=bash

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

CSC_TOP="${CSC_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
CSC_BUILD="${CSC_BUILD:-build/rel}"
SIGV4_SUITE="${SIGV4_SUITE:-$CSC_TOP/tests/fixtures/sigv4/aws-sigv4-test-suite/v4}"
export CSC_TOP CSC_BUILD SIGV4_SUITE
PATH="$CSC_TOP/bin:$PATH"

# unit NAME: the path of a C unit-test driver of this build.
unit() {
	printf '%s/%s/tests/%s\n' "$CSC_TOP" "$CSC_BUILD" "$1"
}

# start_server DIR COMMAND...: start a loopback test server (from
# tests/servers, or the Claude stand-in), which writes its port to
# DIR/port (given --port-file); its PID goes to DIR/pid, its stderr to
# DIR/stderr.  fd 3 is bats' own: a background server holding it would
# hang the run.  Fails, showing the server's stderr, if no port appears in
# 5 s.
start_server() {
	local dir="$1"
	shift
	"$@" --port-file "$dir/port" 2>"$dir/stderr" 3>&- &
	printf '%s\n' "$!" >"$dir/pid"
	for _ in $(seq 50); do
		[ -s "$dir/port" ] && return 0
		sleep 0.1
	done
	cat "$dir/stderr" >&2
	fail "$* did not start"
}

# stop_server DIR: stop the server start_server started in DIR, and wait
# (3 s at most) for it to be gone.
stop_server() {
	local pid
	pid=$(cat "$1/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# new_id: a fresh lowercase UUID, as csc makes them.
new_id() {
	cat /proc/sys/kernel/random/uuid
}

# wait_for TENTHS COMMAND...: retry COMMAND every tenth of a second until it
# succeeds; fail the test after TENTHS tries.
wait_for() {
	local tries="$1"
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "gave up waiting for: $*"
		sleep 0.1
	done
}

# ddb_count: the items of the table $TABLE, counted by one signed Scan with
# curl (the aws CLI takes half a second; this a few milliseconds).
ddb_count() {
	local out
	out=$(curl -sS --aws-sigv4 "aws:amz:$AWS_REGION:dynamodb" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H 'X-Amz-Target: DynamoDB_20120810.Scan' \
		--data-binary "{\"TableName\":\"$TABLE\",\"Select\":\"COUNT\"}" \
		"$AWS_ENDPOINT_URL_DYNAMODB")
	[[ "$out" =~ \"Count\":([0-9]+) ]] || fail "Scan: $out"
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# standin_requests TEXT: how many requests the Claude stand-in of the stack
# in $STACK_DIR recorded whose body holds TEXT.
standin_requests() {
	grep -c -F -- "$1" "$STACK_DIR/claude-requests.jsonl" || true
}

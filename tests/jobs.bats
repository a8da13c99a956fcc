#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: run sets $output/$status, @test bodies run in subshells
# Bounded generation (DESIGN section 11): at most CSC_MAX_RUNNERS job
# runners per host, the rest queued in the jobs index; idempotency keys on
# generate; the daily spend limit CSC_DAILY_BUDGET_USD.  Against a local
# stack of the suite's own (deploy/local/stack up with CSC_MAX_RUNNERS=2,
# which the stack passes to the CGI), with the Claude stand-in, whose
# request record says how many generations were asked for.

load helper

STACK="$CSC_TOP/deploy/local/stack"
# The table ddb_count (helper.bash) counts.
# shellcheck disable=SC2034 # read by helper.bash
TABLE=CloudServiceCreator
ORIGINAL_SD='{"service_type":"vFirewall","vendor":"Cisco","features":["Traffic Filtering"]}'
# A pinned clock for the budget's day: 2030-06-13T18:00:00Z, six hours
# before that day's end.
PINNED=1907604000

setup_file() {
	STACK_DIR=$(mktemp -d)
	export STACK_DIR
	# No sweeper: the tests sweep when they mean to.
	env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN -u CSC_DAILY_BUDGET_USD \
		CSC_SWEEP_INTERVAL=0 CSC_MAX_RUNNERS=2 "$STACK" up "$STACK_DIR" >/dev/null
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	csc-store init >/dev/null
}

teardown_file() {
	"$STACK" down "$STACK_DIR"
	rm -rf "$STACK_DIR"
}

setup() {
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	export CSC_MAX_RUNNERS=2
	rm -f "$STACK_DIR/claude-faults.json"
}

teardown() {
	rm -f "$STACK_DIR/claude-faults.json"
}

# faults JSON: the stand-in's fault script, installed atomically.
faults() {
	printf '%s\n' "$1" >"$STACK_DIR/claude-faults.json.tmp"
	mv -f "$STACK_DIR/claude-faults.json.tmp" "$STACK_DIR/claude-faults.json"
}

# generate_body MARKER [EXTRA_JSON]: a generate body for the original
# service_data with MARKER as its requirements (to find its requests).
generate_body() {
	local extra="${2:-}"
	[ -n "$extra" ] || extra='{}'
	jq -n -c --argjson sd "$ORIGINAL_SD" --arg m "$1" --argjson x "$extra" \
		'{action: "generate", service_data: ($sd + {requirements: $m})} + $x'
}

# post BODY [CURL_ARGS...]: POST /conversation through lighttpd; the status
# in $code, the body in $reply.  (A file per process: posts run at once.)
post() {
	local body="$1" file="$BATS_TEST_TMPDIR/reply.$BASHPID"
	shift
	code=$(printf '%s' "$body" | curl -sS -o "$file" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary @- "$@" \
		"$CSC_API_URL/conversation")
	reply=$(cat "$file")
}

# cgi BODY: POST /conversation to bin/csc-api run by hand as a CGI program
# with this shell's environment (a pinned CSC_NOW, a budget); the status
# in $code, the headers in $headers, the body in $reply.
cgi() {
	local raw
	raw=$(REQUEST_METHOD=POST PATH_INFO=/conversation CONTENT_TYPE=application/json \
		CONTENT_LENGTH=${#1} csc-api <<<"$1" 2>>"$BATS_TEST_TMPDIR/cgi.log")
	code=${raw#Status: }
	code=${code%% *}
	headers=${raw%%$'\r\n\r\n'*}
	reply=${raw#*$'\r\n\r\n'}
}

# job_json SID CID MARKER: a job as csc-api puts it.
job_json() {
	jq -c --arg m "$3" '.requirements = $m' <<<"$ORIGINAL_SD" | csc-ask complete |
		jq -c --arg s "$1" --arg c "$2" '{service_id: $s, code_id: $c, conversation_id: null} + .'
}

# wait_all_done IDS_FILE: poll until every "SID CID" of IDS_FILE is done
# (at most 60 s), sweeping now and then as cron would.
wait_all_done() {
	local tries=120 sid cid pending
	while :; do
		pending=0
		while read -r sid cid; do
			[ "$(csc-store get-code "$sid" "$cid" | jq -r .status)" = "done" ] || pending=$((pending + 1))
		done <"$1"
		[ "$pending" -gt 0 ] || return 0
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "$pending job(s) not done after 60 s"
		if [ $((tries % 20)) -eq 0 ]; then
			csc-job sweep 2>>"$CSC_JOB_LOG" 3>&-
		fi
		sleep 0.5
	done
}

@test "with CSC_MAX_RUNNERS=2, ten generates run at most two at once, each once, and all end done" {
	local i sid cid n=0 max=0 line dir="$BATS_TEST_TMPDIR/fire"
	mkdir -p "$dir"
	: >"$CSC_JOB_LOG"
	# Generations of about a second each, so that they would overlap.
	faults '[{"match": {"path": "/v1/messages"}, "fault": "slow", "delay_ms": 1}]'
	for i in $(seq 10); do
		(
			post "$(generate_body "bounded-$i-$STACK_DIR")"
			printf '%s %s\n' "$code" "$reply" >"$dir/$i"
		) 3>&- &
	done
	wait
	for i in $(seq 10); do
		read -r code reply <"$dir/$i"
		assert_equal "$code" 202
		jq -r '"\(.service_id) \(.code_id)"' <<<"$reply" >>"$dir/ids"
	done
	wait_all_done "$dir/ids"
	# put-code marks a job done; its runner logs that a moment later.
	# shellcheck disable=SC2016 # the inner shell expands
	wait_for 100 bash -c '[ "$(grep -c ": done" "$1")" -ge 10 ]' _ "$CSC_JOB_LOG"
	# Runners at once, from the log's order: each claim before its end.
	while IFS= read -r line; do
		case "$line" in
		*": claimed, "*) n=$((n + 1)) ;;
		*": done" | *": failed: "* | *": given up "*) n=$((n - 1)) ;;
		*) continue ;;
		esac
		[ "$n" -le "$max" ] || max=$n
	done <"$CSC_JOB_LOG"
	[ "$max" -le 2 ] || fail "$max runners at once: $(cat "$CSC_JOB_LOG")"
	assert_equal "$n" 0
	# Each job claimed once, in slot 1 or 2, and generated once.
	while read -r sid cid; do
		assert_equal "$(grep -c -F "$sid/$cid: claimed" "$CSC_JOB_LOG")" 1
		grep -q -E "$sid/$cid: claimed, attempt 1, slot [12]$" "$CSC_JOB_LOG" ||
			fail "$sid/$cid: not claimed in slot 1 or 2: $(cat "$CSC_JOB_LOG")"
	done <"$dir/ids"
	for i in $(seq 10); do
		assert_equal "$(standin_requests "bounded-$i-$STACK_DIR")" 1
	done
	# The runners are gone: their slots are free.
	wait_for 50 flock -n "$CSC_RUN_DIR/slot.1" true
	wait_for 50 flock -n "$CSC_RUN_DIR/slot.2" true
}

@test "with every runner slot busy, csc-job run leaves the job pending and exits 0; the sweep runs it once a slot is free" {
	local sid cid marker fd
	sid=$(new_id) cid=$(new_id) marker="queued-$(new_id)"
	job_json "$sid" "$cid" "$marker" | csc-store put-job >/dev/null
	export CSC_RUN_DIR="$BATS_TEST_TMPDIR/runners" CSC_MAX_RUNNERS=1
	mkdir -m 700 "$CSC_RUN_DIR"
	# The one slot taken, as a runner holds it.
	exec {fd}>>"$CSC_RUN_DIR/slot.1"
	flock -n "$fd"
	run --separate-stderr csc-job run "$sid" "$cid"
	assert_success
	assert_equal "$stderr" "csc-job: $sid/$cid: all 1 runner slots are busy: left pending for the next free runner or the sweep"
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .attempts]' <<<"$output")" '["pending",0]'
	assert_equal "$(standin_requests "$marker")" 0
	# Queued: in the jobs index at once.
	csc-store list-jobs --expired | jq -e --arg c "$cid" 'any(.jobs[]; .code_id == $c)' >/dev/null
	# A sweep waits for no slot either.
	run --separate-stderr csc-job sweep
	assert_success
	assert_equal "$stderr" "csc-job: sweep: 0 queued job(s) run"
	exec {fd}>&-
	run --separate-stderr csc-job sweep
	assert_success
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .attempts]' <<<"$output")" '["done",1]'
	assert_equal "$(standin_requests "$marker")" 1
}

@test "a generate retried with its Idempotency-Key is one job and one Claude request" {
	local marker body key dir="$BATS_TEST_TMPDIR/dup" i ids items
	mkdir -p "$dir"
	marker="idem-$(new_id)" key="retry-$(new_id)"
	body=$(generate_body "$marker")
	# Five at once with one key: one job; the others name it (or, until
	# it is stored, say so with 409).
	for i in 1 2 3 4 5; do
		(
			post "$body" -H "Idempotency-Key: $key"
			printf '%s %s\n' "$code" "$reply" >"$dir/$i"
		) 3>&- &
	done
	wait
	for i in 1 2 3 4 5; do
		read -r code reply <"$dir/$i"
		case "$code" in
		# Accepted, or (a fast stand-in) already done.
		200 | 202) jq -r '"\(.service_id) \(.code_id)"' <<<"$reply" >>"$dir/ids" ;;
		409) assert_equal "$(jq -r .error.code <<<"$reply")" conflict ;;
		*) fail "HTTP $code: $reply" ;;
		esac
	done
	[ "$(sort -u "$dir/ids" | wc -l)" -eq 1 ] || fail "not one job: $(cut -c 1-200 "$dir"/[1-5])"
	ids=$(head -n 1 "$dir/ids")
	wait_all_done "$dir/ids"
	items=$(ddb_count)
	# Retried after it finished: its status answer, nothing new.
	post "$body" -H "Idempotency-Key: $key"
	assert_equal "$code" 200
	assert_equal "$(jq -r '"\(.service_id) \(.code_id) \(.status)"' <<<"$reply")" "$ids done"
	# The key in the body, the request's members in another order, a
	# wait: the same request.
	post "$(jq -c --arg k "$key" '{idempotency_key: $k, wait: 5} + (to_entries | reverse | from_entries)' <<<"$body")"
	assert_equal "$code" 200
	assert_equal "$(jq -r '"\(.service_id) \(.code_id)"' <<<"$reply")" "$ids"
	assert_equal "$(ddb_count)" "$items"
	assert_equal "$(standin_requests "$marker")" 1
}

@test "an Idempotency-Key sent with another body is refused with 409 idempotency_key_reused; a bad key with 400" {
	local key items marker
	key="reused-$(new_id)" marker="reused-$(new_id)"
	post "$(generate_body "$marker-a")" -H "Idempotency-Key: $key"
	assert_equal "$code" 202
	jq -r '"\(.service_id) \(.code_id)"' <<<"$reply" >"$BATS_TEST_TMPDIR/ids"
	wait_all_done "$BATS_TEST_TMPDIR/ids"
	items=$(ddb_count)
	post "$(generate_body "$marker-b")" -H "Idempotency-Key: $key"
	assert_equal "$code" 409
	assert_equal "$(jq -c .error <<<"$reply")" \
		'{"code":"idempotency_key_reused","message":"this idempotency key was used with another request in the last 24 hours"}'
	post "$(generate_body "$marker-c" "$(jq -n -c --arg k "$key" '{idempotency_key: $k}')")"
	assert_equal "$code" 409
	# Keys: 1 to 255 printable ASCII characters; header and body agree.
	post "$(generate_body "$marker-d" "{\"idempotency_key\":\"$(printf 'k%.0s' $(seq 256))\"}")"
	assert_equal "$code" 400
	assert_equal "$(jq -r .error.message <<<"$reply")" 'the idempotency key must be 1 to 255 printable ASCII characters'
	post "$(generate_body "$marker-e" '{"idempotency_key":"tab\there"}')"
	assert_equal "$code" 400
	post "$(generate_body "$marker-f" '{"idempotency_key":7}')"
	assert_equal "$code" 400
	assert_equal "$(jq -r .error.message <<<"$reply")" 'idempotency_key must be a string'
	post "$(generate_body "$marker-g" '{"idempotency_key":"one"}')" -H 'Idempotency-Key: two'
	assert_equal "$code" 400
	assert_equal "$(jq -r .error.message <<<"$reply")" 'the Idempotency-Key header and idempotency_key differ'
	assert_equal "$(ddb_count)" "$items"
	assert_equal "$(standin_requests "$marker-")" 1
}

@test "the daily budget reached: generate answers 429 with Retry-After to UTC midnight, makes no job and asks Claude nothing" {
	local items marker
	marker="budget-$(new_id)"
	export CSC_NOW=$PINNED CSC_DAILY_BUDGET_USD=5
	# Two costs added at once: the counter loses neither.
	csc-store add-spend 2.5 >/dev/null &
	csc-store add-spend 2.5 >/dev/null &
	wait
	run --separate-stderr csc-store get-budget
	assert_success
	assert_equal "$output" '{"day":"2030-06-13","spent_usd":5,"budget_usd":5,"exhausted":true,"reset_at":"2030-06-14T00:00:00Z","retry_after":21600}'
	items=$(ddb_count)
	cgi "$(generate_body "$marker")"
	assert_equal "$code" 429
	grep -q -x -E $'Retry-After: 21600\r?' <<<"$headers" || fail "no Retry-After: 21600 in: $headers"
	assert_equal "$reply" '{"error":{"code":"daily_budget_reached","message":"the daily generation budget (5 USD) is spent; it resets at 2030-06-14T00:00:00Z","reset_at":"2030-06-14T00:00:00Z"}}'
	# With an idempotency key too: nothing kept, not even the key.
	HTTP_IDEMPOTENCY_KEY="budget-$(new_id)" cgi "$(generate_body "$marker")"
	assert_equal "$code" 429
	assert_equal "$(ddb_count)" "$items"
	assert_equal "$(standin_requests "$marker")" 0
	# Under the limit, generate goes on: a budget above the spend.
	run --separate-stderr env CSC_DAILY_BUDGET_USD=5.01 csc-store get-budget
	assert_equal "$(jq .exhausted <<<"$output")" false
}

@test "a job queued before the budget was reached fails with 'daily budget reached' and asks Claude nothing; a generation's cost is counted" {
	local sid cid marker cost
	export CSC_NOW=$((PINNED + 86400))
	# A generation on the pinned day: its cost_usd is the day's spend.
	sid=$(new_id) cid=$(new_id) marker="spend-$(new_id)"
	job_json "$sid" "$cid" "$marker" | csc-store put-job >/dev/null
	run --separate-stderr csc-job run "$sid" "$cid"
	assert_success
	cost=$(csc-store get-code "$sid" "$cid" | jq -c '[.status, .cost_usd]')
	[[ "$cost" =~ ^\[\"done\",0\.[0-9]+\]$ ]] || fail "status and cost: $cost"
	assert_equal "$(csc-store get-budget | jq -c '[.spent_usd]')" "[${cost#*,}"
	# The limit reached (it is that spend): the next job fails unasked.
	export CSC_DAILY_BUDGET_USD="${cost#*,}"
	CSC_DAILY_BUDGET_USD=${CSC_DAILY_BUDGET_USD%]}
	sid=$(new_id) cid=$(new_id) marker="over-$(new_id)"
	job_json "$sid" "$cid" "$marker" | csc-store put-job >/dev/null
	run --separate-stderr csc-job run "$sid" "$cid"
	assert_failure 75
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -r .status <<<"$output")" failed
	assert_equal "$(jq -r .error <<<"$output")" \
		"daily budget reached: $CSC_DAILY_BUDGET_USD of $CSC_DAILY_BUDGET_USD USD spent on 2030-06-14 (UTC); it resets at 2030-06-15T00:00:00Z"
	assert_equal "$(standin_requests "$marker")" 0
}

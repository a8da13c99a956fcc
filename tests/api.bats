#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: run sets $output/$status, @test bodies run in subshells
# The HTTP API (bin/csc-api, SPEC section 8) as a client sees it: every
# judged request goes with curl through lighttpd in the local stack
# (deploy/local/stack up, CSC_API_URL), against dynalite, s3rver and the
# Claude stand-in.  The original design's request bodies, a corpus of bad
# requests (tests/fixtures/api/bad-requests.jsonl), concurrent answers, the
# generation jobs (a runner killed mid-generation, two runners on one job,
# failed generations), the same requests with jq and with gojq, and the
# CGI run by hand: no file made, the answers' exact shapes.  The whole
# suite runs with the CGI's default filter (gojq where installed), or with
# the CSC_JQ the caller sets: `CSC_JQ=jq tests/run tests/api.bats`.

load helper

FIXTURES="$CSC_TOP/tests/fixtures/api"
STACK="$CSC_TOP/deploy/local/stack"
TABLE=CloudServiceCreator
BUCKET=cloudservicecreator-code
SIX_FILES='["README.md","api_routes.py","backend_service.py","config.yaml","database_schema.sql","requirements.txt"]'
# The original API's generate body, and the service_data the interview of
# the original design ends with.
ORIGINAL_SD='{"service_type":"vFirewall","vendor":"Cisco","features":["Traffic Filtering"]}'
INTERVIEW_SD='{"service_type":"vFirewall","vendor":"Cisco","features":["Traffic Filtering"],"deployment":"AWS","scale":"Single instance","database":"PostgreSQL","requirements":""}'

setup_file() {
	STACK_DIR=$(mktemp -d)
	export STACK_DIR
	# No Anthropic key: the stand-in answers.  The caller's CSC_JQ, if any,
	# reaches the CGI (the CSC_JQ test starts stacks of its own).  No
	# sweeper: the tests run `csc-job sweep` themselves, and one in the
	# background would race them for expired jobs.
	env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN CSC_SWEEP_INTERVAL=0 \
		"$STACK" up "$STACK_DIR" >/dev/null
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	[ -n "${CSC_API_URL:-}" ] || {
		echo "deploy/local/stack up wrote no CSC_API_URL" >&2
		return 1
	}
	csc-store init >/dev/null
}

teardown_file() {
	"$STACK" down "$STACK_DIR"
	rm -rf "$STACK_DIR"
}

setup() {
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	rm -f "$STACK_DIR/claude-faults.json"
	: >"$BATS_TEST_TMPDIR/stacks"
}

teardown() {
	rm -f "$STACK_DIR/claude-faults.json"
	# Stacks a test started for itself (the CSC_JQ and deadline tests),
	# their DynamoDB resumed if a test froze it.
	local dir
	while read -r dir; do
		[ -n "$dir" ] || continue
		kill -CONT "$(cat "$dir/dynalite.pid" 2>/dev/null)" 2>/dev/null || true
		"$STACK" down "$dir" >/dev/null 2>&1 || true
		rm -rf "$dir"
	done <"$BATS_TEST_TMPDIR/stacks"
}

# faults JSON: the stand-in's fault script, installed atomically.
faults() {
	printf '%s\n' "$1" >"$STACK_DIR/claude-faults.json.tmp"
	mv -f "$STACK_DIR/claude-faults.json.tmp" "$STACK_DIR/claude-faults.json"
}

# api METHOD PATH [BODY [CONTENT_TYPE]]: one request through lighttpd
# (BODY sent byte for byte, as application/json unless CONTENT_TYPE), with
# the extra curl arguments in API_HEADERS.  Sets $code, $reply, and the
# response headers in $BATS_TEST_TMPDIR/headers.
API_HEADERS=()
api() {
	local args=(-sS --path-as-is -X "$1" -o "$BATS_TEST_TMPDIR/reply"
		-D "$BATS_TEST_TMPDIR/headers" -w '%{http_code}')
	if [ $# -ge 3 ]; then
		args+=(-H "Content-Type: ${4:-application/json}" --data-binary @-)
	fi
	code=$(printf '%s' "${3:-}" | curl "${args[@]}" "${API_HEADERS[@]}" "$CSC_API_URL$2")
	reply=$(cat "$BATS_TEST_TMPDIR/reply")
}

# post BODY: POST /conversation.
post() {
	api POST /conversation "$1"
}

# header NAME [FILE]: the value of a response header (last response).
header() {
	local value
	value=$(grep -i -m 1 "^$1:" "${2:-$BATS_TEST_TMPDIR/headers}" | tr -d '\r') || return 0
	printf '%s\n' "${value#*: }"
}

# assert_api STATUS: the last response had STATUS, was application/json
# with a JSON body, and carried an X-Request-Id.
assert_api() {
	[ "$code" = "$1" ] || fail "HTTP $code, expected $1: $reply"
	[[ "$(header Content-Type)" == application/json* ]] ||
		fail "Content-Type '$(header Content-Type)', expected application/json (HTTP $code)"
	[ -n "$(header X-Request-Id)" ] || fail "no X-Request-Id (HTTP $code)"
	jq -e . <<<"$reply" >/dev/null || fail "not JSON: $reply"
}

assert_uuid() {
	[[ "$1" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
		fail "not a lowercase UUID: '$1'"
}

# message_body ID STEP ANSWER_JSON: the original design's message body.
message_body() {
	jq -n -c --arg id "$1" --argjson s "$2" --argjson m "$3" \
		'{action: "message", conversation_id: $id, message: $m, step: $s}'
}

# interview: start, then the seven answers of the original design, each
# checked; the conversation's id in $id.
interview() {
	local answers=('"vFirewall"' '"Cisco"' '["Traffic Filtering"]' '"AWS"' '"1"' '"PostgreSQL"' '"none"')
	local next=(vendor features deployment scale database requirements) step
	post '{"action":"start"}'
	assert_api 201
	assert_equal "$(jq -c '[(keys | sort), .step, .total_steps, .question.id]' <<<"$reply")" \
		'[["conversation_id","question","step","total_steps"],1,7,"service_type"]'
	id=$(jq -r .conversation_id <<<"$reply")
	assert_uuid "$id"
	for step in 1 2 3 4 5 6 7; do
		post "$(message_body "$id" "$step" "${answers[step - 1]}")"
		assert_api 200
		if [ "$step" -lt 7 ]; then
			assert_equal "$(jq -c '[.conversation_id, .done, .step, .total_steps, .question.id]' <<<"$reply")" \
				"[\"$id\",false,$((step + 1)),7,\"${next[step - 1]}\"]"
		fi
	done
	assert_equal "$(jq -c '[.conversation_id, .done]' <<<"$reply")" "[\"$id\",true]"
	assert_equal "$(jq -S -c .service_data <<<"$reply")" "$(jq -S -c . <<<"$INTERVIEW_SD")"
}

# wait_done SID CID: poll the status action until the job is done (at most
# 30 s); every answer a 200 with a status the job can have.  The last
# answer stays in $reply.
wait_done() {
	local state tries=120 body
	body=$(jq -n -c --arg s "$1" --arg c "$2" '{action: "status", service_id: $s, code_id: $c}')
	while :; do
		post "$body"
		assert_api 200
		state=$(jq -r .status <<<"$reply")
		case "$state" in
		done) return 0 ;;
		pending | running) ;;
		*) fail "status of $1/$2: $reply" ;;
		esac
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "$1/$2 not done after 30 s: $reply"
		sleep 0.25
	done
}

# check_files SID CID: $reply lists the six files of SID/CID; each url
# downloads (curl) bytes whose SHA-256 and size are the reply's, the
# stored record's, and those of the content csc-store get-code --content
# holds.
check_files() {
	local dir="$BATS_TEST_TMPDIR/files-$2" name url sum size expires got n=0
	mkdir -p "$dir"
	assert_equal "$(jq -c '[.files[].name] | sort' <<<"$reply")" "$SIX_FILES"
	csc-store get-code --content "$1" "$2" >"$dir/stored.json"
	while IFS=$'\t' read -r name url sum size expires; do
		[[ "$url" == http* ]] || fail "$name: no url"
		[[ "$expires" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]] || fail "$name: expires_at '$expires'"
		curl -sSf -o "$dir/$name" "$url"
		got=$(sha256sum <"$dir/$name")
		got=${got%% *}
		assert_equal "$got" "$sum"
		assert_equal "$(wc -c <"$dir/$name")" "$size"
		assert_equal "$(jq -r --arg n "$name" '.files[] | select(.name == $n) | .sha256' "$dir/stored.json")" "$sum"
		jq -j --arg n "$name" '.files[] | select(.name == $n) | .content' "$dir/stored.json" >"$dir/$name.stored"
		got=$(sha256sum <"$dir/$name.stored")
		assert_equal "${got%% *}" "$sum"
		n=$((n + 1))
	done < <(jq -r '.files[] | [.name, .url, .sha256, .size, .expires_at] |
		if any(. == null) then error("a file lacks a field: \(.)") else @tsv end' <<<"$reply")
	assert_equal "$n" 6
}

# response_headers FILE: h_ctype, h_rid and h_allow from the response
# headers curl saved in FILE.
response_headers() {
	local line value
	h_ctype='' h_rid='' h_allow=''
	while IFS= read -r line; do
		line=${line%$'\r'}
		value=${line#*:}
		value=${value# }
		case "${line%%:*}" in
		[Cc]ontent-[Tt]ype) h_ctype=$value ;;
		[Xx]-[Rr]equest-[Ii]d) h_rid=$value ;;
		[Aa]llow) h_allow=$value ;;
		esac
	done <"$1"
}

# object_versions [PREFIX]: how many object versions the bucket holds
# (under PREFIX).
object_versions() {
	# shellcheck disable=SC2016 # `[]` is JMESPath's
	aws s3api list-object-versions --bucket "$BUCKET" --prefix "${1:-}" \
		--query 'length(Versions || `[]`)' --output text
}

# assert_keys JSON KEYS: JSON is an object with exactly the members KEYS
# (a sorted JSON array), and so is every file it lists.
assert_keys() {
	assert_equal "$(jq -c 'keys' <<<"$1")" "$2"
	jq -e '(.files // []) | all(.[]; keys == ["expires_at","name","sha256","size","url"])' <<<"$1" >/dev/null ||
		fail "a file's members are not name, size, sha256, url, expires_at: $1"
}

# cgi BODY: POST /conversation to bin/csc-api run by hand as a CGI program,
# with the stack's settings (and the caller's TMPDIR); the status in
# $code, the body in $reply.
cgi() {
	local raw
	raw=$(REQUEST_METHOD=POST PATH_INFO=/conversation CONTENT_TYPE=application/json \
		CONTENT_LENGTH=${#1} csc-api <<<"$1" 2>>"$BATS_TEST_TMPDIR/cgi.log")
	code=${raw#Status: }
	code=${code%% *}
	reply=${raw#*$'\r\n\r\n'}
}

# job_json SID CID MARKER: a job as csc-api puts it, for the original
# service_data with MARKER as its requirements (to find its requests).
job_json() {
	jq -c --arg m "$3" '.requirements = $m' <<<"$ORIGINAL_SD" | csc-ask complete |
		jq -c --arg s "$1" --arg c "$2" '{service_id: $s, code_id: $c, conversation_id: null} + .'
}

@test "the original design's interview, generate, status and download, all through lighttpd" {
	local sid cid last
	interview
	last=$reply
	post "{\"action\":\"generate\",\"conversation_id\":\"$id\"}"
	assert_api 202
	assert_equal "$(jq -c '[(keys | sort), .status]' <<<"$reply")" '[["code_id","service_id","status"],"pending"]'
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	assert_uuid "$sid"
	assert_uuid "$cid"
	wait_done "$sid" "$cid"
	assert_equal "$(jq -c '[.service_id, .code_id, .status, .attempts, (.files | length)]' <<<"$reply")" \
		"[\"$sid\",\"$cid\",\"done\",1,6]"
	assert_keys "$reply" '["attempts","code_id","files","service_id","status"]'
	check_files "$sid" "$cid"
	post "{\"action\":\"download\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_api 200
	assert_keys "$reply" '["code_id","files","service_id"]'
	assert_equal "$(jq -c '[.service_id, .code_id, (.files | length)]' <<<"$reply")" "[\"$sid\",\"$cid\",6]"
	check_files "$sid" "$cid"
	# What is stored: the conversation, complete, and the service made of it.
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_equal "$(jq -c '[.status, .version, (.history | length)]' <<<"$output")" '["complete",8,7]'
	run --separate-stderr csc-store get-service "$sid"
	assert_success
	assert_equal "$(jq -c '[.conversation_id, .latest_code_id]' <<<"$output")" "[\"$id\",\"$cid\"]"
	assert_equal "$(jq -S -c .service_data <<<"$output")" "$(jq -S -c . <<<"$INTERVIEW_SD")"
	# The last answer sent again (a retry) gets the reply it got the first
	# time, and changes nothing; an older one is a conflict.
	post "$(message_body "$id" 7 '"none"')"
	assert_api 200
	assert_equal "$reply" "$last"
	post "$(message_body "$id" 6 '"PostgreSQL"')"
	assert_api 409
	assert_equal "$(jq -r .error.code <<<"$reply")" conflict
	run --separate-stderr csc-store get-conversation "$id"
	assert_equal "$(jq -c '[.status, .version, (.history | length)]' <<<"$output")" '["complete",8,7]'
}

@test "generate with the original API's service_data: without a conversation, with one, and with wait" {
	local sid cid id2
	post "{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD}"
	assert_api 202
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	wait_done "$sid" "$cid"
	check_files "$sid" "$cid"
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_success
	# The questionnaire's defaults fill in what the original API left out.
	assert_equal "$(jq -c '[.conversation_id, .status, .attempts]' <<<"$output")" '[null,"done",1]'
	assert_equal "$(jq -S -c .service_data <<<"$output")" "$(jq -S -c . <<<"$INTERVIEW_SD")"

	# With a conversation, a complete one: the service names it.
	interview
	id2=$id
	post "{\"action\":\"generate\",\"conversation_id\":\"$id2\",\"service_data\":$ORIGINAL_SD}"
	assert_api 202
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	wait_done "$sid" "$cid"
	run --separate-stderr csc-store get-service "$sid"
	assert_success
	assert_equal "$(jq -r .conversation_id <<<"$output")" "$id2"

	# With "wait": the files come back at once, as the original design did.
	post "{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"wait\":20}"
	assert_api 200
	assert_equal "$(jq -r .status <<<"$reply")" "done"
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	assert_uuid "$sid"
	assert_uuid "$cid"
	check_files "$sid" "$cid"
}

@test "GET /questions is csc-ask --questions; GET /health is ok; OPTIONS is a CORS preflight" {
	api GET /questions
	assert_api 200
	assert_equal "$(jq -S -c . <<<"$reply")" "$(csc-ask --questions | jq -S -c .)"
	api GET /health
	assert_api 200
	assert_equal "$(jq -c . <<<"$reply")" '{"ok":true}'
	api GET '/health?probe=1'
	assert_api 200
	local path allowed
	for path in /conversation /questions /health; do
		API_HEADERS=(-H 'Origin: http://example.test' -H 'Access-Control-Request-Method: POST'
			-H 'Access-Control-Request-Headers: content-type')
		api OPTIONS "$path"
		API_HEADERS=()
		assert_equal "$code" 204
		[ -z "$reply" ]
		[ -n "$(header Access-Control-Allow-Origin)" ]
		[[ ", $(header Access-Control-Allow-Methods), " == *", POST, "* ]]
		[[ ", $(header Access-Control-Allow-Methods), " == *", GET, "* ]]
		allowed=$(header Access-Control-Allow-Headers)
		allowed=${allowed// /}
		[[ ",${allowed,,}," == *,content-type,* ]]
		[ -n "$(header X-Request-Id)" ]
	done
}

@test "X-Request-Id: the client's is echoed and logged; otherwise one is made; junk is not echoed" {
	local mine first second
	mine="api-test.${RANDOM}_$(new_id)"
	rm -f /tmp/csc-api-pwned-rid
	API_HEADERS=(-H "X-Request-Id: $mine")
	api GET /health
	assert_api 200
	assert_equal "$(header X-Request-Id)" "$mine"
	# An error answer carries it too.
	post '{"action":"bogus"}'
	assert_api 400
	assert_equal "$(header X-Request-Id)" "$mine"
	API_HEADERS=()
	# The CGI's stderr line, in lighttpd's log, names it (once per request).
	wait_for 20 grep -q -F "$mine" "$STACK_DIR/lighttpd.log"
	assert_equal "$(grep -c -F "$mine" "$STACK_DIR/lighttpd.log")" 2
	grep -F "$mine" "$STACK_DIR/lighttpd.log" | grep -q /health
	grep -F "$mine" "$STACK_DIR/lighttpd.log" | grep -q /conversation

	api GET /health
	first=$(header X-Request-Id)
	api GET /health
	second=$(header X-Request-Id)
	[ -n "$first" ] && [ "$first" != "$second" ]
	wait_for 20 grep -q -F "$second" "$STACK_DIR/lighttpd.log"

	# shellcheck disable=SC2016 # for the server's shell, were it to expand it
	API_HEADERS=(-H 'X-Request-Id: $(touch /tmp/csc-api-pwned-rid) x')
	api GET /health
	API_HEADERS=()
	assert_api 200
	[[ "$(header X-Request-Id)" =~ ^[A-Za-z0-9._-]+$ ]]
	[ ! -e /tmp/csc-api-pwned-rid ]
}

@test "the edge reads a body of 65,536 bytes and refuses one of 65,537 with 413" {
	local pad
	pad=$(printf '%*s' $((65536 - 18)) '')
	post "{\"action\":\"start\"$pad}"
	assert_api 201
	post "{\"action\":\"start\"$pad }"
	assert_api 413
	assert_equal "$(jq -r .error.code <<<"$reply")" too_large
}

@test "a body with a member name twice is a 400 JSON error naming it, and changes nothing" {
	local before conv
	post '{"action":"start"}'
	assert_api 201
	conv=$(jq -r .conversation_id <<<"$reply")
	before=$(ddb_count)
	post '{"action":"start","action":"message"}'
	assert_api 400
	assert_equal "$reply" '{"error":{"code":"invalid_request","message":"standard input: duplicate key \"action\" at ."}}'
	post "{\"action\":\"message\",\"conversation_id\":\"$conv\",\"message\":\"vFirewall\",\"step\":1,\"message\":\"vRouter\"}"
	assert_api 400
	assert_equal "$reply" '{"error":{"code":"invalid_request","message":"standard input: duplicate key \"message\" at ."}}'
	post "{\"action\":\"message\",\"conversation_id\":\"$conv\",\"message\":[\"vFirewall\",{\"a\":1,\"a\":2}],\"step\":1}"
	assert_api 400
	assert_equal "$reply" '{"error":{"code":"invalid_request","message":"standard input: duplicate key \"a\" at .message[1]"}}'
	post "{\"action\":\"generate\",\"conversation_id\":\"$conv\",\"conversation_id\":\"$(new_id)\"}"
	assert_api 400
	assert_equal "$reply" '{"error":{"code":"invalid_request","message":"standard input: duplicate key \"conversation_id\" at ."}}'
	assert_equal "$(ddb_count)" "$before"
	# the conversation is where it was
	post "$(message_body "$conv" 1 '"vFirewall"')"
	assert_api 200
	assert_equal "$(jq -r .step <<<"$reply")" 2
}

@test "Content-Type: the media type in any case, with parameters and whitespace; another type is 415 naming the header" {
	local ct
	for ct in 'APPLICATION/JSON' 'Application/Json' 'application/json ; charset=utf-8' \
		'application/JSON;charset=UTF-8' $'application/json\t;\tcharset=utf-8' 'application/json;'; do
		api POST /conversation '{"action":"start"}' "$ct"
		[ "$code" = 201 ] || fail "Content-Type '$ct': HTTP $code: $reply"
		assert_api 201
	done
	for ct in 'text/plain' 'application/jsonx' 'application/json-seq' 'text/json; charset=utf-8' 'application/x-www-form-urlencoded'; do
		api POST /conversation '{"action":"start"}' "$ct"
		[ "$code" = 415 ] || fail "Content-Type '$ct': HTTP $code: $reply"
		assert_api 415
		assert_equal "$(jq -r .error.code <<<"$reply")" unsupported_media_type
		jq -e '.error.message | contains("Content-Type: application/json") and contains("curl --json")' <<<"$reply" >/dev/null ||
			fail "the message names no header to send: $reply"
	done
}

# body_of BYTES FILE: a start body of exactly BYTES bytes in FILE.
body_of() {
	{
		printf '{"action":"start","padding":"'
		head -c $(($1 - 31)) /dev/zero | tr '\0' a
		printf '"}'
	} >"$2"
	assert_equal "$(wc -c <"$2")" "$1"
}

# assert_lighttpd_error STATUS CODE [RID]: the last answer was lighttpd's
# own error STATUS in the API's shape (error.code CODE), with nosniff, and
# the CGI program never ran for its request, whose id is RID (the answer's
# own when not given: lighttpd passes no header of a request it could not
# parse).
assert_lighttpd_error() {
	local rid="${3:-$(header X-Request-Id)}"
	assert_api "$1"
	assert_equal "$(jq -c 'keys, (.error | keys)' <<<"$reply" | paste -sd ' ')" '["error"] ["code","message"]'
	assert_equal "$(jq -r .error.code <<<"$reply")" "$2"
	assert_equal "$(header X-Content-Type-Options)" nosniff
	assert_equal "$(header X-Request-Id)" "$rid"
	set -- "$1" "$2" "$rid"
	wait_for 20 grep -q -F "errordoc: $3 " "$STACK_DIR/lighttpd.log"
	if grep -q -F "csc-api: $3 " "$STACK_DIR/lighttpd.log"; then
		fail "the CGI ran for $3: $(grep -F "$3" "$STACK_DIR/lighttpd.log")"
	fi
}

@test "lighttpd's own errors are JSON: bodies over 64 KiB refused before the CGI (with and without Content-Length), method FOO" {
	local rid n before chunked args
	body_of 65536 "$BATS_TEST_TMPDIR/max"
	API_HEADERS=(-H "X-Request-Id: max-$(new_id)")
	code=$(curl -sS -o "$BATS_TEST_TMPDIR/reply" -D "$BATS_TEST_TMPDIR/headers" -w '%{http_code}' \
		-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
		--data-binary "@$BATS_TEST_TMPDIR/max" "$CSC_API_URL/conversation")
	reply=$(cat "$BATS_TEST_TMPDIR/reply")
	API_HEADERS=()
	assert_api 201
	before=$(ddb_count)
	for n in 65537 70000 2000000; do
		body_of "$n" "$BATS_TEST_TMPDIR/body"
		for chunked in no yes; do
			rid="too-large-$n-$chunked-$(new_id)"
			args=(-sS -o "$BATS_TEST_TMPDIR/reply" -D "$BATS_TEST_TMPDIR/headers" -w '%{http_code}'
				-H 'Content-Type: application/json' -H "X-Request-Id: $rid" --data-binary "@$BATS_TEST_TMPDIR/body")
			[ "$chunked" = no ] || args+=(-H 'Transfer-Encoding: chunked')
			# lighttpd may close the connection before curl has sent the
			# whole body: curl's exit status is no verdict, the answer is.
			code=$(curl "${args[@]}" "$CSC_API_URL/conversation") || true
			reply=$(cat "$BATS_TEST_TMPDIR/reply")
			assert_lighttpd_error 413 too_large "$rid"
		done
	done
	assert_equal "$(ddb_count)" "$before"
	# A method lighttpd does not know.
	api FOO /health
	case "$code" in
	405 | 501) ;;
	*) fail "method FOO: HTTP $code: $reply" ;;
	esac
	assert_lighttpd_error "$code" method_not_allowed
	# The server is up.
	api GET /health
	assert_api 200
}

@test "X-Content-Type-Options: nosniff on the CGI's answers, its errors and its preflight, and on lighttpd's" {
	api GET /health
	assert_api 200
	assert_equal "$(header X-Content-Type-Options)" nosniff
	post '{"action":"bogus"}'
	assert_api 400
	assert_equal "$(header X-Content-Type-Options)" nosniff
	api OPTIONS /conversation
	assert_equal "$code" 204
	assert_equal "$(header X-Content-Type-Options)" nosniff
	api GET /no-such-page
	assert_api 404
	assert_equal "$(header X-Content-Type-Options)" nosniff
}

@test "the CGI program's own path is no route: /csc-api/... answers 404 JSON, never the CGI" {
	local path rid before method
	before=$(ddb_count)
	for path in /csc-api /csc-api/ /csc-api/health /csc-api/csc-api /csc-api/conversation /./csc-api/health \
		//csc-api/health /%63sc-api/health /health/../csc-api/health /csc-errordoc /csc-errordoc/health /no-such-page /; do
		for method in GET POST; do
			rid="path-$(new_id)"
			API_HEADERS=(-H "X-Request-Id: $rid")
			if [ "$method" = POST ]; then
				api POST "$path" '{"action":"start"}'
			else
				api GET "$path"
			fi
			API_HEADERS=()
			[ "$code" = 404 ] || fail "$method $path: HTTP $code: $reply"
			assert_api 404
			assert_equal "$(jq -r .error.code <<<"$reply")" not_found
		done
	done
	# No request reached the API's CGI program: it logs every one.
	if grep -F 'csc-api: path-' "$STACK_DIR/lighttpd.log"; then
		fail "the CGI program was reached"
	fi
	assert_equal "$(ddb_count)" "$before"
}

@test "generate names only a stored, complete conversation: 404 for a missing one, 409 for an open one, nothing stored" {
	local before open missing
	post '{"action":"start"}'
	assert_api 201
	open=$(jq -r .conversation_id <<<"$reply")
	missing=$(new_id)
	before=$(ddb_count)
	post "{\"action\":\"generate\",\"conversation_id\":\"$missing\",\"service_data\":$ORIGINAL_SD}"
	assert_api 404
	assert_equal "$(jq -c . <<<"$reply")" \
		"{\"error\":{\"code\":\"not_found\",\"message\":\"conversation $missing not found\"}}"
	post "{\"action\":\"generate\",\"conversation_id\":\"$missing\"}"
	assert_api 404
	post "{\"action\":\"generate\",\"conversation_id\":\"$open\",\"service_data\":$ORIGINAL_SD,\"wait\":1}"
	assert_api 409
	assert_equal "$(jq -c . <<<"$reply")" \
		"{\"error\":{\"code\":\"conflict\",\"message\":\"conversation $open is not complete: it is at step 1 of 7\"}}"
	post "{\"action\":\"generate\",\"conversation_id\":\"$open\"}"
	assert_api 409
	assert_equal "$(jq -r .error.code <<<"$reply")" conflict
	# No job, no service: the table holds what it held.
	assert_equal "$(ddb_count)" "$before"
}

@test "generate refuses a member given twice, in service_data or at the top, with 400, and stores nothing" {
	local before body sd
	interview
	before=$(ddb_count)
	sd='{"service_type":"vFirewall","vendor":"Cisco","vendor":"Fortinet","features":["Traffic Filtering"]}'
	for body in \
		"{\"action\":\"generate\",\"service_data\":$sd}" \
		"{\"action\":\"generate\",\"service_data\":{\"service_type\":\"vFirewall\",\"vendor\":\"Cisco\",\"features\":[\"Traffic Filtering\",{\"a\":1,\"a\":2}]}}" \
		"{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"service_data\":$ORIGINAL_SD}" \
		"{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"wait\":0,\"wait\":1}" \
		"{\"action\":\"status\",\"action\":\"generate\",\"service_data\":$ORIGINAL_SD}" \
		"{\"action\":\"generate\",\"conversation_id\":\"$id\",\"service_data\":$ORIGINAL_SD,\"conversation_id\":\"$id\"}"; do
		post "$body"
		[ "$code" = 400 ] || fail "HTTP $code for $body: $reply"
		assert_api 400
		assert_equal "$(jq -r .error.code <<<"$reply")" invalid_request
		jq -e '.error.message | test("duplicate key")' <<<"$reply" >/dev/null || fail "message: $reply"
	done
	post "{\"action\":\"generate\",\"service_data\":$sd}"
	assert_equal "$(jq -r .error.message <<<"$reply")" 'standard input: duplicate key "vendor" at .service_data'
	assert_equal "$(ddb_count)" "$before"
}

# fake_runner_cgi: a copy of bin/csc-api in $BATS_TEST_TMPDIR/fake beside a
# csc-job that claims the job, sleeps $FAKE_JOB_SECONDS and fails it: a
# job whose length the test chooses.  Its start and end go to
# $BATS_TEST_TMPDIR/fake/times.
fake_runner_cgi() {
	local dir="$BATS_TEST_TMPDIR/fake"
	mkdir -p "$dir"
	cp "$CSC_TOP/bin/csc-api" "$dir/csc-api"
	# shellcheck disable=SC2016 # the fake runner's shell expands
	printf '%s\n' '#!/bin/bash' 'set -eu' \
		'csc-store claim-job "$2" "$3" --lease 60 >/dev/null' \
		'printf "start %s\n" "$EPOCHREALTIME" >>"${0%/*}/times"' \
		'sleep "$FAKE_JOB_SECONDS"' \
		'csc-store finish-job "$2" "$3" --status failed --error "the fake runner" >/dev/null' \
		'printf "end %s\n" "$EPOCHREALTIME" >>"${0%/*}/times"' >"$dir/csc-job"
	chmod +x "$dir/csc-api" "$dir/csc-job"
}

# fake_generate WAIT JOB_SECONDS: generate with "wait": WAIT through the
# fake runner's CGI, the job lasting JOB_SECONDS; the status in $code.
fake_generate() {
	local body raw
	body="{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"wait\":$1}"
	raw=$(FAKE_JOB_SECONDS=$2 REQUEST_METHOD=POST PATH_INFO=/conversation CONTENT_TYPE=application/json \
		CONTENT_LENGTH=${#body} "$BATS_TEST_TMPDIR/fake/csc-api" <<<"$body" 2>>"$BATS_TEST_TMPDIR/cgi.log")
	code=${raw#Status: }
	code=${code%% *}
	reply=${raw#*$'\r\n\r\n'}
}

@test "generate with wait N answers a job that ends within N seconds, fractions of a second included" {
	fake_runner_cgi
	# A job half a second shorter than the wait: finished, 200.
	fake_generate 2 1.5
	assert_equal "$code" 200
	assert_equal "$(jq -r .status <<<"$reply")" failed
	fake_generate 1.9 1.4
	assert_equal "$code" 200
	assert_equal "$(jq -r .status <<<"$reply")" failed
	# And one longer than the wait: 202, the job still running.
	fake_generate 0.5 2
	assert_equal "$code" 202
	assert_equal "$(jq -r .status <<<"$reply")" pending
	assert_equal "$(grep -c '^start ' "$BATS_TEST_TMPDIR/fake/times")" 3
}

@test "an upstream's error text goes to the log with the request id, the client gets the id" {
	local srv base raw sid cid rid status endpoint body
	srv="$BATS_TEST_TMPDIR/server-scripted"
	mkdir "$srv"
	start_server "$srv" python3 "$CSC_TOP/tests/servers/scripted.py"
	base="http://127.0.0.1:$(cat "$srv/port")"
	sid=$(new_id) cid=$(new_id)
	body="{\"action\":\"status\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	# DynamoDB refuses the credentials (77), then is not there at all (69).
	for endpoint in "$base/denied" "http://127.0.0.1:1"; do
		rid="upstream-$(new_id)"
		raw=$(AWS_ENDPOINT_URL_DYNAMODB=$endpoint AWS_MAX_ATTEMPTS=1 HTTP_X_REQUEST_ID=$rid \
			REQUEST_METHOD=POST PATH_INFO=/conversation CONTENT_TYPE=application/json \
			CONTENT_LENGTH=${#body} csc-api <<<"$body" 2>"$BATS_TEST_TMPDIR/cgi.log")
		status=${raw#Status: }
		status=${status%% *}
		assert_equal "$status" 502
		grep -q -F "X-Request-Id: $rid"$'\r' <<<"$raw" || fail "no X-Request-Id $rid: $raw"
		reply=${raw#*$'\r\n\r\n'}
		case "$endpoint" in
		*/denied)
			assert_equal "$(jq -c . <<<"$reply")" \
				"{\"error\":{\"code\":\"upstream_refused\",\"message\":\"the upstream service failed (request id $rid)\"}}"
			# The upstream's own words are in the log, with the id.
			grep -F "$rid" "$BATS_TEST_TMPDIR/cgi.log" | grep -q -F 'AccessDeniedException: User: arn:aws:iam::000000000000:user/csc is not authorized' ||
				fail "the log lacks the error: $(cat "$BATS_TEST_TMPDIR/cgi.log")"
			;;
		*)
			assert_equal "$(jq -c . <<<"$reply")" \
				"{\"error\":{\"code\":\"upstream_failed\",\"message\":\"the upstream service failed (request id $rid)\"}}"
			grep -F "$rid" "$BATS_TEST_TMPDIR/cgi.log" | grep -q 'exit 69: DynamoDB' ||
				fail "the log lacks the error: $(cat "$BATS_TEST_TMPDIR/cgi.log")"
			;;
		esac
	done
	stop_server "$srv"
}

@test "the bad-request corpus: each its 4xx and a JSON error, the server up, nothing expanded, nothing stored" {
	local dir="$BATS_TEST_TMPDIR/corpus" conv done_id fsid fcid n name method path want want_code has_body
	local got args count before s3_before failures=() problems cases=0 conv_state done_state
	local h_ctype h_rid h_allow
	mkdir -p "$dir"
	rm -f /tmp/csc-api-pwned-*
	# What the cases name: an open conversation at step 2, a complete one,
	# and a failed generation.
	post '{"action":"start"}'
	assert_api 201
	conv=$(jq -r .conversation_id <<<"$reply")
	post "$(message_body "$conv" 1 '"vFirewall"')"
	assert_api 200
	interview
	done_id=$id
	fsid=$(new_id) fcid=$(new_id)
	job_json "$fsid" "$fcid" corpus-failed | csc-store put-job >/dev/null
	csc-store finish-job "$fsid" "$fcid" --status failed --error 'failed on purpose' >/dev/null
	conv_state=$(csc-store get-conversation "$conv" | jq -c '[.version, .step, .history]')
	done_state=$(csc-store get-conversation "$done_id" | jq -c '[.version, .status, .history]')

	python3 "$FIXTURES/corpus.py" "$FIXTURES/bad-requests.jsonl" "$dir" \
		"CONV=$conv" "CONV_UPPER=${conv^^}" "DONE=$done_id" \
		"FAILED_SERVICE=$fsid" "FAILED_CODE=$fcid" \
		"FAILED_SERVICE_UPPER=${fsid^^}" "FAILED_CODE_UPPER=${fcid^^}" >"$dir/cases.tsv"
	before=$(aws dynamodb scan --table-name "$TABLE" --select COUNT --query Count --output text)
	s3_before=$(object_versions)
	count=$(ddb_count)
	assert_equal "$count" "$before"

	while IFS=$'\t' read -r n name method path want want_code has_body; do
		cases=$((cases + 1))
		problems=()
		args=(-sS --path-as-is -X "$method" -H "@$dir/$n.headers"
			-o "$dir/$n.reply" -D "$dir/$n.response-headers" -w '%{http_code}')
		[ "$has_body" = 0 ] || args+=(--data-binary "@$dir/$n.body")
		if got=$(curl "${args[@]}" "$CSC_API_URL$path"); then
			[ "$got" = "$want" ] || problems+=("HTTP $got, expected $want")
			response_headers "$dir/$n.response-headers"
			[[ "$h_ctype" == application/json* ]] || problems+=("Content-Type '$h_ctype'")
			[ -n "$h_rid" ] || problems+=("no X-Request-Id")
			[ "$want" != 405 ] || [ -n "$h_allow" ] || problems+=("405 without Allow")
			got=$(jq -r 'if type == "object" and keys == ["error"] and (.error | type == "object")
				and (.error.code | type == "string" and length > 0)
				and (.error.message | type == "string" and length > 0)
				then .error.code else "!" end' "$dir/$n.reply" 2>/dev/null) || got='!'
			if [ "$got" = '!' ]; then
				problems+=("not a JSON error")
			elif [ "$want_code" != - ] && [ "$got" != "$want_code" ]; then
				problems+=("error code $got, expected $want_code")
			fi
		else
			problems+=("curl failed")
		fi
		got=$(curl -s -o /dev/null -w '%{http_code}' "$CSC_API_URL/health") || true
		[ "$got" = 200 ] || problems+=("GET /health after it: $got")
		got=$(ddb_count)
		[ "$got" = "$count" ] ||
			problems+=("the table held $count items before it and $got after (this request, or a job an earlier one started)")
		count=$got
		if [ "${#problems[@]}" -gt 0 ]; then
			failures+=("$name: $(printf '%s; ' "${problems[@]}")answer: $(head -c 200 "$dir/$n.reply" | tr '\n' ' ')")
		fi
	done <"$dir/cases.tsv"

	[ "$cases" -ge 60 ] || failures+=("only $cases cases in the corpus")
	# No shell ever expanded a request: not one sentinel exists.
	if compgen -G '/tmp/csc-api-pwned-*' >/dev/null; then
		failures+=("shell expansion happened: $(echo /tmp/csc-api-pwned-*)")
	fi
	# Nothing was stored (a job a case started would have written by now).
	sleep 1
	got=$(aws dynamodb scan --table-name "$TABLE" --select COUNT --query Count --output text)
	[ "$got" = "$before" ] || failures+=("DynamoDB: $before items before the corpus, $got after")
	got=$(object_versions)
	[ "$got" = "$s3_before" ] || failures+=("S3: $s3_before object versions before the corpus, $got after")
	got=$(csc-store get-conversation "$conv" | jq -c '[.version, .step, .history]')
	[ "$got" = "$conv_state" ] || failures+=("the open conversation changed: $conv_state -> $got")
	got=$(csc-store get-conversation "$done_id" | jq -c '[.version, .status, .history]')
	[ "$got" = "$done_state" ] || failures+=("the complete conversation changed: $done_state -> $got")
	api GET /health
	assert_api 200
	if [ "${#failures[@]}" -gt 0 ]; then
		fail "$(printf '%s\n' "${#failures[@]} failure(s) in $cases cases:" "${failures[@]}")"
	fi
}

# fire N BODY_DIR: N concurrent POST /conversation, body i from
# BODY_DIR/i.body; statuses in BODY_DIR/i.code, answers in BODY_DIR/i.reply.
fire() {
	local i pids=()
	for i in $(seq "$1"); do
		curl -sS -o "$2/$i.reply" -w '%{http_code}\n' -H 'Content-Type: application/json' \
			--data-binary "@$2/$i.body" "$CSC_API_URL/conversation" >"$2/$i.code" 3>&- &
		pids+=("$!")
	done
	wait "${pids[@]}"
}

@test "an answer sent twice gets the same 200 twice; an older answer, or another to the previous step, is 409" {
	local first second
	post '{"action":"start"}'
	assert_api 201
	id=$(jq -r .conversation_id <<<"$reply")
	post "$(message_body "$id" 1 '"vFirewall"')"
	assert_api 200
	first=$reply
	# Again, and again written differently (the same once matched): the
	# same reply, byte for byte.
	post "$(message_body "$id" 1 '"vFirewall"')"
	assert_api 200
	assert_equal "$reply" "$first"
	post "$(message_body "$id" 1 '" vfirewall "')"
	assert_api 200
	assert_equal "$reply" "$first"
	post "$(message_body "$id" 2 '"Cisco"')"
	assert_api 200
	second=$reply
	# Step 1's answer is no longer the last one: a conflict.
	post "$(message_body "$id" 1 '"vFirewall"')"
	assert_api 409
	assert_equal "$(jq -r .error.code <<<"$reply")" conflict
	# Another answer to the previous step: a conflict.
	post "$(message_body "$id" 2 '"Juniper"')"
	assert_api 409
	assert_equal "$(jq -r .error.code <<<"$reply")" conflict
	post "$(message_body "$id" 2 '"cisco"')"
	assert_api 200
	assert_equal "$reply" "$second"
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_equal "$(jq -c '[.version, (.history | length), .step, .answers.vendor]' <<<"$output")" \
		'[3,2,3,"Cisco"]'
}

# one_winner DIR: of the 50 answers fire left in DIR, exactly one is a 200
# and every other a 409 "conflict"; the winner's number goes to DIR/winner.
one_winner() {
	local i
	assert_equal "$(cat "$1"/*.code | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd ' ')" '200x1 409x49'
	for i in $(seq 50); do
		if [ "$(cat "$1/$i.code")" = 200 ]; then
			printf '%s\n' "$i" >"$1/winner"
		else
			assert_equal "$(jq -r .error.code "$1/$i.reply")" conflict
		fi
	done
}

@test "50 concurrent identical answers to one step: 50 times the same 200, one answer stored" {
	local dir="$BATS_TEST_TMPDIR/same" i
	mkdir -p "$dir"
	post '{"action":"start"}'
	assert_api 201
	id=$(jq -r .conversation_id <<<"$reply")
	for i in $(seq 50); do
		message_body "$id" 1 '"vFirewall"' >"$dir/$i.body"
	done
	fire 50 "$dir"
	# The same body fifty times is one answer: every caller gets its reply,
	# whether its write won, lost to an identical one, or it read the
	# answer already stored.
	assert_equal "$(cat "$dir"/*.code | sort | uniq -c | awk '{print $2 "x" $1}')" '200x50'
	assert_equal "$(for i in $(seq 50); do cksum <"$dir/$i.reply"; done | sort -u | wc -l)" 1
	assert_equal "$(jq -c '[.conversation_id, .done, .step, .question.id]' "$dir/1.reply")" \
		"[\"$id\",false,2,\"vendor\"]"
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_equal "$(jq -c '[.version, (.history | length), .step, .answers.service_type, .history[0].step]' <<<"$output")" \
		'[2,1,2,"vFirewall",1]'
	api GET /health
	assert_api 200
}

@test "50 concurrent different answers to one step: exactly one 200, 49 409s, one answer stored" {
	local dir="$BATS_TEST_TMPDIR/race" i winner
	mkdir -p "$dir"
	post '{"action":"start"}'
	assert_api 201
	id=$(jq -r .conversation_id <<<"$reply")
	# Fifty answers that differ even once normalised (SPEC section 11:
	# "Concurrent answers to one conversation: exactly one wins, the rest
	# get 409"): step 1 has eight options, step 7 takes free text.
	post "$(message_body "$id" 1 '"vFirewall"')"
	assert_api 200
	for i in 2 3 4 5 6; do
		post "$(message_body "$id" "$i" '"1"')"
		assert_api 200
	done
	for i in $(seq 50); do
		message_body "$id" 7 "\"requirement number $i\"" >"$dir/$i.body"
	done
	fire 50 "$dir"
	one_winner "$dir"
	winner=$(cat "$dir/winner")
	assert_equal "$(jq -c '[.done, .service_data.requirements]' "$dir/$winner.reply")" \
		"[true,\"requirement number $winner\"]"
	run --separate-stderr csc-store get-conversation "$id"
	assert_success
	assert_equal "$(jq -c '[.version, (.history | length), .status, .answers.requirements]' <<<"$output")" \
		"[8,7,\"complete\",\"requirement number $winner\"]"
	api GET /health
	assert_api 200
}

@test "a runner killed with SIGKILL mid-generation: the sweep finishes the job, once" {
	local sid cid marker pid rc=0
	sid=$(new_id) cid=$(new_id) marker="sigkill-$(new_id)"
	job_json "$sid" "$cid" "$marker" | csc-store put-job >/dev/null
	# The first generation streams slowly (300 ms between writes: minutes);
	# the sweep's goes at full speed.
	faults '[{"match": {"path": "/v1/messages"}, "fault": "slow", "delay_ms": 300, "times": 1}]'
	# Its own session, so that the kill takes the whole runner: csc-job and
	# the csc-generate it started.  (A runner killed so leaves its mktemp
	# file behind: in this test's directory, not in /tmp.)
	TMPDIR=$BATS_TEST_TMPDIR CSC_JOB_LEASE=2 setsid csc-job run "$sid" "$cid" >"$BATS_TEST_TMPDIR/runner.log" 2>&1 3>&- &
	pid=$!
	# setsid did not fork (bats runs without job control): the PID is the
	# runner's, and its process group.
	# shellcheck disable=SC2016 # the inner shell expands
	wait_for 50 bash -c '[ "$(ps -o pgid= -p "$1" | tr -d " ")" = "$1" ]' _ "$pid"
	# Generating: the stand-in has its request and is streaming the reply.
	wait_for 100 grep -q -F -- "$marker" "$STACK_DIR/claude-requests.jsonl"
	sleep 0.5
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.status, .attempts]' <<<"$output")" '["running",1]'
	kill -KILL -- "-$pid"
	wait "$pid" || rc=$?
	assert_equal "$rc" 137
	# shellcheck disable=SC2016 # the inner shell expands
	wait_for 50 bash -c '! pgrep -g "$1" >/dev/null' _ "$pid"
	rm -f "$STACK_DIR/claude-faults.json"
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .attempts]' <<<"$output")" '["running",1]'
	# The lease (2 s) runs out; then the sweeper sees the job.
	# shellcheck disable=SC2016 # the inner shell expands
	wait_for 100 bash -c 'csc-store list-jobs --expired | jq -e --arg c "$1" "any(.jobs[]; .code_id == \$c)" >/dev/null' _ "$cid"
	run --separate-stderr csc-job sweep
	assert_success
	assert_output ''
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.status, .attempts, (.files | length), ([.files[].name] | sort == '"$SIX_FILES"'), all(.files[]; .sha256 | test("^[0-9a-f]{64}$"))]' <<<"$output")" \
		'["done",2,6,true,true]'
	# Once: one put-code (one version of each object), two generation
	# requests (the killed one and the sweep's).
	assert_equal "$(object_versions "$sid/$cid/")" 6
	assert_equal "$(standin_requests "$marker")" 2
	# A second sweep finds nothing to do.
	run --separate-stderr csc-job sweep
	assert_success
	assert_equal "$(standin_requests "$marker")" 2
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .attempts]' <<<"$output")" '["done",2]'
	# And the API serves it.
	post "{\"action\":\"download\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_api 200
	check_files "$sid" "$cid"
}

@test "two runners started on one job: one generates it, the other exits 73" {
	local sid cid marker p1 p2 rc1=0 rc2=0
	sid=$(new_id) cid=$(new_id) marker="two-runners-$(new_id)"
	job_json "$sid" "$cid" "$marker" | csc-store put-job >/dev/null
	# A generation of about a second, so that both runners are alive at once.
	faults '[{"match": {"path": "/v1/messages"}, "fault": "slow", "delay_ms": 1}]'
	csc-job run "$sid" "$cid" >"$BATS_TEST_TMPDIR/one.log" 2>&1 3>&- &
	p1=$!
	csc-job run "$sid" "$cid" >"$BATS_TEST_TMPDIR/two.log" 2>&1 3>&- &
	p2=$!
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	assert_equal "$(printf '%s\n' "$rc1" "$rc2" | sort -n | paste -sd ' ')" '0 73'
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.status, .attempts, (.files | length)]' <<<"$output")" '["done",1,6]'
	assert_equal "$(standin_requests "$marker")" 1
	assert_equal "$(object_versions "$sid/$cid/")" 6
}

@test "a runner paused past its lease, taken over by the sweep, writes nothing: downloads are the reported bytes" {
	local sid cid marker pid rc=0 first
	sid=$(new_id) cid=$(new_id) marker="paused-$(new_id)"
	job_json "$sid" "$cid" "$marker" | csc-store put-job >/dev/null
	# The first generation streams for some seconds; the sweep's at full speed.
	faults '[{"match": {"path": "/v1/messages"}, "fault": "slow", "delay_ms": 40, "times": 1}]'
	TMPDIR=$BATS_TEST_TMPDIR CSC_JOB_LEASE=3 setsid csc-job run "$sid" "$cid" >"$BATS_TEST_TMPDIR/runner.log" 2>&1 3>&- &
	pid=$!
	# shellcheck disable=SC2016 # the inner shell expands
	wait_for 50 bash -c '[ "$(ps -o pgid= -p "$1" | tr -d " ")" = "$1" ]' _ "$pid"
	wait_for 100 grep -q -F -- "$marker" "$STACK_DIR/claude-requests.jsonl"
	# Mid-stream, the runner is paused (a frozen VM, a swapped-out host),
	# its heartbeat with it, until its lease runs out and a sweep takes
	# the job over and finishes it.
	kill -STOP -- "-$pid"
	# shellcheck disable=SC2016 # the inner shell expands
	wait_for 100 bash -c 'csc-store list-jobs --expired | jq -e --arg c "$1" "any(.jobs[]; .code_id == \$c)" >/dev/null' _ "$cid"
	rm -f "$STACK_DIR/claude-faults.json"
	run --separate-stderr csc-job sweep
	assert_success
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .attempts]' <<<"$output")" '["done",2]'
	first=$(jq -S -c .files <<<"$output")
	# The paused runner wakes up: it finds its lease gone and writes nothing.
	kill -CONT -- "-$pid"
	wait "$pid" || rc=$?
	assert_equal "$rc" 73
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_equal "$(jq -c '[.status, .attempts, .error]' <<<"$output")" '["done",2,null]'
	assert_equal "$(jq -S -c .files <<<"$output")" "$first"
	assert_equal "$(object_versions "$sid/$cid/")" 6
	assert_equal "$(standin_requests "$marker")" 2
	post "{\"action\":\"download\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_api 200
	check_files "$sid" "$cid"
}

@test "a generation refused upstream (invalid x-api-key) shows its client a log id, and the text only in the job log" {
	local sid cid marker id
	faults '[{"match": {"path": "/v1/messages"}, "fault": "unauthorized"}]'
	marker="unauthorized-$(new_id)"
	post "$(jq -c --arg m "$marker" '{action: "generate", service_data: (. + {requirements: $m}), wait: 20}' <<<"$ORIGINAL_SD")"
	assert_api 200
	assert_equal "$(jq -r .status <<<"$reply")" failed
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	refute_regex "$reply" 'x-api-key'
	id=$(jq -r '.error | capture("^the generation failed upstream [(]exit 77, log id (?<id>[0-9a-f-]{36})[)]$").id' <<<"$reply") ||
		fail "no log id in: $reply"
	# The operator finds the upstream's own words under that id.
	run grep -F -- "error $id: exit 77: " "$STACK_DIR/csc-job.log"
	assert_success
	assert_output --partial 'invalid x-api-key'
	post "{\"action\":\"status\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_api 200
	refute_regex "$reply" 'x-api-key'
}

@test "a generation that fails (refusal, max_tokens) ends failed, and status and download say why" {
	local fault sid cid marker tries why
	for fault in refusal max_tokens; do
		faults "[{\"match\": {\"path\": \"/v1/messages\"}, \"fault\": \"$fault\"}]"
		marker="failing-$fault-$(new_id)"
		post "$(jq -c --arg m "$marker" '{action: "generate", service_data: (. + {requirements: $m}), wait: 20}' <<<"$ORIGINAL_SD")"
		# The job failed within the wait: the answer says so at once
		# (status 200 of a finished job, not 202 "pending").
		assert_api 200
		assert_equal "$(jq -r .status <<<"$reply")" failed
		sid=$(jq -r .service_id <<<"$reply")
		cid=$(jq -r .code_id <<<"$reply")
		tries=100
		while :; do
			post "{\"action\":\"status\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
			assert_api 200
			[ "$(jq -r .status <<<"$reply")" = failed ] && break
			tries=$((tries - 1))
			[ "$tries" -gt 0 ] || fail "$fault: not failed: $reply"
			sleep 0.1
		done
		assert_keys "$reply" '["attempts","code_id","error","service_id","status"]'
		assert_equal "$(jq -c '[.service_id, .code_id, .attempts]' <<<"$reply")" "[\"$sid\",\"$cid\",1]"
		case "$fault" in
		refusal) jq -e '.error | test("refus")' <<<"$reply" >/dev/null || fail "$fault: $reply" ;;
		max_tokens) jq -e '.error | test("max_tokens")' <<<"$reply" >/dev/null || fail "$fault: $reply" ;;
		esac
		# Download answers the failure, with the job's error, not "not
		# generated yet".
		why=$(jq -r .error <<<"$reply")
		post "{\"action\":\"download\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
		assert_api 409
		assert_equal "$(jq -c . <<<"$reply")" \
			"$(jq -n -c --arg m "the generation failed: $why" '{error: {code: "generation_failed", message: $m}}')"
		run --separate-stderr csc-store get-code "$sid" "$cid"
		assert_success
		assert_equal "$(jq -c '[.status, .attempts, (.files // [] | length)]' <<<"$output")" '["failed",1,0]'
		# Neither is retried: one request each.
		assert_equal "$(standin_requests "$marker")" 1
		assert_equal "$(object_versions "$sid/$cid/")" 0
	done
}

# jq_wrapper NAME: a program that logs its use, then runs NAME.
jq_wrapper() {
	local real wrapper="$BATS_TEST_TMPDIR/$1-logged"
	real=$(command -v "$1")
	printf '#!/bin/sh\necho "$$" >>%q\nexec %q "$@"\n' "$BATS_TEST_TMPDIR/$1.used" "$real" >"$wrapper"
	chmod +x "$wrapper"
	printf '%s\n' "$wrapper"
}

@test "CSC_JQ: the interview, generate, status and download pass through lighttpd with jq and with gojq" {
	local variant dir wrapper sid cid
	command -v jq >/dev/null || skip "jq is not installed"
	command -v gojq >/dev/null || skip "gojq is not installed"
	for variant in jq gojq; do
		wrapper=$(jq_wrapper "$variant")
		dir=$(mktemp -d)
		printf '%s\n' "$dir" >>"$BATS_TEST_TMPDIR/stacks"
		# The stack passes CSC_JQ through to the CGI.
		CSC_JQ=$wrapper env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN "$STACK" up "$dir" >/dev/null
		(
			# shellcheck source=/dev/null
			source "$dir/env"
			csc-store init >/dev/null
			interview
			api GET /questions
			assert_api 200
			post '{"action":"bogus"}'
			assert_api 400
			post '{"action":"message","conversation_id":"../x","message":"x","step":1}'
			assert_api 400
			post "{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"wait\":20}"
			assert_api 200
			assert_keys "$reply" '["attempts","code_id","files","service_id","status"]'
			sid=$(jq -r .service_id <<<"$reply")
			cid=$(jq -r .code_id <<<"$reply")
			check_files "$sid" "$cid"
			post "{\"action\":\"status\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
			assert_api 200
			assert_equal "$(jq -r .status <<<"$reply")" "done"
			post "{\"action\":\"download\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
			assert_api 200
			assert_keys "$reply" '["code_id","files","service_id"]'
			check_files "$sid" "$cid"
			post "{\"action\":\"generate\",\"conversation_id\":\"$id\"}"
			assert_api 202
		)
		[ -s "$BATS_TEST_TMPDIR/$variant.used" ] || fail "CSC_JQ=$variant was never run"
		"$STACK" down "$dir" >/dev/null
	done
}

@test "a request makes no file: the CGI answers with TMPDIR missing, and leaves it so" {
	local tmp="$BATS_TEST_TMPDIR/tmp" sid cid
	mkdir "$tmp"
	sid=$(new_id) cid=$(new_id)
	job_json "$sid" "$cid" no-file | csc-store put-job >/dev/null
	# A directory that does not exist: a file made for a tool's messages
	# would fail the request.
	export TMPDIR="$tmp/missing"
	cgi '{"action":"start"}'
	assert_equal "$code" 201
	assert_equal "$(jq -c '[.step, .total_steps]' <<<"$reply")" '[1,7]'
	cgi "{\"action\":\"status\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_equal "$code" 200
	# A pending job's exact answer.
	assert_equal "$(jq -S -c . <<<"$reply")" \
		"{\"attempts\":0,\"code_id\":\"$cid\",\"service_id\":\"$sid\",\"status\":\"pending\"}"
	# A tool's message reaches the answer, from the variable.
	cgi "{\"action\":\"status\",\"service_id\":\"$cid\",\"code_id\":\"$sid\"}"
	assert_equal "$code" 404
	assert_equal "$(jq -c . <<<"$reply")" \
		"{\"error\":{\"code\":\"not_found\",\"message\":\"code $cid/$sid not found\"}}"
	cgi "{\"action\":\"download\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_equal "$code" 409
	assert_equal "$(jq -r .error.code <<<"$reply")" not_ready
	cgi '{"action":"generate","service_data":{"vendor":1}}'
	assert_equal "$code" 400
	assert_equal "$(jq -r .error.code <<<"$reply")" invalid_request
	[[ "$(jq -r .error.message <<<"$reply")" == service_data:* ]] || fail "message: $reply"
	cgi '{"action":"generate","service_data":{},"wait":"soon"}'
	assert_equal "$code" 400
	assert_equal "$(jq -r .error.message <<<"$reply")" 'wait must be a number of seconds'
	# Nothing was made, not even the missing directory.
	assert_equal "$(find "$tmp" -mindepth 1 | wc -l)" 0
}

@test "a finished generate with wait answers the status action's shape, its 202 the accepted job" {
	local sid cid unsigned
	post "{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"wait\":20}"
	assert_api 200
	assert_keys "$reply" '["attempts","code_id","files","service_id","status"]'
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	check_files "$sid" "$cid"
	# The same answer as the status action's, but for the URLs' signing.
	unsigned=$(jq -S -c 'del(.files[].url, .files[].expires_at)' <<<"$reply")
	post "{\"action\":\"status\",\"service_id\":\"$sid\",\"code_id\":\"$cid\"}"
	assert_api 200
	assert_equal "$(jq -S -c 'del(.files[].url, .files[].expires_at)' <<<"$reply")" "$unsigned"
	# Without a wait: 202 at once, and the job it names exists.
	post "{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD}"
	assert_api 202
	assert_equal "$(jq -c 'keys' <<<"$reply")" '["code_id","service_id","status"]'
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	assert_equal "$(jq -r .status <<<"$reply")" pending
	run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_success
	wait_done "$sid" "$cid"
}

@test "csc-job picks its filter as csc-api does: gojq where installed" {
	local dir="$BATS_TEST_TMPDIR/path"
	command -v gojq >/dev/null || skip "gojq is not installed"
	mkdir "$dir"
	# A gojq first on PATH that logs its use.
	ln -s "$(jq_wrapper gojq)" "$dir/gojq"
	PATH="$dir:$PATH" run --separate-stderr env -u CSC_JQ csc-job sweep
	assert_success
	[ -s "$BATS_TEST_TMPDIR/gojq.used" ] || fail "csc-job did not run gojq"
}

@test "csc-store get-code --api signs the files as get-code | csc-presign --attachment did" {
	local sid cid
	post "{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"wait\":20}"
	assert_api 200
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	export CSC_NOW=1800000000 CSC_URL_TTL=900
	run --separate-stderr csc-store get-code --api "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.files[].expires_at] | unique' <<<"$output")" '["2027-01-15T08:15:00Z"]'
	assert_equal "$(jq -S -c '.files' <<<"$output")" \
		"$(csc-store get-code "$sid" "$cid" | csc-presign --attachment | jq -S -c '[.files[] | {name, size, sha256, url, expires_at}]')"
}

# deadline_stack: a stack of this test's own whose CGI has CSC_DEADLINE_MS
# 3000 (the stack passes it through), DIR in $dir, its env sourced.
deadline_stack() {
	dir=$(mktemp -d)
	printf '%s\n' "$dir" >>"$BATS_TEST_TMPDIR/stacks"
	CSC_DEADLINE_MS=3000 CSC_SWEEP_INTERVAL=0 env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN \
		"$STACK" up "$dir" >/dev/null
	# shellcheck source=/dev/null
	source "$dir/env"
}

@test "a frozen DynamoDB (SIGSTOP): start answers 503 with Retry-After and the JSON error within CSC_DEADLINE_MS" {
	local dir
	deadline_stack
	csc-store init >/dev/null
	kill -STOP "$(cat "$dir/dynalite.pid")"
	# curl's own bound, should the deadline be ignored (five attempts of
	# 30 s); teardown resumes dynalite whatever happens.
	API_HEADERS=(--max-time 20)
	post '{"action":"start"}'
	kill -CONT "$(cat "$dir/dynalite.pid")"
	assert_api 503
	assert_equal "$(header Retry-After)" 5
	assert_equal "$(jq -r .error.code <<<"$reply")" try_later
	assert_regex "$(jq -r .error.message <<<"$reply")" '^deadline of [0-9]+ ms passed after 1 attempt: DynamoDB PutItem: Timeout was reached$'
	# DynamoDB back: the same request succeeds.
	post '{"action":"start"}'
	assert_api 201
}

@test "generate's wait ends within CSC_DEADLINE_MS with the accepted job; its runner gets no deadline" {
	local dir sid cid pid found=
	deadline_stack
	csc-store init >/dev/null
	# The job's generation hangs: the request answers 202 within the
	# deadline instead of waiting the 20 s asked for (curl's bound: 15 s).
	printf '%s\n' '[{"match": {"path": "/v1/messages"}, "fault": "hang"}]' >"$dir/claude-faults.json"
	API_HEADERS=(--max-time 15)
	post "{\"action\":\"generate\",\"service_data\":$ORIGINAL_SD,\"wait\":20}"
	assert_api 202
	sid=$(jq -r .service_id <<<"$reply")
	cid=$(jq -r .code_id <<<"$reply")
	assert_equal "$(jq -r .status <<<"$reply")" pending
	# The runner's csc-generate, still waiting on Claude, has no deadline
	# in its environment.
	for pid in $(pgrep -x csc-generate); do
		tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "CSC_STACK_DIR=$dir" || continue
		found=1
		run grep -c '^CSC_DEADLINE_MS=.' < <(tr '\0' '\n' <"/proc/$pid/environ")
		assert_output 0
	done
	[ -n "$found" ] || fail "no csc-generate of the job $sid/$cid is running"
}

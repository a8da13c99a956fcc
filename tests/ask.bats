#!/usr/bin/env bats
# shellcheck disable=SC2154 # bats: run sets $output, $stderr and $stderr_lines
# csc-ask: the interview, one JSON request in and one state out.

load helper

FIX="$CSC_TOP/tests/fixtures/ask"
ID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

setup() {
	export CSC_NOW=1700000000 # 2023-11-14T22:13:20Z
	unset CSC_QUESTIONS CSC_MAX_INPUT
	T="$BATS_TEST_TMPDIR"
}

# message STATE-FILE STEP MESSAGE-JSON: a message request on stdout.
message() {
	jq -c --argjson step "$2" --argjson msg "$3" \
		'{action: "message", conversation: ., message: $msg, step: $step}' "$1"
}

# say STATE-FILE STEP MESSAGE-JSON OUT-FILE: answer, keep the new state.
say() {
	message "$1" "$2" "$3" >"$T/req.json"
	csc-ask <"$T/req.json" >"$4"
}

# refused CODE STATE-FILE STEP MESSAGE-JSON: run the message request,
# expecting exit CODE and nothing on stdout; $stderr holds the line.
refused() {
	message "$2" "$3" "$4" >"$T/req.json"
	run -"$1" --separate-stderr csc-ask <"$T/req.json"
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 1 ]
}

# at_step3 OUT-FILE: a vFirewall conversation by Cisco, at step 3.
at_step3() {
	csc-ask start >"$T/s1.json"
	say "$T/s1.json" 1 '"vFirewall"' "$T/s2.json"
	say "$T/s2.json" 2 '"Cisco"' "$1"
}

# at_end OUT-FILE: a complete conversation.
at_end() {
	at_step3 "$T/e3.json"
	say "$T/e3.json" 3 '"1"' "$T/e4.json"
	say "$T/e4.json" 4 '"1"' "$T/e5.json"
	say "$T/e5.json" 5 '"1"' "$T/e6.json"
	say "$T/e6.json" 6 '"1"' "$T/e7.json"
	say "$T/e7.json" 7 '"Two zones"' "$1"
}

# questions_with FILTER: the built-in questionnaire changed by a jq
# FILTER, as a file for CSC_QUESTIONS; prints its name.
questions_with() {
	jq "$1" "$CSC_TOP/share/questions.json" >"$T/q.json"
	printf '%s\n' "$T/q.json"
}

@test "start opens a conversation at step 1 of 7 with its first question" {
	run --separate-stderr csc-ask <<<'{"action":"start"}'
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >"$T/s.json"
	run jq -c '[.step, .total_steps, .status, .answers, .history, .version,
		.question.id, .question.kind, (.question.options | length),
		.question.default]' "$T/s.json"
	assert_output '[1,7,"open",{},[],1,"service_type","one_of",8,null]'
	run jq -r .conversation_id "$T/s.json"
	assert_output --regexp "$ID_RE"
}

@test "every conversation gets a new lowercase UUID" {
	a=$(csc-ask start | jq -r .conversation_id)
	b=$(csc-ask start | jq -r .conversation_id)
	[[ "$a" =~ $ID_RE ]]
	[[ "$b" =~ $ID_RE ]]
	[ "$a" != "$b" ]
}

@test "CSC_NOW makes the timestamps reproducible; a conversation lives 7 days" {
	run -0 bash -c 'csc-ask start | jq -c "[.created_at, .updated_at, .expires_at]"'
	assert_output '["2023-11-14T22:13:20Z","2023-11-14T22:13:20Z","2023-11-21T22:13:20Z"]'
}

@test "a bad CSC_NOW is a configuration error" {
	CSC_NOW=yesterday run -78 --separate-stderr csc-ask start
	assert_output ""
	assert_equal "$stderr" "csc-ask: CSC_NOW must be seconds since the epoch, not 'yesterday'"
}

@test "a bad CSC_NOW is refused up front by every verb that reads the clock, before the input" {
	local state now
	state=$(csc-ask start)
	for now in abc -1 ' 5' 5x 99999999999999999999; do
		printf 'CSC_NOW=%s\n' "$now"
		CSC_NOW=$now run -78 --separate-stderr csc-ask answer vfirewall <<<"$state"
		assert_output ""
		assert_equal "$stderr" "csc-ask: CSC_NOW must be seconds since the epoch, not '$now'"
		# The request form too, even with input that is not JSON at all:
		# the setting is checked first.
		CSC_NOW=$now run -78 --separate-stderr csc-ask <<<'not json'
		assert_output ""
		assert_equal "$stderr" "csc-ask: CSC_NOW must be seconds since the epoch, not '$now'"
	done
	# After 9999-12-31T23:59:59Z a time has no RFC 3339 form: refused too.
	CSC_NOW=253402300800 run -78 --separate-stderr csc-ask start
	assert_output ""
	assert_equal "$stderr" "csc-ask: CSC_NOW must be seconds since the epoch, not '253402300800'"
}

@test "a full interview with names, numbers, odd case and spacing ends in service_data" {
	csc-ask start >"$T/1.json"
	say "$T/1.json" 1 '"  vfirewall "' "$T/2.json"
	say "$T/2.json" 2 '"PALO   alto networks"' "$T/3.json"
	say "$T/3.json" 3 '" traffic filtering,3 ,  URL FILTERING "' "$T/4.json"
	say "$T/4.json" 4 '"4"' "$T/5.json"
	say "$T/5.json" 5 '"ha pair (ACTIVE-passive)"' "$T/6.json"
	say "$T/6.json" 6 '" 3"' "$T/7.json"
	say "$T/7.json" 7 '"  Must log to syslog.  "' "$T/8.json"
	run jq -c '[.status, .question, .step, .version]' "$T/8.json"
	assert_output '["complete",null,7,8]'
	run jq -c .service_data "$T/8.json"
	assert_output '{"service_type":"vFirewall","vendor":"Palo Alto Networks","features":["Traffic Filtering","NAT","URL Filtering"],"deployment":"Kubernetes","scale":"HA pair (active-passive)","database":"SQLite","requirements":"Must log to syslog."}'
}

@test "features come as a JSON array message, or as a string holding one" {
	at_step3 "$T/3.json"
	say "$T/3.json" 3 '["nat", 1, " url filtering"]' "$T/4a.json"
	say "$T/3.json" 3 '"[\"nat\", 1, \" url filtering\"]"' "$T/4b.json"
	run jq -c .answers.features "$T/4a.json"
	assert_output '["Traffic Filtering","NAT","URL Filtering"]'
	run jq -c .answers.features "$T/4b.json"
	assert_output '["Traffic Filtering","NAT","URL Filtering"]'
}

@test "features are kept in the questionnaire's order, each once" {
	at_step3 "$T/3.json"
	say "$T/3.json" 3 '"9, nat, 3, NAT,"' "$T/4.json"
	run jq -c .answers.features "$T/4.json"
	assert_output '["NAT","High Availability"]'
}

@test "the next question names the chosen service type and offers its vendors" {
	csc-ask start >"$T/1.json"
	say "$T/1.json" 1 '"vDNS"' "$T/2.json"
	run jq -c .question "$T/2.json"
	assert_output '{"id":"vendor","text":"Which vendor'\''s platform should the vDNS follow?","kind":"one_of","options":["BIND","PowerDNS","Unbound","Infoblox","CoreDNS","Knot DNS","AWS Route 53"],"default":"BIND"}'
}

@test "each of the eight service types has its own vendors and features" {
	for type in vFirewall vRouter vLoadBalancer vVPN vIPS vNAT vWAF vDNS; do
		csc-ask start >"$T/1.json"
		say "$T/1.json" 1 "\"$type\"" "$T/2.json"
		say "$T/2.json" 2 '"1"' "$T/3.json"
		n=$(jq '.question.options | length' "$T/3.json")
		[ "$n" -ge 8 ]
		jq -r '.question.options[]' "$T/3.json" >"$T/features.$type"
	done
	run ! cmp -s "$T/features.vFirewall" "$T/features.vRouter"
	run ! cmp -s "$T/features.vWAF" "$T/features.vDNS"
}

@test "answering the golden step-3 state gives the golden step-4 state" {
	CSC_NOW=1700000600 run -0 --separate-stderr csc-ask answer 'bgp, 1' <"$FIX/state-step3.json"
	assert_equal "$(printf '%s\n' "$output" | jq .)" "$(jq . "$FIX/state-step4.json")"
}

@test "each accepted answer bumps the version and is recorded in the history" {
	at_step3 "$T/3.json"
	CSC_NOW=1700000042 say "$T/3.json" 3 '" nat "' "$T/4.json"
	run jq -c '[.version, .updated_at, .expires_at, .history[-1]]' "$T/4.json"
	assert_output '[4,"2023-11-14T22:14:02Z","2023-11-21T22:14:02Z",{"step":3,"question_id":"features","message":"nat","answer":["NAT"],"at":"2023-11-14T22:14:02Z"}]'
}

@test "csc-ask answer answers the current step of the state on stdin" {
	at_step3 "$T/3.json"
	run -0 --separate-stderr csc-ask answer 'Logging & Monitoring' <"$T/3.json"
	run jq -c '[.step, .answers.features]' <<<"$output"
	assert_output '[4,["Logging & Monitoring"]]'
}

@test "an unknown option is refused with the options and the nearest one" {
	csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" 1 '"vFirewal"'
	assert_equal "$stderr" "csc-ask: step 1 (service_type): 'vFirewal' is not an option; choose one of: vFirewall, vRouter, vLoadBalancer, vVPN, vIPS, vNAT, vWAF, vDNS (or 1-8); did you mean 'vFirewall'?"
}

@test "an answer that is close to nothing gets no suggestion" {
	csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" 1 '"banana"'
	assert_equal "$stderr" "csc-ask: step 1 (service_type): 'banana' is not an option; choose one of: vFirewall, vRouter, vLoadBalancer, vVPN, vIPS, vNAT, vWAF, vDNS (or 1-8)"
}

@test "a part of a vendor's name is refused, suggesting the whole name" {
	csc-ask start >"$T/1.json"
	say "$T/1.json" 1 '"vIPS"' "$T/2.json"
	refused 65 "$T/2.json" 2 '"trend micro"'
	assert_equal "$stderr" "csc-ask: step 2 (vendor): 'trend micro' is not an option for vIPS; choose one of: Cisco, Palo Alto Networks, Fortinet, Trend Micro TippingPoint, Check Point, Snort, Suricata (or 1-7); did you mean 'Trend Micro TippingPoint'?"
}

@test "an option number out of range is refused" {
	csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" 1 '"9"'
	assert_equal "$stderr" "csc-ask: step 1 (service_type): '9' is not an option; choose one of: vFirewall, vRouter, vLoadBalancer, vVPN, vIPS, vNAT, vWAF, vDNS (or 1-8)"
	refused 65 "$T/1.json" 1 '"0"'
}

@test "an empty answer is refused with the options listed" {
	csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" 1 '"   "'
	assert_equal "$stderr" "csc-ask: step 1 (service_type): empty answer; choose one of: vFirewall, vRouter, vLoadBalancer, vVPN, vIPS, vNAT, vWAF, vDNS (or 1-8)"
	at_step3 "$T/3.json"
	refused 65 "$T/3.json" 3 '" , ,"'
	assert_equal "$stderr" "csc-ask: step 3 (features): empty answer; choose one or more of: Traffic Filtering, Stateful Inspection, NAT, VPN Termination, Intrusion Prevention, Application Control, URL Filtering, Logging & Monitoring, High Availability (or 1-9, as a comma list or a JSON array)"
	refused 65 "$T/3.json" 3 '[]'
}

@test "a feature of another service type is refused for the chosen one" {
	csc-ask start >"$T/1.json"
	say "$T/1.json" 1 '"vRouter"' "$T/2.json"
	say "$T/2.json" 2 '"Cisco"' "$T/3.json"
	refused 65 "$T/3.json" 3 '"BGP, URL Filtering"'
	assert_equal "$stderr" "csc-ask: step 3 (features): 'URL Filtering' is not an option for vRouter; choose one or more of: Static Routing, OSPF, BGP, IS-IS, Policy-Based Routing, VRF, MPLS, QoS, BFD, Logging & Monitoring (or 1-10, as a comma list or a JSON array)"
	refused 65 "$T/3.json" 3 '["BGP", "NAT"]'
	refused 65 "$T/3.json" 3 '["BGP", 11]'
	refused 65 "$T/3.json" 3 '["BGP", 1.5]'
}

@test "a list item that is neither a name nor a number is refused" {
	at_step3 "$T/3.json"
	refused 65 "$T/3.json" 3 '["NAT", {"x": 1}]'
	assert_equal "$stderr" "csc-ask: step 3 (features): list items must be option names or numbers, not an object"
	refused 65 "$T/3.json" 3 '"[\"NAT\","'
	assert_equal "$stderr" "csc-ask: step 3 (features): '[\"NAT\",' is not a JSON array"
}

@test "a one-answer step refuses a list" {
	csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" 1 '["vFirewall"]'
	assert_equal "$stderr" "csc-ask: step 1 (service_type): expected one answer as a string, got an array"
}

@test "requirements of 2000 characters are accepted, 2001 refused" {
	at_end "$T/end.json"
	jq '.step = 7 | .status = "open" | .question = null
		| del(.service_data, .answers.requirements)
		| .history |= .[:-1] | .version -= 1' "$T/end.json" >"$T/7.json"
	ok=$(printf 'é%.0s' $(seq 2000))
	say "$T/7.json" 7 "\"$ok\"" "$T/8.json"
	run jq -r '.service_data.requirements | length' "$T/8.json"
	assert_output 2000
	refused 65 "$T/7.json" 7 "\"${ok}x\""
	assert_equal "$stderr" "csc-ask: step 7 (requirements): answer is 2001 characters, at most 2000 allowed"
}

@test "'none' or nothing for the optional requirements becomes an empty string" {
	at_end "$T/end.json"
	jq '.step = 7 | .status = "open" | del(.service_data, .answers.requirements)
		| .version -= 1' "$T/end.json" >"$T/7.json"
	for m in '"none"' '" NONE "' '""' '"  "'; do
		say "$T/7.json" 7 "$m" "$T/8.json"
		run jq -c '[.status, .service_data.requirements]' "$T/8.json"
		assert_output '["complete",""]'
	done
}

@test "a step out of range is a data error, not a conflict" {
	csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" 0 '"vFirewall"'
	assert_equal "$stderr" "csc-ask: step 0 is out of range: the interview has steps 1 to 7"
	refused 65 "$T/1.json" 8 '"vFirewall"'
	refused 65 "$T/1.json" -3 '"vFirewall"'
	refused 65 "$T/1.json" 1e300 '"vFirewall"'
}

@test "wrong JSON types are refused with 65 and nothing on stdout" {
	csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" '"1"' '"vFirewall"'
	assert_equal "$stderr" "csc-ask: step: expected an integer, got a string"
	refused 65 "$T/1.json" 1.5 '"vFirewall"'
	assert_equal "$stderr" "csc-ask: step: expected an integer, got 1.5"
	refused 65 "$T/1.json" null '"vFirewall"'
	refused 65 "$T/1.json" 1 '1'
	assert_equal "$stderr" "csc-ask: message: expected a string or an array, got a number"
	refused 65 "$T/1.json" 1 '{"answer": "vFirewall"}'
	refused 65 "$T/1.json" 1 'null'
	refused 65 "$T/1.json" 1 'true'
	for req in '[]' '"start"' '{}' '{"action": 1}' '{"action": "begin"}' \
		'{"action": "message", "message": "x", "step": 1}' \
		'{"action": "message", "conversation": [], "message": "x"}' \
		'{"action": "complete", "service_data": "vFirewall"}'; do
		run -65 --separate-stderr csc-ask <<<"$req"
		assert_output ""
	done
	run -65 --separate-stderr csc-ask <<<'{"action": "message", "message": "x", "step": 1}'
	assert_equal "$stderr" "csc-ask: conversation: expected an object (a conversation state), got nothing"
}

@test "a conversation this questionnaire could not have made is refused" {
	at_step3 "$T/3.json"
	for f in '.conversation_id = "0B7E4D52-2F4C-4C55-9E1D-6F1C0A8E3B21"' \
		'.conversation_id = "../../etc/passwd"' '.total_steps = 6' \
		'.step = 9' '.step = "3"' '.status = "closed"' '.version = 0' \
		'.version = 1.5' '.answers = []' '.history = {}' \
		'.created_at = "yesterday"' 'del(.expires_at)' \
		'.answers.vendor = "cisco"' '.answers.vendor = "Juniper Networks"' \
		'del(.answers.vendor)' '.answers.features = ["NAT"]' \
		'.answers.service_type = "vRouter"' '.status = "complete"'; do
		jq "$f" "$T/3.json" >"$T/bad.json"
		refused 65 "$T/bad.json" 3 '"NAT"'
	done
	jq '.answers.vendor = "cisco"' "$T/3.json" >"$T/bad.json"
	refused 65 "$T/bad.json" 3 '"NAT"'
	assert_equal "$stderr" "csc-ask: conversation: answers.vendor is not written as this questionnaire writes it"
}

@test "an object with a member twice is refused: readers disagree on it" {
	run -65 --separate-stderr csc-ask <<<'{"action":"start","action":"complete"}'
	assert_output ""
	assert_equal "$stderr" 'csc-ask: standard input: duplicate key "action" at .'
	run -65 --separate-stderr csc-ask <<<'{"action":"complete","service_data":{"service_type":"vDNS","service_type":"vNAT"}}'
	assert_output ""
	assert_equal "$stderr" 'csc-ask: standard input: duplicate key "service_type" at .service_data'
	jq -c . "$CSC_TOP/tests/fixtures/ask/state-step3.json" |
		sed 's/"answers":{/"answers":{"vendor":"Cisco",/' >"$T/dup.json"
	run -65 --separate-stderr csc-ask answer 1 <"$T/dup.json"
	assert_output ""
	assert_equal "$stderr" 'csc-ask: standard input: duplicate key "vendor" at .answers'
	run -65 --separate-stderr csc-ask complete <<<'{"service_type":"vFirewall","features":["NAT",{"a":1,"a":1}]}'
	assert_output ""
	assert_equal "$stderr" 'csc-ask: standard input: duplicate key "a" at .features[1]'
}

@test "a CSC_MAX_INPUT that is not a whole number is a configuration error (78)" {
	CSC_MAX_INPUT=abc run -78 --separate-stderr csc-ask <<<'{"action":"start"}'
	assert_output ""
	assert_equal "$stderr" "csc-ask: CSC_MAX_INPUT must be a whole number from 1 to 1073741824"
	CSC_MAX_INPUT=-5 run -78 --separate-stderr csc-ask complete <<<'{}'
	assert_output ""
	CSC_MAX_INPUT=1x run -78 --separate-stderr csc-ask answer 1 <<<'{}'
	assert_output ""
}

@test "malformed JSON is refused with 65" {
	run -65 --separate-stderr csc-ask <<<'{"action": "start"'
	assert_output ""
	run -65 --separate-stderr csc-ask <<<'{"action": "start"} {}'
	assert_output ""
	run -65 --separate-stderr csc-ask </dev/null
	assert_output ""
	printf '{"action": "st\0art"}' >"$T/nul.json"
	run -65 --separate-stderr csc-ask <"$T/nul.json"
	assert_output ""
	run -65 --separate-stderr csc-ask answer vFirewall <<<'not json'
	assert_output ""
}

@test "input over the size limit is refused with 65" {
	head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/big.json"
	printf '{"action":"start"}\n' >>"$T/big.json"
	run -65 --separate-stderr csc-ask <"$T/big.json"
	assert_output ""
	assert_equal "$stderr" "csc-ask: standard input: larger than the 1048576-byte limit"
	CSC_MAX_INPUT=10 run -65 --separate-stderr csc-ask <<<'{"action":"start"}'
	assert_output ""
}

@test "a message too big to keep in the history is refused" {
	at_step3 "$T/3.json"
	nats=$(printf 'NAT,%.0s' $(seq 5000))
	refused 65 "$T/3.json" 3 "\"$nats\""
	assert_equal "$stderr" "csc-ask: step 3 (features): message is longer than 16384 bytes"
	say "$T/3.json" 3 "\"${nats:0:8000}\"" "$T/4.json"
	run jq -c .answers.features "$T/4.json"
	assert_output '["NAT"]'
}

@test "a stale step is refused with 73 and nothing on stdout" {
	at_step3 "$T/3.json"
	refused 73 "$T/3.json" 1 '"vFirewall"'
	id=$(jq -r .conversation_id "$T/3.json")
	assert_equal "$stderr" "csc-ask: conversation $id is at step 3, not step 1"
	refused 73 "$T/3.json" 4 '"AWS"'
	assert_equal "$stderr" "csc-ask: conversation $id is at step 3, not step 4"
}

@test "the previous step with a different answer is a conflict" {
	at_step3 "$T/3.json"
	refused 73 "$T/3.json" 2 '"Juniper"'
	refused 73 "$T/3.json" 2 '"no such vendor"'
}

@test "a retried last answer returns the same state unchanged" {
	at_step3 "$T/3.json"
	for m in '"Cisco"' '" cisco "' '"1"'; do
		message "$T/3.json" 2 "$m" >"$T/req.json"
		run -0 --separate-stderr csc-ask <"$T/req.json"
		assert_equal "$output" "$(jq -c . "$T/3.json")"
	done
}

@test "a retried last answer of a complete conversation returns it unchanged" {
	at_end "$T/end.json"
	message "$T/end.json" 7 '"  Two zones "' >"$T/req.json"
	run -0 --separate-stderr csc-ask <"$T/req.json"
	assert_equal "$output" "$(jq -c . "$T/end.json")"
}

@test "any other message to a complete conversation is a conflict" {
	at_end "$T/end.json"
	id=$(jq -r .conversation_id "$T/end.json")
	refused 73 "$T/end.json" 7 '"Three zones"'
	assert_equal "$stderr" "csc-ask: conversation $id is already complete"
	refused 73 "$T/end.json" 3 '"NAT"'
	run -73 --separate-stderr csc-ask answer 'anything' <"$T/end.json"
	assert_output ""
}

@test "a message without a step answers the current one" {
	at_step3 "$T/3.json"
	jq -c '{action: "message", conversation: ., message: "NAT"}' "$T/3.json" >"$T/req.json"
	run -0 --separate-stderr csc-ask <"$T/req.json"
	run jq -c '[.step, .answers.features]' <<<"$output"
	assert_output '[4,["NAT"]]'
}

@test "complete accepts the original API's body and fills in the defaults" {
	run -0 --separate-stderr csc-ask <<<'{"action":"complete","service_data":{"service_type":"vFirewall","vendor":"Cisco","features":["Traffic Filtering"]}}'
	assert_output '{"service_data":{"service_type":"vFirewall","vendor":"Cisco","features":["Traffic Filtering"],"deployment":"AWS","scale":"Single instance","database":"PostgreSQL","requirements":""}}'
}

@test "complete fills the defaults of the chosen service type" {
	run -0 --separate-stderr csc-ask <<<'{"action":"complete","service_data":{"service_type":"vdns","database":null}}'
	assert_output '{"service_data":{"service_type":"vDNS","vendor":"BIND","features":["Authoritative Zones","Caching","DNSSEC"],"deployment":"AWS","scale":"Single instance","database":"PostgreSQL","requirements":""}}'
}

@test "complete matches forgivingly, as the interview does" {
	run -0 --separate-stderr csc-ask <<<'{"action":"complete","service_data":{"service_type":" VWAF","vendor":"2","features":"rate limiting, 1","deployment":"azure","scale":"3","database":"mysql","requirements":" none "}}'
	assert_output '{"service_data":{"service_type":"vWAF","vendor":"Imperva","features":["OWASP Top 10 Protection","Rate Limiting"],"deployment":"Azure","scale":"Cluster (active-active, autoscaling)","database":"MySQL","requirements":""}}'
}

@test "complete lists every invalid field in one line" {
	run -65 --separate-stderr csc-ask <<<'{"action":"complete","service_data":{"service_type":"vRouter","vendor":"Cisko","features":["BGP","WAF"],"scale":"huge","colour":"red"}}'
	assert_output ""
	assert_equal "$stderr" "csc-ask: service_data: vendor: 'Cisko' is not an option for vRouter; choose one of: Cisco, Juniper, Arista, Nokia, MikroTik, VyOS, FRRouting (or 1-7); did you mean 'Cisco'?; features: 'WAF' is not an option for vRouter; choose one or more of: Static Routing, OSPF, BGP, IS-IS, Policy-Based Routing, VRF, MPLS, QoS, BFD, Logging & Monitoring (or 1-10, as a comma list or a JSON array); scale: 'huge' is not an option; choose one of: Single instance, HA pair (active-passive), Cluster (active-active, autoscaling) (or 1-3); 'colour': not a field of service_data"
}

@test "complete drops the option lists when the line would be too long" {
	run -65 --separate-stderr csc-ask <<<'{"action":"complete","service_data":{"service_type":"vDNS","vendor":"x","features":"y","deployment":"z","scale":"w","database":"v","requirements":7,"a":1,"b":2,"c":3,"d":4}}'
	assert_output ""
	assert_equal "$stderr" "csc-ask: service_data: vendor: 'x' is not an option for vDNS; features: 'y' is not an option for vDNS; deployment: 'z' is not an option; scale: 'w' is not an option; database: 'v' is not an option; requirements: expected text, got a number; 'a': not a field of service_data; 'b': not a field of service_data; 'c': not a field of service_data; 'd': not a field of service_data"
}

@test "complete without a service type is refused: it has no default" {
	run -65 --separate-stderr csc-ask <<<'{"action":"complete","service_data":{"vendor":"Cisco"}}'
	assert_output ""
	assert_equal "$stderr" "csc-ask: service_data: service_type: missing, and it has no default"
}

@test "csc-ask complete reads a bare service_data" {
	run -0 --separate-stderr csc-ask complete <<<'{"service_type":"vNAT"}'
	run jq -c '.service_data | [.vendor, .features]' <<<"$output"
	assert_output '["Cisco",["Source NAT","Destination NAT","Session Logging"]]'
}

@test "--questions prints the built-in questionnaire" {
	run -0 --separate-stderr csc-ask --questions
	assert_equal "$(jq -S . <<<"$output")" "$(jq -S . "$CSC_TOP/share/questions.json")"
}

@test "CSC_QUESTIONS replaces the questionnaire" {
	export CSC_QUESTIONS="$FIX/two-steps.json"
	csc-ask start >"$T/1.json"
	run jq -c '[.total_steps, .question.options]' "$T/1.json"
	assert_output '[2,["Red","Green","Blue"]]'
	say "$T/1.json" 1 '"blue"' "$T/2.json"
	run jq -r .question.text "$T/2.json"
	assert_output "A note about the Blue one, at most 10 characters?"
	refused 65 "$T/2.json" 2 '""'
	assert_equal "$stderr" "csc-ask: step 2 (note): empty answer; describe it in at most 10 characters"
	say "$T/2.json" 2 '" none "' "$T/3.json" # not optional: just text
	run jq -c .service_data "$T/3.json"
	assert_output '{"colour":"Blue","note":"none"}'
	run -0 csc-ask <<<'{"action":"complete","service_data":{"note":"n"}}'
	assert_output '{"service_data":{"colour":"Green","note":"n"}}'
}

@test "a state from another questionnaire is refused" {
	CSC_QUESTIONS="$FIX/two-steps.json" csc-ask start >"$T/1.json"
	refused 65 "$T/1.json" 1 '"Red"'
	assert_equal "$stderr" "csc-ask: conversation: total_steps must be 7, as this questionnaire has"
}

@test "a malformed CSC_QUESTIONS is refused with 78, naming the problem" {
	q=$(questions_with '.steps[1].options_by.vFoo = ["A"]')
	CSC_QUESTIONS="$q" run -78 --separate-stderr csc-ask start
	assert_output ""
	assert_equal "$stderr" "csc-ask: $q: step 2 (vendor): options_by for unknown service_type 'vFoo'"
	q=$(questions_with 'del(.steps[2].options_by.vDNS)')
	CSC_QUESTIONS="$q" run -78 --separate-stderr csc-ask --questions
	assert_equal "$stderr" "csc-ask: $q: step 3 (features): options_by has no entry for service_type 'vDNS'"
	q=$(questions_with '.steps[3].default = "Azur"')
	CSC_QUESTIONS="$q" run -78 --separate-stderr csc-ask start
	assert_equal "$stderr" "csc-ask: $q: step 4 (deployment): default: 'Azur' is not an option; did you mean 'Azure'?"
	CSC_QUESTIONS="$FIX/bad-json.json" run -78 --separate-stderr csc-ask start
	assert_equal "$stderr" "csc-ask: $FIX/bad-json.json: invalid JSON near byte 42"
	CSC_QUESTIONS="$T/missing.json" run -78 --separate-stderr csc-ask start
	assert_equal "$stderr" "csc-ask: CSC_QUESTIONS: $T/missing.json: No such file or directory"
}

@test "every kind of questionnaire mistake is refused with 78" {
	for f in '.steps = []' '.steps[0].id = "Service Type"' \
		'.steps[1].id = "service_type"' '.steps[0].kind = "pick"' \
		'.steps[0].text = ""' '.steps[0].options = []' \
		'.steps[0].options += ["vFirewall"]' '.steps[0].options += ["42"]' \
		'.steps[0].options += [7]' '.steps[2].options_by.vDNS += ["a,b"]' \
		'.steps[1].depends_on = "features"' '.steps[1].depends_on = "nope"' \
		'.steps[3].depends_on = "service_type"' '.steps[0].step = 2' \
		'.steps[6].max_length = 0' '.steps[6].optional = "yes"' \
		'.steps[6].options = ["a"]' '.steps[0].text = "Pick a {vendor}"' \
		'.steps[2].default_by.vDNS = ["NAT"]' '.steps[4].options_by = {}' \
		'.steps[0].options[0] = "x" * 201' '. = []' '.steps[0] = 1'; do
		q=$(questions_with "$f")
		CSC_QUESTIONS="$q" run -78 --separate-stderr csc-ask start
		assert_output ""
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
}

@test "--help prints the usage on stdout and exits 0" {
	run -0 --separate-stderr csc-ask --help
	assert_line --index 0 "usage: csc-ask [-v] < request.json"
	assert_equal "$stderr" ""
}

@test "--version prints the version" {
	run -0 csc-ask --version
	assert_output --regexp '^csc-ask [0-9]'
}

@test "misuse prints the usage on stderr and exits 64" {
	for args in '--bogus' 'frobnicate' 'answer' 'answer a b' 'start now' \
		'--questions start'; do
		# shellcheck disable=SC2086 # split the arguments on purpose
		run -64 --separate-stderr csc-ask $args
		assert_output ""
		[[ "${stderr_lines[-1]}" == "       csc-ask --questions" ]] ||
			[[ "${stderr}" == *"usage: csc-ask"* ]]
	done
	run -64 --separate-stderr csc-ask frobnicate
	assert_equal "${stderr_lines[0]}" "csc-ask: unknown command 'frobnicate'"
}

@test "a failed write to stdout is an error, not silence" {
	run -74 --separate-stderr bash -c 'csc-ask start >/dev/full'
	assert_output ""
	[[ "$stderr" == "csc-ask: writing output"* ]]
}

@test "the matcher's unit tests pass" {
	run -0 "$(unit test_interview)"
	assert_output "ok"
}

# vg ARGS...: run a program under valgrind; exit 99 on any memory error.
vg() {
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 "$@"
}

# no_valgrind_here: skip where valgrind cannot or need not run.
no_valgrind_here() {
	case "$CSC_BUILD" in *san*) skip "the sanitizer build checks memory itself" ;; esac
	command -v valgrind >/dev/null || skip "valgrind is not installed"
}

@test "csc-ask is clean under valgrind through a whole interview" {
	no_valgrind_here
	vg csc-ask start >"$T/1.json"
	n=1
	for m in vfirewall 2 'nat, 1' aws 1 3 none; do
		run -0 vg csc-ask answer "$m" <"$T/$n.json"
		n=$((n + 1))
		printf '%s\n' "$output" >"$T/$n.json"
	done
	run -0 vg csc-ask <<<'{"action":"complete","service_data":{"service_type":"vFirewall","vendor":"Cisco","features":["Traffic Filtering"]}}'
	run -0 vg csc-ask --questions
}

@test "csc-ask is clean under valgrind on its error paths" {
	no_valgrind_here
	csc-ask start >"$T/1.json"
	run -65 vg csc-ask answer vfirewal <"$T/1.json"
	run -65 vg csc-ask <<<'{"action":"complete","service_data":{"service_type":"vRouter","vendor":"Cisko","features":["BGP","WAF"],"scale":"huge","colour":"red"}}'
	run -65 vg csc-ask <<<'{"action":"message","conversation":{"conversation_id":1}}'
	run -65 vg csc-ask <<<'{"action":'
	message "$FIX/state-step4.json" 1 '"vDNS"' >"$T/req.json"
	run -73 vg csc-ask <"$T/req.json"
	q=$(questions_with '.steps[2].default_by.vDNS = ["NAT"]')
	CSC_QUESTIONS="$q" run -78 vg csc-ask start
	CSC_QUESTIONS="$FIX/bad-json.json" run -78 vg csc-ask start
	run -64 vg csc-ask --bogus
}

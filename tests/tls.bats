#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# csc-store over https: the local stack's DynamoDB and S3 behind
# tests/servers/tlsfront.py, whose certificate a throwaway CA signed.  The
# CA is trusted through AWS_CA_BUNDLE or the profile's ca_bundle, and
# otherwise the certificate is refused: verification is never turned off.

load helper

setup_file() {
	STACK_DIR=$(mktemp -d)
	export STACK_DIR
	env -u ANTHROPIC_API_KEY "$CSC_TOP/deploy/local/stack" up "$STACK_DIR" >/dev/null
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	csc-store init >/dev/null
	# A CA of our own, and a certificate for 127.0.0.1 that it signs.
	local pki="$STACK_DIR/pki"
	mkdir "$pki"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$pki/ca.key" -out "$pki/ca.pem" -days 2 -subj "/CN=csc test CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$pki/server.key" -out "$pki/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
	# And a CA that signed nothing here.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$pki/other-ca.key" -out "$pki/other-ca.pem" -days 2 -subj "/CN=another CA" 2>/dev/null
	printf 'subjectAltName = IP:127.0.0.1\n' >"$pki/ext"
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 2 -extfile "$pki/ext" -out "$pki/server.pem" 2>/dev/null
	# One TLS front per service.
	local svc url
	for svc in dynamodb s3; do
		mkdir "$STACK_DIR/tls-$svc"
		if [ "$svc" = dynamodb ]; then url=$AWS_ENDPOINT_URL_DYNAMODB; else url=$AWS_ENDPOINT_URL_S3; fi
		start_server "$STACK_DIR/tls-$svc" python3 "$CSC_TOP/tests/servers/tlsfront.py" \
			--cert "$pki/server.pem" --key "$pki/server.key" --upstream "${url##*:}" \
			--log "$STACK_DIR/tls-$svc/handshakes.log"
	done
}

teardown_file() {
	stop_server "$STACK_DIR/tls-dynamodb"
	stop_server "$STACK_DIR/tls-s3"
	"$CSC_TOP/deploy/local/stack" down "$STACK_DIR"
	rm -rf "$STACK_DIR"
}

setup() {
	# shellcheck source=/dev/null
	source "$STACK_DIR/env"
	AWS_ENDPOINT_URL_DYNAMODB="https://127.0.0.1:$(cat "$STACK_DIR/tls-dynamodb/port")"
	AWS_ENDPOINT_URL_S3="https://127.0.0.1:$(cat "$STACK_DIR/tls-s3/port")"
	export AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_S3
	export AWS_MAX_ATTEMPTS=4
	CA="$STACK_DIR/pki/ca.pem"
	: >"$STACK_DIR/tls-dynamodb/handshakes.log"
	: >"$STACK_DIR/tls-s3/handshakes.log"
}

@test "with AWS_CA_BUNDLE, init, put-code and get-code --content work over https" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	AWS_CA_BUNDLE="$CA" run --separate-stderr csc-store init
	assert_success
	assert_equal "$(jq -c .created <<<"$output")" '{"table":false,"bucket":false}'
	python3 "$CSC_TOP/tests/fixtures/store/bundle.py" "$sid" "$cid" 1000 >"$BATS_TEST_TMPDIR/in.json"
	AWS_CA_BUNDLE="$CA" run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	AWS_CA_BUNDLE="$CA" run --separate-stderr csc-store get-code --content "$sid" "$cid"
	assert_success
	assert_equal "$(jq -c '[.files[] | .name, .content] | sort' <<<"$output")" \
		"$(jq -c '[.files[] | .name, .content] | sort' "$BATS_TEST_TMPDIR/in.json")"
	# Both services were reached through their TLS fronts.
	grep -q '^handshake ok$' "$STACK_DIR/tls-dynamodb/handshakes.log"
	grep -q '^handshake ok$' "$STACK_DIR/tls-s3/handshakes.log"
	run grep -c 'handshake failed' "$STACK_DIR/tls-dynamodb/handshakes.log" "$STACK_DIR/tls-s3/handshakes.log"
	assert_output "$STACK_DIR/tls-dynamodb/handshakes.log:0
$STACK_DIR/tls-s3/handshakes.log:0"
}

@test "without the CA the certificate is refused: 69, a certificate error, no retry" {
	run --separate-stderr csc-store get-conversation "$(new_id)"
	assert_failure 69
	assert_output ''
	[[ "$stderr" == "csc-store: DynamoDB GetItem: SSL peer certificate or SSH remote key was not OK: SSL certificate problem: "*" (after 1 attempt)" ]]
	# One handshake, which csc-store ended: a retry would not help.
	run cat "$STACK_DIR/tls-dynamodb/handshakes.log"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --partial 'handshake failed'
	# S3 the same.
	run --separate-stderr csc-store get-code --content "$(new_id)" "$(new_id)"
	assert_failure 69
	[[ "$stderr" == *"SSL certificate problem"* ]]
}

@test "the profile's ca_bundle is used, and AWS_CA_BUNDLE wins over it" {
	local sid cid
	sid=$(new_id) cid=$(new_id)
	printf '[default]\nca_bundle = %s\n' "$CA" >"$BATS_TEST_TMPDIR/config"
	export AWS_CONFIG_FILE="$BATS_TEST_TMPDIR/config"
	python3 "$CSC_TOP/tests/fixtures/store/bundle.py" "$sid" "$cid" 10 >"$BATS_TEST_TMPDIR/in.json"
	run --separate-stderr csc-store put-code <"$BATS_TEST_TMPDIR/in.json"
	assert_success
	run --separate-stderr csc-store get-code --content "$sid" "$cid"
	assert_success
	# A named profile's own setting.
	printf '[profile other]\nca_bundle = %s\n' "$CA" >"$BATS_TEST_TMPDIR/config"
	AWS_PROFILE=other run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_success
	# The environment first: a CA that did not sign the certificate.
	AWS_PROFILE=other AWS_CA_BUNDLE="$STACK_DIR/pki/other-ca.pem" run --separate-stderr csc-store get-code "$sid" "$cid"
	assert_failure 69
	[[ "$stderr" == *"SSL certificate problem"* ]]
}

@test "a CA bundle that cannot be read is a configuration error (78), before any request" {
	AWS_CA_BUNDLE="$BATS_TEST_TMPDIR/missing.pem" run --separate-stderr csc-store get-conversation "$(new_id)"
	assert_failure 78
	assert_equal "$stderr" "csc-store: CA bundle $BATS_TEST_TMPDIR/missing.pem (AWS_CA_BUNDLE): No such file or directory"
	AWS_CA_BUNDLE="$BATS_TEST_TMPDIR" run --separate-stderr csc-store get-conversation "$(new_id)"
	assert_failure 78
	assert_equal "$stderr" "csc-store: CA bundle $BATS_TEST_TMPDIR (AWS_CA_BUNDLE): not a file"
	printf '[default]\nca_bundle = %s\n' "$BATS_TEST_TMPDIR/gone.pem" >"$BATS_TEST_TMPDIR/config"
	AWS_CONFIG_FILE="$BATS_TEST_TMPDIR/config" run --separate-stderr csc-store get-conversation "$(new_id)"
	assert_failure 78
	assert_equal "$stderr" "csc-store: CA bundle $BATS_TEST_TMPDIR/gone.pem (ca_bundle of profile default): No such file or directory"
	run cat "$STACK_DIR/tls-dynamodb/handshakes.log"
	assert_output ''
	# csc-presign sends no request: it does not read the setting at all.
	AWS_CA_BUNDLE="$BATS_TEST_TMPDIR/missing.pem" run --separate-stderr csc-presign s3://b-1/k
	assert_success
}

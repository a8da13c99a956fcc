#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# The AWS credential chain, region and endpoints, seen through the
# Credential= part of presigned URLs.  Remote sources are served by
# tests/servers/metadata.py on loopback.

load helper

setup_file() {
	META_DIR=$(mktemp -d)
	export META_DIR
	# CSC_NOW is 2025-11-25T12:00:00Z; credentials expire 10 minutes later
	# unless a test starts its own server.
	start_server "$META_DIR" python3 "$CSC_TOP/tests/servers/metadata.py" \
		--now 1764072000 --expires-in 3600 --log "$META_DIR/requests.log"
}

teardown_file() {
	stop_server "$META_DIR"
	rm -rf "$META_DIR"
}

setup() {
	export CSC_NOW=1764072000
	META="http://127.0.0.1:$(cat "$META_DIR/port")"
	: >"$META_DIR/requests.log"
	HOME=$(mktemp -d)
	export HOME
	unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
}

teardown() {
	rm -rf "$HOME"
}

# credential_of URL: the access key id a presigned URL was signed with.
credential_of() {
	sed -n 's/.*X-Amz-Credential=\([^%]*\)%2F.*/\1/p' <<<"$1"
}

@test "environment credentials come first" {
	mkdir -p "$HOME/.aws"
	printf '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n' >"$HOME/.aws/credentials"
	AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=s run csc-presign s3://b-1/k
	assert_success
	[ "$(credential_of "$output")" = AKIDENV ]
}

@test "the default profile of ~/.aws/credentials is read" {
	mkdir -p "$HOME/.aws"
	cat >"$HOME/.aws/credentials" <<-'EOF'
	# a comment
	[other]
	aws_access_key_id = AKIDOTHER
	aws_secret_access_key = other-secret
	[default]
	aws_access_key_id   =   AKIDDEFAULT
	aws_secret_access_key = default-secret
	aws_session_token = tok/en+=
	EOF
	run csc-presign s3://b-1/k
	assert_success
	[ "$(credential_of "$output")" = AKIDDEFAULT ]
	assert_output --partial "X-Amz-Security-Token=tok%2Fen%2B%3D"
}

@test "AWS_PROFILE selects a profile, and its region comes from the config file" {
	mkdir -p "$HOME/.aws"
	printf '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = w\n' >"$HOME/.aws/credentials"
	printf '[default]\nregion = us-west-1\n[profile work]\nregion = eu-central-1\ns3 =\n  addressing_style = path\n' >"$HOME/.aws/config"
	AWS_PROFILE=work run csc-presign s3://b-1/k
	assert_success
	[ "$(credential_of "$output")" = AKIDWORK ]
	assert_output --partial "%2Feu-central-1%2Fs3%2F"
	run csc-presign s3://b-1/k
	assert_output --partial "%2Fus-west-1%2Fs3%2F"
}

@test "AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the files; AWS_REGION wins" {
	printf '[p]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = m\n' >"$HOME/creds"
	printf '[profile p]\nregion = sa-east-1\n' >"$HOME/conf"
	AWS_SHARED_CREDENTIALS_FILE="$HOME/creds" AWS_CONFIG_FILE="$HOME/conf" AWS_PROFILE=p \
		run csc-presign s3://b-1/k
	assert_success
	[ "$(credential_of "$output")" = AKIDMOVED ]
	assert_output --partial "%2Fsa-east-1%2F"
	AWS_SHARED_CREDENTIALS_FILE="$HOME/creds" AWS_CONFIG_FILE="$HOME/conf" AWS_PROFILE=p \
		AWS_DEFAULT_REGION=ca-central-1 run csc-presign s3://b-1/k
	assert_output --partial "%2Fca-central-1%2F"
	AWS_SHARED_CREDENTIALS_FILE="$HOME/creds" AWS_PROFILE=p AWS_REGION=ap-south-1 \
		AWS_DEFAULT_REGION=ca-central-1 run csc-presign s3://b-1/k
	assert_output --partial "%2Fap-south-1%2F"
}

@test "static keys in the config file's profile are used too" {
	printf '[profile cfg]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = c\n' >"$HOME/conf"
	AWS_CONFIG_FILE="$HOME/conf" AWS_PROFILE=cfg run csc-presign s3://b-1/k
	assert_success
	[ "$(credential_of "$output")" = AKIDCONFIG ]
}

@test "a named profile that does not exist is a configuration error" {
	AWS_PROFILE=nope run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
	assert_equal "$stderr" "csc-presign: profile nope: no credentials in the shared credentials or config file"
	assert_equal "$output" ""
}

@test "a profile that assumes a role says it is unsupported rather than guessing" {
	mkdir -p "$HOME/.aws"
	printf '[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n' >"$HOME/.aws/config"
	AWS_PROFILE=r run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
	assert_equal "$stderr" "csc-presign: profile r: only static keys are supported (not role_arn, credential_process or SSO); export temporary keys instead"
}

@test "container credentials are fetched with the authorization token" {
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$META/creds" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN=container-auth-token \
		run --separate-stderr csc-presign s3://b-1/k
	assert_success
	[[ "$(credential_of "$output")" == ASIATESTKEY* ]]
	assert_output --partial "X-Amz-Security-Token=test-session-token-"
	grep -q '^GET /creds$' "$META_DIR/requests.log"
}

@test "the container token file wins over the token variable" {
	printf 'container-auth-token\n' >"$HOME/token"
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$META/creds" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$HOME/token" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
		run --separate-stderr csc-presign s3://b-1/k
	assert_success
}

@test "a refused container token is a permission error (77)" {
	AWS_CONTAINER_CREDENTIALS_FULL_URI="$META/creds" \
		AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
		run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 77 ]
	assert_equal "$stderr" "csc-presign: container credentials: credentials refused (HTTP 403)"
	assert_equal "$output" ""
}

@test "a container URI that is neither https nor loopback is refused" {
	AWS_CONTAINER_CREDENTIALS_FULL_URI="http://example.com/creds" \
		run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
	assert_equal "$stderr" "csc-presign: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback http address"
}

@test "IMDSv2: token PUT, role, then credentials, each with the session token" {
	AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$META" \
		run --separate-stderr csc-presign s3://b-1/k
	assert_success
	[[ "$(credential_of "$output")" == ASIATESTKEY* ]]
	run cat "$META_DIR/requests.log"
	assert_line --index 0 "PUT /latest/api/token"
	assert_line --index 1 "GET /latest/meta-data/iam/security-credentials/"
	assert_line --index 2 "GET /latest/meta-data/iam/security-credentials/csc-test-role"
}

@test "AWS_EC2_METADATA_DISABLED=true skips the metadata service" {
	AWS_EC2_METADATA_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT="$META" \
		run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
	[ ! -s "$META_DIR/requests.log" ]
}

@test "no metadata service answering means no credentials (78), quickly" {
	# A closed loopback port: connection refused, as off EC2.
	AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:9" \
		run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
	assert_equal "$stderr" "csc-presign: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
}

@test "temporary credentials are renewed before they expire, not on every use" {
	docs=$'{"bucket":"b-1","files":[{"key":"1"}]}\n{"bucket":"b-1","files":[{"key":"2"}]}\n'
	# 3600 s of validity left: one fetch serves the whole stream.
	AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$META" \
		run --separate-stderr csc-presign --lines <<<"$docs"
	assert_success
	[ "$(grep -c 'csc-test-role$' "$META_DIR/requests.log")" -eq 1 ]
	# 240 s left (inside the 300 s window): renewed before each document.
	: >"$META_DIR/requests.log"
	CSC_NOW=$((1764072000 + 3600 - 240)) AWS_EC2_METADATA_DISABLED=false \
		AWS_EC2_METADATA_SERVICE_ENDPOINT="$META" \
		run --separate-stderr csc-presign --lines <<<"$docs"
	assert_success
	[ "$(grep -c 'csc-test-role$' "$META_DIR/requests.log")" -eq 3 ]
}

@test "AWS_ENDPOINT_URL applies to S3 unless AWS_ENDPOINT_URL_S3 is set" {
	export AWS_ACCESS_KEY_ID=AKID AWS_SECRET_ACCESS_KEY=s
	AWS_ENDPOINT_URL=http://127.0.0.1:7000 run csc-presign s3://b-1/k
	assert_output --regexp '^http://127\.0\.0\.1:7000/b-1/k\?'
	AWS_ENDPOINT_URL=http://127.0.0.1:7000 AWS_ENDPOINT_URL_S3=https://s3.local.test:8443/base/ \
		run csc-presign s3://b-1/k
	assert_output --regexp '^https://s3\.local\.test:8443/base/b-1/k\?'
	AWS_ENDPOINT_URL_S3=https://s3.local.test:443 CSC_S3_ADDRESSING=virtual run csc-presign s3://b-1/k
	assert_output --regexp '^https://b-1\.s3\.local\.test/k\?'
}

@test "an endpoint that is not an http(s) URL, or a bad CSC_S3_ADDRESSING, is a configuration error" {
	export AWS_ACCESS_KEY_ID=AKID AWS_SECRET_ACCESS_KEY=s
	AWS_ENDPOINT_URL_S3=ftp://x run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
	assert_equal "$stderr" "csc-presign: endpoint URL 'ftp://x' is not an http(s) URL"
	CSC_S3_ADDRESSING=sideways run --separate-stderr csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
	assert_equal "$stderr" "csc-presign: CSC_S3_ADDRESSING must be 'path' or 'virtual', not 'sideways'"
}

@test "-v logs the credential requests without tokens or secrets" {
	AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$META" \
		run --separate-stderr csc-presign -v s3://b-1/k
	assert_success
	[[ "$stderr" == *"PUT 127.0.0.1:"*"/latest/api/token -> 200"* ]]
	[[ "$stderr" != *imds-session-token* ]]
	[[ "$stderr" != *test-secret* ]]
	[[ "$stderr" != *test-session-token* ]]
}

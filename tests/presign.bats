#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# csc-presign: URLs equal botocore's, the JSON shapes, and bad input.

load helper

ORACLE="$CSC_TOP/tests/oracle/botocore_presign.py"

setup() {
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
	export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
	export CSC_NOW=1764072000 # 2025-11-25T12:00:00Z
	KEYS=(
		"s3://csc-code/plain.txt"
		"s3://csc-code/4b1e0c9a-1111-4222-8333-444455556666/code/backend_service.py"
		"s3://csc-code/dir with spaces/a b.txt"
		"s3://csc-code/ünïcödé/файл 文件.md"
		"s3://csc-code/plus+equals=tilde~percent%25%.txt"
		"s3://csc-code/slashes//double///and/trailing/"
		"s3://csc-code/dots/../and/./dots"
		"s3://csc-code/shell \$(x) \`y\` 'q' \"dq\";&|<>*?.txt"
		"s3://csc-code/emoji 🚀 #hash ?query &amp.txt"
	)
}

# same_as_botocore [csc-presign options...]: every key signed by both.
same_as_botocore() {
	if ! python3 -c 'import botocore' 2>/dev/null; then
		skip "botocore is not installed: cannot compare with it"
	fi
	run --separate-stderr python3 "$ORACLE" "$@" "${KEYS[@]}"
	assert_success
	local want="$output"
	run --separate-stderr csc-presign "$@" "${KEYS[@]}"
	assert_success
	[ "${#lines[@]}" -eq "${#KEYS[@]}" ]
	assert_equal "$output" "$want"
}

@test "URLs equal botocore's for AWS in us-east-1, virtual-hosted" {
	same_as_botocore
}

@test "URLs equal botocore's in another region with a session token" {
	export AWS_REGION=eu-west-1
	export AWS_SESSION_TOKEN='FwoGZXIvYXdzEBYaD+/token/with+plus/and=equals=='
	same_as_botocore
	assert_output --partial "X-Amz-Security-Token=FwoGZXIvYXdzEBYaD%2B%2Ftoken"
}

@test "URLs equal botocore's path-style when CSC_S3_ADDRESSING=path" {
	export AWS_REGION=us-west-2 CSC_S3_ADDRESSING=path
	same_as_botocore
	assert_line --index 0 --regexp '^https://s3\.us-west-2\.amazonaws\.com/csc-code/plain\.txt\?'
}

@test "URLs equal botocore's on a custom endpoint, path-style by default" {
	export AWS_ENDPOINT_URL_S3=http://127.0.0.1:4569 AWS_REGION=us-east-1
	same_as_botocore
	assert_line --index 0 --regexp '^http://127\.0\.0\.1:4569/csc-code/plain\.txt\?'
}

@test "URLs equal botocore's for a bucket with dots (path-style fallback)" {
	KEYS=("s3://my.dotted.bucket/k.txt" "s3://my.dotted.bucket/a b/c")
	same_as_botocore
	assert_line --index 0 --regexp '^https://s3\.amazonaws\.com/my\.dotted\.bucket/k\.txt\?'
}

@test "URLs equal botocore's in a China region" {
	export AWS_REGION=cn-north-1
	same_as_botocore
	assert_line --index 0 --regexp '^https://csc-code\.s3\.cn-north-1\.amazonaws\.com\.cn/'
}

@test "URLs equal botocore's for uploads (--method PUT) and seven-day expiry" {
	export AWS_SESSION_TOKEN=short-token
	same_as_botocore --method PUT --expires 604800
	assert_output --partial "X-Amz-Expires=604800"
}

@test "URLs equal botocore's with --attachment, including unicode names" {
	export AWS_REGION=ap-southeast-2
	same_as_botocore --attachment
	assert_line --index 0 --partial 'response-content-disposition=attachment%3B%20filename%3D%22plain.txt%22'
}

@test "a file's version_id is signed into its URL as botocore signs VersionId, with and without --attachment" {
	local vid='3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo' opt want doc
	if ! python3 -c 'import botocore' 2>/dev/null; then
		skip "botocore is not installed: cannot compare with it"
	fi
	for opt in --expires=3600 --attachment; do
		run --separate-stderr python3 "$ORACLE" --version-id "$vid" "$opt" "${KEYS[@]}"
		assert_success
		want=$output
		doc=$(printf '%s\n' "${KEYS[@]#s3://csc-code/}" |
			jq -R -n -c --arg v "$vid" '{bucket: "csc-code", files: [inputs | {key: ., version_id: $v}]}')
		run --separate-stderr csc-presign "$opt" <<<"$doc"
		assert_success
		output=$(jq -r '.files[].url' <<<"$output")
		assert_equal "$output" "$want"
		assert_output --partial "versionId=3%2FL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY%2BMTRCxf3vjVBH40Nr8X8gdRQBpUMLUo&X-Amz-Algorithm="
	done
}

@test "a JSON document gets url and expires_at on every file, other fields untouched" {
	run --separate-stderr csc-presign <<-'EOF'
	{"service_id":"s1","bucket":"csc-code","extra":{"n":[1,2.5,null,true]},
	 "files":[{"name":"README.md","key":"s1/c1/README.md","size":12,"sha256":"ab"},
	          {"key":"s1/c1/config.yaml","version_id":null}]}
	EOF
	assert_success
	[ "$(jq -c '.extra' <<<"$output")" = '{"n":[1,2.5,null,true]}' ]
	[ "$(jq -r '.service_id, .files[0].name, .files[0].size, .files[0].sha256' <<<"$output" | tr '\n' ' ')" = "s1 README.md 12 ab " ]
	[ "$(jq -r '.files[1].version_id' <<<"$output")" = null ]
	[ "$(jq -r '.files[].expires_at' <<<"$output" | sort -u)" = "2025-11-25T13:00:00Z" ]
	want=$(csc-presign "s3://csc-code/s1/c1/config.yaml")
	[ "$(jq -r '.files[1].url' <<<"$output")" = "$want" ]
}

@test "expires_at follows --expires and CSC_URL_TTL" {
	doc='{"bucket":"csc-code","files":[{"key":"k"}]}'
	run --separate-stderr csc-presign --expires 60 <<<"$doc"
	assert_success
	[ "$(jq -r '.files[0].expires_at' <<<"$output")" = "2025-11-25T12:01:00Z" ]
	CSC_URL_TTL=120 run --separate-stderr csc-presign <<<"$doc"
	[ "$(jq -r '.files[0].expires_at' <<<"$output")" = "2025-11-25T12:02:00Z" ]
	assert_output --partial "X-Amz-Expires=120"
}

@test "--lines answers each document of a stream on its own line" {
	run --separate-stderr csc-presign --lines <<-'EOF'
	{"bucket":"b-one","files":[{"key":"1"}]}

	{"bucket":"b-two","files":[{"key":"2"},{"key":"3"}]}
	{"bucket":"b-three","files":[]}
	EOF
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -r '.bucket' <<<"$output" | tr '\n' ' ')" = "b-one b-two b-three " ]
	[ "$(jq -r '.files | length' <<<"$output" | tr '\n' ' ')" = "1 2 0 " ]
}

# fails_cleanly STATUS MESSAGE: the exact status, one stderr line, no stdout.
fails_cleanly() {
	[ "$status" -eq "$1" ] || fail "exit $status, expected $1 (stderr: $stderr)"
	assert_equal "$output" ""
	assert_equal "$stderr" "$2"
}

@test "malformed JSON is refused with exit 65 and nothing on stdout" {
	run --separate-stderr csc-presign <<<'{"bucket":"b-1","files":[{"key":"a"}'
	fails_cleanly 65 "csc-presign: standard input: invalid JSON near byte 36"
}

@test "a files entry without a key is refused with exit 65" {
	run --separate-stderr csc-presign <<<'{"bucket":"b-1","files":[{"key":"a"},{"name":"x"}]}'
	fails_cleanly 65 'csc-presign: input: files[1] needs a non-empty string "key"'
}

@test "a non-string key is refused with exit 65" {
	run --separate-stderr csc-presign <<<'{"bucket":"b-1","files":[{"key":42}]}'
	fails_cleanly 65 'csc-presign: input: files[0] needs a non-empty string "key"'
}

@test "a document without bucket or files is refused with exit 65" {
	run --separate-stderr csc-presign <<<'[1,2]'
	fails_cleanly 65 'csc-presign: input: expected an object with a string "bucket" and a "files" array'
	run --separate-stderr csc-presign <<<'{"bucket":"b-1","files":{}}'
	fails_cleanly 65 'csc-presign: input: "files" must be an array'
}

@test "an invalid bucket name is refused with exit 65" {
	run --separate-stderr csc-presign <<<'{"bucket":"../etc","files":[{"key":"k"}]}'
	fails_cleanly 65 "csc-presign: '../etc' is not a valid S3 bucket name"
}

@test "empty and oversized input are refused with exit 65" {
	run --separate-stderr csc-presign </dev/null
	fails_cleanly 65 "csc-presign: standard input: empty input, expected JSON"
	CSC_MAX_INPUT=100 run --separate-stderr csc-presign < <(printf '{"bucket":"b-1","files":[%s{"key":"k"}]}' "$(printf '{"key":"k"},%.0s' {1..20})")
	fails_cleanly 65 "csc-presign: standard input: larger than the 100-byte limit"
}

@test "a member name given twice is refused with exit 65, naming the object" {
	run --separate-stderr csc-presign <<<'{"bucket":"b-1","files":[{"key":"a"}],"bucket":"b-2"}'
	fails_cleanly 65 'csc-presign: standard input: duplicate key "bucket" at .'
	run --separate-stderr csc-presign <<<'{"bucket":"b-1","files":[{"key":"a"},{"key":"b","key":"c"}]}'
	fails_cleanly 65 'csc-presign: standard input: duplicate key "key" at .files[1]'
	run --separate-stderr csc-presign --lines <<<$'{"bucket":"b-1","files":[]}\n{"bucket":"b-1","files":[],"files":[{"key":"k"}]}'
	[ "$status" -eq 65 ]
	assert_equal "$stderr" 'csc-presign: standard input line 2: duplicate key "files" at .'
	[ "${#lines[@]}" -eq 1 ] # the good line was already answered
}

@test "a CSC_MAX_INPUT that is not a whole number is a configuration error (78)" {
	CSC_MAX_INPUT=abc run --separate-stderr csc-presign <<<'{"bucket":"b-1","files":[]}'
	fails_cleanly 78 "csc-presign: CSC_MAX_INPUT must be a whole number from 1 to 1073741824"
	CSC_MAX_INPUT=0 run --separate-stderr csc-presign --lines <<<'{"bucket":"b-1","files":[]}'
	fails_cleanly 78 "csc-presign: CSC_MAX_INPUT must be a whole number from 1 to 1073741824"
}

@test "a bad line in --lines mode fails with its line number" {
	run --separate-stderr csc-presign --lines <<<$'{"bucket":"b-1","files":[]}\n{oops'
	[ "$status" -eq 65 ]
	assert_equal "$stderr" "csc-presign: standard input line 2: invalid JSON near byte 2"
	[ "${#lines[@]}" -eq 1 ] # the good line was already answered
}

@test "--expires 0 and over seven days are usage errors (64)" {
	run --separate-stderr csc-presign --expires 0 s3://b-1/k
	fails_cleanly 64 "csc-presign: --expires must be 1..604800 seconds, not '0'"
	run --separate-stderr csc-presign --expires 604801 s3://b-1/k
	fails_cleanly 64 "csc-presign: --expires must be 1..604800 seconds, not '604801'"
	run --separate-stderr csc-presign --expires 12x s3://b-1/k
	fails_cleanly 64 "csc-presign: --expires must be 1..604800 seconds, not '12x'"
}

@test "--expires and CSC_URL_TTL take digits alone: a sign or a space is refused" {
	run --separate-stderr csc-presign --expires +60 s3://b-1/k
	fails_cleanly 64 "csc-presign: --expires must be 1..604800 seconds, not '+60'"
	run --separate-stderr csc-presign --expires ' 60' s3://b-1/k
	fails_cleanly 64 "csc-presign: --expires must be 1..604800 seconds, not ' 60'"
	CSC_URL_TTL=-60 run --separate-stderr csc-presign s3://b-1/k
	fails_cleanly 78 "csc-presign: CSC_URL_TTL must be 1..604800 seconds, not '-60'"
}

@test "a bad CSC_URL_TTL is a configuration error (78)" {
	CSC_URL_TTL=999999 run --separate-stderr csc-presign s3://b-1/k
	fails_cleanly 78 "csc-presign: CSC_URL_TTL must be 1..604800 seconds, not '999999'"
}

@test "a bad CSC_NOW is a configuration error (78), for operands and for documents" {
	CSC_NOW=abc run --separate-stderr csc-presign s3://csc-code/a.txt
	assert_failure 78
	assert_output ''
	assert_equal "$stderr" "csc-presign: CSC_NOW must be seconds since the epoch, not 'abc'"
	CSC_NOW=abc run --separate-stderr csc-presign <<<'{"bucket":"csc-code","files":[{"key":"a"}]}'
	assert_failure 78
	assert_output ''
	assert_equal "$stderr" "csc-presign: CSC_NOW must be seconds since the epoch, not 'abc'"
}

@test "an operand that is not s3://BUCKET/KEY is a usage error, and nothing is printed" {
	run --separate-stderr csc-presign s3://b-1/good "https://b-1/k"
	fails_cleanly 64 "csc-presign: 'https://b-1/k' is not s3://BUCKET/KEY"
	run --separate-stderr csc-presign s3://b-1/
	fails_cleanly 64 "csc-presign: 's3://b-1/' is not s3://BUCKET/KEY"
}

@test "missing credentials are a configuration error (78)" {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	run --separate-stderr csc-presign s3://b-1/k
	fails_cleanly 78 "csc-presign: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
}

@test "--attachment with PUT and unknown options are usage errors" {
	run --separate-stderr csc-presign --method PUT --attachment s3://b-1/k
	fails_cleanly 64 "csc-presign: --attachment applies to downloads (GET) only"
	run --separate-stderr csc-presign --method DELETE s3://b-1/k
	fails_cleanly 64 "csc-presign: --method must be GET or PUT, not 'DELETE'"
	run --separate-stderr csc-presign --bogus
	[ "$status" -eq 64 ]
	assert_equal "$output" ""
}

@test "--help prints usage on stdout and exits 0; --version names the program" {
	run csc-presign --help
	assert_success
	assert_line --index 0 --partial "usage: csc-presign"
	run csc-presign --version
	assert_success
	assert_output --regexp '^csc-presign [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a closed stdout is a write failure (74), not silence" {
	run bash -c 'csc-presign s3://b-1/k >&-'
	[ "$status" -eq 74 ]
	assert_output --partial "csc-presign: writing output"
}

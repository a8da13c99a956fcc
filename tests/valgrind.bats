#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# The tools under valgrind: no leak, no invalid access, on success and on
# the error paths.  Skipped in the sanitizer build (ASan and valgrind do not
# mix); that build checks the same paths with ASan and LeakSanitizer.

load helper

setup() {
	case "$CSC_BUILD" in *san*) skip "the sanitizer build checks memory itself" ;; esac
	command -v valgrind >/dev/null || fail "valgrind is not installed"
	export AWS_ACCESS_KEY_ID=AKID AWS_SECRET_ACCESS_KEY=secret AWS_SESSION_TOKEN=tok CSC_NOW=1764072000
}

# vg ARGS...: run a program under valgrind; exit 99 on any memory error.
vg() {
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 "$@"
}

@test "csc-presign is clean under valgrind on operands" {
	run vg csc-presign -a "s3://csc-code/a b/ü.txt" s3://csc-code/k
	assert_success
}

@test "csc-presign is clean under valgrind on a JSON document and JSON Lines" {
	run vg csc-presign <<<'{"bucket":"csc-code","files":[{"key":"a","size":1},{"key":"b/c"}]}'
	assert_success
	run vg csc-presign --lines <<<$'{"bucket":"csc-code","files":[{"key":"a"}]}\n{"bucket":"csc-code","files":[]}'
	assert_success
}

@test "csc-presign is clean under valgrind on its error paths" {
	run vg csc-presign <<<'{"bucket":"csc-code","files":[{"nokey":1}]}'
	[ "$status" -eq 65 ]
	run vg csc-presign <<<'{"bucket":'
	[ "$status" -eq 65 ]
	run vg csc-presign --expires 0 s3://b-1/k
	[ "$status" -eq 64 ]
	AWS_ACCESS_KEY_ID='' run vg csc-presign s3://b-1/k
	[ "$status" -eq 78 ]
}

@test "the SigV4 and HTTP drivers are clean under valgrind" {
	run vg "$(unit test_sigv4)" --form query "$SIGV4_SUITE"/*/
	assert_success
	run vg "$(unit test_http)" -a 1 http://127.0.0.1:9/refused
	[ "$status" -eq 1 ]
}

@test "the SSE parser and the stream rebuilder are clean under valgrind" {
	run vg "$(unit test_sse)" -m -p 7 <"$CSC_TOP/tests/fixtures/sse/tool.sse"
	assert_success
	run vg "$(unit test_sse)" -m -p 0 <"$CSC_TOP/tests/fixtures/sse/generate.sse"
	assert_success
	# An error event is an answer, not a crash: no memory error (99).
	run vg "$(unit test_sse)" -m <"$CSC_TOP/tests/fixtures/sse/stream-error.sse"
	[ "$status" -ne 99 ]
}

#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031,SC2154 # bats: every @test runs in a subshell, and run sets $output, $stderr and $lines
# SigV4 against AWS's own test vectors, read from shared/, not copied.

load helper

setup() {
	[ -d "$SIGV4_SUITE" ] || fail "the SigV4 test suite is missing at $SIGV4_SUITE"
}

@test "every AWS SigV4 vector signs byte for byte in the header form" {
	run "$(unit test_sigv4)" --form header "$SIGV4_SUITE"/*/
	assert_success
	[ "$(grep -c '^ok ' <<<"$output")" -eq "$(find "$SIGV4_SUITE" -mindepth 1 -maxdepth 1 -type d | wc -l)" ]
	refute_output --partial FAIL
}

@test "every AWS SigV4 vector signs byte for byte in the query (presigned) form" {
	run "$(unit test_sigv4)" --form query "$SIGV4_SUITE"/*/
	assert_success
	[ "$(grep -c '^ok ' <<<"$output")" -eq "$(find "$SIGV4_SUITE" -mindepth 1 -maxdepth 1 -type d | wc -l)" ]
	refute_output --partial FAIL
}

@test "the suite has all 38 cases, so a missing folder cannot pass silently" {
	[ "$(find "$SIGV4_SUITE" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 38 ]
}

@test "a changed expected signature is reported as a failure with the stage" {
	tmp=$(mktemp -d)
	cp -r "$SIGV4_SUITE/get-vanilla" "$tmp/"
	printf '%s\n' 0000000000000000000000000000000000000000000000000000000000000000 \
		>"$tmp/get-vanilla/header-signature.txt"
	run "$(unit test_sigv4)" --form header "$tmp/get-vanilla"
	rm -rf "$tmp"
	assert_failure
	assert_line "FAIL get-vanilla: header-signature.txt"
}

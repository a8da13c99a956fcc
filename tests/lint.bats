#!/usr/bin/env bats
# shellcheck disable=SC2154 # bats' run sets $output
# Every shell file of the project passes shellcheck.

load helper

@test "every shell file passes shellcheck" {
	command -v shellcheck >/dev/null || fail "shellcheck is not installed"
	mapfile -t files < <("$CSC_TOP/tests/shell-files")
	[ "${#files[@]}" -gt 5 ]
	cd "$CSC_TOP"
	run shellcheck -x "${files[@]}"
	assert_success
	assert_output ""
}

#!/usr/bin/env bats
# shellcheck disable=SC2154 # bats' run sets $output
# The project's own checks: shellcheck over every shell file, and
# tools/layers (lib's layering and include cycles) on fake trees and on
# the real one.

load helper

# tree FILE=INCLUDE...: a fake tree under $BATS_TEST_TMPDIR/tree where each
# FILE (relative to the tree) holds one #include "INCLUDE" line; an
# INCLUDE of "-" leaves FILE without any.
tree() {
	local spec file inc
	for spec in "$@"; do
		file="$BATS_TEST_TMPDIR/tree/${spec%%=*}"
		inc="${spec#*=}"
		mkdir -p "$(dirname "$file")"
		if [ "$inc" = "-" ]; then
			: >>"$file"
		else
			printf '#include "%s"\n' "$inc" >>"$file"
		fi
	done
}

@test "every shell file passes shellcheck" {
	command -v shellcheck >/dev/null || fail "shellcheck is not installed"
	mapfile -t files < <("$CSC_TOP/tests/shell-files")
	[ "${#files[@]}" -gt 5 ]
	cd "$CSC_TOP"
	run shellcheck -x "${files[@]}"
	assert_success
	assert_output ""
}

@test "tools/layers accepts includes of the same or lower layers, generated and system headers" {
	tree lib/core/buf.h=- lib/core/buf.c=buf.h \
		lib/aws/aws.h=buf.h lib/aws/aws.c=aws.h lib/aws/aws.c=questions.inc \
		lib/claude/sse.c=buf.h lib/claude/sse.c=stdio.h \
		lib/store/store.h=aws.h lib/store/store.c=store.h \
		lib/store/store.c=sse.h src/csc-store.c=store.h
	run "$CSC_TOP/tools/layers" "$BATS_TEST_TMPDIR/tree"
	assert_success
	assert_output ""
}

@test "tools/layers names each include of a higher or sibling layer, and each cycle" {
	tree lib/core/buf.h=- lib/store/store.h=- lib/core/x.c=store.h \
		lib/claude/sse.h=- lib/aws/aws.c=sse.h \
		lib/aws/a.h=b.h lib/aws/b.h=- lib/aws/b.c=a.h
	run "$CSC_TOP/tools/layers" "$BATS_TEST_TMPDIR/tree"
	assert_failure 1
	assert_output "tools/layers: lib/aws/aws.c includes sse.h (claude is beside aws)
tools/layers: lib/core/x.c includes store.h (store is above core)
tools/layers: include cycle: a -> b -> a"
}

@test "tools/layers refuses a layer it does not know" {
	tree lib/core/buf.h=- lib/web/web.c=buf.h
	run "$CSC_TOP/tools/layers" "$BATS_TEST_TMPDIR/tree"
	assert_failure 1
	assert_output "tools/layers: lib/web is not a known layer"
}

@test "lib keeps its layers and has no include cycle" {
	run "$CSC_TOP/tools/layers"
	assert_success
	assert_output ""
}

@test "the C files are laid out as .clang-format says" {
	command -v clang-format >/dev/null || fail "clang-format is not installed"
	cd "$CSC_TOP"
	run clang-format --dry-run --Werror --ferror-limit=1 \
		lib/*/*.[ch] src/*.c tests/unit/*.c tests/fuzz/*.c
	assert_success
	assert_output ""
}

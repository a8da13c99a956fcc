# Common set-up for the bats suites: assertions, paths, a scratch dir.
# shellcheck shell=bash

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

CSC_TOP="${CSC_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
CSC_BUILD="${CSC_BUILD:-build/rel}"
SIGV4_SUITE="${SIGV4_SUITE:-$CSC_TOP/../shared/aws-sigv4-test-suite/v4}"
export CSC_TOP CSC_BUILD SIGV4_SUITE
PATH="$CSC_TOP/bin:$PATH"

# unit NAME: the path of a C unit-test driver of this build.
unit() {
	printf '%s/%s/tests/%s\n' "$CSC_TOP" "$CSC_BUILD" "$1"
}

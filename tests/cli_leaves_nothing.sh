#!/usr/bin/env bash
# The CLI tests leave nothing behind: runs them ($1 = cubias_tests, $2 = the
# gtest filter) with GoogleTest's TempDir set to a fresh, empty folder, then
# fails if anything is left in it (each test's scratch folder, cli_test_util.h,
# must be gone with its files).
set -euo pipefail
bin=$1 filter=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cubias_cli_check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
TEST_TMPDIR=$tmp CUBIAS_CLI_TEMPDIR=$tmp "$bin" --gtest_filter="$filter"
if [ -n "$(ls -A "$tmp")" ]; then
  echo "left behind in the TempDir $tmp:"
  ls -lAR "$tmp"
  exit 1
fi
echo "nothing left in the TempDir ($tmp)"

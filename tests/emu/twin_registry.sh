#!/usr/bin/env bash
# Checks the GPU-twin registry (tests/emu/gpu_twins.txt) against the emulated test binary:
#   twin_registry.sh names EMU_TESTS REGISTRY   every test whose full name mentions
#       CUDA or GPU in any spelling is selected by the registry, and every registry
#       line selects at least one test;
#   twin_registry.sh usage EMU_TESTS REGISTRY   every test OUTSIDE the registry runs on
#       the emulated device build and must make no CUDA runtime call (a twin under a
#       name that mentions neither is caught here).
set -uo pipefail
mode=$1 bin=$2 reg=$3
lines=$(grep -vE '^[[:space:]]*(#|$)' "$reg")
filter=$(echo "$lines" | paste -sd:)
# Full test names (Suite.Test, with instance prefixes and parameter suffixes).
list() {
  "$bin" --gtest_list_tests --gtest_filter="$1" | awk '/^[^ ]/ { suite = $1; next } { print suite $1 }'
}
if [ "$mode" = names ]; then
  all=$(list '*') || { echo "error: $bin --gtest_list_tests failed"; exit 1; }
  selected=$(list "$filter")
  bad=0
  missing=$(comm -23 <(echo "$all" | grep -iE 'cuda|gpu' | sort) <(echo "$selected" | sort))
  if [ -n "$missing" ]; then
    echo "error: tests that name CUDA or GPU but are not GPU twins in $reg (they would run on the CPU only):"
    echo "$missing" | sed 's/^/  /'
    bad=1
  fi
  while read -r pattern; do
    [ -n "$(list "$pattern")" ] || { echo "error: $reg: '$pattern' selects no test"; bad=1; }
  done <<< "$lines"
  [ $bad = 0 ] && echo "$(echo "$selected" | wc -l) GPU twins registered; every test naming CUDA/GPU among them ($(echo "$all" | wc -l) tests)"
  exit $bad
fi
# usage: the listener of gtest_hooks.cpp names each test that made a runtime call.
out=$(CUBIAS_EMU_UNREGISTERED=1 "$bin" --gtest_filter="-$filter" 2>&1)
rc=$?
echo "$out" | grep -E '^\[  (PASSED|FAILED|SKIPPED)  \]|^\[==========\]' | head -10
used=$(echo "$out" | grep 'used the CUDA device' || true)
if [ -n "$used" ]; then
  echo "error: tests outside $reg use the CUDA device (register them as GPU twins):"
  echo "$used" | sed 's/^/  /'
  exit 1
fi
[ $rc -eq 0 ] || { echo "error: the unregistered tests failed on the emulated build (exit $rc)"; exit 1; }
echo "no test outside the registry made a CUDA runtime call"

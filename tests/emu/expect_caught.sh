#!/usr/bin/env bash
# Runs a filtered emulated suite that must FAIL (a planted kernel defect, see
# tests/emu/README.md): passes when GoogleTest reports failed tests, fails when
# the suite passes or dies without reporting (a crash is not a catch).
#   expect_caught.sh TEST_BINARY FILTER
#   expect_caught.sh --command CMD ARGS...   a check (not a suite) that must fail
set -u
if [ "$1" = "--command" ]; then
  shift
  out=$("$@" 2>&1)
  rc=$?
  echo "$out" | tail -20
  if [ $rc -ne 0 ]; then
    echo "planted defect CUBIAS_EMU_PLANT=${CUBIAS_EMU_PLANT:-} caught (the check failed, exit $rc)"
    exit 0
  fi
  echo "planted defect CUBIAS_EMU_PLANT=${CUBIAS_EMU_PLANT:-} NOT caught (the check passed)"
  exit 1
fi
out=$("$1" --gtest_filter="$2" 2>&1)
rc=$?
echo "$out" | grep -E '^\[  (FAILED|PASSED)  \]|emulated device|Failure' | head -20
if [ $rc -ne 0 ] && echo "$out" | grep -q '^\[  FAILED  \]'; then
  echo "planted defect CUBIAS_EMU_PLANT=${CUBIAS_EMU_PLANT:-} caught"
  exit 0
fi
echo "planted defect CUBIAS_EMU_PLANT=${CUBIAS_EMU_PLANT:-} NOT caught (exit $rc)"
exit 1

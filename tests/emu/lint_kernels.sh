#!/usr/bin/env bash
# The kernels declare shared memory only through the checked forms of
# kernels/cuda/cuda_util.cuh (CUBIAS_SHARED, CUBIAS_DYNAMIC_SHARED): a plain
# __shared__ array would escape the emulated device's per-array bounds and its
# 48 KB count (tests/emu/README.md). Usage: lint_kernels.sh <kernels/cuda dir>
set -u
bad=$(grep -n '__shared__' "$1"/*.cu "$1"/*.h 2>/dev/null | grep -v '^[^:]*:[0-9]*:\s*//')
if [ -n "$bad" ]; then
  echo "plain __shared__ in the kernels (use CUBIAS_SHARED / CUBIAS_DYNAMIC_SHARED):"
  echo "$bad"
  exit 1
fi
echo "kernels declare shared memory through CUBIAS_SHARED only"

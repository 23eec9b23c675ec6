#!/usr/bin/env bash
# Build cubias and run every test, as CI does (.ci/run calls this):
#   1. the main build: library (CPU backend + CUDA kernels compiled for the default
#      architecture list), examples, benchmarks, and the test suite under ctest;
#      GPU tests skip visibly where no CUDA device answers;
#   2. the GPU check's dry run (bench/device_check.sh --dry-run, docs/device-check.md):
#      its configure and carried GoogleTest exactly as on a GPU machine, GPU steps skipped;
#   3. an AddressSanitizer + UBSan build of the CPU path, running the same suite;
#   4. the Python package (python/): installed from the clone into a fresh virtual
#      environment with NumPy and pytest only, reusing build/'s library
#      (CUBIAS_BUILD_DIR), then its pytest suite (PyTorch/CuPy tests skip visibly).
# Environment: JOBS (parallel jobs, default nproc), CUBIAS_CMAKE_ARGS (extra
# arguments for the main configure, e.g. -DCMAKE_CUDA_ARCHITECTURES=90).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

# What the build needs and a fresh machine of this kind may lack.
need=()
command -v cmake >/dev/null || need+=(cmake)
[ -e /usr/include/gtest/gtest.h ] || need+=(libgtest-dev)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

# The emulated CUDA device's runs (tests/emu): how many GPU twins ran and passed.
emu_summary() {
  echo "-- GPU twins on the emulated device ($1) --"
  awk '/^[0-9]+\/[0-9]+ Test: / { name = $3 }
       name ~ /^emu_gpu/ && /^\[==========\] [0-9]+ tests? from .* ran/ { print "  " name ": " $0 }
       name ~ /^emu_gpu/ && /^\[  (PASSED|SKIPPED|FAILED)  \] [0-9]+ test/ { print "  " name ": " $0 }' \
    "$1/Testing/Temporary/LastTest.log"
}

echo "== main build =="
# shellcheck disable=SC2086
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${CUBIAS_CMAKE_ARGS:-}
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS"
emu_summary build

echo "== GPU check, dry run =="
bash bench/device_prep.sh
env -u OUT bash bench/device_check.sh --dry-run build/device-check-dry

echo "== AddressSanitizer + UBSan build of the CPU path =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUBIAS_WITH_CUDA=OFF \
  -DCUBIAS_SANITIZE=ON -DCUBIAS_BUILD_BENCH=OFF
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS"
emu_summary build-asan

echo "== Python package: fresh venv, NumPy only =="
rm -rf build/py-venv
python3 -m venv build/py-venv
build/py-venv/bin/python -m pip install -q --upgrade pip
build/py-venv/bin/python -m pip install -q numpy pytest
CUBIAS_BUILD_DIR=build build/py-venv/bin/python -m pip install -q ./python
# -rs: every skipped test and its reason in the log
# from the repo root: python/ itself would shadow the installed package
build/py-venv/bin/python -m pytest -q python/tests

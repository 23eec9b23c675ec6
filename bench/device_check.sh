#!/usr/bin/env bash
# The one prepared GPU check (docs/device-check.md says what it proves and how to call it).
#
#   bash bench/device_check.sh [DIR]         on the GPU machine, after bench/device_prep.sh
#                                            here; results in $OUT, else DIR, else
#                                            device-check-out/
#   bash bench/device_check.sh --dry-run [DIR]
#                                            here, without a GPU (CI runs it): every step up
#                                            to the GPU, GPU-only steps reported as skipped
#   --build   with --dry-run: also do the full build, exactly as on the GPU machine
#
# Every section runs in a time box and the whole run ends within CUBIAS_CHECK_LIMIT_S
# (default 470 s), build included; CUBIAS_CHECK_SLOW=N stretches every box N times (for a
# --dry-run --build on a small machine). summary.txt is written as the run goes, so a run cut
# short still says what it did. What comes back (at most 8 files): summary.txt,
# results.csv, kernels.csv, plot.png, logs.tar.gz. Exit status: 0 when every section that
# ran passed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

dry=0 full_build=0 arg=""
for a in "$@"; do
  case "$a" in
    --dry-run) dry=1 ;;
    --build) full_build=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "device_check: unknown option '$a' (see --help)" >&2; exit 2 ;;
    *) [ -z "$arg" ] || { echo "device_check: one output folder only" >&2; exit 2; }; arg=$a ;;
  esac
done
[ $full_build -eq 0 ] || [ $dry -eq 1 ] || { echo "device_check: --build goes with --dry-run" >&2; exit 2; }
[ $dry -eq 1 ] || full_build=1

out=${OUT:-${arg:-device-check-out}}
mkdir -p "$out" || { echo "device_check: cannot create '$out'" >&2; exit 2; }
out=$(cd "$out" && pwd)
returned=(summary.txt results.csv kernels.csv plot.png logs.tar.gz)
for f in "${returned[@]}"; do rm -f "$out/$f"; done

bdir=$root/build-device
logs=$bdir/check-logs
rm -rf "$logs"
mkdir -p "$logs"
summary=$out/summary.txt
limit=${CUBIAS_CHECK_LIMIT_S:-470}
failed=0

# Time boxes in seconds. Their sum without the build, plus the build's 16-core
# estimate (docs/device-check.md), stays under 480 s; the global limit caps them anyway.
declare -A box=([configure]=40 [build]=150 [tests]=100 [bench]=60 [torch]=35 [plot]=15
                [kernels]=30 [probe]=20 [memcheck]=45 [racecheck]=25 [synccheck]=20 [initcheck]=20)
exclude='^(cpu_engine_(base|avx2)_stats|bench_(stats|kernels)_(cpu|gpu)_smoke)$'
gpu_filter='*CUDA*:*Cuda*:*cuda*:*GPU*:*Gpu*:*gpu*'

pack() { tar czf "$out/logs.tar.gz" -C "$bdir" check-logs 2>/dev/null; }
say() { echo "$*" | tee -a "$summary"; }
# record NAME STATUS SECONDS DETAIL: one line of the section table.
record() {
  printf '%-10s %-8s %4ss  %s\n' "$1" "$2" "$3" "${4:-}" | tee -a "$summary"
  case $2 in FAIL | TIMEOUT) failed=1 ;; esac
  pack
}
# boxed NAME CMD...: CMD in NAME's time box (clipped to what is left), its output in
# check-logs/NAME.log; sets secs; returns CMD's status, 124 on timeout.
boxed() {
  local name=$1 b left
  shift
  left=$((limit - SECONDS - 10))
  b=$((box[$name] * ${CUBIAS_CHECK_SLOW:-1}))
  [ "$b" -le "$left" ] || b=$left
  if [ "$b" -le 0 ]; then secs=0; return 125; fi
  local t0=$SECONDS
  timeout -k 5 "$b" "$@" > "$logs/$name.log" 2>&1
  local rc=$?
  secs=$((SECONDS - t0))
  [ $rc -ne 137 ] || rc=124
  return $rc
}
# verdict NAME RC [DETAIL]: PASS on 0, TIMEOUT on 124, SKIP (no time) on 125, else FAIL.
verdict() {
  case $2 in
    0) record "$1" PASS "$secs" "${3:-}" ;;
    124) record "$1" TIMEOUT "$secs" "time box ${box[$1]} s; ${3:-}" ;;
    125) record "$1" SKIP 0 "no time left" ;;
    *) record "$1" FAIL "$secs" "exit $2; ${3:-} (log: check-logs/$1.log)" ;;
  esac
}
skip_gpu() { for s in "$@"; do record "$s" SKIP 0 "dry run: needs a GPU"; done; }

# ---- the machine --------------------------------------------------------------------------
{
  echo "cubias device check ($([ $dry -eq 1 ] && echo dry run || echo GPU run))"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if [ -f .device/commit.txt ]; then
    echo "source:  $(tr '\n' ' ' < .device/commit.txt)"
  else
    echo "source:  commit $(git rev-parse HEAD 2>/dev/null || echo unknown) (no .device/commit.txt)"
  fi
} > "$summary"
cat "$summary"
arch=90
if smi=$(nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader 2>/dev/null) &&
   [ -n "$smi" ]; then
  say "card:    $smi"
  cap=$(echo "$smi" | head -1 | awk -F', ' '{print $3}' | tr -d '.')
  [[ $cap =~ ^[0-9]+$ ]] && arch=$cap
  nvidia-smi -q > "$logs/nvidia-smi.txt" 2>&1
else
  say "card:    none answers (nvidia-smi failed)"
fi
say "arch:    sm_$arch$([ -n "${cap:-}" ] || echo ' (fallback)')"
say "tools:   $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/nvcc \1/p'); $(cmake --version | head -1); $(ninja --version 2>/dev/null | sed 's/^/ninja /' || echo 'no ninja')"
say "limit:   $limit s for the whole run"
say ""
say "section    status   time   detail"

# ---- configure and build ------------------------------------------------------------------
gtest=$root/.device/googletest
cfg=(-S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$arch")
# The emulated device (tests/emu) is CI's stand-in for this machine: not built here.
cfg+=(-DCUBIAS_BUILD_EMU_TESTS=OFF)
command -v ninja > /dev/null && cfg+=(-G Ninja)
if [ -f "$gtest/CMakeLists.txt" ]; then
  cfg+=(-DCUBIAS_GTEST_SOURCE="$gtest")
else
  record gtest FAIL 0 "no carried GoogleTest at .device/googletest: run bench/device_prep.sh and carry .device"
fi
# A build folder from another generator cannot be reused.
if [ -f "$bdir/CMakeCache.txt" ] && ! grep -q "CMAKE_GENERATOR:INTERNAL=$(command -v ninja > /dev/null && echo Ninja || echo 'Unix Makefiles')" "$bdir/CMakeCache.txt"; then
  rm -rf "$bdir/CMakeCache.txt" "$bdir/CMakeFiles"
fi
# shellcheck disable=SC2086
boxed configure cmake "${cfg[@]}" ${CUBIAS_CHECK_CMAKE_ARGS:-}
rc=$?
detail="${cfg[*]:2}"
grep -q "GoogleTest built from" "$logs/configure.log" && detail="$detail; GoogleTest from .device"
verdict configure $rc "$detail"
configured=$rc

if [ $configured -ne 0 ]; then
  record build SKIP 0 "not configured"
elif [ $full_build -eq 1 ]; then
  # Everything ctest runs (library, tests, CLI, examples, the install test) and the benchmarks.
  boxed build cmake --build "$bdir" -j"$(nproc)"
  verdict build $? "all targets, -j$(nproc)"
else
  # Dry run: the carried GoogleTest is built and linked the way the test binary uses it.
  boxed build cmake --build "$bdir" -j"$(nproc)" --target gtest gtest_main
  rc=$?
  [ $rc -ne 0 ] || find "$bdir" -name libgtest.a | grep -q . || rc=1
  verdict build $rc "dry run: GoogleTest only (--build for everything)"
fi

# ---- the test suite -----------------------------------------------------------------------
tests_bin=$bdir/tests/cubias_tests
if [ $full_build -eq 1 ]; then
  if [ ! -x "$tests_bin" ]; then
    record tests FAIL 0 "test binary $tests_bin missing"
  else
    if [ $dry -eq 1 ]; then
      boxed tests ctest --test-dir "$bdir" -j"$(nproc)" --timeout 90 --output-on-failure -E "$exclude"
    else
      boxed tests env CUBIAS_REQUIRE_GPU=1 ctest --test-dir "$bdir" -j"$(nproc)" --timeout 90 \
        --output-on-failure -E "$exclude"
    fi
    rc=$?
    log=$logs/tests.log
    np=$(grep -cE 'Test +#[0-9]+: .* Passed' "$log")
    nf=$(grep -E 'Test +#[0-9]+: .*\*\*\*(Failed|Timeout|Exception|Not Run)' "$log" | grep -vc 'Not Run (Disabled)')
    ns=$(grep -cE 'Test +#[0-9]+: .*Skipped' "$log")
    nd=$(grep -c 'Not Run (Disabled)' "$log")
    counts="passed $np, failed $nf, skipped $ns, disabled $nd; not run here: $exclude"
    if [ $((np + nf + ns)) -eq 0 ] && [ $rc -ne 124 ]; then
      record tests FAIL "$secs" "ctest ran no test"
    else
      verdict tests $rc "$counts"
    fi
  fi
else
  # Dry run without the full build: the main build's binary (CI builds it first) shows
  # that the GPU tests skip visibly, and ctest's count is checked the same way.
  bin=$tests_bin
  [ -x "$bin" ] || bin=$root/build/tests/cubias_tests
  if [ ! -x "$bin" ]; then
    record tests FAIL 0 "no test binary in build-device/ or build/"
  else
    boxed tests "$bin" --gtest_filter="$gpu_filter" --gtest_brief=1
    rc=$?
    n=$(sed -nE 's/^\[  SKIPPED \] ([0-9]+) tests?[,.].*/\1/p' "$logs/tests.log" | head -1)
    n=${n:-0}
    ntot=$(ctest --test-dir "$(dirname "$(dirname "$bin")")" -N 2> /dev/null | sed -n 's/^Total Tests: //p')
    if [ "${ntot:-0}" -eq 0 ]; then
      record tests FAIL "$secs" "ctest lists no test in $(dirname "$(dirname "$bin")")"
    elif [ $rc -eq 0 ] && [ "$n" -eq 0 ]; then
      record tests FAIL "$secs" "no GPU test skipped without a GPU: the filter finds no GPU test"
    else
      verdict tests $rc "${bin#"$root"/}: $n GPU tests skipped visibly; ctest lists $ntot tests"
    fi
  fi
fi

# ---- benchmarks ---------------------------------------------------------------------------
bench=$bdir/bench/bench_stats_gpu
csv=$logs/bench_stats_gpu.csv
if [ $dry -eq 1 ]; then
  skip_gpu bench torch plot
elif [ ! -x "$bench" ]; then
  record bench FAIL 0 "bench_stats_gpu missing"
else
  boxed bench "$bench" --quick --csv "$csv"
  rc=$?
  head=$(grep -E 'copy of' "$logs/bench.log" | head -1)
  verdict bench $rc "${head:-no copy line}"
  if [ -s "$csv" ]; then
    cp "$csv" "$out/results.csv"
    # Headline: percent of copy bandwidth at the largest size, per layout and dtype.
    say "$(awk -F, 'NR > 1 { if ($3 + 0 > max) max = $3 + 0; row[NR] = $0 }
      END { printf "headline: %% of copy at %.2g B:", max;
            for (i in row) { split(row[i], f, ","); if (f[3] + 0 == max) printf " %s/%s %s", f[1], f[2], f[6] } }' "$csv")"
    boxed torch python3 bench/torch_peer.py "$csv" "$logs/bench_with_torch.csv"
    verdict torch $? "$(tail -1 "$logs/torch.log")"
    [ -s "$logs/bench_with_torch.csv" ] && cp "$logs/bench_with_torch.csv" "$out/results.csv"
    boxed plot python3 bench/plot.py "$out/results.csv" "$out/plot.png"
    verdict plot $? "$(tail -1 "$logs/plot.log")"
  else
    record torch SKIP 0 "no benchmark CSV"
    record plot SKIP 0 "no benchmark CSV"
  fi
fi

# ---- the other kernel families -----------------------------------------------------------
kbench=$bdir/bench/bench_kernels
kcsv=$logs/bench_kernels.csv
if [ $dry -eq 1 ]; then
  skip_gpu kernels
elif [ ! -x "$kbench" ]; then
  record kernels FAIL 0 "bench_kernels missing"
else
  # Each case checked against the CPU backend, then timed against the device copy.
  boxed kernels "$kbench" --backend cuda --mb 128 --reps 9 --csv "$kcsv"
  rc=$?
  verdict kernels $rc "$(grep -cE '^FAILED' "$logs/kernels.log") failed; $(grep -E '^floor:' "$logs/kernels.log" | head -1)"
  if [ -s "$kcsv" ]; then
    cp "$kcsv" "$out/kernels.csv"
    say "$(awk -F, 'NR == 1 { printf "kernels: %% of copy:" } NR > 1 { split($2, w, " "); printf " %s/%s %s", $1, w[1], $6 }' "$kcsv")"
  fi
fi

# ---- compute-sanitizer --------------------------------------------------------------------
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
sanitize() {  # sanitize SECTION TOOL FILTER
  boxed "$1" env CUBIAS_REQUIRE_GPU=1 "$sanitizer" --tool "$2" --error-exitcode 3 \
    "$tests_bin" --gtest_filter="$3"
}
# sanitized SECTION RC WHAT: a sanitizer's verdict; a time box that runs out leaves a
# partial run (the tests it finished are counted), not a failure.
sanitized() {
  local done errors
  done=$(grep -cE '^\[       OK \]' "$logs/$1.log")
  errors=$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$logs/$1.log" | tail -1)
  if [ "$2" -eq 124 ]; then
    record "$1" PARTIAL "$secs" "time box ${box[$1]} s ran out after $done tests; $3; ${errors:-no summary}"
  else
    verdict "$1" "$2" "$done tests passed; $3; ${errors:-no summary}"
  fi
}
if [ $dry -eq 1 ]; then
  skip_gpu probe memcheck racecheck synccheck initcheck
elif [ ! -x "$sanitizer" ] || [ ! -x "$tests_bin" ]; then
  record probe FAIL 0 "compute-sanitizer or the test binary missing"
else
  # One small GPU test first: some machines refuse the sanitizer ("Device not supported").
  sanitize probe memcheck 'StatsGpuParity.ExportFromGpuImportsOnCpu'
  rc=$?
  if grep -qiE 'not supported|error 999|unknown error' "$logs/probe.log"; then
    record probe REFUSED "$secs" "sanitizer refused: $(grep -iE 'not supported|999|unknown error' "$logs/probe.log" | head -1)"
    for t in memcheck racecheck synccheck initcheck; do record $t SKIP 0 "sanitizer refused"; done
  else
    verdict probe $rc "memcheck on one test"
    sanitize memcheck memcheck "$gpu_filter"
    sanitized memcheck $? "every GPU test"
    # The statistics and derivation GPU tests, by name.
    deep=$("$tests_bin" --gtest_list_tests --gtest_filter="$gpu_filter" 2> /dev/null |
      awk '/^[^ ]/ { suite = $1; next } /^  / { print suite $1 }' | grep -iE 'stats|deriv' | paste -sd:)
    for t in racecheck synccheck initcheck; do
      sanitize $t $t "${deep:-$gpu_filter}"
      sanitized $t $? "statistics and derivation GPU tests"
    done
  fi
fi

# ---- what comes back ----------------------------------------------------------------------
pack
contract=""
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  rel=${f#"$out"/}
  [[ " ${returned[*]} " == *" $rel "* ]] || contract="$contract unexpected file $rel;"
  [ "$(stat -c %s "$f")" -le $((16 << 20)) ] || contract="$contract $rel over 16 MB;"
done < <(find "$out" -mindepth 1 -type f -print0)
[ $n -le 8 ] || contract="$contract $n files (at most 8);"
[ -s "$out/summary.txt" ] && [ -s "$out/logs.tar.gz" ] || contract="$contract summary or logs missing;"
if [ -z "$contract" ]; then
  record returned PASS 0 "$n files in $out: $(cd "$out" && ls | tr '\n' ' ')"
else
  record returned FAIL 0 "$contract"
fi
say ""
say "RESULT: $([ $failed -eq 0 ] && echo PASS || echo FAIL) after $SECONDS s"
pack
exit $failed

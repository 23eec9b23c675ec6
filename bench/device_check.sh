#!/usr/bin/env bash
# One-shot GPU check, sized for about eight minutes on one GPU:
#   build for this GPU's architecture, run every test with CUBIAS_REQUIRE_GPU=1
#   (GPU tests fail instead of skipping), run compute-sanitizer memcheck and
#   racecheck over the GPU tests, run the benchmarks, and leave logs and tables in
#   the folder named by $1 (default: device-check-out).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-device-check-out}
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/summary.txt"; }

nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '. ')
date -u +%Y-%m-%dT%H:%MZ | tee -a "$out/gpu.txt"
log "architecture sm_${cap}"

log "build"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="${cap}" \
  > "$out/configure.log" 2>&1 && cmake --build build-gpu -j"$(nproc)" > "$out/build.log" 2>&1
build_rc=$?
log "build rc=$build_rc"
[ $build_rc -eq 0 ] || { tail -40 "$out/build.log"; exit 1; }

log "tests with CUBIAS_REQUIRE_GPU=1"
CUBIAS_REQUIRE_GPU=1 timeout 240 ctest --test-dir build-gpu --output-on-failure -j4 \
  > "$out/ctest.log" 2>&1
log "ctest rc=$?"; tail -5 "$out/ctest.log" | tee -a "$out/summary.txt"

gpu_filter='*CUDA*:*Cuda*:*Gpu*:*GPU*'
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for tool in memcheck racecheck; do
  log "compute-sanitizer $tool"
  CUBIAS_REQUIRE_GPU=1 timeout 150 "$sanitizer" --tool "$tool" --error-exitcode 3 \
    build-gpu/tests/cubias_tests --gtest_filter="$gpu_filter" --gtest_brief=1 \
    > "$out/sanitizer-$tool.log" 2>&1
  log "$tool rc=$?"; tail -3 "$out/sanitizer-$tool.log" | tee -a "$out/summary.txt"
done

if [ -x build-gpu/bench/bench_stats_gpu ]; then
  log "GPU statistics benchmark"
  timeout 150 build-gpu/bench/bench_stats_gpu --quick --csv "$out/bench_stats_gpu.csv" \
    | tee "$out/bench_stats_gpu.txt"
  log "PyTorch peer and plot"
  timeout 90 python3 bench/torch_peer.py "$out/bench_stats_gpu.csv" "$out/bench_with_torch.csv" \
    | tee "$out/bench_torch.txt"
  csv="$out/bench_with_torch.csv"; [ -s "$csv" ] || csv="$out/bench_stats_gpu.csv"
  python3 bench/plot.py "$csv" "$out/bench_stats_gpu.png"
fi
log "CPU statistics benchmark"
timeout 60 build-gpu/bench/bench_stats_cpu 65536 1024 5 | tee "$out/bench_stats_cpu.txt"
log "done: results in $out"

#!/usr/bin/env bash
# Planted defect 11: cmake/kernel_resources.sh's PTX check on tests/emu/planted_fma.cu.
#   ptx_fma_plant.sh NVCC SCRIPT SOURCE ARCH WORKDIR
# Passes only when the check accepts the source compiled with --fmad=false (only the
# written fmaf) AND refuses it compiled with nvcc's default --fmad=true (a contracted
# s + x * x): the check, not the source, decides.
set -u
nvcc=$1 script=$2 src=$3 arch=$4 dir=$5
mkdir -p "$dir"
compile() { bash "$script" "$dir/table" 128 "$nvcc" -O3 "$1" "--generate-code=arch=compute_$arch,code=[sm_$arch]" -x cu -c "$src" -o "$dir/planted.o" 2>&1; }
if ! out=$(compile --fmad=false); then
  echo "$out"; echo "the check refused the source compiled with --fmad=false: it would refuse written fusions"; exit 1
fi
echo "$out" | grep 'fma check'
if out=$(compile --fmad=true); then
  echo "$out"; echo "planted defect 11 NOT caught: the check passed a contracted a*b + c"; exit 1
fi
echo "$out" | grep -A3 '^error'
echo "planted defect 11 caught"

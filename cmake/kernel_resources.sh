#!/usr/bin/env bash
# Compiler launcher for the library's CUDA files (CMake's CUDA_COMPILER_LAUNCHER):
#   kernel_resources.sh TABLE_DIR MAX_REGS[:ARCH=REGS...] NVCC ARGS...
# Runs the compile with ptxas -v, prints one table per object (architecture,
# registers, spill bytes, shared memory, kernel), keeps it in TABLE_DIR, and fails the
# compile when a statistics kernel (rows_kernel, planes_kernel, their redo kernels,
# merge_partials_kernel) or a derivation's pass over the data (sym_partials_kernel,
# radix_hist_kernel) uses more than MAX_REGS registers: one 256-thread block per SM
# is not enough to keep the memory bus (or the FP64 units) busy. Spills fail every
# compile (-Xptxas=-warn-spills,-Werror).
set -uo pipefail
dir=$1 max=$2
shift 2
mkdir -p "$dir"
obj=unknown
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  [ "${args[i]}" = "-o" ] && obj=$(basename "${args[i + 1]}")
done
log=$(mktemp)
"$@" -Xptxas=-v 2> "$log"
rc=$?
# Everything but ptxas's resource lines goes to the build log as usual.
grep -vE '^ptxas info *: (Compiling entry|Function properties|Used|Compile time|[0-9]+ bytes gmem)|bytes stack frame' "$log" >&2
demangle=cat
command -v c++filt > /dev/null && demangle=c++filt
table=$dir/$obj.txt
awk -v max="$max" '
  /Compiling entry function/ { match($0, /function \x27[^\x27]+\x27/); name = substr($0, RSTART + 10, RLENGTH - 11)
                               match($0, /for \x27sm_[0-9a-z]+\x27/); arch = substr($0, RSTART + 5, RLENGTH - 6) }
  /spill stores/ { spill = $5 + $9 }
  /Used [0-9]+ registers/ {
    regs = 0; smem = 0
    for (i = 1; i <= NF; ++i) { if ($(i + 1) ~ /^registers/) regs = $i; if ($(i + 1) == "bytes" && $(i + 2) == "smem,") smem = $i }
    printf "%-7s %5d %6d %7d  %s\n", arch, regs, spill, smem, name
  }' "$log" | $demangle | sed -E 's/\(anonymous namespace\):://g; s/cubias_(f32|f16|bf16)_t::storage/\1/g' > "$table"
rm -f "$log"
if [ -s "$table" ]; then
  echo "kernel resources of $obj (arch, registers, spill bytes, static smem bytes, kernel):"
  sed 's/^/  /' "$table" | cut -c1-160
fi
# MAX_REGS may name exceptions by architecture: 128:sm_100=160:sm_120=160.
over=$(awk -v spec="$max" 'BEGIN { n = split(spec, part, ":"); bound[""] = part[1] + 0
                                   for (i = 2; i <= n; ++i) { split(part[i], kv, "="); bound[kv[1]] = kv[2] + 0 } }
  /rows_kernel|planes_kernel|rows_redo_kernel|planes_redo_kernel|merge_partials_kernel|sym_partials_kernel|radix_hist_kernel/ { b = ($1 in bound) ? bound[$1] : bound[""]; if ($2 > b) print }' "$table")
if [ -n "$over" ]; then
  echo "error: statistics kernels over their register bound ($max):" >&2
  echo "$over" >&2
  [ $rc -ne 0 ] || rc=1
fi
exit $rc

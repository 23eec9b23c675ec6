#!/usr/bin/env bash
# Compiler launcher for the library's CUDA files (CMake's CUDA_COMPILER_LAUNCHER):
#   kernel_resources.sh TABLE_DIR MAX_REGS[:ARCH=REGS...] NVCC ARGS...
# Runs the compile with ptxas -v (keeping the PTX), prints one table per object
# (architecture, registers, spill bytes, static shared memory, launch bound, kernel),
# keeps it in TABLE_DIR, and fails the compile
#  - when a statistics kernel (rows_kernel, planes_kernel, their redo kernels,
#    merge_partials_kernel) or a derivation's pass over the data (sym_partials_kernel,
#    radix_hist_kernel) uses more than MAX_REGS registers: one 256-thread block per SM
#    is not enough to keep the memory bus (or the FP64 units) busy;
#  - when the PTX holds an fma the source did not write (item 5 of issue 19): the
#    lowest architecture's PTX is compiled once more with --fmad=false, which keeps
#    exactly the written fusions (fma, fmaf, cubias_fma, the math library's own), and
#    the two must hold as many fma/mad.rn instructions; more in the build's PTX means
#    nvcc contracted an a*b + c the host computes with two roundings.
# Spills fail every compile (-Xptxas=-warn-spills,-Werror).
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
keep=$(mktemp -d)
trap 'rm -rf "$log" "$log.ref" "$keep"' EXIT
"$@" -Xptxas=-v --keep --keep-dir "$keep" 2> "$log"
rc=$?
# Everything but ptxas's resource lines goes to the build log as usual.
grep -vE '^ptxas info *: (Compiling entry|Function properties|Used|Compile time|[0-9]+ bytes gmem)|bytes stack frame' "$log" >&2
demangle=cat
command -v c++filt > /dev/null && demangle=c++filt

# Launch bounds from the PTX of each architecture: "sm_NN mangled threads" (.maxntid
# or .reqntid x*y*z; kernels without a bound are absent).
# The kept PTX files (x.compute_NN.ptx, or x.ptx for one architecture), each with its
# architecture (.target sm_NN), lowest first.
ptxs=$(for f in "$keep"/*.ptx; do
         [ -e "$f" ] && echo "$(awk '/^\.target/ { sub(/,.*/, "", $2); print $2; exit }' "$f") $f"
       done | sort -V)
bounds=$keep/bounds.txt
echo "$ptxs" | while read -r arch ptx; do
  [ -n "$ptx" ] || continue
  awk -v arch="$arch" '
    /\.entry/ { name = $0; sub(/.*\.entry[ \t]+/, "", name); sub(/[ \t(].*/, "", name) }
    /^[ \t]*\.(maxntid|reqntid)/ { s = $0; sub(/.*ntid[ \t]+/, "", s); n = split(s, d, /[ ,]+/)
                                    t = 1; for (i = 1; i <= n; ++i) if (d[i] != "") t *= d[i]
                                    print arch, name, t }' "$ptx"
done > "$bounds"

table=$dir/$obj.txt
awk -v max="$max" '
  FILENAME == ARGV[1] { bound[$1 SUBSEP $2] = $3; next }  # (may be empty: not FNR == NR)
  /Compiling entry function/ { match($0, /function \x27[^\x27]+\x27/); name = substr($0, RSTART + 10, RLENGTH - 11)
                               match($0, /for \x27sm_[0-9a-z]+\x27/); arch = substr($0, RSTART + 5, RLENGTH - 6) }
  /spill stores/ { spill = $5 + $9 }
  /Used [0-9]+ registers/ {
    regs = 0; smem = 0
    for (i = 1; i <= NF; ++i) { if ($(i + 1) ~ /^registers/) regs = $i; if ($(i + 1) == "bytes" && $(i + 2) == "smem,") smem = $i }
    b = ((arch SUBSEP name) in bound) ? bound[arch SUBSEP name] : 0
    printf "%-7s %5d %6d %7d %5d  %s\n", arch, regs, spill, smem, b, name
  }' "$bounds" "$log" | $demangle | sed -E 's/\(anonymous namespace\):://g; s/cubias_(f32|f16|bf16)_t::storage/\1/g' > "$table"
if [ -s "$table" ]; then
  echo "kernel resources of $obj (arch, registers, spill bytes, static smem bytes, launch bound (0: none), kernel):"
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

# The fma check, on the lowest architecture the compile made PTX for.
read -r arch ptx <<< "$(echo "$ptxs" | head -1)"
if [ $rc -eq 0 ] && [ -n "${ptx:-}" ]; then
  varch=compute_${arch#sm_}
  ref_args=()
  skip=0
  for a in "${args[@]}"; do
    if [ $skip = 1 ]; then skip=0; continue; fi
    case "$a" in
      -c | -MD | -MMD) ;;
      -o | -MT | -MF | -gencode | -arch | --keep-dir) skip=1 ;;
      --generate-code=* | -arch=* | --gpu-architecture=* | --fmad=* | -fmad=* | -Xptxas=*) ;;
      *) ref_args+=("$a") ;;
    esac
  done
  if ! "${ref_args[@]}" -ptx -arch="$varch" --fmad=false -o "$log.ref" 2> "$log"; then
    cat "$log" >&2
    echo "error: $obj: the PTX for the fma check (--fmad=false, $varch) did not compile" >&2
    rc=1
  else
    # fma (and mad.rn, the same fused instruction) per function of a PTX file.
    per_fn() {
      awk '/\.(entry|func)/ { f = $0; sub(/.*\.(entry|func)[ \t]+(\([^)]*\)[ \t]*)?/, "", f); sub(/[ \t(].*/, "", f) }
           /^[ \t]*(fma|mad)\.rn/ { ++n[f] } END { for (k in n) print k, n[k] }' "$1" | sort
    }
    built=$(grep -cE '^[[:space:]]*(fma|mad)\.rn' "$ptx")
    written=$(grep -cE '^[[:space:]]*(fma|mad)\.rn' "$log.ref")
    if [ "$built" -gt "$written" ]; then
      echo "error: $obj: $((built - written)) fma in the PTX ($varch) that the source did not write" \
           "($built in the build's PTX, $written with --fmad=false): nvcc contracted a*b + c;" \
           "compile with --fmad=false and write an intended fusion as fma/fmaf. Per function (build, written):" >&2
      join -a 1 -e 0 -o 0,1.2,2.2 <(per_fn "$ptx") <(per_fn "$log.ref") |
        awk '$2 != $3 { print "  " $0 }' | $demangle >&2
      rc=1
    else
      echo "fma check of $obj ($varch): $built fma, each written in the source"
    fi
  fi
fi
exit $rc

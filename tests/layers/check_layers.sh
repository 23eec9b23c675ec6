#!/usr/bin/env bash
# The layer rule of docs/architecture.md, checked on the source and on the objects
# the build made: nothing in kernels/ includes anything of host/, and no object of
# kernels/ calls (or otherwise refers to) a symbol that an object of host/ defines.
#   check_layers.sh SOURCE_DIR OBJECT...   (objects of the library, any order)
set -euo pipefail
src=$1
shift
fail=0

includes=$(grep -rnE '^\s*#\s*include\s*[<"][^">]*host/' "$src/kernels" || true)
if [ -n "$includes" ]; then
  echo "kernels/ includes host/:"
  echo "$includes"
  fail=1
fi

host_objs=() kernel_objs=()
for o in "$@"; do
  case "$o" in
    */host/*) host_objs+=("$o") ;;
    */kernels/*) kernel_objs+=("$o") ;;
  esac
done
if [ ${#host_objs[@]} -eq 0 ] || [ ${#kernel_objs[@]} -eq 0 ]; then
  echo "check_layers: no host/ or kernels/ objects among the arguments" >&2
  exit 2
fi

defined=$(nm --defined-only -g "${host_objs[@]}" 2>/dev/null |
            awk 'NF == 3 && $2 ~ /[TDBR]/ { print $3 }' | sort -u)
for o in "${kernel_objs[@]}"; do
  used=$(nm -u "$o" | awk '{ print $NF }' | sort -u)
  calls=$(comm -12 <(echo "$defined") <(echo "$used"))
  if [ -n "$calls" ]; then
    echo "$o refers to what host/ defines:"
    echo "$calls" | sed 's/^/  /' | c++filt
    fail=1
  fi
done
[ $fail -eq 0 ] && echo "layers: kernels/ includes nothing of host/ and calls nothing in it" \
  "(${#kernel_objs[@]} kernel objects, $(echo "$defined" | wc -l) host symbols)"
exit $fail

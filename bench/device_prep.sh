#!/usr/bin/env bash
# Prepare the one GPU check (docs/device-check.md), here, on a machine without a GPU:
# fill the git-ignored folder .device/ with what the GPU machine lacks, then print
# the command to run there and the folders to carry.
#
#   bash bench/device_prep.sh
#
# .device/googletest  GoogleTest's sources (Debian's googletest package), built
#                     there by CMake through -DCUBIAS_GTEST_SOURCE: sources, not this
#                     machine's static libraries, so the other compiler's ABI is moot
# .device/commit.txt  the commit and whether the tree had uncommitted changes (the
#                     GPU machine gets a copy of the working tree without .git)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.device
gtest_src=/usr/src/googletest/googletest

if [ ! -f "$gtest_src/CMakeLists.txt" ]; then
  echo "device_prep: $gtest_src missing; installing Debian's googletest package"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq googletest
fi
[ -f "$gtest_src/CMakeLists.txt" ] || { echo "device_prep: FAIL: no GoogleTest sources at $gtest_src" >&2; exit 1; }

rm -rf "$dest/googletest"
mkdir -p "$dest"
cp -r "$gtest_src" "$dest/googletest"

{
  echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "uncommitted_files $(git status --porcelain 2>/dev/null | wc -l)"
  echo "prepared $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$dest/commit.txt"

size=$(du -sk "$dest" | cut -f1)
echo "device_prep: $dest ready (${size} KiB): googletest $(sed -n 's/^set(GOOGLETEST_VERSION \(.*\))/\1/p' "$dest/googletest/CMakeLists.txt"), $(head -1 "$dest/commit.txt")"
echo "carry:   [\".device\"]"
echo "command: bash bench/device_check.sh"
echo "timeout: 540 s (the check ends itself within 480 s, build included)"

#!/usr/bin/env bash
# Install the built cubias into a scratch prefix, then build and run a tiny
# consumer against it both ways: CMake's find_package and pkg-config.
#   run.sh BUILD_DIR SOURCE_DIR C_COMPILER
set -euo pipefail
build=$1 src=$2 cc=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
libdir=$(dirname "$(find "$work/prefix" -name 'libcubias.so*' -o -name 'libcubias.a' | head -1)")

echo "-- find_package(cubias)"
cmake -S "$src/tests/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_C_COMPILER="$cc" > "$work/configure.log"
cmake --build "$work/cmake-build" > "$work/build.log"
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer"

echo "-- pkg-config cubias"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
"$cc" "$src/tests/consumer/main.c" -o "$work/pc-consumer" $(pkg-config --cflags --libs cubias)
LD_LIBRARY_PATH="$libdir" "$work/pc-consumer"

#!/bin/sh
# Extract libfdt's sources from Debian's linux-source tarball into the build directory.
# Its libfdt_env.h is left out: lib/common/include/libfdt_env.h replaces it.
set -eu
tarball=$1
out=$2
if [ ! -f "$tarball" ]; then
    echo "extract-libfdt: $tarball not found (install linux-source-6.1: make deps)" >&2
    exit 1
fi
top=$(basename "$tarball" .tar.xz)
rm -rf "$out"
mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=4 \
    --exclude="$top/scripts/dtc/libfdt/libfdt_env.h" "$top/scripts/dtc/libfdt/"
echo "  extracted libfdt from $tarball"

#!/bin/sh
# Lay out Xen's public headers for one arch under $2/xen: links to Debian's libxen-dev
# headers, plus, for riscv64, our arch-riscv.h shim (Debian's Xen 4.17 has none) and an
# xen.h whose arch dispatch also knows __riscv, as upstream Xen's does.
set -eu
arch=$1
out=$2
src=/usr/include/xen
if [ ! -f "$src/xen.h" ]; then
    echo "xen-headers: $src/xen.h not found (install libxen-dev: make deps)" >&2
    exit 1
fi
rm -rf "$out/xen"
mkdir -p "$out/xen"
for f in "$src"/*; do
    ln -s "$f" "$out/xen/$(basename "$f")"
done
if [ "$arch" = riscv64 ]; then
    here=$(cd "$(dirname "$0")/.." && pwd)
    ln -s "$here/arch/riscv64/include/public/xen/arch-riscv.h" "$out/xen/arch-riscv.h"
    rm "$out/xen/xen.h"
    sed 's|^#include "arch-arm.h"|#include "arch-arm.h"\n#elif defined(__riscv)\n#include "arch-riscv.h"|' \
        "$src/xen.h" > "$out/xen/xen.h"
fi

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn a distribution's vmlinuz into the flat Image the hypervisor loads.

    kernel-image.py ARCH VMLINUZ OUT        (ARCH: riscv64 or arm64)

A flat Image (riscv64, Documentation/arch/riscv/boot-image-header.rst: magic
"RISCV\\0\\0\\0" at 0x30 or "RSC\\x05" at 0x38; arm64, Documentation/arch/arm64/
booting.rst: magic "ARM\\x64" at 0x38; an EFI stub's "MZ" in the first two bytes does not
change that) is copied as it is. A gzip, xz, bzip2 or lzma stream is decompressed and must give
a flat Image. An EFI zboot image ("MZ", then "zimg" at 4: a compressed payload at the
offset and size stored at 8 and 12, its compression named at 24) is unpacked the same
way. Exit status 1 with one line on stderr if the result is no Image of ARCH.
"""
import bz2
import gzip
import lzma
import struct
import sys


ARCH = "riscv64"


def is_image(data):
    if len(data) < 64:
        return False
    if ARCH == "arm64":
        return data[0x38:0x3c] == b"ARM\x64"
    return data[0x30:0x38] == b"RISCV\0\0\0" or data[0x38:0x3c] == b"RSC\x05"


def decompress(data):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:6] == b"\xfd7zXZ\0":
        return lzma.decompress(data, lzma.FORMAT_XZ)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:3] == b"\x5d\0\0":
        return lzma.decompress(data, lzma.FORMAT_ALONE)
    return None


def flat_image(data):
    if is_image(data):
        return data, "flat Image"
    if data[:2] == b"MZ" and data[4:8] == b"zimg":
        off, size = struct.unpack_from("<II", data, 8)
        comp = data[24:32].rstrip(b"\0").decode("ascii", "replace")
        out = decompress(data[off:off + size])
        if out is None:
            raise ValueError(f"EFI zboot image compressed with {comp!r}: not supported")
        return out, f"EFI zboot ({comp})"
    out = decompress(data)
    if out is None:
        raise ValueError(f"neither a {ARCH} Image nor a known compressed stream")
    return out, "compressed"


def main():
    global ARCH
    if len(sys.argv) != 4 or sys.argv[1] not in ("riscv64", "arm64"):
        print("usage: kernel-image.py riscv64|arm64 VMLINUZ OUT", file=sys.stderr)
        return 1
    ARCH = sys.argv.pop(1)
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    try:
        img, how = flat_image(data)
    except (ValueError, OSError, EOFError, lzma.LZMAError) as e:
        print(f"kernel-image: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    if not is_image(img):
        print(f"kernel-image: {sys.argv[1]}: unpacked ({how}) but no {ARCH} Image magic",
              file=sys.stderr)
        return 1
    with open(sys.argv[2], "wb") as f:
        f.write(img)
    print(f"kernel-image: {sys.argv[1]}: {how}, {len(img)} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

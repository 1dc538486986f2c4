#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check a domain image's Linux-style boot header (run by guests.mk after objcopy).

usage: check_image.py ARCH IMAGE TEXT_OFFSET

aarch64: arm64 Image header (Linux Documentation/arch/arm64/booting.rst).
riscv64: RISC-V Image header (Linux Documentation/arch/riscv/boot-image-header.rst).
Exits non-zero, naming the field, if the header is wrong.
"""
import struct
import sys


def fail(msg):
    sys.exit(f"check_image: {sys.argv[2]}: {msg}")


def check_aarch64(img, text_offset):
    code0, code1, toff, size, flags = struct.unpack_from("<IIQQQ", img, 0)
    magic = img[0x38:0x3C]
    if code0 >> 26 != 0b000101:
        fail(f"code0 {code0:#x} is not a B instruction")
    if magic != b"ARM\x64":
        fail(f"magic {magic!r}")
    return toff, size, flags, None


def check_riscv64(img, text_offset):
    code0, code1, toff, size, flags, version = struct.unpack_from("<IIQQQI", img, 0)
    if code0 & 0x7F != 0x6F:
        fail(f"code0 {code0:#x} is not a JAL instruction")
    if img[48:56] != b"RISCV\0\0\0":
        fail(f"magic {img[48:56]!r}")
    if img[56:60] != b"RSC\x05":
        fail(f"magic2 {img[56:60]!r}")
    return toff, size, flags, version


def main():
    arch, path, text_offset = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
    img = open(path, "rb").read()
    if len(img) < 64:
        fail("shorter than its header")
    toff, size, flags, version = {"aarch64": check_aarch64, "riscv64": check_riscv64}[arch](
        img, text_offset
    )
    if toff != text_offset:
        fail(f"text_offset {toff:#x}, want {text_offset:#x}")
    if size < len(img) or size % 4096:
        fail(f"image_size {size:#x} (file {len(img):#x}): must cover the file, page multiple")
    if arch == "aarch64" and flags != 0x2:
        fail(f"flags {flags:#x}, want 0x2")
    if arch == "riscv64" and (flags != 0 or version != 0x2):
        fail(f"flags {flags:#x} / version {version:#x}, want 0 / 0x2")


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: MIT
"""Helpers for the toolstack tests: fake kernel images, config files, and running
toolstack/bh-boot as a command (with a fake QEMU on PATH when QEMU must not start)."""
import os
import shutil
import struct
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "toolstack"))
BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
MiB = 1 << 20


def arm64_image(text_offset=0, image_size=2 * MiB, body=4096):
    """An arm64 Image: the Linux boot header (booting.rst) and @body zero bytes."""
    h = bytearray(64)
    struct.pack_into("<QQQ", h, 8, text_offset, image_size, 0xa)
    h[56:60] = b"ARM\x64"
    return bytes(h) + bytes(body)


def riscv_image(text_offset=0x200000, image_size=3 * MiB, body=4096):
    """A RISC-V Image: header with both magics (Documentation/arch/riscv/boot-image-header)."""
    h = bytearray(64)
    struct.pack_into("<QQQ", h, 8, text_offset, image_size, 0)
    h[48:56] = b"RISCV\0\0\0"
    h[56:60] = b"RSC\x05"
    return bytes(h) + bytes(body)


class Workspace:
    """A temporary directory with kernels, ramdisks and configs."""

    def __init__(self, path):
        self.path = str(path)

    def file(self, name, data):
        p = os.path.join(self.path, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return p

    def cfg(self, name, text):
        """Write config @name; return its path relative to the workspace (as a user
        would type it with the workspace as current directory)."""
        self.file(name, text)
        return name

    def std(self):
        """Default kernels and a ramdisk."""
        self.file("Image-aarch64", arm64_image())
        self.file("Image-riscv64", riscv_image())
        self.file("initrd", b"R" * 100000)


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path)
    w.std()
    return w


class Run:
    def __init__(self, cp, qemu_started):
        self.rc, self.out, self.err = cp.returncode, cp.stdout, cp.stderr
        self.qemu_started = qemu_started


@pytest.fixture
def bh_boot(ws, tmp_path):
    """bh_boot(*args, fake_qemu=True) -> Run: run toolstack/bh-boot in the workspace.

    With fake_qemu, `qemu-system-*` on PATH is a script that records that it ran and
    fails, so a test can prove that QEMU was never started.
    """
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    marker = tmp_path / "qemu-started"
    for arch in ("aarch64", "riscv64"):
        q = bindir / f"qemu-system-{arch}"
        q.write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\nexit 99\n")
        q.chmod(0o755)
    image = ws.file("bulkhead.bin", b"\0" * 4096)

    def _run(*args, fake_qemu=True, image_arg=True, timeout=300):
        env = dict(os.environ)
        if fake_qemu:
            env["PATH"] = f"{bindir}:{env['PATH']}"
        argv = [PYTHON, BH_BOOT] + (["--image", image] if image_arg else []) + list(args)
        cp = subprocess.run(argv, cwd=ws.path, env=env, capture_output=True, text=True,
                            timeout=timeout)
        return Run(cp, marker.exists())

    return _run


def have_qemu(arch):
    return shutil.which(f"qemu-system-{arch}") is not None


def hyp_image(arch):
    return os.path.join(BUILD, arch, "bulkhead.bin")


def fdtget(dtb, node, prop, typ="x"):
    """fdtget's words (hex ints for typ x, a string for typ s), or None if absent."""
    r = subprocess.run(["fdtget", "-t", typ, dtb, node, prop], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    if typ == "s":
        return r.stdout.rstrip("\n")
    return [int(w, 16) for w in r.stdout.split()]


def fdt_children(dtb, node):
    r = subprocess.run(["fdtget", "-l", dtb, node], capture_output=True, text=True, check=True)
    return r.stdout.split()


def u64(words):
    assert len(words) == 2
    return (words[0] << 32) | words[1]


def hello_image(arch, msg):
    """A tiny guest kernel with a Linux Image header: it writes @msg with the Xen
    console_io hypercall (CONSOLEIO_write), then powers its domain off (PSCI SYSTEM_OFF
    over HVC #0 on aarch64, SBI SRST shutdown on riscv64). Position independent; the
    hypercall conventions are docs/abi-riscv.md's and Xen's on Arm."""
    data = (msg + "\n").encode()
    n = len(data)
    if arch == "aarch64":
        code = [0x10000122,               # adr x2, msg (9 instructions on)
                0xd2800001 | n << 5,      # mov x1, #len
                0xd2800000,               # mov x0, #CONSOLEIO_write
                0xd2800250,               # mov x16, #__HYPERVISOR_console_io (18)
                0xd401d422,               # hvc #0xea1
                0xd2800100,               # mov x0, #0x0008
                0xf2b08000,               # movk x0, #0x8400, lsl #16: SYSTEM_OFF
                0xd4000002,               # hvc #0
                0x14000000]               # b .
        head = arm64_image(text_offset=0, image_size=2 * MiB, body=0)
        head = struct.pack("<II", 0x14000010, 0) + head[8:]   # code0: b +64
    else:
        code = [0x00000617,               # auipc a2, 0
                (60 << 20) | 0x60613,     # addi a2, a2, 60: msg (15 instructions on)
                (n << 20) | 0x593,        # li a1, len
                0x00000513,               # li a0, CONSOLEIO_write
                0x01200813,               # li a6, __HYPERVISOR_console_io (18)
                0x0a0018b7,               # lui a7, 0x0a001
                0xea188893,               # addi a7, a7, -0x15f: 0x0a000ea1
                0x00000073,               # ecall
                0x535258b7,               # lui a7, 0x53525
                0x35488893,               # addi a7, a7, 0x354: SRST 0x53525354
                0x00000813,               # li a6, 0: system_reset
                0x00000513,               # li a0, 0: shutdown
                0x00000593,               # li a1, 0: no reason
                0x00000073,               # ecall
                0x0000006f]               # j .
        head = riscv_image(text_offset=0x200000, image_size=2 * MiB, body=0)
        head = struct.pack("<II", 0x0400006f, 0) + head[8:]   # code0: j +64
    assert len(head) == 64
    return head + struct.pack(f"<{len(code)}I", *code) + data

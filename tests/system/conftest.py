# SPDX-License-Identifier: MIT
"""Fixtures for the system tests: boot the hypervisor on QEMU, keep the console log.

Every run has a timeout; the console of every run is written to
build/test-logs/<test>.log, and a failing test prints that path.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "toolstack"))

import bhqemu  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
LOG_DIR = os.path.join(BUILD, "test-logs")
ARCHES = ["aarch64", "riscv64"]
BOOT_TIMEOUT = 90


def image(arch):
    path = os.path.join(BUILD, arch, "bulkhead.bin")
    if not os.path.isfile(path):
        pytest.fail(f"{path} missing: run `make images` first")
    return path


def shim(arch):
    path = os.path.join(BUILD, arch, "test", "dtshim.elf")
    if not os.path.isfile(path):
        pytest.fail(f"{path} missing: run `make images` first")
    return path


def _log_name(request):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log"


@pytest.fixture
def boot(request):
    """boot(arch, **qemu_argv options) -> bhqemu.Result, console logged."""
    runs = []

    def _boot(arch, timeout=BOOT_TIMEOUT, **kw):
        if "dtb" in kw:
            kw["shim"] = shim(arch)
        argv = bhqemu.qemu_argv(arch, image(arch), **kw)
        log = os.path.join(LOG_DIR, _log_name(request))
        result = bhqemu.run(argv, timeout=timeout, echo=False, log_path=log)
        runs.append(log)
        return result

    yield _boot
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for log in runs:
            print(f"\nconsole log kept: {log}")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


# ---- device trees for the bad-input tests ----

def _fdt(tool, *args):
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout


def _nodes(dtb, path="/"):
    """All node paths below @path (depth-first)."""
    out = []
    for name in _fdt("fdtget", "-l", dtb, path).split():
        child = path.rstrip("/") + "/" + name
        out.append(child)
        out += _nodes(dtb, child)
    return out


def _prop(dtb, node, prop):
    r = subprocess.run(["fdtget", "-t", "s", dtb, node, prop], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


@pytest.fixture(scope="session")
def board_dtb(tmp_path_factory):
    """dtb(arch): QEMU's own device tree for the board, as the hypervisor gets it."""
    cache = {}

    def _get(arch):
        if arch not in cache:
            path = str(tmp_path_factory.mktemp(arch) / "board.dtb")
            argv = bhqemu.qemu_argv(arch, image(arch))
            m = argv.index("-M")
            argv[m + 1] += f",dumpdtb={path}"
            subprocess.run(argv, check=True, capture_output=True, timeout=60)
            cache[arch] = path
        return cache[arch]

    return _get


@pytest.fixture
def bad_dtb(board_dtb, tmp_path):
    """bad_dtb(arch, kind) -> path of a broken variant of the board's device tree."""

    def _make(arch, kind):
        src = board_dtb(arch)
        dst = str(tmp_path / f"{kind}.dtb")
        shutil.copy(src, dst)
        nodes = _nodes(dst)
        if kind == "no-memory":
            for n in nodes:
                if _prop(dst, n, "device_type") == "memory":
                    _fdt("fdtput", "-r", dst, n)
        elif kind == "no-uart":
            for n in nodes:
                compat = _prop(dst, n, "compatible") or ""
                if "pl011" in compat or "ns16550" in compat:
                    _fdt("fdtput", "-r", dst, n)
            _fdt("fdtput", "-d", dst, "/chosen", "stdout-path")
        elif kind in ("bad-magic", "bad-structure", "garbage"):
            with open(dst, "r+b") as f:
                blob = bytearray(f.read())
                if kind == "bad-magic":
                    blob[0:4] = b"\x0b\xad\xf0\x0d"
                elif kind == "bad-structure":
                    off = int.from_bytes(blob[8:12], "big")  # off_dt_struct
                    blob[off:off + 4] = b"\xde\xad\xbe\xef"  # first token: not BEGIN_NODE
                else:
                    blob[:] = bytes((i * 37 + 11) & 0xff for i in range(4096))
                f.seek(0)
                f.write(blob)
                f.truncate()
        else:
            raise ValueError(kind)
        return dst

    return _make

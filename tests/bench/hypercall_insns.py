#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instructions the hypervisor executes per null hypercall (xen_version), per arch.

A guest (tests/guests, mode `bench`) calls xen_version(XENVER_version) N times; the same
guest with N = 0 is the baseline. Both run under -icount shift=0 with the TCG plugin
tests/bench/insn_count.c counting the instructions fetched from the hypervisor image, so
(count(N) - count(0)) / N is the cost of one call from trap to return, timer ticks and
scheduling included. Target (../shared/ARCHITECTURE.md): 150 or fewer.

On aarch64 the same guest also runs on Debian's Xen 4.17 (mk/fetch-xen.sh), booted on
the same QEMU board in dom0less mode without a dom0 from the same xl.cfg through
bhboot's Xen-style domain nodes, and is measured the same way; Xen relocates itself at
boot, so its instructions are matched by virtual address (its link range). If Xen cannot
be fetched or booted, a line says why and Bulkhead's figures are printed anyway.
"""
import os
import re
import selectors
import shutil
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "toolstack"))

import bhqemu  # noqa: E402
from bhboot import cli, guestdt, hostdt  # noqa: E402
from boot_insns import PLUGIN, image_range  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
CALLS = 20000


def bench_cfg(arch, calls, workdir, extra=None, vcpus=1):
    """A one-guest config: test=bench n=@calls, or @extra (which names its own n)."""
    cfg = os.path.join(workdir, f"bench{calls}.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "bench"\nkernel = "{os.path.join(BUILD, arch, "guests", "testguest.bin")}"\n'
                f'memory = 16\nvcpus = {vcpus}\nstubdom = 0\nextra = "{extra or f"test=bench n={calls}"}"\n')
    return cfg


def hyp_insns(arch, calls, workdir):
    cfg = bench_cfg(arch, calls, workdir)
    lo, hi = image_range(arch)
    args = cli._args(["--arch", arch, "--smp", "1", "--icount",
                      "--plugin", f"{PLUGIN},lo={lo:#x},hi={hi:#x}", cfg])
    _, argv = cli.prepare(args, workdir)
    log = os.path.join(workdir, f"plugin{calls}.log")
    r = bhqemu.run(argv + ["-d", "plugin", "-D", log], timeout=300, echo=False)
    if r.status != bhqemu.EXIT_OK or f"BENCH done {calls}" not in r.output:
        sys.exit(f"hypercall_insns: {arch} run failed (status {r.status}):\n{r.output}")
    with open(log, encoding="utf-8") as f:
        m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    return int(m.group(2))


# ---- the Xen 4.17 baseline (aarch64) ----

XEN_BOOTARGS = "console=dtuart dtuart=/pl011@9000000 bootscrub=0 guest_loglvl=all"
# Xen 4.17 on arm64 runs at its link address XEN_VIRT_START (xen/arch/arm/include/asm/
# config.h: 2 MiB; 4.18 moved it to 0x00000a0000000000), wherever it sits physically.
XEN_VIRT_START = 0x200000


class Unavailable(Exception):
    """The Xen baseline cannot be measured here; the message says why."""


def fetch_xen():
    """The path of Debian's Xen 4.17 arm64 image, fetched by mk/fetch-xen.sh."""
    try:
        r = subprocess.run(["sh", os.path.join(TOP, "mk", "fetch-xen.sh"),
                            os.path.join(BUILD, "xen")],
                           capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unavailable(f"mk/fetch-xen.sh: {e}") from None
    if r.returncode != 0:
        why = r.stderr.strip().splitlines()
        raise Unavailable(why[-1] if why else f"mk/fetch-xen.sh failed ({r.returncode})")
    return r.stdout.strip().splitlines()[-1]


def xen_range(image):
    """[vlo, vhi) of Xen's code: its link address, plus the image size from the arm64
    Image header (offset 16)."""
    with open(image, "rb") as f:
        hdr = f.read(64)
    if len(hdr) < 64 or hdr[56:60] != b"ARM\x64":
        raise Unavailable(f"{image}: not an arm64 Image")
    size = struct.unpack_from("<Q", hdr, 16)[0]
    return XEN_VIRT_START, XEN_VIRT_START + size


def run_until(argv, done, timeout, settle=1.0):
    """Run QEMU until @done appears on its console, let it idle @settle s more, then stop
    it with SIGTERM (QEMU quits cleanly, so plugins print their at-exit output). Xen
    without a dom0 never powers the board off: this is how its runs end. The idle Xen
    executes no instructions under -icount, so the counts do not depend on @settle."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    out, start, seen = b"", time.monotonic(), None
    while True:
        now = time.monotonic()
        if now - start > timeout or (seen is not None and now - seen > settle):
            break
        if sel.select(timeout=0.2):
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                break
            out += data
            if seen is None and done.encode() in out:
                seen = time.monotonic()
    proc.terminate()
    try:
        rest, _ = proc.communicate(timeout=30)
        out += rest or b""
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return seen is not None, out.decode("utf-8", "replace")


def xen_insns(xen, calls, workdir, extra=None, vcpus=1):
    """Instructions Xen executes while the test guest makes @calls xen_version calls (or
    runs @extra's test until `BENCH done @calls`, tests/bench/vcpu_insns.py)."""
    arch = "aarch64"
    cfg = bench_cfg(arch, calls, workdir, extra, vcpus)
    args = cli._args(["--arch", arch, "--smp", "1", "--image", xen, cfg])
    guests, errors = cli.load_guests(args.configs, arch, args.smp)
    if errors:
        raise Unavailable("; ".join(str(e) for e in errors))
    domains = []
    for i, g in enumerate(guests, 1):
        p = guestdt.place(arch, g)
        domains.append(hostdt.Domain(i, g, p, guestdt.build_guest_dtb(arch, g, p, workdir)))
    hostdt.place_modules(domains, int(args.board["RAM_BASE"], 0), args.mem * guestdt.MiB)
    mem = f"{args.mem}M"
    board_dtb = os.path.join(workdir, f"xen-board{calls}.dtb")
    hostdt.dump_board_dtb(bhqemu.qemu_argv(arch, xen, smp=1, mem=mem), board_dtb)
    host_dtb = os.path.join(workdir, f"xen-host{calls}.dtb")
    hostdt.build_host_dtb(board_dtb, domains, host_dtb, node_dts=hostdt.xen_domain_node_dts,
                          xen_bootargs=XEN_BOOTARGS)
    extra = ["-dtb", host_dtb]
    for d in domains:
        for m in d.modules:
            if m.kind != "device-tree":  # Xen builds the guest's device tree itself
                extra += ["-device", f"loader,file={hostdt.qemu_escape(m.path)},"
                          f"addr={m.host_addr:#x},force-raw=on"]
    vlo, vhi = xen_range(xen)
    log = os.path.join(workdir, f"xen-plugin{calls}.log")
    argv = bhqemu.qemu_argv(arch, xen, smp=1, mem=mem, icount=True,
                            plugin=f"{PLUGIN},vlo={vlo:#x},vhi={vhi:#x}",
                            extra=extra + ["-d", "plugin", "-D", log])
    done, output = run_until(argv, f"BENCH done {calls}", timeout=300)
    if not done:
        tail = "\n".join(output.strip().splitlines()[-5:])
        raise Unavailable(f"the guest did not finish on Xen (no 'BENCH done {calls}'); "
                          f"console ends with:\n{tail}")
    try:
        with open(log, encoding="utf-8") as f:
            m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    except OSError:
        m = None
    if not m or int(m.group(2)) == 0:
        raise Unavailable("the plugin counted nothing in Xen's range "
                          f"[{vlo:#x}, {vhi:#x}) (not Xen 4.17's layout?)")
    return int(m.group(2))


def xen_per_call(workdir):
    xen = fetch_xen()
    return (xen_insns(xen, CALLS, workdir) - xen_insns(xen, 0, workdir)) / CALLS


def main():
    print(f"null hypercall (xen_version): instructions in the hypervisor per call, "
          f"{CALLS} calls, -icount shift=0")
    for arch in ("aarch64", "riscv64"):
        workdir = tempfile.mkdtemp(prefix="bh-bench-")
        try:
            base = hyp_insns(arch, 0, workdir)
            loaded = hyp_insns(arch, CALLS, workdir)
            ours = (loaded - base) / CALLS
            xen, why = None, None
            if arch == "aarch64":
                try:
                    xen = xen_per_call(workdir)
                except Unavailable as e:
                    why = str(e)
                except Exception as e:  # noqa: BLE001 -- the baseline must not stop the run
                    why = f"{type(e).__name__}: {e}"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if xen is not None:
            print(f"  {arch:8} bulkhead {ours:6.1f}   xen-4.17 {xen:6.1f}   "
                  f"ratio {ours / xen:.2f}   (target <= 150)")
        else:
            print(f"  {arch:8} bulkhead {ours:6.1f}   (target <= 150)")
            if why:
                print(f"  {arch:8} Xen baseline: not available: {why}")


if __name__ == "__main__":
    main()

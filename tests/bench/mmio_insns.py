#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instructions per emulated MMIO round trip through a stub domain, per arch.

A guest (tests/guests/ioreq.c, `mmio-client`) reads its stub's device n times; its stub
domain (`stub-echo`) answers each read through the ioreq page and event channels
(docs/ioreq.md). Both run on one CPU under -icount shift=0 with the TCG plugin
(tests/bench/insn_count.c) counting every instruction and those fetched from the
hypervisor image; the same pair with n = 0 is the baseline, so (count(n) - count(0)) / n
is one round trip guest -> hypervisor -> stub -> hypervisor -> guest: the guest's load,
the stub's device model and event-loop, and the hypervisor's part (trap, decode,
forward, two event channels, scheduling, completion). Target (ARCHITECTURE.md): 3,000
or fewer instructions in all.

On aarch64 the stub sleeps in WFI until the event-channel upcall (PPI 31); riscv64 has
no upcall interrupt yet (docs/abi-riscv.md), so its stub yields between looks at its
port, which the figure includes.

`mmio_insns.py --profile ARCH...` prints the hypervisor's part per function instead
(the plugin's hist= per-block counts, as vcpu_insns.py --profile).
"""
import os
import re
import shutil
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "toolstack"))

import bhqemu  # noqa: E402
from bhboot import cli  # noqa: E402
from boot_insns import PLUGIN, image_range  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
N = 2000
TARGET = 3000


def counts(arch, n, workdir, hist=None):
    kernel = os.path.join(BUILD, arch, "guests", "testguest.bin")
    guest = os.path.join(workdir, f"guest{n}.cfg")
    stub = os.path.join(workdir, f"stub{n}.cfg")
    with open(guest, "w", encoding="utf-8") as f:
        f.write(f'name = "client"\nkernel = "{kernel}"\nmemory = 16\n'
                f'extra = "test=mmio-client n={n} irq=off"\n')
    with open(stub, "w", encoding="utf-8") as f:
        f.write(f'name = "stub"\nkernel = "{kernel}"\nmemory = 8\nrole = "stub"\n'
                f'stub_of = "client"\nextra = "test=stub-echo target=1"\n')
    lo, hi = image_range(arch)
    args = cli._args(["--arch", arch, "--smp", "1", "--icount",
                      "--plugin", f"{PLUGIN},lo={lo:#x},hi={hi:#x}" + (f",hist={hist}" if hist else ""),
                      guest, stub])
    _, argv = cli.prepare(args, workdir)
    log = os.path.join(workdir, f"plugin-{arch}-{n}.log")
    r = bhqemu.run(argv + ["-d", "plugin", "-D", log], timeout=600, echo=False)
    if r.status != bhqemu.EXIT_OK or f"BENCH mmio-end n={n}" not in r.output:
        sys.exit(f"mmio_insns: {arch} run failed (status {r.status}):\n{r.output[-3000:]}")
    with open(log, encoding="utf-8") as f:
        m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    return int(m.group(1)), int(m.group(2))


def profile(arch, workdir):
    """Where the hypervisor's part goes, per function (vcpu_insns.py's method)."""
    from vcpu_insns import functions, hist_by_function  # noqa: E402

    syms, per = functions(arch), []
    for n in (N, 0):
        hist = os.path.join(workdir, f"hist-{arch}-{n}.txt")
        counts(arch, n, workdir, hist)
        per.append(hist_by_function(hist, syms))
    diff = {f: (per[0].get(f, 0) - per[1].get(f, 0)) / N for f in set(per[0]) | set(per[1])}
    print(f"{arch} mmio: {sum(diff.values()):.1f} hypervisor instructions per round trip")
    for f, v in sorted(diff.items(), key=lambda kv: -abs(kv[1])):
        if abs(v) >= 0.5:
            print(f"  {v:8.1f}  {f}")


def main():
    arches = sys.argv[1:] or ["aarch64", "riscv64"]
    if arches[0] == "--profile":
        workdir = tempfile.mkdtemp(prefix="bh-mmio-")
        try:
            for arch in arches[1:]:
                profile(arch, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    print(f"MMIO round trip guest -> stub domain -> guest, n={N}, 1 CPU, -icount shift=0 "
          f"(target <= {TARGET} instructions)")
    workdir = tempfile.mkdtemp(prefix="bh-mmio-")
    try:
        for arch in arches:
            t1, h1 = counts(arch, N, workdir)
            t0, h0 = counts(arch, 0, workdir)
            total, hyp = (t1 - t0) / N, (h1 - h0) / N
            print(f"  {arch:8} {total:8.0f} instructions per round trip, {hyp:6.0f} of them "
                  f"in the hypervisor{'' if total <= TARGET else '  (over target)'}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

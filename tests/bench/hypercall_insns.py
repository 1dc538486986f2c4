#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instructions the hypervisor executes per null hypercall (xen_version), per arch.

A guest (tests/guests, mode `bench`) calls xen_version(XENVER_version) N times; the same
guest with N = 0 is the baseline. Both run under -icount shift=0 with the TCG plugin
tests/bench/insn_count.c counting the instructions fetched from the hypervisor image, so
(count(N) - count(0)) / N is the cost of one call from trap to return, timer ticks and
scheduling included. Target (../shared/ARCHITECTURE.md): 150 or fewer.
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
CALLS = 20000


def hyp_insns(arch, calls, workdir):
    cfg = os.path.join(workdir, f"bench{calls}.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "bench"\nkernel = "{os.path.join(BUILD, arch, "guests", "testguest.bin")}"\n'
                f'memory = 16\nextra = "test=bench n={calls}"\n')
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


def main():
    print(f"null hypercall (xen_version): instructions in the hypervisor per call, "
          f"{CALLS} calls, -icount shift=0")
    for arch in ("aarch64", "riscv64"):
        workdir = tempfile.mkdtemp(prefix="bh-bench-")
        try:
            base = hyp_insns(arch, 0, workdir)
            loaded = hyp_insns(arch, CALLS, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"  {arch:8} {(loaded - base) / CALLS:8.1f}   (target <= 150)")


if __name__ == "__main__":
    main()

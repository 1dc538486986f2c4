#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instructions the hypervisor executes per vCPU-platform operation on aarch64.

The test guest's `vbench` mode (tests/guests/a64.c) repeats one operation n times: an
IPI to itself (trapped ICC_SGI1R_EL1, list register, taken, EOI), an emulated GIC
register read (GICD_TYPER: stage-2 abort, decode, emulate), a virtual timer interrupt
due at once (PPI 27 at EL2, masked, injected), a WFI that blocks until a timer 20 us
ahead wakes the vCPU (block, idle, hypervisor timer, wake, reload). As
hypercall_insns.py does: -icount shift=0, one CPU, the TCG plugin counting instructions
fetched from the hypervisor image; (count(n) - count(0)) / n per operation.
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
OPS = [("ipi", "IPI to itself (SGI trap, inject, take, EOI)"),
       ("gicread", "emulated GIC register read (GICD_TYPER)"),
       ("timer", "virtual timer interrupt (PPI 27 at EL2, inject)"),
       ("wfi", "WFI block and timer wake-up")]


def hyp_insns(op, n, workdir):
    arch = "aarch64"
    cfg = os.path.join(workdir, f"{op}{n}.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "vbench"\nkernel = "{os.path.join(BUILD, arch, "guests", "testguest.bin")}"'
                f'\nmemory = 16\nstubdom = 0\nextra = "test=vbench op={op} n={n}"\n')
    lo, hi = image_range(arch)
    args = cli._args(["--arch", arch, "--smp", "1", "--icount",
                      "--plugin", f"{PLUGIN},lo={lo:#x},hi={hi:#x}", cfg])
    _, argv = cli.prepare(args, workdir)
    log = os.path.join(workdir, f"plugin-{op}{n}.log")
    r = bhqemu.run(argv + ["-d", "plugin", "-D", log], timeout=300, echo=False)
    if r.status != bhqemu.EXIT_OK or f"BENCH done {n}" not in r.output:
        sys.exit(f"vcpu_insns: {op} run failed (status {r.status}):\n{r.output[-3000:]}")
    with open(log, encoding="utf-8") as f:
        m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    return int(m.group(2))


def main():
    print(f"aarch64 vCPU platform: instructions in the hypervisor per operation, n={N}, "
          "-icount shift=0")
    workdir = tempfile.mkdtemp(prefix="bh-vbench-")
    try:
        for op, what in OPS:
            per = (hyp_insns(op, N, workdir) - hyp_insns(op, 0, workdir)) / N
            print(f"  {op:8} {per:8.1f}   {what}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

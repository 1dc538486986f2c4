#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instructions the hypervisor executes per vCPU-platform operation, on both arches.

The test guest's `pbench` mode (tests/guests/bench.c) repeats one operation n times. As
hypercall_insns.py does: -icount shift=0, the TCG plugin counting instructions fetched
from the hypervisor image (every CPU); (count(n) - count(0)) / n per operation.

  ctxsw     a vCPU context switch: two vCPUs of one domain on one CPU yield to each other
            (per switch: half of a round, less one SCHEDOP_yield with nobody to switch to)
  ipi       an IPI to itself (the trapped ICC_SGI1R_EL1 / SBI IPI call, the injection)
            until its handler ran. Between two busy CPUs nothing can be measured under
            -icount: QEMU runs the CPUs round-robin, and one spinning keeps the other from
            running for up to 100 ms of virtual time, so such runs do not end in time
  timer     a virtual timer interrupt due at once, expiry to the handler (riscv64: SBI TIME;
            timer-sstc: the guest's stimecmp, which the hart delivers without the hypervisor)
  irqcread  an emulated interrupt-controller register read (GICD_TYPER / PLIC priority)
  eoi       an end of interrupt as the guest writes it (aarch64: ICC_EOIR1_EL1, taken by the
            GIC's virtual CPU interface without a trap; riscv64: a PLIC completion, MMIO)
  wfi       a WFI that blocks until a timer 20 us ahead wakes the vCPU
  evtchn    an event-channel notify round trip between two domains on one CPU, each
            yielding until its pending bit is set (the `evbench` mode): two EVTCHNOP_send,
            two SCHEDOP_yield and two vCPU switches

`vcpu_insns.py [ARCH...]` (default both); BENCH_N sets n (default 2000).
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
from hypercall_insns import Unavailable, fetch_xen, xen_insns  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
N = int(os.environ.get("BENCH_N", "2000"))

# name: (pbench op, extra bootargs, host CPUs, vCPUs, what)
RUNS = {
    "ipi": ("ipi", "", 1, 1, "IPI to itself, send to handler"),
    "timer": ("timer", "", 1, 1, "virtual timer interrupt, expiry to handler"),
    "timer-sstc": ("timer", "sstc=1", 1, 1, "timer through the guest's stimecmp (Sstc)"),
    "irqcread": ("irqcread", "", 1, 1, "emulated interrupt-controller register read"),
    "eoi": ("eoi", "", 1, 1, "end of interrupt as the guest writes it"),
    "wfi": ("wfi", "", 1, 1, "WFI block and timer wake-up"),
    "yield": ("yield", "", 1, 1, "SCHEDOP_yield, nobody to switch to"),
    "yield2": ("yield", "peer=1", 1, 2, "two vCPUs yielding to each other on one CPU"),
    "evtchn": (None, "", 1, 1, "event-channel round trip, two domains on one CPU (2 sends, "
                               "2 yields, 2 switches)"),
}
ROWS = {
    "aarch64": ["ctxsw", "ipi", "timer", "irqcread", "eoi", "wfi", "evtchn"],
    "riscv64": ["ctxsw", "ipi", "timer", "timer-sstc", "irqcread", "eoi", "wfi", "evtchn"],
}
TARGETS = {"ctxsw": 1500, "ipi": 2000, "timer": 1000, "evtchn-notify": 1000}
WHAT_CTXSW = "vCPU context switch (yield round / 2 - lone yield)"


def guest_cfg(workdir, arch, fname, vcpus, extra):
    cfg = os.path.join(workdir, fname)
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "{fname.split(".")[0]}"\n'
                f'kernel = "{os.path.join(BUILD, arch, "guests", "testguest.bin")}"\n'
                f'memory = 16\nvcpus = {vcpus}\nstubdom = 0\nextra = "{extra}"\n')
    return cfg


def hyp_insns(arch, name, n, workdir):
    if name == "evtchn":
        # Two domains on one CPU, d1 offers and d2 binds.
        smp, done = 1, 2
        cfgs = [guest_cfg(workdir, arch, f"offer{n}.cfg", 1,
                          f"test=evbench role=offer peer=2 n={n}"),
                guest_cfg(workdir, arch, f"bind{n}.cfg", 1,
                          f"test=evbench role=bind peer=1 n={n}")]
    else:
        op, extra, smp, vcpus, _ = RUNS[name]
        done = 1
        cfgs = [guest_cfg(workdir, arch, f"pbench-{name}{n}.cfg", vcpus,
                          f"test=pbench op={op} n={n} {extra}")]
    lo, hi = image_range(arch)
    args = cli._args(["--arch", arch, "--smp", str(smp), "--icount",
                      "--plugin", f"{PLUGIN},lo={lo:#x},hi={hi:#x}"] + cfgs)
    _, argv = cli.prepare(args, workdir)
    log = os.path.join(workdir, f"plugin-{arch}-{name}{n}.log")
    r = bhqemu.run(argv + ["-d", "plugin", "-D", log], timeout=300, echo=False)
    if r.status != bhqemu.EXIT_OK or r.output.count(f"BENCH done {n}") != done:
        sys.exit(f"vcpu_insns: {arch} {name} run failed (status {r.status}):\n{r.output[-3000:]}")
    with open(log, encoding="utf-8") as f:
        m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    return int(m.group(2))


def per_op(arch, name, workdir):
    return (hyp_insns(arch, name, N, workdir) - hyp_insns(arch, name, 0, workdir)) / N


class Xen:
    """The same pbench runs on Xen 4.17 (aarch64; hypercall_insns.py boots it), once
    available; after the first failure every figure is left out, with the reason."""

    def __init__(self, arch, workdir):
        self.workdir, self.why, self.xen = workdir, None, None
        if arch != "aarch64":
            self.why = "Xen 4.17 baseline: aarch64 only"
            return
        try:
            self.xen = fetch_xen()
        except Exception as e:  # noqa: BLE001 -- the baseline must not stop the run
            self.why = f"Xen 4.17 baseline: not available: {e}"

    def per_op(self, name):
        if not self.xen:
            return None
        op, extra, _, vcpus, _ = RUNS[name]
        try:
            counts = [xen_insns(self.xen, n, self.workdir,
                                f"test=pbench op={op} n={n} {extra}", vcpus) for n in (N, 0)]
        except Exception as e:  # noqa: BLE001
            self.why = f"Xen 4.17 baseline: not available: {e}"
            self.xen = None
            return None
        return (counts[0] - counts[1]) / N


def row(name, per, what, xen=None):
    target = TARGETS.get(name)
    verdict = f"   target <= {target}: {'met' if per <= target else 'MISSED'}" if target else ""
    theirs = f"   xen-4.17 {xen:8.1f}  ratio {per / xen:4.2f}" if xen else ""
    print(f"  {name:13} {per:8.1f}   {what}{verdict}{theirs}")


def main():
    arches = sys.argv[1:] or ["aarch64", "riscv64"]
    workdir = tempfile.mkdtemp(prefix="bh-vbench-")
    try:
        for arch in arches:
            print(f"{arch} vCPU platform: instructions in the hypervisor per operation, n={N}, "
                  "-icount shift=0")
            xen = Xen(arch, workdir)
            for name in ROWS[arch]:
                if name == "ctxsw":
                    lone = per_op(arch, "yield", workdir)
                    yield_round = per_op(arch, "yield2", workdir)
                    xl, xr = xen.per_op("yield"), xen.per_op("yield2")
                    row(name, yield_round / 2 - lone, WHAT_CTXSW,
                        xr / 2 - xl if xl is not None and xr is not None else None)
                elif name == "evtchn":
                    per = per_op(arch, name, workdir)
                    row(name, per, RUNS[name][4])
                    row("evtchn-notify", per - yield_round,
                        "its two sends alone (evtchn less a yield round)")
                else:
                    row(name, per_op(arch, name, workdir), RUNS[name][4], xen.per_op(name))
            if xen.why:
                print(f"  {xen.why}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

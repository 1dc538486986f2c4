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
  wake      an event-channel round trip between two domains blocked on two CPUs (the `wake`
            mode, 2 CPUs): each send wakes a vCPU sleeping on the other CPU (WFI on aarch64,
            SCHEDOP_block on riscv64), which leaves its idle loop on the kick, runs,
            answers and sleeps again; both CPUs' instructions count

`vcpu_insns.py [ARCH...]` (default both); BENCH_N sets n (default 2000).
`vcpu_insns.py --profile ARCH OP...` (OP: a name above, or yield/yield2) instead prints, per
operation, where its instructions go: per function of the hypervisor image, from the
plugin's per-block counts (hist=), (count(n) - count(0)) / n as above; BENCH_BLOCKS=f,g
also lists the blocks of functions f and g with their source lines.
"""
import bisect
import os
import re
import shutil
import subprocess
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
    "wake": (None, "", 2, 1, "event round trip, two domains blocked on two CPUs (2 sends, "
                             "2 cross-CPU wake-ups)"),
}
ROWS = {
    "aarch64": ["ctxsw", "ipi", "timer", "irqcread", "eoi", "wfi", "evtchn", "wake"],
    "riscv64": ["ctxsw", "ipi", "timer", "timer-sstc", "irqcread", "eoi", "wfi", "evtchn", "wake"],
}
TARGETS = {"ctxsw": 1500, "ipi": 2000, "timer": 1000, "evtchn-notify": 1000}
WHAT_CTXSW = "vCPU context switch (yield round / 2 - lone yield)"


def guest_cfg(workdir, arch, fname, vcpus, extra, cpus=None):
    cfg = os.path.join(workdir, fname)
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "{fname.split(".")[0]}"\n'
                f'kernel = "{os.path.join(BUILD, arch, "guests", "testguest.bin")}"\n'
                f'memory = 16\nvcpus = {vcpus}\nstubdom = 0\nextra = "{extra}"\n' +
                (f'cpus = "{cpus}"\n' if cpus is not None else ""))
    return cfg


def hyp_insns(arch, name, n, workdir, hist=None):
    if name == "evtchn":
        # Two domains on one CPU, d1 offers and d2 binds.
        smp, done = 1, 2
        cfgs = [guest_cfg(workdir, arch, f"offer{n}.cfg", 1,
                          f"test=evbench role=offer peer=2 n={n}"),
                guest_cfg(workdir, arch, f"bind{n}.cfg", 1,
                          f"test=evbench role=bind peer=1 n={n}")]
    elif name == "wake":
        # d1 serves on CPU 1, d2 pings from CPU 0 (tests/guests/wake.c).
        smp, done = 2, 2
        cfgs = [guest_cfg(workdir, arch, f"serve{n}.cfg", 1,
                          f"test=wake role=serve peer=2 n={n}", cpus=1),
                guest_cfg(workdir, arch, f"ping{n}.cfg", 1,
                          f"test=wake role=ping peer=1 n={n}", cpus=0)]
    else:
        op, extra, smp, vcpus, _ = RUNS[name]
        done = 1
        cfgs = [guest_cfg(workdir, arch, f"pbench-{name}{n}.cfg", vcpus,
                          f"test=pbench op={op} n={n} {extra}")]
    lo, hi = image_range(arch)
    plugin = f"{PLUGIN},lo={lo:#x},hi={hi:#x}" + (f",hist={hist}" if hist else "")
    args = cli._args(["--arch", arch, "--smp", str(smp), "--icount", "--plugin", plugin] + cfgs)
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


def functions(arch):
    """Sorted (address, name) of the hypervisor image's text symbols."""
    elf = os.path.join(BUILD, arch, "bulkhead.elf")
    nm = subprocess.run(["nm", "-n", elf], check=True, capture_output=True, text=True).stdout
    return [(int(m.group(1), 16), m.group(2))
            for m in re.finditer(r"^([0-9a-f]+) [tTW] (\S+)$", nm, re.M)]


def hist_by_function(path, syms, blocks=()):
    """Instructions per function; per block too (keyed (function, address)) for the
    functions named in @blocks."""
    addrs = [a for a, _ in syms]
    per = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            va, insns, execs = line.split()
            i = bisect.bisect_right(addrs, int(va, 16)) - 1
            name = syms[i][1] if i >= 0 else "?"
            per[name] = per.get(name, 0) + int(insns) * int(execs)
            if name in blocks:
                key = (name, int(va, 16), int(insns))
                per[key] = per.get(key, 0) + int(insns) * int(execs)
    return per


def block_lines(arch, keys):
    """file:line of each block's first instruction (addr2line)."""
    elf = os.path.join(BUILD, arch, "bulkhead.elf")
    out = subprocess.run(["addr2line", "-e", elf] + [f"{k[1]:#x}" for k in keys],
                         check=True, capture_output=True, text=True).stdout.split("\n")
    return {k: os.path.basename(out[i]) for i, k in enumerate(keys)}


def profile(arch, names, workdir):
    syms = functions(arch)
    blocks = [b for b in os.environ.get("BENCH_BLOCKS", "").split(",") if b]
    for name in names:
        counts = []
        for n in (N, 0):
            hist = os.path.join(workdir, f"hist-{arch}-{name}{n}.txt")
            hyp_insns(arch, name, n, workdir, hist)
            counts.append(hist_by_function(hist, syms, blocks))
        diff = {f: (counts[0].get(f, 0) - counts[1].get(f, 0)) / N
                for f in set(counts[0]) | set(counts[1])}
        funcs = {f: v for f, v in diff.items() if isinstance(f, str)}
        print(f"{arch} {name}: {sum(funcs.values()):.1f} instructions per operation")
        for f, v in sorted(funcs.items(), key=lambda kv: -abs(kv[1])):
            if abs(v) >= 0.5:
                print(f"  {v:8.1f}  {f}")
        keys = sorted(k for k, v in diff.items() if not isinstance(k, str) and abs(v) >= 0.5)
        lines = block_lines(arch, keys) if keys else {}
        for k in keys:
            print(f"  {diff[k]:8.1f}  {k[0]}+{k[1] - dict(map(reversed, syms))[k[0]]:#x} "
                  f"({k[2]} insns) {lines[k]}")


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
    if arches[0] == "--profile":
        try:
            profile(arches[1], arches[2:], workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
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
                elif name == "wake":
                    row(name, per_op(arch, name, workdir), RUNS[name][4])
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

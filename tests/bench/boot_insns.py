#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Instructions from reset to power-off, per arch, under -icount shift=0.

Counted by the TCG plugin tests/bench/insn_count.c: every instruction the board executes
(firmware included), and those inside the hypervisor image. With one CPU the figure
repeats exactly; with four, the interleaving of CPUs at lock and console hand-offs moves
it by a few hundred instructions from run to run.
"""
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "toolstack"))

import bhqemu  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
PLUGIN = os.path.join(BUILD, "host", "bench", "insn_count.so")


def image_range(arch):
    """[lo, hi) of the hypervisor image, from its ELF symbols."""
    elf = os.path.join(BUILD, arch, "bulkhead.elf")
    nm = subprocess.run(["nm", elf], check=True, capture_output=True, text=True).stdout
    syms = {m.group(2): int(m.group(1), 16)
            for m in re.finditer(r"^([0-9a-f]+) \w (\S+)$", nm, re.M)}
    return syms["__image_start"], syms["__image_end"]


def count(arch, smp):
    lo, hi = image_range(arch)
    image = os.path.join(BUILD, arch, "bulkhead.bin")
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "plugin.log")
        argv = bhqemu.qemu_argv(arch, image, smp=smp, icount=True,
                                plugin=f"{PLUGIN},lo={lo:#x},hi={hi:#x}",
                                extra=["-d", "plugin", "-D", log])
        r = bhqemu.run(argv, timeout=120, echo=False)
        if r.status != bhqemu.EXIT_OK:
            sys.exit(f"boot_insns: {arch} run failed (status {r.status}):\n{r.output}")
        with open(log, encoding="utf-8") as f:
            m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    if not m:
        sys.exit(f"boot_insns: {arch}: the plugin printed no count")
    return int(m.group(1)), int(m.group(2))


def main():
    print("boot: instructions from reset to power-off (-icount shift=0)")
    print(f"  {'arch':8} {'cpus':>4} {'total':>12} {'in hypervisor':>14}")
    for arch in ("aarch64", "riscv64"):
        for smp in (1, 4):
            total, hyp = count(arch, smp)
            print(f"  {arch:8} {smp:>4} {total:>12,} {hyp:>14,}")


if __name__ == "__main__":
    main()

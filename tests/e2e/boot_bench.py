#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Debian's riscv64 kernel to init: on Bulkhead vs on bare QEMU, measured in one run.

    tests/e2e/boot_bench.py [--rounds N] [--icount]      (`make e2e-bench`)

The same kernel (build/e2e/linux-riscv64/Image), the same initramfs and command line
(tests/e2e/init.c: its checks, then power-off), 2 CPUs, 256 MiB for Linux:

- Bulkhead: QEMU virt with 2 harts and 1 GiB, the hypervisor, Linux as a 2-vCPU
  boot-time domain with 256 MiB (the QEMU command line comes from `bh-boot --dry-run`).
  Console: the SBI debug console the hypervisor serves (earlycon=sbi keep_bootcon).
- bare: QEMU virt with 2 harts and 256 MiB, OpenSBI, Linux straight on it. Console: the
  ns16550 (earlycon=uart8250,mmio,0x10000000 console=ttyS0): QEMU 7.2's OpenSBI 1.1
  has no DBCN, and the Debian kernel has no SBI v0.1 console.

Wall figures: seconds from the firmware's first console line to init's first line
("e2e: init started") and to QEMU's exit, taken as the lines arrive; rounds alternate
between the two so that load on the shared host hits both alike; the median is given.
With --icount, also instructions (-icount shift=0, tests/bench/insn_count.c): every
instruction from reset to power-off, and those inside the hypervisor image. Not by
default: on QEMU 7.2, -icount with 2 harts stops this kernel right after "smp: Brought
up 1 node, 2 CPUs" on bare QEMU as on Bulkhead (both harts end up looping in OpenSBI),
so that figure is not available here yet (docs/e2e.md).
"""
import argparse
import os
import re
import selectors
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "toolstack"))
sys.path.insert(0, os.path.join(TOP, "tests", "bench"))

import bhqemu  # noqa: E402
from boot_insns import PLUGIN, image_range  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
KERNEL = os.path.join(BUILD, "e2e", "linux-riscv64", "Image")
CPIO = os.path.join(BUILD, "e2e", "initramfs.cpio")
IMAGE = os.path.join(BUILD, "riscv64", "bulkhead.bin")
COMMON = "printk.devkmsg=on rdinit=/init e2e_cpus=2"
TIMEOUT = 600


def bulkhead_argv(workdir):
    cfg = os.path.join(workdir, "linux.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "linux"\nkernel = "{KERNEL}"\nramdisk = "{CPIO}"\nmemory = 256\n'
                f'vcpus = 2\nstubdom = 0\nextra = "earlycon=sbi keep_bootcon {COMMON}"\n')
    r = subprocess.run([sys.executable, os.path.join(TOP, "toolstack", "bh-boot"), "--arch",
                        "riscv64", "--image", IMAGE, "--smp", "2", "--mem", "1G", "--dry-run",
                        "--workdir", workdir, cfg], capture_output=True, text=True, check=True)
    return r.stdout.strip().splitlines()[-1].split()


def bare_argv():
    conf = bhqemu.board_config("riscv64")
    argv = bhqemu.qemu_argv("riscv64", KERNEL, smp=2, mem="256M")
    assert conf["QEMU_EXTRA"].split()[0] in argv
    return argv + ["-initrd", CPIO, "-append",
                   f"earlycon=uart8250,mmio,0x10000000 console=ttyS0 {COMMON}"]


def timed_run(argv):
    """Run QEMU; {marker: seconds since the first output} and the whole console."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, preexec_fn=bhqemu._die_with_parent)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    out, marks, first = b"", {}, None
    try:
        while time.monotonic() - start < TIMEOUT:
            if not sel.select(timeout=0.5):
                continue
            data = os.read(proc.stdout.fileno(), 65536)
            now = time.monotonic()
            if not data:
                break
            if first is None:
                first = now
            out += data
            for key, pat in (("linux", b"Linux version"), ("init", b"e2e: init started"),
                             ("done", b"e2e: DONE")):
                if key not in marks and pat in out:
                    marks[key] = now - first
    finally:
        proc.kill()
        proc.wait()
    marks["exit"] = time.monotonic() - first if first else None
    text = out.decode("utf-8", "replace")
    if "e2e: DONE 5 passed, 0 failed" not in text:
        sys.exit(f"boot_bench: the run did not pass:\n{text[-3000:]}")
    return marks, text


def insns(argv):
    lo, hi = image_range("riscv64")
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "plugin.log")
        marks, _ = timed_run(argv + ["-icount", "shift=0", "-plugin",
                                     f"{PLUGIN},lo={lo:#x},hi={hi:#x}", "-d", "plugin",
                                     "-D", log])
        with open(log, encoding="utf-8") as f:
            m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    if not m:
        sys.exit("boot_bench: the plugin printed no count")
    return int(m.group(1)), int(m.group(2)), marks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--icount", action="store_true", help="also count instructions")
    args = ap.parse_args()
    for path in (KERNEL, CPIO, IMAGE):
        if not os.path.isfile(path):
            sys.exit(f"boot_bench: {path} missing: run `make e2e-files` and "
                     "`make ARCH=riscv64 all`")
    with tempfile.TemporaryDirectory() as wd:
        runs = {"bulkhead": bulkhead_argv(wd), "bare": bare_argv()}
        wall = {k: [] for k in runs}
        for _ in range(args.rounds):
            for kind, argv in runs.items():
                marks, _ = timed_run(argv)
                wall[kind].append(marks)
                print(f"  {kind:9} Linux {marks['linux']:6.2f} s, init {marks['init']:6.2f} s, "
                      f"power-off {marks['exit']:6.2f} s", flush=True)
        print(f"e2e boot: Debian {open(KERNEL + '.source').read().split()[0]}, 2 CPUs, "
              f"{args.rounds} rounds (median wall seconds from the firmware's first line)")
        med = {}
        for kind in runs:
            for r in wall[kind]:
                r["kinit"] = r["init"] - r["linux"]
            med[kind] = {m: statistics.median(r[m] for r in wall[kind])
                         for m in ("init", "kinit", "exit")}
            print(f"  {kind:9} to init {med[kind]['init']:6.2f}   Linux's first line to init "
                  f"{med[kind]['kinit']:6.2f}   to power-off {med[kind]['exit']:6.2f}")
        ratio = {m: med["bulkhead"][m] / med["bare"][m] for m in ("init", "kinit", "exit")}
        print(f"  ratio     to init {ratio['init']:6.2f}   Linux's first line to init "
              f"{ratio['kinit']:6.2f}   to power-off {ratio['exit']:6.2f}")
        if not args.icount:
            return
        counts = {kind: insns(argv) for kind, argv in runs.items()}
        print("  -icount shift=0: instructions from reset to power-off")
        for kind, (total, hyp, _) in counts.items():
            print(f"  {kind:9} {total:>15,}   in the hypervisor {hyp:>13,}")
        print(f"  ratio     {counts['bulkhead'][0] / counts['bare'][0]:15.3f}")


if __name__ == "__main__":
    main()

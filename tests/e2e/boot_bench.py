#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Debian kernel to init: on Bulkhead vs on bare QEMU, measured in one run.

    tests/e2e/boot_bench.py [--arch riscv64|aarch64] [--rounds N] [--icount]
                                                      (`make e2e-bench`: both arches)

The same kernel (build/e2e/linux-{riscv64,arm64}/Image), the same initramfs and init
(tests/e2e/init.c: its checks, then power-off), 256 MiB for Linux:

- Bulkhead: QEMU virt with 1 GiB, the hypervisor, Linux as a boot-time domain with
  256 MiB (the QEMU command line comes from `bh-boot --dry-run`). Console: the one the
  hypervisor serves (riscv64 earlycon=sbi, the SBI debug console; aarch64
  earlycon=xenboot, HYPERVISOR_console_io), kept with keep_bootcon.
- bare: QEMU virt with 256 MiB, Linux straight on it (riscv64 on OpenSBI; aarch64 at EL1,
  `virtualization=off`, as under the hypervisor). Console: the board's UART (riscv64
  ns16550 console=ttyS0: QEMU 7.2's OpenSBI 1.1 has no DBCN; aarch64 PL011
  console=ttyAMA0).

Wall figures, 2 CPUs: seconds from the first console line to init's first line ("e2e:
init started") and to QEMU's exit, and the QEMU process's CPU time (user + system), taken
as the lines arrive; rounds alternate between the two so that load on the shared host hits
both alike; medians are given. With --icount, also instructions with 1 CPU (-icount
shift=0, tests/bench/insn_count.c): every instruction from reset to power-off, those
inside the hypervisor image, and the guest's own clock at init's first line (virtual
time: about an instruction a nanosecond). With 1 CPU init's irq-ipi check fails by design
(no IPIs); the run still counts. riscv64 is counted with 1 CPU only: on QEMU 7.2,
-icount with 2 harts stops that kernel right after "smp: Brought up 1 node, 2 CPUs".
"""
import argparse
import os
import re
import resource
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
E2E = os.path.join(BUILD, "e2e")
TIMEOUT = 600

# Per arch: kernel, initramfs, the hypervisor's console, the bare board's console.
ARCHES = {
    "riscv64": (os.path.join(E2E, "linux-riscv64", "Image"), os.path.join(E2E, "initramfs.cpio"),
                "earlycon=sbi keep_bootcon",
                "earlycon=uart8250,mmio,0x10000000 console=ttyS0"),
    "aarch64": (os.path.join(E2E, "linux-arm64", "Image"),
                os.path.join(E2E, "initramfs-arm64.cpio"), "earlycon=xenboot keep_bootcon",
                "earlycon=pl011,0x9000000 console=ttyAMA0"),
}


def common(cpus):
    return f"printk.devkmsg=on rdinit=/init e2e_cpus={cpus} e2e_mem=256"


def bulkhead_argv(arch, workdir, cpus):
    kernel, cpio, console, _ = ARCHES[arch]
    cfg = os.path.join(workdir, f"linux{cpus}.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "linux"\nkernel = "{kernel}"\nramdisk = "{cpio}"\nmemory = 256\n'
                f'vcpus = {cpus}\nstubdom = 0\nextra = "{console} {common(cpus)}"\n')
    r = subprocess.run([sys.executable, os.path.join(TOP, "toolstack", "bh-boot"), "--arch",
                        arch, "--image", os.path.join(BUILD, arch, "bulkhead.bin"), "--smp",
                        str(cpus), "--mem", "1G", "--dry-run", "--workdir", workdir, cfg],
                       capture_output=True, text=True, check=True)
    return r.stdout.strip().splitlines()[-1].split()


def bare_argv(arch, cpus):
    kernel, cpio, _, console = ARCHES[arch]
    conf = bhqemu.board_config(arch)
    argv = bhqemu.qemu_argv(arch, kernel, smp=cpus, mem="256M")
    if arch == "aarch64":
        # Linux at EL1, as it runs under the hypervisor (no EL2 hyp-stub or KVM set-up).
        argv[argv.index(conf["QEMU_MACHINE"])] = conf["QEMU_MACHINE"].replace(
            "virtualization=on", "virtualization=off")
    return argv + ["-initrd", cpio, "-append", f"{console} {common(cpus)}"]


def timed_run(argv, need_pass=True):
    """Run QEMU; ({marker: seconds since the first output, "cpu": QEMU's CPU seconds},
    the whole console)."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    marks["exit"] = time.monotonic() - first if first else None
    marks["cpu"] = ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime
    text = out.decode("utf-8", "replace")
    ok = re.search(r"e2e: DONE \d+ passed, 0 failed" if need_pass else r"e2e: DONE", text)
    if not ok:
        sys.exit(f"boot_bench: the run did not pass:\n{text[-3000:]}")
    m = re.search(r"\[\s*(\d+\.\d+)\] e2e: init started", text)
    marks["guest_init"] = float(m.group(1)) if m else None
    return marks, text


def insns(arch, argv):
    lo, hi = image_range(arch)
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "plugin.log")
        marks, _ = timed_run(argv + ["-icount", "shift=0", "-plugin",
                                     f"{PLUGIN},lo={lo:#x},hi={hi:#x}", "-d", "plugin",
                                     "-D", log], need_pass=False)
        with open(log, encoding="utf-8") as f:
            m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    if not m:
        sys.exit("boot_bench: the plugin printed no count")
    return int(m.group(1)), int(m.group(2)), marks


def bench(arch, rounds, icount):
    kernel, cpio, _, _ = ARCHES[arch]
    for path in (kernel, cpio, os.path.join(BUILD, arch, "bulkhead.bin")):
        if not os.path.isfile(path):
            sys.exit(f"boot_bench: {path} missing: run `make e2e-files` and "
                     f"`make ARCH={arch} all`")
    with tempfile.TemporaryDirectory() as wd:
        runs = {"bulkhead": bulkhead_argv(arch, wd, 2), "bare": bare_argv(arch, 2)}
        wall = {k: [] for k in runs}
        for _ in range(rounds):
            for kind, argv in runs.items():
                marks, _ = timed_run(argv)
                wall[kind].append(marks)
                print(f"  {kind:9} Linux {marks['linux']:6.2f} s, init {marks['init']:6.2f} s, "
                      f"power-off {marks['exit']:6.2f} s, QEMU CPU {marks['cpu']:6.2f} s",
                      flush=True)
        with open(kernel + ".source", encoding="utf-8") as f:
            pkg = f.read().split()[0]
        print(f"e2e boot ({arch}): Debian {pkg}, 2 CPUs, {rounds} rounds (median wall "
              "seconds from the first console line; QEMU's CPU seconds)")
        keys = ("init", "kinit", "exit", "cpu")
        med = {}
        for kind in runs:
            for r in wall[kind]:
                r["kinit"] = r["init"] - r["linux"]
            med[kind] = {m: statistics.median(r[m] for r in wall[kind]) for m in keys}
            print(f"  {kind:9} to init {med[kind]['init']:6.2f}   Linux's first line to init "
                  f"{med[kind]['kinit']:6.2f}   to power-off {med[kind]['exit']:6.2f}   "
                  f"QEMU CPU {med[kind]['cpu']:6.2f}")
        ratio = {m: med["bulkhead"][m] / med["bare"][m] for m in keys}
        print(f"  ratio     to init {ratio['init']:6.2f}   Linux's first line to init "
              f"{ratio['kinit']:6.2f}   to power-off {ratio['exit']:6.2f}   "
              f"QEMU CPU {ratio['cpu']:6.2f}")
        if not icount:
            return
        one = {"bulkhead": bulkhead_argv(arch, wd, 1), "bare": bare_argv(arch, 1)}
        counts = {kind: insns(arch, argv) for kind, argv in one.items()}
        print(f"  -icount shift=0, 1 CPU: instructions from reset to power-off; the guest "
              f"clock at init")
        for kind, (total, hyp, marks) in counts.items():
            print(f"  {kind:9} {total:>15,}   in the hypervisor {hyp:>13,}   "
                  f"init at {marks['guest_init']:.6f} s")
        b, n = counts["bulkhead"], counts["bare"]
        print(f"  ratio     {b[0] / n[0]:15.3f}   init at "
              f"{b[2]['guest_init'] / n[2]['guest_init']:.3f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", choices=sorted(ARCHES), action="append",
                    help="default: both")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--icount", action="store_true", help="also count instructions (1 CPU)")
    args = ap.parse_args()
    for arch in args.arch or sorted(ARCHES):
        bench(arch, args.rounds, args.icount)


if __name__ == "__main__":
    main()

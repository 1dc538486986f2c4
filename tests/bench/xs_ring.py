#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""xenstored in dom0-lite, read from a guest over its ring (issue 15 item 8): reads/s at
depth 1 (one request waiting for each reply) and depth 32 (32 in flight), per arch.

One boot-time test guest (`test=xs-bench`, tests/guests/xs.c) beside dom0-lite times N
reads of its `domid` with the guest counter. Two runs per arch:
- `-icount shift=0` on one CPU: virtual time is one nanosecond per instruction, so the
  figure is instructions per read (the guest's polling and yields, the hypervisor's event
  and scheduling work, dom0-lite's xenstored), deterministic;
- wall time on the board's CPUs (TCG, shared machine: noisy), as reads per second.
The client polls its ring and yields while it waits, so depth 1 pays a switch to
dom0-lite and back per read.
"""
import os
import re
import sys
import tempfile

import pexpect

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
ARCHES = ["aarch64", "riscv64"]
LINE_RE = re.compile(r"XSBENCH depth=(\d+) reads=(\d+) ns=(\d+)\r*\n")


def run(arch, icount, reads, workdir):
    kernel = os.path.join(BUILD, arch, "guests", "testguest.bin")
    cfg = os.path.join(workdir, f"xsb-{arch}.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "xsb"\nkernel = "{kernel}"\nmemory = 16\nstubdom = 0\n'
                f'extra = "test=xs-bench reads={reads} stay=1"\n')
    args = [BH_BOOT, "--arch", arch, "--timeout", "300", "--dom0"]
    if icount:
        args += ["--smp", "1", "--icount"]
    child = pexpect.spawn(sys.executable, args + [cfg], encoding="utf-8",
                          codec_errors="replace", timeout=300)
    got = {}
    try:
        while len(got) < 2:
            i = child.expect([LINE_RE, r"\(d2\) FAIL [^\r\n]*", pexpect.EOF])
            if i != 0:
                raise RuntimeError(f"{arch}: {child.after if i == 1 else 'QEMU ended'}")
            depth, n, ns = (int(x) for x in child.match.groups())
            got[depth] = (n, ns)
    finally:
        child.terminate(force=True)
    return got


def main():
    reads = int(os.environ.get("XS_BENCH_READS", "2000"))
    ic_reads = max(reads // 10, 32)  # icount runs one CPU at TCG's slowest
    print(f"xenstored in dom0-lite, reads of a node from a guest over its ring "
          f"({ic_reads} under icount, {reads} for wall time)")
    print(f"{'arch':8} {'depth':>5} {'instructions/read (icount)':>27} {'reads/s (wall)':>15}")
    with tempfile.TemporaryDirectory() as workdir:
        for arch in ARCHES:
            ic = run(arch, True, ic_reads, workdir)
            wall = run(arch, False, reads, workdir)
            for depth in (1, 32):
                n, ns = ic[depth]
                wn, wns = wall[depth]
                print(f"{arch:8} {depth:5} {ns / n:27,.0f} {wn * 1e9 / wns:15,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`bh create` to the guest's first instruction, and dom0-lite's memory and start (#15
item 8), per arch. Part of `make bench`; the stub domain's own memory and start are
tests/bench/stub_bench.py's.

dom0-lite (bh-boot --dom0) gets `create small` typed at its `bh>` prompt, for a test
guest of 16 MiB without a stub domain and one with its stub (the guest's vCPU is held
until the stub serves its UART), ROUNDS times each (destroyed in between). The clocks:

- dom0-lite's builder prints `dom0-lite: NAME (dN) built in X us: command at A us,
  unpaused at B us since power-on` (A: `create` starts, B: the guest's unpause);
- the test guest with `first=1` prints `testguest: first C statement at C ns since
  power-on`, read from the counter as its very first statement (the runtime's entry code,
  a few hundred instructions, comes before: an upper bound of the first instruction);
- the host's clock from sending `create` to seeing that line (wall, including the
  console's path back through the pseudo-terminal).

Two boots per arch: one under `-icount shift=0` on 1 CPU, where the board's time is
virtual and one nanosecond is one instruction (idle time, when every vCPU waits, is
skipped ahead by QEMU and counts too), and one in real time (TCG, 4 CPUs) for wall times.
Medians of ROUNDS. With the session's files (make session-files), also the build of a
128 MiB Debian Linux guest with its stub (dom0-lite's part only: Linux prints no time
since power-on). dom0-lite: its RAM (16 MiB + its boot bundle), program image with
BSS, and its start: its init() since power-on and how long init takes to the prompt.
"""
import os
import re
import statistics
import struct
import sys
import tempfile
import time

import pexpect

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
ARCHES = ["aarch64", "riscv64"]
ROUNDS = int(os.environ.get("BH_BENCH_ROUNDS", "5"))
PROMPT = "bh> "

BUILT = re.compile(r"dom0-lite: (\S+) \(d(\d+)\) built in (\d+) us: command at (\d+) us, "
                   r"unpaused at (\d+) us since power-on")
UP = re.compile(r"dom0-lite: up in (\d+) us \(init at (\d+) us since power-on\)")


def image_size(path):
    with open(path, "rb") as f:
        return struct.unpack_from("<Q", f.read(24), 16)[0]  # image_size, BSS included


def linux_files(arch):
    """The session's Linux kernel and busybox initramfs (make session-files), or None."""
    deb = {"aarch64": "arm64", "riscv64": "riscv64"}[arch]
    kernel = os.path.join(BUILD, "e2e", f"linux-{deb}", "Image")
    cpio = os.path.join(BUILD, "session", deb, "initramfs.cpio")
    return (kernel, cpio) if os.path.isfile(kernel) and os.path.isfile(cpio) else None


def boot(arch, workdir, icount):
    guest = os.path.join(BUILD, arch, "guests", "testguest.bin")
    cfgs = []
    for name, stub in (("small", 0), ("paired", 1)):
        path = os.path.join(workdir, f"{name}.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'name = "{name}"\nkernel = "{guest}"\nmemory = 16\nstubdom = {stub}\n'
                    'extra = "test=idle ms=600000 first=1"\n')
        cfgs += ["--bundle", path]
    if linux_files(arch):
        path = os.path.join(workdir, "linux.cfg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'name = "linux"\nkernel = "{linux_files(arch)[0]}"\n'
                    f'ramdisk = "{linux_files(arch)[1]}"\nmemory = 128\nextra = "quiet"\n')
        cfgs += ["--bundle", path]
    args = [BH_BOOT, "--arch", arch, "--timeout", "600", "--dom0"] + cfgs
    if icount:
        args += ["--icount", "--smp", "1"]
    child = pexpect.spawn(sys.executable, args, encoding="utf-8", codec_errors="replace",
                          timeout=120, dimensions=(50, 200))
    child.expect(r"bh-boot: d1 dom0-lite: (\d+) MiB")
    dom0_mib = int(child.match.group(1))
    child.expect(UP)
    up_us, init_at_us = int(child.match.group(1)), int(child.match.group(2))
    child.expect_exact(PROMPT)
    return child, {"dom0_mib": dom0_mib, "up_us": up_us, "init_at_us": init_at_us}


def create_once(child, name):
    """One `create`, its figures, and `destroy`. The guest's line and dom0-lite's come in
    either order (on 1 CPU the guest runs as soon as it is unpaused)."""
    first = re.compile(r"\(d(\d+)\) testguest: first C statement at (\d+) ns since power-on")
    t = time.monotonic()
    child.send(f"create {name}\r")
    seen, wall = "", None
    while not (BUILT.search(seen) and first.search(seen)):
        child.expect([BUILT, first])
        seen += child.before + child.after
        if wall is None and first.search(seen):
            wall = time.monotonic() - t
    b, f = BUILT.search(seen), first.search(seen)
    assert b.group(2) == f.group(1), seen
    if PROMPT not in seen[b.end():]:
        child.expect_exact(PROMPT)
    child.send(f"destroy {name}\r")
    child.expect_exact(f"destroy {name}")
    child.expect_exact(PROMPT)
    return int(b.group(3)), int(f.group(2)) / 1000 - int(b.group(4)), wall


def build_linux(child):
    """`create linux` (its stub too) to dom0-lite's unpause, then `destroy`."""
    child.send("create linux\r")
    child.expect(BUILT, timeout=600)
    built = int(child.match.group(3))
    child.expect_exact("create: linux is d")
    child.expect_exact(PROMPT)
    child.send("destroy linux\r")
    child.expect_exact("destroy linux")
    child.expect_exact(PROMPT)
    return built


def measure(arch, workdir, icount):
    child, info = boot(arch, workdir, icount)
    try:
        for name in ("small", "paired"):
            runs = [create_once(child, name) for _ in range(ROUNDS)]
            info[name] = tuple(statistics.median(r[i] for r in runs) for i in range(3))
        if linux_files(arch):
            info["linux"] = statistics.median(build_linux(child) for _ in range(3))
    finally:
        child.terminate(force=True)
    return info


def main():
    for arch in ARCHES:
        for p in ("bulkhead.bin", "dom0-lite/dom0-lite.bin", "drivers/stub.bin",
                  "guests/testguest.bin"):
            if not os.path.isfile(os.path.join(BUILD, arch, p)):
                sys.exit(f"create_bench: {arch}: {p} missing: run `make images` first")
    with tempfile.TemporaryDirectory(prefix="create-bench-") as workdir:
        for arch in ARCHES:
            ic = measure(arch, workdir, icount=True)
            rt = measure(arch, workdir, icount=False)
            for name, what in (("small", "16 MiB guest, no stub"),
                               ("paired", "16 MiB guest + its stub")):
                b, f, _ = ic[name]
                print(f"create {arch}: {what}: `create` to the guest's first statement "
                      f"{f * 1000:,.0f} instructions (icount, 1 CPU; dom0-lite to the "
                      f"unpause's return {b * 1000:,.0f}); real time {rt[name][1] / 1000:.1f} ms (build "
                      f"{rt[name][0] / 1000:.1f} ms), host wall {rt[name][2] * 1000:.0f} ms "
                      f"(medians of {ROUNDS})")
            if "linux" in ic:
                print(f"create {arch}: 128 MiB Debian Linux guest + its stub ("
                      f"{os.path.getsize(linux_files(arch)[0]) >> 20} MiB kernel, "
                      f"{os.path.getsize(linux_files(arch)[1]) >> 10} KiB initramfs): dom0-lite "
                      f"to the unpause {ic['linux'] * 1000:,.0f} instructions (icount), real "
                      f"time {rt['linux'] / 1000:.0f} ms (medians of 3)")
            img = image_size(os.path.join(BUILD, arch, "dom0-lite", "dom0-lite.bin"))
            print(f"dom0-lite {arch}: memory: {ic['dom0_mib']} MiB RAM (bh-boot gives 16 MiB + "
                  f"its boot bundle{', the Linux files in it' if 'linux' in ic else ''}), "
                  f"program {img // 1024} KiB with BSS")
            print(f"dom0-lite {arch}: start: init() at {ic['init_at_us'] / 1000:.1f} ms since "
                  f"power-on (icount: after the hypervisor's boot and dom0-lite's build), "
                  f"init to the shell {ic['up_us']} us (icount, ~{ic['up_us']}k instructions); "
                  f"real time {rt['init_at_us'] / 1000:.1f} ms and {rt['up_us']} us")


if __name__ == "__main__":
    main()

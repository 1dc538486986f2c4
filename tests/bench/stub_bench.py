#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stub domains, per arch (issue 14 item 9, the stub's half): memory and start time.

Runs under -icount shift=0 on one CPU, so system time is virtual and deterministic (one
nanosecond per guest or hypervisor instruction): times here are instruction counts as
much as they are times. Target (../shared/ARCHITECTURE.md): a stub domain holds at most
2 MiB and starts in at most 5 ms.

- memory: the RAM bh-boot gives a stub (the hypervisor's "dN (...): <size> at guest"
  line) plus the most bookkeeping its quota allows (docs/domains.md: 16 pages + 1 per
  vCPU + RAM/256), and the stub program's image with BSS;
- start: a guest with `stubdom = 1`: the stub's set-up (dom_main to its ioreq server
  enabled), and when it entered dom_main and enabled the server since the board's
  power-on (after the hypervisor's boot and the guest's build: upper bounds). The
  hypervisor prints no time stamps, so the stub domain's build (1 MiB scrubbed, ~25 KiB
  copied) is inside the second figure, not separate. Also the UART's cost per byte (100
  lines by raw byte stores). Without the hypervisor's dm_op (-ENOSYS) the stub program's
  event-loop self-test is timed instead.
"""
import os
import re
import struct
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "toolstack"))

import bhqemu  # noqa: E402
from bhboot import cli  # noqa: E402

sys.path.insert(0, os.path.join(TOP, "tests", "bench"))
from boot_insns import PLUGIN, image_range  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
ARCHES = ["aarch64", "riscv64"]


def run(arch, cfg_text, workdir, name):
    cfg = os.path.join(workdir, f"{name}.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(cfg_text)
    args = cli._args(["--arch", arch, "--smp", "1", "--icount", cfg])
    _, argv = cli.prepare(args, workdir)
    r = bhqemu.run(argv, timeout=300, echo=False)
    return r.output.replace("\r\n", "\n")


def hyp_insns(arch, lines, workdir):
    """Instructions the hypervisor executes in a run of the uart guest (raw, @lines)."""
    cfg = os.path.join(workdir, f"count{lines}.cfg")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f'name = "g"\nkernel = "{os.path.join(BUILD, arch, "guests", "testguest.bin")}"'
                f'\nmemory = 16\nextra = "test=uart how=raw lines={lines}"\n')
    lo, hi = image_range(arch)
    args = cli._args(["--arch", arch, "--smp", "1", "--icount",
                      "--plugin", f"{PLUGIN},lo={lo:#x},hi={hi:#x}", cfg])
    _, argv = cli.prepare(args, workdir)
    log = os.path.join(workdir, f"plugin{lines}.log")
    r = bhqemu.run(argv + ["-d", "plugin", "-D", log], timeout=300, echo=False)
    with open(log, encoding="utf-8") as f:
        m = re.search(r"insn_count: total=(\d+) range=(\d+)", f.read())
    if r.status != bhqemu.EXIT_OK or not m:
        sys.exit(f"stub_bench: {arch}: the counting run failed (status {r.status})")
    return int(m.group(2))


def image_size(path):
    with open(path, "rb") as f:
        return struct.unpack_from("<Q", f.read(24), 16)[0]  # image_size, BSS included


def bench(arch, workdir):
    stub = os.path.join(BUILD, arch, "drivers", "stub.bin")
    guest = os.path.join(BUILD, arch, "guests", "testguest.bin")
    out = run(arch, f'name = "g"\nkernel = "{guest}"\nmemory = 16\nstubdom = 1\n'
              'extra = "test=uart how=raw lines=100"\n', workdir, "pair")
    m = re.search(r"^bulkhead: d2 \(g-stub\): (\d+) (KiB|MiB) at guest", out, re.M)
    if not m:
        sys.exit(f"stub_bench: {arch}: no stub domain was built:\n{out}")
    ram_kib = int(m.group(1)) * (1024 if m.group(2) == "MiB" else 1)
    quota_kib = ram_kib + 4 * (16 + 1 + ram_kib // 4 // 256)
    print(f"stub {arch}: memory: {ram_kib} KiB RAM, at most {quota_kib} KiB held with "
          f"bookkeeping (target <= 2048 KiB); program {image_size(stub) // 1024} KiB with BSS")
    m = re.search(r"^\(d\d+\) stub: d1: .* ready in (\d+) us, at (\d+) us since power-on "
                  r"\(entered at (\d+) us\)", out, re.M)
    if m:
        print(f"stub {arch}: start: set-up (dom_main to server enabled) {m.group(1)} us; "
              f"entered at {m.group(3)} us, enabled at {m.group(2)} us since power-on, after "
              "the hypervisor's boot and its guest's build (icount; target <= 5000 us)")
        u = re.search(r"^\(d1\) INFO uart: (\d+) lines in (\d+) us", out, re.M)
        if u:
            per = int(u.group(2)) * 1000 / (int(u.group(1)) * 48)
            print(f"stub {arch}: UART byte store round trip, guest -> stub -> guest, console "
                  f"writes included: {per:.0f} ns (icount: ~instructions)")
            n = 100
            hyp = (hyp_insns(arch, n, workdir) - hyp_insns(arch, 0, workdir)) / (n * 48)
            print(f"stub {arch}: of which in the hypervisor: {hyp:.0f} instructions a byte "
                  "(two traps in, the stub's notify and block, two switches)")
        return
    print(f"stub {arch}: no ioreq server (the hypervisor answers dm_op with -ENOSYS?): "
          "timing the event loop's self-test instead")
    out = run(arch, f'name = "loop"\nkernel = "{stub}"\nmemory = 4\nrole = "stub"\n'
              'extra = "selftest=1"\n', workdir, "selftest")
    m = re.search(r"loop ready at (\d+) us since power-on \(entered at (\d+) us\)", out)
    s = re.search(r"selftest passed: (\d+) loopback events in (\d+) us", out)
    if not m or not s:
        sys.exit(f"stub_bench: {arch}: the self-test did not pass:\n{out}")
    print(f"stub {arch}: event loop ready {int(m.group(1)) - int(m.group(2))} us after "
          "dom_main (icount)")
    print(f"stub {arch}: event-channel loopback round trip (send, upcall, dispatch): "
          f"{int(s.group(2)) * 1000 // int(s.group(1))} ns (icount: ~instructions)")


def main():
    with tempfile.TemporaryDirectory(prefix="stub-bench-") as workdir:
        for arch in ARCHES:
            bench(arch, workdir)


if __name__ == "__main__":
    main()

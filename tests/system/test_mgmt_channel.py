# SPDX-License-Identifier: MIT
"""dom0-lite's management channel, end to end (issue 15 items 2 and 4, docs/dom0-lite.md):
a QEMU pci-serial passed through to dom0-lite, its interrupt routed to dom0-lite alone,
its host end a Unix socket (bh-boot --mgmt-socket). Both arches.

- From the host side of the socket: `ping` answered `pong`, an unknown request and an
  over-long line answered with error lines, then a 64 KiB burst of `echo` lines that must
  come back whole and in order; dom0-lite's counters show the bytes came in FIFO-sized
  batches, one interrupt each (no polling: nothing else reads the device). Then `hold`:
  dom0-lite reads nothing until its ring is full, the device is stopped, and 32 KiB
  still come back whole; and 64 KiB more while the host reads nothing for 5 s (the
  transmit ring fills, dom0-lite stops reading, QEMU holds the input).
- Meanwhile the board console keeps working (`list` at the bh> prompt) and a bystander
  test guest with every device interrupt of its own enabled (test=irqwatch) sees none.
- At boot: a second domain naming the same device, and a channel node naming an
  interrupt that is not the device's (the hypervisor's UART's), are refused with a clear
  line; nothing panics.
"""
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pexpect
import pytest

from conftest import ARCHES, LOG_DIR
from test_dom0 import BH_BOOT, PROMPT, TIMEOUT, _cfg, _kernel, wait_for

BURST_LINES = 1024  # of 64 bytes: 64 KiB each way
UART_LINE = {"aarch64": 1, "riscv64": 10}  # the hypervisor's console UART's interrupt


def _connect(path, timeout=60):
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.settimeout(30)
            return s
        except OSError:
            s.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


class Lines:
    """Lines from the socket."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def read(self, n=1):
        while self.buf.count(b"\n") < n:
            chunk = self.sock.recv(65536)
            assert chunk, "the channel closed"
            self.buf += chunk
        out = []
        for _ in range(n):
            line, self.buf = self.buf.split(b"\n", 1)
            out.append(line.decode())
        return out

    def ask(self, request):
        self.sock.sendall(request.encode() + b"\n")
        return self.read()[0]


def _spawn(request, tmp_path, arch, extra=(), guests=()):
    sock = os.path.join(tmp_path, "mgmt.sock")
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")
    args = [BH_BOOT, "--arch", arch, "--timeout", str(TIMEOUT), "--dom0", "--mgmt-socket", sock,
            "--log", log] + list(extra) + list(guests)
    child = pexpect.spawn(sys.executable, args, encoding="utf-8", codec_errors="replace",
                          timeout=60, dimensions=(50, 200))
    child.seen = io.StringIO()
    child.logfile_read = child.seen
    request.addfinalizer(lambda: child.isalive() and child.terminate(force=True))
    child.expect_exact("CTRL-a three times moves the keyboard")
    child.expect_exact(PROMPT)
    return child, sock


@pytest.mark.parametrize("arch", ARCHES)
def test_channel(request, tmp_path, arch):
    k = _kernel(arch)
    watch = _cfg(tmp_path, "watch", f'name = "watch"\nkernel = "{k}"\nmemory = 16\n'
                 f'stubdom = 0\nextra = "test=irqwatch ms=600000"\n')
    child, path = _spawn(request, tmp_path, arch, guests=[watch])
    wait_for(child, "dom0-lite: management channel ready")
    wait_for(child, "IRQWATCH READY")
    seen = child.seen.getvalue()
    m = re.search(r"bulkhead: d1 \(dom0-lite\): interrupt (\d+) routed to it", seen)
    assert m, "the channel's interrupt was not routed to dom0-lite"
    assert "routed to it" not in seen.replace(m.group(0), ""), "routed to another domain too"

    ch = Lines(_connect(path))
    for _ in range(3):
        assert ch.ask("ping") == "pong"
    assert ch.ask("frobnicate") == "error: unknown request"
    assert ch.ask("x" * 5000) == "error: line too long (max 4096 bytes)"
    assert ch.ask("ping") == "pong"  # still serving after the over-long line
    before = dict(zip(*[iter(ch.ask("stats").split())] * 2))

    # The burst: 1024 lines of 64 bytes sent at once, echoed back in order.
    lines = [f"echo {i:05d} " + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR"[:52]
             for i in range(BURST_LINES)]
    blob = "".join(line + "\n" for line in lines).encode()
    assert len(blob) == 64 * 1024
    start = time.monotonic()
    sender = threading.Thread(target=ch.sock.sendall, args=(blob,))
    sender.start()
    ch.sock.settimeout(120)
    got = ch.read(BURST_LINES)
    seconds = time.monotonic() - start
    sender.join()
    want = [line[len("echo "):] for line in lines]
    bad = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), None)
    assert bad is None, f"line {bad}: got {got[bad]!r}, want {want[bad]!r}"

    after = dict(zip(*[iter(ch.ask("stats").split())] * 2))
    rx = int(after["rx"]) - int(before["rx"])
    irqs = int(after["irqs"]) - int(before["irqs"])
    print(f"\n{arch}: 64 KiB burst echoed in {seconds:.2f} s ({64 / seconds:.0f} KiB/s each "
          f"way), {rx} bytes received in {irqs} interrupts (receive and transmit)")
    assert rx >= 64 * 1024
    # Interrupt-driven in FIFO batches (receive and transmit): well under one interrupt
    # per byte received.
    assert 0 < irqs < rx / 2, f"{irqs} interrupts for {rx} bytes"

    # Flow control: dom0-lite stops reading until its ring is full, so the handler turns
    # the device's interrupt off and QEMU holds the rest; nothing may be lost.
    assert ch.ask("hold") == "holding"
    half = blob[:32 * 1024]
    sender = threading.Thread(target=ch.sock.sendall, args=(half,))
    sender.start()
    got = ch.read(BURST_LINES // 2)
    sender.join()
    assert got == want[:BURST_LINES // 2], "lost or reordered bytes across a full ring"
    stops = int(dict(zip(*[iter(ch.ask("stats").split())] * 2))["stops"])
    assert stops - int(after["stops"]) >= 1, "the ring never filled: flow control not tested"

    # The host stops reading for a while: QEMU's socket fills, then dom0-lite's transmit
    # ring; dom0-lite then stops reading, its receive ring fills, QEMU holds the input.
    # Once the host reads again, everything comes back whole and in order.
    sender = threading.Thread(target=ch.sock.sendall, args=(blob,))
    sender.start()
    time.sleep(5)
    got = ch.read(BURST_LINES)
    sender.join()
    assert got == want, "lost or reordered bytes while the host was not reading"
    full = int(dict(zip(*[iter(ch.ask("stats").split())] * 2))["full"])
    assert full >= 1, "the transmit ring never filled: backpressure not tested"

    # The board console still works, and the bystander saw no device interrupt.
    child.send("list\r")
    child.expect(r"\ndom0-lite +1 .*\n(.*\n)?watch +2 ", timeout=30)
    child.expect_exact(PROMPT)
    child.expect(r"\(d2\) IRQWATCH \d+ (\d+)", timeout=30)
    child.expect(r"\(d2\) IRQWATCH \d+ (\d+)", timeout=30)  # one surely after the burst
    assert child.match.group(1) == "0", "the bystander took a device interrupt"
    seen = child.seen.getvalue()
    assert "unexpected interrupt" not in seen and "PANIC" not in seen


@pytest.mark.parametrize("arch", ARCHES)
def test_second_owner_refused(request, tmp_path, arch):
    """A second boot-time domain naming the same device is refused; dom0-lite keeps it."""
    k = _kernel(arch)
    other = _cfg(tmp_path, "other", f'name = "other"\nkernel = "{k}"\nmemory = 16\n'
                 f'stubdom = 0\nextra = "test=spin"\n')
    child, path = _spawn(request, tmp_path, arch, extra=["--mgmt-node", "other"],
                         guests=[other])
    wait_for(child, "bulkhead: dom0less: other: xen,reg overlaps a device already given to "
                    "a domain; domain not created")
    wait_for(child, "dom0-lite: management channel ready")
    assert Lines(_connect(path)).ask("ping") == "pong"


@pytest.mark.parametrize("arch", ARCHES)
def test_foreign_interrupt_refused(tmp_path, arch):
    """A channel node naming the hypervisor's UART interrupt: dom0-lite is refused at boot
    with a clear line (and the board, with no domain left, powers off)."""
    _kernel(arch)
    line = UART_LINE[arch]
    r = subprocess.run([sys.executable, BH_BOOT, "--arch", arch, "--timeout", "90", "--dom0",
                        "--mgmt-socket", os.path.join(tmp_path, "m.sock"),
                        "--mgmt-irq", str(line)],
                       capture_output=True, text=True, timeout=150)
    out = r.stdout + r.stderr
    assert (f"bulkhead: dom0less: dom0-lite: interrupt {line} is not one of its xen,path "
            "device's (interrupts / interrupt-map); domain not created") in out, out[-3000:]
    assert "PANIC" not in out
    assert r.returncode == 5, out[-2000:]  # bh-boot: a domain was refused

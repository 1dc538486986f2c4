# SPDX-License-Identifier: MIT
"""dom0-lite's management channel, end to end (issue 15 items 2 and 4, docs/dom0-lite.md):
a QEMU pci-serial passed through to dom0-lite, its interrupt routed to dom0-lite alone,
its host end a Unix socket (bh-boot --mgmt-socket). Both arches.

- From the host side of the socket (the JSON management API, docs/api.md): `version`
  answered, an unknown method and an over-long line answered with JSON errors, then a
  64 KiB burst of 64-byte requests whose answers must come back whole and in order;
  dom0-lite's counters (`channel-stats`) show the bytes came in FIFO-sized batches, one
  interrupt each (no polling: nothing else reads the device). Then `channel-hold`:
  dom0-lite reads nothing until its ring is full, the device is stopped, and the answers
  to 32 KiB more requests still come back whole and in order.
- Meanwhile the board console keeps working (`list` at the bh> prompt) and a bystander
  test guest with every device interrupt of its own enabled (test=irqwatch) sees none.
- At boot: a second domain naming the same device, and a channel node naming an
  interrupt that is not the device's (the hypervisor's UART's), are refused with a clear
  line; nothing panics.
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import ARCHES, BUILD, LOG_DIR
from test_dom0 import BH_BOOT, PROMPT, TIMEOUT, _cfg, _kernel, run, wait_for

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

    def call(self, id, method):
        return json.loads(self.ask(json.dumps({"id": id, "method": method})))

    def ping(self):
        return self.call(1, "version")["result"]["api"] == 1


def _spawn(request, tmp_path, arch, extra=(), guests=()):
    import pexpect

    sock = os.path.join(tmp_path, "mgmt.sock")
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")
    args = [BH_BOOT, "--arch", arch, "--timeout", str(TIMEOUT), "--dom0", "--mgmt-socket", sock,
            "--log", log] + list(extra) + list(guests)
    child = pexpect.spawn(sys.executable, args, encoding="utf-8", codec_errors="replace",
                          timeout=60, dimensions=(50, 200))
    child.seen = __import__("io").StringIO()
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
        assert ch.ping()
    assert ch.call(2, "frobnicate")["error"]["code"] == "unknown-method"
    assert json.loads(ch.ask("x" * 70000))["error"]["code"] == "line-too-long"
    assert ch.ping()  # still serving after the over-long line
    before = ch.call(3, "channel-stats")["result"]

    # The burst: 1024 requests of 64 bytes sent at once, answered in order.
    lines = [f'{{"id":{i},"method":"version"}}'.ljust(63) for i in range(BURST_LINES)]
    blob = "".join(line + "\n" for line in lines).encode()
    assert len(blob) == 64 * 1024
    start = time.monotonic()
    sender = threading.Thread(target=ch.sock.sendall, args=(blob,))
    sender.start()
    ch.sock.settimeout(120)
    got = ch.read(BURST_LINES)
    seconds = time.monotonic() - start
    sender.join()
    ids = [json.loads(g).get("id") for g in got]
    bad = next((i for i, g in enumerate(ids) if g != i), None)
    assert bad is None, f"answer {bad}: {got[bad]!r}"

    after = ch.call(4, "channel-stats")["result"]
    rx = after["rx_bytes"] - before["rx_bytes"]
    irqs = after["irqs"] - before["irqs"]
    print(f"\n{arch}: 64 KiB burst answered in {seconds:.2f} s ({64 / seconds:.0f} KiB/s in, "
          f"{sum(map(len, got)) // 1024} KiB out), {rx} bytes in {irqs} interrupts ({rx / max(irqs, 1):.1f} bytes each)")
    assert rx >= 64 * 1024
    # Interrupt-driven in FIFO batches: well under one interrupt per byte.
    assert 0 < irqs < rx / 4, f"{irqs} interrupts for {rx} bytes"

    # Flow control: dom0-lite reads nothing until its ring is full (`channel-hold`), so
    # the handler turns the device's interrupt off and QEMU holds the rest; nothing may
    # be lost.
    assert ch.call(5, "channel-hold") == {"id": 5, "result": {"holding": True}}
    sender = threading.Thread(target=ch.sock.sendall, args=(blob[:32 * 1024],))
    sender.start()
    got = ch.read(BURST_LINES // 2)
    sender.join()
    ids = [json.loads(g).get("id") for g in got]
    assert ids == list(range(BURST_LINES // 2)), "lost or reordered bytes across a full ring"
    stops = ch.call(6, "channel-stats")["result"]["stops"]
    assert stops - after["stops"] >= 1, "the ring never filled: flow control not tested"

    # The board console still works, and the bystander saw no device interrupt.
    out = run(child, "list")
    assert re.search(r"^dom0-lite\s+1\s", out, re.M) and re.search(r"^watch\s+2\s", out, re.M)
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
    assert Lines(_connect(path)).ping()


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

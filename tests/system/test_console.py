# SPDX-License-Identifier: MIT
"""The board console's input, typed at QEMU's stdin as a person would (docs/console.md).

bh-boot runs under a pseudo-terminal (pexpect), so QEMU reads the keyboard as it does for
`make run`. CTRL-a three times moves the input focus: the hypervisor, d1, d2, back. The
test guests (`test=console-echo`) bind VIRQ_CONSOLE, read with CONSOLEIO_read and echo
each line as `ECHO <line>`; the hypervisor's keys answer while it has the focus. A guest
that never reads its input while a flood comes in must not hang anything or lose any of
its own output.
"""
import os
import re
import shutil
import subprocess
import sys

import pexpect
import pytest

from conftest import ARCHES, BUILD, LOG_DIR, TOP

BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
SWITCH = "\x01\x01\x01"
TIMEOUT = 120  # bh-boot's own limit; every expect below waits far less


def _log_name(request):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log"


@pytest.fixture
def console(request, tmp_path):
    """console(arch, [(name, args), ...]) -> a pexpect child running bh-boot."""
    children = []

    def _spawn(arch, specs):
        kernel = os.path.join(BUILD, arch, "guests", "testguest.bin")
        assert os.path.isfile(kernel), "run `make images` first"
        cfgs = []
        for name, args in specs:
            path = tmp_path / f"{name}.cfg"
            # The echo guest reads the hypervisor console itself (CONSOLEIO_read), so
            # no stub domain: with one, input goes to the stub's UART (test_stub.py).
            path.write_text(f'name = "{name}"\nkernel = "{kernel}"\nmemory = 16\n'
                            f'vcpus = 1\nstubdom = 0\nextra = "{args}"\n')
            cfgs.append(str(path))
        os.makedirs(LOG_DIR, exist_ok=True)
        log = os.path.join(LOG_DIR, _log_name(request))
        child = pexpect.spawn(sys.executable,
                              [BH_BOOT, "--arch", arch, "--timeout", str(TIMEOUT),
                               "--log", log] + cfgs,
                              encoding="utf-8", codec_errors="replace", timeout=60,
                              dimensions=(50, 200))
        child.console_log = log
        children.append((child, log))
        return child

    yield _spawn
    for child, log in children:
        if child.isalive():
            child.terminate(force=True)
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"\nconsole log kept: {log}")


def switch(child, to):
    """CTRL-a x3, and the hypervisor's announcement of the new focus."""
    child.send(SWITCH)
    what = "the hypervisor" if to == 0 else f"d{to}"
    child.expect_exact(f"*** Switching input to {what} (type 'CTRL-a' three times")


def finish(child):
    """Wait for the board to power off; returns the whole console (bh-boot's log) and
    bh-boot's exit status."""
    child.expect(pexpect.EOF, timeout=90)
    child.close()
    with open(child.console_log, encoding="utf-8", errors="replace") as f:
        return f.read(), child.exitstatus


def lines_of(text, d):
    return [l[len(f"(d{d}) "):] for l in text.replace("\r", "").split("\n")
            if l.startswith(f"(d{d}) ")]


@pytest.mark.parametrize("arch", ARCHES)
def test_focus_switch_echo_and_hypervisor_keys(console, arch):
    c = console(arch, [("a", "test=console-echo"), ("b", "test=console-echo")])
    for _ in range(2):
        c.expect(r"\(d(\d)\) ECHO READY port=\d+")
    # The hypervisor has the focus first: its keys.
    c.send("h")
    c.expect_exact("'q'  dump domains and vCPUs")
    c.send("Z")
    c.expect_exact("key 'Z' does nothing here")
    switch(c, 1)
    c.send("hello one\r")
    c.expect_exact("(d1) ECHO hello one")
    switch(c, 2)
    c.send("hello two\r")
    c.expect_exact("(d2) ECHO hello two")
    switch(c, 0)
    c.send("q")
    c.expect(r"d1 \"a\" guest running, 16 MiB, 1 vCPU; label \(d1\); input 10 bytes, 0 dropped")
    c.expect(r"d2 \"b\" guest running, 16 MiB, 1 vCPU; label \(d2\); input 10 bytes, 0 dropped")
    # Back to d1 (the round wraps), a second line there, then each guest quits.
    switch(c, 1)
    c.send("again one\r")
    c.expect_exact("(d1) ECHO again one")
    c.send("quit\r")
    c.expect_exact("(d1) DONE")
    switch(c, 2)
    c.send("quit\r")
    out, status = finish(c)
    assert status == 0, out[-3000:]
    a, b = lines_of(out, 1), lines_of(out, 2)
    # Each line went to the focused domain only, once.
    assert [l for l in a if l.startswith("ECHO ") and "READY" not in l] == \
        ["ECHO hello one", "ECHO again one"], a
    assert [l for l in b if l.startswith("ECHO ") and "READY" not in l] == \
        ["ECHO hello two"], b
    for lines in (a, b):
        assert not [l for l in lines if l.startswith("FAIL")], lines
        assert "PASS console-echo" in lines and "PASS console-bind-virq" in lines
        assert "PASS console-read-empty" in lines and "PASS console-read-zero" in lines
    assert "bulkhead: PANIC" not in out


@pytest.mark.parametrize("arch", ARCHES)
def test_flood_into_a_guest_that_never_reads(console, arch):
    c = console(arch, [("deaf", "test=console-echo read=0 ms=6000"),
                       ("echo", "test=console-echo")])
    for _ in range(2):
        c.expect(r"\(d(\d)\) ECHO READY port=\d+")
    switch(c, 1)
    flood = ("x" * 63 + "\r") * 64  # 4 KiB, 16 times the deaf guest's input ring
    for _ in range(4):
        c.send(flood)
    # The hypervisor did not wait for d1: the focus moves on, and d2 answers at once.
    switch(c, 2)
    c.send("still here\r")
    c.expect_exact("(d2) ECHO still here")
    switch(c, 0)
    c.send("q")
    c.expect(r"d1 \"deaf\" guest running, [^\n]* input (\d+) bytes, (\d+) dropped, (\d+) unread")
    received, dropped, unread = (int(x) for x in c.match.groups())
    switch(c, 1)
    switch(c, 2)
    c.send("quit\r")
    out, status = finish(c)
    assert status == 0, out[-3000:]
    # Every byte reached the hypervisor and is accounted for: the ring's 256 unread, the
    # rest dropped and reported when the focus moved on.
    assert received == 4 * len(flood), (received, dropped, unread)
    assert unread == 256 and dropped == received - unread, (received, dropped, unread)
    assert f"d1 dropped {dropped} of {received} input bytes so far" in out
    # d1's own output went on, whole and in order, while the flood came in.
    deaf = lines_of(out, 1)
    ticks = [int(l.split()[1]) for l in deaf if re.fullmatch(r"TICK \d+", l)]
    assert ticks and ticks == list(range(1, len(ticks) + 1)), deaf
    assert "PASS console-echo" in deaf and not [l for l in deaf if l.startswith("FAIL")]
    assert "ECHO still here" in lines_of(out, 2)
    assert "bulkhead: PANIC" not in out


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("irq", ["refused", "missing"])
def test_uart_without_usable_interrupt_boots_output_only(boot, board_dtb, tmp_path, arch, irq):
    """A UART whose interrupt the controller does not take, or that has none: input is
    off, with a message, and the board boots and powers off as usual."""
    dtb = str(tmp_path / "uart.dtb")
    shutil.copy(board_dtb(arch), dtb)
    node = subprocess.run(["fdtget", "-t", "s", dtb, "/chosen", "stdout-path"], check=True,
                          capture_output=True, text=True).stdout.strip().split(":")[0]
    if irq == "refused":
        cells = ["0", "5000", "4"] if arch == "aarch64" else ["5000"]
        subprocess.run(["fdtput", "-t", "u", dtb, node, "interrupts", *cells], check=True)
        want = "console: the UART's interrupt is refused (-22): output only"
    else:
        subprocess.run(["fdtput", "-d", dtb, node, "interrupts"], check=True)
        want = "console: no UART receive interrupt in the device tree: output only"
    if arch == "riscv64":
        # QEMU's dump predates OpenSBI's own reservation of its memory: put it back.
        for cmd in (["-c", dtb, "/reserved-memory/opensbi@80000000"],
                    ["-t", "u", dtb, "/reserved-memory", "#address-cells", "2"],
                    ["-t", "u", dtb, "/reserved-memory", "#size-cells", "2"],
                    ["-t", "u", dtb, "/reserved-memory", "ranges"],
                    ["-t", "x", dtb, "/reserved-memory/opensbi@80000000", "reg",
                     "0", "80000000", "0", "80000"],
                    ["-t", "u", dtb, "/reserved-memory/opensbi@80000000", "no-map"]):
            subprocess.run(["fdtput", "-p", *cmd] if cmd[0] == "-c" else ["fdtput", *cmd],
                           check=True)
    r = boot(arch, dtb=dtb, timeout=60)
    assert not r.timed_out and not r.panicked, r.output
    assert want in r.output, r.output
    assert "console: input on" not in r.output
    assert r.output.rstrip().endswith("bulkhead: nothing to run, powering off"), r.output

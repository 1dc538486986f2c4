# SPDX-License-Identifier: MIT
"""#15 item 7: a scripted `bh>` session with real Linux guests, both arches
(docs/dom0-lite.md "A session with Linux guests").

dom0-lite's shell (bh-boot --dom0, typed at through a pseudo-terminal) creates three
guests from its boot bundle: two Debian Linux guests (the e2e kernels, 1 vCPU and 128
MiB each, an initramfs of Debian's busybox-static whose init starts a shell on the
stub-served UART: mk/fetch-busybox.sh, tests/e2e/session-init.sh) and one test guest,
each with its stub domain. Then: `list` in xl's columns; `console lin1` and the guest's
own shell runs what is typed; CTRL-a three times back to dom0-lite; `pause` (state p,
Time(s) frozen while a busy loop runs in the guest) and `unpause` (it moves again);
`reboot lin2` (on_reboot = "restart": a new domain, a new Linux boot, a new shell);
`destroy` of all three, after which only dom0-lite is listed and the free memory is back
where it was. And a Linux guest that goes on running, its shell answering, after
dom0-lite is crashed on purpose; and `make run` (#15 item 6) reaching the demo Linux
guest's shell from its prompt.
"""
import io
import os
import re
import signal
import sys
import time

import pexpect
import pytest

from e2e_boot import BUILD, TOP, assert_clean_linux, files

sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from test_dom0 import (_doms, _free_mib, back_to_dom0, create,  # noqa: E402,F401
                       crash_dom0_then_focus, dom0, run, wait_for)  # (dom0: the fixture)

DEB_ARCH = {"aarch64": "arm64", "riscv64": "riscv64"}
TTY = {"aarch64": "ttyAMA0", "riscv64": "ttyS0"}
LINUX_WAIT = 240  # one Linux boot: ~15-25 s here alone, more while others' QEMUs run


def session_files(arch):
    """(kernel, session initramfs); skips with the fetch's reason when offline."""
    kernel, _, _ = files(arch)
    cpio = os.path.join(BUILD, "session", DEB_ARCH[arch], "initramfs.cpio")
    if not os.path.isfile(cpio):
        why = ""
        try:
            with open(os.path.join(BUILD, "session", f"fetch-{DEB_ARCH[arch]}.err"),
                      encoding="utf-8") as f:
                why = f.read().strip()
        except OSError:
            pass
        pytest.skip(f"no busybox initramfs at {cpio}: {why or 'run `make e2e` first'}")
    return kernel, cpio


def linux_cfg(arch, name, kernel, cpio):
    return (f'name = "{name}"\nkernel = "{kernel}"\nramdisk = "{cpio}"\nmemory = 128\n'
            f'vcpus = 1\non_reboot = "restart"\n'
            f'extra = "console={TTY[arch]} quiet rdinit=/init bh_name={name}"\n')


def cpu_time(child, name):
    out = run(child, f"list {name}")
    m = re.search(rf"^{name}\s+\d+\s+\d+\s+\d+\s+\S+\s+(\d+\.\d)$", out, re.M)
    assert m, out
    return float(m.group(1))


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_linux_session(dom0, arch):
    kernel, cpio = session_files(arch)
    tg = os.path.join(BUILD, arch, "guests", "testguest.bin")
    t0 = time.monotonic()
    child = dom0(arch, {
        "lin1": linux_cfg(arch, "lin1", kernel, cpio),
        "lin2": linux_cfg(arch, "lin2", kernel, cpio),
        "tg": f'name = "tg"\nkernel = "{tg}"\nmemory = 16\nextra = "test=idle ms=600000"\n',
    }, timeout=600)
    base = _free_mib(child)
    ids = {}
    for name in ("lin1", "lin2", "tg"):
        ids[name], stub = create(child, name, timeout=120)
        assert stub, name
    # xl's list: its columns, the three guests and their stubs, 128 MiB and 1 vCPU.
    out = run(child, "list")
    assert out.startswith("Name                                        ID   Mem VCPUs\tState"
                          "\tTime(s)"), out
    doms = _doms(out)
    assert set(doms) == {"dom0-lite", "lin1", "lin1-dm", "lin2", "lin2-dm", "tg", "tg-dm"}, out
    assert re.search(rf"^lin1\s+{ids['lin1']}\s+128\s+1\s", out, re.M), out
    for name in ("lin1", "lin2"):
        wait_for(child, f"(d{ids[name]}) session: {name}: busybox ", timeout=LINUX_WAIT)
    booted = time.monotonic() - t0
    # The console of lin1: its own busybox shell runs what is typed.
    d = ids["lin1"]
    child.send("console lin1\r")
    child.expect_exact(f"*** Switching input to d{d}")
    # Its shell's prompt shows at once, though the line has not ended: the partial line
    # of the guest with the keyboard is shown (docs/console.md). A line the console had
    # printed whole would have its newline right after it, not another domain's line or
    # nothing at all.
    child.expect(rf"\(d{d}\) lin1# ", timeout=60)
    if child.expect([r"\n", pexpect.TIMEOUT], timeout=2) == 0:
        assert "(d" in child.before, f"lin1's prompt came as a whole line: {child.before!r}"
    child.send("echo hello from $(hostname) $((6*7)) on $(uname -m)\r")
    child.expect_exact(f"(d{d}) hello from lin1 42 on {arch}", timeout=60)
    if arch == "aarch64":
        # Linux's own xenbus (the guest tree's xen,xen node) connects to xenstored in
        # dom0-lite over its ring; Debian's xenstore-read (arm64 xenstore-utils in the
        # initramfs) reads the guest's own nodes, relative to /local/domain/<id>.
        child.send("xenstore-read domid name; xenstore-write data/t ok && "
                   "xenstore-read data/t\r")
        child.expect(rf"\(d{d}\) {d}\r*\n\(d{d}\) lin1\r*\n\(d{d}\) ok\r*\n", timeout=60)
    # A busy loop in the background: the guest now uses its vCPU all the time.
    child.send("while :; do :; done & echo busy loop $!\r")
    child.expect(rf"\(d{d}\) busy loop \d+", timeout=60)
    back_to_dom0(child)
    # reboot lin2: on_reboot = "restart" builds it again; a new Linux boot (which goes on
    # while lin1 is paused and unpaused below), a new shell.
    assert run(child, "reboot lin2") == ""
    child.expect(r"dom0-lite: lin2 restarted as d(\d+)", timeout=120)
    new = int(child.match.group(1))
    assert new != ids["lin2"]
    run(child, "")
    # pause: state p, and its Time(s) stands still while paused; unpause: it runs on.
    # (The hypervisor adds a vCPU's running time to Time(s) when it is switched out, as
    # pause does: a vCPU running alone on its CPU shows the time of its last switch.)
    for rnd in range(2):
        a = cpu_time(child, "lin1")
        time.sleep(1.5)
        assert run(child, "pause lin1") == ""
        assert _doms(run(child, "list lin1"))["lin1"][1][2] == "p"
        b = cpu_time(child, "lin1")
        assert b >= a + 1.0, f"round {rnd}: the busy guest ran {b - a:.1f} s in 1.5 s"
        time.sleep(2)
        assert cpu_time(child, "lin1") == b, f"round {rnd}: Time(s) moved while paused"
        assert run(child, "unpause lin1") == ""
        assert _doms(run(child, "list lin1"))["lin1"][1][2] == "-"
    wait_for(child, f"(d{new}) session: lin2: busybox ", timeout=LINUX_WAIT)
    run(child, "")
    assert _doms(run(child, "list lin2"))["lin2"][0] == new
    # destroy them all: only dom0-lite is left, stubs included, and the memory is back.
    for name in ("lin1", "lin2", "tg"):
        assert run(child, f"destroy {name}") == ""
    assert set(_doms(run(child, "list"))) == {"dom0-lite"}
    assert _free_mib(child, settle_to=base) == base
    log = child.seen.getvalue().replace("\r", "")
    assert "bulkhead: PANIC" not in log
    for dom in (ids["lin1"], ids["lin2"], new):
        lines = [re.sub(r"^\[\s*\d+\.\d+\] ", "", l[len(f"(d{dom}) "):])
                 for l in log.splitlines() if l.startswith(f"(d{dom}) ")]
        assert_clean_linux(lines)
    print(f"{arch}: both Linux shells up {booted:.1f} s after QEMU's start; "
          f"session {time.monotonic() - t0:.1f} s")


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_linux_outlives_dom0(dom0, arch):
    """#15 item 7: dom0-lite crashes on purpose (`crash-dom0`) while a Linux guest it
    started at boot runs; the guest's stub goes on serving its UART and its shell still
    answers what is typed to it."""
    kernel, cpio = session_files(arch)
    child = dom0(arch, {"lin1": linux_cfg(arch, "lin1", kernel, cpio)}, autostart=["lin1"],
                 ready=["create: lin1 is d2 (stub d3)"], timeout=600)
    wait_for(child, "(d2) session: lin1: busybox ", timeout=LINUX_WAIT)
    crash_dom0_then_focus(child, 2)
    for i in range(3):
        child.send(f"echo still alive {i} $(( {i} * 7 ))\r")
        child.expect_exact(f"(d2) still alive {i} {i * 7}", timeout=60)


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_make_run(arch):
    """#15 item 6: `make run` at a terminal lands at the bh> prompt with the banner naming
    the demo Linux guest; `console linux` reaches its shell, CTRL-a x3 comes back."""
    session_files(arch)
    child = pexpect.spawn("make", ["--no-print-directory", "-s", f"ARCH={arch}", "SKIP_DEPS=1",
                                   "RUN_TIMEOUT=300", "run"], cwd=TOP, encoding="utf-8",
                          codec_errors="replace", timeout=120, dimensions=(50, 200))
    child.seen = io.StringIO()
    child.logfile_read = child.seen
    try:
        child.expect_exact("Started at boot: linux; 'console <name>' types to its console.")
        child.expect_exact("bh> ")
        wait_for(child, "(d2) session: linux: busybox ", timeout=LINUX_WAIT)
        child.send("console linux\r")
        child.expect_exact("*** Switching input to d2")
        child.send("echo run-ok $((2 + 3)) on $(hostname)\r")
        child.expect_exact("(d2) run-ok 5 on linux", timeout=60)
        back_to_dom0(child)
        assert "linux-dm" in run(child, "list")
    finally:
        with open(os.path.join(BUILD, "test-logs", f"make-run-{arch}.log"), "w",
                  encoding="utf-8") as f:
            f.write(child.seen.getvalue().replace("\r", ""))
        # SIGHUP to make's process group (make, bh-boot, QEMU): bh-boot stops QEMU.
        try:
            os.killpg(child.pid, signal.SIGHUP)
        except ProcessLookupError:
            pass
        child.expect(pexpect.EOF, timeout=60)
        child.close(force=True)

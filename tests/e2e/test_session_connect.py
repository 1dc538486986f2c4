# SPDX-License-Identifier: MIT
"""#15 item 7: the scripted session of test_session.py "the same through `bh --connect`",
both arches: dom0-lite booted with its management channel (bh-boot --dom0
--mgmt-socket), and every step taken by the host's `build/host/bh --connect unix:SOCK`
over the management API (docs/api.md): create two Debian Linux guests and the test guest
from the boot bundle, `list`, `console lin1` at a terminal (a pty: its busybox shell runs
what is typed; CTRL-] detaches) and from a pipe (`cat /proc/version`), `pause` (`list`
shows p) and `unpause`, `reboot lin2` (on_reboot = "restart": a new id, a new shell),
`destroy` of all three, after which `list` shows dom0-lite alone. The board console is
only watched (for the Linux boots' progress), never typed at.
"""
import os
import re
import select
import subprocess
import sys
import time

import pexpect
import pytest

from e2e_boot import BUILD, TOP
from test_session import LINUX_WAIT, linux_cfg, session_files

sys.path.insert(0, os.path.join(TOP, "tests", "system"))
from test_dom0 import _doms, dom0, wait_for  # noqa: E402,F401 (dom0: the fixture)

BH = os.path.join(BUILD, "host", "bh")
CON_WAIT = 180  # a shell's answer: ~1 s alone, much more while other QEMUs load the host


@pytest.fixture(scope="module")
def built_bh():
    r = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={BUILD}", "bh"],
                       cwd=TOP, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def bh(sock, *args, stdin=None, timeout=120):
    opts = []
    if args[0] == "--timeout":
        opts, args = list(args[:2]), args[2:]
    r = subprocess.run([BH, "--connect", f"unix:{sock}", *opts, *args], capture_output=True,
                       input=stdin, timeout=timeout)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def console(sock, name, line, until, timeout=CON_WAIT):
    """`bh console NAME` fed from a pipe: @line in, its stdout until @until is in it
    (a guest slowed by a loaded host may answer after bh's 2 s of quiet), then stdin's
    end; bh must exit 0 by itself. Its whole stdout."""
    p = subprocess.Popen([BH, "--connect", f"unix:{sock}", "console", name],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, ended = b"", False
    try:
        p.stdin.write(line)
        p.stdin.flush()
        end = time.monotonic() + timeout
        while not ended:
            if until in out.decode("latin-1") and not p.stdin.closed:
                p.stdin.close()  # bh now ends by itself, 2 s after the output goes quiet
                end = time.monotonic() + 60
            left = end - time.monotonic()
            assert left > 0, f"no {until!r} from {name}'s console, or no end: {out!r}"
            if select.select([p.stdout], [], [], left)[0]:
                chunk = os.read(p.stdout.fileno(), 65536)
                ended = not chunk
                out += chunk
        assert until in out.decode("latin-1"), out
        p.wait(timeout=60)
        err = p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert (p.returncode, err) == (0, b""), (p.returncode, err)
    return out.decode("latin-1")


def ok(sock, *args, **kw):
    rc, out, err = bh(sock, *args, **kw)
    assert (rc, err) == (0, ""), (args, rc, out, err)
    return out


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_linux_session_through_bh_connect(dom0, built_bh, tmp_path, arch):
    kernel, cpio = session_files(arch)
    tg = os.path.join(BUILD, arch, "guests", "testguest.bin")
    sock = str(tmp_path / "mgmt.sock")
    t0 = time.monotonic()
    child = dom0(arch, {
        "lin1": linux_cfg(arch, "lin1", kernel, cpio),
        "lin2": linux_cfg(arch, "lin2", kernel, cpio),
        "tg": f'name = "tg"\nkernel = "{tg}"\nmemory = 16\nextra = "test=idle ms=600000"\n',
    }, timeout=600, opts=["--mgmt-socket", sock])
    wait_for(child, "dom0-lite: management channel ready")
    ids = {}
    for name in ("lin1", "lin2", "tg"):
        out = ok(sock, "create", name)
        m = re.fullmatch(rf"create: {name} is d(\d+) \(stub d\d+\)\n", out)
        assert m, out
        ids[name] = int(m.group(1))
    # xl's list, through the API: the three guests and their stubs
    out = ok(sock, "list")
    assert out.startswith("Name                                        ID   Mem VCPUs\tState"
                          "\tTime(s)"), out
    assert set(_doms(out)) == {"dom0-lite", "lin1", "lin1-dm", "lin2", "lin2-dm", "tg",
                               "tg-dm"}, out
    assert re.search(rf"^lin1\s+{ids['lin1']}\s+128\s+1\s", out, re.M), out
    for name in ("lin1", "lin2"):
        wait_for(child, f"(d{ids[name]}) session: {name}: busybox ", timeout=LINUX_WAIT)
    booted = time.monotonic() - t0
    # console lin1 at a terminal: the history ends at its shell's prompt; what is typed
    # runs there; CTRL-] detaches, exit 0
    d = ids["lin1"]
    con = pexpect.spawn(BH, ["--connect", f"unix:{sock}", "console", "lin1"], timeout=CON_WAIT,
                        encoding="latin-1", dimensions=(50, 200))
    try:
        con.expect_exact(f"[bh: console of d{d}; CTRL-] detaches]")
        con.send("\r")  # a fresh prompt, whatever the history held
        con.expect_exact("lin1# ")
        con.send("echo hi-$((6*7)) from $(hostname) on $(uname -m)\r")
        con.expect_exact(f"hi-42 from lin1 on {arch}")
        con.expect_exact("lin1# ")
        con.send("\x1d")
        con.expect_exact(f"[bh: detached from d{d}]")
        con.expect(pexpect.EOF)
    except pexpect.TIMEOUT:
        child.expect(pexpect.TIMEOUT, timeout=3)  # the board console's view, for the log
        raise
    finally:
        con.close(force=True)
    assert con.exitstatus == 0, (con.exitstatus, con.before)
    # from a pipe: the lines go in, the answers come out, bh ends by itself
    out = console(sock, "lin1", b"cat /proc/version; echo done-$((3+4))\r", "done-7")
    assert re.search(r"^Linux version \d+\.\d+", out.replace("\r", ""), re.M), out
    # pause: state p in list; unpause: running again
    assert ok(sock, "pause", "lin1") == ""
    assert _doms(ok(sock, "list", "lin1"))["lin1"][1][2] == "p"
    assert ok(sock, "unpause", "lin1") == ""
    assert _doms(ok(sock, "list", "lin1"))["lin1"][1][2] == "-"
    console(sock, "lin1", b"echo alive-$((1+1))\r", "alive-2")
    # reboot lin2: on_reboot = "restart" builds it again with a new id, which boots Linux
    # (its answer can wait for the restart: dom0-lite builds the new lin2 first, and the
    # answer's tail waits in the channel's transmit ring meanwhile: 37-129 s on riscv64 here)
    t = time.monotonic()
    assert ok(sock, "--timeout", "300", "reboot", "lin2", timeout=400) == ""
    answered = time.monotonic() - t
    end = time.monotonic() + 120
    while True:
        doms = _doms(ok(sock, "list"))
        if "lin2" in doms and doms["lin2"][0] != ids["lin2"]:
            break
        assert time.monotonic() < end, doms
        time.sleep(1)
    new = doms["lin2"][0]
    wait_for(child, f"(d{new}) session: lin2: busybox ", timeout=LINUX_WAIT)
    console(sock, "lin2", b"echo back-$((5*5)) as $(hostname)\r", "back-25 as lin2")
    # destroy all three: only dom0-lite is left, stubs included
    for name in ("lin1", "lin2", "tg"):
        assert ok(sock, "destroy", name) == ""
    assert set(_doms(ok(sock, "list"))) == {"dom0-lite"}
    rc, out, err = bh(sock, "console", "lin1")
    assert (rc, err) == (1, "console: unknown domain 'lin1'\n"), (rc, out, err)
    assert "bulkhead: PANIC" not in child.seen.getvalue()
    print(f"{arch}: both Linux shells up {booted:.1f} s after QEMU's start; "
          f"session through bh --connect {time.monotonic() - t0:.1f} s; reboot answered in "
          f"{answered:.1f} s")

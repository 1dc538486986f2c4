# SPDX-License-Identifier: MIT
"""dom0-lite, the control domain, and its `bh>` shell, typed at as a person would
(docs/dom0-lite.md): bh-boot --dom0 under a pseudo-terminal (pexpect), both arches.

- The shell: the banner, the prompt with the keyboard on dom0-lite from boot, `help`,
  usage and unknown-command errors, bad configs in the bundle answered with
  FILE:LINE: key 'KEY': problem, overrides checked as config lines are.
- A guest keeps running while dom0-lite is crashed on purpose (the hidden `crash-dom0`).
- The scripted session (create three guests, list, console, pause, unpause, reboot,
  destroy) needs the hypervisor's control hypercalls (branch ctl): until they are there it
  is skipped, with the shell's own -ENOSYS answer as the reason.
"""
import io
import os
import re
import sys

import pexpect
import pytest

from conftest import ARCHES, BUILD, LOG_DIR, TOP

BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
SWITCH = "\x01\x01\x01"
PROMPT = "bh> "
TIMEOUT = 120
NOSYS = "not implemented by this hypervisor"


def _kernel(arch):
    path = os.path.join(BUILD, arch, "guests", "testguest.bin")
    assert os.path.isfile(path), "run `make images` first"
    for p in ("dom0-lite/dom0-lite.bin", "drivers/stub.bin", "bulkhead.bin"):
        assert os.path.isfile(os.path.join(BUILD, arch, p)), "run `make images` first"
    return path


def _cfg(tmp_path, name, text):
    path = tmp_path / f"{name}.cfg"
    path.write_text(text)
    return str(path)


@pytest.fixture
def dom0(request, tmp_path):
    """dom0(arch, bundle={name: text}, guests=[path], autostart=[]) -> pexpect child at
    the first prompt."""
    children = []

    def _spawn(arch, bundle, guests=(), autostart=(), ready=()):
        args = [BH_BOOT, "--arch", arch, "--timeout", str(TIMEOUT), "--dom0"]
        for name, text in bundle.items():
            args += ["--bundle", _cfg(tmp_path, name, text)]
        for name in autostart:
            args += ["--autostart", name]
        os.makedirs(LOG_DIR, exist_ok=True)
        log = os.path.join(LOG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")
        child = pexpect.spawn(sys.executable, args + ["--log", log] + list(guests),
                              encoding="utf-8", codec_errors="replace", timeout=60,
                              dimensions=(50, 200))
        children.append(child)
        # The boot-time guests' lines and dom0-lite's come in either order.
        child.seen = io.StringIO()
        child.logfile_read = child.seen
        child.expect_exact("CTRL-a three times moves the keyboard")
        child.expect_exact(PROMPT)
        for text in ready:  # boot-time guests' lines, before or after dom0-lite's
            if text not in child.seen.getvalue():
                child.expect_exact(text)
        return child

    yield _spawn
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def run(child, line, timeout=30):
    """Type @line at the prompt; return what it printed before the next prompt."""
    child.send(line + "\r")
    child.expect_exact(PROMPT, timeout=timeout)
    out = child.before.replace("\r", "")
    assert out.startswith(line), f"no echo of {line!r}: {out!r}"
    return out[len(line):].strip("\n")


def uart_cfg(kernel, name, extra="test=uart how=poll lines=3", more=""):
    return f'name = "{name}"\nkernel = "{kernel}"\nmemory = 16\nextra = "{extra}"\n{more}'


@pytest.mark.parametrize("arch", ARCHES)
def test_shell_errors(dom0, arch):
    k = _kernel(arch)
    child = dom0(arch, {
        "good": uart_cfg(k, "good"),
        "bigmem": f'name = "bigmem"\nkernel = "{k}"\n# a comment\nmemory = 99999\n',
        "syntax": f'name = "syntax"\nkernel = "{k}"\nmemory = 16\nvcpus 2\n',
        "unknown": f'name = "unknown"\nkernel = "{k}"\nmemory = 16\nfrobs = 3\n',
        "twice": f'name = "twice"\nkernel = "{k}"\nmemory = 16\nmemory = 32\n',
        "policy": f'name = "policy"\nkernel = "{k}"\nmemory = 16\non_crash = "explode"\n',
        "noname": f'kernel = "{k}"\nmemory = 16\n',
    })
    # The keyboard is dom0-lite's from boot: no CTRL-a needed.
    out = run(child, "help")
    for cmd in ("create", "list", "destroy", "shutdown", "reboot", "pause", "unpause",
                "console", "vcpu-list", "sched-credit", "info", "uptime", "help"):
        assert re.search(rf"^ {cmd} ", out, re.M), f"help lacks {cmd}: {out}"
    assert "crash-dom0" not in out
    assert run(child, "frobnicate now") == "frobnicate: unknown command; 'help' lists them"
    assert run(child, "") == ""
    assert run(child, "destroy").startswith("Usage: destroy <domain>")
    assert run(child, "create").startswith("Usage: create <config>")
    assert run(child, "create bigmem") == \
        "create: configs/bigmem.cfg:4: key 'memory': 99999 out of range (1..3072)"
    assert run(child, "create syntax") == \
        "create: configs/syntax.cfg:4: key 'vcpus': expected '=' after the key"
    assert run(child, "create unknown") == \
        "create: configs/unknown.cfg:4: key 'frobs': unknown key"
    assert run(child, "create twice") == \
        "create: configs/twice.cfg:4: key 'memory': given twice (first at line 3)"
    assert run(child, "create policy") == ("create: configs/policy.cfg:4: key 'on_crash': "
                                          "must be \"destroy\", \"restart\" or \"preserve\"")
    assert run(child, "create noname") == \
        "create: configs/noname.cfg: key 'name': missing (required)"
    assert run(child, "create nosuch") == \
        "create: configs/nosuch.cfg: no such config in the boot bundle"
    assert run(child, "create good memory=abc") == \
        "create: configs/good.cfg (command line): key 'memory': must be an integer"
    assert run(child, "create good vcpus=9") == \
        "create: configs/good.cfg (command line): key 'vcpus': 9 out of range (1..8)"
    assert run(child, "create good cpus=3-1") == ("create: configs/good.cfg (command line): "
                                                 "key 'cpus': must be a cpu list such as "
                                                 "\"0-3,5\" or \"all\" (CPUs 0..63)")
    assert run(child, "create good novalue").startswith("create: configs/good.cfg (command "
                                                        "line): an override is KEY=VALUE")
    assert run(child, "sched-credit -d x -w 0") == \
        "sched-credit: bad weight '0' (1..65535)"
    assert run(child, "list a b").startswith("Usage: list [domain]")
    # Backspace edits the line before it runs.
    child.send("helq\x7fp uptime\r")
    child.expect_exact(PROMPT)
    assert "\nUsage: uptime\n" in child.before.replace("\r", ""), child.before
    # dom0-lite is still there and answers.
    assert "Name" in run(child, "uptime")


@pytest.mark.parametrize("arch", ARCHES)
def test_guest_outlives_dom0(dom0, arch, tmp_path):
    """dom0-lite crashes on purpose; a boot-time guest goes on echoing what is typed."""
    k = _kernel(arch)
    echo = _cfg(tmp_path, "echo", f'name = "echo"\nkernel = "{k}"\nmemory = 16\nstubdom = 0\n'
                'extra = "test=console-echo"\n')
    child = dom0(arch, {}, guests=[echo], ready=["(d2) ECHO READY"])
    child.send("crash-dom0\r")
    child.expect_exact("dom0-lite: crashing on purpose")
    child.expect(r"bulkhead: d1 \(dom0-lite\) crashed")
    child.send("x")  # the focus was dom0-lite's: the hypervisor takes it back
    child.expect_exact("console: d1 is gone; input goes back to the hypervisor")
    child.send(SWITCH)
    child.expect_exact("*** Switching input to d2")
    for i in range(3):
        child.send(f"still here {i}\r")
        child.expect_exact(f"(d2) ECHO still here {i}")
    child.send("quit\r")
    child.expect_exact("(d2) PASS console-echo")


def _need_control(child):
    out = run(child, "list")
    if NOSYS in out:
        pytest.skip(f"the hypervisor has no control hypercalls yet: `list` says {out!r}")
    return out


LIST_RE = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([-rbpscd]{6})\s+(\d+\.\d)$", re.M)


def _doms(out):
    return {m.group(1): (int(m.group(2)), m.group(5)) for m in LIST_RE.finditer(out)}


@pytest.mark.parametrize("arch", ARCHES)
def test_session(dom0, arch):
    k = _kernel(arch)
    child = dom0(arch, {
        "u1": uart_cfg(k, "u1", "test=uart how=poll lines=1000000"),
        "u2": uart_cfg(k, "u2", "test=uart how=irq lines=1000000", 'on_reboot = "restart"\n'),
        "spin": f'name = "spin"\nkernel = "{k}"\nmemory = 16\nvcpus = 2\n'
                'extra = "test=spin n=2000000000"\n',
    })
    out = _need_control(child)
    assert out.startswith("Name                                        ID   Mem VCPUs\tState")
    for name in ("u1", "u2", "spin"):
        out = run(child, f"create {name}", timeout=60)
        assert re.fullmatch(rf"create: {name} is d\d+ \(stub d\d+\)", out), out
    assert run(child, "create u1") .startswith("create: a domain named 'u1' already exists")
    doms = _doms(run(child, "list"))
    for name in ("dom0-lite", "u1", "u2", "spin", "u1-dm", "u2-dm"):
        assert name in doms, doms
    u1 = doms["u1"][0]
    child.send(f"console u1\r")
    child.expect_exact(f"*** Switching input to d{u1}")
    child.expect(rf"\(d{u1}\) UART poll \d+ ")
    child.send(SWITCH)
    child.expect_exact("*** Switching input to")
    while True:  # the round: on to the hypervisor, then dom0-lite (d1)
        i = child.expect([r"Switching input to d1 ", r"Switching input to \S+"])
        if i == 0:
            break
        child.send(SWITCH)
    child.send("\r")
    child.expect_exact(PROMPT)
    assert run(child, "pause u2") == ""
    assert _doms(run(child, "list u2"))["u2"][1][2] == "p"
    assert run(child, "unpause u2") == ""
    assert _doms(run(child, "list u2"))["u2"][1][2] == "-"
    assert run(child, "reboot u2") == ""
    child.expect_exact("dom0-lite: u2 ")
    child.expect_exact("restarted as d")
    for name in ("u1", "u2", "spin"):
        assert run(child, f"destroy {name}") == ""
    doms = _doms(run(child, "list"))
    assert set(doms) == {"dom0-lite"} or set(doms) <= {"dom0-lite", "d1"}, doms
    assert run(child, "destroy u1") == "destroy: unknown domain 'u1'"

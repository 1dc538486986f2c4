# SPDX-License-Identifier: MIT
"""xenstored in dom0-lite (docs/xenstored.md, "xenstored in dom0-lite"), both arches:
guests reach it over the xenstore ring the hypervisor gives them (test guest modes `xs`
and `xs-hostile`, tests/guests/xs.c), and the operator sees the store with
`bh> xenstore-ls`.

- Four boot-time guests: one runs the client checks (its own domid and name, a write read
  back, a watch and its events, EACCES on dom0-lite's nodes, a transaction); two scribble
  into their rings (a 5,000-byte length; a producer index more than a ring ahead) and
  must be disconnected; one writes 2,000-byte values until its memory quota says ENOMEM
  and is still served; the first is served throughout and dom0-lite still answers.
- `xenstore-ls` shows what INTRODUCE wrote (/local/domain/<id>/domid, name, vm) and the
  guest's own writes; a guest created from the shell is introduced, runs the same checks
  after looking for its ring late (1.5 s, earlier events dropped: dom0-lite must notify
  again), and its nodes go away when it is destroyed.
- Debian's arm64 Linux 6.1 beside dom0-lite: its own xenbus connects and writes its
  control/feature-* nodes (with the kernel of `make e2e`).
"""
import io
import os
import re
import sys

import pexpect
import pytest

from conftest import ARCHES, LOG_DIR, TOP
from test_dom0 import _cfg, _kernel, dom0, run, wait_for  # noqa: F401 (dom0: a fixture)

DONE_RE = r"\(d{id}\) DONE (\d+) passed, (\d+) failed"


def _xs_cfg(kernel, name, extra):
    return (f'name = "{name}"\nkernel = "{kernel}"\nmemory = 16\nstubdom = 0\n'
            f'extra = "{extra}"\n')


def _expect_done(child, domid, passed_min):
    pat = DONE_RE.format(id=domid)
    m = re.search(pat, child.seen.getvalue())
    if not m:
        child.expect(pat, timeout=90)
        m = child.match
    fails = re.findall(rf"\(d{domid}\) FAIL [^\r\n]*", child.seen.getvalue())
    assert int(m.group(2)) == 0 and not fails, fails
    assert int(m.group(1)) >= passed_min, m.group(0)


def _ls_domains(child):
    """The domain ids under /local/domain, from xenstore-ls."""
    out = run(child, "xenstore-ls /local/domain")
    return out, {int(m.group(1)) for m in re.finditer(r'^(\d+) = ""$', out, re.M)}


@pytest.mark.parametrize("arch", ARCHES)
def test_xenstore_over_rings(dom0, arch, tmp_path):
    k = _kernel(arch)
    good = _cfg(tmp_path, "xsa", _xs_cfg(k, "xsa", "test=xs name=xsa stay=1"))
    hostile = _cfg(tmp_path, "xsh", _xs_cfg(k, "xsh", "test=xs-hostile stay=1"))
    badidx = _cfg(tmp_path, "xsi", _xs_cfg(k, "xsi", "test=xs-hostile how=idx stay=1"))
    hog = _cfg(tmp_path, "xsm", _xs_cfg(k, "xsm", "test=xs-hog stay=1"))
    child = dom0(arch, {"xsb": _xs_cfg(k, "xsb", "test=xs name=xsb stay=1 late=1")},
                 guests=[good, hostile, badidx, hog])
    # d2 (xsa) passes every client check; d3 (xsh) and d4 (xsi) are cut off for their
    # garbage (a 5,000-byte length; a producer index more than a ring ahead).
    wait_for(child, "(d2) XS domid=2", timeout=90)
    _expect_done(child, 2, 14)
    wait_for(child, "(d3) PASS xs-hostile-disconnected", timeout=90)
    wait_for(child, "dom0-lite: xenstored: d3 broke the ring protocol (error 3)")
    _expect_done(child, 3, 1)
    wait_for(child, "dom0-lite: xenstored: d4 broke the ring protocol (error 2)")
    _expect_done(child, 4, 1)
    # d5 (xsm) fills its memory quota: ENOMEM, and it is still served.
    _expect_done(child, 5, 2)
    hog = re.search(r"\(d5\) XS hog: (\d+) values stored before ENOMEM", child.seen.getvalue())
    assert hog and int(hog.group(1)) <= (256 << 10) // 2064 + 1, hog and hog.group(0)
    print(hog.group(0))
    # dom0-lite is alive and its store shows what INTRODUCE and the guest wrote.
    out, ids = _ls_domains(child)
    assert {2, 3, 4, 5} <= ids, out
    assert re.search(r'^ name = "xsa"$', out, re.M), out
    assert re.search(r'^ domid = "2"$', out, re.M), out
    assert re.search(r'^ vm = "/vm/[0-9a-f-]{36}"$', out, re.M), out
    assert re.search(r'^  hello = "world"$', out, re.M), out
    assert run(child, "xenstore-read /local/domain/2/data/t") == "in-txn"
    assert run(child, "xenstore-write /local/domain/2/data/op yes") == ""
    assert run(child, "xenstore-read /local/domain/2/data/op") == "yes"
    assert run(child, "xenstore-read /local/domain/2/nope") == \
        "xenstore-read: /local/domain/2/nope: ENOENT"
    assert run(child, "xenstore-ls nope").startswith("xenstore-ls: nope: ")
    assert run(child, "xenstore-read").startswith("Usage: xenstore-read <path>")
    # A guest created from the shell is introduced too, and released on destroy.
    out = run(child, "create xsb", timeout=60)
    m = re.fullmatch(r"create: xsb is d(\d+)", out)
    assert m, out
    b = int(m.group(1))
    wait_for(child, f"(d{b}) XS domid={b}", timeout=90)
    _expect_done(child, b, 16)
    assert f"(d{b}) PASS xs-late-event" in child.seen.getvalue()
    run(child, "")
    out, ids = _ls_domains(child)
    assert b in ids, out
    assert re.search(r'^ name = "xsb"$', out, re.M), out
    assert run(child, "destroy xsb") == ""
    wait_for(child, f"dom0-lite: xenstored: d{b} released")
    out, ids = _ls_domains(child)
    assert b not in ids and {2, 3, 4, 5} <= ids, out
    assert "xsb" not in run(child, "xenstore-ls /vm")
    assert "xsa" in run(child, "list")


def test_linux_xenbus_in_dom0_lite(tmp_path):
    """Debian's arm64 Linux 6.1, unmodified, boots beside dom0-lite: its own xenbus finds the
    ring, connects to xenstored there and writes its control/feature-* nodes, which
    `xenstore-ls` shows; when its init powers off, its nodes go. (Skipped without the
    kernel of `make e2e`.)"""
    sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
    from e2e_boot import files  # noqa: E402 (skips the test without the kernel)

    kernel, cpio, _ = files("aarch64")
    _kernel("aarch64")
    linux = _cfg(tmp_path, "linux", f'name = "linux"\nkernel = "{kernel}"\nramdisk = "{cpio}"\n'
                 'memory = 256\nvcpus = 2\nstubdom = 0\nextra = "earlycon=xenboot keep_bootcon '
                 'printk.devkmsg=on rdinit=/init e2e_cpus=2 e2e_mem=256 e2e_xen=1"\n')
    args = [os.path.join(TOP, "toolstack", "bh-boot"), "--arch", "aarch64", "--smp", "2",
            "--mem", "1G", "--timeout", "300", "--dom0",
            "--log", os.path.join(LOG_DIR, "test_linux_xenbus_in_dom0_lite.log"), linux]
    os.makedirs(LOG_DIR, exist_ok=True)
    child = pexpect.spawn(sys.executable, args, encoding="utf-8", codec_errors="replace",
                          timeout=240, dimensions=(50, 200))
    child.seen = io.StringIO()
    child.logfile_read = child.seen
    try:
        child.expect_exact("CTRL-a three times moves the keyboard")
        child.expect_exact("bh> ")
        assert "dom0-lite: xenstored: d2 (linux) introduced" in child.seen.getvalue()
        child.expect_exact("e2e: init started")  # xenbus probed by now (a device initcall)
        out = run(child, "xenstore-ls /local/domain/2")
        assert re.search(r'^name = "linux"$', out, re.M), out
        for feature in ("poweroff", "reboot"):
            assert re.search(rf'^ feature-{feature} = "1"$', out, re.M), out
        wait_for(child, "e2e: DONE 7 passed, 0 failed", timeout=180)
        # A boot-time guest is freed by the hypervisor when it shuts down, with no
        # VIRQ_DOM_EXC after that: dom0-lite, having seen it shut down, looks again on its
        # 0.5 s ticks and releases it.
        wait_for(child, "bulkhead: d2 (linux) shut down: poweroff", timeout=60)
        wait_for(child, "dom0-lite: xenstored: d2 released", timeout=30)
        out = run(child, "xenstore-ls /local/domain")
        assert not re.search(r"^2 = ", out, re.M), out
    finally:
        child.terminate(force=True)

# SPDX-License-Identifier: MIT
"""The control domain's operations (docs/control.md) on both arches.

- A test guest booted by bh-boot with `role = "control"` (tests/guests/control.c) builds
  a second domain 100 times from a copy of its own image, through the hypercalls alone:
  createdomain, max_mem, populate_physmap, foreign maps of the new domain's RAM (the image
  and a DTB copied in), setvcpucontext, unpause; the child prints its first line and
  powers off; the control guest learns it from VIRQ_DOM_EXC, checks getdomaininfo
  (shutdown, poweroff), destroys it, and at the end checks that physinfo's free pages are
  back to their value after the first round.
- The same guest booted as a plain guest tries every control operation: each -EPERM.
"""
import os
import re
import subprocess
import sys

import pytest

from conftest import ARCHES, BUILD, LOG_DIR, TOP

BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
# The child's bootargs overwrite ours in place (control.c): keep ours long enough.
PAD = "pad=" + "x" * 24


def _log(request):
    os.makedirs(LOG_DIR, exist_ok=True)
    return os.path.join(LOG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")


def boot(request, tmp_path, arch, cfgs, timeout):
    paths = []
    for name, text in cfgs.items():
        p = tmp_path / f"{name}.cfg"
        p.write_text(text)
        paths.append(str(p))
    log = _log(request)
    argv = [sys.executable, BH_BOOT, "--arch", arch, "--timeout", str(timeout), "--log", log]
    proc = subprocess.run(argv + paths, capture_output=True, text=True, timeout=timeout + 60)
    return proc.returncode, proc.stdout.replace("\r\n", "\n"), log


def guest(arch, name, role, extra):
    path = os.path.join(BUILD, arch, "guests", "testguest.bin")
    assert os.path.isfile(path), "run `make images` first"
    return (f'name = "{name}"\nkernel = "{path}"\nmemory = 16\nrole = "{role}"\n'
            f'extra = "{extra}"\n')


@pytest.mark.parametrize("arch", ARCHES)
def test_control_builds_100_domains(request, tmp_path, arch):
    iters = 100
    cfg = guest(arch, "ctl", "control", f"test=control iters={iters} {PAD}")
    status, out, log = boot(request, tmp_path, arch, {"ctl": cfg}, timeout=300)
    fails = re.findall(r"^\(d\d+\) FAIL .*$", out, re.M)
    assert not fails, f"{fails}; log {log}"
    for name in ("control-bind-dom-exc", "control-child-dtb", "control-rounds",
                 "control-free-pages-back"):
        assert re.search(rf"^\(d1\) PASS {name}$", out, re.M), f"no PASS {name}; log {log}"
    # Every child printed its first line and powered off.
    children = re.findall(r"^\(d(\d+)\) testguest: test=shutdown ", out, re.M)
    assert len(children) == iters, f"{len(children)} children printed; log {log}"
    assert len(re.findall(r"^\(d\d+\) SHUTDOWN poweroff", out, re.M)) == iters, f"log {log}"
    m = re.search(r"INFO control: (\d+) domains built, run and destroyed in (\d+) ms; free "
                  r"pages (\d+) after round 1, (\d+) at the end", out)
    assert m and int(m.group(1)) == iters and m.group(3) == m.group(4), f"log {log}"
    print(f"{arch}: {iters} domains in {m.group(2)} ms, free pages {m.group(3)} -> "
          f"{m.group(4)}")
    assert re.search(r"^\(d1\) DONE \d+ passed, 0 failed$", out, re.M), f"log {log}"
    assert status == 0, f"bh-boot exit {status}; log {log}"


@pytest.mark.parametrize("arch", ARCHES)
def test_control_ops_refused_to_a_guest(request, tmp_path, arch):
    cfg = guest(arch, "plain", "guest", f"test=control {PAD}")
    status, out, log = boot(request, tmp_path, arch, {"plain": cfg}, timeout=60)
    passes = re.findall(r"^\(d1\) PASS control-refused-(\S+)$", out, re.M)
    fails = re.findall(r"^\(d\d+\) FAIL .*$", out, re.M)
    assert not fails, f"{fails}; log {log}"
    assert len(passes) == 14, f"{passes}; log {log}"
    assert re.search(r"domctl on d1 refused \(-EPERM\)", out), f"no log line; log {log}"
    assert re.search(r"^\(d1\) DONE 14 passed, 0 failed$", out, re.M), f"log {log}"
    assert status == 0, f"bh-boot exit {status}; log {log}"

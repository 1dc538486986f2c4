# SPDX-License-Identifier: MIT
"""Debian's arm64 Linux 6.1 reaches a xenstore server through its magic page (docs/
xenstored.md "Domains' rings"): its own xenbus, unmodified, on the ring the hypervisor
hands out when the board has a control domain.

d1 is a test guest with `role = "control"` (tests/guests/magic.c, `side=xenstored`): it
reads d2's store port, maps d2's grant ref 1, binds the port, says XENSTORE_CONNECTED,
notifies, then answers every request on the ring (reads ENOENT, the rest OK) until d2 is
gone. d2 is the Linux guest of tests/e2e (earlycon=xenboot, no stub). Two orders:
- the ring is ready before Linux looks: STORE_PFN is the frame at once;
- the server connects 1.5 s after Linux's vCPU 1 came up (Linux brings its CPUs up just
  before its initcalls; xenbus_init, a postcore one, reads STORE_PFN = ~0 0.5-3 s later,
  and init ends 2-20 s later, idle to loaded): Linux's late xenstore init waits for the
  store event, reads STORE_PFN again and connects. Should the server still have connected
  before Linux's first arch_initcall printed, or Linux been done before it connected, the
  order was not arranged and the case is skipped. Linux 6.1's late-init thread misses an event that comes before it waits (between
  xenbus_init and xenbus_probe_initcall), so the server notifies again every 0.5 s until the
  first request (docs/xenstored.md).
Either way Linux's xenbus sends its requests (xs_reset_watches probe, its watches, the
device directories), reads the answers and boots on to its checks and power-off. And with
a control domain that serves nothing, Linux boots quietly, its xenbus waiting.
"""
import os
import re
import subprocess
import sys

import pytest

from e2e_boot import (BH_BOOT, BUILD, LOG_DIR, TIMEOUT, assert_checks_passed, assert_clean_linux,
                      files, guest_lines)

CHECKS = ("cpus-online", "memory", "timer-sleep", "timer-ticks", "irq-timer", "irq-ipi",
          "xen-sysfs")


def boot_with_control(tmp_path, side, delay_ms=0):
    kernel, cpio, image = files("aarch64")
    testguest = os.path.join(BUILD, "aarch64", "guests", "testguest.bin")
    assert os.path.isfile(testguest), "run `make images` first"
    ctl = tmp_path / "ctl.cfg"
    ctl.write_text(f'name = "ctl"\nkernel = "{testguest}"\nmemory = 16\nrole = "control"\n'
                   f'extra = "test=magic side={side} peer=2 after_vcpu1={delay_ms}"\n')
    linux = tmp_path / "linux.cfg"
    linux.write_text(f'name = "linux"\nkernel = "{kernel}"\nramdisk = "{cpio}"\nmemory = 256\n'
                     'vcpus = 2\nstubdom = 0\nextra = "earlycon=xenboot keep_bootcon '
                     'printk.devkmsg=on rdinit=/init e2e_cpus=2 e2e_mem=256 e2e_xen=1"\n')
    log = os.path.join(LOG_DIR, f"e2e-aarch64-{side}-after{delay_ms}.log")
    os.makedirs(LOG_DIR, exist_ok=True)
    argv = [sys.executable, BH_BOOT, "--arch", "aarch64", "--image", image, "--smp", "2",
            "--mem", "1G", "--timeout", str(TIMEOUT), "--log", log, str(ctl), str(linux)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT + 60)
    print(f"console log: {log}")
    return proc.returncode, proc.stdout.replace("\r\n", "\n"), log


@pytest.mark.parametrize("delay_ms", [0, 1500], ids=["ring-ready-first", "late-init"])
def test_linux_xenbus_talks_to_a_xenstored_over_its_magic_page(tmp_path, delay_ms):
    status, out, log = boot_with_control(tmp_path, "xenstored", delay_ms)
    assert status == 0, f"bh-boot exit {status}; log {log}"
    assert "bulkhead: PANIC" not in out
    text = out.splitlines()
    # arm64's hw-breakpoint line is an arch_initcall: every postcore one (xenbus_init, which
    # reads STORE_PFN) has run before it.
    looked = next((i for i, l in enumerate(text) if "hw-breakpoint: found" in l), None)
    serving = next((i for i, l in enumerate(text) if "INFO xenstored: serving d2" in l), None)
    assert looked is not None and serving is not None, f"log {log}"
    if delay_ms and serving < looked:
        pytest.skip(f"host too slow: the server connected before Linux looked; log {log}")
    ended = next((i for i, l in enumerate(text) if "bulkhead: d2 (linux) shut down" in l), None)
    if delay_ms and ended is not None and ended < serving:
        pytest.skip(f"host too fast: Linux was done before the server connected; log {log}")
    fails = re.findall(r"^\(d1\) FAIL .*$", out, re.M)
    assert not fails, f"{fails}; log {log}"
    reqs = re.findall(r"^\(d1\) INFO xenstored: d2 request \d+: type (\d+) len \d+ '([^']*)'$",
                      out, re.M)
    # Linux's xenbus: its first request (xs_reset_watches' feature probe, XS_READ), its
    # watches (XS_WATCH), the frontend device directory (XS_DIRECTORY).
    assert reqs and reqs[0] == ("2", "control/platform-feature-xs_reset_watches"), \
        f"{reqs}; log {log}"
    assert ("4", "control/shutdown") in reqs, f"{reqs}; log {log}"
    assert ("1", "device") in reqs, f"{reqs}; log {log}"
    n = re.search(r"^\(d1\) INFO xenstored: (\d+) requests served$", out, re.M)
    assert n and int(n.group(1)) >= len(reqs), f"log {log}"
    lines = guest_lines(out, 2)
    assert_clean_linux(lines)
    assert_checks_passed(lines, CHECKS)
    # Its xenbus interrupt is the store port's, bound by Linux's xenbus.
    assert any(re.match(r"e2e: \|\s+\d+:.*xen-dyn\s+Edge\s+-event\s+xenbus$", l) for l in lines)
    kicks = re.search(r"^\(d1\) INFO xenstored: first request after (\d+) repeated", out, re.M)
    assert kicks, f"log {log}"
    print("Linux looked " + ("before" if looked < serving else "after") + " the server "
          f"connected; first request after {kicks.group(1)} repeated notifications")
    print(f"{len(reqs)} requests logged, {n.group(1)} served")
    assert "bulkhead: d2 (linux) shut down: poweroff" in out
    assert re.search(r"^\(d1\) DONE \d+ passed, 0 failed$", out, re.M), f"log {log}"


def test_linux_boots_quietly_when_nobody_serves_its_rings(tmp_path):
    """A control domain that serves nothing (dom0-lite before its xenstored and console
    service): Linux reads STORE_PFN ~0 and waits in the background, sees no PV console
    (its console params read 0 until a back end binds the port), and boots to its checks
    and power-off without a Xen error."""
    status, out, log = boot_with_control(tmp_path, "absent")
    assert status == 0, f"bh-boot exit {status}; log {log}"
    assert "bulkhead: PANIC" not in out
    lines = guest_lines(out, 2)
    assert_clean_linux(lines)
    assert_checks_passed(lines, CHECKS)
    bad = [l for l in lines if re.search(r"xenbus|hvc|xenstore|Cannot get hvm", l, re.I)
           and not l.startswith("e2e: |")]
    assert not bad, f"{bad}; log {log}"
    # Its store port waits for the late-init event; no xenbus interrupt yet.
    assert any(re.match(r"e2e: \|\s+\d+:.*xen-dyn\s+Edge\s+-event\s+xenstore_late_init$", l)
               for l in lines), f"log {log}"
    assert "bulkhead: d2 (linux) shut down: poweroff" in out
    assert re.search(r"^\(d1\) DONE \d+ passed, 0 failed$", out, re.M), f"log {log}"

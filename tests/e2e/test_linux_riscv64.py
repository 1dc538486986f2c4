# SPDX-License-Identifier: MIT
"""An unmodified Debian riscv64 kernel on Bulkhead (issue 13, docs/e2e.md).

trixie's linux-image-*-riscv64, fetched by mk/fetch-linux-riscv64.sh, boots as a
boot-time domain with 2 vCPUs and 256 MiB on toolstack/bh-boot, to an initramfs holding
only tests/e2e/init.c. The kernel's console is the SBI debug console the hypervisor serves
(earlycon=sbi keep_bootcon); init checks CPUs, timer and interrupts from inside, prints
"e2e: PASS|FAIL ..." through /dev/kmsg and powers off (SBI SRST), which ends the domain
and then the board. `make e2e` (and `make test`) fetch and build the files first.
"""
import os
import re
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
E2E = os.path.join(BUILD, "e2e")
KERNEL = os.path.join(E2E, "linux-riscv64", "Image")
CPIO = os.path.join(E2E, "initramfs.cpio")
IMAGE = os.path.join(BUILD, "riscv64", "bulkhead.bin")
LOG_DIR = os.path.join(BUILD, "test-logs")
BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")

# ~15 s on an idle 2-core host, ~30-40 s while other QEMU runs share it: 3x margin and more.
TIMEOUT = 300
CHECKS = ("cpus-online", "timer-sleep", "timer-ticks", "irq-timer", "irq-ipi")


def _files():
    if not os.path.isfile(KERNEL):
        why = ""
        try:
            with open(os.path.join(E2E, "fetch.err"), encoding="utf-8") as f:
                why = f.read().strip()
        except OSError:
            pass
        pytest.skip(f"no Debian riscv64 kernel at {KERNEL}: "
                    f"{why or 'run `make e2e` (mk/fetch-linux-riscv64.sh) first'}")
    for path in (CPIO, IMAGE):
        assert os.path.isfile(path), f"{path} missing: run `make e2e`"


def boot(tmp_path, name, vcpus, smp, extra=""):
    """Boot the kernel with the test initramfs; (bh-boot's exit status, console)."""
    _files()
    cfg = tmp_path / f"{name}.cfg"
    cmdline = (f"earlycon=sbi keep_bootcon printk.devkmsg=on rdinit=/init "
               f"e2e_cpus={vcpus} {extra}").strip()
    cfg.write_text(f'name = "{name}"\nkernel = "{KERNEL}"\nramdisk = "{CPIO}"\n'
                   f"memory = 256\nvcpus = {vcpus}\nstubdom = 0\nextra = \"{cmdline}\"\n")
    log = os.path.join(LOG_DIR, f"e2e-{name}.log")
    os.makedirs(LOG_DIR, exist_ok=True)
    argv = [sys.executable, BH_BOOT, "--arch", "riscv64", "--image", IMAGE, "--smp", str(smp),
            "--mem", "1G", "--timeout", str(TIMEOUT), "--log", log, str(cfg)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT + 60)
    print(f"console log: {log}")
    return proc.returncode, proc.stdout.replace("\r\n", "\n")


def guest_lines(out, domid=1):
    """The guest's console lines without the `(dN) ` prefix and the printk timestamp."""
    pre = f"(d{domid}) "
    return [re.sub(r"^\[\s*\d+\.\d+\] ", "", l[len(pre):]) for l in out.splitlines()
            if l.startswith(pre)]


def assert_clean_linux(lines):
    bad = [l for l in lines if re.match(r"(Oops|BUG:|Kernel panic|WARNING:|Unable to handle"
                                        r"|rcu: INFO|watchdog: BUG)", l)]
    assert not bad, bad


def test_debian_kernel_boots_to_init_with_two_vcpus(tmp_path):
    status, out = boot(tmp_path, "linux", vcpus=2, smp=2)
    lines = guest_lines(out)
    assert status == 0, f"bh-boot exit {status}:\n" + "\n".join(out.splitlines()[-40:])
    assert "bulkhead: PANIC" not in out
    assert_clean_linux(lines)
    # The kernel found our SBI, both vCPUs, the vPLIC and its initramfs.
    assert any(re.match(r"Linux version 6\.\d+.*-riscv64 .*Debian", l) for l in lines), lines[:5]
    assert "SBI specification v2.0 detected" in lines
    for ext in ("TIME", "IPI", "RFENCE", "HSM", "SRST", "DBCN"):
        assert f"SBI {ext} extension detected" in lines, ext
    assert "smp: Brought up 1 node, 2 CPUs" in lines
    assert any(re.match(r"riscv-plic: interrupt-controller@c000000: mapped 96 interrupts "
                        r"with 2 handlers for 4 contexts", l) for l in lines)
    assert "Run /init as init process" in lines
    # init's checks from inside.
    for check in CHECKS:
        assert any(l.startswith(f"e2e: PASS {check}") for l in lines), check
    assert not [l for l in lines if l.startswith("e2e: FAIL")]
    assert f"e2e: DONE {len(CHECKS)} passed, 0 failed" in lines
    # A clean power-off: Linux -> SBI SRST -> the domain ends -> the board powers off.
    assert "reboot: Power down" in lines
    assert "bulkhead: d1 (linux) shut down: poweroff" in out
    assert "bulkhead: all domains have ended, powering off" in out
    # Nothing the kernel asked of its SBI went unserved.
    assert "not supported" not in out, [l for l in out.splitlines() if "not supported" in l]


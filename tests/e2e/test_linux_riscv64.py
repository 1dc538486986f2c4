# SPDX-License-Identifier: MIT
"""An unmodified Debian riscv64 kernel on Bulkhead (issue 13, docs/e2e.md).

trixie's linux-image-*-riscv64, fetched by mk/fetch-linux-riscv64.sh, boots as a
boot-time domain with 2 vCPUs and 256 MiB on toolstack/bh-boot, to an initramfs holding
only tests/e2e/init.c. The kernel's console is the SBI debug console the hypervisor serves
(earlycon=sbi keep_bootcon); init checks CPUs, memory, timer and interrupts from inside,
prints "e2e: PASS|FAIL ..." through /dev/kmsg and powers off (SBI SRST), which ends the
domain and then the board. `make e2e` (and `make test`) fetch and build the files first.
"""
import re

from e2e_boot import assert_checks_passed, assert_clean_linux, boot, guest_lines

CHECKS = ("cpus-online", "memory", "timer-sleep", "timer-ticks", "irq-timer", "irq-ipi")


def test_debian_kernel_boots_to_init_with_two_vcpus(tmp_path):
    status, out = boot(tmp_path, "riscv64", "linux", vcpus=2, smp=2,
                       cmdline="earlycon=sbi keep_bootcon printk.devkmsg=on rdinit=/init "
                               "e2e_cpus=2 e2e_mem=256")
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
    assert_checks_passed(lines, CHECKS)
    # A clean power-off: Linux -> SBI SRST -> the domain ends -> the board powers off.
    assert "reboot: Power down" in lines
    assert "bulkhead: d1 (linux) shut down: poweroff" in out
    assert "bulkhead: all domains have ended, powering off" in out
    # Nothing the kernel asked of its SBI went unserved.
    assert "not supported" not in out, [l for l in out.splitlines() if "not supported" in l]


def test_debian_kernel_on_its_stub_domains_16550(tmp_path):
    """Issue 14 item 7: the console is ttyS0, Linux's 8250 driver on the NS16550A that the
    guest's own stub domain (d2) emulates; its lines reach the board as (d1) lines."""
    status, out = boot(tmp_path, "riscv64", "linux", vcpus=2, smp=2, stub=True,
                       cmdline="console=ttyS0 printk.devkmsg=on rdinit=/init "
                               "e2e_cpus=2 e2e_mem=256")
    lines = guest_lines(out)
    assert status == 0, f"bh-boot exit {status}:\n" + "\n".join(out.splitlines()[-40:])
    assert "bulkhead: PANIC" not in out
    assert "is the stub domain of d1 (linux)" in out
    assert_clean_linux(lines)
    assert any(re.search(r"ttyS0 at MMIO 0x10000000 .* is a 16550A", l) for l in lines), lines
    assert "Run /init as init process" in lines
    assert_checks_passed(lines, CHECKS)
    assert "reboot: Power down" in lines
    assert "bulkhead: d1 (linux) shut down: poweroff" in out
    assert "bulkhead: all domains have ended, powering off" in out

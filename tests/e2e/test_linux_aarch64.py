# SPDX-License-Identifier: MIT
"""An unmodified Debian arm64 kernel on Bulkhead, its Xen drivers working (issue 14 item 7,
docs/e2e.md).

bookworm's linux-image-6.1.0-*-arm64, fetched by mk/fetch-linux-arm64.sh, boots as a
boot-time domain with 2 vCPUs and 256 MiB on toolstack/bh-boot, whose guest tree keeps
the `xen,xen` node (grant-table region at 0x38000000, event upcall on PPI 31), to an
initramfs holding only tests/e2e/init.c. The console is Linux's `earlycon=xenboot`
(HYPERVISOR_console_io writes), kept with keep_bootcon. Linux's own Xen code sets up
shared_info, vcpu_info, the runstate area, event channels and grant tables without an
error; xenbus finds no xenstore and stands down quietly. init checks CPUs, memory,
timer, interrupts and /sys/hypervisor from inside and powers off (PSCI SYSTEM_OFF).
"""
import re

from e2e_boot import assert_checks_passed, assert_clean_linux, boot, guest_lines

CHECKS = ("cpus-online", "memory", "timer-sleep", "timer-ticks", "irq-timer", "irq-ipi",
          "xen-sysfs")

# Lines that Linux's Xen code prints when a hypercall it relies on fails.
XEN_ERRORS = re.compile(r"(Cannot get hvm parameter|xen.*(fail|error|Unable|unable)"
                        r"|Xen.*(fail|error)|runstate|grant.*(fail|error)"
                        r"|xenbus.*(fail|error|probe)|hvc.*(fail|error))", re.IGNORECASE)


def test_debian_arm64_kernel_boots_with_xen_drivers(tmp_path):
    status, out = boot(tmp_path, "aarch64", "linux", vcpus=2, smp=2,
                       cmdline="earlycon=xenboot keep_bootcon printk.devkmsg=on rdinit=/init "
                               "e2e_cpus=2 e2e_mem=256 e2e_xen=1")
    lines = guest_lines(out)
    assert status == 0, f"bh-boot exit {status}:\n" + "\n".join(out.splitlines()[-40:])
    assert "bulkhead: PANIC" not in out
    assert_clean_linux(lines)
    assert any(re.match(r"Linux version 6\.1\.\d+.*-arm64 .*Debian", l) for l in lines), lines[:5]
    # Linux found Xen and set up its side of the ABI.
    assert "Xen 4.17 support found" in lines
    assert "xen:grant_table: Grant tables using version 1 layout" in lines
    assert "Grant table initialized" in lines
    assert "xen:events: Using 2-level ABI" in lines
    for cpu in (0, 1):
        assert f"Xen: initializing cpu{cpu}" in lines
    assert "xen:balloon: Initialising balloon driver" in lines
    bad = [l for l in lines if XEN_ERRORS.search(l)]
    assert not bad, bad
    # PSCI, both vCPUs, the vGIC and the virtual timer.
    assert "psci: PSCIv1.1 detected in firmware." in lines
    assert "smp: Brought up 1 node, 2 CPUs" in lines
    assert "GICv3: 96 SPIs implemented" in lines
    assert any(l.startswith("arch_timer: cp15 timer(s) running at 62.50MHz (virt)")
               for l in lines)
    assert "Run /init as init process" in lines
    assert_checks_passed(lines, CHECKS)
    assert "e2e: PASS xen-sysfs type=xen version=4.17-bulkhead" in lines
    # The event-channel upcall is registered on PPI 31.
    assert any(re.match(r"e2e: \|\s+\d+:.*GICv3\s+31 Level\s+events", l) for l in lines)
    # A clean power-off: Linux -> PSCI SYSTEM_OFF -> the domain ends -> the board.
    assert "reboot: Power down" in lines
    assert "bulkhead: d1 (linux) shut down: poweroff" in out
    assert "bulkhead: all domains have ended, powering off" in out


def test_two_debian_arm64_guests_at_once(tmp_path):
    """Issue 14 item 7: two Linux guests (2 vCPUs, 256 MiB each), each with its own stub
    domain serving its PL011 console (d1 + d2, d3 + d4), share the board's 2 CPUs; each
    passes its checks and powers itself off; then the board powers off."""
    status, out = boot(tmp_path, "aarch64", "linux", vcpus=2, smp=2, copies=2, stub=True,
                       cmdline="console=ttyAMA0 printk.devkmsg=on rdinit=/init "
                               "e2e_cpus=2 e2e_mem=256 e2e_xen=1")
    assert status == 0, f"bh-boot exit {status}:\n" + "\n".join(out.splitlines()[-40:])
    assert "bulkhead: PANIC" not in out
    for domid, name in ((1, "linux"), (3, "linux2")):
        lines = guest_lines(out, domid)
        assert f"is the stub domain of d{domid} ({name})" in out
        assert_clean_linux(lines)
        assert not [l for l in lines if XEN_ERRORS.search(l)]
        assert any(re.search(r"ttyAMA0 at MMIO 0x22000000 .* is a PL011", l) for l in lines)
        assert_checks_passed(lines, CHECKS)
        assert f"bulkhead: d{domid} ({name}) shut down: poweroff" in out
    assert "bulkhead: all domains have ended, powering off" in out


def test_debian_arm64_kernel_on_its_stub_domains_pl011(tmp_path):
    """Issue 14 item 7: the console is ttyAMA0, Linux's amba-pl011 driving the PL011 that
    the guest's own stub domain (d2) emulates; its lines reach the board as (d1) lines."""
    status, out = boot(tmp_path, "aarch64", "linux", vcpus=2, smp=2, stub=True,
                       cmdline="console=ttyAMA0 printk.devkmsg=on rdinit=/init "
                               "e2e_cpus=2 e2e_mem=256 e2e_xen=1")
    lines = guest_lines(out)
    assert status == 0, f"bh-boot exit {status}:\n" + "\n".join(out.splitlines()[-40:])
    assert "bulkhead: PANIC" not in out
    assert "is the stub domain of d1 (linux)" in out
    assert_clean_linux(lines)
    assert any(re.search(r"ttyAMA0 at MMIO 0x22000000 .* is a PL011", l) for l in lines), lines
    assert "Run /init as init process" in lines
    assert_checks_passed(lines, CHECKS)
    assert "reboot: Power down" in lines
    assert "bulkhead: d1 (linux) shut down: poweroff" in out
    assert "bulkhead: all domains have ended, powering off" in out

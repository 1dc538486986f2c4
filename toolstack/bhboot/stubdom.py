# SPDX-License-Identifier: MIT
"""Stub domains (docs/stub-domains.md): one per guest, made by bh-boot.

A guest with `stubdom = 1` (the default for role "guest") gets a UART in its device tree
(aarch64: a PL011 at Xen's GUEST_PL011_BASE, SPI 32; riscv64: an NS16550A at QEMU virt's
0x10000000, PLIC source 10) with `chosen/stdout-path` pointing at it, and a stub domain
node right after its own: role "stub", `bulkhead,stub-of` = the guest's name, the stub
program (drivers/stub) as kernel, `target=<guest id> uart=<model>@<base>,irq=<n>` as
bootargs. The hypervisor hands out boot-time ids in node order from 1, so the guest's id
is known here.
"""
import os

from . import guestdt
from .xlcfg import Guest

# The stub program is ~25 KiB with its BSS and runs at the start of its RAM (text_offset
# 0); its device tree goes in the last 64 KiB. 1 MiB of RAM: the domain holds well under
# the 2 MiB the issue allows, bookkeeping included.
STUB_MEMORY_MIB = 1
STUB_DTB_RESERVE = 64 * 1024

PL011_BASE, PL011_SIZE, PL011_SPI = 0x22000000, 0x1000, 32   # Xen's GUEST_PL011_BASE, _SPI
PL011_CLOCK_HZ = 24000000                                    # what QEMU virt's apb-pclk says
NS16550_BASE, NS16550_SIZE, NS16550_IRQ = 0x10000000, 0x100, 10
NS16550_CLOCK_HZ = 3686400                                   # QEMU virt's
GIC_SPI, IRQ_TYPE_LEVEL_HIGH = 0, 4


def uart_path(arch):
    if arch == "aarch64":
        return f"/serial@{PL011_BASE:x}"
    return f"/serial@{NS16550_BASE:x}"


def uart_bootarg(arch):
    if arch == "aarch64":
        return f"uart=pl011@{PL011_BASE:#x},irq={PL011_SPI}"
    return f"uart=ns16550@{NS16550_BASE:#x},irq={NS16550_IRQ}"


def uart_dts_aarch64():
    """A PL011 as Linux's AMBA bus probes it: arm,primecell with the two clocks it asks
    for (uartclk and apb_pclk), here one fixed clock."""
    return ["\tuartclk: clock-uart {", '\t\tcompatible = "fixed-clock";',
            "\t\t#clock-cells = <0>;", f"\t\tclock-frequency = <{PL011_CLOCK_HZ}>;",
            '\t\tclock-output-names = "uartclk";', "\t};", "",
            f"\tserial@{PL011_BASE:x} {{", '\t\tcompatible = "arm,pl011", "arm,primecell";',
            f"\t\treg = <{guestdt.cells64(PL011_BASE)} {guestdt.cells64(PL011_SIZE)}>;",
            f"\t\tinterrupts = <{GIC_SPI} {PL011_SPI - 32} {IRQ_TYPE_LEVEL_HIGH}>;",
            "\t\tclocks = <&uartclk>, <&uartclk>;",
            '\t\tclock-names = "uartclk", "apb_pclk";', "\t};"]


def uart_dts_riscv64():
    return [f"\tserial@{NS16550_BASE:x} {{", '\t\tcompatible = "ns16550a";',
            f"\t\treg = <{guestdt.cells64(NS16550_BASE)} {guestdt.cells64(NS16550_SIZE)}>;",
            f"\t\tclock-frequency = <{NS16550_CLOCK_HZ}>;",
            "\t\tinterrupt-parent = <&plic>;", f"\t\tinterrupts = <{NS16550_IRQ}>;", "\t};"]


def make_stub(arch, guest, target_domid, stub_image):
    """The stub domain of @guest, whose boot-time id is @target_domid."""
    if not os.path.isfile(stub_image):
        raise guestdt.ToolError(f"{guest.path}: guest '{guest.name}' needs a stub domain but the "
                        f"stub program {stub_image} is missing (run `make ARCH={arch} stub`, "
                        "or set `stubdom = 0` in the config)")
    s = Guest(guest.path)
    s.lines = dict(guest.lines)
    s.name = f"{guest.name}-stub"
    s.kernel = os.path.abspath(stub_image)
    s.memory_mib = STUB_MEMORY_MIB
    s.dtb_reserve = STUB_DTB_RESERVE
    s.vcpus = 1
    s.role = "stub"
    s.stub_of = guest.name
    s.start_after = guest.start_after
    s.affinity = [None]
    s.cmdline = f"target={target_domid} {uart_bootarg(arch)}"
    return s

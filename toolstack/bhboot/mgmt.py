# SPDX-License-Identifier: MIT
"""dom0-lite's management channel on QEMU virt (docs/dom0-lite.md, issue 15 items 2, 4).

A `pci-serial` (a 16550 behind PCI, no DMA) at a fixed slot, its other end a Unix
socket on the host. dom0-lite gets it with Xen's dom0less passthrough binding: the
function's ECAM config page, the page of the PCI I/O window its BAR 0 is placed in
(dom0-lite writes `bulkhead,io-port` into the BAR), and its INTx line after the
bridge's swizzle, named as the host's interrupt-map names it (the hypervisor checks
that, and routes the line to dom0-lite alone).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bhqemu  # noqa: E402

SLOT = bhqemu.MGMT_PCI_SLOT  # PCI device number on bus 0 (QEMU `addr=`)
IO_PORT = 0x1000     # BAR 0: page 1 of the I/O window (port 0 looks unassigned)
PAGE = 0x1000

# QEMU 7.2 virt: the PCIe host bridge's node, ECAM and I/O window bases (its reg and
# ranges), and the interrupt INTA of SLOT gets (its interrupt-map: slot + pin - 1,
# mod 4, from SPI 3 / PLIC source 32). The guest sees the ECAM page where it likes.
BOARD = {
    "aarch64": {"path": "/pcie@10000000", "ecam": 0x4010000000, "io": 0x3eff0000,
                "irq": [0, 3 + SLOT % 4, 4], "guest_ecam": 0x3f000000},
    "riscv64": {"path": "/soc/pci@30000000", "ecam": 0x30000000, "io": 0x03000000,
                "irq": [0x20 + SLOT % 4], "guest_ecam": 0x30000000},
}


def cells64(v):
    return f"{v >> 32:#x} {v & 0xffffffff:#x}"


def node_dts(arch, irq_line=None):
    """The channel's node for dom0-lite's device tree (root: 2 address and size cells).
    @irq_line replaces the interrupt's line number (tests: a line not the device's)."""
    b = dict(BOARD[arch])
    if irq_line is not None:
        b["irq"] = b["irq"][:-2] + [irq_line] + b["irq"][-1:] if arch == "aarch64" \
            else [irq_line]
    fn = SLOT << 15  # ECAM: bus 0, device SLOT, function 0 (PCIe 7.2.2)
    host_ecam, guest_ecam = b["ecam"] + fn, b["guest_ecam"] + fn
    io = b["io"] + IO_PORT
    irq = " ".join(str(c) for c in b["irq"])
    return [f"\tmgmt@{guest_ecam:x} {{",
            '\t\tcompatible = "bulkhead,mgmt-pci-serial";',
            f"\t\treg = <{cells64(guest_ecam)} {cells64(PAGE)}>, <{cells64(io)} {cells64(PAGE)}>;",
            f"\t\tinterrupts = <{irq}>;",
            f"\t\tbulkhead,io-port = <{IO_PORT:#x}>;",
            "\t\txen,passthrough;",
            f'\t\txen,path = "{b["path"]}";',
            f"\t\txen,reg = <{cells64(host_ecam)} {cells64(PAGE)} {cells64(guest_ecam)}>,",
            f"\t\t          <{cells64(io)} {cells64(PAGE)} {cells64(io)}>;",
            "\t};"]

# SPDX-License-Identifier: MIT
"""The management channel's passthrough node (toolstack/bhboot/mgmt.py) against QEMU's
own device tree: its constants (the PCIe bridge's node, ECAM and I/O window bases, and
the INTx line the bridge's interrupt-map gives slot 2) must be what the board says, or
the hypervisor would refuse the node at boot."""
import os

import pytest

import bhqemu
from bhboot import guestdt, hostdt, mgmt
from conftest import fdtget, have_qemu, hyp_image


def _cells(words, n):
    v = 0
    for w in words[:n]:
        v = v << 32 | w
    return v


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_node_matches_the_board(tmp_path, arch):
    if not have_qemu(arch) or not os.path.isfile(hyp_image(arch)):
        pytest.skip(f"no qemu-system-{arch} or no {hyp_image(arch)}")
    board = os.path.join(tmp_path, "board.dtb")
    hostdt.dump_board_dtb(bhqemu.qemu_argv(arch, hyp_image(arch)), board)
    b = mgmt.BOARD[arch]
    path = b["path"]
    assert fdtget(board, path, "compatible", "s").startswith("pci-host-ecam-generic")
    assert _cells(fdtget(board, path, "reg"), 2) == b["ecam"]
    ranges = fdtget(board, path, "ranges")  # <flags.hi mid lo, cpu address (2), size (2)>
    io = [ranges[i:i + 7] for i in range(0, len(ranges), 7) if ranges[i] >> 24 == 1]
    assert io and _cells(io[0][3:5], 2) == b["io"]
    assert mgmt.IO_PORT + 8 <= _cells(io[0][5:7], 2)
    # interrupt-map: <devfn<<8 0 0 pin phandle parent-address... parent-specifier...>
    imap = fdtget(board, path, "interrupt-map")
    pcells = len(b["irq"])
    ph = imap[4]
    paddr = 2 if arch == "aarch64" else 0  # the GIC's #address-cells; the PLIC has none
    step = 4 + 1 + paddr + pcells
    entries = [imap[i:i + step] for i in range(0, len(imap), step)]
    assert all(e[4] == ph for e in entries)
    slot_a = [e for e in entries if e[0] == mgmt.SLOT << 11 and e[3] == 1]
    assert len(slot_a) == 1 and slot_a[0][5 + paddr:] == b["irq"]


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_node_in_dom0_tree(tmp_path, arch):
    """The node compiles into a guest tree and carries the binding's properties."""
    lines = ["/dts-v1/;", "/ {", "\t#address-cells = <2>;", "\t#size-cells = <2>;"]
    lines += mgmt.node_dts(arch) + ["};", ""]
    dtb = os.path.join(tmp_path, "t.dtb")
    guestdt.dtc("\n".join(lines), dtb)
    fn = mgmt.SLOT << 15
    node = f"/mgmt@{mgmt.BOARD[arch]['guest_ecam'] + fn:x}"
    assert fdtget(dtb, node, "compatible", "s") == "bulkhead,mgmt-pci-serial"
    assert fdtget(dtb, node, "xen,path", "s") == mgmt.BOARD[arch]["path"]
    assert fdtget(dtb, node, "interrupts") == mgmt.BOARD[arch]["irq"]
    xreg = fdtget(dtb, node, "xen,reg")
    assert _cells(xreg, 2) == mgmt.BOARD[arch]["ecam"] + fn
    assert fdtget(dtb, node, "xen,passthrough") == []
    bad = mgmt.node_dts(arch, irq_line=9)
    assert any("interrupts = <0 9 4>" in x or "interrupts = <9>" in x for x in bad)

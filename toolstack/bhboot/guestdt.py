# SPDX-License-Identifier: MIT
"""A guest's memory layout and its complete device tree.

The hypervisor never synthesises or edits a guest device tree (ARCHITECTURE.md, boot
flow): this module builds it, outside the TCB, and decides where in guest memory the
kernel, the ramdisk and the device tree go. The hypervisor copies each module to the
address chosen here (`bulkhead,load-address` in the host DT) and enters the kernel per
the arch's Linux boot protocol.

Layout of a guest's RAM (base: Xen's GUEST_RAM0_BASE on aarch64, 0x80000000 on riscv64):

    base + text_offset        kernel (text_offset from the Image header, else 0),
                              extent max(file size, header image_size): BSS stays clear
    ...                       free
    dtb - ramdisk, 4 KiB down ramdisk
    end - 2 MiB               device tree (< 2 MiB, so it never crosses a 2 MiB boundary)

The aarch64 tree follows what Xen's libxl writes for a domU (libxl_arm.c): the same
root compatible, GICv3 at the guest addresses of xen/arch-arm.h, the same timer and
event-channel PPIs, PSCI over HVC. The constants are read from Debian's libxen-dev
header at run time, so they cannot drift from the ABI the hypervisor is built against.
"""
import os
import re
import struct
import subprocess

from . import mgmt, stubdom
from .xlcfg import ConfigError

MiB = 1 << 20
PAGE = 4096
DTB_RESERVE = 2 * MiB

XEN_ARCH_ARM_H = os.environ.get("BH_XEN_ARCH_ARM_H", "/usr/include/xen/arch-arm.h")

# Not in arch-arm.h: fixed by the architecture or by our riscv64 guest ABI.
GICV3_RDIST_STRIDE = 0x20000    # one GICv3 redistributor: RD_base + SGI_base frames
HYP_TIMER_PPI = 26              # EL2 physical timer (CNTHP), Arm BSA PPI assignment
DT_IRQ_TYPE_LEVEL_LOW = 0x8
XEN_PPI_CPUMASK = 0xf           # libxl's set_interrupt(..., 0xf, LEVEL_LOW) -> 0xf08
GIC_PPI = 1

RISCV_RAM_BASE = 0x80000000
RISCV_TIMEBASE = 10000000       # QEMU virt's
RISCV_PLIC_BASE, RISCV_PLIC_SIZE, RISCV_PLIC_NDEV = 0x0C000000, 0x600000, 96
RISCV_IRQ_S_EXT = 9
RISCV_IRQ_M_EXT = 11            # listed so that contexts number as on QEMU virt: 2n M, 2n+1 S
RISCV_ISA = "rv64imafdc_zicsr_zifencei"

_XEN_CONSTS = None


def xen_consts():
    """The GUEST_* numbers of Xen's public arch-arm.h, {name: int}."""
    global _XEN_CONSTS
    if _XEN_CONSTS is None:
        try:
            with open(XEN_ARCH_ARM_H, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise ConfigError(XEN_ARCH_ARM_H, 0, None,
                              f"cannot read Xen's public header ({e.strerror}): "
                              "install libxen-dev (make deps)") from None
        consts = {}
        for m in re.finditer(r"^#define\s+(GUEST_\w+)\s+(?:xen_mk_ullong\()?\s*"
                             r"(0x[0-9a-fA-F]+|\d+)", text, re.M):
            consts[m.group(1)] = int(m.group(2), 0)
        _XEN_CONSTS = consts
    return _XEN_CONSTS


def ram_base(arch):
    return xen_consts()["GUEST_RAM0_BASE"] if arch == "aarch64" else RISCV_RAM_BASE


def max_memory_mib(arch):
    """Largest guest RAM: Xen's low bank (3 GiB at 1 GiB) on aarch64; the same on riscv64."""
    return xen_consts()["GUEST_RAM0_SIZE"] // MiB if arch == "aarch64" else 3072


# ---- kernel images ----

class KernelImage:
    """What the image header says: where the kernel goes and how much memory it spans."""

    def __init__(self, path, kind, text_offset, image_size, file_size):
        self.path, self.kind = path, kind          # kind: "arm64 Image", "RISC-V Image", "raw"
        self.text_offset, self.image_size, self.file_size = text_offset, image_size, file_size

    @property
    def extent(self):
        """Bytes from the load address that the kernel owns (image incl. BSS)."""
        return max(self.file_size, self.image_size)


def read_kernel(path, arch):
    """Parse the Linux boot header of @path (Documentation/arch/{arm64,riscv}/booting)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:4] == b"\x7fELF":
        return None  # the caller reports it: the hypervisor loads flat images only
    if len(head) < 64:
        return KernelImage(path, "raw", 0, 0, size)
    text_offset, image_size = struct.unpack_from("<QQ", head, 8)
    if arch == "aarch64" and head[56:60] == b"ARM\x64":
        if image_size == 0:  # pre-3.17 kernels: booting.rst says assume 0x80000
            text_offset = 0x80000
        return KernelImage(path, "arm64 Image", text_offset, image_size, size)
    if arch == "riscv64" and (head[48:56] == b"RISCV\0\0\0" or head[56:60] == b"RSC\x05"):
        return KernelImage(path, "RISC-V Image", text_offset, image_size, size)
    return KernelImage(path, "raw", 0, 0, size)


# ---- placement ----

class Placement:
    """Guest-physical addresses of one guest's modules."""

    def __init__(self, arch, guest, kernel, ramdisk_size):
        self.arch = arch
        self.ram_base = ram_base(arch)
        self.ram_size = guest.memory
        self.ram_end = self.ram_base + self.ram_size
        self.kernel = kernel
        self.kernel_addr = self.ram_base + kernel.text_offset
        self.kernel_end = self.kernel_addr + kernel.extent
        self.dtb_addr = self.ram_end - (guest.dtb_reserve or DTB_RESERVE)
        self.ramdisk_size = ramdisk_size
        self.ramdisk_addr = None
        if ramdisk_size:
            self.ramdisk_addr = (self.dtb_addr - ramdisk_size) & ~(PAGE - 1)

    @property
    def ramdisk_end(self):
        return self.ramdisk_addr + self.ramdisk_size


def place(arch, guest):
    """Where the kernel, ramdisk and DTB go in @guest's RAM. Raises ConfigError."""
    k = read_kernel(guest.kernel, arch)
    if k is None:
        raise guest.error("kernel", "an ELF file: give the flat Image (arch/*/boot/Image), "
                          "not vmlinux")
    rd_size = os.path.getsize(guest.ramdisk) if guest.ramdisk else 0
    p = Placement(arch, guest, k, rd_size)
    if p.kernel_end > p.dtb_addr:
        raise guest.error("memory", f"{guest.memory_mib} MiB is too small for the kernel: "
                          f"{k.kind} at {p.kernel_addr:#x} spans {k.extent:#x} bytes, to "
                          f"{p.kernel_end:#x}, but the device tree goes at {p.dtb_addr:#x}")
    if rd_size and p.ramdisk_addr < p.kernel_end:
        raise guest.error("ramdisk", f"{rd_size} bytes do not fit: placed at "
                          f"{p.ramdisk_addr:#x} below the device tree, they would overlap "
                          f"the kernel ({p.kernel_addr:#x}-{p.kernel_end:#x}); raise memory")
    return p


# ---- device tree source ----

def dts_string(s):
    """A DTS string literal."""
    out = []
    for ch in s:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7f:
            out.append(ch)
        else:
            for b in ch.encode("utf-8"):
                out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'


def cells64(v):
    return f"{v >> 32:#x} {v & 0xffffffff:#x}"


def _chosen(p, guest):
    lines = ["\tchosen {", f"\t\tbootargs = {dts_string(guest.cmdline)};"]
    if guest.stubdom:
        lines.append(f"\t\tstdout-path = {dts_string(stubdom.uart_path(p.arch))};")
    if p.ramdisk_size:
        lines += [f"\t\tlinux,initrd-start = <{cells64(p.ramdisk_addr)}>;",
                  f"\t\tlinux,initrd-end = <{cells64(p.ramdisk_end)}>;"]
    lines.append("\t};")
    return lines


def _memory(p):
    return [f"\tmemory@{p.ram_base:x} {{", '\t\tdevice_type = "memory";',
            f"\t\treg = <{cells64(p.ram_base)} {cells64(p.ram_size)}>;", "\t};"]


def _ppi(intid):
    """A GIC PPI specifier as Xen writes it: <1 (INTID - 16) 0xf08>."""
    return f"{GIC_PPI} {intid - 16} {(XEN_PPI_CPUMASK << 8) | DT_IRQ_TYPE_LEVEL_LOW:#x}"


def dts_aarch64(guest, p):
    x = xen_consts()
    ver = "4.17"
    gicd, gicd_size = x["GUEST_GICV3_GICD_BASE"], x["GUEST_GICV3_GICD_SIZE"]
    gicr, gicr_size = x["GUEST_GICV3_GICR0_BASE"], GICV3_RDIST_STRIDE * guest.vcpus
    out = ["/dts-v1/;", "", "/ {", "\t#address-cells = <2>;", "\t#size-cells = <2>;",
           f'\tcompatible = "xen,xenvm-{ver}", "xen,xenvm";', f'\tmodel = "XENVM-{ver}";',
           "\tinterrupt-parent = <&gic>;", ""]
    out += _chosen(p, guest) + [""] + _memory(p) + [""]
    out += ["\tcpus {", "\t\t#address-cells = <1>;", "\t\t#size-cells = <0>;"]
    for n in range(guest.vcpus):
        out += [f"\t\tcpu@{n:x} {{", '\t\t\tdevice_type = "cpu";',
                '\t\t\tcompatible = "arm,armv8";', f"\t\t\treg = <{n:#x}>;",
                '\t\t\tenable-method = "psci";', "\t\t};"]
    out += ["\t};", "",
            "\tpsci {", '\t\tcompatible = "arm,psci-1.0", "arm,psci-0.2";',
            '\t\tmethod = "hvc";', "\t};", "",
            f"\tgic: interrupt-controller@{gicd:x} {{", '\t\tcompatible = "arm,gic-v3";',
            "\t\t#interrupt-cells = <3>;", "\t\t#address-cells = <0>;",
            "\t\tinterrupt-controller;",
            f"\t\t#redistributor-regions = <{x['GUEST_GICV3_RDIST_REGIONS']}>;",
            f"\t\tredistributor-stride = <{GICV3_RDIST_STRIDE:#x}>;",
            f"\t\treg = <{cells64(gicd)} {cells64(gicd_size)}>,",
            f"\t\t      <{cells64(gicr)} {cells64(gicr_size)}>;", "\t};", "",
            "\ttimer {", '\t\tcompatible = "arm,armv8-timer";',
            f"\t\tinterrupts = <{_ppi(x['GUEST_TIMER_PHYS_S_PPI'])}>,",
            f"\t\t             <{_ppi(x['GUEST_TIMER_PHYS_NS_PPI'])}>,",
            f"\t\t             <{_ppi(x['GUEST_TIMER_VIRT_PPI'])}>,",
            f"\t\t             <{_ppi(HYP_TIMER_PPI)}>;", "\t};", "",
            "\thypervisor {", f'\t\tcompatible = "xen,xen-{ver}", "xen,xen";',
            f"\t\treg = <{cells64(x['GUEST_GNTTAB_BASE'])} {cells64(x['GUEST_GNTTAB_SIZE'])}>;",
            f"\t\tinterrupts = <{_ppi(x['GUEST_EVTCHN_PPI'])}>;", "\t};"]
    if guest.stubdom:
        out += [""] + stubdom.uart_dts_aarch64()
    if getattr(guest, "mgmt", False):  # the management channel (mgmt.py)
        out += [""] + mgmt.node_dts("aarch64", getattr(guest, "mgmt_irq", None))
    out += ["};", ""]
    return "\n".join(out)


def dts_riscv64(guest, p):
    out = ["/dts-v1/;", "", "/ {", "\t#address-cells = <2>;", "\t#size-cells = <2>;",
           '\tcompatible = "bulkhead,virt";', '\tmodel = "bulkhead,virt";', ""]
    out += _chosen(p, guest) + [""] + _memory(p) + [""]
    out += ["\tcpus {", "\t\t#address-cells = <1>;", "\t\t#size-cells = <0>;",
            f"\t\ttimebase-frequency = <{RISCV_TIMEBASE}>;"]
    for n in range(guest.vcpus):
        out += [f"\t\tcpu@{n:x} {{", '\t\t\tdevice_type = "cpu";', f"\t\t\treg = <{n:#x}>;",
                '\t\t\tcompatible = "riscv";', f'\t\t\triscv,isa = "{RISCV_ISA}";',
                '\t\t\tmmu-type = "riscv,sv39";', '\t\t\tstatus = "okay";',
                f"\t\t\tcpu{n}_intc: interrupt-controller {{",
                '\t\t\t\tcompatible = "riscv,cpu-intc";', "\t\t\t\t#interrupt-cells = <1>;",
                "\t\t\t\tinterrupt-controller;", "\t\t\t};", "\t\t};"]
    # QEMU virt's context layout, which the hypervisor's virtual PLIC follows: context 2n is
    # hart n's M-mode one (Linux skips it: not its external interrupt), 2n + 1 its S-mode.
    ext = ", ".join(f"<&cpu{n}_intc {RISCV_IRQ_M_EXT}>, <&cpu{n}_intc {RISCV_IRQ_S_EXT}>"
                    for n in range(guest.vcpus))
    out += ["\t};", "",
            f"\tplic: interrupt-controller@{RISCV_PLIC_BASE:x} {{",
            '\t\tcompatible = "sifive,plic-1.0.0", "riscv,plic0";',
            f"\t\treg = <{cells64(RISCV_PLIC_BASE)} {cells64(RISCV_PLIC_SIZE)}>;",
            f"\t\tinterrupts-extended = {ext};", f"\t\triscv,ndev = <{RISCV_PLIC_NDEV}>;",
            "\t\tinterrupt-controller;", "\t\t#interrupt-cells = <1>;",
            "\t\t#address-cells = <0>;", "\t};"]
    if guest.stubdom:
        out += [""] + stubdom.uart_dts_riscv64()
    if getattr(guest, "mgmt", False):  # the management channel (mgmt.py)
        out += [""] + mgmt.node_dts("riscv64", getattr(guest, "mgmt_irq", None))
    out += ["};", ""]
    return "\n".join(out)


def guest_dts(arch, guest, placement):
    return (dts_aarch64 if arch == "aarch64" else dts_riscv64)(guest, placement)


class ToolError(Exception):
    """A failure of an external tool or of the host (not of a config file)."""


def dtc(dts_text, out_path, src_name="<generated>"):
    """Compile DTS text to out_path with dtc; raise ToolError with dtc's message."""
    try:
        r = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out_path, "-"],
                           input=dts_text, capture_output=True, text=True)
    except OSError as e:
        raise ToolError(f"cannot run dtc: {e.strerror} (install device-tree-compiler)") \
            from None
    if r.returncode != 0:
        raise ToolError(f"dtc failed on {src_name} (exit {r.returncode}): "
                        f"{r.stderr.strip()}")


def build_guest_dtb(arch, guest, placement, workdir):
    """Write <workdir>/<name>.dts and .dtb; return the .dtb path."""
    dts = guest_dts(arch, guest, placement)
    base = os.path.join(workdir, f"guest-{guest.name}")
    with open(base + ".dts", "w", encoding="utf-8") as f:
        f.write(dts)
    dtc(dts, base + ".dtb", base + ".dts")
    size = os.path.getsize(base + ".dtb")
    if size >= DTB_RESERVE:  # cannot happen with today's trees; keep the rule checked
        raise guest.error("extra", f"the device tree is {size} bytes, over 2 MiB")
    return base + ".dtb"

# SPDX-License-Identifier: MIT
"""The host device tree: QEMU's own, plus one dom0less domain node per guest.

Host memory, from the board's RAM base:

    RAM_BASE + 0              firmware (riscv64), the hypervisor image, QEMU's DTB,
                              the hypervisor's own memory
    RAM_BASE + 256 MiB        boot modules, each 2 MiB aligned, in domain order:
                              kernel, ramdisk, device tree of d1, then of d2, ...
    RAM end - 2 MiB           kept free: QEMU puts its riscv64 DTB there

The hypervisor reserves every `multiboot,module` range until it has copied the module
into its domain; guest RAM then comes from what is left.
"""
import os
import subprocess

from .guestdt import MiB, ToolError, cells64, dts_string
from .xlcfg import ConfigError, WEIGHT_DEFAULT, cpulist_text

MODULE_OFFSET = 256 * MiB     # modules start this far into host RAM
MODULE_ALIGN = 2 * MiB
TOP_RESERVE = 2 * MiB         # last 2 MiB of host RAM: QEMU's riscv64 DTB

COMPAT = {"kernel": "multiboot,kernel", "ramdisk": "multiboot,ramdisk",
          "device-tree": "multiboot,device-tree"}


class Module:
    """One boot module: a file QEMU loads at host_addr; the hypervisor copies it to
    load_addr in the guest."""

    def __init__(self, kind, path, load_addr, key):
        self.kind, self.path, self.load_addr, self.key = kind, path, load_addr, key
        self.size = os.path.getsize(path)
        self.host_addr = None


class Domain:
    """A boot-time domain: its config, its guest placement, its modules."""

    def __init__(self, domid, guest, placement, dtb_path):
        self.domid, self.guest, self.placement = domid, guest, placement
        self.modules = [Module("kernel", guest.kernel, placement.kernel_addr, "kernel")]
        if guest.ramdisk:
            self.modules.append(Module("ramdisk", guest.ramdisk, placement.ramdisk_addr,
                                       "ramdisk"))
        self.modules.append(Module("device-tree", dtb_path, placement.dtb_addr, None))


def align_up(v, a):
    return (v + a - 1) & ~(a - 1)


def place_modules(domains, ram_base, ram_size):
    """Give every module a host address; check them and the guests' RAM against the host.

    Raises ConfigError naming the config and key whose module or memory does not fit.
    Returns the end of the module area.
    """
    top = ram_base + ram_size - TOP_RESERVE
    addr = ram_base + MODULE_OFFSET
    for d in domains:
        for m in d.modules:
            m.host_addr = addr
            end = addr + m.size
            if end > top:
                what = f"{m.kind} module ({m.size} bytes)"
                raise ConfigError(d.guest.path, d.guest.lines.get(m.key, 0), m.key,
                                  f"the {what} does not fit in host RAM: it would end at "
                                  f"{end:#x}, past {top:#x} (use --mem)")
            addr = align_up(end, MODULE_ALIGN)
    modules_end = addr
    # Guest RAM comes from host RAM outside the hypervisor's area and the modules.
    avail = ram_size - MODULE_OFFSET - (modules_end - (ram_base + MODULE_OFFSET))
    used = 0
    for d in domains:
        g = d.guest
        used += g.memory
        if used > avail:
            raise g.error("memory", f"{g.memory_mib} MiB does not fit: host RAM is "
                          f"{ram_size // MiB} MiB, {MODULE_OFFSET // MiB} MiB stay with the "
                          f"hypervisor, {(modules_end - ram_base - MODULE_OFFSET) // MiB} MiB "
                          f"hold the boot modules, {(used - g.memory) // MiB} MiB go to the "
                          f"guests before it (use --mem)")
    return modules_end


def dump_board_dtb(argv, out_path):
    """Run QEMU with @argv plus dumpdtb: QEMU's device tree for this -smp/-m."""
    argv = list(argv)
    m = argv.index("-M")
    argv[m + 1] += f",dumpdtb={qemu_escape(out_path)}"
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    except OSError as e:
        raise ToolError(f"cannot start {argv[0]}: {e.strerror}") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{argv[0]} did not dump its device tree within 60 s") from None
    if r.returncode != 0 or not os.path.isfile(out_path):
        raise ToolError(f"{argv[0]} could not dump its device tree (exit {r.returncode}): "
                        f"{(r.stdout + r.stderr).strip()}")


def qemu_escape(s):
    """A QEMU option value: commas are doubled."""
    return s.replace(",", ",,")


def _fdtget(dtb, node, prop):
    r = subprocess.run(["fdtget", dtb, node, prop], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def domain_node_dts(d):
    """The /chosen/domU<id> node of @d, DTS text."""
    g = d.guest
    lines = [f"\t\tdomU{d.domid} {{", '\t\t\tcompatible = "xen,domain";',
             "\t\t\t#address-cells = <2>;", "\t\t\t#size-cells = <2>;",
             f"\t\t\tmemory = <{cells64(g.memory // 1024)}>;",
             f"\t\t\tcpus = <{g.vcpus}>;",
             f"\t\t\tbulkhead,name = {dts_string(g.name)};",
             f"\t\t\tbulkhead,role = {dts_string(g.role)};"]
    if g.stub_of is not None:
        lines.append(f"\t\t\tbulkhead,stub-of = {dts_string(g.stub_of)};")
    if g.start_after is not None:
        lines.append(f"\t\t\tbulkhead,start-after = {dts_string(g.start_after)};")
    lines += sched_dts(g)
    for m in d.modules:
        lines += [f"\t\t\tmodule@{m.host_addr:x} {{",
                  f'\t\t\t\tcompatible = "{COMPAT[m.kind]}", "multiboot,module";',
                  f"\t\t\t\treg = <{cells64(m.host_addr)} {cells64(m.size)}>;",
                  f"\t\t\t\tbulkhead,load-address = <{cells64(m.load_addr)}>;",
                  "\t\t\t};"]
    lines.append("\t\t};")
    return lines


def sched_dts(g):
    """Scheduling properties of a domain node: bulkhead,weight and bulkhead,cap when not
    the defaults, and Xen's per-vCPU binding (a "xen,vcpu" node with `id` and
    `hard-affinity`) for each vCPU with an affinity."""
    lines = []
    if g.weight != WEIGHT_DEFAULT:
        lines.append(f"\t\t\tbulkhead,weight = <{g.weight}>;")
    if g.cap:
        lines.append(f"\t\t\tbulkhead,cap = <{g.cap}>;")
    for i, cpus in enumerate(g.affinity):
        if cpus is not None:
            lines += [f"\t\t\tvcpu{i} {{", '\t\t\t\tcompatible = "xen,vcpu";',
                      f"\t\t\t\tid = <{i}>;",
                      f"\t\t\t\thard-affinity = {dts_string(cpulist_text(cpus))};", "\t\t\t};"]
    return lines


def xen_domain_node_dts(d):
    """The /chosen/domU<id> node of @d for Xen itself (dom0less, Xen's
    docs/misc/arm/device-tree/booting.txt): no `multiboot,device-tree` module (Xen
    builds the guest's tree), the xl.cfg cmdline as the kernel module's `bootargs`.
    Used by the benchmarks to boot the same guests on Xen as a baseline."""
    g = d.guest
    lines = [f"\t\tdomU{d.domid} {{", '\t\t\tcompatible = "xen,domain";',
             "\t\t\t#address-cells = <2>;", "\t\t\t#size-cells = <2>;",
             f"\t\t\tmemory = <{cells64(g.memory // 1024)}>;",
             f"\t\t\tcpus = <{g.vcpus}>;"]
    for m in d.modules:
        if m.kind == "device-tree":
            continue
        lines += [f"\t\t\tmodule@{m.host_addr:x} {{",
                  f'\t\t\t\tcompatible = "{COMPAT[m.kind]}", "multiboot,module";',
                  f"\t\t\t\treg = <{cells64(m.host_addr)} {cells64(m.size)}>;"]
        if m.kind == "kernel":
            lines.append(f"\t\t\t\tbootargs = {dts_string(g.cmdline)};")
        lines.append("\t\t\t};")
    lines.append("\t\t};")
    return lines


def build_host_dtb(base_dtb, domains, out_path, node_dts=None, xen_bootargs=None):
    """QEMU's tree @base_dtb plus the domain nodes under /chosen, compiled to @out_path.

    The tree is decompiled and the nodes are added as a second `/ { chosen { ... }; };`
    block, which dtc merges into the first: everything QEMU wrote (phandles included)
    passes through unchanged. @node_dts (default domain_node_dts) writes one domain's
    node; @xen_bootargs, if given, becomes /chosen `xen,xen-bootargs` (for booting Xen).
    """
    node_dts = node_dts or domain_node_dts
    from .guestdt import dtc
    try:
        r = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", base_dtb],
                           capture_output=True, text=True)
    except OSError as e:
        raise ToolError(f"cannot run dtc: {e.strerror} (install device-tree-compiler)") \
            from None
    if r.returncode != 0:
        raise ToolError(f"dtc cannot read QEMU's device tree {base_dtb}: {r.stderr.strip()}")
    frag = ["", "/* bh-boot: boot-time domains (Xen dom0less binding, docs/bh-boot.md) */",
            "/ {", "\tchosen {"]
    if _fdtget(base_dtb, "/chosen", "#address-cells") is None:
        frag.append("\t\t#address-cells = <2>;")
    if _fdtget(base_dtb, "/chosen", "#size-cells") is None:
        frag.append("\t\t#size-cells = <2>;")
    if xen_bootargs is not None:
        frag.append(f"\t\txen,xen-bootargs = {dts_string(xen_bootargs)};")
    for d in domains:
        frag += node_dts(d)
    frag += ["\t};", "};", ""]
    dts = r.stdout + "\n".join(frag)
    src = os.path.splitext(out_path)[0] + ".dts"
    with open(src, "w", encoding="utf-8") as f:
        f.write(dts)
    dtc(dts, out_path, src)

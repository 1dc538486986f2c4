# SPDX-License-Identifier: MIT
"""Guest placement, the generated guest device trees (read back with fdtget) and the
host device tree's dom0less domain nodes (QEMU's own tree, via bh-boot --dry-run)."""
import os
import re

import pytest

from bhboot import guestdt, hostdt, xlcfg
from bhboot.xlcfg import ConfigError
from conftest import (MiB, arm64_image, fdt_children, fdtget, have_qemu, riscv_image, u64)

# Xen 4.17's arch-arm.h, as the contract names them: the generated tree must match both
# these values and the header bh-boot reads.
XEN = {"GUEST_GICV3_GICD_BASE": 0x03001000, "GUEST_GICV3_GICD_SIZE": 0x10000,
       "GUEST_GICV3_GICR0_BASE": 0x03020000, "GUEST_TIMER_VIRT_PPI": 27,
       "GUEST_TIMER_PHYS_S_PPI": 29, "GUEST_TIMER_PHYS_NS_PPI": 30, "GUEST_EVTCHN_PPI": 31,
       "GUEST_GNTTAB_BASE": 0x38000000, "GUEST_GNTTAB_SIZE": 0x01000000,
       "GUEST_RAM0_BASE": 0x40000000, "GUEST_RAM0_SIZE": 0xc0000000}


def guest(ws, arch, memory=128, vcpus=2, ramdisk=True, extra="console=hvc0 root=/dev/ram",
          kernel=None, name="g"):
    text = (f'name = "{name}"\nkernel = "{kernel or "Image-" + arch}"\nmemory = {memory}\n'
            f'vcpus = {vcpus}\nextra = "{extra}"\n' + ('ramdisk = "initrd"\n' if ramdisk else ""))
    path = os.path.join(ws.path, ws.cfg(f"{name}.cfg", text))
    return xlcfg.load_guest(path, 3072)


def build(ws, arch, **kw):
    g = guest(ws, arch, **kw)
    p = guestdt.place(arch, g)
    return g, p, guestdt.build_guest_dtb(arch, g, p, ws.path)


def test_xen_constants_come_from_the_header():
    x = guestdt.xen_consts()
    for k, v in XEN.items():
        assert x[k] == v, k


# ---- placement ----

def test_placement_aarch64_text_offset_and_image_size(ws):
    ws.file("Image-aarch64", arm64_image(text_offset=0x80000, image_size=5 * MiB))
    g = guest(ws, "aarch64", memory=64)
    p = guestdt.place("aarch64", g)
    assert p.kernel_addr == 0x40080000 and p.kernel_end == 0x40080000 + 5 * MiB
    assert p.dtb_addr == 0x40000000 + 64 * MiB - 2 * MiB
    assert p.ramdisk_addr == (p.dtb_addr - 100000) & ~0xfff
    assert p.ramdisk_addr % 4096 == 0 and p.ramdisk_end <= p.dtb_addr


def test_placement_aarch64_zero_image_size_means_0x80000(ws):
    ws.file("Image-aarch64", arm64_image(text_offset=0, image_size=0))
    assert guestdt.place("aarch64", guest(ws, "aarch64")).kernel_addr == 0x40080000


def test_placement_riscv64_text_offset(ws):
    p = guestdt.place("riscv64", guest(ws, "riscv64", memory=32))
    assert p.kernel_addr == 0x80200000 and p.kernel_end == 0x80200000 + 3 * MiB
    assert p.dtb_addr == 0x80000000 + 30 * MiB


@pytest.mark.parametrize("arch,base", [("aarch64", 0x40000000), ("riscv64", 0x80000000)])
def test_placement_raw_kernel_at_ram_base(ws, arch, base):
    ws.file("raw", b"\x13\x00\x00\x00" * 1000)
    g = guest(ws, arch, kernel="raw")
    p = guestdt.place(arch, g)
    assert p.kernel.kind == "raw" and p.kernel_addr == base and p.kernel_end == base + 4000


def test_placement_wrong_arch_header_is_raw(ws):
    """A RISC-V Image given to an aarch64 guest has no arm64 magic: loaded raw."""
    ws.file("Image-aarch64", riscv_image())
    assert guestdt.place("aarch64", guest(ws, "aarch64")).kernel.kind == "raw"


def test_placement_ramdisk_overlapping_the_kernel_bss(ws):
    """The file is small but image_size (BSS) reaches the ramdisk: error on 'ramdisk'."""
    ws.file("Image-aarch64", arm64_image(image_size=5 * MiB + 1))
    ws.file("initrd", bytes(1 * MiB))
    g = guest(ws, "aarch64", memory=8)
    with pytest.raises(ConfigError) as e:
        guestdt.place("aarch64", g)
    assert (e.value.key, e.value.line) == ("ramdisk", 6)
    assert "overlap the kernel (0x40000000-0x40500001)" in str(e.value)
    ws.file("Image-aarch64", arm64_image(image_size=5 * MiB))  # exactly fits
    p = guestdt.place("aarch64", g)
    assert p.ramdisk_addr == 0x40500000 and p.kernel_end == p.ramdisk_addr


def test_placement_kernel_reaching_the_dtb(ws):
    ws.file("Image-aarch64", arm64_image(image_size=6 * MiB + 1))
    with pytest.raises(ConfigError) as e:
        guestdt.place("aarch64", guest(ws, "aarch64", memory=8, ramdisk=False))
    assert (e.value.key, e.value.line) == ("memory", 3)


# ---- guest device trees ----

def _phandle(dtb, node):
    return fdtget(dtb, node, "phandle")[0]


def test_guest_dtb_aarch64(ws):
    g, p, dtb = build(ws, "aarch64", memory=256, vcpus=3)
    assert fdtget(dtb, "/", "compatible", "s") == "xen,xenvm-4.17 xen,xenvm"
    assert fdtget(dtb, "/", "#address-cells") == [2] and fdtget(dtb, "/", "#size-cells") == [2]
    assert fdtget(dtb, "/memory@40000000", "reg") == [0, 0x40000000, 0, 256 * MiB]
    assert fdtget(dtb, "/memory@40000000", "device_type", "s") == "memory"
    assert fdtget(dtb, "/chosen", "bootargs", "s") == "console=hvc0 root=/dev/ram"
    start, end = u64(fdtget(dtb, "/chosen", "linux,initrd-start")), \
        u64(fdtget(dtb, "/chosen", "linux,initrd-end"))
    assert (start, end) == (p.ramdisk_addr, p.ramdisk_addr + 100000)
    assert end <= 0x40000000 + 254 * MiB and start % 4096 == 0
    cpus = fdt_children(dtb, "/cpus")
    assert cpus == ["cpu@0", "cpu@1", "cpu@2"]
    for n, c in enumerate(cpus):
        assert fdtget(dtb, f"/cpus/{c}", "reg") == [n]
        assert fdtget(dtb, f"/cpus/{c}", "enable-method", "s") == "psci"
        assert fdtget(dtb, f"/cpus/{c}", "compatible", "s") == "arm,armv8"
        assert fdtget(dtb, f"/cpus/{c}", "device_type", "s") == "cpu"
    assert fdtget(dtb, "/psci", "method", "s") == "hvc"
    assert fdtget(dtb, "/psci", "compatible", "s") == "arm,psci-1.0 arm,psci-0.2"
    gic = "/interrupt-controller@3001000"
    assert fdtget(dtb, gic, "compatible", "s") == "arm,gic-v3"
    assert fdtget(dtb, gic, "reg") == [0, XEN["GUEST_GICV3_GICD_BASE"], 0,
                                       XEN["GUEST_GICV3_GICD_SIZE"],
                                       0, XEN["GUEST_GICV3_GICR0_BASE"], 0, 3 * 0x20000]
    assert fdtget(dtb, gic, "#interrupt-cells") == [3]
    assert fdtget(dtb, gic, "interrupt-controller") == []
    assert fdtget(dtb, "/", "interrupt-parent") == [_phandle(dtb, gic)]

    def ppi(intid):
        return [1, intid - 16, 0xf08]

    assert fdtget(dtb, "/timer", "compatible", "s") == "arm,armv8-timer"
    assert fdtget(dtb, "/timer", "interrupts") == (
        ppi(XEN["GUEST_TIMER_PHYS_S_PPI"]) + ppi(XEN["GUEST_TIMER_PHYS_NS_PPI"]) +
        ppi(XEN["GUEST_TIMER_VIRT_PPI"]) + ppi(26))
    assert fdtget(dtb, "/hypervisor", "compatible", "s") == "xen,xen-4.17 xen,xen"
    assert fdtget(dtb, "/hypervisor", "reg") == [0, 0x38000000, 0, 0x01000000]
    assert fdtget(dtb, "/hypervisor", "interrupts") == ppi(XEN["GUEST_EVTCHN_PPI"])


def test_guest_dtb_riscv64(ws):
    g, p, dtb = build(ws, "riscv64", memory=64, vcpus=4)
    assert fdtget(dtb, "/", "compatible", "s") == "bulkhead,virt"
    assert fdtget(dtb, "/memory@80000000", "reg") == [0, 0x80000000, 0, 64 * MiB]
    assert fdtget(dtb, "/chosen", "bootargs", "s") == "console=hvc0 root=/dev/ram"
    assert u64(fdtget(dtb, "/chosen", "linux,initrd-start")) == p.ramdisk_addr
    assert u64(fdtget(dtb, "/chosen", "linux,initrd-end")) == p.ramdisk_addr + 100000
    assert fdtget(dtb, "/cpus", "timebase-frequency") == [10000000]
    cpus = fdt_children(dtb, "/cpus")
    assert cpus == ["cpu@0", "cpu@1", "cpu@2", "cpu@3"]
    intcs = []
    for n, c in enumerate(cpus):
        node = f"/cpus/{c}"
        assert fdtget(dtb, node, "reg") == [n]
        assert fdtget(dtb, node, "riscv,isa", "s") == "rv64imafdc_zicsr_zifencei"
        assert fdtget(dtb, node, "mmu-type", "s") == "riscv,sv39"
        assert fdtget(dtb, node, "status", "s") == "okay"
        intc = node + "/interrupt-controller"
        assert fdtget(dtb, intc, "compatible", "s") == "riscv,cpu-intc"
        assert fdtget(dtb, intc, "#interrupt-cells") == [1]
        intcs.append(_phandle(dtb, intc))
    assert len(set(intcs)) == 4
    plic = "/interrupt-controller@c000000"
    assert fdtget(dtb, plic, "compatible", "s") == "sifive,plic-1.0.0 riscv,plic0"
    assert fdtget(dtb, plic, "reg") == [0, 0x0c000000, 0, 0x600000]
    # QEMU virt's contexts: M-mode (11) then S-mode (9) per hart, as the vPLIC numbers them.
    assert fdtget(dtb, plic, "interrupts-extended") == [w for ph in intcs
                                                         for w in (ph, 11, ph, 9)]
    assert fdtget(dtb, plic, "riscv,ndev") == [96]
    assert fdtget(dtb, plic, "#address-cells") == [0]


@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_guest_dtb_without_ramdisk(ws, arch):
    _, p, dtb = build(ws, arch, ramdisk=False, vcpus=1)
    assert fdtget(dtb, "/chosen", "linux,initrd-start") is None
    assert fdt_children(dtb, "/cpus") == ["cpu@0"]
    assert os.path.getsize(dtb) < 2 * MiB


def test_bootargs_escaping(ws):
    g = guest(ws, "aarch64")
    g.cmdline = 'a "b" c\\d é'
    dtb = guestdt.build_guest_dtb("aarch64", g, guestdt.place("aarch64", g), ws.path)
    assert fdtget(dtb, "/chosen", "bootargs", "s") == 'a "b" c\\d é'


def test_dtc_failure_is_a_clean_error(tmp_path):
    with pytest.raises(guestdt.ToolError) as e:
        guestdt.dtc("/dts-v1/; / { broken", str(tmp_path / "x.dtb"), "x.dts")
    assert str(e.value).startswith("dtc failed on x.dts (exit 1):")


# ---- host memory and the host device tree ----

def test_module_placement(ws):
    doms = []
    for i, name in enumerate(["a", "b"], 1):
        g, p, dtb = build(ws, "aarch64", name=name, ramdisk=(name == "a"))
        doms.append(hostdt.Domain(i, g, p, dtb))
    end = hostdt.place_modules(doms, 0x40000000, 1024 * MiB)
    addrs = [m.host_addr for d in doms for m in d.modules]
    assert addrs == [0x50000000 + n * 2 * MiB for n in range(5)]
    assert end == 0x50000000 + 5 * 2 * MiB
    assert [m.kind for m in doms[0].modules] == ["kernel", "ramdisk", "device-tree"]
    assert [m.load_addr for m in doms[0].modules] == \
        [doms[0].placement.kernel_addr, doms[0].placement.ramdisk_addr,
         doms[0].placement.dtb_addr]


@pytest.mark.skipif(not have_qemu("aarch64"), reason="no QEMU")
def test_host_dtb_sched_properties(ws, bh_boot):
    ws.cfg("a.cfg", 'name = "alpha"\nkernel = "Image-aarch64"\nmemory = 32\nvcpus = 3\n'
           'weight = 512\ncap = 50\ncpus = ["1", "0-1"]\n')
    ws.cfg("b.cfg", 'name = "beta"\nkernel = "Image-aarch64"\nmemory = 32\nvcpus = 4\n')
    r = bh_boot("--arch", "aarch64", "--smp", "2", "--dry-run", "--workdir", "out",
                "a.cfg", "b.cfg", fake_qemu=False)
    assert r.rc == 0, r.err  # 4 vCPUs on 2 CPUs is allowed
    host = os.path.join(ws.path, "out", "host.dtb")
    assert fdtget(host, "/chosen/domU1", "bulkhead,weight") == [512]
    assert fdtget(host, "/chosen/domU1", "bulkhead,cap") == [50]
    assert fdtget(host, "/chosen/domU1/vcpu0", "compatible", "s") == "xen,vcpu"
    assert fdtget(host, "/chosen/domU1/vcpu0", "id") == [0]
    assert fdtget(host, "/chosen/domU1/vcpu0", "hard-affinity", "s") == "1"
    assert fdtget(host, "/chosen/domU1/vcpu1", "hard-affinity", "s") == "0-1"
    assert "vcpu2" not in fdt_children(host, "/chosen/domU1")
    # Defaults are left out: the hypervisor's defaults are the same.
    assert fdtget(host, "/chosen/domU2", "bulkhead,weight") is None
    assert fdtget(host, "/chosen/domU2", "bulkhead,cap") is None


@pytest.mark.skipif(not have_qemu("aarch64") or not have_qemu("riscv64"), reason="no QEMU")
@pytest.mark.parametrize("arch,ram", [("aarch64", 0x40000000), ("riscv64", 0x80000000)])
def test_host_dtb_domain_nodes(ws, bh_boot, arch, ram):
    ws.cfg("a.cfg", f'name = "alpha"\nkernel = "Image-{arch}"\nramdisk = "initrd"\n'
           f'memory = 96\nvcpus = 2\nextra = "console=hvc0"\nrole = "driver"\n')
    ws.cfg("b.cfg", f'name = "beta"\nkernel = "Image-{arch}"\nmemory = 32\n'
           f'start_after = "alpha"\nstubdom = 0\n')
    r = bh_boot("--arch", arch, "--smp", "2", "--mem", "768", "--dry-run",
                "--workdir", "out", "a.cfg", "b.cfg", fake_qemu=False)
    assert r.rc == 0, r.err
    qemu = r.out.split()
    assert qemu[qemu.index("-smp") + 1] == "2" and qemu[qemu.index("-m") + 1] == "768M"
    host = os.path.join(ws.path, "out", "host.dtb")
    assert qemu[qemu.index("-dtb") + 1] == host
    loaders = set(re.findall(r"loader,file=([^,]+),addr=(0x[0-9a-f]+),force-raw=on", r.out))
    assert fdtget(host, "/chosen", "#address-cells") == [2]
    assert fdtget(host, "/chosen", "#size-cells") == [2]
    assert fdtget(host, "/chosen", "stdout-path", "s")  # QEMU's own properties stay
    assert [n for n in fdt_children(host, "/chosen")] == ["domU1", "domU2"]
    want = {"domU1": ("alpha", 96, 2, "driver", None, ["kernel", "ramdisk", "device-tree"]),
            "domU2": ("beta", 32, 1, "guest", "alpha", ["kernel", "device-tree"])}
    files = {"kernel": os.path.join(ws.path, f"Image-{arch}"),
             "ramdisk": os.path.join(ws.path, "initrd")}
    next_addr = ram + 256 * MiB
    nloaders = 0
    for node, (name, mem, cpus, role, after, kinds) in want.items():
        n = f"/chosen/{node}"
        assert fdtget(host, n, "compatible", "s") == "xen,domain"
        assert fdtget(host, n, "memory") == [0, mem * 1024]
        assert fdtget(host, n, "cpus") == [cpus]
        assert fdtget(host, n, "bulkhead,name", "s") == name
        assert fdtget(host, n, "bulkhead,role", "s") == role
        assert fdtget(host, n, "bulkhead,start-after", "s") == after
        mods = fdt_children(host, n)
        assert len(mods) == len(kinds)
        nloaders += len(kinds)
        guest_dtb = os.path.join(ws.path, "out", f"guest-{name}.dtb")
        files["device-tree"] = guest_dtb
        for mod, kind in zip(mods, kinds):
            m = f"{n}/{mod}"
            assert fdtget(host, m, "compatible", "s") == f"multiboot,{kind} multiboot,module"
            reg = fdtget(host, m, "reg")
            addr, size = u64(reg[:2]), u64(reg[2:])
            assert mod == f"module@{addr:x}" and addr == next_addr
            assert size == os.path.getsize(files[kind])
            assert (files[kind], hex(addr)) in loaders
            next_addr += (size + 2 * MiB - 1) & ~(2 * MiB - 1)
            load = u64(fdtget(host, m, "bulkhead,load-address"))
            gram = ram
            if kind == "kernel":
                assert load == gram + (0x200000 if arch == "riscv64" else 0)
            elif kind == "device-tree":
                assert load == gram + (mem - 2) * MiB
                assert fdtget(guest_dtb, f"/memory@{gram:x}", "reg") == [0, gram, 0, mem * MiB]
            else:
                assert load == u64(fdtget(guest_dtb, "/chosen", "linux,initrd-start"))
    assert len(loaders) == nloaders == 5

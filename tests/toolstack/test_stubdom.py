# SPDX-License-Identifier: MIT
"""bh-boot's stub domains (docs/stub-domains.md): the `stubdom` key, the pairing in the
host device tree (guest node, then its stub's), the stub's bootargs and memory, and the
guest's UART node with chosen/stdout-path (read back with fdtget)."""
import os

import pytest

from bhboot import stubdom, xlcfg
from bhboot.xlcfg import ConfigError
from conftest import arm64_image, fdt_children, fdtget, have_qemu, riscv_image, u64

UART = {"aarch64": ("/serial@22000000", ["arm,pl011", "arm,primecell"], 0x22000000, 0x1000,
                    "target=1 uart=pl011@0x22000000,irq=32"),
        "riscv64": ("/serial@10000000", ["ns16550a"], 0x10000000, 0x100,
                    "target=1 uart=ns16550@0x10000000,irq=10")}


def fake_stub(ws, arch):
    """A stand-in for drivers/stub: an Image at text_offset 0, 64 KiB with its BSS."""
    make = arm64_image if arch == "aarch64" else riscv_image
    return ws.file(f"stub-{arch}.bin", make(text_offset=0, image_size=0x10000))


def load(ws, text):
    return xlcfg.load_guest(os.path.join(ws.path, ws.cfg("g.cfg", text)), 3072)


def test_stubdom_key(ws):
    base = 'name = "g"\nkernel = "Image-aarch64"\nmemory = 16\n'
    assert load(ws, base).stubdom == xlcfg.STUBDOM_DEFAULT == 1
    assert load(ws, base + "stubdom = 1\n").stubdom == 1
    assert load(ws, base + "stubdom = 0\n").stubdom == 0
    assert load(ws, base + 'role = "driver"\n').stubdom == 0
    with pytest.raises(ConfigError, match="must be 0"):
        load(ws, base + "stubdom = 2\n")
    with pytest.raises(ConfigError, match="no stub domain"):
        load(ws, base + 'role = "driver"\nstubdom = 1\n')
    with pytest.raises(ConfigError, match="expected an integer"):
        load(ws, base + 'stubdom = "yes"\n')


@pytest.mark.skipif(not have_qemu("aarch64") or not have_qemu("riscv64"), reason="no QEMU")
@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_guest_then_its_stub(ws, bh_boot, arch):
    stub_image = fake_stub(ws, arch)
    ws.cfg("a.cfg", f'name = "alpha"\nkernel = "Image-{arch}"\nmemory = 32\nvcpus = 2\n'
           'stubdom = 1\nextra = "console=ttyX"\n')
    ws.cfg("b.cfg", f'name = "beta"\nkernel = "Image-{arch}"\nmemory = 32\nstubdom = 0\n')
    r = bh_boot("--arch", arch, "--dry-run", "--workdir", "out", "--stub-image", stub_image,
                "a.cfg", "b.cfg", fake_qemu=False)
    assert r.rc == 0, r.err
    host = os.path.join(ws.path, "out", "host.dtb")
    # Node order = domain ids: alpha d1, its stub d2, beta d3.
    assert fdt_children(host, "/chosen") == ["domU1", "domU2", "domU3"]
    assert fdtget(host, "/chosen/domU1", "bulkhead,name", "s") == "alpha"
    assert fdtget(host, "/chosen/domU1", "bulkhead,stub-of") is None
    assert fdtget(host, "/chosen/domU2", "bulkhead,name", "s") == "alpha-stub"
    assert fdtget(host, "/chosen/domU2", "bulkhead,role", "s") == "stub"
    assert fdtget(host, "/chosen/domU2", "bulkhead,stub-of", "s") == "alpha"
    assert u64(fdtget(host, "/chosen/domU2", "memory")) <= 2048  # KiB
    assert fdtget(host, "/chosen/domU2", "cpus") == [1]
    assert fdtget(host, "/chosen/domU3", "bulkhead,name", "s") == "beta"
    path, compat, base, size, args = UART[arch]
    stub_dt = os.path.join(ws.path, "out", "guest-alpha-stub.dtb")
    assert fdtget(stub_dt, "/chosen", "bootargs", "s") == args
    assert fdtget(stub_dt, path, "compatible", "s") is None  # the stub has no UART
    g = os.path.join(ws.path, "out", "guest-alpha.dtb")
    assert fdtget(g, "/chosen", "stdout-path", "s") == path
    assert fdtget(g, path, "compatible", "s").split() == compat
    assert fdtget(g, path, "reg") == [0, base, 0, size]
    if arch == "aarch64":
        assert fdtget(g, path, "interrupts") == [0, 0, 4]  # SPI 32, level high
        assert fdtget(g, path, "clock-names", "s").split() == ["uartclk", "apb_pclk"]
        assert len(fdtget(g, path, "clocks")) == 2
    else:
        assert fdtget(g, path, "interrupts") == [10]
        assert fdtget(g, path, "clock-frequency") == [stubdom.NS16550_CLOCK_HZ]
        assert fdtget(g, path, "interrupt-parent") == fdtget(g, "/interrupt-controller@c000000",
                                                              "phandle")
    beta = os.path.join(ws.path, "out", "guest-beta.dtb")
    assert fdtget(beta, "/chosen", "stdout-path", "s") is None


def test_missing_stub_image_is_a_clear_error(ws, bh_boot):
    ws.cfg("a.cfg", 'name = "alpha"\nkernel = "Image-aarch64"\nmemory = 32\nstubdom = 1\n')
    r = bh_boot("--arch", "aarch64", "--dry-run", "--stub-image", "nope.bin", "a.cfg")
    assert r.rc == 1 and "stub program" in r.err and "stubdom = 0" in r.err, r.err
    assert not r.qemu_started


def test_stub_name_must_be_free(ws, bh_boot):
    stub_image = fake_stub(ws, "aarch64")
    ws.cfg("a.cfg", 'name = "alpha"\nkernel = "Image-aarch64"\nmemory = 32\nstubdom = 1\n')
    ws.cfg("b.cfg", 'name = "alpha-stub"\nkernel = "Image-aarch64"\nmemory = 32\n')
    r = bh_boot("--arch", "aarch64", "--dry-run", "--stub-image", stub_image, "a.cfg", "b.cfg")
    assert r.rc == 1 and "alpha-stub" in r.err, r.err


def test_a_guest_served_by_a_given_stub_gets_no_second_one(ws, bh_boot):
    stub_image = fake_stub(ws, "aarch64")
    ws.cfg("a.cfg", 'name = "alpha"\nkernel = "Image-aarch64"\nmemory = 32\n')
    ws.cfg("s.cfg", 'name = "mine"\nkernel = "Image-aarch64"\nmemory = 32\nrole = "stub"\n'
           'stub_of = "alpha"\n')
    ws.cfg("b.cfg", 'name = "beta"\nkernel = "Image-aarch64"\nmemory = 32\n')
    r = bh_boot("--arch", "aarch64", "--dry-run", "--workdir", "out", "--stub-image",
                stub_image, "a.cfg", "s.cfg", "b.cfg", fake_qemu=False)
    assert r.rc == 0, r.err
    host = os.path.join(ws.path, "out", "host.dtb")
    names = [fdtget(host, f"/chosen/{n}", "bulkhead,name", "s")
             for n in fdt_children(host, "/chosen")]
    assert names == ["alpha", "mine", "beta", "beta-stub"]

# SPDX-License-Identifier: MIT
"""bh-boot end to end: the real hypervisor image (build/<arch>/bulkhead.bin from
`make ARCH=<arch>`) boots on QEMU with a host DT carrying dom0less domain nodes and
the modules loaded, prints its boot log and powers off; exit codes follow bhqemu.

The guests are tiny Image-format kernels (conftest.hello_image) that print a line with
the console_io hypercall and power their domain off. When the hypervisor creates the
domains (it logs "bulkhead: d1 (alpha)"), their lines must appear, in start_after
order; a hypervisor without domain support for the arch must still boot and power off.
Skipped when an image is missing.
"""
import os
import re

import pytest

from conftest import BUILD, hello_image, hyp_image

ARCHES = ["aarch64", "riscv64"]
LOG_DIR = os.path.join(BUILD, "test-logs")


def _image(arch):
    path = hyp_image(arch)
    if not os.path.isfile(path):
        pytest.skip(f"{path} missing: run `make ARCH={arch}` first")
    return path


def _guests(ws, arch):
    ws.file(f"Image-{arch}", hello_image(arch, "hello from alpha"))
    ws.file(f"beta/Image-{arch}", hello_image(arch, "hello from beta"))
    ws.cfg("a.cfg", f'name = "alpha"\nkernel = "Image-{arch}"\nramdisk = "initrd"\n'
           f'memory = 128\nvcpus = 2\nstubdom = 0\nextra = "console=hvc0"\n')
    ws.cfg("beta/b.cfg", f'name = "beta"\nkernel = "Image-{arch}"\nmemory = 64\n'
           f'role = "driver"\nstart_after = "alpha"\n')
    return ["a.cfg", "beta/b.cfg"]


@pytest.mark.parametrize("arch", ARCHES)
def test_boot_with_domain_nodes_powers_off(ws, bh_boot, arch):
    log = os.path.join(LOG_DIR, f"toolstack_boot_{arch}.log")
    r = bh_boot("--arch", arch, "--image", _image(arch), "--timeout", "90", "--log", log,
                *_guests(ws, arch), fake_qemu=False, image_arg=False)
    assert r.rc == 0, f"exit {r.rc}; console log kept: {log}\n{r.err}"
    assert "Bulkhead hypervisor" in r.out and "bulkhead: PANIC" not in r.out
    assert re.search(r"bulkhead: \d+ of 4 CPUs online", r.out)
    assert "powering off" in r.out
    assert "bh-boot: d1 alpha: 128 MiB, 2 vCPU(s), role guest" in r.err
    assert "bh-boot: d2 beta: 64 MiB, 1 vCPU(s), role driver" in r.err
    if "bulkhead: d1 (alpha)" in r.out:
        # beta waits for alpha (start_after); its id is the hypervisor's choice once
        # alpha has gone (today it reuses d1).
        a = re.search(r"^\(d1\) hello from alpha$", r.out, re.M)
        b = re.search(r"^\(d\d+\) hello from beta$", r.out, re.M)
        assert a and b and a.start() < b.start(), "guest lines missing or out of order"
        assert r.out.find("(alpha) shut down") < b.start()


@pytest.mark.parametrize("arch", ARCHES)
def test_append_reaches_the_hypervisor_and_panic_exits_2(ws, bh_boot, arch):
    """--append goes to /chosen bootargs even with -dtb: selftest=trap panics on purpose."""
    r = bh_boot("--arch", arch, "--image", _image(arch), "--timeout", "90", "--smp", "2",
                "--append", "selftest=trap", *_guests(ws, arch)[:1],
                fake_qemu=False, image_arg=False)
    assert r.rc == 2, r.err
    assert "bulkhead: PANIC" in r.out and "the hypervisor panicked" in r.err


def test_timeout_exits_124(ws, bh_boot):
    """A guest that spins forever (raw `b .`) keeps the board on: the timeout ends it."""
    ws.file("spin", bytes.fromhex("00000014") * 16)
    ws.cfg("spin.cfg", 'name = "spin"\nkernel = "spin"\nmemory = 16\n')
    r = bh_boot("--arch", "aarch64", "--image", _image("aarch64"), "--timeout", "5",
                "spin.cfg", fake_qemu=False, image_arg=False)
    assert r.rc == 124 and "bh-boot: timeout after 5 s" in r.err, r.err


@pytest.mark.parametrize("arch", ARCHES)
def test_testguest_reads_our_device_tree(ws, bh_boot, arch):
    """The real test guest (make test-guests; configs/guests/hypercalls-*.cfg boots it the
    same way) finds its bootargs, RAM and DTB in the tree bh-boot generated and passes
    its hypercall checks. Skipped without the guest, or
    while the hypervisor does not run domains on this arch."""
    guest = os.path.join(BUILD, arch, "guests", "testguest.bin")
    if not os.path.isfile(guest):
        pytest.skip(f"{guest} missing: run `make ARCH={arch} test-guests` first")
    cfg = ws.cfg("hypercalls.cfg", f'name = "hypercalls"\nkernel = "{guest}"\n'
                 'memory = 64\nvcpus = 2\nextra = "test=hypercalls"\n')
    r = bh_boot("--arch", arch, "--image", _image(arch), "--timeout", "90", cfg,
                fake_qemu=False, image_arg=False)
    assert r.rc == 0, r.err
    if "bulkhead: d1 (hypercalls)" not in r.out:
        pytest.skip(f"the {arch} hypervisor does not run domains yet")
    ram = 0x40000000 if arch == "aarch64" else 0x80000000
    assert f"testguest: test=hypercalls ram={ram:#x}+0x4000000" in r.out
    assert f"dtb={ram + 62 * (1 << 20):#x}+" in r.out
    assert re.search(r"\(d1\) DONE \d+ passed, 0 failed", r.out), r.out[-2000:]


@pytest.mark.parametrize("arch", ARCHES)
def test_crashing_guest_exits_4(ws, bh_boot, arch):
    """A guest that crashes (an undefined instruction first thing) while its neighbour
    powers off cleanly: the board still powers off, but bh-boot says a guest crashed."""
    ws.file("crash", bytes(64))  # aarch64: udf #0; riscv64: an all-zero (illegal) word
    ws.file(f"Image-{arch}", hello_image(arch, "hello from alpha"))
    ws.cfg("a.cfg", f'name = "alpha"\nkernel = "Image-{arch}"\nmemory = 16\nstubdom = 0\n')
    ws.cfg("c.cfg", 'name = "crasher"\nkernel = "crash"\nmemory = 16\nstubdom = 0\n')
    r = bh_boot("--arch", arch, "--image", _image(arch), "--timeout", "60", "a.cfg", "c.cfg",
                fake_qemu=False, image_arg=False)
    if "bulkhead: d1 (alpha)" not in r.out:
        pytest.skip(f"the {arch} hypervisor does not run domains yet")
    assert re.search(r"^bulkhead: d2 \(crasher\) crashed: ", r.out, re.M), r.out[-2000:]
    assert r.rc == 4, r.err
    assert "bh-boot: d2 crasher crashed: " in r.err

# SPDX-License-Identifier: MIT
"""Boot tests: the hypervisor alone on QEMU virt, both arches."""
import re
import subprocess

import pytest

from conftest import ARCHES, image

import bhqemu


def assert_clean(r):
    assert not r.timed_out, "the board did not power off by itself"
    assert "bulkhead: PANIC" not in r.output
    assert r.status == bhqemu.EXIT_OK and r.returncode == 0


@pytest.mark.parametrize("arch", ARCHES)
def test_boot_4_cpus_and_power_off(boot, arch):
    r = boot(arch)
    assert_clean(r)
    out = r.output
    assert "Bulkhead hypervisor" in out
    assert re.search(r"dt: memory +0x0*[48]0000000-0x0*[7b]fffffff \(1024 MiB\)", out)
    assert "dt: 4 CPUs" in out
    assert re.search(r"dt: uart (pl011|ns16550) at 0x", out)
    assert re.search(r"dt: interrupt controller ", out)
    assert re.search(r"dt: timer [1-9][0-9]* Hz", out)
    free = re.search(r"mm: page allocator: \d+ pages free \((\d+) MiB\)", out)
    assert free and 1000 <= int(free.group(1)) < 1024, "all RAM but the image and reserved"
    assert "mm: MMU on" in out
    for cpu in range(4):
        assert re.search(rf"cpu{cpu}: timer ok: 5 ticks", out), f"cpu{cpu} timer"
        assert re.search(rf"cpu{cpu}: online \(hwid 0x[0-9a-f]+\)", out), f"cpu{cpu} online"
    assert "bulkhead: 4 of 4 CPUs online" in out
    assert out.rstrip().endswith("bulkhead: nothing to run, powering off")


@pytest.mark.parametrize("arch", ARCHES)
def test_boot_single_cpu_small_memory(boot, arch):
    r = boot(arch, smp=1, mem="256M")
    assert_clean(r)
    assert "dt: 1 CPUs" in r.output
    assert "(256 MiB)" in r.output
    assert "bulkhead: 1 of 1 CPUs online" in r.output


@pytest.mark.parametrize("arch", ARCHES)
def test_unexpected_exception_dumps_registers_and_stops(boot, arch):
    r = boot(arch, append="selftest=trap")
    assert not r.timed_out
    assert r.status == bhqemu.EXIT_PANIC
    out = r.output
    assert "selftest: taking an unexpected exception on purpose" in out
    assert "bulkhead: unexpected exception on cpu0" in out
    # Every general-purpose register and the fault address appear in the dump.
    assert re.search(r"0x0*dead0000", out)
    nregs = len(re.findall(r"\b(x\d{1,2}|ra|sp|gp|tp|t\d|s\d{1,2}|a\d)\s+0x[0-9a-f]{16}", out))
    assert nregs >= 31, out
    assert "bulkhead: PANIC: unexpected exception" in out
    assert "nothing to run" not in out


BAD_DT = {
    "no-memory": r"dt: no memory",
    "no-uart": r"dt: no UART",
    "bad-magic": r"dt: bad device tree at 0x[0-9a-f]+: FDT_ERR_BADMAGIC",
    "garbage": r"dt: bad device tree at 0x[0-9a-f]+: FDT_ERR_BADMAGIC",
    "bad-structure": r"dt: malformed device tree while reading .*: FDT_ERR_BADSTRUCTURE",
}


@pytest.mark.parametrize("kind", sorted(BAD_DT))
@pytest.mark.parametrize("arch", ARCHES)
def test_bad_device_tree_stops_cleanly(boot, bad_dtb, arch, kind):
    r = boot(arch, dtb=bad_dtb(arch, kind), timeout=60)
    assert not r.timed_out, "a bad device tree must not hang the board"
    assert re.search(BAD_DT[kind], r.output), r.output
    assert "bulkhead: PANIC: cannot boot: the host device tree is unusable" in r.output
    assert r.returncode == 0, "the board powers off"


@pytest.mark.parametrize("arch", ARCHES)
def test_image_has_no_writable_executable_segment(arch):
    elf = image(arch).replace(".bin", ".elf")
    out = subprocess.run(["readelf", "-lW", elf], check=True, capture_output=True,
                         text=True).stdout
    flags = re.findall(r"^\s+LOAD\s+(?:\S+\s+){5}([RWE ]+?)\s+0x", out, re.M)
    assert flags, out
    for f in flags:
        assert not ("W" in f and "E" in f), out


def test_riscv_without_hypervisor_extension_is_refused(boot):
    r = boot("riscv64", cpu="rv64,h=false", smp=2, timeout=60)
    assert not r.timed_out, "a CPU without H must not hang the board"
    assert re.search(r"dt: cpu@0 \(riscv,isa \"rv64[a-z]*\S*\"\) has no hypervisor extension \(H\)",
                     r.output), r.output
    assert "bulkhead: PANIC: cannot boot" in r.output
    assert r.returncode == 0, "the board powers off"

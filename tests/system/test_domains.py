# SPDX-License-Identifier: MIT
"""Boot-time domains on both arches: hypercalls, fault containment, isolation, scrubbing.

Each test writes xl.cfg files for the test guest (tests/guests, one program whose mode
comes from its command line), boots them with toolstack/bh-boot, and reads the console.
"""
import os
import re
import subprocess
import sys

import pytest

from conftest import ARCHES, BUILD, LOG_DIR, TOP

BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
HYP_LOAD = {"aarch64": 0x40200000, "riscv64": 0x80200000}
GUEST_RAM = {"aarch64": 0x40000000, "riscv64": 0x80000000}


class Run:
    def __init__(self, proc, log):
        self.status = proc.returncode
        self.output = proc.stdout.replace("\r\n", "\n")
        self.log = log

    def lines(self, domid):
        return [l[len(f"(d{domid}) "):] for l in self.output.splitlines()
                if l.startswith(f"(d{domid}) ")]

    def domid(self, name):
        m = re.search(rf"^bulkhead: d(\d+) \({re.escape(name)}\): ", self.output, re.M)
        assert m, f"domain {name} was not created:\n{self.output}"
        return int(m.group(1))

    def ram(self, name):
        d = self.domid(name)
        return [(int(a, 16), int(b, 16)) for a, b in
                re.findall(rf"^bulkhead: d{d} RAM host (0x[0-9a-f]+)-(0x[0-9a-f]+)$",
                           self.output, re.M)]

    def cpus(self, name):
        d = self.domid(name)
        return [int(c) for c in re.findall(rf"^bulkhead: d{d} vCPU\d+ on CPU(\d+)$",
                                           self.output, re.M)]


@pytest.fixture
def guests(request, tmp_path):
    """guests(arch, [(name, mode_args, extra_cfg), ...], append=, timeout=) -> Run."""

    def _run(arch, specs, append=None, timeout=120, smp=None):
        kernel = os.path.join(BUILD, arch, "guests", "testguest.bin")
        assert os.path.isfile(kernel), "run `make images` first"
        cfgs = []
        for spec in specs:
            name, args = spec[0], spec[1]
            extra = spec[2] if len(spec) > 2 else {}
            lines = [f'name = "{name}"', f'kernel = "{kernel}"',
                     f"memory = {extra.get('memory', 16)}",
                     f"vcpus = {extra.get('vcpus', 1)}", f'extra = "{args}"']
            if "start_after" in extra:
                lines.append(f'start_after = "{extra["start_after"]}"')
            if "stub_of" in extra:
                lines += ['role = "stub"', f'stub_of = "{extra["stub_of"]}"']
            else:
                lines.append("stubdom = 0")  # test guests use no UART
            path = tmp_path / f"{name}.cfg"
            path.write_text("\n".join(lines) + "\n")
            cfgs.append(str(path))
        log = os.path.join(LOG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")
        os.makedirs(LOG_DIR, exist_ok=True)
        argv = [sys.executable, BH_BOOT, "--arch", arch, "--timeout", str(timeout), "--log", log]
        if append:
            argv += ["--append", append]
        if smp:
            argv += ["--smp", str(smp)]
        proc = subprocess.run(argv + cfgs, capture_output=True, text=True, timeout=timeout + 60)
        return Run(proc, log)

    return _run


def assert_took_abort(r, d, name, addr):
    """aarch64: an access to a guest-physical address with nothing behind it is a
    synchronous external abort delivered to the guest (docs/vcpu-aarch64.md): the
    hypervisor logs it, the test runtime's EL1 vector reports it (EC 0x25, FAR = the
    address) and crashes its own domain."""
    assert re.search(rf"^bulkhead: d{d} \({re.escape(name)}\): data access at IPA 0x{addr:x} "
                     r".*external abort injected$", r.output, re.M), f"abort at {addr:#x}"
    assert re.search(rf"^\(d{d}\) EXCEPTION sync EL1h: ESR=0x96000010 \(EC=0x25\) .*"
                     rf"FAR=0x{addr:x} ", r.output, re.M), f"guest report for {addr:#x}"
    assert f"bulkhead: d{d} ({name}) crashed: the guest reported a crash" in r.output


def assert_guest_fault(r, arch, domid, name, addr):
    """The guest's access to @addr found nothing there, the guest took the architectural
    exception and its runtime ended the domain. aarch64: a synchronous external abort
    (assert_took_abort). riscv64: the load access fault (scause 5, stval = the address)
    delivered to the guest's stvec (tests/system/test_vcpu_riscv64.py shows guests that
    handle both arches' exceptions and go on)."""
    if arch == "aarch64":
        assert_took_abort(r, domid, name, addr)
        return
    assert any(re.match(rf"EXCEPTION scause=0x5 sepc=0x[0-9a-f]+ stval=0x{addr:x} ", l)
               for l in r.lines(domid)), r.lines(domid)
    assert re.search(rf"bulkhead: d{domid} \({name}\) crashed: the guest reported a crash",
                     r.output), r.output


def assert_powered_off(r, guest_crashed=False):
    # bh-boot exits 0 only when every guest shut down cleanly, 4 when one crashed.
    want = 4 if guest_crashed else 0
    assert r.status == want, f"bh-boot exit {r.status} (want {want}); log {r.log}"
    assert "bulkhead: PANIC" not in r.output
    assert "bulkhead: all domains have ended, powering off" in r.output


@pytest.mark.parametrize("arch", ARCHES)
def test_hypercalls(guests, arch):
    r = guests(arch, [("hc", f"test=hypercalls hyp={HYP_LOAD[arch]:#x}")])
    assert_powered_off(r)
    out = r.lines(1)
    fails = [l for l in out if l.startswith("FAIL")]
    assert not fails, fails
    done = [l for l in out if l.startswith("DONE")]
    assert done and re.match(r"DONE (\d+) passed, 0 failed", done[0]), out
    assert int(re.match(r"DONE (\d+)", done[0]).group(1)) >= 45
    for check in ("efault-console_io-low", "enosys-hypercall-0x3f", "stage1-console_io-alias",
                  "memory_op-add_to_physmap-shared_info", "timer-10ms"):
        assert f"PASS {check}" in out, check
    assert "bulkhead: d1 (hc) shut down: poweroff" in r.output
    # The kernel and device-tree modules went back to the allocator once copied.
    freed = re.search(r"bulkhead: boot modules copied; (\d+) KiB returned", r.output)
    assert freed and int(freed.group(1)) >= 16, r.output


@pytest.mark.parametrize("arch", ARCHES)
def test_unmapped_read_crashes_only_that_guest(guests, arch):
    bad = GUEST_RAM[arch] + (1 << 30)
    r = guests(arch, [("victim", f"test=unmapped addr={bad:#x}"),
                      ("bystander", "test=spin n=300000")])
    assert_powered_off(r, guest_crashed=True)
    assert_guest_fault(r, arch, 1, "victim", bad)
    assert "FAIL unmapped: survived" not in r.output
    assert "PASS spin" in r.lines(2)
    assert "bulkhead: d2 (bystander) shut down: poweroff" in r.output


@pytest.mark.parametrize("arch", ARCHES)
def test_two_guests_run_at_the_same_time(guests, arch):
    r = guests(arch, [("left", "test=spin n=2000000"), ("right", "test=spin n=2000000")])
    assert_powered_off(r)
    assert r.cpus("left") != r.cpus("right"), "placed on different CPUs"
    assert "PASS spin" in r.lines(1) and "PASS spin" in r.lines(2)
    # Interleaved progress: the right guest reported before the left one finished.
    prog = [l for l in r.output.splitlines() if re.match(r"\(d[12]\) spin \d+/", l)]
    first_right = next(i for i, l in enumerate(prog) if l.startswith("(d2)"))
    last_left = max(i for i, l in enumerate(prog) if l.startswith("(d1)"))
    assert first_right < last_left, prog


PROBES = {
    "aarch64": [0x0, 0x08000000, 0x09000000, 0x48000000, 0xfffffff000],
    # 0x0c000000 is the guest's own virtual PLIC (test_vcpu_riscv64.py): probe just past it.
    "riscv64": [0x0, 0x0c600000, 0x10000000, 0xc0000000, 0x1fffffff000],
}


@pytest.mark.parametrize("arch", ARCHES)
def test_guest_cannot_reach_other_memory(guests, arch):
    marker = 0x5ec2e7005ec2e700
    specs = [("secret", f"test=secret marker={marker:#x} wait_ms=3000")]
    for i, addr in enumerate(PROBES[arch]):
        specs.append((f"probe{i}",
                      f"test=probe marker={marker:#x} hyp={HYP_LOAD[arch]:#x} addr={addr:#x}"))
    r = guests(arch, specs, timeout=150)
    assert_powered_off(r, guest_crashed=True)
    assert "PASS secret-intact" in r.lines(1)
    for i, addr in enumerate(PROBES[arch]):
        d = r.domid(f"probe{i}")
        out = r.lines(d)
        assert "PASS no-foreign-data" in out, out
        assert "PASS no-hyp-image" in out, out
        assert_guest_fault(r, arch, d, f"probe{i}", addr)
        assert "FAIL probe: survived" not in out


@pytest.mark.parametrize("arch", ARCHES)
def test_memory_is_scrubbed_between_guests(guests, arch):
    marker = 0xd127d127d127d127
    r = guests(arch, [("dirty", f"test=dirty marker={marker:#x}", {"memory": 32}),
                      ("clean", f"test=scrubcheck marker={marker:#x}",
                       {"memory": 32, "start_after": "dirty"})])
    assert_powered_off(r)
    assert "DIRTY DONE" in " ".join(r.lines(r.domid("dirty")))
    out = r.lines(r.domid("clean"))
    assert "PASS scrub-no-marker" in out and "PASS scrub-zero" in out, out
    # The test means something only if the second guest got the first one's pages.
    dirty, clean = r.ram("dirty"), r.ram("clean")
    assert any(a < d_end and c_a < b for a, b in clean for c_a, d_end in dirty), (dirty, clean)


@pytest.mark.parametrize("arch", ARCHES)
def test_undefined_instruction_ends_the_domain(guests, arch):
    specs = [("undef", "test=crash-undef"), ("ok", "test=spin n=100000")]
    if arch == "aarch64":
        specs.append(("sysreg", "test=crash-sysreg"))
    r = guests(arch, specs)
    assert_powered_off(r, guest_crashed=True)
    assert re.search(r"bulkhead: d1 \(undef\) crashed: ", r.output), r.output
    if arch == "aarch64":
        # UDF never leaves EL1: the runtime's vector reports EC 0 and crashes itself. The
        # ACTLR_EL1 read traps to the hypervisor, which does not serve it and delivers the
        # architectural undefined-instruction exception (EC 0) to the guest's vector.
        assert re.search(r"^\(d1\) EXCEPTION sync EL1h: ESR=0x2000000 \(EC=0x0\)", r.output, re.M)
        assert re.search(r"^bulkhead: d3 \(sysreg\): system register access the hypervisor does "
                         r"not serve at PC 0x[0-9a-f]+: exception injected$", r.output, re.M)
        assert re.search(r"^\(d3\) EXCEPTION sync EL1h: ESR=0x2000000 \(EC=0x0\)", r.output, re.M)
        assert "bulkhead: d3 (sysreg) crashed: the guest reported a crash" in r.output
    else:
        # The illegal instruction is the guest's (delivered to its stvec, which reports it).
        assert any(l.startswith("EXCEPTION scause=0x2 ") for l in r.lines(1)), r.lines(1)
        assert "bulkhead: d1 (undef) crashed: the guest reported a crash" in r.output
    assert "PASS spin" in r.lines(2)


@pytest.mark.parametrize("arch", ARCHES)
def test_shutdown_reasons(guests, arch):
    r = guests(arch, [("off", "test=shutdown reason=poweroff"),
                      ("reboot", "test=shutdown reason=reboot"),
                      ("fw", "test=shutdown how=firmware"),
                      ("crash", "test=shutdown reason=crash")])
    assert_powered_off(r, guest_crashed=True)
    assert "bulkhead: d1 (off) shut down: poweroff" in r.output
    assert "bulkhead: d2 (reboot) shut down: reboot" in r.output
    assert "bulkhead: d3 (fw) shut down: poweroff" in r.output
    assert "bulkhead: d4 (crash) crashed: the guest reported a crash" in r.output


@pytest.mark.parametrize("arch", ARCHES)
def test_stay_up_keeps_the_board_running(guests, arch):
    r = guests(arch, [("brief", "test=shutdown")], append="stay-up", timeout=15)
    assert r.status == 124, "the board stays up until the timeout"
    assert "bulkhead: all domains have ended; staying up (stay-up)" in r.output


@pytest.mark.parametrize("arch", ARCHES)
def test_smp_guest_starts_and_stops_its_vcpus(guests, arch):
    r = guests(arch, [("smp", "test=smp", {"vcpus": 4})])
    assert_powered_off(r)
    d = r.domid("smp")
    out = r.lines(d)
    fails = [l for l in out if l.startswith("FAIL")]
    assert not fails, fails
    done = [l for l in out if l.startswith("DONE")]
    assert done and re.match(r"DONE (\d+) passed, 0 failed$", done[0]), out
    for check in ("smp-all-came-and-went", "smp-start-self-already-on", "smp-start-past-last",
                  "smp-start-misaligned-entry", "smp-restart-vcpu1"):
        assert f"PASS {check}" in out, check
    if arch == "riscv64":
        assert "PASS smp-start-entry-outside-ram" in out
    for k in (1, 2, 3):
        assert f"PASS smp-first-vcpu{k}-value" in out, k
    # Each secondary came up (vCPU 1 twice: the restart), and only the secondaries did.
    ups = [int(m) for l in out for m in re.findall(r"^VCPU (\d+) UP$", l)]
    assert sorted(ups) == [1, 1, 2, 3], ups
    placed = re.findall(rf"^bulkhead: d{d} vCPU(\d+) on CPU(\d+)$", r.output, re.M)
    assert sorted(int(v) for v, _ in placed) == [0, 1, 2, 3], placed
    assert len({c for _, c in placed}) > 1, f"placement not spread over CPUs: {placed}"
    assert f"bulkhead: d{d} (smp) shut down: poweroff" in r.output


@pytest.mark.parametrize("arch", ["riscv64"])
def test_sbi_base_for_guests(guests, arch):
    r = guests(arch, [("sbi", "test=sbi")])
    assert_powered_off(r)
    out = r.lines(1)
    assert not [l for l in out if l.startswith("FAIL")], out
    for check in ("sbi-spec-version-2.0", "sbi-probe-base", "sbi-probe-hsm", "sbi-probe-srst",
                  "sbi-probe-unknown", "sbi-unknown-extension"):
        assert f"PASS {check}" in out, check
    assert re.search(r"DONE \d+ passed, 0 failed", "\n".join(out)), out


@pytest.mark.parametrize("arch", ARCHES)
def test_smp_vcpu_reported_off_can_be_started_at_once(guests, arch):
    r = guests(arch, [("smp", "test=smp restarts=100", {"vcpus": 2})])
    assert_powered_off(r)
    out = r.lines(r.domid("smp"))
    assert "PASS smp-restart-vcpu1" in out, out
    busy = [l for l in out if l.startswith("INFO restart of vCPU1")]
    assert not busy, busy

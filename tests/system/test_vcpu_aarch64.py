# SPDX-License-Identifier: MIT
"""The aarch64 vCPU platform (docs/vcpu-aarch64.md): virtual GICv3, timers, WFI, PSCI,
architectural exceptions, each proven by a self-checking test-guest mode
(tests/guests/README.md) booted with toolstack/bh-boot.
"""
import os
import re
import subprocess
import sys

import pytest

from conftest import BUILD, LOG_DIR, TOP

BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")
ARCH = "aarch64"


class Run:
    def __init__(self, proc, log):
        self.status = proc.returncode
        self.output = proc.stdout.replace("\r\n", "\n")
        self.log = log

    def lines(self, domid):
        return [l[len(f"(d{domid}) "):] for l in self.output.splitlines()
                if l.startswith(f"(d{domid}) ")]

    def assert_clean(self, domid, at_least):
        """Powered off cleanly, no hypervisor panic, and guest @domid passed everything."""
        assert self.status == 0, f"bh-boot exit {self.status}; log {self.log}"
        assert "bulkhead: PANIC" not in self.output
        out = self.lines(domid)
        fails = [l for l in out if l.startswith("FAIL")]
        assert not fails, fails
        done = [l for l in out if l.startswith("DONE")]
        assert done and re.match(r"DONE (\d+) passed, 0 failed$", done[0]), out
        assert int(re.match(r"DONE (\d+)", done[0]).group(1)) >= at_least, done
        return out


@pytest.fixture
def boot(request, tmp_path):
    """boot([(name, args, vcpus), ...], smp=, icount=, timeout=) -> Run."""

    def _run(specs, smp=None, icount=False, timeout=180):
        kernel = os.path.join(BUILD, ARCH, "guests", "testguest.bin")
        assert os.path.isfile(kernel), "run `make images` first"
        cfgs = []
        for name, args, vcpus in specs:
            path = tmp_path / f"{name}.cfg"
            path.write_text(f'name = "{name}"\nkernel = "{kernel}"\nmemory = 16\nstubdom = 0\n'
                            f'vcpus = {vcpus}\nextra = "{args}"\n')
            cfgs.append(str(path))
        log = os.path.join(LOG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")
        os.makedirs(LOG_DIR, exist_ok=True)
        argv = [sys.executable, BH_BOOT, "--arch", ARCH, "--timeout", str(timeout), "--log", log]
        if smp:
            argv += ["--smp", str(smp)]
        if icount:
            argv.append("--icount")
        proc = subprocess.run(argv + cfgs, capture_output=True, text=True, timeout=timeout + 60)
        return Run(proc, log)

    return _run


def test_smp_ipis_every_pair_broadcast_and_1khz_timers(boot):
    # -icount: guest time follows instructions, so one second at 1 kHz is checked exactly
    # even on a loaded machine (real-time TCG on shared cores stalls vCPU threads).
    r = boot([("irq", "test=irq-smp", 4)], icount=True)
    out = r.assert_clean(1, 24)
    for check in ("irq-ipi-every-pair", "irq-all-finished", "irq-spi-routed-to-each-vcpu"):
        assert f"PASS {check}" in out, check
    for v in range(4):
        for check in (f"irq-ipi-to-vcpu{v}", f"irq-ipi-broadcast-to-vcpu{v}",
                      f"irq-timer-1khz-vcpu{v}-count", f"irq-timer-1khz-vcpu{v}-drift",
                      f"irq-timer-1khz-vcpu{v}-no-spurious"):
            assert f"PASS {check}" in out, check


def test_gic_misuse_gets_raz_wi_and_aborts_neighbour_unaffected(boot):
    r = boot([("misuse", "test=gic-misuse", 1), ("neighbour", "test=spin n=300000", 1)])
    out = r.assert_clean(1, 20)
    for check in ("gicd-reserved-raz-wi", "gicd-bad-width-raz-wi", "gicd-ro-writes-ignored",
                  "gicr0-typer", "gicr-past-last-aborts", "gicd-ldp-aborts",
                  "gic-still-works-self-ipi", "gic-lr-overflow-all-delivered",
                  "gic-lr-overflow-priority-order", "wfi-priority-masked-sleeps",
                  "wfi-priority-unmasked-taken"):
        assert f"PASS {check}" in out, check
    assert "PASS spin" in r.lines(2)
    assert "bulkhead: d2 (neighbour) shut down: poweroff" in r.output


def test_guest_takes_undef_and_external_aborts_and_goes_on(boot):
    r = boot([("exc", "test=exceptions", 1)])
    out = r.assert_clean(1, 25)
    for check in ("exc-undef-actlr-el1", "exc-undef-smc", "exc-undef-hvc-1",
                  "exc-abort-load-unbacked", "exc-abort-store-unbacked",
                  "exc-abort-fetch-unbacked", "exc-all-taken-and-survived", "id-no-pmu",
                  "id-no-el2-el3", "psci-version-1.1", "smccc-version-1.1",
                  "psci-cpu-suspend-until-timer", "ptimer-ppi30"):
        assert f"PASS {check}" in out, check
    assert re.search(r"^bulkhead: d1 \(exc\): instruction fetch at IPA 0x[0-9a-f]+ .*external "
                     r"abort injected$", r.output, re.M)


def test_wfi_idle_guest_leaves_its_cpu_to_a_busy_neighbour(boot):
    # One host CPU: both guests' vCPUs share it.
    r = boot([("idle", "test=idle ms=2000", 1), ("busy", "test=busy ms=2000", 1)], smp=1)
    assert len(set(re.findall(r"^bulkhead: d\d vCPU0 on CPU(\d+)$", r.output, re.M))) == 1
    idle = r.assert_clean(1, 2)
    busy = r.assert_clean(2, 1)
    assert "PASS idle-mostly-blocked" in idle and "PASS busy-had-its-cpu" in busy
    m = re.search(r"INFO busy: .* running (\d+)%", "\n".join(busy))
    assert m and int(m.group(1)) >= 90, busy


def test_concurrent_cpu_on_exactly_one_success(boot):
    # vCPUs 0-2 start vCPU 3 at the same moment, 20 rounds: one SUCCESS, two ALREADY_ON.
    r = boot([("race", "test=cpuon-race", 4)])
    out = r.assert_clean(1, 2)
    assert "PASS cpuon-race-one-success-rest-already-on" in out
    assert "PASS cpuon-race-target-ran-once-per-round" in out


def test_two_smp_guests_share_cpus_without_interference(boot):
    # Two 4-vCPU guests, so every CPU runs one vCPU of each: interrupts stay in their
    # domain, and a vCPU's timer fires through the hypervisor while the other one runs.
    r = boot([("left", "test=irq-smp", 4), ("right", "test=irq-smp", 4)], icount=True)
    for d in (1, 2):
        out = r.assert_clean(d, 24)
        assert "PASS irq-ipi-every-pair" in out and "PASS irq-spi-routed-to-each-vcpu" in out
        for v in range(4):
            assert f"PASS irq-timer-1khz-vcpu{v}-count" in out


def test_exception_the_guest_cannot_take_crashes_it_with_the_reason(boot):
    r = boot([("novbar", "test=exc-fatal how=novbar", 1),
              ("badvbar", "test=exc-fatal how=badvbar", 1),
              ("neighbour", "test=spin n=300000", 1)])
    assert r.status == 4, f"bh-boot exit {r.status} (a guest crashed: 4); log {r.log}"
    assert "bulkhead: PANIC" not in r.output
    assert re.search(r"^bulkhead: d1 \(novbar\) crashed: data abort at IPA 0x[0-9a-f]+ .*no "
                     r"exception vectors \(VBAR_EL1 unset\)$", r.output, re.M), r.output
    assert re.search(r"^bulkhead: d2 \(badvbar\) crashed: instruction fetch at IPA 0x[0-9a-f]+ "
                     r".*faulted in its own exception vectors$", r.output, re.M), r.output
    assert "FAIL exc-fatal: survived" not in r.output
    assert "PASS spin" in r.lines(3)
    assert "bulkhead: d3 (neighbour) shut down: poweroff" in r.output

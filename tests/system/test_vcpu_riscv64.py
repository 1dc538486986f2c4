# SPDX-License-Identifier: MIT
"""riscv64 vCPU platform (issue 13): SBI 2.0 for guests, virtual timer and IPIs, the
virtual PLIC, exceptions delivered to the guest, WFI that gives the CPU away.

The test guest's modes are described in tests/guests/README.md.
"""
import re

import pytest

from test_domains import assert_powered_off, guests  # noqa: F401 (fixture)

ARCH = "riscv64"


def passed_all(out, at_least=1):
    fails = [l for l in out if l.startswith("FAIL")]
    assert not fails, fails
    done = [l for l in out if l.startswith("DONE")]
    assert done and re.match(r"DONE (\d+) passed, 0 failed$", done[0]), out
    assert int(re.match(r"DONE (\d+)", done[0]).group(1)) >= at_least, done


def test_ipis_and_timers_on_four_vcpus(guests):
    r = guests(ARCH, [("irq", "test=rv-irq-smp", {"vcpus": 4})], timeout=180)
    assert_powered_off(r)
    out = r.lines(1)
    passed_all(out, at_least=18)
    for v in range(4):
        for check in (f"irq-ipi-v{v}-heard-all", f"irq-timer-v{v}-count",
                      f"irq-timer-v{v}-never-early", f"irq-timer-v{v}-drift"):
            assert f"PASS {check}" in out, check
    # Both timer paths ran: SBI TIME on even vCPUs, Sstc on odd ones.
    assert any("(sstc)" in l for l in out) and any("(sbi)" in l for l in out), out


def test_plic_misuse_leaves_hypervisor_and_neighbours_alone(guests):
    r = guests(ARCH, [("plic-a", "test=plic mark=5"), ("plic-b", "test=plic mark=3"),
                      ("bystander", "test=spin n=300000")])
    assert_powered_off(r)
    for name in ("plic-a", "plic-b"):
        out = r.lines(r.domid(name))
        passed_all(out, at_least=17)
        assert "PASS plic-private" in out
        assert "PASS plic-compressed-c.swsp-c.lwsp" in out
    assert "PASS spin" in r.lines(r.domid("bystander"))


def test_guest_takes_its_own_exceptions(guests):
    r = guests(ARCH, [("exc", "test=exc-own"), ("loop", "test=exc-loop"),
                      ("ok", "test=spin n=100000")])
    assert_powered_off(r, guest_crashed=True)
    out = r.lines(1)
    passed_all(out, at_least=6)
    for check in ("exc-illegal-32bit", "exc-illegal-compressed", "exc-load-unbacked",
                  "exc-store-unbacked", "exc-fetch-unbacked", "exc-went-on"):
        assert f"PASS {check}" in out, check
    assert "bulkhead: d1 (exc) shut down: poweroff" in r.output
    # A guest whose handler itself faults cannot take the exception: it is ended.
    assert re.search(r"bulkhead: d2 \(loop\) crashed: .*cannot take the exception", r.output)
    assert "FAIL exc-loop: survived" not in r.output
    assert "PASS spin" in r.lines(3)


def test_idle_guest_leaves_its_cpu_to_a_busy_one(guests):
    r = guests(ARCH, [("idle", "test=rv-idle ms=2000"), ("busy", "test=spin n=3000000")],
               smp=1)
    assert_powered_off(r)
    assert r.cpus("idle") == r.cpus("busy"), "both on the one CPU"
    out = r.lines(r.domid("idle"))
    passed_all(out, at_least=3)
    assert "PASS spin" in r.lines(r.domid("busy"))


def test_sbi_extensions(guests):
    r = guests(ARCH, [("sbi", "test=sbi", {"vcpus": 2})])
    assert_powered_off(r)
    out = r.lines(1)
    passed_all(out, at_least=20)
    # DBCN output reaches the domain's console.
    assert "DBCN console_write works" in out, out

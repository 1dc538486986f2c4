# SPDX-License-Identifier: MIT
"""ioreq and stub domains (hypervisor/ioreq, docs/ioreq.md; issue 14 items 3, 4, 8).

Each guest is followed by its stub domain (`role = "stub"`, `stub_of = "<guest>"`), as
bh-boot orders them: the guest gets id N, its stub N + 1. The test guest's stub-echo mode
is a tiny device model; mmio-client drives it at every width and counts round trips.
Lines are matched anywhere in the console, not per domain label, since a stub's console
may carry its target's label.
"""
import re

import pytest

from conftest import ARCHES
from test_domains import guests  # noqa: F401 (a fixture)

CLIENT_CHECKS = ("ioreq-read-id", "ioreq-width-8", "ioreq-width-16", "ioreq-width-32",
                 "ioreq-width-64", "ioreq-narrow-read", "ioreq-sign-8", "ioreq-sign-16",
                 "ioreq-sign-32", "ioreq-zero-extend", "ioreq-no-register", "ioreq-counter",
                 "ioreq-interrupt", "ioreq-interrupt-level", "ioreq-round-trips")


def passed(out, name):
    return re.search(rf"^\(d\d+\) PASS {re.escape(name)}$", out, re.M) is not None


def no_fails(out):
    fails = re.findall(r"^\(d\d+\) FAIL .*$", out, re.M)
    assert not fails, fails
    assert "bulkhead: PANIC" not in out


@pytest.mark.parametrize("arch", ARCHES)
def test_mmio_through_stub(guests, arch):
    r = guests(arch, [("guest", "test=mmio-client n=200", {}),
                    ("stub", "test=stub-echo target=1", {"stub_of": "guest", "memory": 8})],
             timeout=90)
    out = r.output
    no_fails(out)
    assert "bulkhead: d2 (stub) is the stub domain of d1 (guest)" in out
    assert "bulkhead: d1 (guest): vCPUs held until its stub domain enables" in out
    for name in CLIENT_CHECKS:
        assert passed(out, name), name
    assert re.search(r"^\(d1\) DONE \d+ passed, 0 failed$", out, re.M), out
    assert "bulkhead: d2 (stub) destroyed: its target d1 ended" in out
    assert "bulkhead: all domains have ended, powering off" in out
    assert r.status == 0, r.log


@pytest.mark.parametrize("arch", ARCHES)
def test_unclaimed_still_faults(guests, arch):
    r = guests(arch, [("guest", "test=mmio-client n=10 irq=off unclaimed=1", {}),
                    ("stub", "test=stub-echo target=1", {"stub_of": "guest", "memory": 8})],
             timeout=90)
    out = r.output
    no_fails(out)
    base = 0x0a000000 if arch == "aarch64" else 0x10001000
    assert f"ABOUT TO READ 0x{base + 0x10000:x}" in out
    if arch == "aarch64":
        assert re.search(rf"data access at IPA 0x{base + 0x10000:x} .*external abort injected",
                         out), out
    else:
        assert re.search(rf"EXCEPTION scause=0x5 sepc=0x[0-9a-f]+ stval=0x{base + 0x10000:x} ",
                         out), out
    assert "bulkhead: d1 (guest) crashed: the guest reported a crash" in out
    assert "bulkhead: d2 (stub) destroyed: its target d1 ended" in out


@pytest.mark.parametrize("arch", ARCHES)
def test_hostile_stub_refused(guests, arch):
    # The guest spins long enough that its stub has printed its last line before the
    # guest's end ends the stub (enabling the server is what releases the guest).
    r = guests(arch, [("victim", "test=spin n=3000000", {}),
                    ("guest", "test=spin n=3000000", {}),
                    ("hostile", "test=stub-hostile target=2 victim=1",
                     {"stub_of": "guest", "memory": 8})],
             timeout=120)
    out = r.output
    no_fails(out)
    for name in ("hostile-dm-op-victim", "hostile-irq-victim", "hostile-dm-op-hypervisor",
                 "hostile-dm-op-self", "hostile-acquire-victim", "hostile-foreign-victim",
                 "hostile-foreign-not-ram", "hostile-foreign-past-ram",
                 "hostile-foreign-over-own-ram", "hostile-add-to-physmap-victim",
                 "hostile-evtchn-alloc-victim", "hostile-evtchn-bind-victim",
                 "hostile-grant-victim", "hostile-domctl", "hostile-dm-op-target",
                 "hostile-second-server", "hostile-bufioreq", "hostile-acquire-bufioreq-frame",
                 "hostile-foreign-target-ram", "hostile-enable-target"):
        assert passed(out, name), name
    # Each refusal is logged, naming the stub.
    assert re.search(r"^bulkhead: d3 \(hostile\): stub domain: dm_op on d1 refused \(-EPERM\)$",
                     out, re.M), out
    assert "PASS spin" in out


@pytest.mark.parametrize("arch", ARCHES)
def test_stub_crash_and_flood_leave_other_pair(guests, arch):
    """Pair A floods its stub with MMIO and its stub crashes after 1000 requests: guest A
    is crashed by policy (docs/ioreq.md); pair B, sharing the one CPU with the flood,
    keeps running and completes all its round trips after A's end."""
    r = guests(arch, [("a", "test=mmio-client n=100000000 irq=off", {}),
                    ("stub-a", "test=stub-echo target=1 crash-after=1000",
                     {"stub_of": "a", "memory": 8}),
                    ("b", "test=mmio-client n=20000", {}),
                    ("stub-b", "test=stub-echo target=3", {"stub_of": "b", "memory": 8})],
             timeout=150, smp=1)
    out = r.output
    no_fails(out)
    assert "bulkhead: d2 (stub-a) crashed: the guest reported a crash" in out
    assert "bulkhead: d1 (a) crashed: its stub domain d2 ended" in out
    for name in CLIENT_CHECKS:
        assert passed(out, name), name
    done = re.search(r"^\(d3\) DONE \d+ passed, 0 failed$", out, re.M)
    assert done, out
    crash = out.index("bulkhead: d1 (a) crashed: its stub domain d2 ended")
    assert out.index("(d3) BENCH mmio-start") < crash < done.start(), "B ran across A's end"
    assert "bulkhead: all domains have ended, powering off" in out

# SPDX-License-Identifier: MIT
"""The hypercall fuzzer guest (tests/guests/fuzz.c) against the real hypervisor, both arches.

One guest fuzzes (`test=fuzz seed= calls=`), a neighbour on another CPU prints a heartbeat
every 100 ms of guest time (`test=heartbeat`). Pass: the fuzzer finishes every call with
its own checks passing (unknown numbers and multicall answer -ENOSYS, results are errnos,
its image unchanged), the neighbour's heartbeat never stalls, the hypervisor neither
panics nor hangs (bh-boot's timeout), and the board powers off.

`make test` runs 20,000 calls per arch, plus a 3-vCPU run where every vCPU fuzzes the same
domain's shared state at once. With BULKHEAD_FUZZ_LONG=1 (`make fuzz`) the long runs
replace them: a million calls per arch over four seeds, and 3 vCPUs x 100,000 calls.

Timeouts: on an idle 2-core box 20,000 calls take under 1 s of guest time and the
whole boot about 6 s (aarch64) to 7 s (riscv64), bounded by the heartbeat's 4 s; the
timeouts below are 3x what a loaded box took when they were chosen.
"""
import os
import re

import pytest

from conftest import ARCHES
from test_domains import HYP_LOAD, assert_powered_off, guests  # noqa: F401 (fixture)

LONG = os.environ.get("BULKHEAD_FUZZ_LONG") == "1"
MAX_GAP_MS = 1000  # heartbeat every 100 ms; 10x that is a stall


def check_heartbeat(r, name):
    out = r.lines(r.domid(name))
    times = [int(m.group(1)) for l in out for m in [re.match(r"HEARTBEAT \d+ t=(\d+) ms$", l)]
             if m]
    assert times, f"no heartbeat; log {r.log}"
    gaps = [b - a for a, b in zip([0] + times, times)]
    assert max(gaps) <= MAX_GAP_MS, f"heartbeat stalled {max(gaps)} ms; log {r.log}"
    end = [l for l in out if l.startswith("HEARTBEAT END")]
    assert end, f"heartbeat did not finish; log {r.log}"
    return max(gaps)


def check_fuzzer(r, name, calls, vcpus):
    out = r.lines(r.domid(name))
    fails = [l for l in out if l.startswith("FAIL")]
    assert not fails, f"{fails}; log {r.log}"
    assert any(re.match(r"DONE \d+ passed, 0 failed$", l) for l in out), f"log {r.log}"
    for v in range(vcpus):
        assert any(re.match(rf"FUZZ v{v} done calls={calls} seed=\d+$", l) for l in out), \
            f"vCPU {v} did not finish {calls} calls; log {r.log}"
    summary = [l for l in out if re.match(r"FUZZ v\d+ rc ", l)]
    assert len(summary) == vcpus, f"log {r.log}"
    print("\n".join(summary))


def fuzz_run(guests, arch, seed, calls, vcpus, beat_ms, timeout, smp=None):
    args = f"test=fuzz seed={seed} calls={calls} vcpus={vcpus} hyp={HYP_LOAD[arch]:#x}"
    r = guests(arch, [("fuzz", args, {"vcpus": vcpus}),
                      ("beat", f"test=heartbeat ms={beat_ms}")], timeout=timeout, smp=smp)
    assert "bulkhead: PANIC" not in r.output, f"log {r.log}"
    assert_powered_off(r)
    check_fuzzer(r, "fuzz", calls, vcpus)
    gap = check_heartbeat(r, "beat")
    print(f"{arch} seed {seed}: {vcpus} x {calls} calls, worst heartbeat gap {gap} ms")
    # The neighbour's vCPU is on a CPU none of the fuzzer's vCPUs is on.
    assert not set(r.cpus("beat")) & set(r.cpus("fuzz")), f"log {r.log}"


@pytest.mark.skipif(LONG, reason="BULKHEAD_FUZZ_LONG=1 runs the long variant")
@pytest.mark.parametrize("arch", ARCHES)
def test_fuzz_20000_calls(guests, arch):
    fuzz_run(guests, arch, seed=1, calls=20000, vcpus=1, beat_ms=4000, timeout=60)


@pytest.mark.skipif(LONG, reason="BULKHEAD_FUZZ_LONG=1 runs the long variant")
@pytest.mark.parametrize("arch", ARCHES)
def test_fuzz_three_vcpus_at_once(guests, arch):
    fuzz_run(guests, arch, seed=7, calls=5000, vcpus=3, beat_ms=4000, timeout=60, smp=4)


@pytest.mark.skipif(not LONG, reason="the long run: BULKHEAD_FUZZ_LONG=1 (make fuzz)")
@pytest.mark.parametrize("seed", [11, 12, 13, 14])
@pytest.mark.parametrize("arch", ARCHES)
def test_fuzz_long(guests, arch, seed):
    fuzz_run(guests, arch, seed=seed, calls=250000, vcpus=1, beat_ms=30000, timeout=600)


@pytest.mark.skipif(not LONG, reason="the long run: BULKHEAD_FUZZ_LONG=1 (make fuzz)")
@pytest.mark.parametrize("arch", ARCHES)
def test_fuzz_long_three_vcpus(guests, arch):
    fuzz_run(guests, arch, seed=21, calls=100000, vcpus=3, beat_ms=30000, timeout=600, smp=4)

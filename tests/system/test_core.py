# SPDX-License-Identifier: MIT
"""The hypervisor core's shared per-domain state under load (issue 12), on both arches.

- flood: one guest prints 10,000 console lines as fast as it can. By default every line
  must arrive, in order, once; with `guest_console=drop` on the hypervisor command line
  the rate limit drops lines and its `[K lines dropped: console rate limit]` reports must
  account for every line that did not arrive.
- race: two vCPUs of one guest, on two CPUs, remap shared_info at changing guest frames
  (the domain's stage-2 tables) and write whole console lines (the domain's console
  buffer) at the same time. The hypervisor must not panic, every line must arrive whole,
  and the guest's own memory must be intact.

Wall times per test, measured on a shared 2-core box (load average 4-6) against a
hypervisor with a lossless console and the two locks: flood 1.5-3 s; race 2-15 s, up to
35 s under that load (the two vCPUs contend for one lock; when the host deschedules the
QEMU thread holding it, the other spins). Timeouts: 30 s and 120 s.
"""
import re

import pytest

from conftest import ARCHES
from test_domains import assert_powered_off, guests  # noqa: F401 (guests is a fixture)


FLOOD_LINES = 10000
FLOOD_TIMEOUT = 30
RACE_ITERS = 2000
RACE_TIMEOUT = 120
RACE_PATTERN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"

FLOOD_RE = re.compile(r"^FLOOD (\d+)$")
DROP_RE = re.compile(r"^\[(\d+) lines dropped: console rate limit\]$")
RACE_RE = re.compile(rf"^RACE v([01]) (\d+) {RACE_PATTERN}$")
# Every other line a flood or race guest may print.
COMMON_RE = re.compile(r"^(testguest: test=.*|INFO .*|PASS \S+|FAIL \S+: .*|"
                       r"DONE \d+ passed, \d+ failed)$")


def flood_numbers(out):
    return [int(m.group(1)) for m in map(FLOOD_RE.match, out) if m]


def dropped(out):
    return [int(m.group(1)) for m in map(DROP_RE.match, out) if m]


def malformed(out, *allowed):
    """Lines of one domain that match none of @allowed nor the common lines."""
    pats = allowed + (COMMON_RE, DROP_RE)
    return [l for l in out if not any(p.match(l) for p in pats)]


def assert_done_clean(r, name, out):
    fails = [l for l in out if l.startswith("FAIL")]
    assert not fails, f"{fails}; log {r.log}"
    assert any(re.match(r"DONE \d+ passed, 0 failed$", l) for l in out), f"no DONE; log {r.log}"
    assert f"bulkhead: d{r.domid(name)} ({name}) shut down: poweroff" in r.output, r.log


@pytest.mark.parametrize("arch", ARCHES)
def test_flood_every_line_arrives_in_order(guests, arch):  # noqa: F811
    r = guests(arch, [("flood", "test=flood")], timeout=FLOOD_TIMEOUT)
    assert_powered_off(r)
    out = r.lines(r.domid("flood"))
    assert not dropped(out), f"lines dropped: {dropped(out)}; log {r.log}"
    nums = flood_numbers(out)
    missing = sorted(set(range(1, FLOOD_LINES + 1)) - set(nums))
    assert not missing, f"{len(missing)} lines missing, first {missing[:5]}; log {r.log}"
    assert nums == list(range(1, FLOOD_LINES + 1)), f"out of order or repeated; log {r.log}"
    assert f"FLOOD END {FLOOD_LINES}" in out, r.log
    assert not malformed(out, FLOOD_RE, re.compile(r"^FLOOD END \d+$")), r.log
    assert_done_clean(r, "flood", out)


@pytest.mark.parametrize("arch", ARCHES)
def test_flood_with_guest_console_drop_reports_what_it_drops(guests, arch):  # noqa: F811
    # settle_ms: the guest sleeps after the flood so that the bucket refills and the
    # lines after it (FLOOD END, PASS, DONE) arrive; then only FLOOD lines were dropped.
    r = guests(arch, [("flood", "test=flood settle_ms=1500")], append="guest_console=drop",
               timeout=FLOOD_TIMEOUT)
    assert_powered_off(r)
    out = r.lines(r.domid("flood"))
    drops = dropped(out)
    assert drops, f"no drop report; log {r.log}"
    nums = flood_numbers(out)
    assert nums == sorted(set(nums)), f"out of order or repeated; log {r.log}"
    assert sum(drops) + len(nums) == FLOOD_LINES, (drops, len(nums), r.log)
    assert f"FLOOD END {FLOOD_LINES}" in out, r.log
    assert not malformed(out, FLOOD_RE, re.compile(r"^FLOOD END \d+$")), r.log
    assert_done_clean(r, "flood", out)


@pytest.mark.parametrize("arch", ARCHES)
def test_flood_beside_another_guest_keeps_both_whole(guests, arch):  # noqa: F811
    # Holds with or without the rate limit: whatever arrives of the flood is whole and in
    # order, and the other guest's lines all arrive whole (it prints 12 lines, well
    # inside the rate limit's burst).
    r = guests(arch, [("flood", "test=flood"), ("spin", "test=spin n=3000000")],
               timeout=FLOOD_TIMEOUT)
    assert_powered_off(r)
    assert set(r.cpus("flood")).isdisjoint(r.cpus("spin")), "placed on different CPUs"
    flood, spin = r.lines(r.domid("flood")), r.lines(r.domid("spin"))
    nums = flood_numbers(flood)
    assert nums == sorted(set(nums)), f"flood out of order or repeated; log {r.log}"
    # Without settle_ms a rate limit may also drop the flood's last lines: count them.
    trailer = [f"FLOOD END {FLOOD_LINES}", "PASS flood-writes", "DONE 1 passed, 0 failed"]
    seen = sum(t in flood for t in trailer)
    assert sum(dropped(flood)) + len(nums) + seen == FLOOD_LINES + len(trailer), r.log
    assert not malformed(flood, FLOOD_RE, re.compile(r"^FLOOD END \d+$")), r.log
    assert not [l for l in flood if l.startswith("FAIL")], r.log
    assert f"bulkhead: d{r.domid('flood')} (flood) shut down: poweroff" in r.output, r.log
    progress = [l for l in spin if l.startswith("spin ")]
    assert progress == [f"spin {i * 300000}/3000000" for i in range(1, 11)], r.log
    assert not malformed(spin, re.compile(r"^spin \d+/\d+$")), r.log
    assert_done_clean(r, "spin", spin)


def race_run(guests, arch, args):  # noqa: F811
    r = guests(arch, [("race", f"test=race {args}", {"vcpus": 2})], smp=2, timeout=RACE_TIMEOUT)
    assert "PANIC" not in r.output, f"hypervisor panic; log {r.log}"
    assert_powered_off(r)
    d = r.domid("race")
    placed = dict(re.findall(rf"^bulkhead: d{d} vCPU(\d+) on CPU(\d+)$", r.output, re.M))
    assert sorted(placed) == ["0", "1"] and placed["0"] != placed["1"], placed
    return r, r.lines(d)


def assert_race_passed(r, out):
    for check in ("race-start-vcpu1", "race-vcpu1-finished", "race-v0-physmap",
                  "race-v1-physmap", "race-v0-area-intact", "race-v1-area-intact"):
        assert f"PASS {check}" in out, f"{check}; log {r.log}"
    assert_done_clean(r, "race", out)


@pytest.mark.parametrize("arch", ARCHES)
def test_race_two_vcpus_stage2_and_console(guests, arch):  # noqa: F811
    r, out = race_run(guests, arch, f"iters={RACE_ITERS}")
    assert not dropped(out), f"lines dropped: {dropped(out)}; log {r.log}"
    bad = malformed(out, RACE_RE, re.compile(rf"^RACE END {RACE_ITERS}$"))
    assert not bad, f"{len(bad)} malformed lines, first {bad[:3]}; log {r.log}"
    # Whole-console check too: nothing else may start a line with this domain's RACE.
    d = r.domid("race")
    torn = [l for l in r.output.splitlines()
            if l.startswith(f"(d{d}) RACE") and not RACE_RE.match(l[len(f"(d{d}) "):])
            and l != f"(d{d}) RACE END {RACE_ITERS}"]
    assert not torn, torn[:3]
    for v in ("0", "1"):
        iters = [int(m.group(2)) for m in map(RACE_RE.match, out) if m and m.group(1) == v]
        assert sorted(iters) == list(range(RACE_ITERS)), f"vCPU{v}: {len(iters)} lines; {r.log}"
        assert iters == sorted(iters), f"vCPU{v} lines out of order; log {r.log}"
    for v in (0, 1):
        assert f"PASS race-v{v}-console" in out, r.log
    assert_race_passed(r, out)


@pytest.mark.parametrize("arch", ARCHES)
def test_race_two_vcpus_stage2_only(guests, arch):  # noqa: F811
    # The stage-2 half alone (no RACE lines), so a failure points at one of the two.
    r, out = race_run(guests, arch, f"iters={RACE_ITERS} lines=0")
    assert not [l for l in out if l.startswith("RACE v")], r.log
    assert_race_passed(r, out)

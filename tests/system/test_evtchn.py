# SPDX-License-Identifier: MIT
"""Event channels and grant tables from inside guests, on both arches (hypervisor/evtchn, issue 14 item 1).

The test guest maps shared_info over a page of its own and reads the 2-level ABI's bits:
a loopback channel, masking and unmasking, VIRQ_TIMER from the singleshot timer, Xen's
error codes; and two guests connecting an interdomain channel and signalling it.
"""
import pytest

from conftest import ARCHES
from test_domains import assert_powered_off, guests  # noqa: F401 (guests is a fixture)


def checks(out):
    fails = [l for l in out if l.startswith("FAIL")]
    done = [l for l in out if l.startswith("DONE")]
    return fails, done


@pytest.mark.parametrize("arch", ARCHES)
def test_evtchn_inside_one_guest(guests, arch):
    r = guests(arch, [("ev", "test=evtchn")], timeout=60)
    assert_powered_off(r)
    out = r.lines(1)
    fails, done = checks(out)
    assert not fails, fails
    assert done and done[0].endswith(" 0 failed"), out
    for name in ("evtchn-send-sets-pending", "evtchn-upcall-flags", "evtchn-masked-no-upcall",
                 "evtchn-unmask-delivers", "evtchn-virq-timer-fires", "evtchn-bind-no-domain"):
        assert f"PASS {name}" in out, name
    if arch == "aarch64":
        assert "PASS evtchn-upcall-ppi31" in out


@pytest.mark.parametrize("arch", ARCHES)
def test_evtchn_between_two_guests(guests, arch):
    r = guests(arch, [("offer", "test=evtchn-peer role=offer peer=2"),
                      ("bind", "test=evtchn-peer role=bind peer=1")], timeout=60)
    assert_powered_off(r)
    a, b = r.lines(1), r.lines(2)
    for out in (a, b):
        fails, done = checks(out)
        assert not fails, fails
        assert done and done[0].endswith(" 0 failed"), out
    assert "PASS evtchn-peer-signalled" in a and "PASS evtchn-peer-connected" in a
    assert "PASS evtchn-peer-send" in b and "PASS evtchn-peer-answered" in b


@pytest.mark.parametrize("arch", ARCHES)
def test_grant_between_two_guests(guests, arch):
    r = guests(arch, [("granter", "test=gnttab-peer role=grant peer=2"),
                      ("mapper", "test=gnttab-peer role=map peer=1")], timeout=60)
    assert_powered_off(r)
    a, b = r.lines(1), r.lines(2)
    for out in (a, b):
        fails, done = checks(out)
        assert not fails, fails
        assert done and done[0].endswith(" 0 failed"), out
    assert "PASS gnttab-answer-arrived" in a and "PASS gnttab-released" in a
    for name in ("gnttab-map", "gnttab-read-granted-page", "gnttab-map-ungranted-ref",
                 "gnttab-unmap", "gnttab-unmap-twice"):
        assert f"PASS {name}" in b, name


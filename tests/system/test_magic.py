# SPDX-License-Identifier: MIT
"""Magic pages (hypervisor/magic; docs/xenstored.md "Domains' rings") on both arches.

Two test guests booted by bh-boot (tests/guests/magic.c): d1 with `role = "control"`
plays xenstored: it reads d2's params, maps d2's grant refs 1 and 0 (and is refused ref 2,
ref 8, its own table and a domain that does not exist), binds both ports, writes a marker
into d2's store page, sets XENSTORE_CONNECTED and notifies. d2 reads its own params (the
store port; STORE_PFN ~0 until connected, then the magic GFN), finds the marker in its own
page at that GFN, sees its console params once d1 bound the console port, may not read
d1's params, and answers in both pages and on the port.
"""
import re

import pytest

from conftest import ARCHES
from test_control import boot, guest

SERVE = ("peer-store-evtchn", "store-port", "peer-console-evtchn", "console-port",
         "peer-store-pfn", "peer-console-pfn", "map-store", "map-console", "map-ref2-refused",
         "map-ref8-refused", "map-own-ref1-refused", "map-no-domain", "ring-not-connected",
         "bind-console", "bind-store", "notify", "answer-event", "answer-in-store-page",
         "answer-in-console-page")
CLIENT = ("store-port", "store-pfn", "connected", "marker-in-own-page", "console-port",
          "console-pfn", "control-params-refused", "answer")


@pytest.mark.parametrize("arch", ARCHES)
def test_magic_pages_between_control_and_guest(request, tmp_path, arch):
    cfgs = {"ctl": guest(arch, "ctl", "control", "test=magic side=serve peer=2"),
            "g": guest(arch, "g", "guest", "test=magic side=client peer=1")}
    status, out, log = boot(request, tmp_path, arch, cfgs, timeout=90)
    fails = re.findall(r"^\(d\d+\) FAIL .*$", out, re.M)
    assert not fails, f"{fails}; log {log}"
    for name in SERVE:
        assert re.search(rf"^\(d1\) PASS magic-serve-{name}$", out, re.M), \
            f"no PASS magic-serve-{name}; log {log}"
    for name in CLIENT:
        assert re.search(rf"^\(d2\) PASS magic-client-{name}$", out, re.M), \
            f"no PASS magic-client-{name}; log {log}"
    gfn = 0x1f001 if arch == "riscv64" else 0x39001
    assert re.search(rf"^\(d1\) INFO magic: d2 store port \d+ gfn {gfn:#x}, console port \d+ "
                     rf"gfn {gfn - 1:#x}$", out, re.M), f"log {log}"
    m = re.search(r"^\(d2\) INFO magic: store port \d+, STORE_PFN (~0|already set) then", out,
                  re.M)
    assert m, f"log {log}"
    print(f"{arch}: STORE_PFN at the guest's first read: {m.group(1)}")
    for d in (1, 2):
        assert re.search(rf"^\(d{d}\) DONE \d+ passed, 0 failed$", out, re.M), f"log {log}"
    assert status == 0, f"bh-boot exit {status}; log {log}"

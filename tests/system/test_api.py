# SPDX-License-Identifier: MIT
"""The management API end to end (docs/api.md), both arches: dom0-lite's server with its
real back end (control.c, the hypercalls) under QEMU, fed JSON lines typed at the bh>
prompt (a line starting with '{' is a request, answered on the console): create, list
(the shell's domains), pause, resume, vcpu-list, sched-credit, host-info, destroy, the
events (started, paused, resumed, crashed, destroyed), malformed requests answered with
JSON errors while dom0-lite stays up. (Over the management channel's socket with
`bh --connect`: when the channel, dom0-lite/mgmt.c, is in.)"""
import json
import re

import pytest

from conftest import ARCHES
from test_dom0 import _doms, _kernel, dom0, run, wait_for  # noqa: F401 (dom0: a fixture)


def api(child, request, timeout=30):
    """Type a JSON request at bh>: its answer (parsed); the event lines printed with it
    go to child.events."""
    out = run(child, request, timeout=timeout)
    try:
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    except ValueError:
        raise AssertionError(f"not JSON lines: {out!r}")
    answers = [m for m in lines if "id" in m]
    assert len(answers) == 1, out
    child.events = getattr(child, "events", []) + [m for m in lines if "event" in m]
    return answers[0]


def event(child, **ev):
    """Event @ev came (with an answer, or on its own: VIRQ_DOM_EXC)."""
    if ev in getattr(child, "events", []):
        child.events.remove(ev)
    else:
        wait_for(child, json.dumps(ev, separators=(",", ":")))


@pytest.mark.parametrize("arch", ARCHES)
def test_api_on_the_console(dom0, arch):
    """dom0-lite's API server with its real back end (control.c), fed from the bh> prompt
    (a line starting with '{'): every verb, events, malformed requests; the shell after."""
    k = _kernel(arch)
    child = dom0(arch, {
        "e1": f'name = "e1"\nkernel = "{k}"\nmemory = 16\nstubdom = 0\n'
              'extra = "test=console-echo ms=600000"\n',
        "dies": f'name = "dies"\nkernel = "{k}"\nmemory = 16\nstubdom = 0\n'
                'extra = "test=shutdown reason=crash"\non_crash = "preserve"\n',
    })
    assert api(child, '{"id":1,"method":"version"}') == {
        "id": 1, "result": {"version": "Bulkhead (Xen 4.17 ABI)", "api": 1, "line_max": 65536}}
    assert api(child, '{"id":2,"method":"subscribe"}')["result"]["subscribed"] is True
    r = api(child, '{"id":3,"method":"create","params":{"config":"e1"}}')
    e1 = r["result"]["domid"]
    assert r["result"]["name"] == "e1" and r["result"]["memory_kib"] >= 16384, r
    event(child, event="domain-started", domid=e1, name="e1")
    r = api(child, '{"id":4,"method":"create","params":{"config":"e1"}}')
    assert r["error"] == {"code": "already-exists", "message": f"a domain named 'e1' already "
                          f"exists (d{e1})", "errno": -17}, r
    r = api(child, '{"id":5,"method":"list"}')
    names = {d["name"]: d for d in r["result"]["domains"]}
    assert set(names) == {"dom0-lite", "e1"} and names["dom0-lite"]["domid"] == 1, names
    shell = run(child, "list")  # the same domains, ids and sizes as the shell's list
    for d in names.values():
        assert re.search(rf"^{d['name']} +{d['domid']} +{d['memory_kib'] // 1024} "
                         rf"+{d['vcpus']} ", shell, re.M), (d, shell)
    assert api(child, f'{{"id":6,"method":"pause","params":{{"dom":{e1}}}}}') == {
        "id": 6, "result": {}}
    event(child, event="domain-paused", domid=e1, name="e1")
    r = api(child, '{"id":7,"method":"info","params":{"dom":"e1"}}')
    assert r["result"]["state"][2] == "p", r
    assert api(child, '{"id":8,"method":"resume","params":{"dom":"e1"}}')["result"] == {}
    event(child, event="domain-resumed", domid=e1, name="e1")
    r = api(child, '{"id":9,"method":"vcpu-list","params":{"dom":"e1"}}')
    assert [v["vcpu"] for v in r["result"]["vcpus"]] == [0], r
    r = api(child, '{"id":10,"method":"sched-credit","params":{"dom":"e1","weight":512}}')
    assert r["result"]["weight"] == 512, r
    r = api(child, '{"id":11,"method":"host-info"}')
    assert r["result"]["nr_cpus"] >= 1 and r["result"]["free_memory_mib"] > 0, r
    # a guest that crashes: crashed (preserved), then destroyed
    r = api(child, '{"id":12,"method":"create","params":{"config":"dies"}}')
    dies = r["result"]["domid"]
    event(child, event="domain-started", domid=dies, name="dies")
    event(child, event="domain-crashed", domid=dies, name="dies", reason="crash")
    r = api(child, '{"id":13,"method":"info","params":{"dom":"dies"}}')
    assert r["result"]["state"] == "----c-" and r["result"]["shutdown_reason"] == "crash", r
    assert api(child, f'{{"id":14,"method":"destroy","params":{{"dom":{dies}}}}}')["result"] == {}
    event(child, event="domain-destroyed", domid=dies, name="dies")
    # malformed requests: a JSON error each, dom0-lite answers on
    for line, code in [("{nope", "parse-error"), ('{"id":1}', "invalid-request"),
                       ('{"id":15,"method":"frob"}', "unknown-method"),
                       ('{"id":16,"method":"destroy","params":{"dom":[1]}}', "invalid-params"),
                       ('{"id":17,"method":"destroy","params":{"dom":"zz"}}', "unknown-domain"),
                       ('{"id":18,"method":"console","params":{"dom":"e1"}}', "not-supported"),
                       ('{"id":19,"method":"list"} {}', "parse-error")]:
        assert api(child, line)["error"]["code"] == code, line
    assert api(child, '{"id":20,"method":"destroy","params":{"dom":"e1"}}')["result"] == {}
    event(child, event="domain-destroyed", domid=e1, name="e1")
    out = run(child, "list")
    assert set(_doms(out)) == {"dom0-lite"}, out
    assert child.events == [] and '"event"' not in out, (child.events, out)  # no others

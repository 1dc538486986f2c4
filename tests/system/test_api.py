# SPDX-License-Identifier: MIT
"""The management API end to end (docs/api.md), both arches: dom0-lite's server with its
real back end (control.c, the hypercalls) under QEMU, fed JSON lines typed at the bh>
prompt (a line starting with '{' is a request, answered on the console): create, list
(the shell's domains), pause, resume, vcpu-list, sched-credit, host-info, destroy, the
events (started, paused, resumed, crashed, destroyed), malformed requests answered with
JSON errors while dom0-lite stays up. And over the management channel (a QEMU
pci-serial passed through to dom0-lite, its host end a Unix socket: bh-boot
--mgmt-socket): `bh --connect unix:PATH` creates, lists, pauses, unpauses and destroys a
test guest with the shell's output and exit codes; a JSON client subscribes and gets the
events; malformed, binary and oversized requests get JSON errors while dom0-lite stays
up."""
import json
import os
import re
import subprocess
import threading
import time

import pytest

from conftest import ARCHES, BUILD, TOP
from test_mgmt_channel import _connect, _spawn
from test_dom0 import OTHERS, PROMPT, _cfg, _doms, _kernel, dom0, run, wait_for  # noqa: F401 (dom0: a fixture)


EVENT = re.compile(r'\{"event":[^\n]*\}\n')


def typed(child, line, timeout=30):
    """Type @line at bh>: what it printed before the next prompt, without the event lines
    (whole lines, which may land inside the echo, or come before it when they were
    printed after the last prompt), which go to child.events."""
    child.send(line + "\r")
    child.expect_exact(PROMPT, timeout=timeout)
    out = OTHERS.sub("", child.before.replace("\r", ""))
    events = [json.loads(e) for e in EVENT.findall(out)]
    out = EVENT.sub("", out).lstrip("\n")
    assert out.startswith(line), f"no echo of {line!r}: {out!r}"
    child.events = getattr(child, "events", [])
    for e in events:
        if e in getattr(child, "taken", []):  # event() saw it on the console already
            child.taken.remove(e)
        else:
            child.events.append(e)
    return out[len(line):].strip("\n")


def api(child, request, timeout=30):
    """Type a JSON request at bh>: its answer, parsed."""
    out = typed(child, request, timeout)
    try:
        lines = [json.loads(line) for line in out.splitlines() if line]
    except ValueError:
        raise AssertionError(f"not JSON lines: {out!r}")
    assert len(lines) == 1 and "id" in lines[0], out
    return lines[0]


def event(child, **ev):
    """Event @ev came (with an answer, or on its own: VIRQ_DOM_EXC)."""
    if ev in getattr(child, "events", []):
        child.events.remove(ev)
    else:
        wait_for(child, json.dumps(ev, separators=(",", ":")))
        child.taken = getattr(child, "taken", []) + [ev]


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
    shell = typed(child, "list")  # the same domains, ids and sizes as the shell's list
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
                       ('{"id":18,"method":"console","params":{"dom":"e1"}}', "no-console"),
                       ('{"id":19,"method":"list"} {}', "parse-error")]:
        assert api(child, line)["error"]["code"] == code, line
    # shutdown: the guest powers off, its on_poweroff (destroy) applies
    assert api(child, '{"id":20,"method":"shutdown","params":{"dom":"e1"}}')["result"] == {}
    event(child, event="domain-shutdown", domid=e1, name="e1", reason="poweroff")
    event(child, event="domain-destroyed", domid=e1, name="e1")
    out = typed(child, "list")
    assert set(_doms(out)) == {"dom0-lite"}, out
    assert child.events == [] and '"event"' not in out, (child.events, out)  # no others
    seen = child.seen.getvalue()
    assert seen.count('{"event":') == 8, seen  # 2 started, paused, resumed, crashed,
    # shutdown, 2 destroyed


BH = os.path.join(BUILD, "host", "bh")


@pytest.fixture(scope="module")
def built_bh():
    r = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={BUILD}", "bh"],
                       cwd=TOP, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def bh(sock, *args, timeout=60):
    r = subprocess.run([BH, "--connect", f"unix:{sock}", *args], capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


class Client:
    """A JSON client on the channel (one at a time: QEMU's socket serves one)."""

    def __init__(self, path):
        self.s = _connect(path)
        self.f = self.s.makefile("rb")
        self.events = []
        self.send(b"\n")

    def send(self, raw):
        self.s.sendall(raw)

    def line(self):
        line = self.f.readline()
        assert line.endswith(b"\n"), line
        return json.loads(line)

    def answer(self, id):
        while True:
            msg = self.line()
            if "event" in msg:
                self.events.append(msg)
            else:
                assert msg.get("id") == id, msg
                return msg

    def call(self, id, method, **params):
        self.send(json.dumps({"id": id, "method": method, "params": params}).encode() + b"\n")
        return self.answer(id)

    def event(self, name, timeout=60):
        end = time.time() + timeout
        while not any(e["event"] == name for e in self.events):
            assert time.time() < end, f"no {name} event: {self.events}"
            self.events.append(self.line())
        e = next(e for e in self.events if e["event"] == name)
        self.events.remove(e)
        return e

    def close(self):
        self.f.close()
        self.s.close()




@pytest.mark.parametrize("arch", ARCHES)
def test_bh_connect_over_the_channel(request, built_bh, tmp_path, arch):
    k = _kernel(arch)
    cfgs = {
        "e1": f'name = "e1"\nkernel = "{k}"\nmemory = 16\nstubdom = 0\n'
              'extra = "test=console-echo ms=600000"\n',
        "dies": f'name = "dies"\nkernel = "{k}"\nmemory = 16\nstubdom = 0\n'
                'extra = "test=shutdown reason=crash"\non_crash = "preserve"\n',
    }
    bundle = []
    for name, text in cfgs.items():
        bundle += ["--bundle", _cfg(tmp_path, name, text)]
    child, sock = _spawn(request, str(tmp_path), arch, extra=bundle)
    wait_for(child, "dom0-lite: management channel ready")
    _connect(sock).close()  # QEMU has the socket up
    # bh --connect: the shell's commands and formats, exit codes
    times = []
    for _ in range(5):
        start = time.monotonic()
        rc, out, err = bh(sock, "list")
        times.append(time.monotonic() - start)
        assert rc == 0 and err == "" and re.search(r"^dom0-lite +1 ", out, re.M), (out, err)
    start = time.monotonic()
    rc, out, err = bh(sock, "create", "e1")
    print(f"\n{arch}: bh --connect list {sorted(times)[2] * 1000:.0f} ms (median of 5), "
          f"create e1 {(time.monotonic() - start) * 1000:.0f} ms")
    assert (rc, err) == (0, "") and re.fullmatch(r"create: e1 is d(\d+)\n", out), (out, err)
    domid = int(re.fullmatch(r"create: e1 is d(\d+)\n", out).group(1))
    rc, out, err = bh(sock, "create", "e1")
    assert (rc, out) == (1, "") and err == f"create: a domain named 'e1' already exists (d{domid})\n"
    assert bh(sock, "pause", "e1") == (0, "", "")
    rc, out, _ = bh(sock, "list", "e1")
    assert rc == 0 and re.search(rf"^e1 +{domid} +16 +1 +..p--- ", out, re.M), out
    assert bh(sock, "unpause", str(domid)) == (0, "", "")
    rc, out, _ = bh(sock, "list", "e1")
    assert rc == 0 and re.search(rf"^e1 +{domid} +16 +1 +..-", out, re.M), out
    rc, out, _ = bh(sock, "info")
    assert rc == 0 and "xen_version            : Bulkhead" in out
    rc, out, err = bh(sock, "console", "e1")
    assert rc == 1 and f"d{domid} (e1) has no console that dom0-lite serves" in err, err
    assert bh(sock, "frob")[0] == 2
    # dmesg: the hypervisor's console history, boot banner first; -c only at the shell.
    rc, out, err = bh(sock, "dmesg")
    assert rc == 0 and out.lstrip("\n").startswith("Bulkhead hypervisor 0.1 on ") and "sched: " in out, err
    rc, out, err = bh(sock, "dmesg", "-c")
    assert rc == 1 and "-c (clear) is for the bh> shell" in err, (out, err)
    # top: two frames a second apart, then it ends by itself.
    rc, out, err = bh(sock, "top", "-d", "1", "-n", "2")
    assert rc == 0 and out.count("bh top - ") == 2, (out, err)
    assert re.search(rf"^ +e1 +{domid} ", out, re.M), out
    # a JSON client: events, malformed requests
    c = Client(sock)
    assert c.call(1, "subscribe")["result"]["subscribed"] is True
    assert c.call(2, "pause", dom="e1") == {"id": 2, "result": {}}
    assert c.event("domain-paused") == {"event": "domain-paused", "domid": domid, "name": "e1"}
    assert c.call(3, "resume", dom=domid) == {"id": 3, "result": {}}
    assert c.event("domain-resumed")["domid"] == domid
    r = c.call(4, "create", config="dies")
    dies = r["result"]["domid"]
    assert c.event("domain-started") == {"event": "domain-started", "domid": dies, "name": "dies"}
    assert c.event("domain-crashed") == {"event": "domain-crashed", "domid": dies,
                                         "name": "dies", "reason": "crash"}
    assert c.call(5, "info", dom="dies")["result"]["state"] == "----c-"
    bad = [b"not json\n", b"\x00\x01\x02\xff\xfe\n", b"[1]\n", b"{\"id\":6}\n",
           b"{\"id\":7,\"method\":\"nope\"}\n",
           b"{\"id\":8,\"method\":\"destroy\",\"params\":{\"dom\":[1]}}\n",
           b"{\"x\":[" + b"1," * 3000 + b"1]}\n",
           b"{" + b" " * 70000 + b"}\n"]
    codes = []
    for raw in bad:
        c.send(raw)
        msg = c.line()
        while "event" in msg:
            msg = c.line()
        codes.append(msg["error"]["code"])
    assert codes == ["parse-error", "parse-error", "invalid-request", "invalid-request",
                     "unknown-method", "invalid-params", "invalid-request", "line-too-long"]
    assert c.call(9, "destroy", dom="dies") == {"id": 9, "result": {}}
    assert c.event("domain-destroyed")["domid"] == dies
    # The subscription is the stream's (docs/api.md): end it, or the next client would
    # get events, and the tail of one QEMU dropped while nobody was connected.
    assert c.call(10, "unsubscribe")["result"]["subscribed"] is False
    c.close()
    # bh again, then the shell: dom0-lite is still up
    assert bh(sock, "destroy", "e1") == (0, "", "")
    assert bh(sock, "destroy", "e1") == (1, "", "destroy: unknown domain 'e1'\n")
    rc, out, _ = bh(sock, "list")
    assert rc == 0 and "e1" not in out
    out = run(child, "list")
    assert "dom0-lite" in out and "e1 " not in out, out


FLOOD = 400  # lines of the console flood (~20 KiB: more than the channel's 16 KiB ring)


def console_text(c, until, dom, timeout=60):
    """Console events of @dom from client @c (other lines kept in c.events) until @until
    is in their text: the text (bytes as latin-1)."""
    text = ""
    end = time.time() + timeout
    while until not in text:
        assert time.time() < end, f"no {until!r} in {text!r}"
        msg = c.line()
        if msg.get("event") == "console" and msg["domid"] == dom:
            assert "dropped" not in msg, msg
            text += msg["data"]
        else:
            c.events.append(msg)
    return text


@pytest.mark.parametrize("arch", ARCHES)
def test_console_over_the_channel(request, built_bh, tmp_path, arch):
    """#15 item 4's console verb: a guest with a stub (the test guest's UART echo mode)
    attached over the management channel: its history in the answer, its output as
    events, console-input reaching its UART, console-detached when it is gone; the errors;
    and `bh --connect ... console` from a pipe. The board console shows the same lines."""
    k = _kernel(arch)
    cfgs = {
        "ue": f'name = "ue"\nkernel = "{k}"\nmemory = 16\n'
              'extra = "test=uart how=echo ms=600000"\non_poweroff = "destroy"\n',
        "e1": f'name = "e1"\nkernel = "{k}"\nmemory = 16\nstubdom = 0\n'
              'extra = "test=console-echo ms=600000"\n',
        "flood": f'name = "flood"\nkernel = "{k}"\nmemory = 16\n'
                 f'extra = "test=uart how=poll lines={FLOOD}"\non_poweroff = "destroy"\n',
    }
    bundle = []
    for name, text in cfgs.items():
        bundle += ["--bundle", _cfg(tmp_path, name, text)]
    child, sock = _spawn(request, str(tmp_path), arch, extra=bundle)
    wait_for(child, "dom0-lite: management channel ready")
    _connect(sock).close()
    rc, out, err = bh(sock, "create", "ue")
    assert rc == 0, (out, err)
    ue = int(re.match(r"create: ue is d(\d+)", out).group(1))
    assert bh(sock, "create", "e1")[0] == 0
    c = Client(sock)
    # errors: unknown domain, no console (no stub; dom0-lite), bad data, not attached
    assert c.call(1, "console", dom="nobody")["error"]["code"] == "unknown-domain"
    assert c.call(2, "console", dom="e1")["error"]["code"] == "no-console"
    assert c.call(3, "console", dom=1)["error"]["code"] == "no-console"
    assert c.call(4, "console-detach")["error"]["code"] == "not-attached"
    assert c.call(5, "console-input", dom=ue, data="x" * 1025)["error"]["code"] == \
        "invalid-params"
    assert c.call(6, "console-input", dom=ue, data="\u0100")["error"]["code"] == "invalid-params"
    assert c.call(7, "console-input", dom=ue)["error"]["code"] == "invalid-params"
    # attach: the history (the guest may not have said it yet: then it comes as events)
    r = c.call(8, "console", dom="ue")["result"]
    assert (r["domid"], r["name"]) == (ue, "ue"), r
    text = r["history"]
    if "UART echo ready" not in text:
        text += console_text(c, "UART echo ready", ue)
    t = time.monotonic()
    assert c.call(9, "console-input", dom=ue, data="hello api\r") == \
        {"id": 9, "result": {"taken": 10}}
    text = console_text(c, "UART echo got: hello api\r\n", ue)
    print(f"\n{arch}: console-input to the guest's echo event: "
          f"{(time.monotonic() - t) * 1000:.0f} ms")
    wait_for(child, f"(d{ue}) UART echo got: hello api")  # the board console's line too
    # the guest powers off after its line, on_poweroff = destroy: the console goes
    end = time.time() + 60
    while not any(e.get("event") == "console-detached" for e in c.events):
        assert time.time() < end, c.events
        c.events.append(c.line())
    assert {"event": "console-detached", "domid": ue, "name": "ue",
            "reason": "domain-gone"} in c.events
    assert c.call(10, "console-detach")["error"]["code"] == "not-attached"
    c.close()
    # bh --connect console from a pipe: stdin to the guest, its output to stdout
    rc, out, err = bh(sock, "create", "ue", "name=ue2")
    ue2 = int(re.match(r"create: ue2 is d(\d+)", out).group(1))
    wait_for(child, f"(d{ue2}) UART echo ready")
    r = subprocess.run([BH, "--connect", f"unix:{sock}", "console", "ue2"], input=b"via bh\r",
                       capture_output=True, timeout=120)
    assert r.returncode == 0 and b"UART echo got: via bh\r\n" in r.stdout, r
    assert r.stdout.startswith(b"UART echo ready"), r.stdout
    rc, out, err = bh(sock, "console", "e1")
    assert rc == 1 and "has no console that dom0-lite serves" in err
    # Flow: a guest writes FLOOD lines (~52 bytes each) faster than the channel carries
    # them. The board console gets every line; the API client gets whole lines in order,
    # and what it lost is counted in "dropped"; dom0-lite answers on.
    import pexpect

    stop = threading.Event()

    def pump():  # read the board console meanwhile: a pty nobody reads stalls QEMU's UART
        while not stop.is_set():
            try:
                child.expect(pexpect.TIMEOUT, timeout=0.2)
            except pexpect.EOF:
                return

    pumping = threading.Thread(target=pump)
    pumping.start()
    c = Client(sock)
    r = c.call(11, "create", config="flood")
    fl = r["result"]["domid"]
    start = time.monotonic()
    text = c.call(12, "console", dom=fl)["result"]["history"]
    dropped = events = 0
    while True:
        msg = c.line()
        if msg.get("event") == "console-detached":
            break
        if msg.get("event") == "console":
            events += 1
            dropped += msg.get("dropped", 0)
            text += msg["data"]
    took = time.monotonic() - start
    assert c.call(13, "list")["result"]["domains"][0]["name"] == "dom0-lite"
    c.close()
    stop.set()
    pumping.join()
    wait_for(child, f"(d{fl}) UART poll {FLOOD} abc", timeout=120)
    board = [int(m) for m in re.findall(rf"^\(d{fl}\) UART poll (\d+) abcdefghijklmnopqrstuvwxyz"
                                        r"0123456789$", child.seen.getvalue().replace("\r", ""),
                                        re.M)]
    assert board == list(range(1, FLOOD + 1)), "the board console lost lines"
    got = [int(m) for m in re.findall(r"^UART poll (\d+) abcdefghijklmnopqrstuvwxyz0123456789\r?$",
                                      text, re.M)]
    assert got == sorted(set(got)) and got, got[:20]  # in order, no line twice
    line = len(f"UART poll {FLOOD} abcdefghijklmnopqrstuvwxyz0123456789\r\n")
    if len(got) < FLOOD:
        assert dropped >= (FLOOD - len(got) - 60) * (line - 4), (len(got), dropped)
    print(f"\n{arch}: console flood: {FLOOD} lines, {len(text)} bytes in {events} events "
          f"over the channel in {took:.1f} s ({len(text) / took / 1024:.1f} KiB/s), "
          f"{dropped} bytes dropped, {len(got)} lines whole")
    out = run(child, "list")
    assert "dom0-lite" in out and "ue2 " not in out and "flood" not in out, out

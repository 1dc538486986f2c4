# SPDX-License-Identifier: MIT
"""`bh --connect unix:PATH <command>` (toolstack/bh, docs/api.md) against the real API
server (dom0-lite/api.c) over a fake back end, behind a Unix socket
(tests/toolstack/api_fake_server.c): it prints exactly what the `bh>` shell prints for the
same commands on the same fake, with exit codes 0 / 1 / 2 / 3; the raw protocol (events,
malformed lines) as a client sees it; a server that hangs up, answers nonsense or never
answers."""
import json
import os
import socket
import subprocess
import threading

import pytest

from conftest import BUILD, TOP

BH = os.path.join(BUILD, "host", "bh")
SERVER = os.path.join(BUILD, "host", "api-fake-server")


@pytest.fixture(scope="module", autouse=True)
def built():
    r = subprocess.run(["make", "-s", "--no-print-directory", f"BUILD={BUILD}", "bh",
                        "api-fake-server"], cwd=TOP, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "mgmt.sock")
    p = subprocess.Popen([SERVER, "--socket", path, "--timeout", "120"],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().startswith("api-fake-server: listening")
    yield path
    p.kill()
    p.wait(timeout=10)


def bh(path, *args, timeout=30):
    r = subprocess.run([BH, "--connect", f"unix:{path}", *args], capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def shell(lines):
    """What the bh> shell prints for each line (the same fake back end, fresh)."""
    r = subprocess.run([SERVER, "--shell"], input="\n".join(lines) + "\n",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    parts = r.stdout.split("\x1e")
    texts = [parts[0]] + [p.partition("\n")[2] for p in parts[1:-1]]
    rcs = [int(p.partition("\n")[0]) for p in parts[1:]]
    assert len(texts) == len(rcs) == len(lines)
    return list(zip(texts, rcs))


SESSION = [
    "list",
    "create uart",
    "create echo name=e1 memory=32 vcpus=2",
    "create uart",
    "create nosuch",
    "create echo memory=2000 name=big",
    "list",
    "list e1",
    "vcpu-list",
    "vcpu-pin e1 1 1-2",
    "vcpu-pin e1 all 3",
    "vcpu-pin e1 5 0",
    "vcpu-pin e1 0 7-1",
    "vcpu-list e1",
    "sched-credit",
    "sched-credit -d e1 -w 512 -c 20",
    "sched-credit -d e1",
    "sched-credit -d e1 -w 0",
    "sched-credit -w 5",
    "info",
    "uptime",
    "pause e1",
    "list e1",
    "unpause 5",
    "pause dom0-lite",
    "shutdown e1",
    "reboot uart",
    "list",
    "destroy uart",
    "destroy uart",
    "destroy",
    "destroy 42",
    "list",
    "frob",
    "help",
    "help vcpu-pin",
    "help frob",
]


def test_same_output_as_the_shell(server):
    want = shell(SESSION)
    for line, (text, rc) in zip(SESSION, want):
        got_rc, out, err = bh(server, *line.split())
        # every command's output, byte for byte, on stdout (success) or stderr (error)
        assert (got_rc, out if got_rc == 0 else err) == (rc, text), line
        assert (err if got_rc == 0 else out) == "", line
    # a few that must have been errors (so the comparison covers them)
    rcs = [rc for _, rc in want]
    assert rcs.count(0) > 20 and rcs.count(1) >= 10 and rcs.count(2) == 1
    assert want[1][0] == "create: uart is d3 (stub d4)\n"
    assert want[3][0] == "create: a domain named 'uart' already exists (d3)\n"


def test_exit_codes_and_stderr(server, tmp_path):
    rc, out, err = bh(server, "list")
    assert rc == 0 and out.startswith("Name ") and "dom0-lite" in out and err == ""
    rc, out, err = bh(server, "destroy", "nobody")
    assert (rc, out, err) == (1, "", "destroy: unknown domain 'nobody'\n")
    rc, out, err = bh(server, "frob")
    assert (rc, out, err) == (2, "", "frob: unknown command; 'help' lists them\n")
    rc, out, err = bh(server, "crash-dom0")
    assert (rc, err) == (1, "crash-dom0: not supported by this back end\n")
    # an argument with a space reaches the back end whole (no re-splitting)
    assert bh(server, "create", "echo", "name=a b") == (0, "create: a b is d3\n", "")
    # no server, no --connect, bad options
    r = subprocess.run([BH, "--connect", f"unix:{tmp_path}/none", "list"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 3 and r.stdout == ""
    assert r.stderr.startswith(f"bh: cannot connect to unix:{tmp_path}/none: ")
    r = subprocess.run([BH, "list"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 3 and "give --connect unix:PATH" in r.stderr
    r = subprocess.run([BH, "--connect", "tcp:1.2.3.4:5", "list"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 3 and "only unix:PATH" in r.stderr
    r = subprocess.run([BH, "--frob"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "unknown or incomplete option '--frob'" in r.stderr
    r = subprocess.run([BH], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and r.stderr.startswith("Usage: bh --connect")
    r = subprocess.run([BH, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("Usage: bh --connect")
    # help needs no connection
    r = subprocess.run([BH, "help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and " vcpu-pin " in r.stdout


def test_console_from_a_pipe(server):
    """Not at a terminal: stdin goes to the guest, its output (history first) to stdout,
    every byte as it was; bh exits 0 once stdin ended and the output is quiet."""
    assert bh(server, "create", "uart")[0] == 0
    r = subprocess.run([BH, "--connect", f"unix:{server}", "console", "uart"],
                       input=b"hello\r" + bytes(range(0x80, 0x100)), capture_output=True,
                       timeout=30)
    assert (r.returncode, r.stderr) == (0, b""), r
    assert r.stdout == (b"booted\r\n\x01\xff d3 login: hello\r\r\nok\r\n" +
                        bytes(range(0x80, 0x100))), r.stdout
    # more than one request's worth (512 bytes) and more than the guest takes at once (64)
    data = bytes(i % 200 + 32 for i in range(3000)).replace(b"\r", b"_")
    r = subprocess.run([BH, "--connect", f"unix:{server}", "console", "3"], input=data,
                       capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stdout.endswith(data), r
    # the domain goes away (the fake's CTRL-d): bh says so and ends, exit 0
    r = subprocess.run([BH, "--connect", f"unix:{server}", "console", "uart"],
                       input=b"bye\x04", capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stdout.endswith(b"login: bye"), r
    assert r.stderr == b"[bh: d3 is gone: console detached]\n", r.stderr
    assert "uart" not in bh(server, "list")[1]


def test_console_errors(server):
    rc, out, err = bh(server, "console", "echo")
    assert (rc, out) == (1, "")
    assert err == ("console: d2 (echo) has no console that dom0-lite serves (no stub domain: "
                   "its output goes to the board console)\n")
    assert bh(server, "console", "nobody") == (1, "", "console: unknown domain 'nobody'\n")
    assert bh(server, "console")[0] == 1
    assert bh(server, "console", "dom0-lite")[0] == 1


def test_console_at_a_terminal(server):
    """At a terminal (a pty): raw mode, typed bytes reach the guest as they are typed,
    CTRL-] detaches and gives the terminal back as it was; the next client finds the
    console detached."""
    pexpect = pytest.importorskip("pexpect")
    assert bh(server, "create", "uart")[0] == 0
    child = pexpect.spawn(BH, ["--connect", f"unix:{server}", "console", "uart"], timeout=20)
    try:
        child.expect_exact(b"[bh: console of d3; CTRL-] detaches]")
        child.expect_exact(b"d3 login: ")
        child.send(b"ab\x03c")  # CTRL-c is a byte for the guest, not a signal to bh
        child.expect_exact(b"ab\x03c")
        child.send(b"\r")
        child.expect_exact(b"\r\nok\r\n")
        child.send(b"q\x1dignored")
        child.expect_exact(b"[bh: detached from d3]")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.exitstatus
    c = Client(server)
    assert c.call(1, "console-detach")["error"]["code"] == "not-attached"
    assert c.call(2, "console", dom="uart")["result"]["history"].endswith("d3 login: ")


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def send(self, raw):
        self.s.sendall(raw if isinstance(raw, bytes) else raw.encode())

    def line(self):
        line = self.f.readline()
        assert line.endswith(b"\n"), line
        return json.loads(line)

    def call(self, id, method, **params):
        self.send(json.dumps({"id": id, "method": method, "params": params}) + "\n")
        return self.line()


def test_raw_protocol_events_and_errors(server):
    c = Client(server)
    assert c.call(1, "version")["result"]["api"] == 1
    assert c.call(2, "subscribe")["result"]["subscribed"] is True
    r = c.call(3, "create", config="uart", overrides=["name=u1"])
    assert r["result"]["domid"] == 3 and r["result"]["stub_domid"] == 4
    assert c.line() == {"event": "domain-started", "domid": 3, "name": "u1"}
    assert c.line() == {"event": "domain-started", "domid": 4, "name": "u1-dm"}
    # bh on another connection is served after this one closes (one client at a time,
    # as QEMU's socket); here the same client drives everything
    assert c.call(4, "pause", dom="u1") == {"id": 4, "result": {}}
    assert c.line() == {"event": "domain-paused", "domid": 3, "name": "u1"}
    assert c.call(5, "create", config="crasher")["result"]["state"] == "----c-"
    assert c.line()["event"] == "domain-started"
    assert c.line() == {"event": "domain-crashed", "domid": 5, "name": "crasher",
                        "reason": "crash"}
    assert c.call(6, "destroy", dom=3) == {"id": 6, "result": {}}
    assert [c.line()["event"], c.line()["event"]] == ["domain-destroyed"] * 2
    # malformed requests: one JSON error each, the server answers on
    bad = [b"not json\n", b"\x00\x01\xff\xfe garbage\n", b"[1,2]\n", b"{\"method\":\"list\"}\n",
           b"{\"id\":7,\"method\":\"nope\"}\n", b"{\"id\":8,\"method\":\"info\",\"params\":"
           b"{\"dom\":[]}}\n", b"{\"id\":9,\"method\":\"list\"} trailing\n",
           b"{\"id\":10,\"method\":\"list\",\"params\":{\"x\":1}}\n"]
    codes = []
    for raw in bad:
        c.send(raw)
        r = c.line()
        assert set(r) == {"id", "error"} and set(r["error"]) >= {"code", "message"}, r
        codes.append(r["error"]["code"])
    assert codes == ["parse-error", "parse-error", "invalid-request", "invalid-request",
                     "unknown-method", "invalid-params", "parse-error", "invalid-params"]
    # a request split across writes; an oversized line (64 KiB + 1), then on as before
    c.send(b'{"id":11,"met')
    c.send(b'hod":"uptime"}\n')
    assert c.line() == {"id": 11, "result": {"uptime_ns": 3725000000000}}
    c.send(b"{" + b" " * 65536 + b"}\n")
    r = c.line()
    assert r == {"id": None, "error": {"code": "line-too-long",
                                       "message": "a request line is at most 65536 bytes"}}
    assert c.call(12, "list")["result"]["domains"][0]["name"] == "dom0-lite"


def test_raw_protocol_console(server):
    c = Client(server)
    assert c.call(1, "create", config="uart")["result"]["domid"] == 3
    r = c.call(2, "console", dom="uart")
    assert r == {"id": 2, "result": {"domid": 3, "name": "uart",
                                     "history": "booted\r\n\x01\xff d3 login: "}}
    c.send(json.dumps({"id": 3, "method": "console-input",
                       "params": {"dom": 3, "data": "\u00e9\r"}}) + "\n")
    got = [c.line() for _ in range(4)]
    assert got == [{"event": "console", "domid": 3, "data": "\u00e9"},
                   {"event": "console", "domid": 3, "data": "\r"},
                   {"event": "console", "domid": 3, "data": "\r\nok\r\n"},
                   {"id": 3, "result": {"taken": 2}}], got
    assert c.call(4, "console-input", dom=3, data="x" * 1025)["error"]["code"] == \
        "invalid-params"
    assert c.call(5, "console-input", dom=3, data="\u0100")["error"]["code"] == "invalid-params"
    assert c.call(6, "console", dom=2)["error"]["code"] == "no-console"
    assert c.call(7, "console-detach") == {"id": 7, "result": {"domid": 3}}
    assert c.call(8, "console-detach")["error"] == {"code": "not-attached",
                                                     "message": "no console is attached"}


def fake_api(path, behaviour):
    """A one-connection server on @path: 'close' hangs up after the request, 'nonsense' answers a
    non-JSON line, 'silent' reads and never answers."""
    ls = socket.socket(socket.AF_UNIX)
    ls.bind(path)
    ls.listen(1)

    def run():
        conn, _ = ls.accept()
        got = b""
        while b"}\n" not in got:  # the whole request
            got += conn.recv(4096)
        if behaviour == "nonsense":
            conn.sendall(b"HTTP/1.0 400 Bad Request\n")
        elif behaviour == "silent":
            threading.Event().wait(5)
        conn.close()
        ls.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("behaviour,message", [
    ("close", "the connection closed"),
    ("nonsense", "not a JSON answer: HTTP/1.0 400 Bad Request"),
    ("silent", "no answer within 1 s (is dom0-lite up?)"),
])
def test_broken_server(tmp_path, behaviour, message):
    path = str(tmp_path / "bad.sock")
    t = fake_api(path, behaviour)
    r = subprocess.run([BH, "--connect", f"unix:{path}", "--timeout", "1", "list"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 3 and r.stdout == ""
    assert r.stderr == f"bh: unix:{path}: {message}\n"
    t.join(timeout=10)

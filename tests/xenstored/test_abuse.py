"""xenstored under abuse (issue 16): descriptors running out, the connection limit, the
socket's mode, and memory that clients can make the daemon hold (transactions, queued
watch events), which must stay bounded and come back when they leave.

Every test is bounded: socket timeouts of a few seconds, small counts, and the daemon's
memory figures read from /proc.
"""
import grp
import os
import resource
import socket
import stat
import time

import pytest

from conftest import BIN
from xsclient import XS, Client, Daemon

MiB = 1 << 20


@pytest.fixture
def start():
    daemons = []

    def _start(*args, **kw):
        d = Daemon(BIN, *args, **kw)
        daemons.append(d)
        return d

    yield _start
    for d in daemons:
        alive = d.alive()
        d.close()
        assert alive, "xenstored died during the test"


def _rss(d):
    return d.status("VmRSS")


# ---- the socket ----

def test_socket_is_0600_whatever_the_umask(start):
    d = start(preexec_fn=lambda: os.umask(0))
    st = os.stat(d.sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)


def test_socket_group_option(start):
    gid = os.getgid()
    d = start("--socket-group", grp.getgrgid(gid).gr_name, preexec_fn=lambda: os.umask(0))
    st = os.stat(d.sock)
    assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == gid, oct(st.st_mode)


def test_socket_group_unknown_is_refused():
    d = None
    try:
        with pytest.raises(RuntimeError):
            d = Daemon(BIN, "--socket-group", "no-such-group-xsd")
    finally:
        if d:
            d.close()


# ---- descriptors and the connection limit ----

def _limit_fds(n):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def _refused(c):
    """The daemon's answer to a connection over the limit: EBUSY, then EOF."""
    try:
        kind, _, _, payload = c.recv()
    except (ConnectionError, OSError):
        return "closed"
    return payload.rstrip(b"\0").decode() if kind == XS["ERROR"] else "kind %d" % kind


def test_max_conns_fits_the_descriptor_limit_and_refuses_clearly(start):
    d = start(preexec_fn=_limit_fds(64))
    assert "--max-conns 1024 lowered to 48 to fit the descriptor limit 64" in d.log()
    clients = [Client(d.sock, timeout=5) for _ in range(48)]
    for i, c in enumerate(clients):
        assert c.write("/c/%d" % i, b"x") == b"OK\0"
    extra = [Client(d.sock, timeout=5) for _ in range(5)]
    t0 = time.monotonic()
    assert [_refused(c) for c in extra] == ["EBUSY"] * 5
    assert time.monotonic() - t0 < 3, "refused connections must not hang"
    assert d.log().count("refusing new ones (EBUSY)") == 1
    cpu = d.cpu_seconds()
    time.sleep(1)
    assert d.cpu_seconds() - cpu < 0.3, "the daemon spins"
    for c in clients[:3]:
        c.close()
    time.sleep(0.2)
    late = Client(d.sock, timeout=5)
    assert late.read("/c/7") == b"x"
    for c in clients[3:] + extra + [late]:
        c.close()


def test_out_of_descriptors_pauses_accept_without_spinning(start):
    d = start()
    first = [Client(d.sock, timeout=5) for _ in range(10)]
    for c in first:
        assert c.read("/") is not None
    # Fewer descriptors than clients from now on: accept() fails with EMFILE.
    _, hard = resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (24, hard))
    waiting = [Client(d.sock, timeout=5) for _ in range(30)]  # in the listen backlog
    time.sleep(0.3)
    cpu = d.cpu_seconds()
    time.sleep(1.5)
    used = d.cpu_seconds() - cpu
    assert used < 0.3, "xenstored spins at %.0f%% CPU without descriptors" % (used / 1.5 * 100)
    log = d.log()
    assert log.count("not accepting until one closes") == 1, log
    # A connection closes: accepting resumes (one more fits); then descriptors come back
    # and every waiting client is served, none hangs.
    first[0].close()
    assert waiting[0].write("/w/first", b"v") == b"OK\0"
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (1024, hard))
    for c in first[1:]:
        c.close()
    for i, c in enumerate(waiting):
        assert c.write("/w/%d" % i, b"v") == b"OK\0"
        c.close()


# ---- memory ----

VALUE = b"v" * 4000


def _txn_flood(c, txns, writes, tag):
    """`txns` transactions of `writes` 4 KB writes each; returns the error strings seen."""
    ids = []
    for _ in range(txns):
        kind, _, _, payload = c.request("TRANSACTION_START", b"\0")
        if kind == XS["ERROR"]:
            return [payload.rstrip(b"\0").decode()]
        ids.append(int(payload.rstrip(b"\0")))
    errors = []
    for t in ids:
        frames = [Client.frame("WRITE", b"/%s/%d/%d\0" % (tag, t, i) + VALUE, tx=t)
                  for i in range(writes)]
        for kind, _, _, payload in c.pipeline(frames, window=32):
            if kind == XS["ERROR"]:
                errors.append(payload.rstrip(b"\0").decode())
    return errors


def test_transaction_memory_is_bounded_and_returned(start):
    """The reported attack, default settings: 10 transactions x 1,021 4 KB writes on one
    connection cost 79 MiB; the connection's quota (8 MiB) now stops it with ENOMEM."""
    d = start()
    base = _rss(d)
    c = Client(d.sock, timeout=10)
    errors = _txn_flood(c, 10, 1021, b"t")
    grown = _rss(d) - base
    assert errors and set(errors) == {"ENOMEM"}, set(errors)
    assert grown < 20 * MiB, "RSS grew by %.1f MiB" % (grown / MiB)
    # Small requests still work on the same connection once it lets go.
    c.close()
    time.sleep(0.3)
    back = _rss(d) - base
    print("RSS: base %.1f MiB, +%.1f MiB during, +%.1f MiB after close"
          % (base / MiB, grown / MiB, back / MiB))
    assert back < 4 * MiB, "RSS stayed %.1f MiB above the start" % (back / MiB)
    c2 = Client(d.sock)
    assert c2.write("/after", b"ok") == b"OK\0"
    c2.close()


def test_many_connections_stay_within_the_global_bound(start):
    d = start("--quota-memory", "2M", "--memory-max", "8M")
    base = _rss(d)
    clients = [Client(d.sock, timeout=10) for _ in range(6)]
    seen = set()
    for i, c in enumerate(clients):
        seen |= set(_txn_flood(c, 4, 300, b"m%d" % i))
    grown = _rss(d) - base
    assert seen == {"ENOMEM"}, seen
    assert grown < 16 * MiB, "RSS grew by %.1f MiB for an 8 MiB bound" % (grown / MiB)
    # dom0's plain writes still get through: requests keep headroom.
    other = Client(d.sock)
    assert other.write("/still", b"fine") == b"OK\0"
    for c in clients:
        c.close()
    time.sleep(0.3)
    assert _rss(d) - base < 4 * MiB
    assert other.ok("CONTROL", b"check\0") == b"OK\0"
    other.close()


def test_watchers_that_never_read_are_bounded(start):
    d = start("--memory-max", "16M")
    base = _rss(d)
    token = b"k" * 1000
    watchers = []
    for i in range(40):
        w = Client(d.sock, timeout=10)
        w.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        for j in range(8):
            assert w.ok("WATCH", b"/ev\0" + token + b"%d\0" % j) == b"OK\0"
        watchers.append(w)  # and never reads again
    writer = Client(d.sock, timeout=10)
    replies = writer.pipeline([Client.frame("WRITE", b"/ev/%d\0x" % i) for i in range(400)])
    assert all(r[0] == XS["WRITE"] for r in replies), "the writer was refused"
    grown = _rss(d) - base
    assert grown < 24 * MiB, "RSS grew by %.1f MiB for a 16 MiB bound" % (grown / MiB)
    for w in watchers:
        w.close()
    time.sleep(0.3)
    assert _rss(d) - base < 4 * MiB
    assert writer.ok("CONTROL", b"check\0") == b"OK\0"
    writer.close()

"""Permissions on the special nodes @introduceDomain and @releaseDomain (XSA-115).

Every socket client is dom0 (privileged), so here: Debian's xenstore-chmod and
xenstore-watch on the special names, GET_PERMS through the raw client, and the
permissions kept across compaction. The unprivileged cases (SET_PERMS refused, events
filtered by read permission) are in tests/unit/xenstored/test_special.c.
"""
import subprocess
import time

import pytest

from xsclient import Client, Daemon
from conftest import BIN


def xs(env, *args, check=True):
    p = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=20)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (args, p.returncode, p.stderr))
    return p


def perms(client, path):
    return client.ok("GET_PERMS", path.encode() + b"\0").split(b"\0")[:-1]


def test_default_and_chmod(xsenv, client):
    assert perms(client, "@introduceDomain") == [b"n0"]
    assert perms(client, "@releaseDomain") == [b"n0"]
    xs(xsenv, "xenstore-chmod", "@releaseDomain", "n0", "r5", "b7")
    assert perms(client, "@releaseDomain") == [b"n0", b"r5", b"b7"]
    assert perms(client, "@introduceDomain") == [b"n0"]
    xs(xsenv, "xenstore-chmod", "@introduceDomain", "r0")
    assert perms(client, "@introduceDomain") == [b"r0"]
    # Other '@' names are not nodes.
    assert xs(xsenv, "xenstore-chmod", "@otherDomain", "n0", check=False).returncode != 0
    with pytest.raises(OSError, match="EINVAL"):
        perms(client, "@otherDomain")
    with pytest.raises(OSError, match="EINVAL"):
        client.read("@releaseDomain")
    # Not part of the tree.
    assert "Domain" not in xs(xsenv, "xenstore-ls", "/").stdout


def test_privileged_watcher_always_gets_events(xsenv, client):
    """The special nodes stay "n0": dom0's xenstore-watch still sees every event."""
    w = subprocess.Popen(["xenstore-watch", "-n", "3", "@releaseDomain"], env=xsenv,
                         stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        for domid in (b"21", b"22"):
            client.ok("INTRODUCE", domid + b"\0" + b"4096\0" + b"1\0")
            client.ok("RELEASE", domid + b"\0")
        out, _ = w.communicate(timeout=10)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    assert out.split() == ["@releaseDomain"] * 3


def test_raw_watch_and_set_perms_fire_nothing(client, daemon):
    w = Client(daemon.sock)
    try:
        w.ok("WATCH", b"@introduceDomain\0tok\0")
        assert w.recv() == (15, 0, 0, b"@introduceDomain\0tok\0")
        client.ok("SET_PERMS", b"@introduceDomain\0n0\0r3\0")
        client.ok("INTRODUCE", b"9\0" + b"4096\0" + b"1\0")
        # Only the INTRODUCE event: the permission change itself fires nothing.
        assert w.recv() == (15, 0, 0, b"@introduceDomain\0tok\0")
        w.ok("UNWATCH", b"@introduceDomain\0tok\0")
        assert w.events == []
    finally:
        w.close()


def test_kept_across_compaction():
    d = Daemon(BIN, db=True)
    try:
        c = Client(d.sock)
        c.ok("SET_PERMS", b"@releaseDomain\0n0\0r4\0")
        for i in range(50):
            c.write("/churn/%d" % i, b"x")
        c.ok("RM", b"/churn\0")
        assert c.ok("CONTROL", b"compact\0") == b"OK\0"
        assert c.ok("CONTROL", b"check\0") == b"OK\0"
        assert perms(c, "@releaseDomain") == [b"n0", b"r4"]
        assert perms(c, "@introduceDomain") == [b"n0"]
        c.close()
        assert d.alive()
    finally:
        d.close()

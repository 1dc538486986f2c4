"""Debian's xenstore-utils (real Xen clients, libxenstore) against our daemon."""
import subprocess
import time

import pytest

from xsclient import Client



def xs(env, *args, check=True, timeout=20):
    p = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (args, p.returncode, p.stderr))
    return p


def test_write_read(xsenv):
    xs(xsenv, "xenstore-write", "/vm/1/name", "guest-one", "/vm/1/memory", "512")
    assert xs(xsenv, "xenstore-read", "/vm/1/name").stdout == "guest-one\n"
    assert xs(xsenv, "xenstore-read", "/vm/1/memory", "/vm/1/name").stdout == "512\nguest-one\n"
    p = xs(xsenv, "xenstore-read", "/vm/1/none", check=False)
    assert p.returncode != 0


def test_exists(xsenv):
    xs(xsenv, "xenstore-write", "/e/x", "1")
    assert xs(xsenv, "xenstore-exists", "/e/x", check=False).returncode == 0
    assert xs(xsenv, "xenstore-exists", "/e/nope", check=False).returncode != 0


def test_ls_and_list(xsenv):
    xs(xsenv, "xenstore-write", "/l/a", "1", "/l/b/c", "deep", "/l/d", "")
    out = xs(xsenv, "xenstore-ls", "/l").stdout
    assert 'a = "1"' in out and 'c = "deep"' in out and "b =" in out
    assert sorted(xs(xsenv, "xenstore-list", "/l").stdout.split()) == ["a", "b", "d"]
    out = xs(xsenv, "xenstore-ls", "-p", "/l").stdout
    assert "(n0)" in out


def test_ls_large_directory(xsenv, daemon):
    """Names totalling more than one payload: libxenstore falls back to DIRECTORY_PART."""
    c = Client(daemon.sock)
    frames = [c.frame("WRITE", b"/big/entry-with-a-long-name-%04d\0" % i) for i in range(400)]
    assert all(r[0] == 11 for r in c.pipeline(frames))
    c.close()
    names = xs(xsenv, "xenstore-list", "/big").stdout.split()
    assert len(names) == 400
    assert len(set(names)) == 400


def test_rm(xsenv):
    xs(xsenv, "xenstore-write", "/r/a/b", "1", "/r/c", "2")
    xs(xsenv, "xenstore-rm", "/r/a")
    assert xs(xsenv, "xenstore-exists", "/r/a/b", check=False).returncode != 0
    assert xs(xsenv, "xenstore-read", "/r/c").stdout == "2\n"
    xs(xsenv, "xenstore-rm", "/r")
    assert xs(xsenv, "xenstore-exists", "/r", check=False).returncode != 0


def test_chmod(xsenv):
    xs(xsenv, "xenstore-write", "/p/node", "v")
    xs(xsenv, "xenstore-chmod", "/p/node", "n1", "r2", "w3", "b4")
    assert "(n1,r2,w3,b4)" in xs(xsenv, "xenstore-ls", "-p", "/p").stdout
    xs(xsenv, "xenstore-write", "/p/node/kid", "k")
    xs(xsenv, "xenstore-chmod", "-r", "/p", "r0")
    out = xs(xsenv, "xenstore-ls", "-p", "/p").stdout
    assert out.count("(r0)") == 2
    assert xs(xsenv, "xenstore-chmod", "/p/node", "x1", check=False).returncode != 0


def test_watch(xsenv):
    w = subprocess.Popen(["xenstore-watch", "-n", "3", "/w"], env=xsenv,
                         stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        xs(xsenv, "xenstore-write", "/w/a", "1")
        xs(xsenv, "xenstore-write", "/other", "1")
        xs(xsenv, "xenstore-rm", "/w/a")
        out, _ = w.communicate(timeout=10)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    lines = out.split()
    assert lines[0] == "/w"
    assert lines[1:3] == ["/w/a", "/w/a"]


def test_many_concurrent_clients(xsenv):
    procs = [subprocess.Popen(["xenstore-write", "/conc/%d" % i, str(i)], env=xsenv)
             for i in range(40)]
    assert all(p.wait(20) == 0 for p in procs)
    assert len(xs(xsenv, "xenstore-list", "/conc").stdout.split()) == 40

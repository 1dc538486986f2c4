"""Malformed input: error reply or closed connection; never a crash, never a corrupt store."""
import random
import socket
import struct

import pytest

from xsclient import HDR, XS, Client


def check_healthy(daemon):
    c = Client(daemon.sock)
    assert c.ok("CONTROL", b"check\0") == b"OK\0"
    c.write("/health", b"ok")
    assert c.read("/health") == b"ok"
    c.close()


def expect_error(c, frame, err=b"EINVAL\0"):
    c.send_raw(frame)
    kind, _, _, payload = c.recv_reply()
    assert kind == XS["ERROR"]
    assert payload == err


def expect_closed(c, data):
    c.send_raw(data)
    with pytest.raises((ConnectionError, ConnectionResetError)):
        c.recv_reply()


def test_bad_requests_get_errors(daemon, client):
    expect_error(client, HDR.pack(999, 1, 0, 0))
    expect_error(client, HDR.pack(XS["WATCH_EVENT"], 1, 0, 0))
    expect_error(client, HDR.pack(XS["ERROR"], 1, 0, 0))
    expect_error(client, Client.frame("READ", b"/no-nul"))
    expect_error(client, Client.frame("READ", b""))
    expect_error(client, Client.frame("WRITE", b"/bad path\0v"))
    expect_error(client, Client.frame("WRITE", b"/a\x01b\0v"))
    expect_error(client, Client.frame("SET_PERMS", b"/\0zz\0"))
    expect_error(client, Client.frame("WATCH", b"/only-path\0"))
    expect_error(client, Client.frame("TRANSACTION_END", b"T\0", tx=77), b"ENOENT\0")
    expect_error(client, Client.frame("DIRECTORY_PART", b"/\0notanumber\0"))
    expect_error(client, Client.frame("INTRODUCE", b"5\0"))
    expect_error(client, Client.frame("GET_DOMAIN_PATH", b"99999999\0"))
    expect_error(client, Client.frame("READ", b"/" + b"a" * 3100 + b"\0"))
    check_healthy(daemon)


def test_oversized_payload_closes(daemon):
    c = Client(daemon.sock)
    expect_closed(c, HDR.pack(XS["WRITE"], 1, 0, 4097) + b"x" * 4097)
    c.close()
    c = Client(daemon.sock)
    expect_closed(c, HDR.pack(XS["READ"], 1, 0, 0xFFFFFFFF))
    c.close()
    check_healthy(daemon)


def test_truncated_header_and_payload(daemon):
    for data in (b"\x02\x00", HDR.pack(XS["READ"], 1, 0, 10) + b"/ab"):
        c = Client(daemon.sock)
        c.send_raw(data)
        c.s.shutdown(socket.SHUT_WR)
        with pytest.raises(ConnectionError):
            c.recv_reply()
        c.close()
    check_healthy(daemon)


def test_split_frames_are_reassembled(daemon, client):
    frame = Client.frame("WRITE", b"/split\0value", req_id=9)
    for i in range(len(frame)):
        client.send_raw(frame[i:i + 1])
    kind, req_id, _, payload = client.recv_reply()
    assert (kind, req_id, payload) == (XS["WRITE"], 9, b"OK\0")


def test_random_streams(daemon):
    """Seeded random and mutated messages; Xen 4.17 aborts after about a thousand."""
    rng = random.Random(1234)
    valid = [Client.frame(k, p) for k, p in (
        ("WRITE", b"/r/a\0v"), ("READ", b"/r/a\0"), ("DIRECTORY", b"/r\0"),
        ("MKDIR", b"/r/b/c\0"), ("RM", b"/r/b\0"), ("WATCH", b"/r\0t\0"),
        ("TRANSACTION_START", b"\0"), ("GET_PERMS", b"/r\0"), ("SET_PERMS", b"/r\0b0\0r1\0"),
        ("DIRECTORY_PART", b"/r\0" + b"0\0"), ("INTRODUCE", b"3\0" + b"1\0" + b"2\0"),
        ("RELEASE", b"3\0"), ("SET_TARGET", b"3\0" + b"4\0"), ("RESET_WATCHES", b"\0"))]
    sent = 0
    # The daemon may close a connection at any malformed message; how many of a burst get
    # through before the client notices depends on timing. So keep reconnecting until
    # 3,000 messages went in (bounded: the daemon must keep accepting).
    for _ in range(3000):
        if sent >= 3000:
            break
        c = Client(daemon.sock, timeout=5)
        try:
            for _ in range(100):
                m = bytearray(rng.choice(valid))
                for _ in range(rng.randint(0, 4)):
                    pos = rng.randrange(len(m))
                    m[pos] = rng.randrange(256)
                if rng.random() < 0.2:
                    m[16:] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
                    struct.pack_into("<I", m, 12, len(m) - 16)
                c.send_raw(bytes(m))
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        c.close()
        assert daemon.alive()
    assert sent >= 3000
    check_healthy(daemon)

"""Scale: 100,000 children under one directory, then the subtree deleted in bounded memory."""
import time

from xsclient import Client

N = 100_000


def write_frames(prefix, count, start=0):
    return [Client.frame("WRITE", b"%s/%d\0v" % (prefix, i)) for i in range(start, start + count)]


def timed_writes(c, prefix, count, start=0):
    frames = write_frames(prefix, count, start)
    t0 = time.perf_counter()
    for f in frames:
        c.send_raw(f)
        assert c.recv_reply()[0] == 11
    return count / (time.perf_counter() - t0)


def test_100k_children_then_delete(daemon, client):
    base_rate = timed_writes(client, b"/small", 2000)
    t0 = time.perf_counter()
    replies = client.pipeline(write_frames(b"/big", N), window=64)
    create_s = time.perf_counter() - t0
    assert all(r[0] == 11 for r in replies)
    assert create_s < 60, "creating 100k children took %.1fs" % create_s
    # Writes under the 100k-child directory run at the normal rate.
    big_rate = timed_writes(client, b"/big", 2000, start=N)
    assert big_rate > base_rate / 3, (base_rate, big_rate)
    names = client.ok("DIRECTORY_PART", b"/big\0" + b"0\0")
    assert names.count(b"\0") > 100

    rss_before = daemon.status("VmRSS")
    daemon.reset_peak()
    t0 = time.perf_counter()
    assert client.ok("RM", b"/big\0") == b"OK\0"
    rm_s = time.perf_counter() - t0
    peak = daemon.status("VmHWM")
    print("create %.2fs, rm %.2fs, rss before %d KiB, peak during rm %d KiB"
          % (create_s, rm_s, rss_before // 1024, peak // 1024))
    assert peak - rss_before < 32 * 1024 * 1024
    assert peak < 256 * 1024 * 1024
    assert client.request("READ", b"/big/5\0")[0] == 16
    assert client.ok("CONTROL", b"check\0") == b"OK\0"

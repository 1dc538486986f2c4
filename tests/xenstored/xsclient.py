"""A minimal raw xenstore wire client for tests (xen/io/xs_wire.h framing)."""
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time

XS = dict(CONTROL=0, DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5, TRANSACTION_START=6,
          TRANSACTION_END=7, INTRODUCE=8, RELEASE=9, GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13,
          SET_PERMS=14, WATCH_EVENT=15, ERROR=16, IS_DOMAIN_INTRODUCED=17, RESUME=18,
          SET_TARGET=19, RESET_WATCHES=21, DIRECTORY_PART=22)
HDR = struct.Struct("<IIII")
PAYLOAD_MAX = 4096


class Daemon:
    """Runs build/host/xenstored/xenstored on a private socket; always killed at close()."""

    def __init__(self, binary, *args, db=False, preexec_fn=None):
        self.dir = tempfile.mkdtemp(prefix="xsd-test-")
        self.sock = os.path.join(self.dir, "socket")
        self.db = os.path.join(self.dir, "xs.tdb") if db else None
        self.log_path = os.path.join(self.dir, "log")
        cmd = [binary, "--socket", self.sock] + (["--db", self.db] if db else []) + list(args)
        with open(self.log_path, "wb") as log:  # a file: a pipe nobody reads could fill up
            self.proc = subprocess.Popen(cmd, stderr=log, preexec_fn=preexec_fn)
        deadline = time.time() + 10
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("xenstored did not start")
            time.sleep(0.01)

    def alive(self):
        return self.proc.poll() is None

    def status(self, field):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(field)

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def cpu_seconds(self):
        """User + system CPU time the daemon has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_peak(self):
        with open("/proc/%d/clear_refs" % self.proc.pid, "w") as f:
            f.write("5")

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)


class Client:
    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.req_id = 0
        self.events = []

    def close(self):
        self.s.close()

    def send_raw(self, data):
        self.s.sendall(data)

    @staticmethod
    def frame(kind, payload, tx=0, req_id=0):
        kind = XS[kind] if isinstance(kind, str) else kind
        return HDR.pack(kind, req_id, tx, len(payload)) + payload

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed by daemon")
            self.buf += chunk

    def recv(self):
        self._fill(HDR.size)
        kind, req_id, tx, length = HDR.unpack_from(self.buf)
        assert length <= PAYLOAD_MAX
        self._fill(HDR.size + length)
        payload = self.buf[HDR.size:HDR.size + length]
        self.buf = self.buf[HDR.size + length:]
        return kind, req_id, tx, payload

    def recv_reply(self):
        while True:
            msg = self.recv()
            if msg[0] != XS["WATCH_EVENT"]:
                return msg
            self.events.append(msg[3])

    def request(self, kind, payload, tx=0):
        self.req_id += 1
        self.send_raw(self.frame(kind, payload, tx, self.req_id))
        msg = self.recv_reply()
        assert msg[1] == self.req_id
        return msg

    def ok(self, kind, payload, tx=0):
        kind_num = XS[kind]
        msg = self.request(kind, payload, tx)
        if msg[0] == XS["ERROR"]:
            raise OSError(msg[3].rstrip(b"\0").decode())
        assert msg[0] == kind_num
        return msg[3]

    def write(self, path, value, tx=0):
        return self.ok("WRITE", path.encode() + b"\0" + value, tx)

    def read(self, path, tx=0):
        return self.ok("READ", path.encode() + b"\0", tx)

    def pipeline(self, frames, window=64):
        """Sends frames keeping `window` in flight; returns the replies in order."""
        out, sent = [], 0
        while len(out) < len(frames):
            while sent < len(frames) and sent - len(out) < window:
                self.send_raw(frames[sent])
                sent += 1
            out.append(self.recv_reply())
        return out

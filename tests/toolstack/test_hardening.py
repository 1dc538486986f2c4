# SPDX-License-Identifier: MIT
"""bh-boot against a hostile user (issue 16): inputs that used to raise a traceback,
limits the hypervisor enforces checked before QEMU starts, exit codes that say how the
guests ended, and signals that leave nothing behind.

QEMU is a fake here (a shell script first on PATH): it writes a small device tree when
asked to dump one, and otherwise prints a given console or hangs, so these tests need no
hypervisor image and run in seconds.
"""
import os
import signal
import subprocess
import time

import pytest

from conftest import BH_BOOT, PYTHON

OK = 'name = "g"\nkernel = "Image-aarch64"\nmemory = 64\n'

# (test id, config text, expected text after "bh-boot: g.cfg:")
BAD = [
    ("unicode-digit-value", OK.replace("64", "\u00b2"),
     "3: key 'memory': unexpected character '\u00b2' (integers are ASCII digits)"),
    ("unicode-digit-after-digits", OK.replace("64", "6\u0664"),
     "3: key 'memory': bad integer '6\u0664'"),
    ("non-ascii-key", OK + "m\u00e9moire = 1\n",
     "4: key 'm\u00e9moire': a key is ASCII letters, digits, '_' and '.'"),
    ("non-ascii-key-start", OK + "\u00e9 = 1\n", "4: key '\u00e9': a key is ASCII"),
    ("deep-list", OK + "disk = " + "[" * 5000 + "]" * 5000 + "\n",
     "4: key 'disk': lists nested more than 16 deep"),
    ("huge-integer", OK.replace("64", "9" * 5000), "3: key 'memory': bad integer '999"),
    ("name-32-chars", OK.replace('"g"', '"' + "n" * 32 + '"'),
     "1: key 'name': 'nnnnnnnnnnnn...' is 32 characters long: at most 31"),
    ("name-300-chars", OK.replace('"g"', '"' + "n" * 300 + '"'),
     "1: key 'name': 'nnnnnnnnnnnn...' is 300 characters long: at most 31"),
    ("name-non-ascii", OK.replace('"g"', '"\u00e9t\u00e9"'),
     "1: key 'name': '\u00e9t\u00e9': only letters, digits, '_', '.' and '-' allowed"),
    ("name-control-char", OK.replace('"g"', '"a\\nb"'),
     "1: key 'name': 'a\\nb': only letters"),
    ("kernel-with-nul", OK.replace('"Image-aarch64"', '"Image\\0x"'),
     "2: key 'kernel': must not contain a NUL character"),
    ("extra-with-nul", OK + 'extra = "a\\x00b"\n',
     "4: key 'extra': must not contain a NUL character"),
    ("kernel-name-too-long", OK.replace('"Image-aarch64"', '"' + "k" * 300 + '"'),
     "2: key 'kernel': " + "k" * 64 + "...: File name too long"),
    ("start-after-too-long", OK + 'start_after = "' + "s" * 40 + '"\n',
     "4: key 'start_after': '" + "s" * 40 + "' is not a domain name"),
]


@pytest.mark.parametrize("text,expect", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_hostile_config(ws, bh_boot, text, expect):
    ws.cfg("g.cfg", text)
    r = bh_boot("--arch", "aarch64", "g.cfg", timeout=60)
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    assert r.rc == 1 and not r.qemu_started, r.err
    assert f"bh-boot: g.cfg:{expect}" in r.err, r.err


def test_name_of_31_chars_is_accepted(ws, bh_boot):
    """The longest name the hypervisor takes passes the checks (the fake QEMU is reached)."""
    ws.cfg("g.cfg", OK.replace('"g"', '"' + "n" * 31 + '"'))
    r = bh_boot("--arch", "aarch64", "g.cfg", timeout=60)
    assert r.qemu_started and "could not dump its device tree" in r.err, r.err


def test_fifo_config_does_not_hang(ws, bh_boot):
    os.mkfifo(os.path.join(ws.path, "fifo.cfg"))
    r = bh_boot("--arch", "aarch64", "fifo.cfg", timeout=30)
    assert r.rc == 1 and "bh-boot: fifo.cfg: not a regular file" in r.err, r.err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1"])
def test_timeout_must_be_finite(bh_boot, value):
    r = bh_boot("--arch", "aarch64", f"--timeout={value}", timeout=60)
    assert r.rc == 1 and not r.qemu_started and "Traceback" not in r.err, r.err
    assert "--timeout" in r.err and "must be positive and finite" in r.err, r.err


def test_unwritable_log_is_a_usage_error(ws, bh_boot):
    r = bh_boot("--arch", "aarch64", "--log", "/proc/no/such/log", timeout=60)
    assert r.rc == 1 and not r.qemu_started and "Traceback" not in r.err, r.err
    assert "--log /proc/no/such/log: " in r.err, r.err


# ---- a fake QEMU that boots ----

FAKE_QEMU = """#!/bin/sh
for a in "$@"; do
    case "$a" in
    *dumpdtb=*)
        out=${a#*dumpdtb=}
        echo '/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; chosen { }; };' |
            dtc -q -I dts -O dtb -o "$out" -
        exit $?;;
    esac
done
echo $$ > "$FAKE_DIR/qemu.pid"
[ -n "$FAKE_CONSOLE" ] && cat "$FAKE_CONSOLE"
[ -n "$FAKE_HANG" ] && exec sleep 300
exit ${FAKE_RC:-0}
"""


class FakeBoot:
    def __init__(self, ws, tmp_path):
        self.ws, self.dir = ws, tmp_path
        self.bindir = tmp_path / "bootbin"
        self.bindir.mkdir()
        for arch in ("aarch64", "riscv64"):
            q = self.bindir / f"qemu-system-{arch}"
            q.write_text(FAKE_QEMU)
            q.chmod(0o755)
        self.tmpdir = tmp_path / "tmp"
        self.tmpdir.mkdir()
        self.image = ws.file("bulkhead.bin", b"\0" * 4096)
        ws.cfg("a.cfg", OK.replace('"g"', '"alpha"'))
        ws.cfg("b.cfg", OK.replace('"g"', '"beta"'))

    def env(self, console="", rc=0, hang=False):
        env = dict(os.environ, PATH=f"{self.bindir}:{os.environ['PATH']}",
                   FAKE_DIR=str(self.dir), FAKE_RC=str(rc), TMPDIR=str(self.tmpdir),
                   FAKE_HANG="1" if hang else "")
        if console:
            path = self.dir / "console.txt"
            path.write_text(console)
            env["FAKE_CONSOLE"] = str(path)
        return env

    def argv(self, *extra):
        return [PYTHON, BH_BOOT, "--arch", "aarch64", "--image", self.image, *extra,
                "a.cfg", "b.cfg"]

    def run(self, console, rc=0):
        cp = subprocess.run(self.argv("--timeout", "30"), cwd=self.ws.path,
                            env=self.env(console, rc), capture_output=True, text=True,
                            timeout=60)
        assert "Traceback" not in cp.stderr, cp.stderr
        assert os.listdir(self.tmpdir) == [], "temporary directory left behind"
        return cp


@pytest.fixture
def fake_boot(ws, tmp_path):
    return FakeBoot(ws, tmp_path)


BOOT = "Bulkhead hypervisor\nbulkhead: d1 (alpha): 64 MiB\nbulkhead: d2 (beta): 64 MiB\n"
END = "bulkhead: all domains have ended, powering off\n"

OUTCOMES = [
    ("clean", BOOT + "bulkhead: d1 (alpha) shut down: poweroff\n"
     "bulkhead: d2 (beta) shut down: reboot\n" + END, 0, 0, None),
    ("crash", BOOT + "bulkhead: d1 (alpha) crashed: data abort at IPA 0x80000000\n"
     "bulkhead: d2 (beta) shut down: poweroff\n" + END, 0, 4,
     "bh-boot: d1 alpha crashed: data abort at IPA 0x80000000"),
    ("all-crashed", BOOT + "bulkhead: d1 (alpha) crashed: undefined instruction\n"
     "bulkhead: d2 (beta) crashed: the guest reported a crash (SHUTDOWN_crash)\n" + END,
     0, 4, "bh-boot: d2 beta crashed: the guest reported a crash"),
    ("refused", "Bulkhead hypervisor\nbulkhead: dom0less: alpha: cpus must be 1 to 8; "
     "domain not created\nbulkhead: d1 (beta) shut down: poweroff\n" + END, 0, 5,
     "bh-boot: the hypervisor refused domain alpha: cpus must be 1 to 8; domain not created"),
    ("cannot-create", "Bulkhead hypervisor\nbulkhead: dom0less: beta: cannot create the "
     "domain (-12)\nbulkhead: d1 (alpha) crashed: x\n" + END, 0, 5,
     "bh-boot: the hypervisor refused domain beta: cannot create the domain (-12)"),
    ("guest-spoofs-a-crash", BOOT + "(d1) bulkhead: d2 (beta) crashed: not really\n"
     "bulkhead: d1 (alpha) shut down: poweroff\nbulkhead: d2 (beta) shut down: poweroff\n"
     + END, 0, 0, None),
    ("panic", BOOT + "bulkhead: d1 (alpha) crashed: x\nbulkhead: PANIC: oops\n", 0, 2,
     "the hypervisor panicked"),
    ("qemu-failed", BOOT, 1, 3, "QEMU failed (exit 1)"),
]


@pytest.mark.parametrize("console,qemu_rc,status,message", [o[1:] for o in OUTCOMES],
                         ids=[o[0] for o in OUTCOMES])
def test_exit_status_says_how_the_guests_ended(fake_boot, console, qemu_rc, status, message):
    cp = fake_boot.run(console, qemu_rc)
    assert cp.returncode == status, cp.stderr
    if message:
        assert message in cp.stderr, cp.stderr


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited already; only its parent's wait() is missing.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP],
                         ids=["SIGTERM", "SIGINT", "SIGHUP"])
def test_signal_stops_qemu_and_removes_the_temporary_directory(fake_boot, sig):
    pidfile = fake_boot.dir / "qemu.pid"
    proc = subprocess.Popen(fake_boot.argv("--timeout", "300"), cwd=fake_boot.ws.path,
                            env=fake_boot.env(hang=True), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists() or not pidfile.read_text().strip():
            assert time.monotonic() < deadline and proc.poll() is None, "QEMU never started"
            time.sleep(0.05)
        qemu = int(pidfile.read_text())
        assert os.listdir(fake_boot.tmpdir), "the run has its temporary directory"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and f"{signal.Signals(sig).name}: QEMU stopped" in err, err
    deadline = time.monotonic() + 5
    while _alive(qemu) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(qemu), "QEMU survived bh-boot"
    assert os.listdir(fake_boot.tmpdir) == [], "temporary directory left behind"


def test_sigkill_of_bh_boot_still_ends_qemu(fake_boot):
    """SIGKILL cannot be caught: PR_SET_PDEATHSIG ends QEMU with its parent."""
    pidfile = fake_boot.dir / "qemu.pid"
    proc = subprocess.Popen(fake_boot.argv("--timeout", "300"), cwd=fake_boot.ws.path,
                            env=fake_boot.env(hang=True), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists() or not pidfile.read_text().strip():
            assert time.monotonic() < deadline and proc.poll() is None, "QEMU never started"
            time.sleep(0.05)
        qemu = int(pidfile.read_text())
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while _alive(qemu) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(qemu), "QEMU survived bh-boot"

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot a Bulkhead image on a QEMU board and watch its console.

Used by `make run`, the system tests (tests/system) and the benchmarks (tests/bench).
The board is data: configs/boards/qemu-virt-<arch>.conf. The run always ends by itself:
the hypervisor powers the board off, or the timeout kills QEMU.

Exit status of the command line tool:
  0  the board powered off cleanly
  2  the hypervisor panicked ("bulkhead: PANIC" on the console)
  3  QEMU failed (non-zero exit, or could not start)
  124  timeout
"""
import argparse
import os
import re
import selectors
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PANIC_RE = re.compile(r"bulkhead: PANIC")

EXIT_OK, EXIT_PANIC, EXIT_QEMU, EXIT_TIMEOUT = 0, 2, 3, 124


def board_config(arch):
    """Read configs/boards/qemu-virt-<arch>.conf (KEY = VALUE lines, # comments)."""
    path = os.path.join(TOP, "configs", "boards", f"qemu-virt-{arch}.conf")
    conf = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if "=" not in line:
                raise ValueError(f"{path}:{lineno}: expected KEY = VALUE")
            key, value = (s.strip() for s in line.split("=", 1))
            conf[key] = value
    return conf


# dom0-lite's management channel (docs/dom0-lite.md): a PCI 16550 at this slot of bus 0,
# whose other end is a Unix socket QEMU listens on (toolstack/bhboot/mgmt.py gives it to
# dom0-lite). `--mgmt-socket PATH` or BH_MGMT_SOCKET=PATH.
MGMT_PCI_SLOT = 2


def mgmt_argv(socket_path):
    """QEMU options for the management channel with its host end at @socket_path."""
    path = socket_path.replace(",", ",,")
    return ["-chardev", f"socket,id=mgmt,path={path},server=on,wait=off",
            "-device", f"pci-serial,chardev=mgmt,addr={MGMT_PCI_SLOT:#x}"]


def qemu_argv(arch, image, smp=None, mem=None, append=None, icount=False, plugin=None,
              shim=None, dtb=None, cpu=None, extra=(), mgmt_socket=None):
    """The QEMU command line for booting @image on the board of @arch.

    With @shim and @dtb, the hypervisor is loaded raw at its link address and a tiny
    boot shim (tests/system/dtshim) enters it with @dtb instead of QEMU's device tree:
    that is how the bad-device-tree tests hand it a broken blob.
    """
    conf = board_config(arch)
    argv = [conf["QEMU"], "-M", conf["QEMU_MACHINE"], "-cpu", cpu or conf["QEMU_CPU"],
            "-smp", str(smp or conf["QEMU_SMP"]), "-m", str(mem or conf["QEMU_MEM"]),
            "-display", "none", "-monitor", "none", "-serial", "stdio", "-net", "none",
            "-no-reboot"]
    argv += conf.get("QEMU_EXTRA", "").split()
    if shim:
        argv += ["-kernel", shim,
                 "-device", f"loader,file={image},addr={conf['LOAD_ADDR']},force-raw=on",
                 "-device", f"loader,file={dtb},addr={shim_dtb_addr(conf):#x},force-raw=on"]
    else:
        argv += ["-kernel", image]
    if append:
        argv += ["-append", append]
    if icount:
        argv += ["-icount", "shift=0"]
    if plugin:
        argv += ["-plugin", plugin]
    if mgmt_socket:
        argv += mgmt_argv(mgmt_socket)
    argv += list(extra)
    return argv


def shim_addr(conf):
    """Where the test boot shim is linked: 112 MiB into RAM, clear of everything."""
    return int(conf["RAM_BASE"], 0) + 0x7000000


def shim_dtb_addr(conf):
    """Where the shim's device tree is loaded: 128 MiB into RAM."""
    return int(conf["RAM_BASE"], 0) + 0x8000000


class Result:
    """What a run produced."""

    def __init__(self, status, output, returncode, seconds):
        self.status = status          # one of the EXIT_* values
        self.output = output          # the console, as text
        self.returncode = returncode  # QEMU's exit code (None after a timeout)
        self.seconds = seconds

    @property
    def panicked(self):
        return self.status == EXIT_PANIC

    @property
    def timed_out(self):
        return self.status == EXIT_TIMEOUT


def _die_with_parent():
    """In the child before exec: SIGKILL when the parent dies, however it dies (Linux
    PR_SET_PDEATHSIG), so a killed runner never leaves QEMU spinning on its own."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def _interactive(echo):
    """Does a person type at this run? Only when both our stdin and stdout are terminals
    and the console is echoed: then QEMU reads the keyboard (its `-serial stdio` puts the
    terminal in raw mode) and the board console takes input (docs/console.md). Tests
    and pipelines get /dev/null."""
    try:
        return echo and sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _save_tty():
    """The terminal's settings, to put back however QEMU ends (a killed QEMU leaves it
    raw)."""
    try:
        import termios
        return termios.tcgetattr(sys.stdin.fileno())
    except (ImportError, OSError, ValueError):
        return None


def _restore_tty(saved):
    if saved is None:
        return
    try:
        import termios
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, saved)
    except (ImportError, OSError, ValueError):
        pass


def run(argv, timeout=60, echo=True, log_path=None):
    """Run QEMU, stream its console (to stdout when @echo), stop it after @timeout s.

    QEMU never outlives the run: it is killed on the timeout, on any exception raised
    here (a signal handler of the caller raising, for instance) and, through
    PR_SET_PDEATHSIG, when this process dies. From a terminal, the keyboard goes to the
    board console (CTRL-a three times switches its input between the hypervisor and the
    guests); the terminal's settings are restored afterwards.
    """
    start = time.monotonic()
    chunks = []
    interactive = _interactive(echo)
    saved_tty = _save_tty() if interactive else None
    try:
        proc = subprocess.Popen(argv, stdin=None if interactive else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent)
    except (OSError, subprocess.SubprocessError) as e:
        _restore_tty(saved_tty)
        return Result(EXIT_QEMU, f"cannot start {argv[0]}: {e}\n", None, 0.0)
    timed_out = ended = False
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            if not sel.select(timeout=min(left, 0.5)):
                continue
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                break
            chunks.append(data)
            if echo:
                try:
                    sys.stdout.write(data.decode("utf-8", "replace"))
                    sys.stdout.flush()
                except (BrokenPipeError, ValueError):  # our reader went away
                    echo = False
        ended = True
    finally:
        if timed_out or not ended:
            proc.kill()
        returncode = proc.wait()
        proc.stdout.close()
        _restore_tty(saved_tty)
    output = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    if timed_out:
        status = EXIT_TIMEOUT
        output += f"\nbhqemu: timeout after {timeout} s: QEMU killed\n"
    elif PANIC_RE.search(output):
        status = EXIT_PANIC
    elif returncode != 0:
        status = EXIT_QEMU
    else:
        status = EXIT_OK
    if log_path:
        try:
            os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
            with open(log_path, "w", encoding="utf-8", errors="replace") as f:
                f.write("$ " + " ".join(argv) + "\n" + output)
        except OSError as e:
            print(f"bhqemu: cannot write the log {log_path}: {e.strerror}", file=sys.stderr)
    return Result(status, output, None if timed_out else returncode,
                  time.monotonic() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=["aarch64", "riscv64"])
    ap.add_argument("--image", required=True, help="the hypervisor image (bulkhead.bin)")
    ap.add_argument("--smp", type=int)
    ap.add_argument("--mem", help="RAM size, QEMU syntax (e.g. 1G)")
    ap.add_argument("--append", help="hypervisor command line (/chosen/bootargs)")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--icount", action="store_true", help="-icount shift=0")
    ap.add_argument("--plugin", help="a TCG plugin, QEMU -plugin syntax")
    ap.add_argument("--log", help="also write the console to this file")
    ap.add_argument("--mgmt-socket", default=os.environ.get("BH_MGMT_SOCKET"),
                    help="the management channel's host end (a Unix socket QEMU creates)")
    args = ap.parse_args()
    if not os.path.isfile(args.image):
        ap.error(f"{args.image}: no such image (run make first)")
    argv = qemu_argv(args.arch, args.image, smp=args.smp, mem=args.mem, append=args.append,
                     icount=args.icount, plugin=args.plugin, mgmt_socket=args.mgmt_socket)
    result = run(argv, timeout=args.timeout, log_path=args.log)
    if result.status == EXIT_TIMEOUT:
        print(f"\nbhqemu: timeout after {args.timeout:g} s", file=sys.stderr)
    elif result.status == EXIT_PANIC:
        print("\nbhqemu: the hypervisor panicked", file=sys.stderr)
    elif result.status == EXIT_QEMU:
        print(f"\nbhqemu: QEMU failed (exit {result.returncode})", file=sys.stderr)
    return result.status


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: MIT
"""bh-boot: boot the hypervisor on QEMU with boot-time guests from xl.cfg files.

  bh-boot --arch aarch64|riscv64 [--smp N] [--mem MiB] [--timeout S] GUEST.cfg...

Steps, all before QEMU starts for the run: parse and check every config, place each
guest's kernel, ramdisk and device tree in guest memory, generate the guest device
trees, place the modules in host memory, dump QEMU's own device tree for this -smp/-m
and add the /chosen domain nodes, then boot with -dtb and one loader device per module.

Exit status (the first that applies, in this order):
  1    bad usage, a bad config (FILE:LINE: key 'KEY': problem) or a tool failure;
       QEMU was not started for the run
  124  timeout
  2    the hypervisor panicked
  3    QEMU failed
  5    the hypervisor refused a domain ("bulkhead: dom0less: NAME: ...")
  4    a guest crashed ("bulkhead: dN (NAME) crashed: ...")
  0    the board powered off and every guest that ran shut down cleanly
  128+N  ended by signal N (SIGHUP 129, SIGINT 130, SIGTERM 143): QEMU is stopped and
       the temporary directory removed first
"""
import argparse
import math
import os
import re
import shutil
import signal
import sys
import tempfile

from . import bundle, guestdt, hostdt, stubdom, xlcfg
from .guestdt import MiB, ToolError
from .xlcfg import ConfigError

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "toolstack"))
import bhqemu  # noqa: E402

EXIT_USAGE = 1
EXIT_CRASH = 4
EXIT_REFUSED = 5
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

# The hypervisor's own lines start a console line; guests' lines start with "(dN) ".
CRASH_RE = re.compile(r"^bulkhead: d(\d+) \((\S*)\) crashed: (.*)$", re.M)
REFUSED_RE = re.compile(r"^bulkhead: dom0less: (\S*): (.*?(?:; domain not created|"
                        r"cannot create the domain.*))$", re.M)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"bh-boot: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def parse_mem(text):
    """QEMU-style size to MiB: 512, 512M, 1G, 1024MiB."""
    m = re.fullmatch(r"\s*(\d+)\s*(M|MB|MiB|G|GB|GiB)?\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size '{text}' (MiB, or with M or G)")
    n = int(m.group(1))
    return n * 1024 if (m.group(2) or "M").upper().startswith("G") else n


def _args(argv):
    ap = _Parser(prog="bh-boot", description=__doc__,
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=["aarch64", "riscv64"])
    ap.add_argument("--image", help="the hypervisor image (default build/ARCH/bulkhead.bin)")
    ap.add_argument("--smp", type=int, help="host CPUs (default: the board's)")
    ap.add_argument("--mem", type=parse_mem, help="host RAM in MiB (default: the board's)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds (default 120)")
    ap.add_argument("--append", help="hypervisor command line (/chosen bootargs)")
    ap.add_argument("--icount", action="store_true", help="-icount shift=0")
    ap.add_argument("--plugin", help="a TCG plugin, QEMU -plugin syntax")
    ap.add_argument("--stub-image", help="the stub domain program (default "
                    "build/ARCH/drivers/stub.bin; docs/stub-domains.md)")
    ap.add_argument("--log", help="also write the console to this file")
    ap.add_argument("--workdir", help="keep the generated device trees here "
                    "(default: a temporary directory, removed afterwards)")
    ap.add_argument("--dry-run", action="store_true", help="generate everything and print "
                    "the QEMU command line, but do not boot (QEMU still dumps its DTB)")
    ap.add_argument("--dom0", action="store_true", help="boot dom0-lite, the control "
                    "domain, first, with a boot bundle of the --bundle configs as its ramdisk "
                    "(docs/dom0-lite.md)")
    ap.add_argument("--bundle", action="append", default=[], metavar="CFG",
                    help="put this config (and the files it names) in dom0-lite's bundle")
    ap.add_argument("--autostart", action="append", default=[], metavar="NAME",
                    help="dom0-lite creates configs/NAME.cfg of its bundle at boot")
    ap.add_argument("--dom0-image", help="default build/ARCH/dom0-lite/dom0-lite.bin")
    ap.add_argument("--mgmt-socket", default=os.environ.get("BH_MGMT_SOCKET"), metavar="PATH",
                    help="with --dom0: dom0-lite's management channel, its host end a Unix "
                    "socket QEMU creates at PATH (default $BH_MGMT_SOCKET)")
    ap.add_argument("--mgmt-node", action="append", default=[], metavar="NAME",
                    help="(tests) give the channel's node to boot-time domain NAME too")
    ap.add_argument("--mgmt-irq", type=int, metavar="LINE",
                    help="(tests) name this interrupt line in the channel's node")
    ap.add_argument("configs", nargs="*", metavar="GUEST.cfg")
    args = ap.parse_args(argv)
    conf = bhqemu.board_config(args.arch)
    if args.smp is None:
        args.smp = int(conf["QEMU_SMP"])
    if args.mem is None:
        args.mem = parse_mem(conf["QEMU_MEM"])
    if not 1 <= args.smp <= 8:
        ap.error(f"--smp {args.smp}: 1..8 CPUs")
    if args.mem < hostdt.MODULE_OFFSET // MiB + 64:
        ap.error(f"--mem {args.mem}: at least {hostdt.MODULE_OFFSET // MiB + 64} MiB")
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        ap.error(f"--timeout {args.timeout:g}: must be positive and finite (seconds)")
    if args.image is None:
        args.image = os.path.join(TOP, "build", args.arch, "bulkhead.bin")
    if not os.path.isfile(args.image):
        ap.error(f"{args.image}: no such image (run `make ARCH={args.arch}` first)")
    if args.log:
        try:  # fail now rather than after the run
            os.makedirs(os.path.dirname(args.log) or ".", exist_ok=True)
            open(args.log, "a", encoding="utf-8").close()
        except OSError as e:
            ap.error(f"--log {args.log}: {e.strerror}")
    if args.stub_image is None:
        args.stub_image = os.path.join(TOP, "build", args.arch, "drivers", "stub.bin")
    if args.dom0_image is None:
        args.dom0_image = os.path.join(TOP, "build", args.arch, "dom0-lite", "dom0-lite.bin")
    if (args.bundle or args.autostart) and not args.dom0:
        ap.error("--bundle and --autostart need --dom0")
    if args.mgmt_socket and not args.dom0:
        ap.error("--mgmt-socket needs --dom0")
    if args.dom0 and not os.path.isfile(args.dom0_image):
        ap.error(f"{args.dom0_image}: no such image (run `make ARCH={args.arch} dom0-lite`)")
    args.board = conf
    return args


def load_guests(paths, arch, smp):
    """Parse and check every config: (guests, errors). Warnings go to stderr at once."""
    guests, errors = [], []

    def warn(msg):
        print(msg, file=sys.stderr)

    for p in paths:
        try:
            guests.append(xlcfg.load_guest(p, guestdt.max_memory_mib(arch), warn))
        except ConfigError as e:
            errors.append(e)
    if not errors:
        try:
            xlcfg.check_set(guests, smp)
        except ConfigError as e:
            errors.append(e)
    return guests, errors


def with_stubs(guests, arch, stub_image, smp):
    """@guests in boot order with each one's stub domain right after it (the pairing of
    docs/stub-domains.md: ids are handed out in node order from 1)."""
    served = {g.stub_of for g in guests if g.stub_of is not None}
    out = []
    for g in guests:
        out.append(g)
        # A guest that a given config already serves (role "stub", stub_of) keeps that one.
        if g.stubdom and g.name not in served:
            out.append(stubdom.make_stub(arch, g, len(out), stub_image))
    if len(out) != len(guests):
        xlcfg.check_set(out, smp)  # a stub's name must not be taken
    return out


def prepare(args, workdir):
    """Everything up to the QEMU command line of the run. Raises ConfigError/ToolError."""
    conf = args.board
    configs = list(args.configs)
    if args.dom0:
        bundle_path = os.path.join(workdir, "bundle.cpio")
        size = bundle.write_bundle(bundle_path, args.bundle, args.autostart, args.stub_image,
                                   args.configs)
        control = os.path.join(workdir, "dom0-lite.cfg")
        bundle.control_config(control, os.path.abspath(args.dom0_image), bundle_path, size)
        configs.insert(0, control)
    guests, errors = load_guests(configs, args.arch, args.smp)
    if errors:
        raise _Errors(errors)
    guests = with_stubs(guests, args.arch, args.stub_image, args.smp)
    for g in guests[:1] if args.dom0 else []:  # dom0-lite: the boot-time domains' names
        g.cmdline = "names=" + ",".join(f"{i}:{d.name}" for i, d in enumerate(guests, 1))
    mgmt_owners = set(args.mgmt_node) | ({guests[0].name} if args.mgmt_socket else set())
    for name in mgmt_owners - {g.name for g in guests}:
        raise ToolError(f"--mgmt-node {name}: no boot-time domain of that name")
    for g in guests:  # the management channel's node (docs/dom0-lite.md)
        g.mgmt, g.mgmt_irq = g.name in mgmt_owners, args.mgmt_irq
    placements = []
    for g in guests:
        placements.append(guestdt.place(args.arch, g))
    domains = []
    for i, (g, p) in enumerate(zip(guests, placements), 1):
        dtb = guestdt.build_guest_dtb(args.arch, g, p, workdir)
        domains.append(hostdt.Domain(i, g, p, dtb))
    ram_base = int(conf["RAM_BASE"], 0)
    hostdt.place_modules(domains, ram_base, args.mem * MiB)

    mem = f"{args.mem}M"
    base_argv = bhqemu.qemu_argv(args.arch, args.image, smp=args.smp, mem=mem)
    board_dtb = os.path.join(workdir, "board.dtb")
    hostdt.dump_board_dtb(base_argv, board_dtb)
    host_dtb = os.path.join(workdir, "host.dtb")
    hostdt.build_host_dtb(board_dtb, domains, host_dtb)

    extra = ["-dtb", host_dtb]
    for d in domains:
        for m in d.modules:
            extra += ["-device", f"loader,file={hostdt.qemu_escape(m.path)},"
                      f"addr={m.host_addr:#x},force-raw=on"]
    argv = bhqemu.qemu_argv(args.arch, args.image, smp=args.smp, mem=mem,
                            append=args.append, icount=args.icount, plugin=args.plugin,
                            extra=extra, mgmt_socket=args.mgmt_socket)
    return domains, argv


class _Errors(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def _summary(domains):
    for d in domains:
        g, p = d.guest, d.placement
        print(f"bh-boot: d{d.domid} {g.name}: {g.memory_mib} MiB, {g.vcpus} vCPU(s), "
              f"role {g.role}" + (f" of {g.stub_of}" if g.stub_of else "")
              + f", kernel ({p.kernel.kind}) at {p.kernel_addr:#x}"
              + (f", ramdisk at {p.ramdisk_addr:#x}" if p.ramdisk_size else "")
              + f", dtb at {p.dtb_addr:#x}", file=sys.stderr)


def guest_outcome(output):
    """The exit status the guests' ends give, and a line per bad end, from the console."""
    refused = [f"bh-boot: the hypervisor refused domain {m.group(1)}: {m.group(2)}"
               for m in REFUSED_RE.finditer(output)]
    crashed = [f"bh-boot: d{m.group(1)} {m.group(2)} crashed: {m.group(3)}"
               for m in CRASH_RE.finditer(output)]
    if refused:
        return EXIT_REFUSED, refused + crashed
    if crashed:
        return EXIT_CRASH, crashed
    return bhqemu.EXIT_OK, []


class _Signalled(BaseException):
    """Raised by the handler of SIGTERM, SIGINT, SIGHUP so that every `finally` runs."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum, frame):
    # One is enough: block the others so the clean-up is not interrupted in turn.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    raise _Signalled(signum)


def main(argv=None):
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_signal)
    try:
        return _main(argv)
    except _Signalled as s:
        print(f"\nbh-boot: {signal.Signals(s.signum).name}: QEMU stopped, temporary files "
              "removed", file=sys.stderr)
        return 128 + s.signum
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except Exception as e:  # a bug of ours: one line, not a traceback
        if os.environ.get("BH_BOOT_DEBUG"):
            raise
        print(f"bh-boot: internal error: {type(e).__name__}: {e} (BH_BOOT_DEBUG=1 shows "
              "where)", file=sys.stderr)
        return EXIT_USAGE


def _main(argv):
    args = _args(sys.argv[1:] if argv is None else argv)
    workdir = None
    try:
        if args.workdir:
            workdir = os.path.abspath(args.workdir)
            try:
                os.makedirs(workdir, exist_ok=True)
            except OSError as e:
                print(f"bh-boot: --workdir {workdir}: {e.strerror}", file=sys.stderr)
                return EXIT_USAGE
        else:
            try:
                workdir = tempfile.mkdtemp(prefix="bh-boot-")
            except OSError as e:
                print(f"bh-boot: cannot make a temporary directory: {e.strerror}",
                      file=sys.stderr)
                return EXIT_USAGE
        try:
            domains, qemu = prepare(args, workdir)
        except _Errors as e:
            for err in e.errors:
                print(err, file=sys.stderr)
            return EXIT_USAGE
        except (ConfigError, ToolError) as e:
            msg = str(e)
            print(msg if msg.startswith("bh-boot:") else f"bh-boot: {msg}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as e:  # a file vanished or became unreadable meanwhile
            print(f"bh-boot: {e.filename or ''}: {e.strerror}", file=sys.stderr)
            return EXIT_USAGE
        _summary(domains)
        if args.dry_run:
            print(" ".join(qemu))
            return bhqemu.EXIT_OK
        result = bhqemu.run(qemu, timeout=args.timeout, log_path=args.log)
        if result.status == bhqemu.EXIT_TIMEOUT:
            print(f"\nbh-boot: timeout after {args.timeout:g} s", file=sys.stderr)
        elif result.status == bhqemu.EXIT_PANIC:
            print("\nbh-boot: the hypervisor panicked", file=sys.stderr)
        elif result.status == bhqemu.EXIT_QEMU:
            print(f"\nbh-boot: QEMU failed (exit {result.returncode})", file=sys.stderr)
        if result.status != bhqemu.EXIT_OK:
            return result.status
        status, lines = guest_outcome(result.output)
        for line in lines:
            print(line, file=sys.stderr)
        return status
    finally:
        # With the stop signals blocked: a second signal must not cut the clean-up short.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        if workdir and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

# SPDX-License-Identifier: MIT
"""What the end-to-end tests share (docs/e2e.md): the build paths, booting a Debian kernel
with the test initramfs through toolstack/bh-boot, and reading the guest's console."""
import os
import re
import subprocess
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
E2E = os.path.join(BUILD, "e2e")
LOG_DIR = os.path.join(BUILD, "test-logs")
BH_BOOT = os.path.join(TOP, "toolstack", "bh-boot")

# One boot is ~10-15 s on an idle 2-core host, ~30-40 s while other QEMU runs share it.
TIMEOUT = 300

# Per arch: the kernel (fetched), its fetch error file, the initramfs, the hypervisor.
FILES = {
    "riscv64": (os.path.join(E2E, "linux-riscv64", "Image"), os.path.join(E2E, "fetch.err"),
                os.path.join(E2E, "initramfs.cpio"),
                os.path.join(BUILD, "riscv64", "bulkhead.bin")),
    "aarch64": (os.path.join(E2E, "linux-arm64", "Image"), os.path.join(E2E, "fetch-arm64.err"),
                os.path.join(E2E, "initramfs-arm64.cpio"),
                os.path.join(BUILD, "aarch64", "bulkhead.bin")),
}


def files(arch):
    """(kernel, cpio, hypervisor image) of @arch; skips the test if the kernel could not
    be fetched (offline), with the fetch's reason."""
    kernel, err, cpio, image = FILES[arch]
    if not os.path.isfile(kernel):
        why = ""
        try:
            with open(err, encoding="utf-8") as f:
                why = f.read().strip()
        except OSError:
            pass
        pytest.skip(f"no Debian kernel at {kernel}: {why or 'run `make e2e` first'}")
    for path in (cpio, image):
        assert os.path.isfile(path), f"{path} missing: run `make e2e`"
    return kernel, cpio, image


def boot(tmp_path, arch, name, vcpus, smp, cmdline, mem_mib=256, copies=1, stub=False):
    """Boot @arch's kernel with the test initramfs as one domain (@copies domains, named
    NAME, NAME2, ...), each with its stub domain's UART if @stub (else the console is the
    hypervisor's: earlycon in @cmdline); (bh-boot's exit status, console text)."""
    kernel, cpio, image = files(arch)
    cfgs = []
    for i in range(copies):
        dom = name if i == 0 else f"{name}{i + 1}"
        cfg = tmp_path / f"{dom}.cfg"
        cfg.write_text(f'name = "{dom}"\nkernel = "{kernel}"\nramdisk = "{cpio}"\n'
                       f"memory = {mem_mib}\nvcpus = {vcpus}\nstubdom = {int(stub)}\n"
                       f"extra = \"{cmdline}\"\n")
        cfgs.append(str(cfg))
    log = os.path.join(LOG_DIR, f"e2e-{arch}-{name}{'' if copies == 1 else f'-x{copies}'}.log")
    os.makedirs(LOG_DIR, exist_ok=True)
    argv = [sys.executable, BH_BOOT, "--arch", arch, "--image", image, "--smp", str(smp),
            "--mem", "1G", "--timeout", str(TIMEOUT), "--log", log] + cfgs
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT + 60)
    print(f"console log: {log}")
    return proc.returncode, proc.stdout.replace("\r\n", "\n")


def guest_lines(out, domid=1):
    """The guest's console lines without the `(dN) ` prefix and the printk timestamp."""
    pre = f"(d{domid}) "
    return [re.sub(r"^\[\s*\d+\.\d+\] ", "", l[len(pre):]) for l in out.splitlines()
            if l.startswith(pre)]


def assert_clean_linux(lines):
    bad = [l for l in lines if re.match(r"(Oops|BUG:|kernel BUG|Kernel panic|WARNING:"
                                        r"|Unable to handle|rcu: INFO|watchdog: BUG)", l)]
    assert not bad, bad


def assert_checks_passed(lines, checks):
    """init's PASS line for each of @checks, no FAIL, and its DONE line."""
    for check in checks:
        assert any(l.startswith(f"e2e: PASS {check}") for l in lines), check
    assert not [l for l in lines if l.startswith("e2e: FAIL")]
    assert f"e2e: DONE {len(checks)} passed, 0 failed" in lines

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lines of privileged code per arch build: every file that goes into bulkhead.elf.

The file list comes from the build itself, not from folder names: `make print-HYP_OBJS`
names the objects the hypervisor links, and each object's dependency file (.d, written by
-MMD) names its source and every header it includes. So lib/common and libfdt count as
soon as the hypervisor links them, and a header counts once however many files include it.
Run through `make sloc`, which builds both arches first.

Columns: our own C (.c and .h) by folder (hypervisor/ core, arch/<arch>/, lib/common/),
their total (the figure the <= 12,000-line target is about), our assembly (.S), and
libfdt (third-party, build/src/libfdt), which is privileged too and shown on its own.
Xen's public headers (Debian's libxen-dev and our RISC-V shim, under build/<arch>/include)
define the ABI's numbers and layouts, not code, and are left out. Lines are non-blank
lines that are not only comments.

    mk/sloc.py [--list] [ARCH...]     --list: print every counted file with its lines
"""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ("core", "arch", "lib", "asm", "libfdt")


def code_lines(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return sum(1 for line in text.splitlines()
               if line.strip() and not line.strip().startswith("//"))


def hyp_objects(arch):
    """The objects bulkhead.elf links, as the Makefile lists them."""
    make = os.environ.get("MAKE", "make")
    out = subprocess.run([make, "-s", "--no-print-directory", f"ARCH={arch}", "print-HYP_OBJS"],
                         cwd=TOP, check=True, capture_output=True, text=True).stdout
    return out.split()


def dep_files(obj):
    """The source and headers of one object, from the first rule of its .d file."""
    dep = os.path.splitext(obj)[0] + ".d"
    path = os.path.join(TOP, dep)
    if not os.path.exists(path):
        sys.exit(f"sloc: {dep} is missing: build first (make sloc does), or make clean")
    text = open(path, encoding="utf-8").read().replace("\\\n", " ")
    rule = text.split("\n", 1)[0]
    return rule.split(":", 1)[1].split()


def column(path, arch, build):
    """Which column a file counts in; None for the ABI headers; exits on a stranger."""
    full = os.path.normpath(os.path.join(TOP, path))
    build = os.path.normpath(os.path.join(TOP, build))
    if full.startswith(os.path.join(build, "src", "libfdt") + os.sep):
        return "libfdt"
    if full.startswith(os.path.join(build, arch, "include") + os.sep):
        return None
    rel = os.path.relpath(full, TOP)
    if rel.endswith(".S"):
        return "asm"
    for prefix, col in (("hypervisor/", "core"), (f"arch/{arch}/", "arch"), ("lib/common/", "lib")):
        if rel.startswith(prefix) and rel.endswith((".c", ".h")):
            return col
    sys.exit(f"sloc: {rel} is linked into the {arch} hypervisor but fits no column")


def count(arch, build, listing):
    files = {}
    for obj in hyp_objects(arch):
        for path in dep_files(obj):
            col = column(path, arch, build)
            if col:
                files[os.path.normpath(path)] = col
    totals = dict.fromkeys(COLUMNS, 0)
    for path, col in sorted(files.items()):
        n = code_lines(os.path.join(TOP, path))
        totals[col] += n
        if listing:
            print(f"  {arch:8} {col:7} {n:6}  {path}")
    return totals


def main(argv):
    listing = "--list" in argv
    arches = [a for a in argv if a != "--list"] or ["aarch64", "riscv64"]
    build = os.path.normpath(os.environ.get("BUILD", "build"))
    rows = [(arch, count(arch, build, listing)) for arch in arches]
    print(f"{'arch':8} {'core C':>7} {'arch C':>7} {'lib C':>6} {'C total':>8} {'asm':>5}"
          f" {'libfdt C':>9}")
    for arch, t in rows:
        c_total = t["core"] + t["arch"] + t["lib"]
        print(f"{arch:8} {t['core']:>7} {t['arch']:>7} {t['lib']:>6} {c_total:>8} {t['asm']:>5}"
              f" {t['libfdt']:>9}")
    print("C total: our own privileged C (target <= 12,000 per arch); asm and libfdt "
          "(third-party) are privileged too, counted apart")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check the hypervisor's layering on its object files: which unit (folder or file) uses
which, against the rules in mk/layers.rules (format described there; see docs/layers.md).

For every object linked into bulkhead.elf, `nm` gives the symbols it defines and the ones
it leaves undefined; each undefined symbol defined by another unit's object is an edge
"this file uses that unit", which the rules must allow. Symbols no object defines (linker
script symbols) are not edges. A callback registered through a function pointer is no
reference in the lower object, so it is the way up.

    mk/layers.py [--rules FILE] [ARCH...]   check build/<arch>, which make layers-check
                                           builds first (objects: make print-HYP_OBJS)
    mk/layers.py --self-test                the checker on two host-compiled objects

Exit status 1 on a violation, each printed as
    layers: <from-file> -> <symbol> (<to-unit>) is not allowed: <rule>
"""
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = os.path.join(TOP, "mk", "layers.rules")


class Rules:
    """The parsed rules file: units (in order), allowed edges, allowlist entries."""

    def __init__(self, text, name):
        self.name = name
        self.units = []  # (unit, [glob...])
        self.may = {}  # unit -> (set of units, line number)
        self.allow = {}  # (file, symbol) -> line number
        for no, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].split()
            where = f"{name}:{no}"
            if not line:
                continue
            if line[0] == "unit" and len(line) >= 3:
                self.units.append((line[1], line[2:]))
            elif line[0] == "allow" and len(line) == 4 and line[2] == "->":
                self.allow[(line[1], line[3])] = no
            elif len(line) >= 2 and line[1] == "->":
                self.may[line[0]] = (set(line[2:]), no)
            else:
                raise SystemExit(f"layers: {where}: cannot parse: {raw.strip()}")
        known = {u for u, _ in self.units}
        for unit, (targets, no) in self.may.items():
            for u in ({unit} | targets) - known:
                raise SystemExit(f"layers: {name}:{no}: unknown unit {u}")
        for unit in known - set(self.may):
            raise SystemExit(f"layers: {name}: unit {unit} has no '{unit} -> ...' rule")

    def unit_of(self, path):
        for unit, globs in self.units:
            if any(fnmatch.fnmatchcase(path, g) for g in globs):
                return unit
        return None

    def explain(self, unit):
        targets, no = self.may[unit]
        allowed = ", ".join(sorted(targets)) or "nothing but itself"
        return f"{unit} may use {allowed} ({self.name}:{no})"


def nm_symbols(nm, obj):
    """(defined globals, undefined) symbols of one object file."""
    out = subprocess.run([nm, obj], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] in "Uwv":
            undefined.add(f[1])
        elif len(f) == 3 and f[1].isupper() and f[1] != "U":
            defined.add(f[2])
    return defined, undefined


def source_name(root, rel):
    """The file to name in messages: the object's source if it is ours, else the object
    path (libfdt's sources live under build/)."""
    for ext in (".c", ".S"):
        if os.path.exists(os.path.join(TOP, rel + ext)):
            return rel + ext
    return rel + ".o"


def check(rules, nm, root, objects, used):
    """Violations (list of message strings) among objects (paths under root)."""
    info = {}
    owner = {}
    for obj in objects:
        rel = os.path.relpath(obj, root)
        rel = rel[:-2] if rel.endswith(".o") else rel
        unit = rules.unit_of(rel)
        if unit is None:
            raise SystemExit(f"layers: {obj} belongs to no unit: add it to {rules.name}")
        defined, undefined = nm_symbols(nm, obj)
        info[obj] = (source_name(root, rel), unit, undefined)
        for sym in defined:
            owner.setdefault(sym, unit)
    bad = []
    for obj in objects:
        src, unit, undefined = info[obj]
        targets, _ = rules.may[unit]
        for sym in sorted(undefined):
            to = owner.get(sym)
            if to is None or to == unit or to in targets:
                continue
            if (src, sym) in rules.allow:
                used.add((src, sym))
                continue
            bad.append(f"layers: {src} -> {sym} ({to}) is not allowed: {rules.explain(unit)}")
    return bad


def make_print(arch, var):
    make = os.environ.get("MAKE", "make")
    return subprocess.run([make, "-s", "--no-print-directory", f"ARCH={arch}", f"print-{var}"],
                          cwd=TOP, check=True, capture_output=True, text=True).stdout.split()


def run(rules_path, arches):
    rules = Rules(open(rules_path, encoding="utf-8").read(), os.path.relpath(rules_path, TOP))
    used, bad = set(), []
    for arch in arches:
        nm = make_print(arch, "NM")[0]
        if not shutil.which(nm):
            nm = "nm"  # binutils' nm reads both ELF arches
        root = os.path.join(TOP, make_print(arch, "O")[0], "obj")
        objects = [os.path.join(TOP, o) for o in make_print(arch, "HYP_OBJS")]
        for msg in check(rules, nm, root, objects, used):
            if msg not in bad:
                bad.append(msg)
    for (src, sym), no in sorted(rules.allow.items(), key=lambda kv: kv[1]):
        if (src, sym) not in used:
            bad.append(f"layers: {rules.name}:{no}: 'allow {src} -> {sym}' matches nothing "
                       "any more: delete it")
    for msg in bad:
        print(msg)
    if bad:
        return 1
    print(f"layers: {', '.join(arches)}: clean ({len(used)} allowlisted, {rules.name})")
    return 0


SELF_TEST_RULES = """
unit low   low/*
unit high  high/*
low  ->
high -> low
"""
SELF_TEST_SRCS = {
    # low registers a callback from high: the legal way up.
    "low/low.c": """
        int high_upcall(void);
        static int (*callback)(void);
        void low_register(int (*f)(void)) { callback = f; }
        int low_fn(void) { return callback ? callback() : 0; }
        int low_bad(void) { return high_upcall(); }
    """,
    "high/high.c": """
        void low_register(int (*f)(void));
        int low_fn(void);
        static int high_cb(void) { return 1; }
        int high_upcall(void) { return 2; }
        int high_fn(void) { low_register(high_cb); return low_fn(); }
    """,
}


def self_test():
    """The checker must find the one upward call in two tiny host objects, tolerate it
    once allowlisted, and not see the callback. Returns 0 on success."""
    with tempfile.TemporaryDirectory() as tmp:
        objects = []
        for rel, text in SELF_TEST_SRCS.items():
            src = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(src), exist_ok=True)
            with open(src, "w", encoding="utf-8") as f:
                f.write(text)
            obj = src[:-2] + ".o"
            subprocess.run([os.environ.get("HOSTCC", "gcc"), "-c", "-O1", src, "-o", obj],
                           check=True)
            objects.append(obj)
        rules = Rules(SELF_TEST_RULES, "self-test")
        bad = check(rules, "nm", tmp, objects, set())
        want = ["layers: low/low.o -> high_upcall (high) is not allowed: "
                "low may use nothing but itself (self-test:4)"]
        if bad != want:
            print(f"layers: self-test FAILED: got {bad}, want {want}")
            return 1
        rules = Rules(SELF_TEST_RULES + "allow low/low.o -> high_upcall\n", "self-test")
        used = set()
        bad = check(rules, "nm", tmp, objects, used)
        if bad or used != {("low/low.o", "high_upcall")}:
            print(f"layers: self-test FAILED with the allowlist: {bad}, used {used}")
            return 1
    print("layers: self-test passed (a forbidden edge is reported, an allowed one is not)")
    return 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    rules = RULES
    if argv[:1] == ["--rules"]:
        rules, argv = argv[1], argv[2:]
    if any(a.startswith("-") for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    return run(rules, argv or ["aarch64", "riscv64"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

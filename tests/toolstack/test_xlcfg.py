# SPDX-License-Identifier: MIT
"""xl.cfg parsing and every config error path of bh-boot.

Good configs are parsed in process. Each bad config is run through the real command
with a fake QEMU on PATH: the test checks the exact `bh-boot: FILE:LINE: key 'KEY':`
prefix, exit status 1, no Python traceback, and that QEMU was never started.
"""
import os

import pytest

from bhboot import xlcfg
from bhboot.xlcfg import ConfigError

GOOD = """\
# A guest, as xl would take it.
name = "web-1.test"     # trailing comment
kernel = 'Image-aarch64'
ramdisk = "initrd"
memory = 0x80
vcpus = 2
extra = "console=hvc0 \\"quoted\\" tab\\there \\x41\\101 # not a comment"
disk = [ 'phy:/dev/vg/web,xvda,w',
         # a comment inside a list
         "file:/srv/web.img,xvdb,r",
       ]
on_crash = "destroy"; maxmem = 256
empty = []
"""


def test_parse_values_and_lines(ws):
    ws.cfg("good.cfg", GOOD)
    s = xlcfg.parse(os.path.join(ws.path, "good.cfg"))
    assert list(s) == ["name", "kernel", "ramdisk", "memory", "vcpus", "extra", "disk",
                       "on_crash", "maxmem", "empty"]
    assert s["name"].value.plain() == "web-1.test" and s["name"].line == 2
    assert s["kernel"].value.kind == "string" and s["kernel"].value.plain() == "Image-aarch64"
    assert s["memory"].value.kind == "int" and s["memory"].value.plain() == 128
    assert s["vcpus"].value.plain() == 2
    assert s["extra"].value.plain() == 'console=hvc0 "quoted" tab\there AA # not a comment'
    assert s["disk"].value.kind == "list" and s["disk"].line == 8
    assert s["disk"].value.plain() == ["phy:/dev/vg/web,xvda,w", "file:/srv/web.img,xvdb,r"]
    assert s["on_crash"].line == 12 and s["maxmem"].line == 12
    assert s["maxmem"].value.plain() == 256
    assert s["empty"].value.plain() == []


def test_load_guest_defaults_and_relative_paths(ws):
    os.makedirs(os.path.join(ws.path, "sub", "k"))
    ws.file("sub/k/Image", b"x" * 100)
    ws.cfg("sub/g.cfg", 'name = "g"\nkernel = "k/Image"\nmemory = 64\n')
    warnings = []
    g = xlcfg.load_guest(os.path.join(ws.path, "sub/g.cfg"), 3072, warnings.append)
    assert g.kernel == os.path.join(ws.path, "sub", "k", "Image")
    assert (g.name, g.memory_mib, g.vcpus, g.role, g.start_after, g.ramdisk, g.cmdline) == \
        ("g", 64, 1, "guest", None, None, "")
    assert warnings == []


def test_load_guest_full(ws):
    ws.cfg("good.cfg", GOOD)
    warnings = []
    g = xlcfg.load_guest(os.path.join(ws.path, "good.cfg"), 3072, warnings.append)
    assert g.ramdisk == os.path.join(ws.path, "initrd") and g.memory == 128 << 20
    # Unknown keys: one warning each, naming file, line and key.
    assert warnings == [
        f"bh-boot: {ws.path}/good.cfg:8: warning: key 'disk': unknown key, ignored",
        f"bh-boot: {ws.path}/good.cfg:12: warning: key 'maxmem': unknown key, ignored",
        f"bh-boot: {ws.path}/good.cfg:13: warning: key 'empty': unknown key, ignored"]
    # on_* (dom0-lite applies them to boot-time guests): known, and checked.
    ws.cfg("bad.cfg", GOOD.replace('on_crash = "destroy"', 'on_crash = "explode"'))
    with pytest.raises(ConfigError, match=r"bad\.cfg:12: key 'on_crash': must be \"destroy\""):
        xlcfg.load_guest(os.path.join(ws.path, "bad.cfg"), 3072)


def test_cmdline_root_extra_as_xl(ws):
    base = 'name = "g"\nkernel = "Image-aarch64"\nmemory = 64\n'
    ws.cfg("a.cfg", base + 'root = "/dev/xvda1 ro"\nextra = "quiet"\n')
    ws.cfg("b.cfg", base + 'root = "/dev/xvda1"\nextra = "quiet"\ncmdline = "only this"\n')
    ws.cfg("c.cfg", base + 'role = "driver"\nstart_after = "other"\n')
    assert xlcfg.load_guest(f"{ws.path}/a.cfg", 3072).cmdline == "root=/dev/xvda1 ro quiet"
    assert xlcfg.load_guest(f"{ws.path}/b.cfg", 3072).cmdline == "only this"
    c = xlcfg.load_guest(f"{ws.path}/c.cfg", 3072)
    assert (c.role, c.start_after) == ("driver", "other")
    ws.cfg("d.cfg", base + 'role = "stub"\nstub_of = "other"\n')
    assert xlcfg.load_guest(f"{ws.path}/d.cfg", 3072).stub_of == "other"


def test_error_str_format():
    assert str(ConfigError("a.cfg", 3, "memory", "bad")) == "bh-boot: a.cfg:3: key 'memory': bad"
    assert str(ConfigError("a.cfg", 3, None, "bad")) == "bh-boot: a.cfg:3: bad"


def test_unknown_key_warning_from_the_command(ws, bh_boot):
    """A warning does not stop the run: the fake QEMU is reached (for dumpdtb)."""
    ws.cfg("g.cfg", 'name = "g"\nkernel = "Image-aarch64"\nmemory = 64\n'
           'vif = [ "bridge=xenbr0" ]\n')
    r = bh_boot("--arch", "aarch64", "g.cfg")
    assert "bh-boot: g.cfg:4: warning: key 'vif': unknown key, ignored" in r.err
    assert r.qemu_started and r.rc == 1 and "could not dump its device tree" in r.err
    assert "Traceback" not in r.err


OK = 'name = "g"\nkernel = "Image-aarch64"\nmemory = 64\n'


@pytest.mark.parametrize("cpus,vcpus,want", [
    ('"all"', 2, [None, None]),
    ('"0-3,5"', 2, [[0, 1, 2, 3, 5]] * 2),
    ('" 2 , 0 "', 1, [[0, 2]]),
    ('"0-7,^1-2"', 1, [[0, 3, 4, 5, 6, 7]]),
    ('"^0"', 1, [[1, 2, 3, 4, 5, 6, 7]]),
    ('["2", "3"]', 2, [[2], [3]]),
    ('["1"]', 3, [[1], None, None]),
    ('[0, "all"]', 2, [[0], None]),
])
def test_cpus_weight_cap(ws, cpus, vcpus, want):
    ws.file("Image", b"x" * 100)
    ws.cfg("g.cfg", f'name = "g"\nkernel = "Image"\nmemory = 64\nvcpus = {vcpus}\n'
           f'cpus = {cpus}\nweight = 512\ncap = 25\n')
    g = xlcfg.load_guest(os.path.join(ws.path, "g.cfg"), 3072)
    assert g.affinity == want
    assert (g.weight, g.cap) == (512, 25)


def test_sched_defaults_and_cpulist_text(ws):
    ws.file("Image", b"x" * 100)
    ws.cfg("g.cfg", 'name = "g"\nkernel = "Image"\nmemory = 64\nvcpus = 3\n')
    g = xlcfg.load_guest(os.path.join(ws.path, "g.cfg"), 3072)
    assert (g.weight, g.cap, g.affinity) == (256, 0, [None] * 3)
    assert xlcfg.cpulist_text([0, 1, 2, 3, 5, 7]) == "0-3,5,7"
    assert xlcfg.cpulist_text([4]) == "4"

# (test id, config text, extra options, expected message prefix after "bh-boot: g.cfg:")
BAD = [
    ("missing-memory", 'name = "g"\nkernel = "Image-aarch64"\nvcpus = 1\n', (),
     "3: key 'memory': missing (a required key)"),
    ("missing-name", '# no name\nkernel = "Image-aarch64"\nmemory = 64\n', (),
     "3: key 'name': missing (a required key)"),
    ("missing-kernel", 'name = "g"\n\nmemory = 64\n\n', (),
     "4: key 'kernel': missing (a required key)"),
    ("bad-int", 'name = "g"\nkernel = "Image-aarch64"\nmemory = 12x\n', (),
     "3: key 'memory': bad integer '12x'"),
    ("leading-zero", 'name = "g"\nkernel = "Image-aarch64"\nmemory = 064\n', (),
     "3: key 'memory': bad integer '064'"),
    ("quoted-int", 'name = "g"\nkernel = "Image-aarch64"\nmemory = "64"\n', (),
     "3: key 'memory': expected an integer, got a \"string\""),
    ("list-for-string", 'name = [ "g" ]\nkernel = "Image-aarch64"\nmemory = 64\n', (),
     "1: key 'name': expected a \"string\", got a [list]"),
    ("int-for-string", 'name = "g"\nkernel = 5\nmemory = 64\n', (),
     "2: key 'kernel': expected a \"string\", got an integer"),
    ("unterminated-string", 'name = "g\nkernel = "Image-aarch64"\nmemory = 64\n', (),
     "1: key 'name': unterminated string (missing closing \")"),
    ("unterminated-single", "name = 'g\"\n", (),
     "1: key 'name': unterminated string (missing closing ')"),
    ("bad-escape", 'name = "g"\nextra = "a\\qb"\n', (),
     "2: key 'extra': bad escape sequence '\\q' in string"),
    ("unterminated-list", OK + 'disk = [ "a",\n  "b"\n', (),
     "6: key 'disk': unterminated list (the '[' at line 4 has no ']')"),
    ("list-missing-comma", OK + 'disk = [ "a" "b" ]\n', (),
     "4: key 'disk': expected ',' or ']' in the list, got a string"),
    ("bareword", 'name = g\n', (),
     "1: key 'name': expected a value (a \"string\", an integer or a [list]), got 'g'"),
    ("no-equals", OK + 'vcpus 2\n', (),
     "4: key 'vcpus': expected '=' after the key, got '2'"),
    ("no-value", OK + 'vcpus =\n', (),
     "4: key 'vcpus': expected a value, got the end of the line"),
    ("two-values", OK + 'vcpus = 2 3\n', (),
     "4: key 'vcpus': expected the end of the line after the value, got '3'"),
    ("plus-equals", OK + 'extra += "x"\n', (),
     "4: key 'extra': '+=' is not supported"),
    ("stray-char", OK + '$x = 1\n', (),
     "4: unexpected character '$'"),
    ("duplicate-key", OK + 'vcpus = 1\n\nmemory = 32\n', (),
     "6: key 'memory': given twice (first at line 3)"),
    ("empty-name", 'name = ""\nkernel = "Image-aarch64"\nmemory = 64\n', (),
     "1: key 'name': must not be empty"),
    ("bad-name", 'name = "web 1"\nkernel = "Image-aarch64"\nmemory = 64\n', (),
     "1: key 'name': 'web 1': only letters, digits, '_', '.' and '-' allowed"),
    ("memory-too-small", 'name = "g"\nkernel = "Image-aarch64"\nmemory = 1\n', (),
     "3: key 'memory': 1 MiB out of range (2..3072 MiB)"),
    ("memory-too-big", 'name = "g"\nkernel = "Image-aarch64"\nmemory = 3073\n', (),
     "3: key 'memory': 3073 MiB out of range (2..3072 MiB)"),
    ("memory-over-host", 'name = "g"\nkernel = "Image-aarch64"\nmemory = 900\n', (),
     "3: key 'memory': 900 MiB does not fit: host RAM is 1024 MiB"),
    ("memory-over-small-host", 'name = "g"\nkernel = "Image-aarch64"\nmemory = 64\n',
     ("--mem", "320"), "3: key 'memory': 64 MiB does not fit: host RAM is 320 MiB"),
    ("vcpus-zero", OK + "vcpus = 0\n", (), "4: key 'vcpus': 0 out of range (1..8)"),
    ("vcpus-nine", OK + "vcpus = 9\n", (), "4: key 'vcpus': 9 out of range (1..8)"),
    ("weight-zero", OK + "weight = 0\n", (), "4: key 'weight': 0 out of range (1..65535"),
    ("weight-too-big", OK + "weight = 65536\n", (),
     "4: key 'weight': 65536 out of range (1..65535"),
    ("weight-string", OK + 'weight = "256"\n', (),
     "4: key 'weight': expected an integer, got a \"string\""),
    ("cap-over-vcpus", OK + "cap = 101\n", (), "4: key 'cap': 101 out of range (0..100"),
    ("cap-over-two-vcpus", OK + "vcpus = 2\ncap = 201\n", (),
     "5: key 'cap': 201 out of range (0..200"),
    ("cpus-int", OK + "cpus = 3\n", (),
     "4: key 'cpus': expected a \"string\" or a [list], got an integer"),
    ("cpus-garbage", OK + 'cpus = "0-x"\n', (),
     "4: key 'cpus': '0-x' is not a CPU, a range N-M or ^N"),
    ("cpus-backwards", OK + 'cpus = "3-1"\n', (), "4: key 'cpus': '3-1': the range is backwards"),
    ("cpus-no-such-cpu", OK + 'cpus = "9"\n', (),
     "4: key 'cpus': '9': CPU 9 does not exist (CPUs are 0..7)"),
    ("cpus-empty", OK + 'cpus = ""\n', (), "4: key 'cpus': an empty CPU list"),
    ("cpus-nothing-left", OK + 'cpus = "1,^1"\n', (), "4: key 'cpus': '1,^1' leaves no CPU"),
    ("cpus-numa", OK + 'cpus = "nodes:0"\n', (),
     "4: key 'cpus': NUMA node lists (nodes:...) are not supported"),
    ("cpus-list-too-long", OK + 'cpus = ["0", "1"]\n', (),
     "4: key 'cpus': 2 items for 1 vCPU(s)"),
    ("cpus-nested", OK + 'vcpus = 2\ncpus = [["0"]]\n', (),
     "5: key 'cpus': item 0 is a list"),
    ("cpus-over-smp", OK + 'vcpus = 2\ncpus = ["0", "2-3"]\n', ("--smp", "2"),
     "5: key 'cpus': vCPU 1 may run on CPU 3 but the board has only 2 CPUs"),
    ("missing-kernel-file", 'name = "g"\nkernel = "nope/Image"\nmemory = 64\n', (),
     "2: key 'kernel': nope/Image: no such file"),
    ("kernel-is-dir", 'name = "g"\nkernel = "."\nmemory = 64\n', (),
     "2: key 'kernel': .: not a regular file"),
    ("missing-ramdisk-file", OK + 'ramdisk = "no-initrd"\n', (),
     "4: key 'ramdisk': no-initrd: no such file"),
    ("empty-kernel-file", 'name = "g"\nkernel = "empty"\nmemory = 64\n', (),
     "2: key 'kernel': empty: empty file"),
    ("elf-kernel", 'name = "g"\nkernel = "vmlinux"\nmemory = 64\n', (),
     "2: key 'kernel': an ELF file"),
    ("bad-role", OK + 'role = "dom0"\n', (),
     "4: key 'role': 'dom0': must be one of guest, control, stub, driver"),
    ("stub-of-not-a-stub", OK + 'stub_of = "h"\n', (),
     "4: key 'stub_of': only a domain with role = \"stub\" serves another"),
    ("stub-of-self", OK + 'role = "stub"\nstub_of = "g"\n', (),
     "5: key 'stub_of': 'g' is not another domain's name"),
    ("stub-of-unknown", OK + 'role = "stub"\nstub_of = "db"\n', (),
     "5: key 'stub_of': 'db' is not a guest given before this stub"),
    ("start-after-self", OK + 'start_after = "g"\n', (),
     "4: key 'start_after': a domain cannot wait for itself"),
    ("start-after-unknown", OK + 'start_after = "db"\n', (),
     "4: key 'start_after': 'db' is not one of the domains given (g)"),
    ("kernel-too-big-for-memory",
     'name = "g"\nkernel = "Image-huge"\nmemory = 16\n', (),
     "3: key 'memory': 16 MiB is too small for the kernel"),
    ("ramdisk-overlaps-kernel",
     'name = "g"\nkernel = "Image-aarch64"\nmemory = 8\nramdisk = "initrd-5M"\n', (),
     "4: key 'ramdisk': 5242880 bytes do not fit"),
    ("module-over-host-ram",
     'name = "g"\nkernel = "Image-aarch64"\nmemory = 128\nramdisk = "initrd-62M"\n',
     ("--mem", "320"), "4: key 'ramdisk': the ramdisk module (65011712 bytes) does not fit "
     "in host RAM"),
]


@pytest.mark.parametrize("text,opts,expect", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config(ws, bh_boot, text, opts, expect):
    from conftest import arm64_image
    ws.file("empty", b"")
    ws.file("vmlinux", b"\x7fELF" + bytes(100))
    ws.file("Image-huge", arm64_image(image_size=15 << 20))
    ws.file("initrd-5M", bytes(5 << 20))
    ws.file("initrd-62M", bytes(62 << 20))
    ws.cfg("g.cfg", text)
    r = bh_boot("--arch", "aarch64", *opts, "g.cfg")
    assert r.rc == 1, r.err
    assert f"bh-boot: g.cfg:{expect}" in r.err, r.err
    assert r.err.count("bh-boot: g.cfg:") - r.err.count("warning:") == 1
    assert "Traceback" not in r.err
    assert not r.qemu_started


def test_duplicate_names_across_configs(ws, bh_boot):
    ws.cfg("a.cfg", OK)
    ws.cfg("b.cfg", "# second\n" + OK)
    r = bh_boot("--arch", "riscv64", "a.cfg", "b.cfg")
    assert r.rc == 1 and not r.qemu_started
    assert "bh-boot: b.cfg:2: key 'name': 'g' is already the name of the guest in a.cfg:1" \
        in r.err


def test_start_after_loop(ws, bh_boot):
    ws.cfg("a.cfg", OK.replace('"g"', '"a"') + 'start_after = "b"\n')
    ws.cfg("b.cfg", OK.replace('"g"', '"b"') + 'start_after = "a"\n')
    r = bh_boot("--arch", "aarch64", "a.cfg", "b.cfg")
    assert r.rc == 1 and not r.qemu_started
    assert "bh-boot: a.cfg:4: key 'start_after': start_after loops: a -> b -> a" in r.err


def test_every_bad_config_is_reported(ws, bh_boot):
    """Errors in several files are all reported in one run."""
    ws.cfg("a.cfg", 'name = "a"\nkernel = "Image-aarch64"\nmemory = x\n')
    ws.cfg("b.cfg", 'name = "b"\nkernel = "Image-aarch64"\nmemory = 64\nvcpus = 99\n')
    r = bh_boot("--arch", "aarch64", "a.cfg", "b.cfg")
    assert r.rc == 1 and not r.qemu_started
    assert "bh-boot: a.cfg:3: key 'memory': expected a value" in r.err
    assert "bh-boot: b.cfg:4: key 'vcpus': 99 out of range (1..8)" in r.err


@pytest.mark.parametrize("case", ["missing", "binary", "directory"])
def test_unreadable_config(ws, bh_boot, case):
    if case == "binary":
        ws.file("x.cfg", b"name = \"\xff\xfe\"\n")
    elif case == "directory":
        os.mkdir(os.path.join(ws.path, "x.cfg"))
    r = bh_boot("--arch", "aarch64", "x.cfg")
    assert r.rc == 1 and not r.qemu_started and "Traceback" not in r.err
    assert r.err.startswith("bh-boot: x.cfg: ")
    assert {"missing": "cannot read: No such file or directory",
            "binary": "not a text file (invalid UTF-8)",
            "directory": "cannot read: Is a directory"}[case] in r.err


@pytest.mark.parametrize("opts,expect", [
    (["--arch", "sparc"], "argument --arch: invalid choice"),
    (["--arch", "aarch64", "--mem", "lots"], "bad size 'lots'"),
    (["--arch", "aarch64", "--mem", "128"], "--mem 128: at least 320 MiB"),
    (["--arch", "aarch64", "--smp", "9"], "--smp 9: 1..8 CPUs"),
    (["--arch", "aarch64", "--timeout", "0"], "--timeout 0: must be positive"),
])
def test_bad_usage(bh_boot, opts, expect):
    r = bh_boot(*opts)
    assert r.rc == 1 and not r.qemu_started and "Traceback" not in r.err
    assert expect in r.err, r.err


def test_missing_image(bh_boot):
    r = bh_boot("--arch", "aarch64", "--image", "no/such.bin", image_arg=False)
    assert r.rc == 1 and not r.qemu_started
    assert "bh-boot: no/such.bin: no such image (run `make ARCH=aarch64` first)" in r.err

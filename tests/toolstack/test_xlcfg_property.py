# SPDX-License-Identifier: MIT
"""Property-based tests of the xl.cfg parser (Debian's python3-hypothesis).

1. Any text, random or built from the grammar's own characters, either parses or raises
   ConfigError: never another exception (IndexError, RecursionError, ValueError...).
2. Any valid set of settings, written out with random layout (newlines or `;`, comments,
   blank lines, hex or decimal, lists across lines, trailing commas), parses back to the
   same keys, values and line numbers.
3. Any valid guest config (name, memory, vcpus, role in range) loads into the same Guest.

Bounded: a fixed number of examples, no example database left in the tree.
"""
import os
import string
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from conftest import BUILD

# Hypothesis caches Unicode tables in its home directory: keep it under build/.
set_hypothesis_home_dir(os.path.join(BUILD, "hypothesis"))

from bhboot import xlcfg
from bhboot.xlcfg import ConfigError

BOUNDED = settings(max_examples=200, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow])

# The characters the lexer treats specially, plus some it must refuse cleanly.
GRAMMAR = list("abcxyz_019.=+;,[]\"'\\#\n\t \r") + ["\u00b2", "\u00e9", "\u0664", "$", "\0"]


def _parse_only_config_errors(text):
    try:
        xlcfg.parse("p.cfg", text)
    except ConfigError as e:
        assert str(e).startswith("bh-boot: p.cfg:"), str(e)
        assert "\n" not in str(e), "an error message is one line"


@BOUNDED
@given(st.text(max_size=300))
def test_random_text_raises_only_config_errors(text):
    _parse_only_config_errors(text)


@BOUNDED
@given(st.text(alphabet=st.sampled_from(GRAMMAR), max_size=300))
def test_grammar_soup_raises_only_config_errors(text):
    _parse_only_config_errors(text)


@BOUNDED
@given(st.integers(min_value=1, max_value=3000))
def test_deep_lists_raise_only_config_errors(depth):
    _parse_only_config_errors("disk = " + "[" * depth + "]" * depth + "\n")


# ---- valid configs round-trip ----

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,10}", fullmatch=True)
scalars = st.one_of(st.text(max_size=30).map(lambda s: ("string", s)),
                    st.integers(min_value=0, max_value=(1 << 64) - 1).map(lambda n: ("int", n)))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4).map(
    lambda items: ("list", items)), max_leaves=12)


def _plain(v):
    kind, x = v
    return [_plain(i) for i in x] if kind == "list" else x


def _escape(s, quote):
    out = []
    for ch in s:
        if ch in ("\\", quote):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def _write(v, draw):
    """Value @v as xl.cfg text (escaped strings never hold a raw newline; lists may)."""
    kind, x = v
    if kind == "string":
        return _escape(x, draw(st.sampled_from(['"', "'"])))
    if kind == "int":
        return hex(x) if draw(st.booleans()) else str(x)
    parts = [_write(item, draw) + draw(st.sampled_from([", ", ",\n  ", " ,"])) for item in x]
    if parts and draw(st.booleans()):  # no trailing comma after the last item
        parts[-1] = parts[-1].rstrip(" ,\n")
    return "[ " + "".join(parts) + "]"


@st.composite
def configs(draw):
    settings_ = draw(st.dictionaries(keys, values, max_size=8))
    lines, line, expect = [], 1, {}
    for key, v in settings_.items():
        for _ in range(draw(st.integers(0, 2))):
            lines.append(draw(st.sampled_from(["", "# a comment", "  # x = [ '"])) + "\n")
            line += 1
        text = _write(v, draw)
        expect[key] = (_plain(v), line)
        end = draw(st.sampled_from(["\n", " # trailing\n", ";\n", "; \n"]))
        lines.append(f"{key}{draw(st.sampled_from(['=', ' = ', '  =  ']))}{text}{end}")
        line += text.count("\n") + 1
    return "".join(lines), expect


@BOUNDED
@given(configs())
def test_valid_configs_round_trip(case):
    text, expect = case
    got = xlcfg.parse("p.cfg", text)
    assert list(got) == list(expect)
    for key, (value, line) in expect.items():
        assert got[key].value.plain() == value
        assert got[key].line == line


@settings(max_examples=50, deadline=None, database=None)
@given(name=st.from_regex(r"[A-Za-z0-9_.-]{1,31}", fullmatch=True),
       memory=st.integers(min_value=2, max_value=3072), vcpus=st.integers(1, 8),
       role=st.sampled_from(xlcfg.ROLES), extra=st.text(max_size=40).filter(
           lambda s: "\0" not in s))
def test_valid_guest_configs_load(name, memory, vcpus, role, extra):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "Image"), "wb") as f:
            f.write(b"\0" * 64)
        cfg = os.path.join(d, "g.cfg")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(f"name = {_escape(name, chr(34))}\nkernel = 'Image'\n"
                    f"memory = {memory}; vcpus = {hex(vcpus)}\nrole = '{role}'\n"
                    f"extra = {_escape(extra, chr(39))}\n")
        g = xlcfg.load_guest(cfg, 3072)
    assert (g.name, g.memory_mib, g.vcpus, g.role, g.cmdline) == \
        (name, memory, vcpus, role, extra)
    assert g.kernel == os.path.join(d, "Image")


def test_names_over_31_bytes_are_refused():
    assert xlcfg.name_problem("a" * 31) is None
    assert "at most 31" in xlcfg.name_problem("a" * 32)
    assert xlcfg.name_problem("") == "must not be empty"
    for bad in ("a b", "a/b", "\u00e9", "a\nb", "a,b", "x" * 4096):
        assert xlcfg.name_problem(bad), bad
    assert set(string.ascii_letters + string.digits + "_.-") <= set(
        c for c in map(chr, range(128)) if xlcfg.name_problem(c) is None)

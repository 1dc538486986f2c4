# SPDX-License-Identifier: MIT
"""Guest configuration files in Xen's xl.cfg syntax.

The grammar is the one Xen's libxlu accepts: `KEY = VALUE` settings, one per line or
separated by `;`, `#` comments, and values that are "double" or 'single' quoted strings
(C escapes), integers (decimal or 0x hex) or lists `[ v, v, ... ]` that may span lines
and may end with a comma. Two deliberate differences, both stricter: a key given twice
is an error (xl silently keeps one), and an integer key does not accept a quoted number.

parse() returns the settings with their line numbers; load_guest() checks the keys
bh-boot knows and turns them into a Guest. Every problem is a ConfigError that names the
file, the line and the key; unknown keys only produce a warning (xl has many keys we do
not use yet).
"""
import errno
import os
import re
import stat

ROLES = ("guest", "control", "stub", "driver")
NAME_RE = re.compile(r"[A-Za-z0-9_.-]+\Z")
# The lexer takes a whole word (Unicode letters and digits included) and then checks
# it, so `naïve = 1` or `memory = ²` get a message about the word, not a crash.
WORD_RE = re.compile(r"[\w.]+")
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
ASCII_DIGITS = "0123456789"
MAX_VCPUS = 8                 # the hypervisor's MAX_VCPUS
MAX_CPUS = 8                  # the hypervisor's MAX_CPUS: pCPU numbers are 0..7
WEIGHT_DEFAULT, WEIGHT_MAX = 256, 65535   # Xen's credit/credit2 weights
MIN_MEMORY_MIB = 2
# Whether a guest without a `stubdom` key gets a stub domain: every guest does (issue 14);
# the project's own test guests, which never touch a UART, say `stubdom = 0`.
STUBDOM_DEFAULT = 1
NAME_MAX = 31                 # the hypervisor's DOMAIN_NAME_MAX (32) less its NUL
MAX_LIST_DEPTH = 16           # xl's lists nest one or two deep; this bounds recursion
MAX_NUMBER_LEN = 24           # digits of an integer token (0x + 16 hex digits fits)
MAX_FILE_SIZE = 1 << 20       # a config is a few hundred bytes; refuse megabytes


class ConfigError(Exception):
    """A problem in FILE at LINE, about KEY when there is one."""

    def __init__(self, path, line, key, problem):
        super().__init__(problem)
        self.path, self.line, self.key, self.problem = path, line, key, problem

    def __str__(self):
        where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        what = f"key '{self.key}': " if self.key else ""
        return f"bh-boot: {where}{what}{self.problem}"


class Value:
    """A parsed value: kind is 'string', 'int' or 'list' (of Values)."""

    def __init__(self, kind, value, line):
        self.kind, self.value, self.line = kind, value, line

    def plain(self):
        return [v.plain() for v in self.value] if self.kind == "list" else self.value


class Setting:
    """`key = value` at line."""

    def __init__(self, key, value, line):
        self.key, self.value, self.line = key, value, line


# ---- lexer ----

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
            "\\": "\\", '"': '"', "'": "'"}


class _Lexer:
    """Tokens of one file: (kind, text/value, line). Kinds: ident = += ; , [ ] str num nl."""

    def __init__(self, path, text):
        self.path, self.text, self.pos, self.line = path, text, 0, 1
        self.key = None  # the key of the setting being read, for error messages

    def error(self, problem, line=None):
        return ConfigError(self.path, line or self.line, self.key, problem)

    def tokens(self):
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c == "\n":
                yield ("nl", None, self.line)
                self.line += 1
                self.pos += 1
            elif c in " \t\r\f\v":
                self.pos += 1
            elif c == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif c in "=;,[]":
                yield (c, c, self.line)
                self.pos += 1
            elif c == "+" and text.startswith("+=", self.pos):
                yield ("+=", "+=", self.line)
                self.pos += 2
            elif c in "\"'":
                yield ("str", self._string(c), self.line)
            elif c in ASCII_DIGITS:
                m = WORD_RE.match(text, self.pos)
                self.pos = m.end()
                yield ("num", m.group(0), self.line)
            elif c.isalpha() or c == "_":
                m = WORD_RE.match(text, self.pos)
                self.pos = m.end()
                if not IDENT_RE.match(m.group(0)):
                    self.key = m.group(0)
                    raise self.error("a key is ASCII letters, digits, '_' and '.', "
                                     "starting with a letter or '_'")
                yield ("ident", m.group(0), self.line)
            elif c.isdigit() or c.isnumeric():
                raise self.error(f"unexpected character {c!r} (integers are ASCII digits)")
            else:
                raise self.error(f"unexpected character {c!r}")  # repr: always one line
        yield ("eof", None, self.line)

    def _string(self, quote):
        text, out, i = self.text, [], self.pos + 1
        while True:
            if i >= len(text) or text[i] == "\n":
                raise self.error(f"unterminated string (missing closing {quote})")
            c = text[i]
            if c == quote:
                self.pos = i + 1
                return "".join(out)
            if c != "\\":
                out.append(c)
                i += 1
                continue
            e = text[i + 1] if i + 1 < len(text) else ""
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                i += 2
            elif e == "x" and re.match(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
                out.append(chr(int(text[i + 2:i + 4], 16)))
                i += 4
            elif e and e in "01234567":
                m = re.match(r"[0-7]{1,3}", text[i + 1:])
                out.append(chr(int(m.group(0), 8)))
                i += 1 + len(m.group(0))
            else:
                raise self.error(f"bad escape sequence '\\{e}' in string")


def _int_value(text):
    """The integer of a number token, or None: decimal without leading zeros, or 0x hex."""
    if len(text) > MAX_NUMBER_LEN:
        return None
    if re.fullmatch(r"0|[1-9][0-9]*", text):
        return int(text, 10)
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return int(text, 16)
    return None


# ---- parser ----

def parse(path, text=None):
    """The settings of an xl.cfg file, {key: Setting}, in file order. Raises ConfigError."""
    if text is None:
        text = read_text(path)
    lex = _Lexer(path, text)
    toks = lex.tokens()
    settings = {}
    tok = next(toks)
    while tok[0] != "eof":
        kind, val, line = tok
        lex.key = None
        if kind in ("nl", ";"):
            tok = next(toks)
            continue
        if kind != "ident":
            raise lex.error(f"expected a setting `KEY = VALUE`, got {_show(tok)}", line)
        key = val
        lex.key = key
        tok = next(toks)
        if tok[0] == "+=":
            raise lex.error("'+=' is not supported: give the whole value with '='", tok[2])
        if tok[0] != "=":
            raise lex.error(f"expected '=' after the key, got {_show(tok)}", tok[2])
        value, tok = _value(lex, toks, next(toks))
        if tok[0] not in ("nl", ";", "eof"):
            raise lex.error(f"expected the end of the line after the value, got {_show(tok)}",
                            tok[2])
        if key in settings:
            raise lex.error(f"given twice (first at line {settings[key].line})", line)
        settings[key] = Setting(key, value, line)
    return settings


def read_text(path):
    """The text of config @path. Raises ConfigError; never blocks on a FIFO or a device."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang us.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb", buffering=0) as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise ConfigError(path, 0, None, "cannot read: Is a directory")
            if not stat.S_ISREG(st.st_mode):
                raise ConfigError(path, 0, None, "not a regular file")
            data = f.read(MAX_FILE_SIZE + 1)
    except OSError as e:
        raise ConfigError(path, 0, None, f"cannot read: {e.strerror}") from None
    except ValueError:  # a NUL in the path
        raise ConfigError(path, 0, None, "cannot read: bad file name") from None
    if len(data) > MAX_FILE_SIZE:
        raise ConfigError(path, 0, None, f"too large (over {MAX_FILE_SIZE} bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, 0, None, "not a text file (invalid UTF-8)") from None


def _show(tok):
    kind, val, _ = tok
    if kind == "nl":
        return "the end of the line"
    if kind == "eof":
        return "the end of the file"
    if kind == "str":
        return "a string"
    return f"'{val}'"


def _value(lex, toks, tok, depth=0):
    """Parse one value starting at tok; return (Value, next token)."""
    kind, val, line = tok
    if kind == "str":
        return Value("string", val, line), next(toks)
    if kind == "num":
        n = _int_value(val)
        if n is None:
            raise lex.error(f"bad integer '{val}' (decimal, or hex with 0x)", line)
        return Value("int", n, line), next(toks)
    if kind == "[":
        if depth >= MAX_LIST_DEPTH:
            raise lex.error(f"lists nested more than {MAX_LIST_DEPTH} deep", line)
        items = []
        tok = next(toks)
        while True:
            while tok[0] == "nl":
                tok = next(toks)
            if tok[0] == "]":
                return Value("list", items, line), next(toks)
            if tok[0] == "eof":
                raise lex.error(f"unterminated list (the '[' at line {line} has no ']')",
                                tok[2])
            item, tok = _value(lex, toks, tok, depth + 1)
            items.append(item)
            while tok[0] == "nl":
                tok = next(toks)
            if tok[0] == "eof":
                continue  # reported as an unterminated list above
            if tok[0] == ",":
                tok = next(toks)
            elif tok[0] != "]":
                raise lex.error(f"expected ',' or ']' in the list, got {_show(tok)}", tok[2])
    if kind == "ident":
        raise lex.error(f"expected a value (a \"string\", an integer or a [list]), got "
                        f"'{val}' (strings need quotes)", line)
    raise lex.error(f"expected a value, got {_show(tok)}", line)


# ---- the keys bh-boot knows ----

class Guest:
    """One guest as its config describes it (paths absolute, sizes in bytes)."""

    def __init__(self, path):
        self.path = path            # the config file, as given
        self.lines = {}             # key -> line, for error messages
        self.name = None
        self.kernel = None          # absolute path
        self.ramdisk = None         # absolute path or None
        self.memory_mib = None
        self.vcpus = 1
        self.cmdline = ""
        self.role = "guest"
        self.start_after = None
        self.stub_of = None         # role "stub": the name of the guest it serves
        self.weight = WEIGHT_DEFAULT
        self.cap = 0                # percent of one pCPU, 0 = none
        self.affinity = []          # per vCPU: sorted pCPU list, or None for all
        self.stubdom = 0            # 1: a stub domain serves its UART (docs/stub-domains.md)
        self.dtb_reserve = None     # bytes kept for the device tree at RAM end (None: 2 MiB)

    @property
    def memory(self):
        return self.memory_mib << 20

    def error(self, key, problem):
        return ConfigError(self.path, self.lines.get(key, 0), key, problem)


# key -> (type, required)
KEYS = {
    "name": ("string", True),
    "kernel": ("string", True),
    "memory": ("int", True),
    "vcpus": ("int", False),
    "ramdisk": ("string", False),
    "extra": ("string", False),
    "cmdline": ("string", False),
    "root": ("string", False),
    "role": ("string", False),
    "start_after": ("string", False),
    "stub_of": ("string", False),
    "weight": ("int", False),
    "cap": ("int", False),
    "cpus": (("string", "list"), False),
    "stubdom": ("int", False),
    # Applied by dom0-lite (bh-boot --dom0: the config goes into its bundle as boot/NAME.cfg);
    # without dom0-lite a boot-time guest that ends is freed (docs/bh-boot.md).
    "on_poweroff": ("string", False),
    "on_reboot": ("string", False),
    "on_crash": ("string", False),
}
ACTIONS = ("destroy", "restart", "preserve")

_KIND_NAME = {"string": "a \"string\"", "int": "an integer", "list": "a [list]"}


def load_guest(path, max_memory_mib, warn=None):
    """Parse and check one guest config. Raises ConfigError; unknown keys go to warn()."""
    text = read_text(path)
    settings = parse(path, text)
    g = Guest(path)
    nlines = max(1, text.count("\n") + (0 if text.endswith("\n") or not text else 1))
    for key, s in settings.items():
        g.lines[key] = s.line
        if key not in KEYS:
            if warn:
                warn(f"bh-boot: {path}:{s.line}: warning: key '{key}': unknown key, ignored")
            continue
        want = KEYS[key][0]
        wants = want if isinstance(want, tuple) else (want,)
        if s.value.kind not in wants:
            expected = " or ".join(_KIND_NAME[w] for w in wants)
            raise ConfigError(path, s.line, key, f"expected {expected}, got "
                              f"{_KIND_NAME[s.value.kind]}")
    for key, (_, required) in KEYS.items():
        if required and key not in settings:
            raise ConfigError(path, nlines, key, "missing (a required key)")

    def get(key, default=None):
        return settings[key].value.value if key in settings else default

    for key in settings:
        if KEYS.get(key, ("",))[0] == "string" and "\0" in get(key):
            raise g.error(key, "must not contain a NUL character")
    g.name = get("name")
    problem = name_problem(g.name)
    if problem:
        raise g.error("name", problem)
    base = os.path.dirname(os.path.abspath(path))
    g.kernel = _file(g, "kernel", base, get("kernel"))
    if "ramdisk" in settings:
        g.ramdisk = _file(g, "ramdisk", base, get("ramdisk"))
    g.memory_mib = get("memory")
    if not MIN_MEMORY_MIB <= g.memory_mib <= max_memory_mib:
        raise g.error("memory", f"{g.memory_mib} MiB out of range "
                      f"({MIN_MEMORY_MIB}..{max_memory_mib} MiB)")
    g.vcpus = get("vcpus", 1)
    if not 1 <= g.vcpus <= MAX_VCPUS:
        raise g.error("vcpus", f"{g.vcpus} out of range (1..{MAX_VCPUS})")
    # As xl: `cmdline` wins; else "root=ROOT EXTRA".
    if "cmdline" in settings:
        g.cmdline = get("cmdline")
    else:
        parts = ([f"root={get('root')}"] if "root" in settings else []) + \
                ([get("extra")] if get("extra") else [])
        g.cmdline = " ".join(parts)
    g.role = get("role", "guest")
    if g.role not in ROLES:
        raise g.error("role", f"'{g.role}': must be one of {', '.join(ROLES)}")
    g.weight = get("weight", WEIGHT_DEFAULT)
    if not 1 <= g.weight <= WEIGHT_MAX:
        raise g.error("weight", f"{g.weight} out of range (1..{WEIGHT_MAX}, default "
                      f"{WEIGHT_DEFAULT})")
    g.cap = get("cap", 0)
    if not 0 <= g.cap <= 100 * g.vcpus:
        raise g.error("cap", f"{g.cap} out of range (0..{100 * g.vcpus}: percent of one CPU, "
                      f"100 per vCPU; 0 = no cap)")
    g.affinity = [None] * g.vcpus
    if "cpus" in settings:
        g.affinity = _affinity(g, settings["cpus"].value)
    # A guest gets its own stub domain unless it says `stubdom = 0`; other roles get none
    # (docs/stub-domains.md).
    g.stubdom = get("stubdom", STUBDOM_DEFAULT if g.role == "guest" else 0)
    if g.stubdom not in (0, 1):
        raise g.error("stubdom", f"{g.stubdom}: must be 0 (no stub domain) or 1")
    if g.stubdom and g.role != "guest":
        raise g.error("stubdom", f"a {g.role} domain has no stub domain (only role "
                      "\"guest\" does)")
    for key in ("on_poweroff", "on_reboot", "on_crash"):
        if get(key, "destroy") not in ACTIONS:
            raise g.error(key, 'must be "destroy", "restart" or "preserve"')
    g.stub_of = get("stub_of")
    if g.stub_of is not None:
        if g.role != "stub":
            raise g.error("stub_of", "only a domain with role = \"stub\" serves another")
        if name_problem(g.stub_of) or g.stub_of == g.name:
            raise g.error("stub_of", f"'{shown(g.stub_of)}' is not another domain's name")
    g.start_after = get("start_after")
    if g.start_after is not None:
        if name_problem(g.start_after):
            raise g.error("start_after", f"'{shown(g.start_after)}' is not a domain name")
        if g.start_after == g.name:
            raise g.error("start_after", "a domain cannot wait for itself")
    return g


def parse_cpulist(text):
    """The pCPUs of an xl CPU list: "all", or items "N", "N-M", "^N", "^N-M" separated by
    commas (a `^` item removes CPUs). Returns a sorted list, or None for "all".
    Raises ValueError with the problem."""
    text = text.strip()
    if text == "all":
        return None
    if not text:
        raise ValueError("an empty CPU list")
    if text.startswith("nodes:"):
        raise ValueError("NUMA node lists (nodes:...) are not supported")
    cpus, removed = set(), set()
    for item in text.split(","):
        item = item.strip()
        neg = item.startswith("^")
        m = re.fullmatch(r"([0-9]{1,3})(?:-([0-9]{1,3}))?", item[1:] if neg else item)
        if not m:
            raise ValueError(f"'{shown(item)}' is not a CPU, a range N-M or ^N "
                             f"(e.g. \"0-3,5\")")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise ValueError(f"'{item}': the range is backwards")
        if hi >= MAX_CPUS:
            raise ValueError(f"'{item}': CPU {hi} does not exist (CPUs are 0..{MAX_CPUS - 1})")
        (removed if neg else cpus).update(range(lo, hi + 1))
    if not cpus and removed:
        cpus = set(range(MAX_CPUS))  # "^1" alone: every CPU but 1, as xl reads it
    cpus -= removed
    if not cpus:
        raise ValueError(f"'{shown(text)}' leaves no CPU")
    return sorted(cpus)


def _affinity(g, value):
    """Per-vCPU hard affinity from `cpus`: one CPU list for every vCPU, or a list whose
    item i is vCPU i's (xl's syntax); vCPUs past the list's end may run anywhere."""
    try:
        if value.kind == "string":
            return [parse_cpulist(value.value)] * g.vcpus
        if len(value.value) > g.vcpus:
            raise ValueError(f"{len(value.value)} items for {g.vcpus} vCPU(s)")
        out = [None] * g.vcpus
        for i, item in enumerate(value.value):
            if item.kind == "int":
                out[i] = parse_cpulist(str(item.value))
            elif item.kind == "string":
                out[i] = parse_cpulist(item.value)
            else:
                raise ValueError(f"item {i} is a list: each item is one vCPU's CPU list")
        return out
    except ValueError as e:
        raise g.error("cpus", str(e)) from None


def cpulist_text(cpus):
    """A sorted CPU list as the device tree's hard-affinity string: "0-3,5"."""
    parts, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts)


def shown(s, limit=64):
    """@s for a one-line message: escapes instead of control characters, cut at @limit."""
    if not s.isprintable():
        s = s.encode("unicode_escape").decode("ascii")
    return s if len(s) <= limit else s[:limit] + "..."


def name_problem(name):
    """What is wrong with domain name @name, or None.

    The hypervisor keeps DOMAIN_NAME_MAX (32) bytes with the NUL and refuses longer names
    at boot (after QEMU has started); bh-boot also uses the name in file names, device
    tree strings and console lines, so it is limited to a safe ASCII set.
    """
    if not name:
        return "must not be empty"
    if not NAME_RE.match(name):
        return f"'{shown(name)}': only letters, digits, '_', '.' and '-' allowed (ASCII)"
    if len(name) > NAME_MAX:
        return f"'{name[:12]}...' is {len(name)} characters long: at most {NAME_MAX}"
    return None


def _file(g, key, base, value):
    if not value:
        raise g.error(key, "must not be empty")
    p = os.path.normpath(os.path.join(base, os.path.expanduser(value)))
    try:
        st = os.stat(p)
    except OSError as e:
        why = "no such file" if e.errno == errno.ENOENT else e.strerror
        raise g.error(key, f"{shown(value)}: {why}") from None
    if not stat.S_ISREG(st.st_mode):
        raise g.error(key, f"{shown(value)}: not a regular file")
    if not os.access(p, os.R_OK):
        raise g.error(key, f"{shown(value)}: not readable")
    if st.st_size == 0:
        raise g.error(key, f"{shown(value)}: empty file")
    return p


def check_set(guests, smp):
    """Checks across the configs of one boot: unique names, vCPUs, start_after targets."""
    seen = {}
    for g in guests:
        if g.name in seen:
            first = seen[g.name]
            raise g.error("name", f"'{g.name}' is already the name of the guest in "
                          f"{first.path}:{first.lines['name']}")
        seen[g.name] = g
        # More vCPUs than CPUs is fine (the scheduler shares them); a CPU that the board
        # does not have is not.
        for i, cpus in enumerate(g.affinity):
            if cpus is not None and cpus[-1] >= smp:
                raise g.error("cpus", f"vCPU {i} may run on CPU {cpus[-1]} but the board has "
                              f"only {smp} CPUs (0..{smp - 1}; use --smp)")
    # A stub comes after the guest it serves (the hypervisor resolves the name when it
    # builds the stub), which is no stub itself and has no other stub.
    served = {}
    for i, g in enumerate(guests):
        if g.stub_of is None:
            continue
        before = {h.name: h for h in guests[:i]}
        if g.stub_of not in before or before[g.stub_of].role == "stub":
            raise g.error("stub_of", f"'{shown(g.stub_of)}' is not a guest given before "
                          "this stub")
        if g.stub_of in served:
            raise g.error("stub_of", f"'{g.stub_of}' already has a stub domain "
                          f"({served[g.stub_of]})")
        served[g.stub_of] = g.name
    for g in guests:
        if g.start_after is not None and g.start_after not in seen:
            raise g.error("start_after", f"'{g.start_after}' is not one of the domains "
                          f"given ({', '.join(seen)})")
    # start_after must not loop, or those domains would never start.
    for g in guests:
        chain, cur = [g.name], g
        while cur.start_after is not None:
            cur = seen[cur.start_after]
            if cur.name in chain:
                raise g.error("start_after", "start_after loops: " +
                              " -> ".join(chain + [cur.name]))
            chain.append(cur.name)

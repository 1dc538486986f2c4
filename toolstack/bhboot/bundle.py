# SPDX-License-Identifier: MIT
"""dom0-lite's boot bundle (docs/dom0-lite.md): a cpio "newc" archive, its ramdisk.

Contents: configs/<name>.cfg for every config given (<name> its `name`, else its file
name; the file's text, with its `kernel`
and `ramdisk` lines pointing at the files' names inside the bundle), those files,
`stub.bin` (the stub domain program) and `autostart` (the names dom0-lite creates at
boot, one a line). boot/<name>.cfg, the same way, for each boot-time guest (role
"guest") bh-boot boots next to dom0-lite: dom0-lite applies its on_* policy and
restarts it from there. The configs are not checked here: dom0-lite's own parser does that,
with the same FILE:LINE: key messages, when they are created.
"""
import os
import re

from .xlcfg import ConfigError

_FILE_KEY = re.compile(r"""^(\s*(kernel|ramdisk)\s*=\s*)(["'])(.*?)\3(\s*(#.*)?)$""")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")
_NAME_KEY = re.compile(r"""^\s*name\s*=\s*(["'])([A-Za-z0-9_.-]{1,63})\1\s*(#.*)?$""", re.M)


def _pad4(n):
    return (4 - n % 4) % 4


def _entry(ino, name, mode, data=b""):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = head + name_b + b"\0" * _pad4(len(head) + len(name_b))
    return out + data + b"\0" * _pad4(len(data))


def cpio(files):
    """A newc archive of {name: bytes}, regular files mode 0644, in name order."""
    out = b"".join(_entry(i + 1, n, 0o100644, d) for i, (n, d) in enumerate(sorted(files.items())))
    return out + _entry(0, "TRAILER!!!", 0)


_ROLE_KEY = re.compile(r"""^\s*role\s*=\s*(["'])([A-Za-z]+)\1\s*(#.*)?$""", re.M)
_STUB_OF_KEY = re.compile(r"""^\s*stub_of\s*=\s*(["'])([A-Za-z0-9_.-]{1,63})\1\s*(#.*)?$""", re.M)


def bundle_files(configs, autostart, stub_image, boot_configs=()):
    """{name in the bundle: bytes}. Raises ConfigError for a file that cannot be read."""
    files = {}
    for prefix, path in [("configs", p) for p in configs] + [("boot", p) for p in boot_configs]:
        base = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(path, 0, None, f"cannot read: {e}") from None
        role = _ROLE_KEY.search(text)
        if prefix == "boot" and role and role.group(2) != "guest":
            # A stub, driver or control domain: no on_* policy of its own. A stub given
            # as its own config: boot/GUEST.stub names it (else dom0-lite looks for
            # GUEST-stub, the name bh-boot gives the stubs it makes).
            of, name = _STUB_OF_KEY.search(text), _NAME_KEY.search(text)
            if role.group(2) == "stub" and of and name:
                files[f"boot/{of.group(2)}.stub"] = name.group(2).encode()
            continue
        # Named as `create` will name it: by its `name`, else by its file name.
        m = _NAME_KEY.search(text)
        stem = m.group(2) if m else (base[:-4] if base.endswith(".cfg") else base)
        if not _NAME.match(stem):
            raise ConfigError(path, 0, None, f"'{stem}': a bundle config's file name is "
                              "letters, digits, '_', '-' and '.'")
        if f"{prefix}/{stem}.cfg" in files:
            raise ConfigError(path, 0, None, f"a second config named '{stem}' in the bundle")
        lines = text.split("\n")
        for i, line in enumerate(lines):
            m = _FILE_KEY.match(line)
            if not m:
                continue
            src = os.path.join(os.path.dirname(os.path.abspath(path)), m.group(4))
            if not os.path.isfile(src):
                raise ConfigError(path, i + 1, m.group(2), f"'{m.group(4)}': no such file")
            inner = os.path.basename(src)
            with open(src, "rb") as f:
                data = f.read()
            if files.get(inner, data) != data:
                raise ConfigError(path, i + 1, m.group(2), f"another file named '{inner}' is "
                                  "already in the bundle")
            files[inner] = data
            lines[i] = f'{m.group(1)}"{inner}"{m.group(5)}'
        files[f"{prefix}/{stem}.cfg"] = "\n".join(lines).encode()
    for name in autostart:
        if f"configs/{name}.cfg" not in files:
            raise ConfigError("--autostart", 0, None, f"'{name}' is not a config in the bundle")
    files["autostart"] = "".join(f"{n}\n" for n in autostart).encode()
    with open(stub_image, "rb") as f:
        files["stub.bin"] = f.read()
    return files


def write_bundle(out_path, configs, autostart, stub_image, boot_configs=()):
    data = cpio(bundle_files(configs, autostart, stub_image, boot_configs))
    with open(out_path, "wb") as f:
        f.write(data)
    return len(data)


def control_config(out_path, dom0_image, bundle_path, bundle_size):
    """The control domain's config: dom0-lite with the bundle as its ramdisk."""
    mib = 16 + (bundle_size + (1 << 20) - 1) // (1 << 20) + 2
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(f'name = "dom0-lite"\nrole = "control"\nkernel = "{dom0_image}"\n'
                f'ramdisk = "{bundle_path}"\nmemory = {mib}\n')

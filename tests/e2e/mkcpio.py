#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pack the end-to-end test's initramfs: a newc ("070701") cpio archive, uncompressed.

    mkcpio.py INIT OUT
    mkcpio.py --shell BUSYBOX [--tree DIR] INIT OUT

Contents: /init (INIT, mode 0755), the directories /dev, /proc, /sys, and the device
nodes /dev/console (5:1) and /dev/kmsg (1:11), so that init can write to the kernel log
before anything is mounted. With --shell (the Linux guests of dom0-lite's sessions,
docs/dom0-lite.md): also /bin/busybox (Debian's busybox-static), /bin/sh a link to it,
the empty /sbin, /usr/bin, /usr/sbin, /tmp for `busybox --install`, and INIT is a
shell script (tests/e2e/session-init.sh). --tree DIR adds the directories and files under
DIR at the same paths (arm64 sessions: Debian's xenstore-utils and its libraries,
mk/fetch-xenstore-utils.sh). Owner root, mtime 0: the archive is the same bytes for the
same init. Format: the kernel's Documentation/driver-api/early-userspace/buffer-format.rst
(a 110-byte ASCII header, the name with its NUL padded to 4 bytes, the data padded to 4
bytes, and a "TRAILER!!!" entry).
"""
import os
import stat
import sys

S_IFCHR, S_IFDIR, S_IFREG, S_IFLNK = stat.S_IFCHR, stat.S_IFDIR, stat.S_IFREG, stat.S_IFLNK


def pad4(n):
    return (4 - n % 4) % 4


def entry(ino, name, mode, data=b"", rdev=(0, 0), nlink=1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = head + name_b + b"\0" * pad4(len(head) + len(name_b))
    return out + data + b"\0" * pad4(len(data))


def tree_items(top):
    """The directories and regular files under @top, sorted, as archive items."""
    items = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel = os.path.relpath(dirpath, top)
        if rel != ".":
            items.append((rel, S_IFDIR | 0o755, b"", (0, 0), 2))
        for name in sorted(filenames):
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            path = name if rel == "." else os.path.join(rel, name)
            items.append((path, S_IFREG | 0o755, data, (0, 0), 1))
    return items


def archive(init_bytes, busybox=None, tree=None):
    items = [
        ("dev", S_IFDIR | 0o755, b"", (0, 0), 2),
        ("dev/console", S_IFCHR | 0o600, b"", (5, 1), 1),
        ("dev/kmsg", S_IFCHR | 0o644, b"", (1, 11), 1),
        ("proc", S_IFDIR | 0o755, b"", (0, 0), 2),
        ("sys", S_IFDIR | 0o755, b"", (0, 0), 2),
        ("init", S_IFREG | 0o755, init_bytes, (0, 0), 1),
    ]
    if busybox is not None:
        items += [(d, S_IFDIR | 0o755, b"", (0, 0), 2)
                  for d in ("bin", "sbin", "tmp", "usr", "usr/bin", "usr/sbin")]
        items += [("bin/busybox", S_IFREG | 0o755, busybox, (0, 0), 1),
                  ("bin/sh", S_IFLNK | 0o777, b"busybox", (0, 0), 1)]
    if tree is not None:
        have = {i[0] for i in items}
        items += [i for i in tree_items(tree) if i[0] not in have]
    out = b"".join(entry(i + 1, n, m, d, r, l) for i, (n, m, d, r, l) in enumerate(items))
    return out + entry(0, "TRAILER!!!", 0)


def main():
    args = sys.argv[1:]
    busybox = tree = None
    if args[:1] == ["--shell"] and len(args) >= 4:
        with open(args[1], "rb") as f:
            busybox = f.read()
        args = args[2:]
        if args[:1] == ["--tree"] and len(args) == 4:
            tree = args[1]
            args = args[2:]
    if len(args) != 2:
        print("usage: mkcpio.py [--shell BUSYBOX [--tree DIR]] INIT OUT", file=sys.stderr)
        return 1
    with open(args[0], "rb") as f:
        data = archive(f.read(), busybox, tree)
    with open(args[1], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

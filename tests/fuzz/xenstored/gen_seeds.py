#!/usr/bin/python3
"""Writes a seed corpus for fuzz_xenstored: realistic message sequences, some malformed."""
import os
import struct
import sys

TYPES = dict(CONTROL=0, DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5, TXN_START=6,
             TXN_END=7, INTRODUCE=8, RELEASE=9, GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13,
             SET_PERMS=14, IS_INTRODUCED=16, RESUME=17, SET_TARGET=18, RESET_WATCHES=20,
             DIRECTORY_PART=21)


def msg(kind, payload, tx=0, req=1):
    return struct.pack("<IIII", TYPES[kind], req, tx, len(payload)) + payload


def rec(conn, data):
    return bytes([conn]) + struct.pack("<H", len(data)) + data


SEEDS = {
    "write_read": [(0, msg("WRITE", b"/a/b\0hello")), (0, msg("READ", b"/a/b\0")),
                   (0, msg("DIRECTORY", b"/a\0")), (0, msg("RM", b"/a\0"))],
    "perms": [(0, msg("WRITE", b"/local/domain/5/x\0v")),
              (0, msg("SET_PERMS", b"/local/domain/5/x\0b5\0r0\0")),
              (1, msg("WRITE", b"x/y\0v2")), (1, msg("GET_PERMS", b"x\0")),
              (1, msg("WRITE", b"/tool/x\0no"))],
    "watch": [(0, msg("WATCH", b"/w\0tok\0")), (1, msg("WATCH", b"@releaseDomain\0t\0")),
              (0, msg("WRITE", b"/w/1\0x")), (0, msg("RM", b"/w\0")),
              (0, msg("UNWATCH", b"/w\0tok\0")), (0, msg("RESET_WATCHES", b"\0"))],
    "txn": [(0, msg("TXN_START", b"\0")), (0, msg("WRITE", b"/t/a\0v", tx=1)),
            (0, msg("DIRECTORY", b"/t\0", tx=1)), (0, msg("RM", b"/t/a\0", tx=1)),
            (0, msg("MKDIR", b"/t/b\0", tx=1)), (0, msg("TXN_END", b"T\0", tx=1))],
    "txn_conflict": [(0, msg("TXN_START", b"\0")), (0, msg("READ", b"/c\0", tx=1)),
                     (1, msg("TXN_START", b"\0")), (0, msg("WRITE", b"/c\0x")),
                     (0, msg("TXN_END", b"T\0", tx=1))],
    "domains": [(0, msg("INTRODUCE", b"7\0123\0" + b"4\0")),
                (0, msg("IS_INTRODUCED", b"7\0")), (0, msg("GET_DOMAIN_PATH", b"7\0")),
                (0, msg("SET_TARGET", b"7\0" + b"5\0")), (0, msg("RESUME", b"7\0")),
                (0, msg("RELEASE", b"7\0"))],
    "dirpart": [(0, msg("WRITE", b"/d/%d\0" % i)) for i in range(20)] +
               [(0, msg("DIRECTORY_PART", b"/d\0" + b"0\0")),
                (0, msg("DIRECTORY_PART", b"/d\0" + b"12\0"))],
    "malformed": [(0, msg("READ", b"/no-nul")), (0, struct.pack("<IIII", 99, 1, 0, 0)),
                  (0, msg("WRITE", b"//bad\0")), (0, msg("CONTROL", b"check\0")),
                  (1, struct.pack("<IIII", 2, 1, 0, 5000))],
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, msgs in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"".join(rec(c, m) for c, m in msgs))


if __name__ == "__main__":
    main()

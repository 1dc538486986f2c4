#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch Debian's Xen 4.17 hypervisor for arm64 (package xen-hypervisor-4.17-arm64) into
# the build tree, for the benchmarks' Xen baseline (tests/bench/hypercall_insns.py).
# Never needed by `make test`; never committed.
#
#   mk/fetch-xen.sh [DIR]     (DIR default: build/xen)
#
# Prints the path of the Xen image (an arm64 Image) on stdout and exits 0, or prints
# one line saying why it is not available on stderr and exits 1. Idempotent: once the
# image is there, it only prints its path. The package is arm64-only, so on another
# host architecture arm64 is added as a foreign dpkg architecture first (root only).
set -u
PKG=xen-hypervisor-4.17-arm64
IMAGE=xen-4.17-arm64
DIR=${1:-build/xen}

fail() { echo "fetch-xen: $*" >&2; exit 1; }

if [ -s "$DIR/$IMAGE" ]; then
	echo "$DIR/$IMAGE"
	exit 0
fi
command -v apt-get >/dev/null 2>&1 || fail "no apt-get: not a Debian host"
command -v dpkg-deb >/dev/null 2>&1 || fail "no dpkg-deb: not a Debian host"

native=$(dpkg --print-architecture)
if [ "$native" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(id -u)" = 0 ] || fail "arm64 is not a dpkg architecture here and adding it needs root" \
		"(dpkg --add-architecture arm64 && apt-get update)"
	dpkg --add-architecture arm64 || fail "dpkg --add-architecture arm64 failed"
	apt-get update -qq >/dev/null 2>&1 || fail "apt-get update failed after adding arm64"
fi

tmp=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
# apt-get download runs as the _apt user when it can: let it write here.
chown _apt "$tmp" 2>/dev/null || true
if ! (cd "$tmp" && apt-get download -qq "$PKG:arm64" >"$tmp/log" 2>&1); then
	# Perhaps the package lists are stale or were never fetched for arm64.
	if [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 &&
	   (cd "$tmp" && apt-get download -qq "$PKG:arm64" >"$tmp/log" 2>&1); then
		:
	else
		fail "apt-get download $PKG:arm64 failed: $(grep -m1 '^E:' "$tmp/log" || tail -n1 "$tmp/log")"
	fi
fi
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || fail "apt-get download $PKG:arm64 produced no .deb"
dpkg-deb -x "$deb" "$tmp/x" || fail "dpkg-deb -x $(basename "$deb") failed"
[ -s "$tmp/x/boot/$IMAGE" ] || fail "$(basename "$deb") has no boot/$IMAGE"
mkdir -p "$DIR" || fail "cannot create $DIR"
cp "$tmp/x/boot/$IMAGE" "$DIR/$IMAGE.tmp" && mv "$DIR/$IMAGE.tmp" "$DIR/$IMAGE" ||
	fail "cannot write $DIR/$IMAGE"
basename "$deb" >"$DIR/$IMAGE.source"
echo "$DIR/$IMAGE"

#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch Debian's xenstore-utils for arm64 (bookworm) with the shared libraries it runs
# on, as a file tree for a Linux guest's initramfs: the guest's own xenbus then talks to
# xenstored in dom0-lite (tests/e2e/test_session.py, docs/xenstored.md). Never committed.
#
#   mk/fetch-xenstore-utils.sh [DIR]     (DIR default build/session/arm64/xenstore)
#
# DIR/root/ gets usr/bin/xenstore-{read,write,ls,list,exists,rm} and the libraries they
# load (libxenstore.so.4, libxentoolcore.so.1, libc.so.6 and the dynamic loader) under
# lib/. Prints DIR/root and exits 0, or prints one line saying why on stderr and exits 1.
# Idempotent. apt runs with a private state directory under DIR (mk/debian-apt.sh).
set -u
[ $# -le 1 ] || { echo "usage: fetch-xenstore-utils.sh [DIR]" >&2; exit 2; }
ARCH=arm64
SUITE=${BH_E2E_ARM64_SUITE:-bookworm}
DIR=${1:-build/session/arm64/xenstore}

fail() { echo "fetch-xenstore-utils: $*" >&2; exit 1; }

if [ -s "$DIR/root/usr/bin/xenstore-read" ]; then
	echo "$DIR/root"
	exit 0
fi
. "$(dirname "$0")/debian-apt.sh"
debian_apt_init "$ARCH" "$SUITE" "$DIR"
DIR=$(cd "$DIR" && pwd)
tmp=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/sources"
for pkg in xenstore-utils libxenstore4 libxentoolcore1 libc6; do
	mkdir -p "$tmp/$pkg" || fail "mkdir failed"
	deb=$(debian_apt_download "$pkg" "$tmp/$pkg") || exit 1
	dpkg-deb -x "$deb" "$tmp/x" || fail "dpkg-deb -x $(basename "$deb") failed"
	echo "$(basename "$deb")" >>"$tmp/sources"
done

# Copy one file by its path in the packages (following symlinks) to ROOT/DEST.
put() {
	src=$(ls "$tmp"/x/$1 2>/dev/null | head -n1)
	[ -n "$src" ] || fail "no $1 in the packages"
	mkdir -p "$(dirname "$tmp/root/$2")" && cp -L "$src" "$tmp/root/$2" ||
		fail "cannot copy $1"
}
rm -rf "$tmp/root"
for t in read write ls list exists rm; do
	put "usr/bin/xenstore-$t" "usr/bin/xenstore-$t"
done
# bookworm's libc6 is not merged-/usr: lib/aarch64-linux-gnu and lib/ld-linux-aarch64.so.1.
put "usr/lib/aarch64-linux-gnu/libxenstore.so.4" "lib/aarch64-linux-gnu/libxenstore.so.4"
put "usr/lib/aarch64-linux-gnu/libxentoolcore.so.1" "lib/aarch64-linux-gnu/libxentoolcore.so.1"
put "lib/aarch64-linux-gnu/libc.so.6" "lib/aarch64-linux-gnu/libc.so.6"
put "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" "lib/ld-linux-aarch64.so.1"
rm -rf "$DIR/root.tmp" && cp -a "$tmp/root" "$DIR/root.tmp" && rm -rf "$DIR/root" &&
	mv "$DIR/root.tmp" "$DIR/root" || fail "cannot write $DIR/root"
{ echo "$SUITE, $archive:"; cat "$tmp/sources"; } >"$DIR/root.source"
echo "$DIR/root"

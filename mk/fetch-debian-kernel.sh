#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch an unmodified Debian kernel package (linux-image-<version>-<arch>) into the build
# tree, for the end-to-end tests (tests/e2e, docs/e2e.md). Never committed.
#
#   mk/fetch-debian-kernel.sh ARCH SUITE DIR
#
# ARCH is Debian's name (riscv64, arm64), SUITE the release (trixie, bookworm). Called
# by mk/fetch-linux-riscv64.sh and mk/fetch-linux-arm64.sh. Prints the path of the flat
# kernel Image (what bh-boot and the hypervisor load) on stdout and exits 0, or prints one
# line saying why it is not available on stderr and exits 1. Idempotent: once the Image
# is there, it only prints its path.
#
# apt runs with a private state directory under DIR (mk/debian-apt.sh): the host's apt
# configuration is left alone.
set -u
[ $# -eq 3 ] || { echo "usage: fetch-debian-kernel.sh ARCH SUITE DIR" >&2; exit 2; }
ARCH=$1
SUITE=$2
DIR=$3
META=linux-image-$ARCH            # Debian's metapackage: depends on the current version

fail() { echo "fetch-linux-$ARCH: $*" >&2; exit 1; }

if [ -s "$DIR/Image" ]; then
	echo "$DIR/Image"
	exit 0
fi
. "$(dirname "$0")/debian-apt.sh"
debian_apt_init "$ARCH" "$SUITE" "$DIR"
DIR=$(cd "$DIR" && pwd)

# The metapackage's dependency names the current kernel package, e.g.
# linux-image-6.12.41+deb13-riscv64 or linux-image-6.1.0-35-arm64.
# shellcheck disable=SC2086
pkg=$(apt-cache $aptopts depends "$META" 2>/dev/null |
	sed -n "s/^[[:space:]]*Depends:[[:space:]]*\(linux-image-[^[:space:]]*-$ARCH\)\$/\1/p" |
	head -n1)
[ -n "$pkg" ] || fail "$META in $SUITE names no linux-image-*-$ARCH package"
# shellcheck disable=SC2086
version=$(apt-cache $aptopts show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)

tmp=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
deb=$(debian_apt_download "$pkg" "$tmp") || exit 1
dpkg-deb -x "$deb" "$tmp/x" || fail "dpkg-deb -x $(basename "$deb") failed"
vmlinuz=$(ls "$tmp"/x/boot/vmlinu[xz]-* 2>/dev/null | head -n1)
[ -n "$vmlinuz" ] || fail "$(basename "$deb") has no boot/vmlinuz-*"

# Debian's vmlinuz is a flat Image (possibly behind an EFI stub's "MZ": riscv64) or a
# compressed one (gzip: arm64); the hypervisor loads a flat Image, so decompress here.
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/kernel-image.py" "$ARCH" "$vmlinuz" "$DIR/Image.tmp" ||
	fail "$(basename "$vmlinuz") is no $ARCH Image"
mv "$DIR/Image.tmp" "$DIR/Image" || fail "cannot write $DIR/Image"
cp "$tmp/x/boot/config-"* "$DIR/config" 2>/dev/null || true
echo "$pkg $version ($(basename "$deb"), $SUITE, $archive)" >"$DIR/Image.source"
echo "$DIR/Image"

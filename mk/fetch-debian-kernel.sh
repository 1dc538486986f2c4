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
# apt is pointed at SUITE for ARCH through a private state directory under DIR (its own
# sources list, package lists and cache: the host's apt configuration is left alone). The
# archive is the one the host's apt already uses, read from its sources at run time, and
# the Release file is checked against Debian's archive keyring.
set -u
[ $# -eq 3 ] || { echo "usage: fetch-debian-kernel.sh ARCH SUITE DIR" >&2; exit 2; }
ARCH=$1
SUITE=$2
DIR=$3
META=linux-image-$ARCH            # Debian's metapackage: depends on the current version
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

fail() { echo "fetch-linux-$ARCH: $*" >&2; exit 1; }

if [ -s "$DIR/Image" ]; then
	echo "$DIR/Image"
	exit 0
fi
command -v apt-get >/dev/null 2>&1 || fail "no apt-get: not a Debian host"
command -v dpkg-deb >/dev/null 2>&1 || fail "no dpkg-deb: not a Debian host"
[ -r "$KEYRING" ] || fail "no $KEYRING (install debian-archive-keyring)"

# The host's Debian archive: the first URI of a deb822 source (or a one-line source)
# that is not the security archive.
archive=""
for f in /etc/apt/sources.list.d/*.sources; do
	[ -r "$f" ] || continue
	archive=$(sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n' | grep -v -- '-security' |
		grep -m1 .)
	[ -n "$archive" ] && break
done
if [ -z "$archive" ]; then
	archive=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' |
		grep -v -- '-security' | grep -m1 .)
fi
[ -n "$archive" ] || fail "no Debian archive in the host's apt sources"

mkdir -p "$DIR" || fail "cannot create $DIR"
DIR=$(cd "$DIR" && pwd)
apt="$DIR/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" \
	"$apt/etc/apt.conf.d" "$apt/etc/sources.list.d" || fail "cannot create $apt"
echo "deb [arch=$ARCH signed-by=$KEYRING] $archive $SUITE main" >"$apt/etc/sources.list"
: >"$apt/status"
# apt's download sandbox user must be able to write here when we are root.
chown -R _apt "$apt/lists" "$apt/cache" 2>/dev/null || true

aptopts="-o Dir::Etc=$apt/etc -o Dir::Etc::SourceList=$apt/etc/sources.list
	-o Dir::Etc::SourceParts=$apt/etc/sources.list.d -o Dir::Etc::Parts=$apt/etc/apt.conf.d
	-o Dir::Etc::PreferencesParts=$apt/etc/preferences.d
	-o Dir::State=$apt -o Dir::State::Lists=$apt/lists -o Dir::State::status=$apt/status
	-o Dir::Cache=$apt/cache -o APT::Architecture=$ARCH -o APT::Architectures=$ARCH
	-o Acquire::Languages=none -o Debug::NoLocking=1"

# shellcheck disable=SC2086
apt-get $aptopts -qq update >"$apt/update.log" 2>&1 ||
	fail "apt-get update for $SUITE $ARCH failed: $(grep -m1 '^E:' "$apt/update.log" ||
		tail -n1 "$apt/update.log")"
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
chmod 755 "$tmp"
chown _apt "$tmp" 2>/dev/null || true
# shellcheck disable=SC2086
(cd "$tmp" && apt-get $aptopts -qq download "$pkg:$ARCH" >"$tmp/log" 2>&1) ||
	fail "apt-get download $pkg failed: $(grep -m1 '^E:' "$tmp/log" || tail -n1 "$tmp/log")"
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || fail "apt-get download $pkg produced no .deb"
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

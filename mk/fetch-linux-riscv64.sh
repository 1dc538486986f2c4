#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch an unmodified Debian riscv64 kernel (trixie's linux-image-<version>-riscv64) into
# the build tree, for the end-to-end test (tests/e2e, docs/e2e.md). Never committed.
#
#   mk/fetch-linux-riscv64.sh [DIR]     (DIR default: build/e2e/linux-riscv64)
#
# Prints the path of a flat RISC-V Image (what bh-boot and the hypervisor load) on stdout
# and exits 0, or prints one line saying why it is not available on stderr and exits 1.
# Idempotent: once the Image is there, it only prints its path.
#
# riscv64 kernels exist in Debian from trixie on, and the host may run bookworm, so apt
# is pointed at trixie through a private state directory under DIR (its own sources list,
# package lists and cache: the host's apt configuration is left alone). The archive is
# the one the host's apt already uses, read from its sources at run time, and the
# Release file is checked against Debian's archive keyring (debian-archive-keyring holds
# trixie's keys).
set -u
SUITE=${BH_E2E_SUITE:-trixie}
META=linux-image-riscv64          # Debian's metapackage: depends on the current version
DIR=${1:-build/e2e/linux-riscv64}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

fail() { echo "fetch-linux-riscv64: $*" >&2; exit 1; }

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
echo "deb [arch=riscv64 signed-by=$KEYRING] $archive $SUITE main" >"$apt/etc/sources.list"
: >"$apt/status"
# apt's download sandbox user must be able to write here when we are root.
chown -R _apt "$apt/lists" "$apt/cache" 2>/dev/null || true

aptopts="-o Dir::Etc=$apt/etc -o Dir::Etc::SourceList=$apt/etc/sources.list
	-o Dir::Etc::SourceParts=$apt/etc/sources.list.d -o Dir::Etc::Parts=$apt/etc/apt.conf.d
	-o Dir::Etc::PreferencesParts=$apt/etc/preferences.d
	-o Dir::State=$apt -o Dir::State::Lists=$apt/lists -o Dir::State::status=$apt/status
	-o Dir::Cache=$apt/cache -o APT::Architecture=riscv64 -o APT::Architectures=riscv64
	-o Acquire::Languages=none -o Debug::NoLocking=1"

# shellcheck disable=SC2086
apt-get $aptopts -qq update >"$apt/update.log" 2>&1 ||
	fail "apt-get update for $SUITE riscv64 failed: $(grep -m1 '^E:' "$apt/update.log" ||
		tail -n1 "$apt/update.log")"
# The metapackage's dependency names the current kernel package, e.g.
# linux-image-6.12.41+deb13-riscv64.
# shellcheck disable=SC2086
pkg=$(apt-cache $aptopts depends "$META" 2>/dev/null |
	sed -n 's/^[[:space:]]*Depends:[[:space:]]*\(linux-image-[^[:space:]]*-riscv64\)$/\1/p' |
	head -n1)
[ -n "$pkg" ] || fail "$META in $SUITE names no linux-image-*-riscv64 package"
# shellcheck disable=SC2086
version=$(apt-cache $aptopts show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)

tmp=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
chown _apt "$tmp" 2>/dev/null || true
# shellcheck disable=SC2086
(cd "$tmp" && apt-get $aptopts -qq download "$pkg:riscv64" >"$tmp/log" 2>&1) ||
	fail "apt-get download $pkg failed: $(grep -m1 '^E:' "$tmp/log" || tail -n1 "$tmp/log")"
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || fail "apt-get download $pkg produced no .deb"
dpkg-deb -x "$deb" "$tmp/x" || fail "dpkg-deb -x $(basename "$deb") failed"
vmlinuz=$(ls "$tmp"/x/boot/vmlinu[xz]-* 2>/dev/null | head -n1)
[ -n "$vmlinuz" ] || fail "$(basename "$deb") has no boot/vmlinuz-*"

# Debian's riscv64 vmlinuz is either a flat Image (the RISC-V magic "RSC\x05" at 0x38,
# possibly behind an EFI stub's "MZ") or a compressed one; the hypervisor loads a flat
# Image, so decompress here when needed.
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/riscv-image.py" "$vmlinuz" "$DIR/Image.tmp" ||
	fail "$(basename "$vmlinuz") is no RISC-V Image"
mv "$DIR/Image.tmp" "$DIR/Image" || fail "cannot write $DIR/Image"
cp "$tmp/x/boot/config-"* "$DIR/config" 2>/dev/null || true
echo "$pkg $version ($(basename "$deb"), $SUITE, $archive)" >"$DIR/Image.source"
echo "$DIR/Image"

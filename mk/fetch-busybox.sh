#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch Debian's busybox-static for a guest architecture into the build tree: the shell
# of the Linux guests in dom0-lite's sessions (tests/system/test_dom0_linux.py, `make
# run`; docs/dom0-lite.md). Never committed.
#
#   mk/fetch-busybox.sh ARCH [DIR]     (ARCH: arm64 or riscv64; DIR default build/session/ARCH)
#
# arm64's comes from bookworm, riscv64's from trixie (bookworm has no riscv64), the suites
# of the e2e kernels (BH_E2E_ARM64_SUITE / BH_E2E_SUITE override them). Prints the path
# of the static busybox binary and exits 0, or prints one line saying why it is not
# available on stderr and exits 1. Idempotent: once DIR/busybox is there, it only prints
# its path. apt runs with a private state directory under DIR (mk/debian-apt.sh).
set -u
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: fetch-busybox.sh ARCH [DIR]" >&2; exit 2; }
ARCH=$1
DIR=${2:-build/session/$ARCH}
case $ARCH in
arm64) SUITE=${BH_E2E_ARM64_SUITE:-bookworm} ;;
riscv64) SUITE=${BH_E2E_SUITE:-trixie} ;;
*) echo "fetch-busybox: ARCH is arm64 or riscv64, not '$ARCH'" >&2; exit 2 ;;
esac

fail() { echo "fetch-busybox-$ARCH: $*" >&2; exit 1; }

if [ -s "$DIR/busybox" ]; then
	echo "$DIR/busybox"
	exit 0
fi
. "$(dirname "$0")/debian-apt.sh"
debian_apt_init "$ARCH" "$SUITE" "$DIR"
DIR=$(cd "$DIR" && pwd)
pkg=busybox-static
# shellcheck disable=SC2086
version=$(apt-cache $aptopts show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[ -n "$version" ] || fail "no $pkg for $ARCH in $SUITE"

tmp=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
deb=$(debian_apt_download "$pkg" "$tmp") || exit 1
dpkg-deb -x "$deb" "$tmp/x" || fail "dpkg-deb -x $(basename "$deb") failed"
# bookworm ships bin/busybox, trixie (merged /usr) usr/bin/busybox.
bin=$(ls "$tmp"/x/bin/busybox "$tmp"/x/usr/bin/busybox 2>/dev/null | head -n1)
[ -n "$bin" ] || fail "$(basename "$deb") has no bin/busybox"
cp "$bin" "$DIR/busybox.tmp" && chmod 755 "$DIR/busybox.tmp" &&
	mv "$DIR/busybox.tmp" "$DIR/busybox" || fail "cannot write $DIR/busybox"
echo "$pkg $version ($(basename "$deb"), $SUITE, $archive)" >"$DIR/busybox.source"
echo "$DIR/busybox"

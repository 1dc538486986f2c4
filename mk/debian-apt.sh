# SPDX-License-Identifier: MIT
# Shared by mk/fetch-debian-kernel.sh and mk/fetch-busybox.sh (sourced, not run): fetch
# one unmodified Debian package of a foreign architecture and suite into the build tree,
# never touching the host's apt state. Never committed: everything lands under DIR.
#
#   . mk/debian-apt.sh
#   debian_apt_init ARCH SUITE DIR     # private apt state under DIR/apt; sets $aptopts
#   deb=$(debian_apt_download PKG TMP) # the .deb of PKG for ARCH, downloaded into TMP
#
# apt is pointed at SUITE for ARCH through a private state directory (its own sources
# list, package lists and cache). The archive is the one the host's apt already uses,
# read from its sources at run time, and the Release file is checked against Debian's
# archive keyring. The caller defines fail() (print a reason on stderr, exit 1).
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

debian_apt_init() {
	_arch=$1
	_suite=$2
	_dir=$3
	command -v apt-get >/dev/null 2>&1 || fail "no apt-get: not a Debian host"
	command -v dpkg-deb >/dev/null 2>&1 || fail "no dpkg-deb: not a Debian host"
	[ -r "$KEYRING" ] || fail "no $KEYRING (install debian-archive-keyring)"

	# The host's Debian archive: the first URI of a deb822 source (or a one-line
	# source) that is not the security archive.
	archive=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		archive=$(sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n' |
			grep -v -- '-security' | grep -m1 .)
		[ -n "$archive" ] && break
	done
	if [ -z "$archive" ]; then
		archive=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' |
			grep -v -- '-security' | grep -m1 .)
	fi
	[ -n "$archive" ] || fail "no Debian archive in the host's apt sources"

	mkdir -p "$_dir" || fail "cannot create $_dir"
	apt="$(cd "$_dir" && pwd)/apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" \
		"$apt/etc/apt.conf.d" "$apt/etc/sources.list.d" || fail "cannot create $apt"
	echo "deb [arch=$_arch signed-by=$KEYRING] $archive $_suite main" >"$apt/etc/sources.list"
	: >"$apt/status"
	# apt's download sandbox user must be able to write here when we are root.
	chown -R _apt "$apt/lists" "$apt/cache" 2>/dev/null || true

	aptopts="-o Dir::Etc=$apt/etc -o Dir::Etc::SourceList=$apt/etc/sources.list
	-o Dir::Etc::SourceParts=$apt/etc/sources.list.d -o Dir::Etc::Parts=$apt/etc/apt.conf.d
	-o Dir::Etc::PreferencesParts=$apt/etc/preferences.d
	-o Dir::State=$apt -o Dir::State::Lists=$apt/lists -o Dir::State::status=$apt/status
	-o Dir::Cache=$apt/cache -o APT::Architecture=$_arch -o APT::Architectures=$_arch
	-o Acquire::Languages=none -o Debug::NoLocking=1"

	# shellcheck disable=SC2086
	apt-get $aptopts -qq update >"$apt/update.log" 2>&1 ||
		fail "apt-get update for $_suite $_arch failed: $(grep -m1 '^E:' "$apt/update.log" ||
			tail -n1 "$apt/update.log")"
}

debian_apt_download() {
	_pkg=$1
	_tmp=$2
	chmod 755 "$_tmp"
	chown _apt "$_tmp" 2>/dev/null || true
	# shellcheck disable=SC2086
	(cd "$_tmp" && apt-get $aptopts -qq download "$_pkg:$_arch" >"$_tmp/log" 2>&1) ||
		fail "apt-get download $_pkg failed: $(grep -m1 '^E:' "$_tmp/log" || tail -n1 "$_tmp/log")"
	_deb=$(ls "$_tmp"/*.deb 2>/dev/null | head -n1)
	[ -n "$_deb" ] || fail "apt-get download $_pkg produced no .deb"
	echo "$_deb"
}

#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch Debian bookworm's arm64 kernel (linux-image-<version>-arm64, the package that
# Debian's linux-image-arm64 metapackage names) into the build tree for the end-to-end
# test (docs/e2e.md). Its gzip-compressed vmlinuz is unpacked into a flat arm64 Image.
#
#   mk/fetch-linux-arm64.sh [DIR]       (DIR default: build/e2e/linux-arm64)
#
# BH_E2E_ARM64_SUITE overrides the suite. See mk/fetch-debian-kernel.sh.
exec "$(dirname "$0")/fetch-debian-kernel.sh" arm64 "${BH_E2E_ARM64_SUITE:-bookworm}" \
	"${1:-build/e2e/linux-arm64}"

#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch Debian trixie's riscv64 kernel (linux-image-<version>-riscv64) into the build tree
# for the end-to-end test (docs/e2e.md). riscv64 kernels exist in Debian from trixie on.
#
#   mk/fetch-linux-riscv64.sh [DIR]     (DIR default: build/e2e/linux-riscv64)
#
# BH_E2E_SUITE overrides the suite. See mk/fetch-debian-kernel.sh.
exec "$(dirname "$0")/fetch-debian-kernel.sh" riscv64 "${BH_E2E_SUITE:-trixie}" \
	"${1:-build/e2e/linux-riscv64}"

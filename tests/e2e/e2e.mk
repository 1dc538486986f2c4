# End-to-end tests: unmodified Debian kernels on Bulkhead (docs/e2e.md).
#
#   make e2e          fetch trixie's riscv64 and bookworm's arm64 kernels and busybox-static
#                     (once, into build/e2e/ and build/session/), build the test initramfs
#                     of each arch and both hypervisors, boot each Linux with 2 vCPUs, and
#                     the scripted bh> session with two Linux guests per arch (pytest)
#   make e2e-files    only fetch and build what the boot needs
#   make e2e-bench    boot-to-init wall time and QEMU CPU time (2 CPUs), and instructions
#                     (-icount, 1 CPU) on Bulkhead and on bare QEMU, and their ratios,
#                     for both arches, measured in one run
#
# `make test` runs `make e2e` too: the two boots take ~15 s (about 40 s on a loaded box).
# Nothing here is committed: the kernel, the init and the cpio live under build/e2e/.

E2E_O := $(BUILD)/e2e
E2E_KERNEL := $(E2E_O)/linux-riscv64/Image
E2E_INIT := $(E2E_O)/init
E2E_CPIO := $(E2E_O)/initramfs.cpio
E2E_KERNEL_ARM64 := $(E2E_O)/linux-arm64/Image
E2E_INIT_ARM64 := $(E2E_O)/init-arm64
E2E_CPIO_ARM64 := $(E2E_O)/initramfs-arm64.cpio
RISCV64_CC ?= riscv64-linux-gnu-gcc
AARCH64_LINUX_CC ?= aarch64-linux-gnu-gcc

# A freestanding static program (raw system calls): no libc, no crt files.
E2E_INIT_CFLAGS := -std=gnu11 -Os -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-stack-protector -fno-pie -no-pie -static \
	-nostdlib

$(E2E_INIT): tests/e2e/init.c
	@mkdir -p $(dir $@)
	$(Q)$(RISCV64_CC) $(E2E_INIT_CFLAGS) -march=rv64gc -mabi=lp64d -o $@ $<

$(E2E_INIT_ARM64): tests/e2e/init.c
	@mkdir -p $(dir $@)
	$(Q)$(AARCH64_LINUX_CC) $(E2E_INIT_CFLAGS) -mgeneral-regs-only -Wl,-z,max-page-size=4096 -o $@ $<

$(E2E_CPIO): $(E2E_INIT) tests/e2e/mkcpio.py
	$(Q)$(PYTHON) tests/e2e/mkcpio.py $(E2E_INIT) $@

$(E2E_CPIO_ARM64): $(E2E_INIT_ARM64) tests/e2e/mkcpio.py
	$(Q)$(PYTHON) tests/e2e/mkcpio.py $(E2E_INIT_ARM64) $@

# The fetch needs the network once; a failure is written where the test reads it, so the
# test is skipped with the reason instead of failing the whole `make test` offline.
$(E2E_KERNEL): mk/fetch-linux-riscv64.sh mk/fetch-debian-kernel.sh mk/debian-apt.sh mk/kernel-image.py
	$(Q)mkdir -p $(E2E_O) && rm -f $(E2E_O)/fetch.err
	$(Q)mk/fetch-linux-riscv64.sh $(dir $@) >/dev/null 2>$(E2E_O)/fetch.err || \
		{ cat $(E2E_O)/fetch.err >&2; true; }

$(E2E_KERNEL_ARM64): mk/fetch-linux-arm64.sh mk/fetch-debian-kernel.sh mk/debian-apt.sh mk/kernel-image.py
	$(Q)mkdir -p $(E2E_O) && rm -f $(E2E_O)/fetch-arm64.err
	$(Q)mk/fetch-linux-arm64.sh $(dir $@) >/dev/null 2>$(E2E_O)/fetch-arm64.err || \
		{ cat $(E2E_O)/fetch-arm64.err >&2; true; }

.PHONY: e2e e2e-files e2e-bench
e2e-files: $(E2E_CPIO) $(E2E_KERNEL) $(E2E_CPIO_ARM64) $(E2E_KERNEL_ARM64) \
	$(BUILD)/session/arm64/initramfs.cpio $(BUILD)/session/riscv64/initramfs.cpio

# test_session.py also needs dom0-lite, the stub and the test guest of each arch;
# test_session_connect.py (the same session through `bh --connect`) builds build/host/bh.
e2e: deps
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 ARCH=riscv64 all stub dom0-lite test-guests \
		e2e-files
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 ARCH=aarch64 all stub dom0-lite test-guests
	timeout 1500 $(PYTHON) -m pytest -q tests/e2e

e2e-bench: deps bench-plugin
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 ARCH=riscv64 all e2e-files
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 ARCH=aarch64 all
	$(PYTHON) tests/e2e/boot_bench.py --icount

# dom0-lite's Linux guests with a shell (tests/system/test_dom0_linux.py, make run):
# Debian's busybox-static for the guest's arch (mk/fetch-busybox.sh, once, into
# build/session/ARCH/) in an initramfs with tests/e2e/session-init.sh. A failed fetch is
# written to build/session/fetch-ARCH.err, where the tests read why they skip.
SESSION_O := $(BUILD)/session
SESSION_DEB_ARCH := $(if $(filter aarch64,$(ARCH)),arm64,riscv64)
SESSION_BUSYBOX := $(SESSION_O)/$(SESSION_DEB_ARCH)/busybox
SESSION_CPIO := $(SESSION_O)/$(SESSION_DEB_ARCH)/initramfs.cpio
SESSION_KERNEL := $(if $(filter aarch64,$(ARCH)),$(E2E_KERNEL_ARM64),$(E2E_KERNEL))

# Kept once fetched (a pattern rule's target would be deleted as intermediate).
.PRECIOUS: $(SESSION_O)/%/busybox
$(SESSION_O)/%/busybox: mk/fetch-busybox.sh mk/debian-apt.sh
	$(Q)mkdir -p $(SESSION_O) && rm -f $(SESSION_O)/fetch-$*.err
	$(Q)mk/fetch-busybox.sh $* $(dir $@) >/dev/null 2>$(SESSION_O)/fetch-$*.err || \
		{ cat $(SESSION_O)/fetch-$*.err >&2; true; }

$(SESSION_O)/%/initramfs.cpio: $(SESSION_O)/%/busybox tests/e2e/session-init.sh tests/e2e/mkcpio.py
	$(Q)tree=$(SESSION_O)/$*/xenstore/root; [ -d $$tree ] || tree=; \
	if [ -s $< ]; then $(PYTHON) tests/e2e/mkcpio.py --shell $< $${tree:+--tree $$tree} \
		tests/e2e/session-init.sh $@; fi

# arm64's also carries Debian's xenstore-utils (and the libraries they load), so the
# guest's own xenbus can be asked from its shell (mk/fetch-xenstore-utils.sh).
SESSION_XS := $(SESSION_O)/arm64/xenstore/root/usr/bin/xenstore-read
$(SESSION_O)/arm64/initramfs.cpio: $(SESSION_XS)
$(SESSION_XS): mk/fetch-xenstore-utils.sh mk/debian-apt.sh
	$(Q)mkdir -p $(SESSION_O) && rm -f $(SESSION_O)/fetch-xenstore.err
	$(Q)mk/fetch-xenstore-utils.sh $(SESSION_O)/arm64/xenstore >/dev/null \
		2>$(SESSION_O)/fetch-xenstore.err || { cat $(SESSION_O)/fetch-xenstore.err >&2; true; }

.PHONY: session-files
session-files: $(SESSION_CPIO) $(SESSION_KERNEL)

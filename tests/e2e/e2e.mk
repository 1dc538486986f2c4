# End-to-end tests: unmodified Debian kernels on Bulkhead (docs/e2e.md).
#
#   make e2e          fetch trixie's riscv64 kernel (once, into build/e2e/), build the test
#                     initramfs and the riscv64 hypervisor, boot Linux with 2 vCPUs (pytest)
#   make e2e-files    only fetch and build what the boot needs
#   make e2e-bench    boot-to-init wall time and instructions (-icount) on Bulkhead and on
#                     bare QEMU, and their ratios, measured in one run
#
# `make test` runs `make e2e` too: the boot takes ~15 s (about 30 s on a loaded box).
# Nothing here is committed: the kernel, the init and the cpio live under build/e2e/.

E2E_O := $(BUILD)/e2e
E2E_KERNEL := $(E2E_O)/linux-riscv64/Image
E2E_INIT := $(E2E_O)/init
E2E_CPIO := $(E2E_O)/initramfs.cpio
RISCV64_CC ?= riscv64-linux-gnu-gcc

# A freestanding static program (raw system calls): no libc, no crt files.
E2E_INIT_CFLAGS := -std=gnu11 -Os -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-stack-protector -fno-pie -no-pie -static \
	-nostdlib -march=rv64gc -mabi=lp64d

$(E2E_INIT): tests/e2e/init.c
	@mkdir -p $(dir $@)
	$(Q)$(RISCV64_CC) $(E2E_INIT_CFLAGS) -o $@ $<

$(E2E_CPIO): $(E2E_INIT) tests/e2e/mkcpio.py
	$(Q)$(PYTHON) tests/e2e/mkcpio.py $(E2E_INIT) $@

# The fetch needs the network once; a failure is written where the test reads it, so the
# test is skipped with the reason instead of failing the whole `make test` offline.
$(E2E_KERNEL): mk/fetch-linux-riscv64.sh mk/riscv-image.py
	$(Q)mkdir -p $(E2E_O) && rm -f $(E2E_O)/fetch.err
	$(Q)mk/fetch-linux-riscv64.sh $(dir $@) >/dev/null 2>$(E2E_O)/fetch.err || \
		{ cat $(E2E_O)/fetch.err >&2; true; }

.PHONY: e2e e2e-files e2e-bench
e2e-files: $(E2E_CPIO) $(E2E_KERNEL)

e2e: deps
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 ARCH=riscv64 all e2e-files
	timeout 900 $(PYTHON) -m pytest -q tests/e2e

e2e-bench: deps bench-plugin
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 ARCH=riscv64 all e2e-files
	$(PYTHON) tests/e2e/boot_bench.py

# Bulkhead: top-level build. Plain GNU Make.
#
#   make [ARCH=aarch64|riscv64]   build the hypervisor image into build/<arch>/
#   make run                      the hypervisor, dom0-lite and a guest in QEMU, at the
#                                 interactive bh> prompt (installs missing packages first)
#   make demo                     the non-interactive demo: two guests, ends by itself
#   make test                     every test, both arches (installs missing packages first)
#   make bench                    benchmarks (instruction counts under -icount shift=0)
#   make boot GUESTS="a.cfg ..."  boot the hypervisor with these guests (toolstack/bh-boot)
#   make e2e                      an unmodified Debian riscv64 kernel on the hypervisor
#                                 (fetched into build/e2e/ once; part of `make test`)
#   make fuzz                     the long fuzzing runs (xenstored, hypervisor core, guests)
#   make bh                       the host `bh --connect unix:PATH <command>` (build/host/bh,
#                                 docs/api.md); make api-fuzz fuzzes its API server
#   make layers-check             the core's layering rules (docs/layers.md)
#   make deps | format | format-check | sloc | clean
#
# See README.md and docs/build.md.

ARCH ?= aarch64
BUILD ?= build
PYTHON ?= /usr/bin/python3
HOSTCC ?= gcc
Q ?= @
ARCHES := aarch64 riscv64

ifeq ($(filter $(ARCH),$(ARCHES)),)
$(error ARCH must be one of: $(ARCHES))
endif

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

O := $(BUILD)/$(ARCH)
BOARD_CONF := configs/boards/qemu-virt-$(ARCH).conf
include $(BOARD_CONF)
include arch/$(ARCH)/arch.mk

CC := $(CROSS_COMPILE)gcc
OBJCOPY := $(CROSS_COMPILE)objcopy
NM := $(CROSS_COMPILE)nm

# ---- libfdt: extracted from Debian's linux-source-6.1 into build/, never into git ----
LINUX_SRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
LIBFDT_DIR := $(BUILD)/src/libfdt
LIBFDT_SRCS := fdt.c fdt_ro.c fdt_addresses.c fdt_strerror.c fdt_sw.c fdt_rw.c fdt_wip.c

$(LIBFDT_DIR)/.stamp: mk/extract-libfdt.sh
	$(Q)mk/extract-libfdt.sh $(LINUX_SRC_TAR) $(LIBFDT_DIR)
	$(Q)touch $@

# ---- Xen public headers (Debian's libxen-dev) plus our RISC-V arch shim ----
XEN_INC := $(O)/include
$(XEN_INC)/.stamp: mk/xen-headers.sh $(wildcard arch/$(ARCH)/include/public/xen/*.h)
	$(Q)mk/xen-headers.sh $(ARCH) $(XEN_INC)
	$(Q)touch $@

# ---- the hypervisor ----
HYP_SRCS := $(sort $(wildcard hypervisor/*/*.c)) $(ARCH_HYP_SRCS) \
	lib/common/libc/string.c lib/common/fmt/fmt.c
HYP_LIBFDT_OBJS := $(patsubst %.c,$(O)/obj/libfdt/%.o,fdt.c fdt_ro.c fdt_addresses.c fdt_strerror.c)
HYP_OWN_OBJS := $(patsubst %,$(O)/obj/%.o,$(basename $(HYP_SRCS)))
HYP_OBJS := $(HYP_OWN_OBJS) $(HYP_LIBFDT_OBJS)

HYP_INCLUDES := -Ihypervisor/include -Iarch/$(ARCH)/include -Ilib/common/include \
	-Ilib/common/libc/include -I$(LIBFDT_DIR) -I$(XEN_INC)
HYP_CFLAGS := -std=c11 -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-O2 -g -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-fno-common -fno-stack-protector -fno-pie -fno-tree-loop-distribute-patterns \
	-ffunction-sections -fdata-sections \
	-D__XEN__ -DCONFIG_EARLY_UART_BASE=$(EARLY_UART_BASE) $(ARCH_CFLAGS) $(HYP_INCLUDES)
HYP_ASFLAGS := -D__ASSEMBLY__ $(ARCH_CFLAGS) $(HYP_INCLUDES)
# libfdt is another project's code: our warnings, minus the ones it does not aim for.
LIBFDT_CFLAGS := $(filter-out -Wstrict-prototypes -Wmissing-prototypes,$(HYP_CFLAGS)) \
	-Wno-sign-compare

# Rebuild everything when the flags change (a stale object built with other flags is a
# silent ABI mismatch: Xen's headers change hypercall numbers with __XEN__).
HYP_FLAGS_FILE := $(O)/hyp-flags.txt
HYP_FLAGS_NOW := $(CC) $(HYP_CFLAGS) | $(HYP_ASFLAGS) | $(LOAD_ADDR)
$(shell mkdir -p $(O) && { [ -f $(HYP_FLAGS_FILE) ] && [ "$$(cat $(HYP_FLAGS_FILE))" = '$(HYP_FLAGS_NOW)' ] || echo '$(HYP_FLAGS_NOW)' > $(HYP_FLAGS_FILE); })

$(O)/obj/%.o: %.c $(LIBFDT_DIR)/.stamp $(XEN_INC)/.stamp $(HYP_FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HYP_CFLAGS) -MMD -MP -c $< -o $@

$(O)/obj/%.o: %.S $(XEN_INC)/.stamp $(HYP_FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HYP_ASFLAGS) -MMD -MP -c $< -o $@

$(HYP_LIBFDT_OBJS): $(O)/obj/libfdt/%.o: $(LIBFDT_DIR)/.stamp $(XEN_INC)/.stamp $(HYP_FLAGS_FILE) \
	lib/common/include/libfdt_env.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LIBFDT_CFLAGS) -MMD -MP -c $(LIBFDT_DIR)/$*.c -o $@

# No -lgcc: the hypervisor defines every symbol it uses, and the link proves it (a
# compiler-support call such as __bswapsi2 fails the build with its name).
$(O)/bulkhead.elf: $(HYP_OBJS) $(ARCH_LDS) mk/link-selfcontained.sh
	$(Q)mk/link-selfcontained.sh $(NM) $@ $(CC) -nostdlib -static -no-pie -Wl,--build-id=none \
		-Wl,--gc-sections -Wl,--defsym=LOAD_ADDR=$(LOAD_ADDR) -T $(ARCH_LDS) $(HYP_OBJS)

$(O)/bulkhead.bin: $(O)/bulkhead.elf
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "  built $@ ($$(stat -c %s $@) bytes)"

# libfdt's objects too: they depend on our libfdt_env.h.
-include $(HYP_OWN_OBJS:.o=.d) $(HYP_LIBFDT_OBJS:.o=.d)

.PHONY: all hypervisor
all hypervisor: $(O)/bulkhead.bin

# make -s ARCH=... print-VAR prints a make variable, one word a line: how mk/sloc.py and
# mk/layers.py learn what the build links (print-HYP_OBJS), with which nm (print-NM).
print-%:
	@printf '%s\n' $($*)

# ---- set-up, run ----
.PHONY: deps run prompt demo
deps:
ifneq ($(SKIP_DEPS),1)
	@mk/deps.sh
endif

# make run: at a terminal, the hypervisor, dom0-lite (the control domain,
# docs/dom0-lite.md) with a boot bundle of guest configs, and a demo Linux guest that
# dom0-lite starts at boot (Debian's kernel and busybox shell, fetched once: make
# session-files; without them, the boot-time guest that echoes what is typed to it); it
# lands at dom0-lite's `bh>` prompt and waits for you (RUN_TIMEOUT seconds at most:
# CTRL-c ends it). Not at a terminal (CI, scripts), and
# always with make demo: the demo that ends by itself: three boot-time guests (the test
# guest's hypercall checks, a second guest counting on another CPU, and a third writing
# to its UART, served by its own stub domain); the board powers off when all are done.
RUN_TIMEOUT ?= 86400
RUN_BUNDLE = configs/dom0/uart-$(ARCH).cfg configs/dom0/echo-$(ARCH).cfg \
	configs/guests/demo-spin-$(ARCH).cfg
RUN_GUESTS = configs/dom0/echo-$(ARCH).cfg
# dom0-lite's management channel: its host end, a Unix socket (docs/dom0-lite.md).
MGMT_SOCKET ?= $(O)/mgmt.sock
DEMO_GUESTS = configs/guests/hypercalls-$(ARCH).cfg configs/guests/demo-spin-$(ARCH).cfg \
	configs/guests/demo-uart-$(ARCH).cfg
run: deps
	$(Q)if [ -t 0 ] && [ -t 1 ]; then $(MAKE) --no-print-directory ARCH=$(ARCH) prompt; else \
		echo "make run: not at a terminal: the demo that ends by itself (make demo);" \
			"at a terminal, make run lands at dom0-lite's bh> prompt"; \
		$(MAKE) --no-print-directory ARCH=$(ARCH) demo; fi

prompt: deps
	$(Q)$(MAKE) --no-print-directory ARCH=$(ARCH) all test-guests stub dom0-lite session-files
	$(Q)if [ -s $(SESSION_CPIO) ] && [ -s $(SESSION_KERNEL) ]; then \
		run="--bundle configs/dom0/linux-$(ARCH).cfg --autostart linux"; else \
		echo "make run: no Linux guest (see build/e2e/*.err, build/session/*.err)"; \
		run="$(RUN_GUESTS)"; fi; \
	set -x; $(PYTHON) toolstack/bh-boot --arch $(ARCH) --image $(O)/bulkhead.bin \
		--timeout $(RUN_TIMEOUT) --dom0 $(addprefix --bundle ,$(RUN_BUNDLE)) $$run \
		--mgmt-socket $(abspath $(MGMT_SOCKET))

demo: deps
	$(Q)$(MAKE) --no-print-directory ARCH=$(ARCH) all test-guests stub
	$(PYTHON) toolstack/bh-boot --arch $(ARCH) --image $(O)/bulkhead.bin $(DEMO_GUESTS)

# ---- tests ----
include tests/unit/unit.mk
include tests/system/system.mk
include tests/bench/bench.mk
include tests/guests/guests.mk
include drivers/stub/stub.mk
include dom0-lite/dom0-lite.mk
include tests/toolstack/toolstack.mk
include toolstack/bh/bh.mk
include dom0-lite/xenstored/xenstored.mk
include tests/fuzz/hyp/fuzz.mk
include tests/e2e/e2e.mk

.PHONY: test test-system images
images:
	$(Q)for a in $(ARCHES); do \
		$(MAKE) --no-print-directory ARCH=$$a all test-images test-guests stub dom0-lite || exit 1; done

test-system: images
	$(PYTHON) -m pytest -q tests/system

test: deps
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 unit-test
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 layers-check
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 test-system
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 toolstack-test
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 xenstored-test
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 hyp-fuzz-test
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 e2e

# The layering of the core (mk/layers.rules, docs/layers.md) on both arches' objects, after
# the checker's own self-test.
.PHONY: layers-check
layers-check:
	$(Q)for a in $(ARCHES); do $(MAKE) -s --no-print-directory ARCH=$$a all || exit 1; done
	$(Q)$(PYTHON) mk/layers.py --self-test
	$(Q)$(PYTHON) mk/layers.py $(ARCHES)

# ---- benchmarks ----
.PHONY: bench
bench: deps images bench-plugin
	$(PYTHON) tests/bench/boot_insns.py
	$(PYTHON) tests/bench/hypercall_insns.py
	$(PYTHON) tests/bench/vcpu_insns.py
	$(PYTHON) tests/bench/stub_bench.py
	$(PYTHON) tests/bench/create_bench.py
	$(PYTHON) tests/bench/mmio_insns.py
	$(PYTHON) tests/bench/xs_ring.py
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 xenstored-bench

# The long fuzzing runs (docs/security.md): a million inputs into xenstored's parser and
# dispatcher, and into each host fuzzer of the hypervisor (hypercalls, dom0less, the riscv64
# decoder, the vGIC and the vPLIC) and into the management API server (docs/api.md); a
# million hypercalls per arch from the fuzzer guest over four seeds, and 3 vCPUs x 100,000.
.PHONY: fuzz guest-fuzz
fuzz: deps
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 xenstored-fuzz
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 hyp-fuzz
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 api-fuzz
	$(Q)$(MAKE) --no-print-directory SKIP_DEPS=1 guest-fuzz

guest-fuzz: images
	BULKHEAD_FUZZ_LONG=1 $(PYTHON) -m pytest -q -s tests/system/test_fuzz.py

# ---- house-keeping ----
FORMAT_FILES = $(shell git ls-files '*.c' '*.h')
.PHONY: format format-check sloc clean
format:
	clang-format -i --style=file $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror --style=file $(FORMAT_FILES) && echo "format-check: clean"

sloc:
	$(Q)for a in $(ARCHES); do $(MAKE) -s --no-print-directory ARCH=$$a all || exit 1; done
	@BUILD=$(BUILD) $(PYTHON) mk/sloc.py $(ARCHES)

clean:
	rm -rf $(BUILD)

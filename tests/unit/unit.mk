# Host unit tests (cmocka): the unmodified core sources compiled for the build machine
# against arch/fake. Included by the top-level Makefile; uses only BUILD, HOSTCC,
# LIBFDT_DIR, PYTHON and Q from it.
#
#   make unit-test     build every tests/unit/test_*.c into $(BUILD)/host/unit/ and run it
#
# lib/common/libc is not built (the host libc provides the string functions), so its include
# directory must stay off the path: arch/fake comes first, so <arch/types.h> is the fake's.

UNIT_O := $(BUILD)/host/unit
UNIT_XEN_INC := $(BUILD)/host/include

UNIT_CORE_SRCS := \
	hypervisor/mm/page_alloc.c hypervisor/mm/pgtable.c hypervisor/mm/memmap.c \
	hypervisor/mm/hyp_mm.c hypervisor/mm/p2m.c hypervisor/dt/dt.c hypervisor/dt/board.c \
	hypervisor/core/cmdline.c hypervisor/core/dom0less.c hypervisor/core/percpu.c hypervisor/mm/guest_access.c \
	$(sort $(wildcard hypervisor/domain/*.c hypervisor/sched/*.c hypervisor/hypercall/*.c)) \
	$(sort $(wildcard hypervisor/time/*.c hypervisor/evtchn/*.c hypervisor/gnttab/*.c)) \
	$(sort $(wildcard hypervisor/ioreq/*.c hypervisor/magic/*.c)) \
	$(sort $(wildcard hypervisor/console/*.c)) lib/common/fmt/fmt.c arch/fake/fake.c \
	arch/riscv64/hyp/insn.c $(sort $(wildcard drivers/uart/*.c)) \
	dom0-lite/xlcfg.c dom0-lite/bundle.c dom0-lite/cmdtable.c dom0-lite/api.c
UNIT_LIBFDT_SRCS := fdt.c fdt_ro.c fdt_addresses.c fdt_strerror.c fdt_sw.c fdt_rw.c fdt_wip.c
UNIT_TESTS := $(sort $(basename $(notdir $(wildcard tests/unit/test_*.c))))

UNIT_CORE_OBJS := $(patsubst %.c,$(UNIT_O)/obj/%.o,$(UNIT_CORE_SRCS))
UNIT_LIBFDT_OBJS := $(patsubst %.c,$(UNIT_O)/obj/libfdt/%.o,$(UNIT_LIBFDT_SRCS))
UNIT_BINS := $(addprefix $(UNIT_O)/,$(UNIT_TESTS))

# ASan + UBSan work with cmocka's longjmp-based assertion catching; any report aborts.
UNIT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_INCLUDES := -Iarch/fake/include -Ihypervisor/include -Ilib/common/include -I$(LIBFDT_DIR) \
	-I$(UNIT_XEN_INC)
# _POSIX_C_SOURCE: libfdt calls strnlen, which strict C11 headers do not declare.
UNIT_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra -Werror \
	-Wstrict-prototypes -Wmissing-prototypes $(UNIT_SAN) $(UNIT_INCLUDES)
UNIT_LIBFDT_CFLAGS := $(filter-out -Wstrict-prototypes -Wmissing-prototypes,$(UNIT_CFLAGS)) \
	-Wno-sign-compare
# Test programs define their cases as static functions without separate prototypes.
UNIT_TEST_CFLAGS := $(filter-out -Wmissing-prototypes,$(UNIT_CFLAGS)) -Itests/unit -Idrivers/uart

$(UNIT_XEN_INC)/.stamp: mk/xen-headers.sh
	$(Q)mk/xen-headers.sh aarch64 $(UNIT_XEN_INC)
	$(Q)touch $@

$(UNIT_O)/obj/%.o: %.c $(LIBFDT_DIR)/.stamp $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_LIBFDT_OBJS): $(UNIT_O)/obj/libfdt/%.o: $(LIBFDT_DIR)/.stamp $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(UNIT_LIBFDT_CFLAGS) -c $(LIBFDT_DIR)/$*.c -o $@

$(UNIT_O)/obj/tests/unit/%.o: tests/unit/%.c $(LIBFDT_DIR)/.stamp $(UNIT_XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(UNIT_TEST_CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_O)/libcore.a: $(UNIT_CORE_OBJS) $(UNIT_LIBFDT_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_BINS): $(UNIT_O)/%: $(UNIT_O)/obj/tests/unit/%.o $(UNIT_O)/libcore.a
	$(Q)$(HOSTCC) $(UNIT_SAN) -g $< $(UNIT_O)/libcore.a -lcmocka -pthread -o $@

-include $(UNIT_CORE_OBJS:.o=.d) $(UNIT_BINS:$(UNIT_O)/%=$(UNIT_O)/obj/tests/unit/%.d)

.PHONY: unit-test unit-test-build
unit-test-build: $(UNIT_BINS)

unit-test: $(UNIT_BINS)
	$(Q)failed=""; for t in $(UNIT_BINS); do \
		echo "== $$t"; $$t || failed="$$failed $$(basename $$t)"; done; \
	if [ -n "$$failed" ]; then echo "unit-test: FAILED:$$failed"; exit 1; fi; \
	echo "unit-test: all $(words $(UNIT_BINS)) programs passed"

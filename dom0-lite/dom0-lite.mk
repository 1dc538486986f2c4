# dom0-lite, the control domain (docs/dom0-lite.md), for one ARCH:
# `make ARCH=... dom0-lite` builds $(O)/dom0-lite/dom0-lite.bin (a Linux-style Image, as
# the test guest and the stub). It needs Xen's tools-only structures (domctl, sysctl):
# -D__XEN_TOOLS__, and libfdt's sequential writer for the guest device trees.
include lib/domain/domain.mk

DOM0_O := $(O)/dom0-lite
DOM0_SRCS := $(filter-out dom0-lite/xenstored/%,$(sort $(wildcard dom0-lite/*.c))) \
	lib/domain/program/main.c
# xenstored (docs/xenstored.md, "Storage in dom0-lite"): the host daemon's core over kvmem
# instead of tdb, with the libc pieces it needs from shim/.
DOM0_XSD_SRCS := $(addprefix dom0-lite/xenstored/,store.c core.c access.c ops.c domain.c \
	watch.c txn.c transport_ring.c kvmem.c shim/shim.c)
DOM0_SRCS += $(DOM0_XSD_SRCS)
DOM0_OBJS := $(patsubst %.c,$(DOM0_O)/obj/%.o,$(DOM0_SRCS))
DOM0_XSD_OBJS := $(patsubst %.c,$(DOM0_O)/obj/%.o,$(DOM0_XSD_SRCS) dom0-lite/xsdom.c)
DOM0_LIBFDT_OBJS := $(DOM_O)/libfdt/fdt_sw.o
# Tools builds see Xen's latest interface (xen-compat.h sets it) and hvm/save.h's
# anonymous unions (GNU C11).
DOM0_CFLAGS := $(patsubst -std=c11,-std=gnu11,$(filter-out -D__XEN_INTERFACE_VERSION__=%,\
	$(DOM_CFLAGS))) -D__XEN_TOOLS__ -Idom0-lite
# Debian's hvm/save.h knows no riscv64 and domctl.h needs nothing from it: skip it there.
ifeq ($(ARCH),riscv64)
DOM0_CFLAGS += -D__XEN_PUBLIC_HVM_SAVE_H__
endif

$(DOM0_XSD_OBJS): DOM0_CFLAGS += -DXSD_KVMEM -Idom0-lite/xenstored \
	-Idom0-lite/xenstored/shim/include

$(DOM0_LIBFDT_OBJS): $(DOM_O)/libfdt/%.o: $(LIBFDT_DIR)/.stamp $(XEN_INC)/.stamp \
	lib/common/include/libfdt_env.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(DOM_LIBFDT_CFLAGS) -MMD -MP -c $(LIBFDT_DIR)/$*.c -o $@

# The management API (api.c) parses with Debian's libjsmn-dev (a header-only tokenizer):
# a copy in build/, so the freestanding build sees that header and no other host one.
JSMN_DIR := $(BUILD)/src/jsmn
DOM0_CFLAGS += -I$(JSMN_DIR)
$(JSMN_DIR)/jsmn.h: /usr/include/jsmn.h
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(DOM0_O)/obj/%.o: %.c $(LIBFDT_DIR)/.stamp $(XEN_INC)/.stamp $(JSMN_DIR)/jsmn.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(DOM0_CFLAGS) -MMD -MP -c $< -o $@

$(DOM0_O)/dom0-lite.elf: $(DOM0_OBJS) $(DOM0_LIBFDT_OBJS) $(DOM_RUNTIME_OBJS) $(DOM_ARCH_LDS) \
	mk/link-selfcontained.sh
	@mkdir -p $(dir $@)
	$(Q)$(call dom_link,$@,$(DOM0_OBJS) $(DOM0_LIBFDT_OBJS) $(DOM_RUNTIME_OBJS))

$(DOM0_O)/dom0-lite.bin: $(DOM0_O)/dom0-lite.elf tests/guests/check_image.py
	$(Q)$(OBJCOPY) -O binary $< $@
	$(Q)$(PYTHON) tests/guests/check_image.py $(ARCH) $@ $(DOM_TEXT_OFFSET)
	@echo "  built $@ ($$(stat -c %s $@) bytes)"

-include $(DOM0_OBJS:.o=.d)

.PHONY: dom0-lite
dom0-lite: $(DOM0_O)/dom0-lite.bin

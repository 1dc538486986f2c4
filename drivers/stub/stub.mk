# The stub domain program (drivers/stub, docs/stub-domains.md) for one ARCH:
# `make ARCH=... stub` builds $(O)/drivers/stub.bin (a Linux-style Image, as the test guest).
# It runs at the start of its RAM (text_offset 0), so a stub domain fits in 1 MiB: its
# head.S is built again with that offset, the rest of the runtime is shared.
include lib/domain/domain.mk

STUB_O := $(O)/drivers
STUB_SRCS := drivers/stub/stub.c drivers/stub/cons.c $(sort $(wildcard drivers/uart/*.c)) lib/domain/program/main.c
STUB_OBJS := $(patsubst %.c,$(DOM_O)/%.o,$(STUB_SRCS))
STUB_HEAD := $(STUB_O)/obj/head.o
STUB_RUNTIME_OBJS := $(STUB_HEAD) $(filter-out %/head.o,$(DOM_RUNTIME_OBJS))
STUB_TEXT_OFFSET := 0x0

$(STUB_HEAD): arch/$(ARCH)/domain/head.S $(XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -DDOM_TEXT_OFFSET=%,$(DOM_ASFLAGS)) \
		-DDOM_TEXT_OFFSET=$(STUB_TEXT_OFFSET) -MMD -MP -c $< -o $@

$(STUB_O)/stub.elf: $(STUB_OBJS) $(STUB_RUNTIME_OBJS) $(DOM_ARCH_LDS) mk/link-selfcontained.sh
	@mkdir -p $(dir $@)
	$(Q)$(call dom_link_at,$@,$(STUB_OBJS) $(STUB_RUNTIME_OBJS),$(DOM_RAM_BASE))

$(STUB_O)/stub.bin: $(STUB_O)/stub.elf tests/guests/check_image.py
	$(Q)$(OBJCOPY) -O binary $< $@
	$(Q)$(PYTHON) tests/guests/check_image.py $(ARCH) $@ $(STUB_TEXT_OFFSET)
	@echo "  built $@ ($$(stat -c %s $@) bytes)"

-include $(STUB_OBJS:.o=.d) $(STUB_HEAD:.o=.d)

.PHONY: stub
stub: $(STUB_O)/stub.bin

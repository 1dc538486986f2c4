# Test guests for one ARCH: `make ARCH=... test-guests` builds $(O)/guests/testguest.bin
# (a raw Linux-style Image the hypervisor loads from a dom0less boot module) and .elf.
# One program; bootargs `test=<mode>` choose what it does (see tests/guests/README.md).
include lib/domain/domain.mk

GUEST_O := $(O)/guests
TESTGUEST_SRCS := $(sort $(wildcard tests/guests/*.c))
TESTGUEST_OBJS := $(patsubst %.c,$(DOM_O)/%.o,$(TESTGUEST_SRCS))

$(GUEST_O)/testguest.elf: $(TESTGUEST_OBJS) $(DOM_RUNTIME_OBJS) $(DOM_ARCH_LDS) \
	mk/link-selfcontained.sh
	@mkdir -p $(dir $@)
	$(Q)$(call dom_link,$@,$(TESTGUEST_OBJS) $(DOM_RUNTIME_OBJS))

$(GUEST_O)/testguest.bin: $(GUEST_O)/testguest.elf tests/guests/check_image.py
	$(Q)$(OBJCOPY) -O binary $< $@
	$(Q)$(PYTHON) tests/guests/check_image.py $(ARCH) $@ $(DOM_TEXT_OFFSET)
	@echo "  built $@ ($$(stat -c %s $@) bytes)"

-include $(TESTGUEST_OBJS:.o=.d)

.PHONY: test-guests
test-guests: $(GUEST_O)/testguest.bin

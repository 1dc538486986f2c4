# The domain runtime (lib/domain + arch/<arch>/domain), for every domain program: test
# guests now, dom0-lite, stub and driver domains later. Included by their make
# fragments; uses O, ARCH, CC, NM, Q, LIBFDT_DIR, XEN_INC and their .stamp rules from the
# top-level Makefile. A program links $(DOM_RUNTIME_OBJS) with $(call dom_link,...).
ifndef DOM_RUNTIME_MK
DOM_RUNTIME_MK := 1

include arch/$(ARCH)/domain/domain.mk

DOM_LOAD_ADDR := $(shell printf '0x%x' $$(( $(DOM_RAM_BASE) + $(DOM_TEXT_OFFSET) )))
DOM_O := $(O)/dom
DOM_INCLUDES := -Ilib/domain/include -Ilib/common/include -Ilib/common/libc/include \
	-I$(LIBFDT_DIR) -I$(XEN_INC)
# Guests see Xen's current interface (without it, xen.h maps sched_op to the old
# sched_op_compat number).
DOM_CFLAGS := -std=c11 -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-O2 -g -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-fno-common -fno-stack-protector -fno-pie -fno-tree-loop-distribute-patterns \
	-ffunction-sections -fdata-sections -D__XEN_INTERFACE_VERSION__=0x00040e00 \
	$(DOM_ARCH_CFLAGS) $(DOM_INCLUDES)
DOM_ASFLAGS := -D__ASSEMBLY__ -DDOM_TEXT_OFFSET=$(DOM_TEXT_OFFSET) $(DOM_ARCH_ASFLAGS) \
	$(DOM_ARCH_CFLAGS) $(DOM_INCLUDES)
DOM_LIBFDT_CFLAGS := $(filter-out -Wstrict-prototypes -Wmissing-prototypes,$(DOM_CFLAGS)) \
	-Wno-sign-compare

DOM_RUNTIME_SRCS := $(DOM_ARCH_SRCS) $(sort $(wildcard lib/domain/*.c)) \
	lib/common/libc/string.c lib/common/fmt/fmt.c
DOM_LIBFDT_OBJS := $(patsubst %.c,$(DOM_O)/libfdt/%.o,fdt.c fdt_ro.c fdt_addresses.c fdt_strerror.c)
DOM_OWN_OBJS := $(patsubst %,$(DOM_O)/%.o,$(basename $(DOM_RUNTIME_SRCS)))
DOM_RUNTIME_OBJS := $(DOM_OWN_OBJS) $(DOM_LIBFDT_OBJS)

$(DOM_O)/%.o: %.c $(LIBFDT_DIR)/.stamp $(XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(DOM_CFLAGS) -MMD -MP -c $< -o $@

$(DOM_O)/%.o: %.S $(XEN_INC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(DOM_ASFLAGS) -MMD -MP -c $< -o $@

$(DOM_LIBFDT_OBJS): $(DOM_O)/libfdt/%.o: $(LIBFDT_DIR)/.stamp $(XEN_INC)/.stamp \
	lib/common/include/libfdt_env.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(DOM_LIBFDT_CFLAGS) -MMD -MP -c $(LIBFDT_DIR)/$*.c -o $@

# $(call dom_link,output.elf,objects): link a domain image at DOM_LOAD_ADDR. No -lgcc, as
# for the hypervisor: the image must define every symbol it uses (mk/link-selfcontained.sh).
# $(call dom_link_at,output.elf,objects,address): the same at another address.
dom_link_at = mk/link-selfcontained.sh $(NM) $(1) $(CC) -nostdlib -static -no-pie \
	-Wl,--build-id=none -Wl,--gc-sections -Wl,--defsym=DOM_LOAD_ADDR=$(3) \
	-T $(DOM_ARCH_LDS) $(2)
dom_link = $(call dom_link_at,$(1),$(2),$(DOM_LOAD_ADDR))

-include $(DOM_OWN_OBJS:.o=.d) $(DOM_LIBFDT_OBJS:.o=.d)

endif

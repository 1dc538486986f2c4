# aarch64: the hypervisor runs at EL2 (non-VHE), entered from QEMU or U-Boot with
# x0 = DTB. Everything up to arch_mmu_enable() runs with the MMU off, where memory is
# Device memory and unaligned accesses fault: hence -mstrict-align.
CROSS_COMPILE ?= aarch64-linux-gnu-
TEXT_OFFSET := $(shell printf '0x%x' $$(( $(LOAD_ADDR) - $(RAM_BASE) )))
ARCH_CFLAGS := -march=armv8-a -mgeneral-regs-only -mno-outline-atomics -mstrict-align \
	-mcmodel=small -DCONFIG_TEXT_OFFSET=$(TEXT_OFFSET)
ARCH_HYP_SRCS := $(sort $(wildcard arch/aarch64/hyp/*.c arch/aarch64/hyp/*.S))
ARCH_LDS := arch/aarch64/hyp/hyp.lds

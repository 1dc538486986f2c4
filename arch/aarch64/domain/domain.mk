# aarch64 domain side: guests run at EL1 with the MMU off until they turn it on, so
# memory is Device memory and unaligned accesses fault (-mstrict-align); no FP/SIMD, so
# nothing depends on the hypervisor's FP context switching (-mgeneral-regs-only).
# Guest RAM starts at Xen's GUEST_RAM0_BASE; the image is loaded at RAM + text_offset.
DOM_RAM_BASE := 0x40000000
DOM_TEXT_OFFSET := 0x200000
DOM_ARCH_CFLAGS := -march=armv8-a -mgeneral-regs-only -mno-outline-atomics -mstrict-align \
	-mcmodel=small -Iarch/aarch64/domain/include
DOM_ARCH_SRCS := arch/aarch64/domain/head.S arch/aarch64/domain/arch.c arch/aarch64/domain/irq.c
DOM_ARCH_LDS := arch/aarch64/domain/domain.lds

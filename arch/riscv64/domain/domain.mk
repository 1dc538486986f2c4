# riscv64 domain side: guests run in VS-mode with vsatp = 0 until they turn paging on.
# No F/D (nothing depends on the hypervisor's FP switching); medany for an image at
# 0x80200000; -mno-relax so nothing depends on gp. The hypercall EID is a make variable
# so the contract lives in one place (see head.S and docs/abi-riscv.md).
DOM_RAM_BASE := 0x80000000
DOM_TEXT_OFFSET := 0x200000
DOM_XEN_SBI_EID ?= 0x0A000EA1
DOM_ARCH_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -mno-relax
DOM_ARCH_ASFLAGS := -DDOM_XEN_SBI_EID=$(DOM_XEN_SBI_EID)
DOM_ARCH_SRCS := arch/riscv64/domain/head.S arch/riscv64/domain/arch.c arch/riscv64/domain/irq.c
DOM_ARCH_LDS := arch/riscv64/domain/domain.lds

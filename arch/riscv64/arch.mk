# riscv64: the hypervisor runs in HS-mode, entered from OpenSBI (-bios default) at
# LOAD_ADDR with a0 = hartid, a1 = DTB. No F/D: the hypervisor never touches FP state,
# so guests' FP registers stay theirs. medany: the image runs at 0x80200000, beyond
# medlow's +-2 GiB around zero. -mno-relax: no gp-relative relaxation, so nothing
# depends on gp (which belongs to guests once they run).
CROSS_COMPILE ?= riscv64-linux-gnu-
ARCH_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -mno-relax
ARCH_HYP_SRCS := $(sort $(wildcard arch/riscv64/hyp/*.c arch/riscv64/hyp/*.S))
ARCH_LDS := arch/riscv64/hyp/hyp.lds

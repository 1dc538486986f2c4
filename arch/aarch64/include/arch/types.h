/* SPDX-License-Identifier: MIT */
/* aarch64 state embedded in core structs as `.arch`: types only, no functions. */
#ifndef BULKHEAD_ARCH_AARCH64_TYPES_H
#define BULKHEAD_ARCH_AARCH64_TYPES_H

#include <stdint.h>

#include <arch/frame.h>

/* Per-CPU arch state. */
struct arch_pcpu {
    uintptr_t gicr; /* this CPU's GICv3 redistributor (RD_base) */
};

/* The EL1 system registers a vCPU owns, saved and restored on a vCPU switch. */
struct el1_sysregs {
    uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
    uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr, spsr;
    uint64_t esr, far, afsr0, afsr1, par, cpacr, cntkctl, cntv_ctl, cntv_cval, csselr;
    uint64_t vmpidr;
};

/* FP/SIMD registers (guests use them; the hypervisor never does). */
struct fpsimd_state {
    uint64_t q[64]; /* q0-q31 as pairs of 64-bit halves */
    uint64_t fpsr, fpcr;
};

struct arch_vcpu {
    struct trap_frame regs; /* x0-x30, PC (elr) and PSTATE (spsr) */
    struct el1_sysregs el1;
    struct fpsimd_state fp;
};

/* A domain's stage-2 context (mm/p2m embeds it). */
struct arch_p2m {
    uint64_t vttbr; /* VMID << 48 | stage-2 root */
};

struct arch_domain {
    uint8_t unused; /* nothing yet; C11 has no empty structs */
};

#endif

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

#define VGIC_MAX_LRS 16 /* ICH_LR<n>_EL2: the architecture allows up to 16 */

/*
 * A vCPU's part of the virtual GICv3 (hyp/vgic.c): its redistributor (SGIs and PPIs,
 * INTIDs 0-31) and its virtual CPU interface. Guarded by the domain's vGIC lock, except
 * the list registers, which only the CPU running the vCPU touches.
 */
struct vgic_cpu {
    uint64_t lr[VGIC_MAX_LRS]; /* ICH_LR<n>_EL2 while descheduled */
    uint64_t vmcr;             /* ICH_VMCR_EL2: the guest's PMR, BPR, group enables */
    uint64_t ap0r0, ap1r0;     /* ICH_AP{0,1}R0_EL2: active priorities */
    uint64_t hcr;              /* ICH_HCR_EL2 (UIE while interrupts wait for a free LR) */
    uint32_t lr_used;          /* which LRs hold an interrupt (live or saved) */
    uint32_t enabled;          /* GICR_ISENABLER0 */
    uint32_t pending;          /* pending, not yet in a list register */
    uint32_t active;           /* active as set by the guest through ISACTIVER0 */
    uint32_t in_lr;            /* INTIDs 0-31 held in a list register */
    uint32_t icfgr1;           /* GICR_ICFGR1 (PPI trigger modes, as written) */
    uint8_t prio[32];          /* GICR_IPRIORITYR0-7 */
    uint32_t waker;            /* GICR_WAKER.ProcessorSleep */
    uint32_t dirty;            /* pending work for the list registers: flush before entry */
};

/* The emulated EL1 physical timer (CNTP_*), served on arch_timers[1]. */
struct vptimer {
    uint64_t ctl, cval;
};

struct arch_vcpu {
    struct trap_frame regs; /* x0-x30, PC (elr) and PSTATE (spsr) */
    struct el1_sysregs el1;
    struct fpsimd_state fp;
    struct vgic_cpu vgic;
    struct vptimer ptimer;
};

/* A domain's stage-2 context (mm/p2m embeds it). */
struct arch_p2m {
    uint64_t vttbr; /* VMID << 48 | stage-2 root */
};

struct vgic_dist;

/* A domain's virtual distributor lives in a page of its own, charged to the domain
 * (arch_domain_init), so struct domain stays within its page. */
struct arch_domain {
    struct vgic_dist *vgic;
};

#endif

/* SPDX-License-Identifier: MIT */
/* riscv64 state embedded in core structs as `.arch`: types only, no functions. */
#ifndef BULKHEAD_ARCH_RISCV64_TYPES_H
#define BULKHEAD_ARCH_RISCV64_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/frame.h>

/* Per-CPU arch state. */
struct arch_pcpu {
    uint32_t plic_ctx;   /* this hart's S-mode PLIC context (interrupts-extended index) */
    bool probing;        /* a CSR probe is under way: an illegal instruction is expected */
    bool probe_faulted;  /* ... and it was taken (the instruction was skipped) */
    uint64_t last_uid;   /* the vCPU whose VS-stage TLB entries this hart may hold */
    uint64_t last_hgatp; /* hgatp of the last domain entered here */
    /* The p2m whose vCPU this hart loaded last (stage2.c): it may be using its G-stage
     * entries now, so a change to that p2m fences this hart at once; a hart that moved
     * on only loses its bit in the p2m's harts and flushes when it comes back. */
    const void *s2_loaded;
};

/* The VS-level CSRs a vCPU owns (H extension 8.2.11-8.2.19), switched between vCPUs. */
struct vs_csrs {
    uint64_t vsstatus, vsie, vstvec, vsscratch, vsepc, vscause, vstval, vsatp;
    uint64_t hvip; /* pending VS interrupts injected by the hypervisor */
};

/* The guest's FP registers (F/D), when its vsstatus.FS is not Off. */
struct fp_state {
    uint64_t f[32];
    uint64_t fcsr;
};

struct arch_vcpu {
    struct trap_frame regs; /* x1-x31, sepc, sstatus (SPP) and hstatus (SPV, VTW) */
    struct vs_csrs vs;
    struct fp_state fp;
    uint64_t uid;  /* unique over the hypervisor's life (addresses of vCPUs are reused) */
    int last_hart; /* logical CPU it was last loaded on (-1: never) */
    /* The virtual timer (hyp/virq.c): with Sstc the guest's vstimecmp while it is not
     * loaded; without, its SBI set_timer deadline. ~0: not armed. */
    uint64_t timer_deadline;
    uint32_t ipi_pending; /* an SBI IPI waits to become hvip.VSSIP (atomic) */
    bool suspended;       /* in SBI HSM hart_suspend until it runs again */
};

/* A domain's G-stage context (mm/p2m embeds it). */
struct arch_p2m {
    uint64_t hgatp; /* Sv39x4 | VMID | stage-2 root PPN */
    uint16_t vmid;
    /* Harts whose G-stage entries for this VMID are current: a hart without its bit
     * sets it, and flushes the VMID, before it runs one of the domain's vCPUs
     * (stage2_vcpu_load). Changed under the p2m lock or by the hart itself (atomic). */
    uint64_t harts;
    /* The last page hypercall copies translated (hyp/guest_va.c): guest-physical page
     * -> host page and its attributes, if last_valid. Under the p2m lock; dropped with every
     * flush of the domain's translations (arch_p2m_flush), as a TLB entry would be. */
    uint64_t last_gpa;
    uint64_t last_pa;
    unsigned last_attr;
    bool last_valid;
};

/* QEMU virt's PLIC as a domain sees it (hyp/vplic.c): sources 1..VPLIC_NDEV, two
 * contexts per vCPU (M-mode: nothing there; S-mode: 2 * vCPU id + 1). */
#define VPLIC_NDEV  96
#define VPLIC_WORDS 4 /* bitmap words covering sources 0..127 */
#define VPLIC_CTXS  8 /* S-mode contexts: MAX_VCPUS */

struct vplic_ctx {
    uint32_t enable[VPLIC_WORDS];
    uint32_t threshold;
};

struct vplic {
    uint32_t lock; /* vplic.c's test-and-set lock (spinlock.h needs this header) */
    uint8_t priority[VPLIC_NDEV + 1];
    uint32_t pending[VPLIC_WORDS];
    uint32_t claimed[VPLIC_WORDS]; /* claimed and not completed yet */
    uint32_t level[VPLIC_WORDS];   /* lines a device model holds high (dm_op) */
    struct vplic_ctx ctx[VPLIC_CTXS];
    uint32_t eip; /* bit n: vCPU n has a claimable interrupt over its threshold (atomic) */
};

struct arch_domain {
    bool sbi_warned; /* an unsupported SBI call was logged once */
    struct vplic vplic;
};

#endif

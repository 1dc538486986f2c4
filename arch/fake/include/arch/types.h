/* SPDX-License-Identifier: MIT */
/* Fake-arch state embedded in core structs as `.arch` (host unit tests). */
#ifndef BULKHEAD_ARCH_FAKE_TYPES_H
#define BULKHEAD_ARCH_FAKE_TYPES_H

#include <stdbool.h>
#include <stdint.h>

/* Per-CPU arch state: what the fake interrupt controller set up for this CPU. */
struct arch_pcpu {
    unsigned irqc_inits; /* arch_irqc_cpu_init() calls */
};

/* A vCPU's registers, as far as the core's tests look at them. */
struct arch_vcpu {
    uint64_t entry;   /* first instruction */
    uint64_t arg;     /* boot argument (DTB address) */
    unsigned loads;   /* arch_vcpu_load() calls */
    bool irq_pending; /* what arch_vcpu_irq_pending() answers */
    unsigned upcalls; /* arch_vcpu_evtchn_upcall() calls */
};

/* A domain's stage-2 context: what the fake invalidation saw. */
struct arch_p2m {
    unsigned flushes;       /* arch_p2m_flush() calls */
    uint64_t flushed_pages; /* pages they covered, summed */
};

struct arch_domain {
    uint32_t irq_level[4];  /* arch_domain_irq_level(): lines 32..127 (as aarch64's SPIs) */
    uint32_t irq_routed[4]; /* arch_irq_route(): host lines given to it, as irq_level */
};

#endif

/* SPDX-License-Identifier: MIT */
/* Fake-arch state embedded in core structs as `.arch` (host unit tests). */
#ifndef BULKHEAD_ARCH_FAKE_TYPES_H
#define BULKHEAD_ARCH_FAKE_TYPES_H

#include <stdint.h>

/* Per-CPU arch state: what the fake interrupt controller set up for this CPU. */
struct arch_pcpu {
    unsigned irqc_inits; /* arch_irqc_cpu_init() calls */
};

#endif

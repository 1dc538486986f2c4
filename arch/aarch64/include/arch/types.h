/* SPDX-License-Identifier: MIT */
/* aarch64 state embedded in core structs as `.arch`. */
#ifndef BULKHEAD_ARCH_AARCH64_TYPES_H
#define BULKHEAD_ARCH_AARCH64_TYPES_H

#include <stdint.h>

/* Per-CPU arch state. */
struct arch_pcpu {
    uintptr_t gicr; /* this CPU's GICv3 redistributor (RD_base) */
};

#endif

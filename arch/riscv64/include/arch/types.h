/* SPDX-License-Identifier: MIT */
/* riscv64 state embedded in core structs as `.arch`. */
#ifndef BULKHEAD_ARCH_RISCV64_TYPES_H
#define BULKHEAD_ARCH_RISCV64_TYPES_H

#include <stdbool.h>
#include <stdint.h>

/* Per-CPU arch state. */
struct arch_pcpu {
    uint32_t plic_ctx;  /* this hart's S-mode PLIC context (interrupts-extended index) */
    bool probing;       /* a CSR probe is under way: an illegal instruction is expected */
    bool probe_faulted; /* ... and it was taken (the instruction was skipped) */
};

#endif

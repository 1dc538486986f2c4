/* SPDX-License-Identifier: MIT */
/* The register frame saved by hyp/entry.S (arch/riscv64 internal). */
#ifndef BULKHEAD_ARCH_RISCV64_TRAP_H
#define BULKHEAD_ARCH_RISCV64_TRAP_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame {
    uint64_t x[31]; /* x1-x31: x[0] is ra, x[1] sp before the trap, ... */
    uint64_t sepc;
    uint64_t sstatus;
    uint64_t scause;
    uint64_t stval;
    uint64_t htval;  /* guest-physical address >> 2 of a guest-page fault */
    uint64_t htinst; /* transformed trapping instruction (H extension 8.6.3) */
    uint64_t hstatus;
};

_Static_assert(sizeof(struct trap_frame) == 304, "matches FRAME_SIZE in entry.S");

void arch_trap_handler(struct trap_frame *f);

/* The PLIC raised the supervisor external interrupt on this hart (plic.c). */
void plic_handle_irq(void);

/* True if this hart can access stimecmp (Sstc enabled by M-mode via menvcfg.STCE). */
bool trap_probe_stimecmp(void);

#endif

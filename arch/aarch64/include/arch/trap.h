/* SPDX-License-Identifier: MIT */
/* The register frame saved by hyp/vectors.S (arch/aarch64 internal). */
#ifndef BULKHEAD_ARCH_AARCH64_TRAP_H
#define BULKHEAD_ARCH_AARCH64_TRAP_H

#include <stdint.h>

#include <arch/frame.h>

/* Vector entry index (Arm ARM D1.10.2): which stack/EL and which exception type. */
enum trap_kind {
    TRAP_CUR_SP0_SYNC = 0,
    TRAP_CUR_SPX_SYNC = 4,
    TRAP_CUR_SPX_IRQ = 5,
    TRAP_LOWER64_SYNC = 8,
    TRAP_LOWER64_IRQ = 9,
    TRAP_LOWER64_FIQ = 10,
    TRAP_LOWER64_SERROR = 11,
};

void arch_trap_handler(struct trap_frame *f, unsigned kind);

/* The GIC acknowledged an interrupt for the hypervisor; handle it (gicv3.c). */
void gic_handle_irq(void);

/* A trap from a guest (guest_traps.c): synchronous exceptions and everything else. */
void guest_sync(struct trap_frame *f);
void guest_async(struct trap_frame *f, unsigned kind);

/* A PSCI call from a guest (HVC #0); result in f->x[0] (psci_guest.c). */
void psci_guest_call(struct trap_frame *f);

/* The frame of the guest this CPU runs: at the top of its hypervisor stack. */
struct trap_frame *guest_frame(void);

#endif

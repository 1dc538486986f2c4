/* SPDX-License-Identifier: MIT */
/*
 * aarch64-only parts of the domain runtime (arch/aarch64/domain): the EL1 exception
 * frame and a hook for synchronous exceptions, for tests that provoke them, and the
 * virtual GICv3's guest addresses (Xen's arch-arm.h guest layout).
 */
#ifndef DOM_A64_H
#define DOM_A64_H

#include <stdbool.h>
#include <stdint.h>

#define DOM_GICD_BASE     0x03001000ul /* GUEST_GICV3_GICD_BASE */
#define DOM_GICD_SIZE     0x00010000ul
#define DOM_GICR_BASE     0x03020000ul /* GUEST_GICV3_GICR0_BASE */
#define DOM_GICR_STRIDE   0x00020000ul
#define DOM_GICR_SGI_BASE 0x10000ul

#define DOM_SGI_IPI 1u /* the SGI behind DOM_IRQ_IPI */

/* What head.S saves on an exception; a handler may change it (elr to skip, x[]). */
struct dom_a64_frame {
    uint64_t x[31];
    uint64_t elr, spsr, pad;
};

/* Called for a synchronous exception with ESR_EL1 and FAR_EL1; return true to resume
 * at f->elr (which it has advanced), false to report it and crash. */
typedef bool (*dom_a64_sync_fn)(struct dom_a64_frame *f, uint64_t esr, uint64_t far);
void dom_a64_set_sync_hook(dom_a64_sync_fn fn);

/* Called for an interrupt whose INTID has no runtime number (PPIs other than the
 * timer's, such as the EL1 physical timer's 30), before its EOI. */
typedef void (*dom_a64_intid_fn)(unsigned intid);
void dom_a64_set_intid_hook(dom_a64_intid_fn fn);

/* MMIO accessors: one plain load or store (no writeback, no pair), so the hypervisor's
 * trap carries the instruction syndrome it emulates with (ESR.ISV). */
#define DOM_MMIO_ACCESSORS(bits, type, suffix, reg)                                                \
    static inline type dom_mmio_read##bits(uint64_t a)                                             \
    {                                                                                              \
        type v;                                                                                    \
        __asm__ volatile("ldr" suffix " %" reg "0, [%1]" : "=r"(v) : "r"(a) : "memory");           \
        return v;                                                                                  \
    }                                                                                              \
    static inline void dom_mmio_write##bits(uint64_t a, type v)                                    \
    {                                                                                              \
        __asm__ volatile("str" suffix " %" reg "0, [%1]" ::"r"(v), "r"(a) : "memory");             \
    }
DOM_MMIO_ACCESSORS(8, uint8_t, "b", "w")
DOM_MMIO_ACCESSORS(16, uint16_t, "h", "w")
DOM_MMIO_ACCESSORS(32, uint32_t, "", "w")
DOM_MMIO_ACCESSORS(64, uint64_t, "", "x")

/* Interrupts taken since boot, per vCPU (for tests). */
uint64_t dom_a64_irq_count(unsigned vcpu);

#endif

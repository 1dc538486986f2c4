/* SPDX-License-Identifier: MIT */
/*
 * Interrupts inside a domain: the arch-neutral interface the test guests (and later
 * dom0-lite, stub and driver domains) use, implemented per arch in
 * arch/<arch>/domain/irq.c on top of what the hypervisor emulates (aarch64: the virtual
 * GICv3 at Xen's guest addresses and the EL1 virtual timer; riscv64: SBI IPI and TIME /
 * Sstc, and the virtual PLIC for devices).
 *
 * Interrupt numbers are the runtime's own, so a test reads the same on both arches:
 * DOM_IRQ_IPI, DOM_IRQ_TIMER and DOM_IRQ_EVTCHN are per vCPU; device interrupts start at
 * DOM_IRQ_DEV0 (DOM_IRQ_DEV0 + n is GIC SPI n / PLIC source n).
 */
#ifndef DOM_IRQ_H
#define DOM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define DOM_IRQ_IPI    0u
#define DOM_IRQ_TIMER  1u
#define DOM_IRQ_EVTCHN 2u /* the event-channel upcall (aarch64: PPI 31, Xen's) */
#define DOM_IRQ_DEV0   32u
#define DOM_IRQ_MAX    128u

/* Called in interrupt context on the vCPU that took @irq, with interrupts masked. */
typedef void (*dom_irq_handler)(unsigned irq, void *ctx);

/* Set up this vCPU's interrupt delivery (vectors, CPU interface / hart context); every
 * vCPU calls it once before enabling interrupts. 0 or a negative error. */
int dom_irq_cpu_init(void);

/* Route @irq to @fn on every vCPU that enables it. */
void dom_irq_register(unsigned irq, dom_irq_handler fn, void *ctx);

/* Unmask @irq at the interrupt controller for this vCPU (per-vCPU interrupts) or route
 * it here (device interrupts). */
void dom_irq_enable(unsigned irq);
void dom_irq_disable(unsigned irq);

/* True if this arch delivers the event-channel upcall as DOM_IRQ_EVTCHN (aarch64: PPI
 * 31); false where it has none and a waiting vCPU is woken from SCHEDOP_block (riscv64). */
bool dom_irq_has_evtchn_upcall(void);

/* Mask / unmask interrupts on this vCPU (PSTATE.I / sstatus.SIE). */
void dom_irq_local_enable(void);
void dom_irq_local_disable(void);

/* Wait for an interrupt (WFI: the hypervisor blocks the vCPU until one is pending). */
void dom_irq_wait(void);

/* Send DOM_IRQ_IPI to vCPU @vcpu (may be the caller), or to every other vCPU. */
void dom_irq_send_ipi(unsigned vcpu);
void dom_irq_send_ipi_others(void);

/* This vCPU's timer: DOM_IRQ_TIMER when dom_arch_counter() reaches @deadline. A new
 * deadline replaces the old; stop disarms it. */
void dom_irq_timer_set(uint64_t deadline);
void dom_irq_timer_stop(void);

#endif

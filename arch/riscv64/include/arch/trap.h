/* SPDX-License-Identifier: MIT */
/* The register frame saved by hyp/entry.S (arch/riscv64 internal). */
#ifndef BULKHEAD_ARCH_RISCV64_TRAP_H
#define BULKHEAD_ARCH_RISCV64_TRAP_H

#include <arch/frame.h>

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>
#endif

#ifndef __ASSEMBLER__
void arch_trap_handler(struct trap_frame *f);

/* The PLIC raised the supervisor external interrupt on this hart (plic.c). */
void plic_handle_irq(void);

/* True if this hart can access stimecmp (Sstc enabled by M-mode via menvcfg.STCE). */
bool trap_probe_stimecmp(void);

/* Handle an interrupt the hypervisor takes (timer, external, kick); false if @f is not
 * an interrupt or not one of those (traps.c). */
bool trap_handle_interrupt(const struct trap_frame *f);

/* A trap from VS-mode or VU-mode, @f being the guest's frame (guest_traps.c). */
void guest_trap(struct trap_frame *f);

/* A Xen hypercall from a guest, from entry.S's fast path (guest_traps.c); true when
 * the scheduler must run before the guest resumes. */
bool guest_hypercall(struct trap_frame *f);

/* An ecall from VS-mode that is not a hypercall: the hypervisor as the guest's SBI
 * (sbi_guest.c). Sets a0/a1 in @f. */
void sbi_guest_call(struct trap_frame *f);

/* The frame of the guest this CPU runs: at the top of its hypervisor stack. */
struct trap_frame *guest_frame(void);

/* Per-hart H-extension set-up: delegation, counters, no stage 2 yet (vcpu.c). */
void hyp_ext_cpu_init(void);
#endif

#endif

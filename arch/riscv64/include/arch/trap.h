/* SPDX-License-Identifier: MIT */
/* The register frame saved by hyp/entry.S (arch/riscv64 internal). */
#ifndef BULKHEAD_ARCH_RISCV64_TRAP_H
#define BULKHEAD_ARCH_RISCV64_TRAP_H

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>
#endif

#define TRAP_FRAME_SIZE 304 /* struct trap_frame */
/*
 * The top TRAP_AREA_SIZE bytes of every CPU stack: the running guest's frame, then this
 * CPU's struct pcpu * (at TRAP_AREA_PCPU from the frame), which the entry code reloads
 * tp from after a trap from VS-mode. A multiple of 16 (psABI stack alignment).
 */
#define TRAP_AREA_SIZE 320
#define TRAP_AREA_PCPU TRAP_FRAME_SIZE

#ifndef __ASSEMBLER__
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

_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "matches FRAME_SIZE in entry.S");

/* Registers by ABI name, as indices into trap_frame.x (xN is x[N - 1]). */
#define REG_SP 1
#define REG_A0 9
#define REG_A1 10
#define REG_A2 11
#define REG_A3 12
#define REG_A4 13
#define REG_A5 14
#define REG_A6 15
#define REG_A7 16

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

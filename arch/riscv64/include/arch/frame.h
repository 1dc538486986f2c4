/* SPDX-License-Identifier: MIT */
/* The register frame saved by hyp/entry.S: a type and its layout constants only
 * (arch/types.h embeds it; entry.S uses the constants). */
#ifndef BULKHEAD_ARCH_RISCV64_FRAME_H
#define BULKHEAD_ARCH_RISCV64_FRAME_H

#ifndef __ASSEMBLER__
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
#endif

#endif

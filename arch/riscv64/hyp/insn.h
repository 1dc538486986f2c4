/* SPDX-License-Identifier: MIT */
/*
 * Decoding a guest's load or store for MMIO emulation (mmio.c): the 32-bit LOAD / STORE
 * opcodes and the compressed C.LW, C.LD, C.SW, C.SD, C.LWSP, C.LDSP, C.SWSP, C.SDSP
 * (unprivileged spec, chapters "RV32I" and "C"). Pure functions of the instruction word,
 * so host unit tests and a host fuzzer run them (tests/unit/test_rv_insn.c,
 * tests/fuzz/hyp/fuzz_rv_insn.c).
 */
#ifndef BULKHEAD_RISCV64_INSN_H
#define BULKHEAD_RISCV64_INSN_H

#include <stdbool.h>
#include <stdint.h>

struct mmio_insn {
    bool write;
    unsigned width; /* bytes */
    bool sign;      /* loads: sign-extend */
    unsigned reg;   /* rd (loads) or rs2 (stores), x0-x31 */
    unsigned len;   /* 2 or 4 */
};

/* Decode @insn; false if it is not a load or store the emulation handles. */
bool insn_decode32(uint32_t insn, struct mmio_insn *m);
bool insn_decode16(uint16_t insn, struct mmio_insn *m);

#endif

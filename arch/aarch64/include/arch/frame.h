/* SPDX-License-Identifier: MIT */
/* The register frame saved by hyp/vectors.S: a type only (arch/types.h embeds it). */
#ifndef BULKHEAD_ARCH_AARCH64_FRAME_H
#define BULKHEAD_ARCH_AARCH64_FRAME_H

#include <stdint.h>

struct trap_frame {
    uint64_t x[31]; /* x0-x30 */
    uint64_t sp;    /* stack pointer before the trap */
    uint64_t elr;
    uint64_t spsr;
    uint64_t esr;
    uint64_t far;
};

#define TRAP_FRAME_SIZE 288
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "matches FRAME_SIZE in vectors.S");

#endif

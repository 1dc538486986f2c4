/* SPDX-License-Identifier: MIT */
/* CSR access and CSR bit definitions (arch/riscv64 internal). */
#ifndef BULKHEAD_ARCH_RISCV64_CSR_H
#define BULKHEAD_ARCH_RISCV64_CSR_H

#include <stdint.h>

#define __stringify_1(x) #x
#define __stringify(x)   __stringify_1(x)

/*
 * CSRs the assembler may not know without the H or Sstc extension in -march are named
 * by number (privileged spec v1.12, table 2.2 and chapter 8).
 */
#define CSR_STIMECMP 0x14d
#define CSR_HSTATUS  0x600
#define CSR_HTVAL    0x643
#define CSR_HTINST   0x64a

#define csr_read(csr)                                                                              \
    ({                                                                                             \
        uint64_t __v;                                                                              \
        __asm__ volatile("csrr %0, " __stringify(csr) : "=r"(__v) : : "memory");                   \
        __v;                                                                                       \
    })

#define csr_write(csr, v)                                                                          \
    do {                                                                                           \
        uint64_t __v = (uint64_t)(v);                                                              \
        __asm__ volatile("csrw " __stringify(csr) ", %0" : : "rK"(__v) : "memory");                \
    } while (0)

#define csr_set(csr, v)                                                                            \
    do {                                                                                           \
        uint64_t __v = (uint64_t)(v);                                                              \
        __asm__ volatile("csrs " __stringify(csr) ", %0" : : "rK"(__v) : "memory");                \
    } while (0)

#define csr_clear(csr, v)                                                                          \
    do {                                                                                           \
        uint64_t __v = (uint64_t)(v);                                                              \
        __asm__ volatile("csrc " __stringify(csr) ", %0" : : "rK"(__v) : "memory");                \
    } while (0)

/* sstatus (privileged spec 4.1.1). */
#define SSTATUS_SIE  (1ull << 1)
#define SSTATUS_SPIE (1ull << 5)
#define SSTATUS_SPP  (1ull << 8)

/* sie / sip bits and scause interrupt codes (privileged spec 4.1.3, table 4.2). */
#define IRQ_S_SOFT  1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT   9
#define SIE_STIE    (1ull << IRQ_S_TIMER)
#define SIE_SEIE    (1ull << IRQ_S_EXT)

#define SCAUSE_INTERRUPT   (1ull << 63)
#define CAUSE_ILLEGAL_INSN 2

/* satp (privileged spec 4.1.11): MODE in [63:60], PPN of the root in [43:0]. */
#define SATP_MODE_SV39 (8ull << 60)
#define SATP_PPN_SHIFT 12

#endif

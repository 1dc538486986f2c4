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
#define CSR_STIMECMP   0x14d
#define CSR_VSSTATUS   0x200
#define CSR_VSIE       0x204
#define CSR_VSTVEC     0x205
#define CSR_VSSCRATCH  0x240
#define CSR_VSEPC      0x241
#define CSR_VSCAUSE    0x242
#define CSR_VSTVAL     0x243
#define CSR_VSATP      0x280
#define CSR_VSTIMECMP  0x24d
#define CSR_HSTATUS    0x600
#define CSR_HEDELEG    0x602
#define CSR_HIDELEG    0x603
#define CSR_HIE        0x604
#define CSR_HTIMEDELTA 0x605
#define CSR_HCOUNTEREN 0x606
#define CSR_HENVCFG    0x60a
#define CSR_HTVAL      0x643
#define CSR_HVIP       0x645
#define CSR_HTINST     0x64a
#define CSR_HGATP      0x680

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
#define SSTATUS_SIE        (1ull << 1)
#define SSTATUS_SPIE       (1ull << 5)
#define SSTATUS_SPP        (1ull << 8)
#define SSTATUS_FS         (3ull << 13) /* FP state: 0 Off, 1 Initial, 2 Clean, 3 Dirty */
#define SSTATUS_FS_INITIAL (1ull << 13)
#define SSTATUS_SUM        (1ull << 18)
#define SSTATUS_MXR        (1ull << 19)
#define SSTATUS_UXL_64     (2ull << 32)

/* sie / sip bits and scause interrupt codes (privileged spec 4.1.3, table 4.2). */
#define IRQ_S_SOFT  1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT   9
#define SIE_SSIE    (1ull << IRQ_S_SOFT)
#define SIE_STIE    (1ull << IRQ_S_TIMER)
#define SIE_SEIE    (1ull << IRQ_S_EXT)
#define SIP_SSIP    SIE_SSIE
/* VS-level interrupts (hip / hie / hideleg / hvip, H extension 8.2.3-8.2.4). */
#define IRQ_VS_SOFT  2
#define IRQ_VS_TIMER 6
#define IRQ_VS_EXT   10
#define HVIP_VSSIP   (1ull << IRQ_VS_SOFT)
#define HVIP_VSTIP   (1ull << IRQ_VS_TIMER)
#define HVIP_VSEIP   (1ull << IRQ_VS_EXT)

#define SCAUSE_INTERRUPT (1ull << 63)
/* Exception codes (privileged spec table 4.2; 20-23 from the H extension, 8.6.2). */
#define CAUSE_MISALIGNED_FETCH       0
#define CAUSE_FETCH_ACCESS           1
#define CAUSE_ILLEGAL_INSN           2
#define CAUSE_LOAD_ACCESS            5
#define CAUSE_STORE_ACCESS           7
#define CAUSE_BREAKPOINT             3
#define CAUSE_USER_ECALL             8
#define CAUSE_VS_ECALL               10
#define CAUSE_FETCH_PAGE_FAULT       12
#define CAUSE_LOAD_PAGE_FAULT        13
#define CAUSE_STORE_PAGE_FAULT       15
#define CAUSE_FETCH_GUEST_PAGE_FAULT 20
#define CAUSE_LOAD_GUEST_PAGE_FAULT  21
#define CAUSE_VIRTUAL_INSN           22
#define CAUSE_STORE_GUEST_PAGE_FAULT 23

/* hstatus (H extension 8.2.1). */
#define HSTATUS_GVA  (1ull << 6)
#define HSTATUS_SPV  (1ull << 7) /* the trap came from V=1; sret returns to V=1 */
#define HSTATUS_SPVP (1ull << 8)
#define HSTATUS_VTW  (1ull << 21) /* WFI in VS-mode: virtual instruction trap */
#define HSTATUS_VSXL (3ull << 32)

/* hgatp (H extension 8.2.10): MODE [63:60], VMID [57:44], PPN [43:0]. */
#define HGATP_MODE_SV39X4 (8ull << 60)
#define HGATP_VMID_SHIFT  44
#define HGATP_VMID_MASK   (0x3fffull << HGATP_VMID_SHIFT)

/* hcounteren (8.2.5): VS-mode may read time. */
#define HCOUNTEREN_TM (1ull << 1)

/* henvcfg (8.2.6, Sstc): STCE lets VS-mode use stimecmp (the hart's vstimecmp). */
#define HENVCFG_STCE (1ull << 63)

/* satp (privileged spec 4.1.11): MODE in [63:60], PPN of the root in [43:0]. */
#define SATP_MODE_SV39 (8ull << 60)
#define SATP_PPN_SHIFT 12

#endif

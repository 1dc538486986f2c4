/* SPDX-License-Identifier: MIT */
/* System register access and barriers (arch/aarch64 internal). */
#ifndef BULKHEAD_ARCH_AARCH64_SYSREG_H
#define BULKHEAD_ARCH_AARCH64_SYSREG_H

#include <stdint.h>

#define __stringify_1(x) #x
#define __stringify(x)   __stringify_1(x)

#define read_sysreg(r)                                                                             \
    ({                                                                                             \
        uint64_t __v;                                                                              \
        __asm__ volatile("mrs %0, " __stringify(r) : "=r"(__v));                                   \
        __v;                                                                                       \
    })

#define write_sysreg(r, v)                                                                         \
    do {                                                                                           \
        uint64_t __v = (uint64_t)(v);                                                              \
        __asm__ volatile("msr " __stringify(r) ", %0" : : "r"(__v));                               \
    } while (0)

#define isb()    __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")

/* GICv3 CPU interface registers by encoding (GICv3 spec 12.2; no assembler support
 * needed). */
#define ICC_SRE_EL2     S3_4_C12_C9_5
#define ICC_PMR_EL1     S3_0_C4_C6_0
#define ICC_IAR1_EL1    S3_0_C12_C12_0
#define ICC_EOIR1_EL1   S3_0_C12_C12_1
#define ICC_BPR1_EL1    S3_0_C12_C12_3
#define ICC_CTLR_EL1    S3_0_C12_C12_4
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7

/* HCR_EL2 bits (Arm ARM D13.2.46). */
#define HCR_VM     (1ull << 0)
#define HCR_SWIO   (1ull << 1)
#define HCR_FMO    (1ull << 3)
#define HCR_IMO    (1ull << 4)
#define HCR_AMO    (1ull << 5)
#define HCR_FB     (1ull << 9)
#define HCR_BSU_IS (1ull << 10)
#define HCR_TWI    (1ull << 13)
#define HCR_TWE    (1ull << 14)
#define HCR_TID3   (1ull << 18)
#define HCR_TSC    (1ull << 19)
#define HCR_TIDCP  (1ull << 20)
#define HCR_TACR   (1ull << 21)
#define HCR_RW     (1ull << 31)

#define ICC_SGI1R_EL1 S3_0_C12_C11_5

#endif

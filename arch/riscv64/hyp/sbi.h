/* SPDX-License-Identifier: MIT */
/* Calls into the SBI firmware (RISC-V SBI spec v1.0). arch/riscv64 internal. */
#ifndef BULKHEAD_ARCH_RISCV64_SBI_H
#define BULKHEAD_ARCH_RISCV64_SBI_H

#include <stdbool.h>
#include <stdint.h>

/* Extension ids (SBI spec: legacy chapter 5, base 4, TIME 6, HSM 9, SRST 10). */
#define SBI_EXT_LEGACY_PUTCHAR  0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE            0x10
#define SBI_EXT_TIME            0x54494d45 /* "TIME" */
#define SBI_EXT_HSM             0x48534d   /* "HSM" */
#define SBI_EXT_SRST            0x53525354 /* "SRST" */
#define SBI_EXT_IPI             0x735049   /* "sPI" */
#define SBI_EXT_RFENCE          0x52464e43 /* "RFNC" */
#define SBI_EXT_DBCN            0x4442434e /* "DBCN" */
#define SBI_EXT_LEGACY_GETCHAR  0x02

#define SBI_BASE_GET_SPEC_VERSION   0
#define SBI_BASE_GET_IMPL_ID        1
#define SBI_BASE_GET_IMPL_VERSION   2
#define SBI_BASE_PROBE_EXTENSION    3
#define SBI_TIME_SET_TIMER          0
#define SBI_HSM_HART_START          0
#define SBI_SRST_RESET              0
#define SBI_IPI_SEND_IPI            0
#define SBI_RFENCE_FENCE_I          0
#define SBI_RFENCE_SFENCE_VMA       1
#define SBI_RFENCE_SFENCE_VMA_ASID  2
#define SBI_RFENCE_HFENCE_GVMA_VMID 3
#define SBI_RFENCE_HFENCE_VVMA_ASID 5
#define SBI_RFENCE_HFENCE_VVMA      6
#define SBI_RFENCE_HFENCE_GVMA      4
#define SBI_SRST_TYPE_SHUTDOWN      0
#define SBI_SRST_REASON_NONE        0

/* Standard error codes (SBI spec 3.2). */
#define SBI_SUCCESS               0
#define SBI_ERR_FAILED            -1
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_INVALID_PARAM     -3
#define SBI_ERR_DENIED            -4
#define SBI_ERR_INVALID_ADDRESS   -5
#define SBI_ERR_ALREADY_AVAILABLE -6

struct sbiret {
    long error;
    long value;
};

/* One SBI call: a7 = @eid, a6 = @fid, a0-a2 arguments; error in a0, value in a1. */
struct sbiret sbi_ecall(uint32_t eid, uint32_t fid, uint64_t a0, uint64_t a1, uint64_t a2);

/* The same with five arguments (RFENCE). */
struct sbiret sbi_ecall5(uint32_t eid, uint32_t fid, uint64_t a0, uint64_t a1, uint64_t a2,
                         uint64_t a3, uint64_t a4);

/* Probe the base extension once (boot CPU); fills the firmware description. */
int sbi_init(void);

/* "SBI v1.0 (OpenSBI 1.1)", valid after sbi_init(). */
const char *sbi_describe(void);

/* True if the firmware implements extension @eid (after sbi_init()). */
bool sbi_has(uint32_t eid);

#endif

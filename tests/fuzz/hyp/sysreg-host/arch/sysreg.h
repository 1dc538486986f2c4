/* SPDX-License-Identifier: MIT */
/*
 * Host stand-in for arch/aarch64's <arch/sysreg.h>, found first on the include path of
 * the vGIC fuzzer (fuzz_vgic.c), so that arch/aarch64/hyp/vgic.c compiles unmodified on
 * the build machine: every system register access becomes a call with the register's
 * name as the assembler would see it ("S3_4_C12_C12_0", "cntv_ctl_el0"), which the
 * fuzzer serves from a simulated GICv3 virtual CPU interface per CPU.
 */
#ifndef BULKHEAD_FUZZ_SYSREG_HOST_H
#define BULKHEAD_FUZZ_SYSREG_HOST_H

#include <stdint.h>

#define __stringify_1(x) #x
#define __stringify(x)   __stringify_1(x)

uint64_t fuzz_sysreg_read(const char *name);
void fuzz_sysreg_write(const char *name, uint64_t v);

#define read_sysreg(r)     fuzz_sysreg_read(__stringify(r))
#define write_sysreg(r, v) fuzz_sysreg_write(__stringify(r), (uint64_t)(v))
#define isb()                                                                                      \
    do {                                                                                           \
    } while (0)
#define dsb(opt)                                                                                   \
    do {                                                                                           \
    } while (0)

#endif

/* SPDX-License-Identifier: MIT */
/* Interfaces between the files of arch/riscv64/hyp. */
#ifndef BULKHEAD_ARCH_RISCV64_RISCV_H
#define BULKHEAD_ARCH_RISCV64_RISCV_H

#include <stdbool.h>
#include <stdint.h>

#include <bulkhead/board.h>

/* 1 once the device tree showed the H extension on every hart (dt.c); until then the
 * trap entry leaves the H CSRs alone. */
extern uint8_t riscv_has_h;

/* Set up this hart's H-extension CSRs (vcpu.c); needs riscv_has_h. */
void hyp_ext_cpu_init(void);

/* Find the PLIC in the device tree and its S-mode contexts (plic.c). */
int __must_check plic_dt_parse(const void *fdt, struct board_info *bi);

/* Print what plic_dt_parse() found. */
void plic_dt_print(const struct board_info *bi);

/* Program deadlines through stimecmp (Sstc) rather than SBI set_timer (timer.c). */
void timer_use_sstc(bool sstc);

/* "stimecmp (Sstc)" or "SBI set_timer", for the boot log. */
const char *timer_describe(void);

/* Local G-stage flushes (stage2.c): the VMID's entries (or all, if VMIDs are shared). */
void stage2_flush_local(uint64_t vmid);

/* True when hgatp has too few VMID bits: every domain runs as VMID 0. */
bool stage2_vmid_shared(void);

/* hfence.vvma of every VS-stage entry of the current VMID on this hart. */
void stage2_hfence_vvma_all(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The HS-mode translation regime: Sv39, 3 levels of 4 KiB tables, leaves at every level
 * (1 GiB, 2 MiB, 4 KiB pages) (privileged spec 4.4 and 4.3.1). Its PTE format is
 * described here as data for the generic walker. The hypervisor maps itself one to one;
 * Sv39 then covers physical addresses below 2^38 (VA bits 63:39 must equal bit 38).
 */
#include <string.h>

#include <arch/csr.h>

#include <bulkhead/arch.h>
#include <bulkhead/pgtable.h>

#include "pte.h"

/* G: the hypervisor's mappings are the same in every address space. */
static uint64_t hyp_pte_leaf(paddr_t pa, unsigned level, unsigned attr)
{
    (void)level;
    return sv39_pte_leaf_bits(pa, attr, PTE_G);
}

const struct pt_format arch_hyp_pt_format = {
    .name = "riscv64 HS-mode Sv39",
    .levels = SV39_LEVELS,
    .page_shift = 12,
    .level_bits = 9,
    .root_extra_bits = 0,
    .leaf_levels = (1u << 0) | (1u << 1) | (1u << 2), /* 1 GiB, 2 MiB, 4 KiB */
    .pte_table = sv39_pte_table,
    .pte_leaf = hyp_pte_leaf,
    .pte_kind = sv39_pte_kind,
    .pte_addr = sv39_pte_addr,
    .pte_attr = sv39_pte_attr,
};

void arch_pages_zero(void *va, size_t size)
{
    memset(va, 0, size);
}

void arch_tlb_flush_hyp(void)
{
    /* Orders the table stores before later walks and drops stale entries (4.2.1). */
    __asm__ volatile("sfence.vma" : : : "memory");
}

void arch_mmu_enable(paddr_t root)
{
    /* Make the tables (written with the MMU off on the boot hart, by another hart for
     * secondaries) visible to this hart's walker, then switch. The identity mapping
     * keeps the next instruction fetch valid. */
    __asm__ volatile("fence rw, rw\n\tsfence.vma" : : : "memory");
    csr_write(satp, SATP_MODE_SV39 | (pa_addr(root) >> SATP_PPN_SHIFT));
    __asm__ volatile("sfence.vma" : : : "memory");
}

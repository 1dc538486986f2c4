/* SPDX-License-Identifier: MIT */
/*
 * The HS-mode translation regime: Sv39, 3 levels of 4 KiB tables, leaves at every level
 * (1 GiB, 2 MiB, 4 KiB pages) (privileged spec 4.4 and 4.3.1). Its PTE format is
 * described here as data for the generic walker. The hypervisor maps itself one to one;
 * Sv39 then covers physical addresses below 2^38 (VA bits 63:39 must equal bit 38).
 */
#include <arch/csr.h>

#include <bulkhead/arch.h>
#include <bulkhead/pgtable.h>

#define PTE_V   (1ull << 0)
#define PTE_R   (1ull << 1)
#define PTE_W   (1ull << 2)
#define PTE_X   (1ull << 3)
#define PTE_G   (1ull << 5) /* global: present in every address space */
#define PTE_A   (1ull << 6)
#define PTE_D   (1ull << 7)
#define PTE_RWX (PTE_R | PTE_W | PTE_X)
/*
 * RSW bit 8 is ignored by hardware (privileged spec 4.3.1): we keep PT_DEVICE there so
 * it survives a block split. On QEMU virt, device regions are uncached and strongly
 * ordered by their PMAs alone; on hardware with Svpbmt the leaf would also carry
 * PBMT = IO (bits 62:61 = 2) for it.
 */
#define PTE_SW_DEVICE (1ull << 8)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK  (((1ull << 44) - 1) << PTE_PPN_SHIFT)

#define SV39_LEVELS 3

static uint64_t sv39_pte_table(paddr_t table)
{
    /* Non-leaf: V set, R = W = X = 0; A, D, U must be clear (4.3.1). */
    return ((pa_addr(table) >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V;
}

static uint64_t sv39_pte_leaf(paddr_t pa, unsigned level, unsigned attr)
{
    /* A and D preset: hardware that does not manage them would fault on first use
     * (4.3.1, "Svade"); G: the hypervisor's mappings are the same in every context. */
    uint64_t pte = ((pa_addr(pa) >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V | PTE_G | PTE_A;

    (void)level;
    pte |= (attr & PT_R) ? PTE_R : 0;
    pte |= (attr & PT_W) ? PTE_W | PTE_D : 0;
    pte |= (attr & PT_X) ? PTE_X : 0;
    pte |= (attr & PT_DEVICE) ? PTE_SW_DEVICE : 0;
    return pte;
}

static enum pte_kind sv39_pte_kind(uint64_t pte, unsigned level)
{
    if (!(pte & PTE_V) || (pte & PTE_RWX) == PTE_W) {
        return PTE_INVALID; /* W without R is reserved */
    }
    if (pte & PTE_RWX) {
        return PTE_LEAF;
    }
    /* A pointer at the last level is a page fault (4.3.2 step 4). */
    return level == SV39_LEVELS - 1 ? PTE_INVALID : PTE_TABLE;
}

static paddr_t sv39_pte_addr(uint64_t pte)
{
    return pa_init(((pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << PAGE_SHIFT);
}

static unsigned sv39_pte_attr(uint64_t pte)
{
    unsigned attr = 0;

    attr |= (pte & PTE_R) ? PT_R : 0;
    attr |= (pte & PTE_W) ? PT_W : 0;
    attr |= (pte & PTE_X) ? PT_X : 0;
    attr |= (pte & PTE_SW_DEVICE) ? PT_DEVICE : 0;
    return attr;
}

const struct pt_format arch_hyp_pt_format = {
    .name = "riscv64 HS-mode Sv39",
    .levels = SV39_LEVELS,
    .page_shift = 12,
    .level_bits = 9,
    .root_extra_bits = 0,
    .leaf_levels = (1u << 0) | (1u << 1) | (1u << 2), /* 1 GiB, 2 MiB, 4 KiB */
    .pte_table = sv39_pte_table,
    .pte_leaf = sv39_pte_leaf,
    .pte_kind = sv39_pte_kind,
    .pte_addr = sv39_pte_addr,
    .pte_attr = sv39_pte_attr,
};

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

/* SPDX-License-Identifier: MIT */
/* The Sv39 PTE encoders shared by mmu.c and stage2.c (see pte.h). */
#include "pte.h"

/* Non-leaf: V set, R = W = X = 0; A, D, U must be clear (4.3.1). */
uint64_t sv39_pte_table(paddr_t table)
{
    return ((pa_addr(table) >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V;
}

/* A leaf with @extra (G or U). A and D are preset: hardware that does not manage them
 * would fault on first use (4.3.1, "Svade"). */
uint64_t sv39_pte_leaf_bits(paddr_t pa, unsigned attr, uint64_t extra)
{
    uint64_t pte = ((pa_addr(pa) >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V | PTE_A | extra;

    pte |= (attr & PT_R) ? PTE_R : 0;
    pte |= (attr & PT_W) ? PTE_W | PTE_D : 0;
    pte |= (attr & PT_X) ? PTE_X : 0;
    pte |= (attr & PT_DEVICE) ? PTE_SW_DEVICE : 0;
    return pte;
}

enum pte_kind sv39_pte_kind(uint64_t pte, unsigned level)
{
    /* W without R is reserved, with or without X (4.3.1). */
    if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W)) == PTE_W) {
        return PTE_INVALID;
    }
    if (pte & PTE_RWX) {
        return PTE_LEAF;
    }
    /* A pointer at the last level is a page fault (4.3.2 step 4). */
    return level == SV39_LEVELS - 1 ? PTE_INVALID : PTE_TABLE;
}

paddr_t sv39_pte_addr(uint64_t pte)
{
    return pa_init(((pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << PAGE_SHIFT);
}

unsigned sv39_pte_attr(uint64_t pte)
{
    unsigned attr = 0;

    attr |= (pte & PTE_R) ? PT_R : 0;
    attr |= (pte & PTE_W) ? PT_W : 0;
    attr |= (pte & PTE_X) ? PT_X : 0;
    attr |= (pte & PTE_SW_DEVICE) ? PT_DEVICE : 0;
    return attr;
}

/* SPDX-License-Identifier: MIT */
/*
 * The EL2 stage-1 translation regime: 4 KiB granule, 48-bit VA, 4 levels (Arm ARM
 * D8.3). Its descriptor format is described here as data for the generic walker.
 */
#include <string.h>

#include <arch/sysreg.h>

#include <bulkhead/arch.h>
#include <bulkhead/pgtable.h>

#define PTE_VALID      (1ull << 0)
#define PTE_TYPE       (1ull << 1) /* table (levels 0-2) / page (level 3) */
#define PTE_ATTRIDX(i) ((uint64_t)(i) << 2)
#define PTE_AP_EL2     (1ull << 6) /* AP[1]: RES1 in the EL2 regime */
#define PTE_AP_RO      (1ull << 7) /* AP[2]: read-only */
#define PTE_SH_INNER   (3ull << 8)
#define PTE_AF         (1ull << 10)
#define PTE_XN         (1ull << 54)
#define PTE_ADDR       0x0000fffffffff000ull

/* MAIR_EL2 slots. */
#define MAIR_DEVICE_IDX 0 /* Device-nGnRE */
#define MAIR_NORMAL_IDX 1 /* Normal, inner/outer write-back non-transient */
#define MAIR_VALUE      ((0x04ull << (8 * MAIR_DEVICE_IDX)) | (0xffull << (8 * MAIR_NORMAL_IDX)))

/* TCR_EL2 (Arm ARM D13.2.131): T0SZ=16 (48-bit), WB-WA walks, inner shareable, 4 KiB. */
#define TCR_T0SZ(n)  ((uint64_t)(n))
#define TCR_IRGN0_WB (1ull << 8)
#define TCR_ORGN0_WB (1ull << 10)
#define TCR_SH0_IS   (3ull << 12)
#define TCR_PS_SHIFT 16
#define TCR_RES1     ((1ull << 23) | (1ull << 31))

#define SCTLR_M   (1ull << 0)
#define SCTLR_C   (1ull << 2)
#define SCTLR_SA  (1ull << 3)
#define SCTLR_I   (1ull << 12)
#define SCTLR_WXN (1ull << 19)

static uint64_t a64_pte_table(paddr_t table)
{
    return (pa_addr(table) & PTE_ADDR) | PTE_VALID | PTE_TYPE;
}

static uint64_t a64_pte_leaf(paddr_t pa, unsigned level, unsigned attr)
{
    uint64_t pte = (pa_addr(pa) & PTE_ADDR) | PTE_VALID | PTE_AF | PTE_AP_EL2;

    pte |= level == 3 ? PTE_TYPE : 0;
    if (attr & PT_DEVICE) {
        pte |= PTE_ATTRIDX(MAIR_DEVICE_IDX) | PTE_XN;
    } else {
        pte |= PTE_ATTRIDX(MAIR_NORMAL_IDX) | PTE_SH_INNER;
    }
    if (!(attr & PT_W)) {
        pte |= PTE_AP_RO;
    }
    if (!(attr & PT_X)) {
        pte |= PTE_XN;
    }
    return pte;
}

static enum pte_kind a64_pte_kind(uint64_t pte, unsigned level)
{
    if (!(pte & PTE_VALID)) {
        return PTE_INVALID;
    }
    if (level == 3) {
        return (pte & PTE_TYPE) ? PTE_LEAF : PTE_INVALID;
    }
    return (pte & PTE_TYPE) ? PTE_TABLE : PTE_LEAF;
}

static paddr_t a64_pte_addr(uint64_t pte)
{
    return pa_init(pte & PTE_ADDR);
}

static unsigned a64_pte_attr(uint64_t pte)
{
    unsigned attr = PT_R;

    if (!(pte & PTE_AP_RO)) {
        attr |= PT_W;
    }
    if (!(pte & PTE_XN)) {
        attr |= PT_X;
    }
    if (((pte >> 2) & 7) == MAIR_DEVICE_IDX) {
        attr |= PT_DEVICE;
    }
    return attr;
}

const struct pt_format arch_hyp_pt_format = {
    .name = "aarch64 EL2 stage-1 4K/48-bit",
    .levels = 4,
    .page_shift = 12,
    .level_bits = 9,
    .root_extra_bits = 0,
    .leaf_levels = (1u << 1) | (1u << 2) | (1u << 3), /* 1 GiB, 2 MiB, 4 KiB */
    .pte_table = a64_pte_table,
    .pte_leaf = a64_pte_leaf,
    .pte_kind = a64_pte_kind,
    .pte_addr = a64_pte_addr,
    .pte_attr = a64_pte_attr,
};

void arch_pages_zero(void *va, size_t size)
{
    uint64_t dczid = read_sysreg(dczid_el0);
    size_t block = 4u << (dczid & 0xf); /* DCZID_EL0.BS: log2 of the block in words */

    /* DC ZVA needs Normal cacheable memory (with the MMU off every access is Device) and
     * is off when DCZID_EL0.DZP is set; @va is page-aligned, so 4 blocks divide it. */
    if ((dczid & (1u << 4)) ||
        (read_sysreg(sctlr_el2) & (SCTLR_M | SCTLR_C)) != (SCTLR_M | SCTLR_C) ||
        (((uintptr_t)va | size) & (4 * block - 1)) != 0) {
        memset(va, 0, size);
        return;
    }
    for (char *p = va, *end = p + size; p < end; p += 4 * block) {
        __asm__ volatile("dc zva, %0\n\t"
                         "dc zva, %1\n\t"
                         "dc zva, %2\n\t"
                         "dc zva, %3"
                         :
                         : "r"(p), "r"(p + block), "r"(p + 2 * block), "r"(p + 3 * block)
                         : "memory");
    }
}

void arch_tlb_flush_hyp(void)
{
    dsb(ishst);
    __asm__ volatile("tlbi alle2is" : : : "memory");
    dsb(ish);
    isb();
}

void arch_mmu_enable(paddr_t root)
{
    uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;

    /* PS encodes like PARange; 48 bits (5) is all a 48-bit VA needs. */
    if (parange > 5) {
        parange = 5;
    }
    write_sysreg(mair_el2, MAIR_VALUE);
    write_sysreg(tcr_el2, TCR_T0SZ(16) | TCR_IRGN0_WB | TCR_ORGN0_WB | TCR_SH0_IS |
                              (parange << TCR_PS_SHIFT) | TCR_RES1);
    write_sysreg(ttbr0_el2, pa_addr(root));
    isb();
    __asm__ volatile("tlbi alle2" : : : "memory");
    dsb(nsh);
    isb();
    /* WXN: the hardware refuses to execute any writable page, as a second W^X check. */
    write_sysreg(sctlr_el2,
                 read_sysreg(sctlr_el2) | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA | SCTLR_WXN);
    isb();
}

/* SPDX-License-Identifier: MIT */
/*
 * Stage-2 translation (Arm ARM D8.3, D13.2.151 VTCR_EL2): 4 KiB granule, 40-bit IPA,
 * starting at level 1 with two concatenated level-1 tables (so the walker's root has one
 * extra index bit). Guest RAM is Xen's GUEST_RAM0 bank.
 */
#include <stdint.h>

#include <xen/xen.h>

#include <arch/sysreg.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/p2m.h>
#include <bulkhead/pgtable.h>

#define S2_VALID          (1ull << 0)
#define S2_TYPE           (1ull << 1)
#define S2_MEMATTR(x)     ((uint64_t)(x) << 2)
#define S2_MEMATTR_NORMAL 0xf /* outer and inner write-back cacheable */
#define S2_MEMATTR_DEVICE 0x1 /* Device-nGnRE */
#define S2_AP_R           (1ull << 6)
#define S2_AP_W           (1ull << 7)
#define S2_SH_INNER       (3ull << 8)
#define S2_AF             (1ull << 10)
#define S2_XN             (1ull << 54) /* XN[1:0] = 0b10: no execution at EL1 or EL0 */
#define S2_ADDR           0x000000fffffff000ull
#define S2_LAST_LEVEL     2

static uint64_t s2_pte_table(paddr_t table)
{
    return (pa_addr(table) & S2_ADDR) | S2_VALID | S2_TYPE;
}

static uint64_t s2_pte_leaf(paddr_t pa, unsigned level, unsigned attr)
{
    uint64_t pte = (pa_addr(pa) & S2_ADDR) | S2_VALID | S2_AF;

    pte |= level == S2_LAST_LEVEL ? S2_TYPE : 0;
    if (attr & PT_DEVICE) {
        pte |= S2_MEMATTR(S2_MEMATTR_DEVICE) | S2_XN;
    } else {
        pte |= S2_MEMATTR(S2_MEMATTR_NORMAL) | S2_SH_INNER;
    }
    pte |= (attr & PT_R) ? S2_AP_R : 0;
    pte |= (attr & PT_W) ? S2_AP_W : 0;
    pte |= (attr & PT_X) ? 0 : S2_XN;
    return pte;
}

static enum pte_kind s2_pte_kind(uint64_t pte, unsigned level)
{
    if (!(pte & S2_VALID)) {
        return PTE_INVALID;
    }
    if (level == S2_LAST_LEVEL) {
        return (pte & S2_TYPE) ? PTE_LEAF : PTE_INVALID;
    }
    return (pte & S2_TYPE) ? PTE_TABLE : PTE_LEAF;
}

static paddr_t s2_pte_addr(uint64_t pte)
{
    return pa_init(pte & S2_ADDR);
}

static unsigned s2_pte_attr(uint64_t pte)
{
    unsigned attr = 0;

    attr |= (pte & S2_AP_R) ? PT_R : 0;
    attr |= (pte & S2_AP_W) ? PT_W : 0;
    attr |= (pte & S2_XN) ? 0 : PT_X;
    attr |= ((pte >> 2) & 0xf) == S2_MEMATTR_DEVICE ? PT_DEVICE : 0;
    return attr;
}

const struct pt_format arch_stage2_pt_format = {
    .name = "aarch64 stage-2 4K/40-bit",
    .levels = 3,
    .page_shift = 12,
    .level_bits = 9,
    .root_extra_bits = 1,
    .leaf_levels = (1u << 0) | (1u << 1) | (1u << 2),
    .pte_table = s2_pte_table,
    .pte_leaf = s2_pte_leaf,
    .pte_kind = s2_pte_kind,
    .pte_addr = s2_pte_addr,
    .pte_attr = s2_pte_attr,
};

uint64_t arch_guest_ram_base(void)
{
    return GUEST_RAM0_BASE;
}

uint64_t arch_guest_ram_max(void)
{
    return GUEST_RAM0_SIZE;
}

uint64_t arch_guest_magic_base(void)
{
    return GUEST_MAGIC_BASE;
}

int arch_p2m_init(struct p2m *p)
{
    /* VMID = domain id (8-bit VMIDs; ids stay below MAX_DOMAINS). The id may have
     * belonged to a domain that is gone: forget its translations. */
    p->arch.vttbr = ((uint64_t)p->id << 48) | pa_addr(p->pt.root);
    arch_p2m_flush(p, ipa_init(0), p2m_ipa_limit(p));
    return 0;
}

/* Up to this many pages are invalidated one by one; more costs one VMID-wide flush. */
#define FLUSH_PAGES_MAX 16

void arch_p2m_flush(struct p2m *p, ipaddr_t ipa, uint64_t size)
{
    uint64_t saved = read_sysreg(vttbr_el2);

    /* TLBI by IPA and VMALLS12E1 act on the VMID in VTTBR_EL2 (Arm ARM D8.13.4): switch
     * to @p's for the flush (the hypervisor's own EL2 regime does not use it), inner
     * shareable so every CPU forgets, then switch back. */
    dsb(ishst);
    write_sysreg(vttbr_el2, p->arch.vttbr);
    isb();
    if (size <= FLUSH_PAGES_MAX * PAGE_SIZE) {
        for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
            __asm__ volatile("tlbi ipas2e1is, %0" : : "r"((ipa_addr(ipa) + off) >> 12) : "memory");
        }
        /* Combined stage-1+2 entries are not tagged by IPA: drop the VMID's stage-1 ones
         * too (D8.13.5, "invalidation of stage 2 entries"). */
        dsb(ish);
        __asm__ volatile("tlbi vmalle1is" : : : "memory");
    } else {
        __asm__ volatile("tlbi vmalls12e1is" : : : "memory");
    }
    dsb(ish);
    write_sysreg(vttbr_el2, saved);
    isb();
}

/* SPDX-License-Identifier: MIT */
/*
 * Guest virtual to host physical addresses for hypercall arguments: the running vCPU's
 * VS-stage tables (vsatp: Bare, Sv39, Sv48 or Sv57, privileged spec 4.3.2 / 4.4-4.6)
 * walked in software, every table read through the domain's G-stage tables (p2m_lookup,
 * under the p2m lock the caller holds), then the final guest-physical address through
 * them too. The walk checks what a VS-mode access would: V, reserved encodings, R (or X with MXR) /
 * W, U with SUM, superpage alignment, and it sets A (and D for a write) in the leaf as hardware
 * that updates them does (Svadu, 4.3.2 step 7): atomically, only if the PTE is unchanged. It takes
 * at most `levels` steps whatever the tables hold, and touches only pages the domain's p2m maps as
 * RAM.
 *
 * Why not HLV/HSV: they would translate in hardware, but every fault they take would
 * need a fix-up path in the trap entry, on the hypercall path; the walk turns every
 * refusal into -EFAULT without taking a trap, and its result is the host page the copy
 * then uses, as AT gives on aarch64.
 */
#include <stdint.h>

#include <arch/csr.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/p2m.h>

#include "pte.h"

/* Bits 63:54: N (Svnapot), PBMT (Svpbmt), reserved. PBMT only changes memory type. */
#define PTE_PBMT    (3ull << 61)
#define PTE_HI_BITS (~0ull << 54)

#define VSATP_MODE_SHIFT 60
#define VSATP_MODE_BARE  0
#define VSATP_MODE_SV39  8
#define VSATP_MODE_SV57  10
#define VSATP_PPN_MASK   ((1ull << 44) - 1)

/* Guest-physical @gpa to host physical through the p2m: RAM only, @need attributes.
 * The last page found is kept in the p2m (a one-entry TLB: hypercall arguments come
 * from the same stack page call after call, and a table walk is ~200 instructions);
 * every change to a valid entry flushes it (arch_p2m_flush), and while a deferred
 * flush is pending (leaves cleared, pt_flush not yet run) it is not used. */
static int gpa_to_pa(struct p2m_locked l, uint64_t gpa, unsigned need, paddr_t *pa)
{
    struct arch_p2m *a = &l.p2m->arch;
    uint64_t page = gpa & ~(PAGE_SIZE - 1);
    paddr_t base;
    unsigned attr;

    if (a->last_valid && a->last_gpa == page && l.p2m->pt.flush_lo >= l.p2m->pt.flush_hi) {
        attr = a->last_attr;
        base = pa_init(a->last_pa);
    } else if (p2m_lookup(l, ipa_init(page), &base, &attr) != 0) {
        return -EFAULT;
    } else {
        a->last_gpa = page;
        a->last_pa = pa_addr(base);
        a->last_attr = attr;
        a->last_valid = true;
    }
    if ((attr & PT_DEVICE) || (attr & need) != need) {
        return -EFAULT;
    }
    *pa = pa_add(base, gpa - page);
    return 0;
}

/* The permission checks of a VS-mode access on leaf @pte (privileged spec 4.3.2 step 5-7). */
static bool leaf_allows(uint64_t pte, bool write, uint64_t vsstatus)
{
    if ((pte & PTE_U) && !(vsstatus & SSTATUS_SUM)) {
        return false;
    }
    if (write) {
        return pte & PTE_W;
    }
    return (pte & PTE_R) || ((pte & PTE_X) && (vsstatus & SSTATUS_MXR));
}

/* Set A (and D for a write) in the leaf at host @pa if they are clear, as hardware A/D
 * updating does: with a compare-and-swap, so a PTE the guest changed meanwhile is left
 * alone (the access then fails and the guest may retry). The PTE's page must be
 * writable at G-stage, as for the hardware's implicit write (8.5.1). */
static int update_ad(struct p2m_locked l, uint64_t pte_gpa, uint64_t pte, bool write)
{
    uint64_t want = pte | PTE_A | (write ? PTE_D : 0);
    paddr_t pa;

    if (want == pte) {
        return 0;
    }
    if (gpa_to_pa(l, pte_gpa, PT_W, &pa) != 0) {
        return -EFAULT;
    }
    return __atomic_compare_exchange_n((uint64_t *)pa_va(pa), &pte, want, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_RELAXED)
               ? 0
               : -EFAULT;
}

static int vs_walk(struct p2m_locked l, uint64_t vsatp, uint64_t va, bool write, uint64_t vsstatus,
                   uint64_t *gpa)
{
    unsigned levels = (unsigned)(vsatp >> VSATP_MODE_SHIFT) - VSATP_MODE_SV39 + 3;
    unsigned va_bits = 12 + 9 * levels;
    uint64_t table = (vsatp & VSATP_PPN_MASK) << 12;

    /* Bits 63:va_bits-1 must all equal bit va_bits-1 (4.4.1). */
    if (((int64_t)(va << (64 - va_bits)) >> (64 - va_bits)) != (int64_t)va) {
        return -EFAULT;
    }
    for (unsigned i = levels; i-- > 0;) {
        unsigned shift = 12 + 9 * i;
        uint64_t pte_gpa = table + ((va >> shift) & 511) * 8;
        uint64_t pte, ppn;
        paddr_t pa;

        /* Implicit reads of VS-stage tables need G-stage read permission (8.5.1). */
        if (gpa_to_pa(l, pte_gpa, PT_R, &pa) != 0) {
            return -EFAULT;
        }
        pte = __atomic_load_n((volatile uint64_t *)pa_va(pa), __ATOMIC_RELAXED);
        if (!(pte & PTE_V) || (pte & PTE_RWX) == PTE_W || (pte & PTE_RWX) == (PTE_W | PTE_X) ||
            (pte & PTE_HI_BITS & ~PTE_PBMT)) {
            return -EFAULT;
        }
        ppn = (pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT;
        if (!(pte & PTE_RWX)) {
            /* A pointer: A, D and U are reserved there; none below the last level. */
            if (i == 0 || (pte & (PTE_A | PTE_D | PTE_U))) {
                return -EFAULT;
            }
            table = ppn << 12;
            continue;
        }
        if (!leaf_allows(pte, write, vsstatus)) {
            return -EFAULT;
        }
        /* A superpage's low PPN bits must be zero (4.3.2 step 6). */
        if (ppn & ((1ull << (9 * i)) - 1)) {
            return -EFAULT;
        }
        if (update_ad(l, pte_gpa, pte, write) != 0) {
            return -EFAULT;
        }
        *gpa = (ppn << 12) | (va & ((1ull << shift) - 1));
        return 0;
    }
    return -EFAULT;
}

int arch_guest_va_to_pa(struct vcpu *v, struct p2m_locked l, uint64_t va, bool write, paddr_t *pa)
{
    /* @v is the running vCPU: its VS CSRs are the live ones. */
    uint64_t vsatp = csr_read(CSR_VSATP);
    unsigned mode = (unsigned)(vsatp >> VSATP_MODE_SHIFT);
    uint64_t gpa = va;

    (void)v;
    if (mode != VSATP_MODE_BARE) {
        if (mode < VSATP_MODE_SV39 || mode > VSATP_MODE_SV57 ||
            vs_walk(l, vsatp, va, write, csr_read(CSR_VSSTATUS), &gpa) != 0) {
            return -EFAULT;
        }
    }
    return gpa_to_pa(l, gpa, write ? PT_W : PT_R, pa);
}

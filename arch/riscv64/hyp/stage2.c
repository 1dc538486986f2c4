/* SPDX-License-Identifier: MIT */
/*
 * G-stage (stage-2) translation, H extension 8.5: Sv39x4, i.e. Sv39 widened by two bits
 * to a 41-bit guest-physical space, whose root table is 16 KiB (four concatenated pages,
 * 16 KiB aligned: the walker's root_extra_bits = 2, allocated as one order-2 block).
 * Leaves at every level. Every G-stage access counts as a U-mode access (8.5.1), so
 * leaves carry U; A and D are preset so no hardware needs to update them.
 *
 * VMIDs: VMID = domain id while hgatp has enough VMID bits (probed once, 8.2.10), else
 * VMID 0 for everyone and a full G-stage flush whenever a hart switches domains.
 */
#include <stdint.h>

#include <xen/xen.h>

#include <arch/csr.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/pgtable.h>
#include <bulkhead/printk.h>

#include "pte.h"
#include "riscv.h"
#include "sbi.h"

/* Guest RAM: 0x80000000 like QEMU virt and Linux's expectations, up to 3 GiB (what
 * toolstack/bhboot/guestdt.py allows), well inside the 41-bit space. */
#define GUEST_RAM_BASE 0x80000000ull
#define GUEST_RAM_MAX  0xc0000000ull

/* U: every G-stage access counts as a U-mode access (8.5.1). */
static uint64_t s2_pte_leaf(paddr_t pa, unsigned level, unsigned attr)
{
    (void)level;
    return sv39_pte_leaf_bits(pa, attr, PTE_U);
}

const struct pt_format arch_stage2_pt_format = {
    .name = "riscv64 G-stage Sv39x4",
    .levels = SV39_LEVELS,
    .page_shift = 12,
    .level_bits = 9,
    .root_extra_bits = 2,
    .leaf_levels = (1u << 0) | (1u << 1) | (1u << 2), /* 1 GiB, 2 MiB, 4 KiB */
    .pte_table = sv39_pte_table,
    .pte_leaf = s2_pte_leaf,
    .pte_kind = sv39_pte_kind,
    .pte_addr = sv39_pte_addr,
    .pte_attr = sv39_pte_attr,
};

uint64_t arch_guest_ram_base(void)
{
    return GUEST_RAM_BASE;
}

uint64_t arch_guest_ram_max(void)
{
    return GUEST_RAM_MAX;
}

uint64_t arch_guest_magic_base(void)
{
    return GUEST_MAGIC_BASE; /* arch-riscv.h */
}

/* Probed on the boot CPU before the first domain exists. */
static bool s2_probed;
static bool sv39x4_ok;
static bool vmid_usable;

static void s2_probe(void)
{
    uint64_t old = csr_read(CSR_HGATP);
    uint64_t got, vmid;

    /* MODE is WARL: an unsupported Sv39x4 reads back as something else, and a guest
     * must never run with G-stage translation off. Write ones to every VMID bit and see
     * which stick (8.2.10). PPN 0 is harmless: nothing runs at V=1 here. */
    csr_write(CSR_HGATP, HGATP_MODE_SV39X4 | HGATP_VMID_MASK);
    got = csr_read(CSR_HGATP);
    csr_write(CSR_HGATP, old);
    sv39x4_ok = (got >> 60) == (HGATP_MODE_SV39X4 >> 60);
    vmid = (got & HGATP_VMID_MASK) >> HGATP_VMID_SHIFT;
    /* VMIDLEN bits are the low ones: enough if every domain id fits. */
    vmid_usable = vmid >= MAX_DOMAINS - 1;
    s2_probed = true;
    printk("stage2: Sv39x4 %s, %s\n", sv39x4_ok ? "supported" : "NOT supported",
           vmid_usable ? "VMID = domain id" : "VMIDs too narrow: VMID 0, full flushes");
}

/* hfence.gvma rs1 = guest-physical address >> 2 (x0: all), rs2 = VMID (x0: all)
 * (8.3.2); spelled as .insn so -march needs no H. */
static void hfence_gvma_vmid(uint64_t vmid)
{
    __asm__ volatile("fence rw, rw\n\t.insn r 0x73, 0, 0x31, x0, x0, %0" : : "r"(vmid) : "memory");
}

static void hfence_gvma_all(void)
{
    __asm__ volatile("fence rw, rw\n\t.insn r 0x73, 0, 0x31, x0, x0, x0" : : : "memory");
}

void stage2_hfence_vvma_all(void)
{
    /* hfence.vvma x0, x0: every VS-stage entry of the current VMID (8.3.2). */
    __asm__ volatile("fence rw, rw\n\t.insn r 0x73, 0, 0x11, x0, x0, x0" : : : "memory");
}

int arch_p2m_init(struct p2m *p)
{
    if (!s2_probed) {
        s2_probe();
    }
    if (!sv39x4_ok) {
        return -ENODEV;
    }
    p->arch.vmid = vmid_usable ? (uint16_t)p->id : 0;
    p->arch.hgatp = HGATP_MODE_SV39X4 | ((uint64_t)p->arch.vmid << HGATP_VMID_SHIFT) |
                    (pa_addr(p->pt.root) >> PAGE_SHIFT);
    /* No hart has run it: each flushes the VMID (which a destroyed domain may have
     * used) before it first does (stage2_vcpu_load). */
    p->arch.harts = 0;
    p->arch.last_valid = false;
    return 0;
}

void stage2_vcpu_load(struct p2m *p)
{
    struct pcpu *self = this_cpu();
    uint64_t bit = 1ull << self->id;

    /* Say which p2m this hart uses, then look at its bit (arch_p2m_flush does the
     * reverse): a change on another hart either sees this hart on @p and fences it, or
     * took the bit before this look, and then this hart flushes here. */
    __atomic_store_n(&self->arch.s2_loaded, (const void *)p, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&p->arch.harts, __ATOMIC_SEQ_CST) & bit) {
        return;
    }
    __atomic_fetch_or(&p->arch.harts, bit, __ATOMIC_SEQ_CST);
    stage2_flush_local(p->arch.vmid);
}

bool stage2_vmid_shared(void)
{
    return !vmid_usable;
}

void stage2_flush_local(uint64_t vmid)
{
    if (vmid_usable) {
        hfence_gvma_vmid(vmid);
    } else {
        hfence_gvma_all();
    }
}

/* Up to this many pages are fenced one by one on this hart; more, the whole VMID. */
#define FLUSH_PAGES_MAX 16

/* hfence.gvma rs1 = guest-physical address >> 2, rs2 = VMID (8.3.2). */
static void hfence_gvma_gpa_vmid(uint64_t gpa, uint64_t vmid)
{
    __asm__ volatile("fence rw, rw\n\t.insn r 0x73, 0, 0x31, x0, %0, %1"
                     :
                     : "r"(gpa >> 2), "r"(vmid)
                     : "memory");
}

void arch_p2m_flush(struct p2m *p, ipaddr_t ipa, uint64_t size)
{
    struct pcpu *self = this_cpu();

    /* This hart, then the other harts whose entries for the domain are current
     * (p->arch.harts): one still on the domain (its s2_loaded) through the firmware (SBI
     * RFENCE, remote_hfence_gvma[_vmid] over the same range, SBI spec 8.5-8.6), which
     * returns once it is done; one that has moved on only loses its bit, and flushes
     * when it next loads the domain (stage2_vcpu_load). So a domain being built, or one
     * whose vCPU runs on this hart alone (dom0-lite mapping guest pages to fill them),
     * costs no IPI per change (each a cross-hart round trip through M-mode). Callers
     * hold the p2m lock, so no other change runs between the clear and the look. */
    uint64_t harts;

    p->arch.last_valid = false; /* guest_va.c's cached translation */
    if (vmid_usable && size <= FLUSH_PAGES_MAX * PAGE_SIZE) {
        for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
            hfence_gvma_gpa_vmid(ipa_addr(ipa) + off, p->arch.vmid);
        }
    } else {
        stage2_flush_local(p->arch.vmid);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the tables' change before the mask */
    harts = __atomic_load_n(&p->arch.harts, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct pcpu *cpu = &pcpus[i];

        if (cpu == self || !(harts & (1ull << i)) ||
            !__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE)) {
            continue;
        }
        __atomic_fetch_and(&p->arch.harts, ~(1ull << i), __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&cpu->arch.s2_loaded, __ATOMIC_SEQ_CST) != (const void *)p) {
            continue; /* it flushes before it loads the domain again */
        }
        __atomic_fetch_or(&p->arch.harts, 1ull << i, __ATOMIC_SEQ_CST);
        if (vmid_usable) {
            sbi_ecall5(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA_VMID, 1, cpu->hwid, ipa_addr(ipa),
                       size, p->arch.vmid);
        } else {
            sbi_ecall5(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA, 1, cpu->hwid, ipa_addr(ipa), size,
                       0);
        }
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * A virtual PLIC (RISC-V PLIC specification v1.0.0) at QEMU virt's address and with its
 * context layout: context 2n is vCPU n's M-mode context (nothing is there: reads as
 * zero), 2n + 1 its S-mode context, whose line is the vCPU's VS external interrupt
 * (hvip.VSEIP, virq.c). Sources 1..VPLIC_NDEV with priorities 0-7 (QEMU's 3 bits;
 * 0 = never). Register map (spec chapter 3):
 *   0x000000 + 4 s          priority of source s (source 0 does not exist)
 *   0x001000 + 4 w          pending bits (read-only: writes are ignored)
 *   0x002000 + 0x80 c + 4 w enable bits of context c (source 0's bit is read-only 0)
 *   0x200000 + 0x1000 c     priority threshold of context c
 *   0x200004 + 0x1000 c     claim (read) / complete (write) of context c
 * A claim returns the highest-priority pending source enabled in the context with a
 * priority over its threshold (lowest id on ties), or 0; it clears the pending bit
 * until completion. A completion of a source that is not enabled in the context, or
 * not claimed, is ignored (spec 3.9). Every other offset reads as zero and ignores
 * writes. All state is the domain's, in struct domain (no page of its own).
 */
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>

#include "irq_route.h"
#include "riscv.h"

#define PRIO_MASK     7u
#define PENDING_BASE  0x001000u
#define ENABLE_BASE   0x002000u
#define ENABLE_STRIDE 0x80u
#define CTX_BASE      0x200000u
#define CTX_STRIDE    0x1000u

static void vp_lock(struct vplic *p)
{
    while (__atomic_exchange_n(&p->lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&p->lock, __ATOMIC_RELAXED)) {
            arch_cpu_relax();
        }
    }
}

static void vp_unlock(struct vplic *p)
{
    __atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE);
}

void vplic_init(struct domain *d)
{
    struct vplic *p = &d->arch.vplic;

    *p = (struct vplic){0};
}

static bool src_valid(unsigned src)
{
    return src >= 1 && src <= VPLIC_NDEV;
}

static bool bit(const uint32_t *w, unsigned n)
{
    return (w[n / 32] >> (n % 32)) & 1;
}

/* Under the lock: the source context @c (an S-mode context index = vCPU id) would get
 * from a claim, 0 if none. */
static unsigned best_source(const struct vplic *p, unsigned c)
{
    unsigned best = 0, best_prio = p->ctx[c].threshold;

    /* A word of candidates at a time (every access recomputes the lines): ascending ids
     * and a strict comparison keep the lowest id on ties. */
    for (unsigned w = 0; w < VPLIC_WORDS; w++) {
        uint32_t cand = p->pending[w] & ~p->claimed[w] & p->ctx[c].enable[w];

        for (unsigned src = w * 32; cand && src <= VPLIC_NDEV; cand >>= 1, src++) {
            if ((cand & 1) && p->priority[src] > best_prio) {
                best = src;
                best_prio = p->priority[src];
            }
        }
    }
    return best;
}

/* Under the lock: recompute every context's line; returns the vCPUs whose line rose. */
static uint32_t update_lines(struct domain *d)
{
    struct vplic *p = &d->arch.vplic;
    uint32_t lines = 0, old = __atomic_load_n(&p->eip, __ATOMIC_RELAXED);

    for (unsigned c = 0; c < d->nr_vcpus && c < VPLIC_CTXS; c++) {
        if (best_source(p, c)) {
            lines |= 1u << c;
        }
    }
    __atomic_store_n(&p->eip, lines, __ATOMIC_RELEASE);
    return lines & ~old;
}

/* After the lock: tell the vCPUs whose line rose. */
static void notify(struct domain *d, uint32_t rose)
{
    for (unsigned c = 0; c < d->nr_vcpus && c < VPLIC_CTXS; c++) {
        if ((rose & (1u << c)) && d->vcpus[c]) {
            virq_kick(d->vcpus[c]);
        }
    }
}

bool vplic_eip(struct domain *d, unsigned vcpu)
{
    return vcpu < VPLIC_CTXS && (__atomic_load_n(&d->arch.vplic.eip, __ATOMIC_ACQUIRE) >> vcpu) & 1;
}

/* The S-mode context @ctx names, as a vCPU id; -1 for an M-mode or absent context. */
static int s_context(const struct domain *d, uint64_t ctx)
{
    if (!(ctx & 1) || ctx / 2 >= d->nr_vcpus || ctx / 2 >= VPLIC_CTXS) {
        return -1;
    }
    return (int)(ctx / 2);
}

static uint32_t claim(struct vplic *p, unsigned c)
{
    unsigned src = best_source(p, c);

    if (src) {
        p->pending[src / 32] &= ~(1u << (src % 32));
        p->claimed[src / 32] |= 1u << (src % 32);
    }
    return src;
}

static void complete(struct domain *d, struct vplic *p, unsigned c, uint32_t src)
{
    if (src_valid(src) && bit(p->ctx[c].enable, src)) {
        p->claimed[src / 32] &= ~(1u << (src % 32));
        if (irq_route_complete(d, src)) { /* a host source: the host says if still high */
            p->level[src / 32] &= ~(1u << (src % 32));
        }
        /* The gateway (spec 3.9): a level-sensitive line still high is pending again. */
        if (bit(p->level, src)) {
            p->pending[src / 32] |= 1u << (src % 32);
        }
    }
}

/* Under the lock: a read at @off (32-bit aligned). */
static uint32_t read_locked(struct domain *d, uint64_t off)
{
    struct vplic *p = &d->arch.vplic;
    int c;

    if (off < PENDING_BASE) {
        return src_valid((unsigned)(off / 4)) ? p->priority[off / 4] : 0;
    }
    if (off < PENDING_BASE + 4 * VPLIC_WORDS) {
        return p->pending[(off - PENDING_BASE) / 4];
    }
    if (off >= ENABLE_BASE && off < CTX_BASE) {
        uint64_t rel = off - ENABLE_BASE;

        c = s_context(d, rel / ENABLE_STRIDE);
        return c >= 0 && rel % ENABLE_STRIDE < 4 * VPLIC_WORDS
                   ? p->ctx[c].enable[(rel % ENABLE_STRIDE) / 4]
                   : 0;
    }
    if (off >= CTX_BASE) {
        c = s_context(d, (off - CTX_BASE) / CTX_STRIDE);
        if (c < 0) {
            return 0;
        }
        switch ((off - CTX_BASE) % CTX_STRIDE) {
        case 0:
            return p->ctx[c].threshold;
        case 4:
            return claim(p, (unsigned)c);
        default:
            return 0;
        }
    }
    return 0;
}

/* Under the lock: a write at @off (32-bit aligned). */
static void write_locked(struct domain *d, uint64_t off, uint32_t val)
{
    struct vplic *p = &d->arch.vplic;
    int c;

    if (off < PENDING_BASE) {
        if (src_valid((unsigned)(off / 4))) {
            p->priority[off / 4] = (uint8_t)(val & PRIO_MASK);
        }
        return;
    }
    if (off >= ENABLE_BASE && off < CTX_BASE) {
        uint64_t rel = off - ENABLE_BASE;
        unsigned w = (unsigned)((rel % ENABLE_STRIDE) / 4);

        c = s_context(d, rel / ENABLE_STRIDE);
        if (c >= 0 && w < VPLIC_WORDS) {
            /* Only bits of sources that exist: 1..VPLIC_NDEV. */
            for (unsigned b = 0; b < 32; b++) {
                if (!src_valid(w * 32 + b)) {
                    val &= ~(1u << b);
                }
            }
            p->ctx[c].enable[w] = val;
        }
        return;
    }
    if (off >= CTX_BASE) {
        c = s_context(d, (off - CTX_BASE) / CTX_STRIDE);
        if (c < 0) {
            return;
        }
        switch ((off - CTX_BASE) % CTX_STRIDE) {
        case 0:
            p->ctx[c].threshold = val & PRIO_MASK;
            break;
        case 4:
            complete(d, p, (unsigned)c, val);
            break;
        default:
            break;
        }
    }
    /* The pending bits and the gaps: ignored. */
}

uint32_t vplic_read(struct domain *d, uint64_t off)
{
    struct vplic *p = &d->arch.vplic;
    uint32_t v;
    uint32_t rose;

    if (off >= VPLIC_SIZE || (off & 3)) {
        return 0;
    }
    vp_lock(p);
    v = read_locked(d, off);
    rose = update_lines(d);
    vp_unlock(p);
    notify(d, rose);
    return v;
}

void vplic_write(struct domain *d, uint64_t off, uint32_t val)
{
    struct vplic *p = &d->arch.vplic;
    uint32_t rose;

    if (off >= VPLIC_SIZE || (off & 3)) {
        return;
    }
    vp_lock(p);
    write_locked(d, off, val);
    rose = update_lines(d);
    vp_unlock(p);
    notify(d, rose);
}

void vplic_raise(struct domain *d, unsigned src)
{
    struct vplic *p = &d->arch.vplic;
    uint32_t rose;

    if (!src_valid(src)) {
        return;
    }
    vp_lock(p);
    p->pending[src / 32] |= 1u << (src % 32);
    rose = update_lines(d);
    vp_unlock(p);
    notify(d, rose);
}

int vplic_set_level(struct domain *d, uint32_t irq, bool level)
{
    struct vplic *p = &d->arch.vplic;
    uint32_t rose, b;

    if (!src_valid(irq)) {
        return -EINVAL;
    }
    b = 1u << (irq % 32);
    vp_lock(p);
    if (level) {
        /* Pending on a rising edge, or again at completion while high (complete()). */
        if (!(p->level[irq / 32] & b) && !(p->claimed[irq / 32] & b)) {
            p->pending[irq / 32] |= b;
        }
        p->level[irq / 32] |= b;
    } else {
        p->level[irq / 32] &= ~b;
        p->pending[irq / 32] &= ~b;
    }
    rose = update_lines(d);
    vp_unlock(p);
    notify(d, rose);
    return 0;
}

int arch_domain_irq_level(struct domain *d, uint32_t irq, bool level)
{
    if (irq_route_owned(d, irq)) {
        return -EBUSY; /* a host device's source: the device drives it (irq_route.c) */
    }
    return vplic_set_level(d, irq, level);
}

bool arch_guest_mmio_emulated(uint64_t ipa, uint64_t size)
{
    return ipa < VPLIC_BASE + VPLIC_SIZE && ipa + size > VPLIC_BASE;
}

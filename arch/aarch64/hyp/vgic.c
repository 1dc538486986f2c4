/* SPDX-License-Identifier: MIT */
/*
 * The virtual GICv3 (Arm IHI 0069): distributor and redistributors emulated on stage-2
 * data aborts, interrupts delivered through the list registers of the hardware's virtual
 * CPU interface (ICH_*_EL2, chapter 11 and 12.4). Only Group 1 non-secure interrupts,
 * affinity routing always on, no LPIs. INTIDs 0-127: 16 SGIs, 16 PPIs, 96 SPIs.
 *
 * Pending interrupts wait in bitmaps (a vCPU's SGIs and PPIs in its struct vgic_cpu,
 * SPIs in the domain's struct vgic_dist, each routed to one vCPU by its IROUTER) until
 * the CPU running their vCPU moves them into a free list register (vgic_flush) before it
 * enters the guest. When more wait than there are list registers, ICH_HCR_EL2.UIE asks
 * for a maintenance interrupt once the guest has consumed most of them.
 */
#include <string.h>

#include <arch/sysreg.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#include "irq_route.h"
#include "vgic.h"

/* ICH_* registers by encoding (GICv3 12.4). */
#define ICH_AP0R0_EL2 S3_4_C12_C8_0
#define ICH_AP1R0_EL2 S3_4_C12_C9_0
#define ICH_HCR_EL2   S3_4_C12_C11_0
#define ICH_VTR_EL2   S3_4_C12_C11_1
#define ICH_VMCR_EL2  S3_4_C12_C11_7

#define ICH_HCR_EN  (1ull << 0)
#define ICH_HCR_UIE (1ull << 1)

/* ICH_LR<n>_EL2 fields (12.4.6). */
#define LR_STATE_PENDING (1ull << 62)
#define LR_STATE_ACTIVE  (2ull << 62)
#define LR_STATE_MASK    (3ull << 62)
#define LR_GROUP1        (1ull << 60)
#define LR_EOI           (1ull << 41) /* maintenance interrupt on EOI (12.5.19) */
#define LR_PRIO_SHIFT    48
#define LR_VINTID_MASK   0xffffffffull

/* Distributor registers (12.9). */
#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IIDR       0x0008
#define GICD_TYPER2     0x000c
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ISPENDR    0x0200
#define GICD_ICPENDR    0x0280
#define GICD_ISACTIVER  0x0300
#define GICD_ICACTIVER  0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICD_PIDR2      0xffe8

#define GICD_CTLR_EN_GRP0 (1u << 0)
#define GICD_CTLR_EN_GRP1 (1u << 1)
#define GICD_CTLR_ARE     (1u << 4)
#define GICD_CTLR_DS      (1u << 6)

/* GICD_TYPER: ITLinesNumber = 3 (128 INTIDs), IDbits = 9 (10 INTID bits), no LPIs, no
 * MBIs, no security extension (DS), Aff3 not supported, RSS 0 (SGI targets Aff0 0-15). */
#define VGIC_TYPER  ((VGIC_NR_IRQS / 32 - 1) | (9u << 19))
#define VGIC_IIDR   0x0000043bu /* Implementer Arm (JEP106 0x43b), as Xen's vGIC */
#define VGIC_PIDR2  0x3bu       /* ArchRev 3: GICv3 */
#define IROUTER_IRM (1u << 31)

/* Redistributor registers (12.10, 12.11): RD_base frame, then SGI_base at 64 KiB. */
#define GICR_CTLR     0x0000
#define GICR_IIDR     0x0004
#define GICR_TYPER    0x0008
#define GICR_WAKER    0x0014
#define GICR_PIDR2    0xffe8
#define GICR_SGI      0x10000
#define GICR_ICFGR0   (GICR_SGI + 0x0c00)
#define GICR_ICFGR1   (GICR_SGI + 0x0c04)
#define WAKER_PSLEEP  (1u << 1)
#define WAKER_CASLEEP (1u << 2)

#define SGI_CFG 0xaaaaaaaau /* ICFGR0: every SGI edge-triggered, read-only */

static unsigned nr_lrs;

static void notify_after(struct vcpu *v, struct vcpu *t);

/* ---- list registers --------------------------------------------------------------- */

/* ICH_LR<n>_EL2 is S3_4_C12_C12_<n> for n < 8, S3_4_C12_C13_<n-8> above (the register
 * name is part of the instruction, so each needs its own case). */
#define LR_LIST(X)                                                                                 \
    X(0, C12, 0)                                                                                   \
    X(1, C12, 1)                                                                                   \
    X(2, C12, 2)                                                                                   \
    X(3, C12, 3)                                                                                   \
    X(4, C12, 4)                                                                                   \
    X(5, C12, 5)                                                                                   \
    X(6, C12, 6)                                                                                   \
    X(7, C12, 7)                                                                                   \
    X(8, C13, 0)                                                                                   \
    X(9, C13, 1)                                                                                   \
    X(10, C13, 2)                                                                                  \
    X(11, C13, 3)                                                                                  \
    X(12, C13, 4)                                                                                  \
    X(13, C13, 5)                                                                                  \
    X(14, C13, 6)                                                                                  \
    X(15, C13, 7)

#define LR_READ(n, crm, op2)                                                                       \
    case n:                                                                                        \
        return read_sysreg(S3_4_C12_##crm##_##op2);
static uint64_t lr_read(unsigned i)
{
    switch (i) {
        LR_LIST(LR_READ)
    default:
        return 0;
    }
}

#define LR_WRITE(n, crm, op2)                                                                      \
    case n:                                                                                        \
        write_sysreg(S3_4_C12_##crm##_##op2, v);                                                   \
        break;
static void lr_write(unsigned i, uint64_t v)
{
    switch (i) {
        LR_LIST(LR_WRITE)
    default:
        break;
    }
}

void vgic_cpu_init(void)
{
    nr_lrs = (unsigned)(read_sysreg(ICH_VTR_EL2) & 0x1f) + 1;
    if (nr_lrs > VGIC_MAX_LRS) {
        nr_lrs = VGIC_MAX_LRS;
    }
    for (unsigned i = 0; i < nr_lrs; i++) {
        lr_write(i, 0);
    }
    write_sysreg(ICH_VMCR_EL2, 0);
    write_sysreg(ICH_HCR_EL2, 0);
    write_sysreg(cntv_ctl_el0, 0); /* UNKNOWN at reset: no stray PPI 27 before a guest */
    isb();
}

/* ---- state helpers (domain's vGIC lock held) --------------------------------------- */

static inline struct vgic_dist *dist_of(const struct vcpu *v)
{
    return v->dom->arch.vgic;
}

/* The vCPU an SPI is routed to, or NULL (IRM = 1: vCPU 0, "any participating PE"). */
static struct vcpu *spi_target(struct domain *d, unsigned intid)
{
    uint32_t r = d->arch.vgic->irouter[intid - 32];

    if (r & IROUTER_IRM) {
        return d->vcpus[0];
    }
    return (r & 0xffffff00u) == 0 && (r & 0xff) < d->nr_vcpus ? d->vcpus[r & 0xff] : NULL;
}

static inline bool test_bit32(const uint32_t *w, unsigned n)
{
    return (w[n / 32] >> (n % 32)) & 1;
}

/* Where an SPI goes now: while a list register of one vCPU holds it, to that vCPU (so
 * that after an IROUTER change it is never pending or active on two vCPUs at once: an
 * SPI is pending or active on one PE at a time); otherwise to its IROUTER's target. */
static struct vcpu *spi_owner(struct domain *d, unsigned intid)
{
    struct vgic_dist *g = d->arch.vgic;

    if (test_bit32(g->in_lr, intid - 32)) {
        return d->vcpus[g->holder[intid - 32]];
    }
    return spi_target(d, intid);
}

/* The priority, enable and pending state of @intid as @v sees it. */
static uint8_t irq_prio(const struct vcpu *v, unsigned intid)
{
    return intid < 32 ? v->arch.vgic.prio[intid] : dist_of(v)->prio[intid - 32];
}

static void set_in_lr(struct vcpu *v, unsigned intid, bool on)
{
    uint32_t *w = intid < 32 ? &v->arch.vgic.in_lr : &dist_of(v)->in_lr[intid / 32 - 1];
    uint32_t bit = 1u << (intid % 32);

    *w = on ? (*w | bit) : (*w & ~bit);
    if (on && intid >= 32) {
        dist_of(v)->holder[intid - 32] = (uint8_t)v->id;
    }
}

/* Candidate: pending, enabled, group enabled, and (SPIs) owned by @v (spi_owner). */
static inline uint32_t ready_word(struct vcpu *v, unsigned word)
{
    struct vgic_dist *g = dist_of(v);
    uint32_t bits;

    if (word == 0) {
        return v->arch.vgic.pending & v->arch.vgic.enabled;
    }
    if (!(g->ctlr & GICD_CTLR_EN_GRP1)) {
        return 0;
    }
    bits = g->pending[word - 1] & g->enabled[word - 1];
    for (uint32_t b = bits; b; b &= b - 1) {
        unsigned intid = word * 32 + (unsigned)__builtin_ctz(b);

        if (spi_owner(v->dom, intid) != v) {
            bits &= ~(1u << (intid % 32));
        }
    }
    return bits;
}

static void clear_pending(struct vcpu *v, unsigned intid)
{
    if (intid < 32) {
        v->arch.vgic.pending &= ~(1u << intid);
    } else {
        dist_of(v)->pending[intid / 32 - 1] &= ~(1u << (intid % 32));
    }
}

#define NOTIFY_ALL ((struct vcpu *)1) /* every vCPU of the domain has new work */

/* @intid leaves @v's list registers. An SPI pending again meanwhile now goes to its
 * route (spi_owner): if that is another vCPU, mark it dirty and return it. */
static struct vcpu *release_lr(struct vcpu *v, unsigned intid)
{
    struct vcpu *t;

    set_in_lr(v, intid, false);
    if (intid < 32 || !test_bit32(dist_of(v)->pending, intid - 32)) {
        return NULL;
    }
    t = spi_target(v->dom, intid);
    if (!t || t == v) {
        return NULL;
    }
    t->arch.vgic.dirty = 1;
    return t;
}

/* Fold the live list registers: entries the guest has finished with free up. An SPI
 * freed here that is pending again and routed to another vCPU now belongs to that one
 * (spi_owner): it is marked dirty and returned (NOTIFY_ALL if several) for notify_after
 * once the lock is dropped. */
static struct vcpu *fold_lrs(struct vcpu *v)
{
    struct vgic_cpu *c = &v->arch.vgic;
    struct vcpu *handoff = NULL;

    for (uint32_t used = c->lr_used; used; used &= used - 1) {
        unsigned i = (unsigned)__builtin_ctz(used);
        uint64_t lr = lr_read(i);
        unsigned intid = (unsigned)(lr & LR_VINTID_MASK);

        if (!(lr & LR_STATE_MASK)) {
            struct vcpu *t;

            c->lr_used &= ~(1u << i);
            if (lr & LR_EOI) {
                /* A level-sensitive SPI: cleared so the EOI maintenance interrupt stops;
                 * pending again while its line is still high (and then handed to its
                 * route below, like any SPI pending again). */
                lr_write(i, 0);
                if (irq_route_eoi(v->dom, intid)) { /* a host line: it says if still high */
                    dist_of(v)->level[intid / 32 - 1] &= ~(1u << (intid % 32));
                }
                if (intid >= 32 && intid < VGIC_NR_IRQS &&
                    test_bit32(dist_of(v)->level, intid - 32)) {
                    dist_of(v)->pending[intid / 32 - 1] |= 1u << (intid % 32);
                }
            }
            t = release_lr(v, intid);
            if (t) {
                handoff = handoff && handoff != t ? NOTIFY_ALL : t;
            }
        }
    }
    return handoff;
}

/* An interrupt already in a list register became pending again: if the guest still
 * has it active, make the entry active and pending; true if it was found. */
static bool repend_lr(struct vcpu *v, unsigned intid)
{
    for (uint32_t used = v->arch.vgic.lr_used; used; used &= used - 1) {
        unsigned i = (unsigned)__builtin_ctz(used);
        uint64_t lr = lr_read(i);

        if ((lr & LR_VINTID_MASK) == intid) {
            lr_write(i, lr | LR_STATE_PENDING);
            return true;
        }
    }
    return false;
}

/* Under the lock, @v running here: fill free list registers, highest priority first.
 * Returns the vCPU(s) that SPIs were handed to (fold_lrs), for notify_after. */
static struct vcpu *flush_locked(struct vcpu *v)
{
    struct vgic_cpu *c = &v->arch.vgic;
    uint32_t ready[VGIC_NR_IRQS / 32];
    bool overflow = false;
    struct vcpu *handoff;
    uint64_t hcr;

    c->dirty = 0;
    handoff = fold_lrs(v);
    /* The candidates, once: taking one into a list register (or re-pending its entry)
     * changes no other's readiness. */
    for (unsigned w = 0; w < VGIC_NR_IRQS / 32; w++) {
        ready[w] = ready_word(v, w);
    }
    for (;;) {
        unsigned best = VGIC_NR_IRQS, free_lr;
        uint8_t best_prio = 0xff;

        if (!(ready[0] | ready[1] | ready[2] | ready[3])) {
            break;
        }
        _Static_assert(VGIC_NR_IRQS / 32 == 4, "the test above names every word");
        for (unsigned w = 0; w < VGIC_NR_IRQS / 32; w++) {
            for (uint32_t r = ready[w]; r; r &= r - 1) {
                unsigned intid = w * 32 + (unsigned)__builtin_ctz(r);

                if (best == VGIC_NR_IRQS || irq_prio(v, intid) < best_prio) {
                    best = intid;
                    best_prio = irq_prio(v, intid);
                }
            }
        }
        if (best == VGIC_NR_IRQS) {
            break;
        }
        ready[best / 32] &= ~(1u << (best % 32));
        if (best < 32 ? (c->in_lr >> best) & 1 : test_bit32(dist_of(v)->in_lr, best - 32)) {
            if (repend_lr(v, best)) {
                clear_pending(v, best);
                continue;
            }
            set_in_lr(v, best, false); /* stale: not in any list register */
        }
        free_lr = (unsigned)__builtin_ctz(~c->lr_used);
        if (free_lr >= nr_lrs) {
            overflow = true;
            break;
        }
        lr_write(free_lr,
                 LR_STATE_PENDING | LR_GROUP1 | (uint64_t)best_prio << LR_PRIO_SHIFT | best |
                     (best >= 32 && test_bit32(dist_of(v)->level, best - 32) ? LR_EOI : 0));
        c->lr_used |= 1u << free_lr;
        set_in_lr(v, best, true);
        clear_pending(v, best);
    }
    /* UIE: a maintenance interrupt when at most one entry is still valid (12.4.3). The
     * live ICH_HCR_EL2 is c->hcr while @v runs (vgic_restore): rewritten only on a
     * change, and the exception return synchronises it with the list registers. */
    hcr = ICH_HCR_EN | (overflow ? ICH_HCR_UIE : 0);
    if (hcr != c->hcr) {
        c->hcr = hcr;
        write_sysreg(ICH_HCR_EL2, hcr);
    }
    return handoff;
}

void vgic_flush(struct vcpu *v)
{
    struct vgic_dist *g = dist_of(v);
    struct vcpu *handoff;

    spin_lock(&g->lock);
    handoff = flush_locked(v);
    spin_unlock(&g->lock);
    notify_after(v, handoff);
}

void vgic_maintenance(void)
{
    struct vcpu *v = current_vcpu();

    if (v && dist_of(v)) {
        vgic_flush(v);
    } else {
        write_sysreg(ICH_HCR_EL2, 0);
        isb();
    }
}

void vgic_save(struct vcpu *v)
{
    struct vgic_cpu *c = &v->arch.vgic;

    for (uint32_t used = c->lr_used; used; used &= used - 1) {
        unsigned i = (unsigned)__builtin_ctz(used);

        c->lr[i] = lr_read(i);
        lr_write(i, 0);
    }
    c->vmcr = read_sysreg(ICH_VMCR_EL2);
    c->ap0r0 = read_sysreg(ICH_AP0R0_EL2);
    c->ap1r0 = read_sysreg(ICH_AP1R0_EL2);
    write_sysreg(ICH_AP0R0_EL2, 0);
    write_sysreg(ICH_AP1R0_EL2, 0);
    /* No virtual interface (nor maintenance interrupts) while nothing runs. */
    write_sysreg(ICH_HCR_EL2, 0);
}

void vgic_restore(struct vcpu *v)
{
    struct vgic_cpu *c = &v->arch.vgic;

    for (uint32_t used = c->lr_used; used; used &= used - 1) {
        unsigned i = (unsigned)__builtin_ctz(used);

        lr_write(i, c->lr[i]);
    }
    write_sysreg(ICH_VMCR_EL2, c->vmcr);
    write_sysreg(ICH_AP0R0_EL2, c->ap0r0);
    write_sysreg(ICH_AP1R0_EL2, c->ap1r0);
    write_sysreg(ICH_HCR_EL2, c->hcr | ICH_HCR_EN);
    isb();
    /* Anything injected while it was away goes in now: an injector marks it dirty
     * before it looks whether @v runs (notify), and this CPU made @v its current one
     * before looking at the mark, so one of the two sees the other (both fence). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (dist_of(v)) {
        vgic_flush_current(v);
    }
}

void vgic_vcpu_reset(struct vcpu *v)
{
    struct vgic_dist *g = dist_of(v);
    struct vgic_cpu *c = &v->arch.vgic;

    if (!g) {
        return;
    }
    spin_lock(&g->lock);
    /* An SPI handed to another vCPU here is only marked dirty: no wake-up can be sent
     * under the sched lock; that vCPU takes it at its next entry. */
    for (uint32_t used = c->lr_used; used; used &= used - 1) {
        (void)release_lr(v, (unsigned)(c->lr[__builtin_ctz(used)] & LR_VINTID_MASK));
    }
    c->lr_used = 0;
    c->vmcr = c->ap0r0 = c->ap1r0 = 0;
    c->hcr = ICH_HCR_EN;
    c->dirty = 1;
    spin_unlock(&g->lock);
}

/*
 * A WFI ends on a virtual interrupt the CPU interface would signal (Arm ARM D1.16.2, GICv3
 * 4.8): pending, Group 1 enabled (ICH_VMCR_EL2.VENG1) and of higher priority than the
 * guest's priority mask (VPMR), whether or not PSTATE.I masks it. One masked by priority
 * does not wake the vCPU, as it would not wake a PE.
 */
bool vgic_irq_pending(struct vcpu *v)
{
    struct vgic_cpu *c = &v->arch.vgic;
    uint64_t vmcr = read_sysreg(ICH_VMCR_EL2);
    unsigned pmr = (unsigned)(vmcr >> 24) & 0xff;

    if (!dist_of(v) || !(vmcr & (1u << 1))) {
        return false;
    }
    for (uint32_t used = c->lr_used; used; used &= used - 1) {
        uint64_t lr = lr_read((unsigned)__builtin_ctz(used));

        if ((lr & LR_STATE_PENDING) && ((lr >> LR_PRIO_SHIFT) & 0xff) < pmr) {
            return true;
        }
    }
    for (unsigned w = 0; w < VGIC_NR_IRQS / 32; w++) {
        for (uint32_t r = ready_word(v, w); r; r &= r - 1) {
            if (irq_prio(v, w * 32 + (unsigned)__builtin_ctz(r)) < pmr) {
                return true;
            }
        }
    }
    return false;
}

/* ---- injection -------------------------------------------------------------------- */

/* @v has new work: wake it if it waits, kick its CPU if it runs elsewhere (the kick's
 * trap flushes on the way back in); on this CPU the exit path flushes. */
static void notify(struct vcpu *v)
{
    struct pcpu *cpu = &pcpus[v->pcpu];

    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* its dirty mark before curr: vgic_restore */
    if (cpu != this_cpu() && READ_ONCE(cpu->curr) == v) {
        arch_send_kick(cpu);
    }
    sched_wake(v);
}

void vgic_inject(struct vcpu *v, unsigned intid)
{
    struct vgic_dist *g = dist_of(v);
    struct vcpu *t = v;

    if (!g || intid >= VGIC_NR_IRQS) {
        return;
    }
    spin_lock(&g->lock);
    if (intid < 32) {
        v->arch.vgic.pending |= 1u << intid;
    } else {
        g->pending[intid / 32 - 1] |= 1u << (intid % 32);
        t = spi_owner(v->dom, intid);
    }
    if (t) {
        t->arch.vgic.dirty = 1;
    }
    spin_unlock(&g->lock);
    if (t) {
        notify(t);
    }
}

int vgic_set_level(struct domain *d, unsigned intid, bool level)
{
    struct vgic_dist *g = d->arch.vgic;
    uint32_t bit = 1u << (intid % 32);
    struct vcpu *t = NULL;
    bool rose;

    if (!g || intid < 32 || intid >= VGIC_NR_IRQS) {
        return -EINVAL;
    }
    spin_lock(&g->lock);
    rose = level && !(g->level[intid / 32 - 1] & bit);
    if (level) {
        g->level[intid / 32 - 1] |= bit;
    } else {
        /* Lowered before the guest took it: no longer pending. */
        g->level[intid / 32 - 1] &= ~bit;
        g->pending[intid / 32 - 1] &= ~bit;
    }
    if (rose) {
        g->pending[intid / 32 - 1] |= bit;
        t = spi_target(d, intid);
        if (t) {
            t->arch.vgic.dirty = 1;
        }
    }
    spin_unlock(&g->lock);
    if (t) {
        notify(t);
    }
    return 0;
}

void vgic_send_sgi(struct vcpu *v, uint64_t sgir)
{
    struct domain *d = v->dom;
    unsigned intid = (unsigned)(sgir >> 24) & 0xf;

    /* ICC_SGI1R_EL1 (12.2.21): IRM (bit 40) = every PE but the sender; otherwise the
     * target list (bits 15:0) of Aff0 values RS * 16 + n within Aff3.Aff2.Aff1, which
     * must be 0.0.0 for our vCPUs (MPIDR = their id). */
    if (sgir & (1ull << 40)) {
        for (unsigned i = 0; i < d->nr_vcpus; i++) {
            if (d->vcpus[i] && d->vcpus[i] != v) {
                vgic_inject(d->vcpus[i], intid);
            }
        }
        return;
    }
    if (sgir & 0x00ff00ff00ff0000ull) {
        return; /* Aff1/2/3 name no vCPU of ours */
    }
    for (uint32_t list = sgir & 0xffff; list; list &= list - 1) {
        unsigned aff0 = (unsigned)((sgir >> 44) & 0xf) * 16 + (unsigned)__builtin_ctz(list);

        if (aff0 < d->nr_vcpus && d->vcpus[aff0]) {
            vgic_inject(d->vcpus[aff0], intid);
        }
    }
}

/* ---- register state as the guest sees it ------------------------------------------ */

/* Pending (@active false) or active state of INTIDs 32*@word.. held in list registers
 * of @v: live when @v runs here, else as last saved. */
static uint32_t lr_bits(struct vcpu *v, unsigned word, bool active)
{
    const struct vgic_cpu *c = &v->arch.vgic;
    bool live = current_vcpu() == v;
    uint32_t bits = 0;

    for (uint32_t used = c->lr_used; used; used &= used - 1) {
        unsigned i = (unsigned)__builtin_ctz(used);
        uint64_t lr = live ? lr_read(i) : c->lr[i];
        unsigned intid = (unsigned)(lr & LR_VINTID_MASK);

        if (intid / 32 == word && (lr & (active ? LR_STATE_ACTIVE : LR_STATE_PENDING))) {
            bits |= 1u << (intid % 32);
        }
    }
    return bits;
}

/* Drop the pending state of @bits (word @word) from @v's live list registers. */
static void lr_unpend(struct vcpu *v, unsigned word, uint32_t bits)
{
    if (current_vcpu() != v) {
        return; /* held by a vCPU running elsewhere: it stays pending (documented) */
    }
    for (uint32_t used = v->arch.vgic.lr_used; used; used &= used - 1) {
        unsigned i = (unsigned)__builtin_ctz(used);
        uint64_t lr = lr_read(i);
        unsigned intid = (unsigned)(lr & LR_VINTID_MASK);

        if (intid / 32 == word && (bits >> (intid % 32)) & 1) {
            lr_write(i, lr & ~LR_STATE_PENDING);
        }
    }
}

/* The bit-per-interrupt register banks (IGROUPR .. ICACTIVER) of word @word, for which
 * @v is the redistributor's vCPU (word 0) or the accessing vCPU (SPIs). */
enum bank {
    BANK_GROUP,
    BANK_SENABLE,
    BANK_CENABLE,
    BANK_SPEND,
    BANK_CPEND,
    BANK_SACTIVE,
    BANK_CACTIVE,
};

static uint32_t *bank_word(struct vcpu *v, unsigned word, enum bank b)
{
    struct vgic_dist *g = dist_of(v);
    struct vgic_cpu *c = &v->arch.vgic;

    switch (b) {
    case BANK_SENABLE:
    case BANK_CENABLE:
        return word ? &g->enabled[word - 1] : &c->enabled;
    case BANK_SPEND:
    case BANK_CPEND:
        return word ? &g->pending[word - 1] : &c->pending;
    default:
        return word ? &g->active[word - 1] : &c->active;
    }
}

/* List-register state of word @word: @v's own for SGIs and PPIs, every vCPU's for SPIs
 * (each is held by its target). */
static uint32_t lr_bits_word(struct vcpu *v, unsigned word, bool active)
{
    uint32_t bits = 0;

    if (word == 0) {
        return lr_bits(v, 0, active);
    }
    for (unsigned i = 0; i < v->dom->nr_vcpus; i++) {
        bits |= lr_bits(v->dom->vcpus[i], word, active);
    }
    return bits;
}

static uint32_t bank_read(struct vcpu *v, unsigned word, enum bank b)
{
    switch (b) {
    case BANK_GROUP:
        return ~0u; /* every interrupt is Group 1 (DS = 1: RAO/WI) */
    case BANK_SENABLE:
    case BANK_CENABLE:
        return *bank_word(v, word, b);
    case BANK_SPEND:
    case BANK_CPEND:
        return *bank_word(v, word, b) | lr_bits_word(v, word, false);
    default:
        return *bank_word(v, word, b) | lr_bits_word(v, word, true);
    }
}

/* Mark every vCPU of @d dirty; returns NOTIFY_ALL. */
static struct vcpu *all_dirty(struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        d->vcpus[i]->arch.vgic.dirty = 1;
    }
    return NOTIFY_ALL;
}

/* A write to a bank. Returns the vCPU(s) to notify once the lock is dropped: setting an
 * enable or pending bit may give a vCPU something to take. */
static struct vcpu *bank_write(struct vcpu *v, unsigned word, enum bank b, uint32_t val)
{
    uint32_t *w = bank_word(v, word, b);

    switch (b) {
    case BANK_GROUP:
        return NULL;
    case BANK_SENABLE:
    case BANK_SPEND:
        *w |= val;
        break;
    case BANK_SACTIVE:
        *w |= val;
        return NULL;
    case BANK_CPEND:
        lr_unpend(v, word, val);
        *w &= ~val;
        return NULL;
    default:
        *w &= ~val;
        return NULL;
    }
    if (!val) {
        return NULL;
    }
    if (word) {
        return all_dirty(v->dom); /* SPIs: their targets may be anywhere */
    }
    v->arch.vgic.dirty = 1;
    return v;
}

static void notify_after(struct vcpu *v, struct vcpu *t)
{
    if (t == NOTIFY_ALL) {
        for (unsigned i = 0; i < v->dom->nr_vcpus; i++) {
            notify(v->dom->vcpus[i]);
        }
    } else if (t) {
        notify(t);
    }
}

/* Bytes [off, off + size) of a byte-per-interrupt array. */
static uint64_t bytes_read(const uint8_t *a, unsigned off, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)a[off + i] << (8 * i);
    }
    return v;
}

/* Priorities keep the bits the virtual CPU interface implements (5: a mask of 0xf8). */
static void prio_write(uint8_t *a, unsigned off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        a[off + i] = (uint8_t)(v >> (8 * i)) & 0xf8;
    }
}

/* ---- distributor ------------------------------------------------------------------ */

/* A bit-per-interrupt bank at @base..+0x80: which bank and word @off addresses. */
static bool in_bank(unsigned off, unsigned base, unsigned *word)
{
    if (off < base || off >= base + 0x80) {
        return false;
    }
    *word = (off - base) / 4;
    return true;
}

static const struct {
    unsigned base;
    enum bank bank;
} banks[] = {
    {GICD_IGROUPR, BANK_GROUP},     {GICD_ISENABLER, BANK_SENABLE}, {GICD_ICENABLER, BANK_CENABLE},
    {GICD_ISPENDR, BANK_SPEND},     {GICD_ICPENDR, BANK_CPEND},     {GICD_ISACTIVER, BANK_SACTIVE},
    {GICD_ICACTIVER, BANK_CACTIVE},
};

/* The value of a constant identification register (TYPER, IIDR, TYPER2, PIDR2); false
 * if @off is not one. */
static bool dist_id_reg(unsigned off, uint64_t *r)
{
    switch (off) {
    case GICD_TYPER:
        *r = VGIC_TYPER;
        return true;
    case GICD_IIDR:
        *r = VGIC_IIDR;
        return true;
    case GICD_TYPER2:
        *r = 0;
        return true;
    case GICD_PIDR2:
        *r = VGIC_PIDR2;
        return true;
    default:
        return false;
    }
}

/* Distributor access at @off; the lock is held. Undefined offsets and widths read as
 * zero and ignore writes (RAZ/WI). Returns a vCPU to notify after unlocking. */
static struct vcpu *dist_access(struct vcpu *v, unsigned off, bool write, unsigned size,
                                uint64_t *val)
{
    struct vgic_dist *g = dist_of(v);
    unsigned word;
    uint64_t r = 0;

    if (off >= GICD_IPRIORITYR + 32 && off < GICD_IPRIORITYR + VGIC_NR_IRQS &&
        (size == 1 || size == 4)) {
        if (write) {
            prio_write(g->prio, off - GICD_IPRIORITYR - 32, size, *val);
        } else {
            *val = bytes_read(g->prio, off - GICD_IPRIORITYR - 32, size);
        }
        return NULL;
    }
    if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * VGIC_NR_IRQS &&
        (size == 8 || size == 4)) {
        unsigned n = (off - GICD_IROUTER) / 8 - 32;

        /* Bits 31:0 hold Aff2.Aff1.Aff0 and IRM; Aff3 (63:32) is RAZ/WI. */
        if (off % 8 == 4) {
            r = 0;
        } else if (write) {
            g->irouter[n] = (uint32_t)*val & (IROUTER_IRM | 0xffffff);
            /* Routing changed: the new target may take it. */
            if (test_bit32(g->pending, n)) {
                struct vcpu *t = spi_owner(v->dom, n + 32);

                if (t) {
                    t->arch.vgic.dirty = 1;
                }
                return t;
            }
            return NULL;
        } else {
            r = g->irouter[n];
        }
        *val = r;
        return NULL;
    }
    if (size != 4) {
        *val = 0;
        return NULL;
    }
    for (unsigned i = 0; i < sizeof(banks) / sizeof(banks[0]); i++) {
        if (in_bank(off, banks[i].base, &word)) {
            /* Word 0 (SGIs, PPIs) is RAZ/WI here with affinity routing (12.9). */
            if (word == 0 || word >= VGIC_NR_IRQS / 32) {
                *val = 0;
                return NULL;
            }
            if (write) {
                return bank_write(v, word, banks[i].bank, (uint32_t)*val);
            }
            *val = bank_read(v, word, banks[i].bank);
            return NULL;
        }
    }
    if (off >= GICD_ICFGR + 8 && off < GICD_ICFGR + VGIC_NR_IRQS / 4) {
        unsigned n = (off - GICD_ICFGR) / 4 - 2;

        if (write) {
            g->icfgr[n] = (uint32_t)*val & 0xaaaaaaaau; /* odd bits: edge; even RES0 */
        } else {
            r = g->icfgr[n];
        }
    } else {
        switch (off) {
        case GICD_CTLR:
            if (write) {
                g->ctlr = (uint32_t)*val & (GICD_CTLR_EN_GRP0 | GICD_CTLR_EN_GRP1);
                return all_dirty(v->dom);
            }
            /* RWP (bit 31) is always 0: writes take effect at once. */
            r = g->ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
            break;
        default:
            /* The identification registers at other widths; STATUSR, ITARGETSR,
             * IGRPMODR, NSACR, SGIR, ...: RAZ/WI */
            if (!dist_id_reg(off, &r)) {
                r = 0;
            }
            break;
        }
    }
    if (!write) {
        *val = r;
    }
    return NULL;
}

/* ---- redistributors ------------------------------------------------------------------ */

static struct vcpu *redist_access(struct vcpu *v, struct vcpu *rv, unsigned off, bool write,
                                  unsigned size, uint64_t *val)
{
    struct vgic_cpu *c = &rv->arch.vgic;
    unsigned word;
    uint64_t r = 0;

    (void)v;
    if (off >= GICR_SGI + GICD_IPRIORITYR && off < GICR_SGI + GICD_IPRIORITYR + 32 &&
        (size == 1 || size == 4)) {
        if (write) {
            prio_write(c->prio, off - GICR_SGI - GICD_IPRIORITYR, size, *val);
        } else {
            *val = bytes_read(c->prio, off - GICR_SGI - GICD_IPRIORITYR, size);
        }
        return NULL;
    }
    if (off == GICR_TYPER || (off == GICR_TYPER + 4 && size == 4)) {
        /* Affinity (63:32) = MPIDR Aff0 = vCPU id, Processor_Number (23:8), Last (4). */
        uint64_t typer = (uint64_t)rv->id << 32 | (uint64_t)rv->id << 8 |
                         (rv->id == rv->dom->nr_vcpus - 1 ? 1u << 4 : 0);

        if (write || (size != 8 && size != 4)) {
            r = 0;
        } else {
            r = off == GICR_TYPER ? (size == 8 ? typer : (uint32_t)typer) : typer >> 32;
        }
        if (!write) {
            *val = r;
        }
        return NULL;
    }
    if (size != 4) {
        *val = 0;
        return NULL;
    }
    for (unsigned i = 0; i < sizeof(banks) / sizeof(banks[0]); i++) {
        if (in_bank(off, GICR_SGI + banks[i].base, &word)) {
            if (word != 0) {
                *val = 0;
                return NULL;
            }
            if (write) {
                return bank_write(rv, 0, banks[i].bank, (uint32_t)*val);
            }
            *val = bank_read(rv, 0, banks[i].bank);
            return NULL;
        }
    }
    switch (off) {
    case GICR_IIDR:
        r = VGIC_IIDR;
        break;
    case GICR_WAKER:
        if (write) {
            c->waker = (uint32_t)*val & WAKER_PSLEEP;
        }
        /* ChildrenAsleep follows ProcessorSleep at once. */
        r = c->waker ? (WAKER_PSLEEP | WAKER_CASLEEP) : 0;
        break;
    case GICR_PIDR2:
        r = VGIC_PIDR2;
        break;
    case GICR_ICFGR0:
        r = SGI_CFG;
        break;
    case GICR_ICFGR1:
        if (write) {
            c->icfgr1 = (uint32_t)*val & 0xaaaaaaaau;
        }
        r = c->icfgr1;
        break;
    default:
        r = 0; /* CTLR (no LPIs), STATUSR, PROPBASER, IGRPMODR0, NSACR, ...: RAZ/WI */
        break;
    }
    if (!write) {
        *val = r;
    }
    return NULL;
}

/* The distributor's constant identification registers, which guests read often (Linux
 * per GIC access batch, the benchmark's emulated read): no lock and no decoding. True
 * if @off is one of them, 32-bit and aligned; they ignore writes. */
static bool dist_id_access(unsigned off, bool write, unsigned size, uint64_t *val)
{
    uint64_t r;

    if (size != 4 || !dist_id_reg(off, &r)) {
        return false;
    }
    if (!write) {
        *val = r;
    }
    return true;
}

bool vgic_mmio(struct vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t *val)
{
    struct vgic_dist *g = dist_of(v);
    struct domain *d = v->dom;
    struct vcpu *t = NULL;

    if (!g) {
        return false;
    }
    if (ipa - VGIC_GICD_BASE < VGIC_GICD_SIZE &&
        dist_id_access((unsigned)(ipa - VGIC_GICD_BASE), write, size, val)) {
        return true;
    }
    if (ipa - VGIC_GICD_BASE < VGIC_GICD_SIZE) {
        spin_lock(&g->lock);
        if (ipa & (size - 1)) {
            *val = 0; /* misaligned: RAZ/WI */
        } else {
            t = dist_access(v, (unsigned)(ipa - VGIC_GICD_BASE), write, size, val);
        }
        spin_unlock(&g->lock);
    } else if (ipa - VGIC_GICR_BASE < VGIC_GICR_STRIDE * d->nr_vcpus) {
        uint64_t rel = ipa - VGIC_GICR_BASE;
        struct vcpu *rv = d->vcpus[rel / VGIC_GICR_STRIDE];

        spin_lock(&g->lock);
        if (ipa & (size - 1)) {
            *val = 0;
        } else {
            t = redist_access(v, rv, (unsigned)(rel % VGIC_GICR_STRIDE), write, size, val);
        }
        spin_unlock(&g->lock);
    } else {
        return false;
    }
    notify_after(v, t);
    return true;
}

/* ---- domains ------------------------------------------------------------------------ */

int vgic_domain_init(struct domain *d)
{
    paddr_t pa;
    int rc;

    _Static_assert(sizeof(struct vgic_dist) <= PAGE_SIZE, "a vGIC distributor fits in a page");
    rc = domain_alloc_pages(d, 0, &pa);
    if (rc) {
        return rc;
    }
    d->arch.vgic = pa_va(pa); /* zeroed: everything disabled, SPIs routed to vCPU 0 */
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        d->vcpus[i]->arch.vgic.hcr = ICH_HCR_EN;
    }
    return 0;
}

void vgic_domain_teardown(struct domain *d)
{
    if (d->arch.vgic) {
        domain_free_pages(d, va_pa(d->arch.vgic), 0);
        d->arch.vgic = NULL;
    }
}

bool arch_guest_mmio_emulated(uint64_t ipa, uint64_t size)
{
    uint64_t end = ipa + size;

    return (ipa < VGIC_GICD_BASE + VGIC_GICD_SIZE && end > VGIC_GICD_BASE) ||
           (ipa < VGIC_GICR_BASE + MAX_VCPUS * VGIC_GICR_STRIDE && end > VGIC_GICR_BASE);
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the virtual GICv3 (arch/aarch64/hyp/vgic.c, compiled unmodified for
 * the host; sysreg-host/arch/sysreg.h turns its system register accesses into calls).
 *
 * The fuzzer plays the hardware and the rest of the hypervisor: two CPUs, each with a
 * simulated GICv3 virtual CPU interface (ICH_LR<n>_EL2 for 1-16 list registers,
 * ICH_HCR/VMCR/AP*R), one domain of 1-4 vCPUs, and a scheduler that puts vCPUs on and
 * off the CPUs through vgic_save/vgic_restore. Input: a config byte (vCPUs, list
 * registers), then records of one operation each:
 *   distributor or redistributor MMIO (fuzzed offset, width, value, direction) by the
 *   vCPU running on the current CPU; ICC_SGI1R_EL1 writes; injections of any INTID into
 *   any vCPU; the guest acknowledging (pending -> active) and ending (EOI: active ->
 *   inactive) list-register interrupts as the CPU interface would; ICH_VMCR writes (the
 *   guest's priority mask and group enable); vCPU switches; the entry path's flush and
 *   the maintenance interrupt when ICH_HCR_EL2.UIE asks for it; PSCI-style resets.
 * After every operation, invariants the GIC specification and the vGIC's own model
 * require:
 *   - no list register beyond ICH_VTR_EL2.ListRegs is touched (UNDEFINED on hardware);
 *   - no vINTID in two valid list registers of one vCPU (UNPREDICTABLE, GICv3 4.9.5),
 *     nor an SPI in valid list registers of two vCPUs (an SPI is pending or active on
 *     one PE at a time);
 *   - every valid list register is marked used and holds a Group 1 INTID below 128, and
 *     its in_lr bit is set;
 *   - after a flush, nothing deliverable to that vCPU is left waiting unless every list
 *     register is full (then UIE must be set), and anything deliverable to a vCPU has
 *     been announced to it (dirty) unless its list registers were full: no lost
 *     interrupt;
 *   - the read-only identification registers read their fixed values whatever was
 *     written, misaligned accesses read as zero, and MMIO outside the GIC is declined.
 * ASan and UBSan catch out-of-bounds accesses and undefined behaviour on top.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#include "../../../arch/aarch64/hyp/vgic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCPU     2
#define MAX_OPS  1024
#define LR_STATE (3ull << 62)
#define LR_PEND  (1ull << 62)
#define LR_ACT   (2ull << 62)
#define LR_GRP1  (1ull << 60)
#define HCR_UIE  (1ull << 1)

/* The simulated virtual CPU interface of each CPU. */
static struct hw_cpu {
    uint64_t lr[VGIC_MAX_LRS];
    uint64_t vtr, hcr, vmcr, ap0r0, ap1r0, cntv_ctl;
} hw[NCPU];
static unsigned cur_cpu;
static unsigned nr_lrs;

struct pcpu pcpus[MAX_CPUS];

static struct domain dom;
static struct vcpu vcpus[4];

/* ---- what vgic.c calls ------------------------------------------------------------- */

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_vgic: invariant broken: %s\n", what);
    abort();
}

static uint64_t *sysreg(const char *name)
{
    struct hw_cpu *h = &hw[cur_cpu];
    unsigned n;

    if (!strncmp(name, "S3_4_C12_C12_", 13) || !strncmp(name, "S3_4_C12_C13_", 13)) {
        n = (unsigned)(name[13] - '0') + (name[11] == '3' ? 8 : 0);
        if (name[14] || n >= VGIC_MAX_LRS) {
            fail("malformed list register name");
        }
        if (n >= nr_lrs) {
            fail("list register beyond ICH_VTR_EL2.ListRegs accessed");
        }
        return &h->lr[n];
    }
    if (!strcmp(name, "S3_4_C12_C11_0")) {
        return &h->hcr;
    }
    if (!strcmp(name, "S3_4_C12_C11_1")) {
        return &h->vtr;
    }
    if (!strcmp(name, "S3_4_C12_C11_7")) {
        return &h->vmcr;
    }
    if (!strcmp(name, "S3_4_C12_C8_0")) {
        return &h->ap0r0;
    }
    if (!strcmp(name, "S3_4_C12_C9_0")) {
        return &h->ap1r0;
    }
    if (!strcmp(name, "cntv_ctl_el0")) {
        return &h->cntv_ctl;
    }
    fprintf(stderr, "fuzz_vgic: unexpected system register %s\n", name);
    abort();
}

uint64_t fuzz_sysreg_read(const char *name)
{
    return *sysreg(name);
}

void fuzz_sysreg_write(const char *name, uint64_t v)
{
    if (!strcmp(name, "S3_4_C12_C11_1")) {
        fail("ICH_VTR_EL2 is read-only");
    }
    *sysreg(name) = v;
}

struct pcpu *arch_this_cpu(void)
{
    return &pcpus[cur_cpu];
}

void arch_cpu_relax(void)
{
    fail("a vGIC lock was contended in a single-threaded run");
}

void arch_cpu_wake(void)
{
}

void arch_send_kick(struct pcpu *cpu)
{
    if (cpu == this_cpu() || cpu->id >= NCPU) {
        fail("kick sent to this CPU or to no CPU");
    }
}

/* No host line is passed through in this model (irq_route.c is not linked). */
bool irq_route_eoi(const struct domain *d, uint32_t intid)
{
    (void)d;
    (void)intid;
    return false;
}

void sched_wake(struct vcpu *v)
{
    if (v->dom != &dom) {
        fail("sched_wake of a vCPU of no domain");
    }
}

int domain_alloc_pages(struct domain *d, unsigned order, paddr_t *out)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);

    (void)d;
    if (!p) {
        return -12;
    }
    memset(p, 0, PAGE_SIZE << order);
    *out = va_pa(p);
    return 0;
}

void domain_free_pages(struct domain *d, paddr_t pa, unsigned order)
{
    (void)d;
    (void)order;
    free(pa_va(pa));
}

/* ---- the model --------------------------------------------------------------------- */

static struct vgic_dist *dist(void)
{
    return dom.arch.vgic;
}

/* The CPU @v runs on, or -1. */
static int cpu_of(const struct vcpu *v)
{
    for (unsigned c = 0; c < NCPU; c++) {
        if (pcpus[c].curr == v) {
            return (int)c;
        }
    }
    return -1;
}

/* @v's list register @i: live if it runs, else as saved. */
static uint64_t lr_of(const struct vcpu *v, unsigned i)
{
    int c = cpu_of(v);

    return c >= 0 ? hw[c].lr[i] : v->arch.vgic.lr[i];
}

/* An SPI goes to the vCPU whose list register holds it (until that entry is folded),
 * else to its IROUTER's target. */
static struct vcpu *spi_target(unsigned intid)
{
    uint32_t r = dist()->irouter[intid - 32];

    for (unsigned n = 0; n < dom.nr_vcpus; n++) {
        for (uint32_t u = dom.vcpus[n]->arch.vgic.lr_used; u; u &= u - 1) {
            if ((lr_of(dom.vcpus[n], (unsigned)__builtin_ctz(u)) & 0xffffffffu) == intid) {
                return dom.vcpus[n];
            }
        }
    }

    if (r & (1u << 31)) {
        return dom.vcpus[0];
    }
    return (r & 0xffffff00u) == 0 && (r & 0xff) < dom.nr_vcpus ? dom.vcpus[r & 0xff] : NULL;
}

/* Interrupts waiting for @v that a flush should place: pending, enabled, group enabled,
 * routed to it. Word @w of INTIDs. */
static uint32_t deliverable(const struct vcpu *v, unsigned w)
{
    const struct vgic_dist *g = dist();
    uint32_t bits;

    if (w == 0) {
        return v->arch.vgic.pending & v->arch.vgic.enabled;
    }
    if (!(g->ctlr & 2)) {
        return 0;
    }
    bits = g->pending[w - 1] & g->enabled[w - 1];
    for (uint32_t b = bits; b; b &= b - 1) {
        unsigned intid = w * 32 + (unsigned)__builtin_ctz(b);

        if (spi_target(intid) != v) {
            bits &= ~(1u << (intid % 32));
        }
    }
    return bits;
}

static void check_state(void)
{
    uint8_t spi_owner[VGIC_NR_IRQS] = {0}; /* vCPU id + 1 holding an SPI in an LR */

    for (unsigned c = 0; c < NCPU; c++) {
        for (unsigned i = nr_lrs; i < VGIC_MAX_LRS; i++) {
            if (hw[c].lr[i]) {
                fail("a list register beyond ListRegs holds something");
            }
        }
    }
    for (unsigned n = 0; n < dom.nr_vcpus; n++) {
        struct vcpu *v = dom.vcpus[n];
        struct vgic_cpu *vc = &v->arch.vgic;
        uint8_t seen[VGIC_NR_IRQS] = {0};

        if (vc->lr_used >> nr_lrs) {
            fail("lr_used names a list register that does not exist");
        }
        /* Whatever it could take must have been announced to it (dirty: flushed on its
         * next entry), unless its list registers were full at its last flush (then UIE
         * or the next vgic_restore brings it in). */
        for (unsigned w = 0; w < VGIC_NR_IRQS / 32; w++) {
            if (deliverable(v, w) && !vc->dirty &&
                (unsigned)__builtin_popcount(vc->lr_used) < nr_lrs) {
                fail("an interrupt it can take waits, and nothing told the vCPU");
            }
        }
        for (unsigned i = 0; i < nr_lrs; i++) {
            uint64_t lr = lr_of(v, i);
            unsigned intid = (unsigned)(lr & 0xffffffffu);

            if (!(lr & LR_STATE)) {
                continue;
            }
            if (cpu_of(v) >= 0 && !((vc->lr_used >> i) & 1)) {
                fail("a valid list register is not marked used");
            }
            if (!((vc->lr_used >> i) & 1)) {
                continue; /* saved copies of unused entries are stale, not state */
            }
            if (intid >= VGIC_NR_IRQS || !(lr & LR_GRP1)) {
                fail("list register with an INTID over 127 or not Group 1");
            }
            if (seen[intid]++) {
                fail("one INTID in two valid list registers of a vCPU");
            }
            if (intid < 32 ? !((vc->in_lr >> intid) & 1)
                           : !((dist()->in_lr[intid / 32 - 1] >> (intid % 32)) & 1)) {
                fail("an INTID in a list register is not marked in_lr");
            }
            if (intid >= 32) {
                if (spi_owner[intid] && spi_owner[intid] != n + 1) {
                    fail("an SPI in list registers of two vCPUs at once");
                }
                spi_owner[intid] = (uint8_t)(n + 1);
            }
        }
    }
}

/* Just after vgic_flush(@v) on its CPU: nothing deliverable may be left waiting unless
 * the list registers are full and the maintenance interrupt was asked for. */
static void check_flushed(struct vcpu *v)
{
    int c = cpu_of(v);
    unsigned valid = 0;

    for (unsigned i = 0; i < nr_lrs; i++) {
        valid += (hw[c].lr[i] & LR_STATE) != 0;
    }
    for (unsigned w = 0; w < VGIC_NR_IRQS / 32; w++) {
        if (deliverable(v, w) && valid < nr_lrs) {
            fail("a deliverable interrupt was left out of a free list register");
        }
        if (deliverable(v, w) && !(hw[c].hcr & HCR_UIE)) {
            fail("interrupts wait for list registers but no maintenance interrupt is asked");
        }
    }
}

/* The guest on this CPU runs: the entry path flushes if an injector left work, and the
 * maintenance interrupt fires if UIE asks and at most one entry is valid (GICv3 4.9.4). */
static void guest_entry(void)
{
    struct vcpu *v = current_vcpu();
    bool dirty;
    unsigned valid = 0;

    if (!v) {
        return;
    }
    dirty = v->arch.vgic.dirty;
    vgic_flush_current(v);
    if (dirty) {
        check_flushed(v);
    }
    for (unsigned i = 0; i < nr_lrs; i++) {
        valid += (hw[cur_cpu].lr[i] & LR_STATE) != 0;
    }
    if ((hw[cur_cpu].hcr & HCR_UIE) && valid <= 1) {
        vgic_maintenance();
        check_flushed(v);
    }
}

/* ---- operations -------------------------------------------------------------------- */

static const uint16_t gicd_regs[] = {
    0x0000, 0x0004, 0x0008, 0x000c, 0x0010, 0x0040, 0x0080, 0x0084, 0x0100, 0x0104,
    0x0180, 0x0184, 0x0200, 0x0204, 0x0280, 0x0284, 0x0300, 0x0304, 0x0380, 0x0384,
    0x0400, 0x0420, 0x047c, 0x0800, 0x0c00, 0x0c08, 0x0c1c, 0x0d00, 0x0e00, 0x0f00,
    0x6000, 0x6100, 0x6104, 0x63f8, 0x6400, 0xffd0, 0xffe8, 0xfffc,
};

static const uint32_t gicr_regs[] = {
    0x0000,  0x0004,  0x0008,  0x000c,  0x0010,  0x0014,  0x0070,  0x0078,
    0xffe8,  0x10080, 0x10100, 0x10104, 0x10180, 0x10200, 0x10280, 0x10300,
    0x10380, 0x10400, 0x1041c, 0x10c00, 0x10c04, 0x10d00, 0x10e00, 0x1fffc,
};

static uint64_t take(const uint8_t **p, size_t *left, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)(*left ? ((*left)--, *(*p)++) : 0) << (8 * i);
    }
    return v;
}

/* One MMIO access by the vCPU running here; reads of fixed registers are checked. */
static void mmio(struct vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t val)
{
    bool in_gic = ipa - VGIC_GICD_BASE < VGIC_GICD_SIZE ||
                  ipa - VGIC_GICR_BASE < VGIC_GICR_STRIDE * dom.nr_vcpus;
    uint64_t v0 = val;

    if (vgic_mmio(v, ipa, write, size, &val) != in_gic) {
        fail("vgic_mmio claimed an address outside the GIC or declined one inside");
    }
    if (!in_gic || write) {
        return;
    }
    if (ipa & (size - 1)) {
        if (val) {
            fail("a misaligned read did not read as zero");
        }
        return;
    }
    (void)v0;
    if (size == 4 && ipa == VGIC_GICD_BASE + 0x4 && val != ((VGIC_NR_IRQS / 32 - 1) | (9u << 19))) {
        fail("GICD_TYPER changed");
    }
    if (size == 4 && (ipa == VGIC_GICD_BASE + 0x8) && val != 0x43b) {
        fail("GICD_IIDR changed");
    }
    if (size == 4 && ipa == VGIC_GICD_BASE + 0xffe8 && val != 0x3b) {
        fail("GICD_PIDR2 changed");
    }
    if (size == 4 && ipa == VGIC_GICD_BASE + 0xc && val != 0) {
        fail("GICD_TYPER2 is not zero");
    }
    if (size == 4 && ipa - VGIC_GICR_BASE < VGIC_GICR_STRIDE * dom.nr_vcpus &&
        (ipa - VGIC_GICR_BASE) % VGIC_GICR_STRIDE == 0x10c00 && val != 0xaaaaaaaa) {
        fail("GICR_ICFGR0 (SGIs edge-triggered, read-only) changed");
    }
    if (size == 8 && ipa - VGIC_GICR_BASE < VGIC_GICR_STRIDE * dom.nr_vcpus &&
        (ipa - VGIC_GICR_BASE) % VGIC_GICR_STRIDE == 0x8) {
        unsigned n = (unsigned)((ipa - VGIC_GICR_BASE) / VGIC_GICR_STRIDE);

        if (val >> 32 != n || ((val >> 4) & 1) != (n == dom.nr_vcpus - 1u)) {
            fail("GICR_TYPER affinity or Last wrong");
        }
    }
}

/* The guest acknowledges its highest-priority pending list register (ICV_IAR1_EL1):
 * pending -> active, as the CPU interface does when it is enabled and above the mask. */
static void guest_ack(void)
{
    struct hw_cpu *h = &hw[cur_cpu];
    int best = -1;

    if (!(h->vmcr & 2)) {
        return;
    }
    for (unsigned i = 0; i < nr_lrs; i++) {
        uint64_t lr = h->lr[i];

        if ((lr & LR_STATE) == LR_PEND && ((lr >> 48) & 0xff) < ((h->vmcr >> 24) & 0xff) &&
            (best < 0 || ((lr >> 48) & 0xff) < ((h->lr[best] >> 48) & 0xff))) {
            best = (int)i;
        }
    }
    if (best >= 0) {
        h->lr[best] = (h->lr[best] & ~LR_STATE) | LR_ACT;
    }
}

/* The guest ends an active interrupt (ICV_EOIR1_EL1 with EOImode 0): active goes. */
static void guest_eoi(unsigned i)
{
    struct hw_cpu *h = &hw[cur_cpu];

    if (i < nr_lrs && (h->lr[i] & LR_ACT)) {
        h->lr[i] &= ~LR_ACT;
    }
}

static void deschedule(unsigned c)
{
    unsigned saved = cur_cpu;
    struct vcpu *v = pcpus[c].curr;

    if (!v) {
        return;
    }
    cur_cpu = c;
    vgic_save(v);
    pcpus[c].curr = NULL;
    cur_cpu = saved;
}

static void schedule_on(unsigned c, struct vcpu *v)
{
    unsigned saved = cur_cpu;

    if (cpu_of(v) >= 0) {
        return;
    }
    deschedule(c);
    cur_cpu = c;
    v->pcpu = c;
    pcpus[c].curr = v;
    vgic_restore(v);
    check_flushed(v);
    cur_cpu = saved;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t left = size;
    unsigned cfg = (unsigned)take(&p, &left, 1);

    memset(hw, 0, sizeof(hw));
    memset(pcpus, 0, sizeof(pcpus));
    memset(&dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    for (unsigned c = 0; c < NCPU; c++) {
        pcpus[c].id = c;
        pcpus[c].online = true;
    }
    nr_lrs = ((cfg >> 2) & 3) == 3 ? 16 : ((cfg >> 2) & 3) + 1; /* 1, 2, 3 or 16 */
    dom.nr_vcpus = (cfg & 3) + 1;
    for (unsigned i = 0; i < dom.nr_vcpus; i++) {
        vcpus[i].dom = &dom;
        vcpus[i].id = i;
        dom.vcpus[i] = &vcpus[i];
    }
    for (unsigned c = 0; c < NCPU; c++) {
        cur_cpu = c;
        hw[c].vtr = nr_lrs - 1;
        vgic_cpu_init();
    }
    cur_cpu = 0;
    if (vgic_domain_init(&dom)) {
        return 0;
    }
    schedule_on(0, &vcpus[0]);

    for (unsigned n = 0; n < MAX_OPS && left; n++) {
        unsigned op = (unsigned)take(&p, &left, 1);
        struct vcpu *v = current_vcpu();
        struct vcpu *any = dom.vcpus[take(&p, &left, 1) % dom.nr_vcpus];

        switch (op & 15) {
        case 0: /* distributor MMIO */
        case 1: {
            unsigned sel = (unsigned)take(&p, &left, 1);
            uint64_t off = sel & 1 ? gicd_regs[(sel >> 1) % (sizeof(gicd_regs) / 2)] +
                                         (take(&p, &left, 1) & 0x3f)
                                   : take(&p, &left, 2);
            unsigned width = 1u << (take(&p, &left, 1) & 3);
            bool write = op & 0x10;

            if (v) {
                guest_entry();
                mmio(v, VGIC_GICD_BASE + off, write, width, take(&p, &left, 8));
            }
            break;
        }
        case 2: /* redistributor MMIO (and just past the last one) */
        case 3: {
            unsigned sel = (unsigned)take(&p, &left, 1);
            unsigned frame = (unsigned)take(&p, &left, 1) % (dom.nr_vcpus + 1);
            uint64_t off = sel & 1 ? gicr_regs[(sel >> 1) % (sizeof(gicr_regs) / 4)] +
                                         (take(&p, &left, 1) & 0x3f)
                                   : take(&p, &left, 3) % VGIC_GICR_STRIDE;
            unsigned width = 1u << (take(&p, &left, 1) & 3);

            if (v) {
                guest_entry();
                mmio(v, VGIC_GICR_BASE + frame * VGIC_GICR_STRIDE + off, op & 0x10, width,
                     take(&p, &left, 8));
            }
            break;
        }
        case 4: /* ICC_SGI1R_EL1 */
            if (v) {
                guest_entry();
                vgic_send_sgi(v, take(&p, &left, 8));
            }
            break;
        case 5: /* a device, a timer or an event channel raises an INTID */
        case 6:
            vgic_inject(any, (unsigned)take(&p, &left, 1));
            break;
        case 7:
        case 13:
            guest_entry();
            guest_ack();
            break;
        case 8:
        case 14:
            guest_entry();
            guest_eoi((unsigned)take(&p, &left, 1) % VGIC_MAX_LRS);
            guest_entry();
            break;
        case 9: /* the guest's ICV_PMR / IGRPEN1 (ICH_VMCR_EL2.VPMR, VENG1) */
            if (v) {
                hw[cur_cpu].vmcr = (take(&p, &left, 1) & 0xf8ull) << 24 | (op & 0x20 ? 2 : 0);
                if (vgic_irq_pending(v) && !(hw[cur_cpu].vmcr & 2)) {
                    fail("vgic_irq_pending with the guest's Group 1 disabled");
                }
            }
            break;
        case 10: /* the scheduler */
            if (op & 0x10) {
                deschedule(op >> 5 & 1);
            } else {
                schedule_on(op >> 5 & 1, any);
            }
            break;
        case 11:
            cur_cpu = (op >> 4) & 1;
            break;
        case 15:
            guest_entry();
            break;
        default: /* PSCI CPU_ON of a vCPU that is not running */
            if (cpu_of(any) < 0) {
                vgic_vcpu_reset(any);
            }
            break;
        }
        check_state();
    }
    for (unsigned c = 0; c < NCPU; c++) {
        deschedule(c);
    }
    check_state();
    vgic_domain_teardown(&dom);
    return 0;
}

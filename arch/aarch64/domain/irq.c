/* SPDX-License-Identifier: MIT */
/*
 * dom/irq.h on aarch64: the virtual GICv3 at Xen's guest addresses. The CPU interface
 * is the ICC_* system registers (the hypervisor's virtual interface), the distributor
 * and this vCPU's redistributor are MMIO; DOM_IRQ_IPI is SGI 1, DOM_IRQ_TIMER the EL1
 * virtual timer (PPI 27), DOM_IRQ_DEV0 + n is SPI 32 + n.
 */
#include <stdint.h>

#include "dom/a64.h"
#include "dom/arch.h"
#include "dom/dom.h"
#include "dom/irq.h"

#include <xen/errno.h>

#define ICC_PMR_EL1     "S3_0_C4_C6_0"
#define ICC_IAR1_EL1    "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1   "S3_0_C12_C12_1"
#define ICC_BPR1_EL1    "S3_0_C12_C12_3"
#define ICC_CTLR_EL1    "S3_0_C12_C12_4"
#define ICC_SRE_EL1     "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_SGI1R_EL1   "S3_0_C12_C11_5"

#define GICD_CTLR       0x0000
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER    0x6000
#define GICR_WAKER      0x0014
#define GICR_ISENABLER0 (DOM_GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (DOM_GICR_SGI_BASE + 0x0180)
#define GICR_IPRIORITYR (DOM_GICR_SGI_BASE + 0x0400)

#define INTID_VTIMER   27
#define INTID_EVTCHN   31 /* Xen's GUEST_EVTCHN_PPI */
#define INTID_SPURIOUS 1020
#define PRIO_DEFAULT   0xa0

#define CNTV_ENABLE 1ul
#define CNTV_IMASK  2ul

#define sysreg_read(r)                                                                             \
    ({                                                                                             \
        uint64_t __v;                                                                              \
        __asm__ volatile("mrs %0, " r : "=r"(__v)::"memory");                                      \
        __v;                                                                                       \
    })
#define sysreg_write(r, v) __asm__ volatile("msr " r ", %0" ::"r"((uint64_t)(v)) : "memory")

void dom_arch_exception(uint64_t idx, uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr);
void dom_arch_trap(uint64_t idx, struct dom_a64_frame *f);

static struct {
    dom_irq_handler fn;
    void *ctx;
} handlers[DOM_IRQ_MAX];

static dom_a64_sync_fn sync_hook;
static dom_a64_intid_fn intid_hook;
static volatile uint64_t irq_count[DOM_MAX_VCPUS];
static volatile uint32_t dist_ready;

#define mmio_read32  dom_mmio_read32
#define mmio_write32 dom_mmio_write32

static uint64_t my_gicr(void)
{
    return DOM_GICR_BASE + dom_arch_vcpu_self() * DOM_GICR_STRIDE;
}

void dom_a64_set_sync_hook(dom_a64_sync_fn fn)
{
    sync_hook = fn;
}

void dom_a64_set_intid_hook(dom_a64_intid_fn fn)
{
    intid_hook = fn;
}

uint64_t dom_a64_irq_count(unsigned vcpu)
{
    return vcpu < DOM_MAX_VCPUS ? irq_count[vcpu] : 0;
}

/* Runtime number <-> INTID. */
static unsigned irq_to_intid(unsigned irq)
{
    if (irq == DOM_IRQ_IPI) {
        return DOM_SGI_IPI;
    }
    if (irq == DOM_IRQ_TIMER) {
        return INTID_VTIMER;
    }
    if (irq == DOM_IRQ_EVTCHN) {
        return INTID_EVTCHN;
    }
    return irq >= DOM_IRQ_DEV0 && irq < DOM_IRQ_MAX ? irq : 0;
}

static unsigned intid_to_irq(unsigned intid)
{
    if (intid == DOM_SGI_IPI) {
        return DOM_IRQ_IPI;
    }
    if (intid == INTID_VTIMER) {
        return DOM_IRQ_TIMER;
    }
    if (intid == INTID_EVTCHN) {
        return DOM_IRQ_EVTCHN;
    }
    return intid >= 32 && intid < DOM_IRQ_MAX ? intid : DOM_IRQ_MAX;
}

static void handle_irqs(void)
{
    for (;;) {
        unsigned intid = (unsigned)sysreg_read(ICC_IAR1_EL1) & 0xffffff;
        unsigned irq;

        if (intid >= INTID_SPURIOUS && intid < 1024) {
            return;
        }
        irq_count[dom_arch_vcpu_self() % DOM_MAX_VCPUS]++;
        if (intid == INTID_VTIMER) {
            /* Level-triggered: keep it quiet until the handler sets a new deadline. */
            sysreg_write("cntv_ctl_el0", CNTV_ENABLE | CNTV_IMASK);
            __asm__ volatile("isb" ::: "memory");
        }
        irq = intid_to_irq(intid);
        if (irq < DOM_IRQ_MAX && handlers[irq].fn) {
            handlers[irq].fn(irq, handlers[irq].ctx);
        } else if (intid_hook) {
            intid_hook(intid);
        }
        sysreg_write(ICC_EOIR1_EL1, intid);
        __asm__ volatile("isb" ::: "memory");
    }
}

void dom_arch_trap(uint64_t idx, struct dom_a64_frame *f)
{
    uint64_t esr = sysreg_read("esr_el1"), far = sysreg_read("far_el1");

    if ((idx & 3) == 1) {
        handle_irqs();
        return;
    }
    if ((idx & 3) == 0 && sync_hook && sync_hook(f, esr, far)) {
        return;
    }
    dom_arch_exception(idx, esr, f->elr, far, f->spsr);
}

int dom_irq_cpu_init(void)
{
    uint64_t rd = my_gicr();

    /* The distributor once (vCPU 0, or whoever comes first): affinity routing, Group 1. */
    if (__atomic_exchange_n(&dist_ready, 1, __ATOMIC_ACQ_REL) == 0) {
        mmio_write32(DOM_GICD_BASE + GICD_CTLR, (1u << 4) | (1u << 1));
        while (mmio_read32(DOM_GICD_BASE + GICD_CTLR) & (1u << 31)) {
        }
    }
    /* Wake the redistributor (GICv3 12.11.42). */
    mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~2u);
    while (mmio_read32(rd + GICR_WAKER) & 4u) {
    }
    for (unsigned i = 0; i < 32; i += 4) {
        mmio_write32(rd + GICR_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
    }
    sysreg_write(ICC_SRE_EL1, sysreg_read(ICC_SRE_EL1) | 1);
    __asm__ volatile("isb" ::: "memory");
    if (!(sysreg_read(ICC_SRE_EL1) & 1)) {
        return -XEN_ENODEV; /* no system-register CPU interface */
    }
    sysreg_write(ICC_PMR_EL1, 0xff);
    sysreg_write(ICC_BPR1_EL1, 0);
    sysreg_write(ICC_CTLR_EL1, 0); /* EOImode 0: EOIR drops priority and deactivates */
    sysreg_write(ICC_IGRPEN1_EL1, 1);
    __asm__ volatile("isb" ::: "memory");
    return 0;
}

void dom_irq_register(unsigned irq, dom_irq_handler fn, void *ctx)
{
    if (irq < DOM_IRQ_MAX) {
        handlers[irq].ctx = ctx;
        handlers[irq].fn = fn;
    }
}

static void set_enable(unsigned irq, bool on)
{
    unsigned intid = irq_to_intid(irq);

    if (irq != DOM_IRQ_IPI && intid == 0) {
        return;
    }
    if (intid < 32) {
        mmio_write32(my_gicr() + (on ? GICR_ISENABLER0 : GICR_ICENABLER0), 1u << intid);
        return;
    }
    if (on) {
        dom_mmio_write64(DOM_GICD_BASE + GICD_IROUTER + 8 * intid, dom_arch_vcpu_self());
        dom_mmio_write8(DOM_GICD_BASE + GICD_IPRIORITYR + intid, PRIO_DEFAULT);
    }
    mmio_write32(DOM_GICD_BASE + (on ? GICD_ISENABLER : GICD_ICENABLER) + 4 * (intid / 32),
                 1u << (intid % 32));
}

void dom_irq_enable(unsigned irq)
{
    set_enable(irq, true);
}

void dom_irq_disable(unsigned irq)
{
    set_enable(irq, false);
}

void dom_irq_local_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

void dom_irq_local_disable(void)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

void dom_irq_wait(void)
{
    __asm__ volatile("dsb sy; wfi" ::: "memory");
}

void dom_irq_send_ipi(unsigned vcpu)
{
    /* ICC_SGI1R_EL1: INTID (27:24), target list (15:0) of Aff0 in Aff3.2.1 = 0.0.0. */
    __asm__ volatile("dsb ishst" ::: "memory");
    sysreg_write(ICC_SGI1R_EL1, (uint64_t)DOM_SGI_IPI << 24 | (1ull << (vcpu & 15)));
    __asm__ volatile("isb" ::: "memory");
}

void dom_irq_send_ipi_others(void)
{
    /* IRM (bit 40): every PE but this one. */
    __asm__ volatile("dsb ishst" ::: "memory");
    sysreg_write(ICC_SGI1R_EL1, (uint64_t)DOM_SGI_IPI << 24 | 1ull << 40);
    __asm__ volatile("isb" ::: "memory");
}

void dom_irq_timer_set(uint64_t deadline)
{
    sysreg_write("cntv_cval_el0", deadline);
    sysreg_write("cntv_ctl_el0", CNTV_ENABLE);
    __asm__ volatile("isb" ::: "memory");
}

void dom_irq_timer_stop(void)
{
    sysreg_write("cntv_ctl_el0", 0);
    __asm__ volatile("isb" ::: "memory");
}

bool dom_irq_has_evtchn_upcall(void)
{
    return true;
}

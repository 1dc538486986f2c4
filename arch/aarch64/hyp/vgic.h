/* SPDX-License-Identifier: MIT */
/*
 * The virtual GICv3 (arch/aarch64 internal): a distributor and one redistributor per
 * vCPU at Xen's guest addresses, served by trapping MMIO (vgic.c), and injection through
 * the GICv3 virtual CPU interface's list registers. docs/vcpu-aarch64.md has the model.
 *
 * Lock order: a pcpu's sched lock, then a domain's vGIC lock, then timer queue locks.
 * Nothing takes a sched lock while holding a vGIC lock (injectors drop it before
 * sched_wake / kicking).
 */
#ifndef BULKHEAD_ARCH_AARCH64_VGIC_H
#define BULKHEAD_ARCH_AARCH64_VGIC_H

#include <stdbool.h>
#include <stdint.h>

#include <bulkhead/domain.h>
#include <bulkhead/spinlock.h>

#define VGIC_NR_IRQS   128 /* INTIDs 0-127: 16 SGIs, 16 PPIs, SPIs 32-127 */
#define VGIC_NR_SPIS   (VGIC_NR_IRQS - 32)
#define VGIC_SPI_WORDS (VGIC_NR_SPIS / 32)

#define VGIC_PPI_MAINT  25 /* the GIC's maintenance interrupt (physical, at EL2) */
#define VGIC_PPI_VTIMER 27 /* EL1 virtual timer (GUEST_TIMER_VIRT_PPI) */
#define VGIC_PPI_PTIMER 30 /* EL1 physical timer (GUEST_TIMER_PHYS_NS_PPI) */
#define VGIC_PPI_EVTCHN 31 /* Xen's event-channel upcall (GUEST_EVTCHN_PPI) */

/* Guest-physical frames (xen/arch-arm.h GUEST_GICV3_*). */
#define VGIC_GICD_BASE   0x03001000ull
#define VGIC_GICD_SIZE   0x00010000ull
#define VGIC_GICR_BASE   0x03020000ull
#define VGIC_GICR_STRIDE 0x00020000ull /* RD_base + SGI_base frames */

/* The distributor of one domain (a page charged to it). */
struct vgic_dist {
    struct spinlock lock;
    uint32_t ctlr; /* GICD_CTLR.EnableGrp0 / EnableGrp1 */
    uint32_t enabled[VGIC_SPI_WORDS];
    uint32_t pending[VGIC_SPI_WORDS]; /* pending, not yet in a list register */
    uint32_t active[VGIC_SPI_WORDS];  /* set by the guest through ISACTIVER */
    uint32_t in_lr[VGIC_SPI_WORDS];   /* held in a list register of their target */
    uint8_t holder[VGIC_NR_SPIS];     /* while in_lr: the vCPU whose list register it is */
    uint32_t icfgr[VGIC_SPI_WORDS * 2];
    uint32_t level[VGIC_SPI_WORDS]; /* SPI lines a device model holds high (dm_op) */
    uint8_t prio[VGIC_NR_SPIS];
    uint32_t irouter[VGIC_NR_SPIS]; /* Aff2.Aff1.Aff0 and IRM (bit 31) as written */
    unsigned logged;                /* exception-injection log lines printed */
};

int __must_check vgic_domain_init(struct domain *d);
void vgic_domain_teardown(struct domain *d);

/* This CPU's virtual interface: list registers cleared, interface off while idle. */
void vgic_cpu_init(void);

/* Reset @v's CPU interface for a fresh start (PSCI CPU_ON); its redistributor keeps
 * its configuration. Under @v's CPU's sched lock. */
void vgic_vcpu_reset(struct vcpu *v);

/* Make INTID @intid pending: an SGI or PPI of @v, or an SPI (routed by its IROUTER;
 * @v is then any vCPU of the domain). Wakes or kicks the target. Any CPU. */
void vgic_inject(struct vcpu *v, unsigned intid);

/* Set SPI @intid's line level (XEN_DMOP_set_irq_level): level-sensitive, so a line
 * still high when the guest deactivates the interrupt makes it pending again (its list
 * register asks for an EOI maintenance interrupt). -EINVAL for a non-SPI. */
int __must_check vgic_set_level(struct domain *d, unsigned intid, bool level);

/* Complete the running vCPU's forwarded MMIO access if its reply came (guest_traps.c):
 * on every way back into a guest. */
void mmio_finish_current(void);

/* A trapped ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 write of the running vCPU @v. */
void vgic_send_sgi(struct vcpu *v, uint64_t sgir);

/* Emulate an access of the running vCPU @v to guest-physical @ipa if it lies in the
 * virtual GIC: true if it did (reads fill *@val), false if the address is not the GIC's. */
bool vgic_mmio(struct vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t *val);

/* Switch the list registers and virtual CPU interface of @v out of / into this CPU. */
void vgic_save(struct vcpu *v);
void vgic_restore(struct vcpu *v);

/* Move @v's pending interrupts into free list registers (@v runs on this CPU). */
void vgic_flush(struct vcpu *v);

/* On the way back into the guest: flush if an injector left work. */
static inline void vgic_flush_current(struct vcpu *v)
{
    if (READ_ONCE(v->arch.vgic.dirty)) {
        vgic_flush(v);
    }
}

/* The maintenance interrupt: list registers freed up. */
void vgic_maintenance(void);

/* Does the running vCPU @v have a pending interrupt (list registers, queue)? */
bool vgic_irq_pending(struct vcpu *v);

/* Timers (vtimer.c). */
void vtimer_vcpu_init(struct vcpu *v);
void vtimer_vcpu_teardown(struct vcpu *v);
void vtimer_save(struct vcpu *v);
void vtimer_restore(struct vcpu *v);
void vtimer_phys_irq(void);
bool vtimer_pending(struct vcpu *v);
/* A trapped CNTP_{CTL,CVAL,TVAL}_EL0 access (op2 0: TVAL, 1: CTL, 2: CVAL). */
void vptimer_access(struct vcpu *v, unsigned op2, bool read, uint64_t *val);

#endif

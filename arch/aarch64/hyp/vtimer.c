/* SPDX-License-Identifier: MIT */
/*
 * The guest's timers (Arm ARM D11.2). The EL1 virtual timer (CNTV_*) belongs to the
 * guest: its registers are switched with the vCPU, CNTVOFF_EL2 = 0 so the virtual count
 * is the physical one. While the vCPU runs, the timer's own PPI (27) fires at EL2: we set
 * CNTV_CTL.IMASK, so the line drops, and inject virtual PPI 27; the guest's handler
 * reprograms CNTV_CTL, which unmasks it (as Xen does; the guest sees IMASK set). While
 * the vCPU is off its CPU, arch_timers[0] stands in for the timer at CNTV_CVAL and
 * injects PPI 27 and wakes it.
 *
 * The EL1 physical timer (CNTP_*) is emulated: CNTHCTL_EL2.EL1PCEN = 0 traps its
 * registers, and arch_timers[1] raises PPI 30 at CNTP_CVAL.
 */
#include <arch/sysreg.h>

#include <bulkhead/arch.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>
#include <bulkhead/timer.h>

#include "vgic.h"

#define CNT_CTL_ENABLE  (1ull << 0)
#define CNT_CTL_IMASK   (1ull << 1)
#define CNT_CTL_ISTATUS (1ull << 2)

static bool armed(uint64_t ctl)
{
    return (ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) == CNT_CTL_ENABLE;
}

/* arch_timers[0]: the virtual timer of a vCPU that is not running reached CVAL. */
static void vtimer_expired(struct timer *t)
{
    struct vcpu *v = container_of(t, struct vcpu, arch_timers[0]);

    /* arch_vcpu_load stops this timer on this CPU first, so @v is not running. */
    if (armed(v->arch.el1.cntv_ctl)) {
        v->arch.el1.cntv_ctl |= CNT_CTL_IMASK;
        vgic_inject(v, VGIC_PPI_VTIMER);
    }
}

/* arch_timers[1]: the emulated physical timer reached CVAL. */
static void ptimer_expired(struct timer *t)
{
    struct vcpu *v = container_of(t, struct vcpu, arch_timers[1]);

    if (armed(v->arch.ptimer.ctl)) {
        vgic_inject(v, VGIC_PPI_PTIMER);
    }
}

void vtimer_vcpu_init(struct vcpu *v)
{
    timer_init(&v->arch_timers[0], vtimer_expired, v->pcpu);
    timer_init(&v->arch_timers[1], ptimer_expired, v->pcpu);
}

void vtimer_vcpu_teardown(struct vcpu *v)
{
    timer_stop(&v->arch_timers[0]);
    timer_stop(&v->arch_timers[1]);
}

/* After el1_save: the saved CNTV_CTL / CVAL are the guest's. Under the sched lock. */
void vtimer_save(struct vcpu *v)
{
    if (armed(v->arch.el1.cntv_ctl)) {
        timer_set(&v->arch_timers[0], v->arch.el1.cntv_cval);
    }
}

/* Before el1_restore: the hardware timer takes over again. */
void vtimer_restore(struct vcpu *v)
{
    timer_stop(&v->arch_timers[0]);
}

/* The physical PPI 27 at EL2: the running vCPU's virtual timer condition is met. */
void vtimer_phys_irq(void)
{
    struct vcpu *v = current_vcpu();
    uint64_t ctl = read_sysreg(cntv_ctl_el0);

    write_sysreg(cntv_ctl_el0, ctl | CNT_CTL_IMASK);
    isb();
    if (v && armed(ctl) && (ctl & CNT_CTL_ISTATUS)) {
        vgic_inject(v, VGIC_PPI_VTIMER);
    }
}

/* Is the running vCPU's virtual timer asserting (its PPI not yet taken at EL2)? */
bool vtimer_pending(struct vcpu *v)
{
    uint64_t ctl = read_sysreg(cntv_ctl_el0);

    (void)v;
    return armed(ctl) && (ctl & CNT_CTL_ISTATUS);
}

static void ptimer_update(struct vcpu *v)
{
    if (armed(v->arch.ptimer.ctl)) {
        timer_set(&v->arch_timers[1], v->arch.ptimer.cval);
    } else {
        timer_stop(&v->arch_timers[1]);
    }
}

void vptimer_access(struct vcpu *v, unsigned op2, bool read, uint64_t *val)
{
    struct vptimer *p = &v->arch.ptimer;
    uint64_t now = arch_timer_now();

    switch (op2) {
    case 0: /* CNTP_TVAL_EL0: a signed 32-bit down-counter view of CVAL */
        if (read) {
            *val = (uint32_t)(p->cval - now);
            return;
        }
        p->cval = now + (uint64_t)(int64_t)(int32_t)*val;
        break;
    case 1: /* CNTP_CTL_EL0: ISTATUS is read-only */
        if (read) {
            *val = p->ctl | ((p->ctl & CNT_CTL_ENABLE) && now >= p->cval ? CNT_CTL_ISTATUS : 0);
            return;
        }
        p->ctl = *val & (CNT_CTL_ENABLE | CNT_CTL_IMASK);
        break;
    default: /* CNTP_CVAL_EL0 */
        if (read) {
            *val = p->cval;
            return;
        }
        p->cval = *val;
        break;
    }
    ptimer_update(v);
}

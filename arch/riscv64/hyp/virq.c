/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's three VS-level interrupts (H extension 8.2.3-8.2.4), as hvip bits:
 * - VSSIP, software: an SBI IPI (sbi_guest.c) sets ipi_pending on the target, which the
 *   target's next entry moves into hvip.VSSIP; the guest clears it itself (its sip.SSIP
 *   is an alias of hvip.VSSIP).
 * - VSTIP, timer: with Sstc (the hart's stimecmp usable, henvcfg.STCE = 1) the guest's
 *   stimecmp is the hart's vstimecmp, which raises VSTIP in hardware while the vCPU runs;
 *   it is saved and restored with the vCPU, and while the vCPU is switched out,
 *   arch_timers[0] at that deadline wakes it. Without Sstc, SBI set_timer records the
 *   deadline, arch_timers[0] fires at it, and each entry sets hvip.VSTIP from
 *   time >= deadline (a new deadline in the future clears it, SBI spec 6.1).
 * - VSEIP, external: the vPLIC's line for the vCPU's S-mode context (vplic.c).
 * An injector on any CPU makes the interrupt pending, then calls virq_kick(): the
 * vCPU is woken if it blocked (sched_wake) and its CPU kicked, so it re-enters through
 * virq_sync(), which writes hvip.
 */
#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>
#include <bulkhead/timer.h>

#include "riscv.h"

#define TIMER_OFF      (~0ull)
#define VSTIMECMP_PARK (1ull << 50)

static void vtimer_fired(struct timer *t)
{
    struct vcpu *v = container_of(t, struct vcpu, arch_timers[0]);

    /* On v's CPU: if v runs, this interrupt came from it and its return syncs hvip. */
    sched_wake(v);
}

void virq_vcpu_init(struct vcpu *v)
{
    timer_init(&v->arch_timers[0], vtimer_fired, v->pcpu);
}

void virq_vcpu_teardown(struct vcpu *v)
{
    timer_stop(&v->arch_timers[0]);
}

void virq_vcpu_reset(struct vcpu *v)
{
    v->arch.timer_deadline = TIMER_OFF;
}

void virq_timer_set(struct vcpu *v, uint64_t deadline)
{
    if (timer_has_sstc()) {
        /* v is running: the hardware compares; a past value raises VSTIP at once. */
        csr_write(CSR_VSTIMECMP, deadline);
        return;
    }
    v->arch.timer_deadline = deadline;
    if (deadline == TIMER_OFF || deadline <= arch_timer_now()) {
        timer_stop(&v->arch_timers[0]);
    } else {
        timer_set(&v->arch_timers[0], deadline);
    }
}

uint64_t virq_timer_get(struct vcpu *v)
{
    return timer_has_sstc() ? csr_read(CSR_VSTIMECMP) : v->arch.timer_deadline;
}

void virq_vcpu_save(struct vcpu *v)
{
    if (!timer_has_sstc()) {
        return;
    }
    v->arch.timer_deadline = csr_read(CSR_VSTIMECMP);
    /* Park the hart's comparator far ahead, so that only the hypervisor's timer below
     * wakes v: QEMU raises VSTIP from a host timer armed at the last future write, and
     * if that timer fired while v was away, its callback can land just after v, loaded
     * again with the now-past deadline, has taken that tick and set the next one: a
     * spurious tick before its deadline (seen under host load). A value ~2^50 ticks
     * out, not ~0, which QEMU 7.2's conversion to nanoseconds may overflow. */
    csr_write(CSR_VSTIMECMP, arch_timer_now() + VSTIMECMP_PARK);
    /* Switched out: the hypervisor's timer stands in for the hardware comparison. Under
     * the scheduler lock; a timer queue's lock is a leaf. */
    if (v->arch.timer_deadline != TIMER_OFF) {
        timer_set(&v->arch_timers[0], v->arch.timer_deadline);
    }
}

void virq_vcpu_load(struct vcpu *v)
{
    if (timer_has_sstc()) {
        timer_stop(&v->arch_timers[0]);
        csr_write(CSR_VSTIMECMP, v->arch.timer_deadline);
    }
    virq_sync(v);
}

/* The VS interrupts pending for @v other than what hvip already holds. */
static uint64_t virq_extra(struct vcpu *v, bool live)
{
    uint64_t pend = 0, deadline;

    if (__atomic_load_n(&v->arch.ipi_pending, __ATOMIC_ACQUIRE)) {
        pend |= HVIP_VSSIP;
    }
    deadline = live && timer_has_sstc() ? csr_read(CSR_VSTIMECMP) : v->arch.timer_deadline;
    if (arch_timer_now() >= deadline) {
        pend |= HVIP_VSTIP;
    }
    if (vplic_eip(v->dom, v->id)) {
        pend |= HVIP_VSEIP;
    }
    return pend;
}

void virq_sync(struct vcpu *v)
{
    uint64_t set = 0, clear = HVIP_VSEIP;

    /* v runs again: out of hart_suspend if it was in it. */
    v->arch.suspended = false;
    if (__atomic_exchange_n(&v->arch.ipi_pending, 0, __ATOMIC_ACQ_REL)) {
        set |= HVIP_VSSIP;
    }
    if (!timer_has_sstc()) {
        clear |= HVIP_VSTIP;
        if (arch_timer_now() >= v->arch.timer_deadline) {
            set |= HVIP_VSTIP;
        }
    }
    if (vplic_eip(v->dom, v->id)) {
        set |= HVIP_VSEIP;
    }
    csr_clear(CSR_HVIP, clear & ~set);
    csr_set(CSR_HVIP, set);
}

bool arch_vcpu_irq_pending(struct vcpu *v)
{
    bool live = this_cpu()->curr == v;
    uint64_t hvip = live ? csr_read(CSR_HVIP) : v->arch.vs.hvip;
    uint64_t vsie = live ? csr_read(CSR_VSIE) : v->arch.vs.vsie;

    /* vsie has the S-level layout (SSIE bit 1, ...), hvip the VS-level one (VSSIP bit 2,
     * ...): WFI ends on an interrupt pending and enabled, whatever vsstatus.SIE says
     * (privileged spec 3.3.3). */
    return (((hvip | virq_extra(v, live)) >> 1) & vsie) != 0;
}

void virq_kick(struct vcpu *v)
{
    struct pcpu *self = this_cpu();

    sched_wake(v);
    if (v->pcpu != self->id) {
        arch_send_kick(&pcpus[v->pcpu]);
    } else if (self->curr == v) {
        /* v is the caller (a self-IPI): guest_trap's return syncs it. */
    } else {
        self->need_resched = true;
    }
}

void virq_send_ipi(struct vcpu *v)
{
    __atomic_store_n(&v->arch.ipi_pending, 1, __ATOMIC_RELEASE);
    virq_kick(v);
}

/* SPDX-License-Identifier: MIT */
/*
 * The scheduler owns run states only: vCPUs are placed statically on CPUs, each CPU runs
 * its vCPUs round robin with a 10 ms slice (no slice timer while only one is runnable),
 * and sleeps (WFI) when none is runnable. It does not decide anything about domains: when
 * a vCPU of a dying domain has been taken off its CPU for good, it reports that through
 * the hook the domain layer registers (sched_set_vcpu_dead_hook).
 */
#ifndef BULKHEAD_SCHED_H
#define BULKHEAD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "domain.h"
#include "percpu.h"

#define SCHED_SLICE_US 10000

/* The vCPU running on this CPU, NULL in the idle loop. */
static inline struct vcpu *current_vcpu(void)
{
    return this_cpu()->curr;
}

/* Place @v on a CPU (round robin over online CPUs). -ENOSPC if that CPU is full. */
int __must_check sched_add_vcpu(struct vcpu *v);

/* Take @v off its CPU's list and stop its timer (it must not be running). */
void sched_remove_vcpu(struct vcpu *v);

/* @d is dying: every CPU holding one of its vCPUs drops them at its next decision. */
void sched_domain_dying(struct domain *d);

/* Called (outside every scheduler lock) once a vCPU of a dying domain is off its CPU
 * for good and will never run again. Registered by the domain layer: an upward call. */
typedef void (*sched_vcpu_dead_fn)(struct vcpu *v);
void sched_set_vcpu_dead_hook(sched_vcpu_dead_fn fn);

/* Start a vCPU that is down (PSCI CPU_ON, SBI HSM hart_start) at @entry with boot
 * argument @arg. -EEXIST if it is up, -EBUSY if it is still stopping on its CPU. The
 * check and the start happen under its CPU's lock, so two callers cannot both start it
 * and a start cannot be overwritten by the save of a vCPU that just stopped. */
int __must_check sched_start_vcpu(struct vcpu *v, uint64_t entry, uint64_t arg);

/* Block the current vCPU until its timer fires or a virtual interrupt is injected
 * (sched_wake); returns at once if the timer fired since it was last set or an interrupt
 * is pending (arch_vcpu_irq_pending). WFI/WFE and SCHEDOP_block come here. */
void sched_block_current(void);

/* Make a blocked @v runnable (a virtual interrupt or event for it is now pending) and
 * kick its CPU; a no-op for a vCPU that is not blocked. Any CPU, interrupts masked. */
void sched_wake(struct vcpu *v);

/* Called (on the vCPU's CPU, no scheduler lock held) when a vCPU's singleshot timer
 * expires: event channels send VIRQ_TIMER. Registered by the upper layer. */
typedef void (*sched_vcpu_timer_fn)(struct vcpu *v);
void sched_set_vcpu_timer_hook(sched_vcpu_timer_fn fn);

/* Arm the current vCPU's singleshot timer for counter value @deadline (Xen's
 * VCPUOP_set_singleshot_timer), or stop it (@deadline 0). */
void sched_set_vcpu_timer(struct vcpu *v, uint64_t deadline);

/* Power state of a vCPU as its firmware interface reports it. STOPPING: it asked to stop
 * (CPU_OFF / hart_stop) but its CPU has not switched it out yet, so it cannot be started
 * again until then. */
enum vcpu_power {
    VCPU_POWER_ON,
    VCPU_POWER_OFF,
    VCPU_POWER_STOPPING,
};
enum vcpu_power sched_vcpu_power(struct vcpu *v);

/* Take the current vCPU down (PSCI CPU_OFF / SBI HSM stop). */
void sched_vcpu_down_current(void);

/* Ask for a scheduling decision at the next return to a guest on this CPU. */
void sched_yield_current(void);

/* On the way back to a guest: switch vCPU if needed (may never return: idle). */
void sched_on_return(void);

/* This CPU's scheduler state (its slice timer); during its bring-up. */
void sched_cpu_init(struct pcpu *cpu);

/* The idle loop of a CPU: runs vCPUs as they become runnable. */
__noreturn void sched_idle(void);

/* A kick from another CPU arrived (IPI). */
void sched_kick_received(void);

/* Account a runstate change of @v at counter value @now. */
void vcpu_set_runstate(struct vcpu *v, unsigned state, uint64_t now);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The scheduler owns run states only (docs/scheduler.md). Two modes, chosen on the
 * hypervisor command line:
 *
 * - fair (default; `sched=fair`, Xen's `credit`/`credit2` accepted as aliases): per-CPU
 *   run queues; each CPU runs the runnable vCPU with the least weighted virtual time
 *   (run time scaled by 256 / its domain's weight), for a slice (`sched_slice_us=`,
 *   default 10 ms) while others wait, with no slice timer while one vCPU has the CPU to
 *   itself; a domain's cap (percent of one pCPU) parks its vCPUs once their run time in
 *   the current 100 ms period reaches it. An idle or underloaded CPU pulls a waiting
 *   vCPU from a busier one whose hard affinity allows it.
 * - null (`sched=null`): static partitioning: each vCPU gets a pCPU of its own, pinned,
 *   no slice timer; a vCPU that finds no free pCPU in its affinity makes sched_add_vcpu
 *   (and so domain creation) fail with -ENOSPC and a message naming it.
 *
 * Idle CPUs sleep in WFI; every timed event is a timer (hypervisor/time).
 *
 * Migration: a vCPU that is not running may be moved by load balancing to another CPU
 * of its affinity. v->pcpu then changes (under both CPUs' scheduler locks) and its
 * timers follow it: v->timer and v->arch_timers[] are re-bound to the new CPU with
 * timer_migrate() (re-armed there if they were armed) before it runs there. So arch code
 * binds arch_timers[] to v->pcpu at init and must not cache the CPU elsewhere; a timer
 * callback finds the vCPU's current CPU in v->pcpu. A moved vCPU is always fully saved
 * (arch_vcpu_save ran on its old CPU under that CPU's lock) and is loaded on the new one
 * with arch_vcpu_load. Guest-stage TLB entries its old CPU may still hold are the arch's
 * concern: aarch64 broadcasts guest TLB maintenance (HCR_EL2.FB); riscv64 guests fence
 * locally (sfence.vma in VS-mode) and arch_vcpu_load flushes VS-stage entries when
 * another vCPU last ran on the hart or the vCPU itself ran elsewhere since it was last
 * loaded there.
 *
 * It does not decide anything about domains: when a vCPU of a dying domain has been
 * taken off its CPU for good, it reports that through the hook the domain layer
 * registers (sched_set_vcpu_dead_hook).
 *
 * Lock order: two CPUs' sched locks are taken in CPU-id order (balancing only); a
 * domain's sched.lock (cap accounting) is a leaf under a sched lock; no timer function
 * is called with a sched lock held.
 */
#ifndef BULKHEAD_SCHED_H
#define BULKHEAD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "domain.h"
#include "percpu.h"

#define SCHED_SLICE_US      10000 /* default slice */
#define SCHED_SLICE_US_MIN  100
#define SCHED_SLICE_US_MAX  1000000
#define SCHED_CAP_PERIOD_US 100000 /* caps are accounted over this period */

enum sched_mode {
    SCHED_FAIR,
    SCHED_NULL,
};

struct sched_options {
    enum sched_mode mode;
    unsigned slice_us; /* SCHED_SLICE_US_MIN..MAX */
};

/* Set the scheduler's options: at boot, before any vCPU exists (core/main.c parses the
 * command line). -EINVAL for a slice out of range or an unknown mode. */
int __must_check sched_set_options(const struct sched_options *o);
void sched_get_options(struct sched_options *o);

/* Parse a `sched=` value: fair, credit, credit2 (aliases of fair) or null. */
bool sched_parse_mode(const char *s, enum sched_mode *mode);

/* The vCPU running on this CPU, NULL in the idle loop. */
static inline struct vcpu *current_vcpu(void)
{
    return this_cpu()->curr;
}

/* Place @v on a CPU: the least loaded online CPU of v->affinity (0 = every CPU), or in
 * null mode a free one. -EINVAL (with a message) if the affinity names no online CPU,
 * -ENOSPC if no CPU has room (null mode: none is free), -ENODEV if none is online.
 * v->dom, v->id and v->affinity are set by the caller. */
int __must_check sched_add_vcpu(struct vcpu *v);

/* Take @v off its CPU's list and stop its timer (it must not be running). */
void sched_remove_vcpu(struct vcpu *v);

/* @d is dying: every CPU holding one of its vCPUs drops them at its next decision. */
void sched_domain_dying(struct domain *d);

/* XEN_DOMCTL_pausedomain: @d's vCPUs are no longer picked (a wake-up, its timers
 * included, leaves them runnable but off their CPUs); returns once none runs anywhere.
 * Not for the caller's own domain. */
void sched_pause_domain(struct domain *d);

/* Undo sched_pause_domain(): its runnable vCPUs may run again. */
void sched_unpause_domain(struct domain *d);

/* XEN_DOMCTL_scheduler_op putinfo: @weight 1..65535 (0: unchanged), @cap percent of one
 * pCPU, 0..100 per vCPU (0: none). -EINVAL otherwise. */
int __must_check sched_set_domain_params(struct domain *d, unsigned weight, unsigned cap);

/* XEN_DOMCTL_setvcpuaffinity: @v's hard affinity becomes @mask (bit n = pCPU n; 0 =
 * all); a vCPU on a CPU it may no longer use is taken off it and moved. -EINVAL when no
 * online CPU is in @mask, -EOPNOTSUPP in the static-partition mode (sched=null). */
int __must_check sched_set_affinity(struct vcpu *v, uint32_t mask);

/* Called (outside every scheduler lock) once a vCPU of a dying domain is off its CPU
 * for good and will never run again. Registered by the domain layer: an upward call. */
typedef void (*sched_vcpu_dead_fn)(struct vcpu *v);
void sched_set_vcpu_dead_hook(sched_vcpu_dead_fn fn);

/* Called on a CPU right after it loaded @v (arch_vcpu_load: @v's registers, stage 1 and
 * stage 2 are live) to run it, interrupts masked, outside every scheduler lock. Registered
 * by the hypercall layer (the runstate areas of VCPUOP_register_runstate_memory_area):
 * an upward call. */
typedef void (*sched_vcpu_load_fn)(struct vcpu *v);
void sched_set_vcpu_load_hook(sched_vcpu_load_fn fn);

/* Start a vCPU that is down (PSCI CPU_ON, SBI HSM hart_start) at @entry with boot
 * argument @arg. -EEXIST if it is up, -EBUSY if it is still stopping on its CPU. The
 * check and the start happen under its CPU's lock, so two callers cannot both start it
 * and a start cannot be overwritten by the save of a vCPU that just stopped. */
int __must_check sched_start_vcpu(struct vcpu *v, uint64_t entry, uint64_t arg);

/* Block the current vCPU until its timer fires or a virtual interrupt is injected
 * (sched_wake); returns at once if the timer fired since it was last set, an interrupt
 * is pending (arch_vcpu_irq_pending) or an event waits for it (the event hook, as Xen's
 * SCHEDOP_block checks evtchn_upcall_pending). WFI/WFE and SCHEDOP_block come here. */
void sched_block_current(void);

/* Does @v have an event waiting? Asked under @v's CPU's scheduler lock by
 * sched_block_current; whoever makes it true then calls sched_wake, so no wake-up is
 * lost between the look and the block. Registered by the event-channel layer. */
typedef bool (*sched_vcpu_event_fn)(struct vcpu *v);
void sched_set_vcpu_event_hook(sched_vcpu_event_fn fn);

/* Make a blocked @v runnable (a virtual interrupt or event for it is now pending) and
 * kick its CPU; a no-op for a vCPU that is not blocked. Any CPU, interrupts masked. */
void sched_wake(struct vcpu *v);

/* The current vCPU waits for its ioreq reply (VCPU_IOREQ): neither interrupts nor its
 * timer end the wait, only sched_ioreq_wake (or its domain's death). The caller returns
 * through sched_on_return without completing the access. */
void sched_ioreq_block_current(void);

/* End @v's VCPU_IOREQ wait (a no-op in any other state) and kick its CPU. Any CPU. */
void sched_ioreq_wake(struct vcpu *v);

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

/* Ask for a scheduling decision at the next return to a guest on this CPU, which runs
 * any other eligible vCPU before the current one (SCHEDOP_yield, WFE, a continuation). */
void sched_yield_current(void);

/* Decide now what this CPU runs: the vCPU to run (loaded by the caller if it is not
 * the current one) or NULL for idle. The one decision point of sched_on_return and
 * sched_idle; host unit tests call it to simulate CPUs. */
struct vcpu *sched_schedule(void);

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
/* @v's running time in counter ticks, the period it is running now included. */
uint64_t vcpu_run_ticks(struct vcpu *v);

#endif

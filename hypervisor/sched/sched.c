/* SPDX-License-Identifier: MIT */
/*
 * Static-placement round-robin scheduler. Each CPU owns the vCPUs placed on it (in
 * pcpu.vcpus, under pcpu.sched_lock) and is the only CPU that runs them or takes them
 * down; other CPUs only change a vCPU's state under that lock and kick its CPU. Time
 * comes from the timer subsystem: a slice timer per CPU and a wake-up timer per vCPU,
 * both on that CPU's queue.
 */
#include <stdint.h>

#include <xen/vcpu.h>

#include <bulkhead/arch.h>
#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

static unsigned next_cpu;
static sched_vcpu_dead_fn vcpu_dead_hook;
static sched_vcpu_timer_fn vcpu_timer_hook;

void sched_set_vcpu_timer_hook(sched_vcpu_timer_fn fn)
{
    __atomic_store_n(&vcpu_timer_hook, fn, __ATOMIC_RELEASE);
}

void sched_set_vcpu_dead_hook(sched_vcpu_dead_fn fn)
{
    vcpu_dead_hook = fn;
}

static void kick(struct pcpu *cpu);

void vcpu_set_runstate(struct vcpu *v, unsigned state, uint64_t now)
{
    v->runstate_time[v->runstate] += now - v->runstate_entry;
    v->runstate = state;
    v->runstate_entry = now;
}

/* A vCPU's singleshot timer expired (on its CPU): wake it if it waits for it, else
 * remember it so its next block returns at once. */
static void vcpu_timer_fired(struct timer *t)
{
    struct vcpu *v = container_of(t, struct vcpu, timer);
    struct pcpu *cpu = &pcpus[v->pcpu];

    spin_lock(&cpu->sched_lock);
    if (v->state == VCPU_BLOCKED) {
        v->state = VCPU_RUNNABLE;
        vcpu_set_runstate(v, RUNSTATE_runnable, time_now());
    } else {
        v->timer_fired = true;
    }
    spin_unlock(&cpu->sched_lock);
    kick(cpu);
    sched_vcpu_timer_fn hook = __atomic_load_n(&vcpu_timer_hook, __ATOMIC_ACQUIRE);
    if (hook) {
        hook(v);
    }
}

int sched_add_vcpu(struct vcpu *v)
{
    unsigned n = __atomic_fetch_add(&next_cpu, 1, __ATOMIC_RELAXED);
    struct pcpu *cpu = NULL;
    int rc = -ENOSPC;

    /* Round robin over the CPUs that came online. */
    for (unsigned i = 0; i < nr_pcpus && !cpu; i++) {
        struct pcpu *c = &pcpus[(n + i) % nr_pcpus];

        if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
            cpu = c;
        }
    }
    if (!cpu) {
        return -ENODEV;
    }
    spin_lock(&cpu->sched_lock);
    if (cpu->nr_vcpus < MAX_VCPUS_PER_CPU) {
        cpu->vcpus[cpu->nr_vcpus++] = v;
        v->pcpu = cpu->id;
        v->runstate = RUNSTATE_offline;
        v->runstate_entry = time_now();
        timer_init(&v->timer, vcpu_timer_fired, cpu->id);
        rc = 0;
    }
    spin_unlock(&cpu->sched_lock);
    return rc;
}

void sched_remove_vcpu(struct vcpu *v)
{
    struct pcpu *cpu = &pcpus[v->pcpu];

    timer_stop(&v->timer);
    spin_lock(&cpu->sched_lock);
    for (unsigned i = 0; i < cpu->nr_vcpus; i++) {
        if (cpu->vcpus[i] == v) {
            cpu->vcpus[i] = cpu->vcpus[--cpu->nr_vcpus];
            break;
        }
    }
    spin_unlock(&cpu->sched_lock);
}

static void kick(struct pcpu *cpu)
{
    if (cpu == this_cpu()) {
        cpu->need_resched = true;
    } else {
        arch_send_kick(cpu);
    }
}

int sched_start_vcpu(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    struct pcpu *cpu = &pcpus[v->pcpu];
    int rc = 0;

    spin_lock(&cpu->sched_lock);
    if (v->state != VCPU_DOWN) {
        rc = -EEXIST;
    } else if (cpu->curr == v) {
        rc = -EBUSY; /* its CPU has not saved it since it stopped */
    } else {
        arch_vcpu_init(v, entry, arg);
        v->state = VCPU_RUNNABLE;
        v->timer_fired = false;
        vcpu_set_runstate(v, RUNSTATE_runnable, time_now());
    }
    spin_unlock(&cpu->sched_lock);
    if (rc == 0) {
        kick(cpu);
    }
    return rc;
}

enum vcpu_power sched_vcpu_power(struct vcpu *v)
{
    struct pcpu *cpu = &pcpus[v->pcpu];
    enum vcpu_power p = VCPU_POWER_ON;

    spin_lock(&cpu->sched_lock);
    if (v->state == VCPU_DOWN) {
        p = cpu->curr == v ? VCPU_POWER_STOPPING : VCPU_POWER_OFF;
    }
    spin_unlock(&cpu->sched_lock);
    return p;
}

void sched_kick_received(void)
{
    /* A kick asks for a decision, or for this CPU's timer to be re-armed (timer_set from
     * another CPU): do both. */
    this_cpu()->need_resched = true;
    timer_reprogram();
}

void sched_block_current(void)
{
    struct pcpu *cpu = this_cpu();
    struct vcpu *v = cpu->curr;

    spin_lock(&cpu->sched_lock);
    if (v->timer_fired) {
        v->timer_fired = false;
    } else if (!arch_vcpu_irq_pending(v)) {
        v->state = VCPU_BLOCKED;
        cpu->need_resched = true;
    }
    spin_unlock(&cpu->sched_lock);
}

void sched_wake(struct vcpu *v)
{
    struct pcpu *cpu = &pcpus[v->pcpu];
    bool woke = false;

    spin_lock(&cpu->sched_lock);
    if (v->state == VCPU_BLOCKED) {
        v->state = VCPU_RUNNABLE;
        vcpu_set_runstate(v, RUNSTATE_runnable, time_now());
        woke = true;
    }
    spin_unlock(&cpu->sched_lock);
    if (woke) {
        kick(cpu);
    }
}

void sched_set_vcpu_timer(struct vcpu *v, uint64_t deadline)
{
    struct pcpu *cpu = &pcpus[v->pcpu];

    timer_stop(&v->timer);
    spin_lock(&cpu->sched_lock);
    v->timer_fired = false;
    spin_unlock(&cpu->sched_lock);
    if (deadline) {
        timer_set(&v->timer, deadline);
    }
}

void sched_vcpu_down_current(void)
{
    struct pcpu *cpu = this_cpu();

    timer_stop(&cpu->curr->timer);
    spin_lock(&cpu->sched_lock);
    cpu->curr->state = VCPU_DOWN;
    cpu->curr->timer_fired = false;
    spin_unlock(&cpu->sched_lock);
    cpu->need_resched = true;
}

void sched_yield_current(void)
{
    this_cpu()->need_resched = true;
}

void sched_domain_dying(struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        if (d->vcpus[i]) {
            kick(&pcpus[d->vcpus[i]->pcpu]);
        }
    }
}

/* Under the lock: mark this CPU's vCPUs of dying domains dead and return them in
 * @reaped; they are taken down once the lock is dropped. */
static unsigned collect_dead(struct pcpu *cpu, struct vcpu **reaped)
{
    unsigned n = 0;

    for (unsigned i = 0; i < cpu->nr_vcpus;) {
        struct vcpu *v = cpu->vcpus[i];

        if (READ_ONCE(v->dom->state) == DOM_DYING) {
            v->state = VCPU_DEAD;
            cpu->vcpus[i] = cpu->vcpus[--cpu->nr_vcpus];
            reaped[n++] = v;
            continue;
        }
        i++;
    }
    return n;
}

/* Under the lock: the next runnable vCPU after the current one, round robin. */
static struct vcpu *pick_next(struct pcpu *cpu)
{
    for (unsigned k = 0; k < cpu->nr_vcpus; k++) {
        unsigned i = (cpu->rr + 1 + k) % cpu->nr_vcpus;
        struct vcpu *v = cpu->vcpus[i];

        if (v->state == VCPU_RUNNABLE) {
            cpu->rr = i;
            return v;
        }
    }
    return NULL;
}

/* These vCPUs are off their CPU for good: tell the domain layer. */
static void report_dead(struct vcpu **reaped, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        timer_stop(&reaped[i]->timer);
        if (vcpu_dead_hook) {
            vcpu_dead_hook(reaped[i]);
        }
    }
}

/* The slice of this CPU's vCPU is over. */
static void slice_expired(struct timer *t)
{
    container_of(t, struct pcpu, slice_timer)->need_resched = true;
}

/* Under the lock: is a vCPU other than @curr waiting for this CPU? */
static bool others_runnable(const struct pcpu *cpu, const struct vcpu *curr)
{
    for (unsigned i = 0; i < cpu->nr_vcpus; i++) {
        if (cpu->vcpus[i] != curr && cpu->vcpus[i]->state == VCPU_RUNNABLE) {
            return true;
        }
    }
    return false;
}

/* Decide what runs next on this CPU. Returns the vCPU to run (may be the current one),
 * or NULL to go idle; the previous vCPU's state is saved if it stops running. */
static struct vcpu *decide(struct pcpu *cpu)
{
    struct vcpu *reaped[MAX_VCPUS_PER_CPU];
    struct vcpu *prev = cpu->curr, *next;
    uint64_t now = time_now();
    bool slice;
    unsigned n;

    cpu->need_resched = false;
    spin_lock(&cpu->sched_lock);
    n = collect_dead(cpu, reaped);
    next = pick_next(cpu);
    if (prev && prev->state != VCPU_DEAD && prev != next) {
        arch_vcpu_save(prev);
        vcpu_set_runstate(prev,
                          prev->state == VCPU_RUNNABLE  ? RUNSTATE_runnable
                          : prev->state == VCPU_BLOCKED ? RUNSTATE_blocked
                                                        : RUNSTATE_offline,
                          now);
    }
    if (next && next != prev) {
        vcpu_set_runstate(next, RUNSTATE_running, now);
    }
    cpu->curr = next;
    /* No tick while one vCPU has the CPU to itself: a wake-up kicks us instead. */
    slice = next && others_runnable(cpu, next);
    spin_unlock(&cpu->sched_lock);
    if (slice) {
        timer_set(&cpu->slice_timer, now + time_us_to_ticks(SCHED_SLICE_US));
    } else {
        timer_stop(&cpu->slice_timer);
    }
    report_dead(reaped, n);
    return next;
}

void sched_on_return(void)
{
    struct pcpu *cpu = this_cpu();
    struct vcpu *prev = cpu->curr, *next;

    if (!cpu->need_resched) {
        return;
    }
    next = decide(cpu);
    if (!next) {
        sched_idle();
    }
    if (next != prev) {
        arch_vcpu_load(next);
    }
}

void sched_cpu_init(struct pcpu *cpu)
{
    timer_init(&cpu->slice_timer, slice_expired, cpu->id);
}

void sched_idle(void)
{
    struct pcpu *cpu = this_cpu();

    for (;;) {
        struct vcpu *next;

        arch_irq_disable();
        cpu->curr = NULL;
        next = decide(cpu);
        if (next) {
            cpu->in_idle = false;
            arch_vcpu_load(next);
            arch_vcpu_enter();
        }
        cpu->in_idle = true;
        /* WFI with interrupts masked still wakes on a pending one; unmasking then takes
         * it, so a kick between the decision and the WFI is not lost. */
        if (!cpu->need_resched) {
            arch_wait_for_interrupt();
        }
        arch_irq_enable();
        arch_irq_disable();
        cpu->need_resched = true;
    }
}

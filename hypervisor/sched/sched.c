/* SPDX-License-Identifier: MIT */
/*
 * Static-placement round-robin scheduler. Each CPU owns the vCPUs placed on it (in
 * pcpu.vcpus, under pcpu.sched_lock) and is the only CPU that runs them or takes them
 * down; other CPUs only change a vCPU's state under that lock and kick its CPU.
 */
#include <string.h>

#include <stdint.h>

#include <xen/vcpu.h>

#include <bulkhead/arch.h>
#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

#define NS_PER_S 1000000000ull

static unsigned next_cpu;

uint64_t sched_ns_to_ticks(uint64_t ns)
{
    return ns / NS_PER_S * board.timer.freq + ns % NS_PER_S * board.timer.freq / NS_PER_S;
}

uint64_t sched_ticks_to_ns(uint64_t ticks)
{
    return ticks / board.timer.freq * NS_PER_S +
           ticks % board.timer.freq * NS_PER_S / board.timer.freq;
}

void vcpu_set_runstate(struct vcpu *v, unsigned state, uint64_t now)
{
    v->runstate_time[v->runstate] += now - v->runstate_entry;
    v->runstate = state;
    v->runstate_entry = now;
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
        v->runstate_entry = arch_timer_now();
        rc = 0;
    }
    spin_unlock(&cpu->sched_lock);
    return rc;
}

void sched_remove_vcpu(struct vcpu *v)
{
    struct pcpu *cpu = &pcpus[v->pcpu];

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
        v->timer_deadline = 0;
        vcpu_set_runstate(v, RUNSTATE_runnable, arch_timer_now());
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
    this_cpu()->need_resched = true;
}

void sched_block_current(void)
{
    struct pcpu *cpu = this_cpu();
    struct vcpu *v = cpu->curr;

    spin_lock(&cpu->sched_lock);
    if (!v->timer_deadline || v->timer_deadline > arch_timer_now()) {
        v->state = VCPU_BLOCKED;
    }
    spin_unlock(&cpu->sched_lock);
    cpu->need_resched = true;
}

void sched_vcpu_down_current(void)
{
    struct pcpu *cpu = this_cpu();

    spin_lock(&cpu->sched_lock);
    cpu->curr->state = VCPU_DOWN;
    cpu->curr->timer_deadline = 0;
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

/* The last vCPU of a dying domain is off its CPU: free the domain. */
static void reap(struct vcpu **reaped, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct domain *d = reaped[i]->dom;
        char name[DOMAIN_NAME_MAX];

        if (__atomic_sub_fetch(&d->live_vcpus, 1, __ATOMIC_ACQ_REL) == 0) {
            memcpy(name, d->name, sizeof(name));
            domain_destroy(d);
            domain_ended(name);
        }
    }
}

/* Arm this CPU's timer: the end of the slice, or the earliest vCPU timer. */
static void arm_timer(struct pcpu *cpu)
{
    uint64_t deadline = cpu->curr ? cpu->slice_end : UINT64_MAX;

    spin_lock(&cpu->sched_lock);
    for (unsigned i = 0; i < cpu->nr_vcpus; i++) {
        struct vcpu *v = cpu->vcpus[i];

        if (v->state == VCPU_BLOCKED && v->timer_deadline && v->timer_deadline < deadline) {
            deadline = v->timer_deadline;
        }
    }
    spin_unlock(&cpu->sched_lock);
    if (deadline == UINT64_MAX) {
        arch_timer_stop();
    } else {
        arch_timer_set_deadline(deadline);
    }
}

void sched_timer_interrupt(void)
{
    struct pcpu *cpu = this_cpu();
    uint64_t now = arch_timer_now();

    spin_lock(&cpu->sched_lock);
    for (unsigned i = 0; i < cpu->nr_vcpus; i++) {
        struct vcpu *v = cpu->vcpus[i];

        if (v->state == VCPU_BLOCKED && v->timer_deadline && v->timer_deadline <= now) {
            v->state = VCPU_RUNNABLE;
            v->timer_deadline = 0;
            vcpu_set_runstate(v, RUNSTATE_runnable, now);
            cpu->need_resched = true;
        }
    }
    spin_unlock(&cpu->sched_lock);
    if (!cpu->curr || now >= cpu->slice_end) {
        cpu->need_resched = true;
    }
    arm_timer(cpu);
}

/* Decide what runs next on this CPU. Returns the vCPU to run (may be the current one),
 * or NULL to go idle; the previous vCPU's state is saved if it stops running. */
static struct vcpu *decide(struct pcpu *cpu)
{
    struct vcpu *reaped[MAX_VCPUS_PER_CPU];
    struct vcpu *prev = cpu->curr, *next;
    uint64_t now = arch_timer_now();
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
    cpu->slice_end = now + timer_us_to_ticks(SCHED_SLICE_US);
    spin_unlock(&cpu->sched_lock);
    reap(reaped, n);
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
    arm_timer(cpu);
}

void sched_idle(void)
{
    struct pcpu *cpu = this_cpu();

    cpu->sched_started = true;
    for (;;) {
        struct vcpu *next;

        arch_irq_disable();
        cpu->curr = NULL;
        next = decide(cpu);
        if (next) {
            cpu->in_idle = false;
            arch_vcpu_load(next);
            arm_timer(cpu);
            arch_vcpu_enter();
        }
        cpu->in_idle = true;
        arm_timer(cpu);
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

/* SPDX-License-Identifier: MIT */
/* Per-CPU timer queues and the hypervisor timer interrupt. See include/bulkhead/timer.h. */
#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

static struct timer_queue *queue_of(const struct timer *t)
{
    return &pcpus[t->cpu].timers;
}

/* Under the lock: take @t out of its queue. */
static void dequeue(struct timer_queue *q, struct timer *t)
{
    for (struct timer **p = &q->head; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    __atomic_store_n(&t->active, false, __ATOMIC_RELAXED);
}

/* Under the lock: arm this CPU's hardware for the queue's head. Hardware already set to
 * fire no later than the head is left alone: an early interrupt runs no callback and
 * re-arms (timer_interrupt), which is cheaper than re-arming on every later deadline
 * (the scheduler moves its slice timer on at each vCPU switch). */
static void program(struct timer_queue *q)
{
    if (q->head) {
        if (!q->armed || q->head->expires < q->armed) {
            arch_timer_set_deadline(q->head->expires);
            q->armed = q->head->expires;
        }
    } else if (q->armed) {
        arch_timer_stop();
        q->armed = 0;
    }
}

void timer_init(struct timer *t, timer_fn fn, unsigned cpu)
{
    t->fn = fn;
    t->cpu = cpu;
    t->active = false;
    t->next = NULL;
    t->expires = 0;
}

void timer_set(struct timer *t, uint64_t expires)
{
    struct timer_queue *q = queue_of(t);
    struct timer **p;
    bool first;

    spin_lock(&q->lock);
    if (t->active && q->head == t && (!t->next || expires < t->next->expires) &&
        &pcpus[t->cpu] == this_cpu()) {
        /* Still first on this CPU (a slice timer moved on): no list walk. */
        t->expires = expires;
        program(q);
        spin_unlock(&q->lock);
        return;
    }
    if (t->active) {
        dequeue(q, t);
    }
    t->expires = expires;
    for (p = &q->head; *p && (*p)->expires <= expires; p = &(*p)->next) {
    }
    t->next = *p;
    *p = t;
    __atomic_store_n(&t->active, true, __ATOMIC_RELAXED);
    first = q->head == t;
    if (first && &pcpus[t->cpu] == this_cpu()) {
        program(q);
    }
    spin_unlock(&q->lock);
    if (first && &pcpus[t->cpu] != this_cpu()) {
        arch_send_kick(&pcpus[t->cpu]);
    }
}

/* Disarm @t; returns whether it was armed. */
static bool stop(struct timer *t)
{
    struct timer_queue *q = queue_of(t);
    bool was_active;

    /* Off and on this CPU, where its callback cannot be under way: nothing to do, and no
     * lock (vCPU loads stop their timers at every switch). A set racing from another CPU
     * is ordered after this stop, as it would be after the lock. */
    if (&pcpus[t->cpu] == this_cpu() && !__atomic_load_n(&t->active, __ATOMIC_RELAXED)) {
        return false;
    }
    spin_lock(&q->lock);
    was_active = t->active;
    if (t->active) {
        bool was_first = q->head == t;

        dequeue(q, t);
        /* Re-arm for what is left (a remote CPU just takes one interrupt too many). */
        if (was_first && &pcpus[t->cpu] == this_cpu()) {
            program(q);
        }
    }
    spin_unlock(&q->lock);
    /* A callback already under way on its CPU finishes before @t may go away. */
    while (&pcpus[t->cpu] != this_cpu() && __atomic_load_n(&q->running, __ATOMIC_ACQUIRE) == t) {
        arch_cpu_relax();
    }
    return was_active;
}

void timer_stop(struct timer *t)
{
    stop(t);
}

void timer_migrate(struct timer *t, unsigned cpu)
{
    uint64_t expires = t->expires;

    if (t->cpu == cpu) {
        return;
    }
    if (stop(t)) {
        t->cpu = cpu;
        timer_set(t, expires);
    } else {
        t->cpu = cpu;
    }
}

void timer_reprogram(void)
{
    struct timer_queue *q = &this_cpu()->timers;

    spin_lock(&q->lock);
    program(q);
    spin_unlock(&q->lock);
}

void timer_interrupt(void)
{
    struct timer_queue *q = &this_cpu()->timers;

    /* One-shot hardware: stopped here, re-armed below for what is left. */
    arch_timer_stop();
    q->armed = 0;
    for (;;) {
        struct timer *t;

        spin_lock(&q->lock);
        t = q->head;
        if (!t || t->expires > time_now()) {
            break;
        }
        q->head = t->next;
        __atomic_store_n(&t->active, false, __ATOMIC_RELAXED);
        __atomic_store_n(&q->running, t, __ATOMIC_RELAXED);
        spin_unlock(&q->lock);
        t->fn(t);
        __atomic_store_n(&q->running, NULL, __ATOMIC_RELEASE);
        arch_cpu_wake();
    }
    program(q);
    spin_unlock(&q->lock);
}

/* ---- boot-time helpers ---- */

struct tick_counter {
    struct timer timer;
    unsigned count;
    uint64_t last; /* counter value at the last callback */
};

static void count_tick(struct timer *t)
{
    struct tick_counter *c = container_of(t, struct tick_counter, timer);

    c->last = time_now();
    __atomic_store_n(&c->count, c->count + 1, __ATOMIC_RELEASE);
}

/* Wait for an interrupt and take it. Timer queues are changed with interrupts masked
 * (the hypervisor's normal state), so an interrupt never finds a queue's lock held by
 * the code it interrupted: they are only let in here, between two such changes. WFI
 * wakes on a pending interrupt even while it is masked. */
static void take_interrupt(void)
{
    arch_wait_for_interrupt();
    arch_irq_enable();
    arch_irq_disable();
}

void timer_sleep_us(unsigned us)
{
    struct tick_counter c = {0};

    /* Sleep in WFI rather than spin: under -icount an idle board costs no instructions,
     * and a spinning vCPU would starve the others. */
    timer_init(&c.timer, count_tick, this_cpu()->id);
    timer_set(&c.timer, time_now() + time_us_to_ticks(us));
    while (__atomic_load_n(&c.count, __ATOMIC_ACQUIRE) == 0) {
        take_interrupt();
    }
}

int timer_selftest(unsigned n, unsigned period_us)
{
    struct pcpu *cpu = this_cpu();
    struct tick_counter c = {0};
    uint64_t period = time_us_to_ticks(period_us);
    uint64_t start = time_now(), deadline = start;
    uint64_t limit = start + time_us_to_ticks(1000000);
    int rc = 0;

    timer_init(&c.timer, count_tick, cpu->id);
    for (unsigned i = 0; i < n && rc == 0; i++) {
        deadline += period;
        timer_set(&c.timer, deadline);
        while (__atomic_load_n(&c.count, __ATOMIC_ACQUIRE) == i) {
            if (time_now() > limit) {
                printk("cpu%u: timer self-test: tick %u of %u never came\n", cpu->id, i + 1, n);
                rc = -EIO;
                break;
            }
            take_interrupt();
        }
        if (rc == 0 && c.last < deadline) {
            printk("cpu%u: timer self-test: tick %u came early\n", cpu->id, i + 1);
            rc = -EIO;
        }
    }
    timer_stop(&c.timer);
    if (rc == 0) {
        printk("cpu%u: timer ok: %u ticks of %u us in %llu us\n", cpu->id, n, period_us,
               (unsigned long long)time_ticks_to_us(time_now() - start));
    }
    return rc;
}

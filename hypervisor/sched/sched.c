/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: per-CPU run queues with weighted fair sharing, caps, hard affinity and
 * pull-based load balancing, or static partitioning (sched=null). See
 * include/bulkhead/sched.h and docs/scheduler.md.
 *
 * Each CPU owns the vCPUs placed on it (pcpu.vcpus, under pcpu.sched_lock) and is the
 * only CPU that runs them or takes them down; other CPUs change a vCPU's state under
 * that lock and kick its CPU. A CPU moves a vCPU only to itself (it pulls), holding both
 * locks taken in CPU-id order, and re-binds the vCPU's timers before it runs it. Time
 * comes from the timer subsystem: one timer per CPU (end of slice, end of a cap budget,
 * start of a cap period) and the wake-up timer of each vCPU.
 */
#include <stdint.h>
#include <string.h>

#include <xen/vcpu.h>

#include <bulkhead/arch.h>
#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

static struct sched_options options = {.mode = SCHED_FAIR, .slice_us = SCHED_SLICE_US};
static unsigned next_cpu;
static sched_vcpu_dead_fn vcpu_dead_hook;
static sched_vcpu_load_fn vcpu_load_hook;
static sched_vcpu_timer_fn vcpu_timer_hook;
static sched_vcpu_event_fn vcpu_event_hook;

void sched_set_vcpu_event_hook(sched_vcpu_event_fn fn)
{
    __atomic_store_n(&vcpu_event_hook, fn, __ATOMIC_RELEASE);
}

static bool event_pending(struct vcpu *v)
{
    sched_vcpu_event_fn fn = __atomic_load_n(&vcpu_event_hook, __ATOMIC_ACQUIRE);

    return fn && fn(v);
}

void sched_set_vcpu_timer_hook(sched_vcpu_timer_fn fn)
{
    __atomic_store_n(&vcpu_timer_hook, fn, __ATOMIC_RELEASE);
}

void sched_set_vcpu_dead_hook(sched_vcpu_dead_fn fn)
{
    vcpu_dead_hook = fn;
}

void sched_set_vcpu_load_hook(sched_vcpu_load_fn fn)
{
    __atomic_store_n(&vcpu_load_hook, fn, __ATOMIC_RELEASE);
}

/* Load @next on this CPU and tell the layer above. */
static void load(struct vcpu *next)
{
    sched_vcpu_load_fn hook = __atomic_load_n(&vcpu_load_hook, __ATOMIC_ACQUIRE);

    arch_vcpu_load(next);
    if (hook) {
        hook(next);
    }
}

/* ---- options ---- */

bool sched_parse_mode(const char *s, enum sched_mode *mode)
{
    if (!strcmp(s, "fair") || !strcmp(s, "credit") || !strcmp(s, "credit2")) {
        *mode = SCHED_FAIR;
    } else if (!strcmp(s, "null")) {
        *mode = SCHED_NULL;
    } else {
        return false;
    }
    return true;
}

int sched_set_options(const struct sched_options *o)
{
    if (o->slice_us < SCHED_SLICE_US_MIN || o->slice_us > SCHED_SLICE_US_MAX ||
        (o->mode != SCHED_FAIR && o->mode != SCHED_NULL)) {
        return -EINVAL;
    }
    options = *o;
    return 0;
}

void sched_get_options(struct sched_options *o)
{
    *o = options;
}

static bool null_mode(void)
{
    return options.mode == SCHED_NULL;
}

/* ---- locking a vCPU's CPU ---- */

static void kick(struct pcpu *cpu);
static void vcpu_timer_fired(struct timer *t);

/* Lock the CPU @v is placed on. v->pcpu changes only under both CPUs' locks, so once
 * the lock of the CPU it names is held and it still names it, it stays. */
static struct pcpu *vcpu_lock(struct vcpu *v)
{
    for (;;) {
        struct pcpu *cpu = &pcpus[READ_ONCE(v->pcpu)];

        spin_lock(&cpu->sched_lock);
        if (cpu == &pcpus[v->pcpu]) {
            return cpu;
        }
        spin_unlock(&cpu->sched_lock);
    }
}

void vcpu_set_runstate(struct vcpu *v, unsigned state, uint64_t now)
{
    v->runstate_time[v->runstate] += now - v->runstate_entry;
    v->runstate = state;
    v->runstate_entry = now;
}

uint64_t vcpu_run_ticks(struct vcpu *v)
{
    struct pcpu *cpu = vcpu_lock(v);
    uint64_t t = v->runstate_time[RUNSTATE_running];

    /* A vCPU running now (alone on its CPU, maybe for minutes) counts to this moment. */
    if (v->runstate == RUNSTATE_running) {
        t += time_now() - v->runstate_entry;
    }
    spin_unlock(&cpu->sched_lock);
    return t;
}

/* ---- weights and caps ---- */

static unsigned weight_of(const struct vcpu *v)
{
    unsigned w = v->dom->sched.weight;

    return w ? w : SCHED_WEIGHT_DEFAULT;
}

/* Under @v's CPU's lock: a vCPU that becomes runnable on @cpu neither keeps credit it
 * saved while away nor starts behind the others: its virtual time is at least the
 * CPU's floor (the virtual time of the last vCPU picked there). */
static void vtime_catch_up(const struct pcpu *cpu, struct vcpu *v)
{
    v->vtime = MAX(v->vtime, cpu->vtime_floor);
}

static uint64_t cap_period(void)
{
    return time_us_to_ticks(SCHED_CAP_PERIOD_US);
}

static uint64_t cap_budget(const struct domain_sched *s)
{
    return cap_period() * s->cap / 100;
}

/* Under d->sched.lock: move the cap period on to the one holding @now. Run time past
 * the budget (a late timer, a run charged across the boundary) is carried into the
 * following periods, so the cap holds on average even when the timer is late. */
static void cap_refresh(struct domain_sched *s, uint64_t now)
{
    uint64_t p = cap_period();

    if (now - s->period_start >= p) {
        uint64_t periods = (now - s->period_start) / p;
        uint64_t allowed = periods * cap_budget(s);

        s->period_start += periods * p;
        s->used = s->used > allowed ? s->used - allowed : 0;
    }
}

/* Ticks @d may still run in this cap period (INT64_MAX without a cap); *period_end is
 * when the next period starts. */
static int64_t cap_left(struct domain *d, uint64_t now, uint64_t *period_end)
{
    struct domain_sched *s = &d->sched;
    int64_t left;

    if (!s->cap) {
        return INT64_MAX;
    }
    spin_lock(&s->lock);
    cap_refresh(s, now);
    left = (int64_t)cap_budget(s) - (int64_t)s->used;
    *period_end = s->period_start + cap_period();
    spin_unlock(&s->lock);
    return left;
}

static void cap_charge(struct domain *d, uint64_t now, uint64_t ran)
{
    struct domain_sched *s = &d->sched;

    if (!s->cap) {
        return;
    }
    spin_lock(&s->lock);
    s->used += ran; /* in the period it started in; cap_refresh carries any excess */
    cap_refresh(s, now);
    spin_unlock(&s->lock);
}

/* Under the lock: charge the running vCPU for the time since it was last charged. */
static void account(struct pcpu *cpu, uint64_t now)
{
    struct vcpu *v = cpu->curr;
    uint64_t ran = now - cpu->run_start;

    cpu->run_start = now;
    if (!v || v->runstate != RUNSTATE_running) {
        return;
    }
    v->vtime += ran * SCHED_WEIGHT_DEFAULT / weight_of(v);
    cap_charge(v->dom, now, ran);
}

/* ---- placement ---- */

static uint32_t online_mask(void)
{
    uint32_t m = 0;

    for (unsigned i = 0; i < nr_pcpus; i++) {
        if (__atomic_load_n(&pcpus[i].online, __ATOMIC_ACQUIRE)) {
            m |= 1u << i;
        }
    }
    return m;
}

static uint32_t allowed(const struct vcpu *v)
{
    return (v->affinity ? v->affinity : UINT32_MAX) & online_mask();
}

/* A CPU of @mask for a new vCPU: the one with the fewest vCPUs (null mode: none), ties
 * broken round robin. */
static struct pcpu *place(uint32_t mask)
{
    unsigned n = __atomic_fetch_add(&next_cpu, 1, __ATOMIC_RELAXED);
    struct pcpu *best = NULL;

    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct pcpu *c = &pcpus[(n + i) % nr_pcpus];

        if (!(mask & (1u << c->id)) || (null_mode() && READ_ONCE(c->nr_vcpus))) {
            continue;
        }
        if (!best || READ_ONCE(c->nr_vcpus) < READ_ONCE(best->nr_vcpus)) {
            best = c;
        }
    }
    return best;
}

int sched_add_vcpu(struct vcpu *v)
{
    uint32_t mask = allowed(v);
    struct pcpu *cpu;
    int rc = -ENOSPC;

    if (!online_mask()) {
        return -ENODEV;
    }
    if (!mask) {
        printk("bulkhead: d%u vCPU%u: its hard affinity (0x%x) names no online CPU\n", v->dom->id,
               v->id, v->affinity);
        return -EINVAL;
    }
    for (unsigned tries = 0; tries < 2 * MAX_CPUS && rc == -ENOSPC; tries++) {
        cpu = place(mask);
        if (!cpu) {
            break;
        }
        spin_lock(&cpu->sched_lock);
        /* Null mode: another creator may have taken it meanwhile; look again. */
        if (cpu->nr_vcpus < MAX_VCPUS_PER_CPU && !(null_mode() && cpu->nr_vcpus)) {
            cpu->vcpus[cpu->nr_vcpus++] = v;
            v->pcpu = cpu->id;
            v->vtime = cpu->vtime_floor;
            v->runstate = RUNSTATE_offline;
            v->runstate_entry = time_now();
            timer_init(&v->timer, vcpu_timer_fired, cpu->id);
            rc = 0;
        }
        spin_unlock(&cpu->sched_lock);
    }
    if (rc) {
        if (null_mode()) {
            printk("bulkhead: sched=null: d%u vCPU%u: no free pCPU in its affinity (0x%x); "
                   "each vCPU needs a pCPU of its own\n",
                   v->dom->id, v->id, mask);
        }
        return rc;
    }
    return 0;
}

void sched_remove_vcpu(struct vcpu *v)
{
    struct pcpu *cpu;

    timer_stop(&v->timer);
    cpu = vcpu_lock(v);
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

/* @v just became runnable on @cpu, which may be busy: wake an idle CPU of its affinity
 * too, so it pulls @v (fair mode). */
static void kick_for(struct pcpu *cpu, struct vcpu *v)
{
    uint32_t mask = allowed(v);

    kick(cpu);
    if (null_mode() || !READ_ONCE(cpu->curr)) {
        return;
    }
    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct pcpu *c = &pcpus[i];

        if (c != cpu && (mask & (1u << i)) && READ_ONCE(c->in_idle) && !READ_ONCE(c->nr_runnable)) {
            kick(c);
            return;
        }
    }
}

/* Under the lock: @v becomes runnable (from blocked or down). The CPU's load is kept
 * up to date at once (decisions recompute it), so balancing sees a wake-up on a busy
 * CPU before that CPU's next decision. */
static void make_runnable(struct pcpu *cpu, struct vcpu *v, uint64_t now)
{
    cpu->nr_runnable++;
    v->state = VCPU_RUNNABLE;
    vtime_catch_up(cpu, v);
    vcpu_set_runstate(v, RUNSTATE_runnable, now);
}

/* A vCPU's singleshot timer expired (on its CPU): wake it if it waits for it, else
 * remember it so its next block returns at once. */
static void vcpu_timer_fired(struct timer *t)
{
    struct vcpu *v = container_of(t, struct vcpu, timer);
    struct pcpu *cpu = vcpu_lock(v);
    sched_vcpu_timer_fn hook;

    if (v->state == VCPU_BLOCKED) {
        make_runnable(cpu, v, time_now());
    } else {
        v->timer_fired = true;
    }
    spin_unlock(&cpu->sched_lock);
    kick(cpu);
    hook = __atomic_load_n(&vcpu_timer_hook, __ATOMIC_ACQUIRE);
    if (hook) {
        hook(v); /* VIRQ_TIMER, as Xen sends it (hypervisor/evtchn) */
    }
}

int sched_start_vcpu(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    struct pcpu *cpu = vcpu_lock(v);
    int rc = 0;

    if (v->state != VCPU_DOWN) {
        rc = -EEXIST;
    } else if (cpu->curr == v) {
        rc = -EBUSY; /* its CPU has not saved it since it stopped */
    } else {
        arch_vcpu_init(v, entry, arg);
        v->timer_fired = false;
        make_runnable(cpu, v, time_now());
    }
    spin_unlock(&cpu->sched_lock);
    if (rc == 0) {
        kick_for(cpu, v);
    }
    return rc;
}

enum vcpu_power sched_vcpu_power(struct vcpu *v)
{
    struct pcpu *cpu = vcpu_lock(v);
    enum vcpu_power p = VCPU_POWER_ON;

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
    } else if (!arch_vcpu_irq_pending(v) && !event_pending(v)) {
        v->state = VCPU_BLOCKED;
        cpu->nr_runnable -= cpu->nr_runnable > 0;
        cpu->need_resched = true;
    }
    spin_unlock(&cpu->sched_lock);
}

/* Make @v runnable if it waits in state @from, and kick its CPU. */
static void wake_from(struct vcpu *v, enum vcpu_state from)
{
    struct pcpu *cpu = vcpu_lock(v);
    bool woke = false;

    if (v->state == from) {
        make_runnable(cpu, v, time_now());
        woke = true;
    }
    spin_unlock(&cpu->sched_lock);
    if (woke) {
        kick_for(cpu, v);
    }
}

void sched_wake(struct vcpu *v)
{
    /* This CPU's running vCPU (an interrupt for itself, its timer) is woken only if it
     * has just blocked: only this CPU blocks it, so no lock is needed to see it has not. */
    if (this_cpu()->curr == v && READ_ONCE(v->state) != VCPU_BLOCKED) {
        return;
    }
    wake_from(v, VCPU_BLOCKED);
}

void sched_ioreq_block_current(void)
{
    struct pcpu *cpu = this_cpu();
    struct vcpu *v = cpu->curr;

    spin_lock(&cpu->sched_lock);
    v->state = VCPU_IOREQ;
    cpu->nr_runnable -= cpu->nr_runnable > 0;
    cpu->need_resched = true;
    spin_unlock(&cpu->sched_lock);
}

void sched_ioreq_wake(struct vcpu *v)
{
    wake_from(v, VCPU_IOREQ);
}

void sched_set_vcpu_timer(struct vcpu *v, uint64_t deadline)
{
    struct pcpu *cpu;

    timer_stop(&v->timer);
    cpu = vcpu_lock(v);
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
    struct pcpu *cpu = this_cpu();

    cpu->yield = true;
    cpu->need_resched = true;
}

void sched_domain_dying(struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        if (d->vcpus[i]) {
            kick(&pcpus[READ_ONCE(d->vcpus[i]->pcpu)]);
        }
    }
}

void sched_pause_domain(struct domain *d)
{
    __atomic_store_n(&d->sched.paused, 1u, __ATOMIC_SEQ_CST);
    sched_domain_dying(d); /* kick their CPUs: each decides again and skips them */
    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct pcpu *cpu = &pcpus[i];

        if (cpu == this_cpu()) {
            continue; /* the caller's vCPU runs here, not one of @d's */
        }
        /* The kicked CPU takes its interrupt at once (it is in a guest or idle, or
         * passes a scheduling point soon): no lock is held while waiting. */
        for (;;) {
            struct vcpu *c = __atomic_load_n(&cpu->curr, __ATOMIC_ACQUIRE);

            if (!c || c->dom != d) {
                break;
            }
            arch_cpu_relax();
        }
    }
}

void sched_unpause_domain(struct domain *d)
{
    __atomic_store_n(&d->sched.paused, 0u, __ATOMIC_SEQ_CST);
    sched_domain_dying(d); /* kick: their runnable vCPUs may be picked again */
}

int sched_set_domain_params(struct domain *d, unsigned weight, unsigned cap)
{
    if (weight > SCHED_WEIGHT_MAX || cap > 100 * d->nr_vcpus) {
        return -EINVAL;
    }
    spin_lock(&d->sched.lock);
    if (weight) {
        __atomic_store_n(&d->sched.weight, (uint16_t)weight, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&d->sched.cap, (uint16_t)cap, __ATOMIC_RELAXED);
    d->sched.used = 0; /* a new cap starts with a fresh period */
    d->sched.period_start = time_now();
    spin_unlock(&d->sched.lock);
    sched_domain_dying(d); /* kick: each CPU decides again with the new figures */
    return 0;
}

static void lock_two(struct pcpu *a, struct pcpu *b);
static void unlock_two(struct pcpu *a, struct pcpu *b);

/* Under both locks: take @v (not running, not migrating) from @from to @to, where its
 * virtual time becomes @vtime. */
static void relocate(struct pcpu *from, struct pcpu *to, struct vcpu *v, uint64_t vtime)
{
    for (unsigned i = 0; i < from->nr_vcpus; i++) {
        if (from->vcpus[i] == v) {
            from->vcpus[i] = from->vcpus[--from->nr_vcpus];
            break;
        }
    }
    to->vcpus[to->nr_vcpus++] = v;
    v->pcpu = to->id;
    v->vtime = vtime;
    v->migrating = true;
    if (v->state == VCPU_RUNNABLE) {
        from->nr_runnable--;
        to->nr_runnable++;
    }
}

int sched_set_affinity(struct vcpu *v, uint32_t mask)
{
    uint32_t ok = (mask ? mask : UINT32_MAX) & online_mask();
    struct pcpu *from, *to;
    bool moved = false;

    if (!ok) {
        return -EINVAL;
    }
    if (null_mode()) {
        return -EOPNOTSUPP; /* static partitioning: a vCPU keeps the pCPU it was given */
    }
    from = vcpu_lock(v);
    v->affinity = mask;
    spin_unlock(&from->sched_lock);
    if (ok & (1u << from->id)) {
        return 0;
    }
    /* Its CPU no longer picks it (pick_next): once it is off, move it. */
    kick(from);
    while (__atomic_load_n(&from->curr, __ATOMIC_ACQUIRE) == v && from != this_cpu()) {
        arch_cpu_relax();
    }
    to = place(ok);
    if (!to) {
        return -ENOSPC;
    }
    lock_two(from, to);
    if (v->pcpu == from->id && from->curr != v && !v->migrating &&
        to->nr_vcpus < MAX_VCPUS_PER_CPU) {
        relocate(from, to, v, to->vtime_floor);
        moved = true;
    }
    unlock_two(from, to);
    if (!moved) {
        return 0; /* moved by the balancer meanwhile, or no room: it is picked elsewhere */
    }
    timer_migrate(&v->timer, to->id);
    for (unsigned i = 0; i < ARRAY_SIZE(v->arch_timers); i++) {
        timer_migrate(&v->arch_timers[i], to->id);
    }
    spin_lock(&to->sched_lock);
    v->migrating = false;
    spin_unlock(&to->sched_lock);
    kick(to);
    return 0;
}

/* ---- load balancing (fair mode): a CPU pulls a waiting vCPU to itself ---- */

/* Under both locks: a vCPU waiting on @from that may run on @to. */
static struct vcpu *pull_candidate(struct pcpu *from, struct pcpu *to)
{
    for (unsigned i = 0; i < from->nr_vcpus; i++) {
        struct vcpu *v = from->vcpus[i];

        if (v != from->curr && v->state == VCPU_RUNNABLE && !v->migrating &&
            (allowed(v) & (1u << to->id)) && READ_ONCE(v->dom->state) != DOM_DYING &&
            !READ_ONCE(v->dom->sched.paused)) {
            return v;
        }
    }
    return NULL;
}

/* Under both locks: move runnable @v from @from to @to, keeping its lag behind @from's
 * floor. */
static void move(struct pcpu *from, struct pcpu *to, struct vcpu *v)
{
    uint64_t lag = v->vtime > from->vtime_floor ? v->vtime - from->vtime_floor : 0;

    relocate(from, to, v, to->vtime_floor + lag);
}

/* Take @a's and @b's locks in CPU-id order. */
static void lock_two(struct pcpu *a, struct pcpu *b)
{
    spin_lock(&(a->id < b->id ? a : b)->sched_lock);
    spin_lock(&(a->id < b->id ? b : a)->sched_lock);
}

static void unlock_two(struct pcpu *a, struct pcpu *b)
{
    spin_unlock(&a->sched_lock);
    spin_unlock(&b->sched_lock);
}

/* Pull one vCPU from the busiest CPU if it has at least two runnable vCPUs more than
 * this one (one more would only move the imbalance). Its timers follow it here. */
static void balance(struct pcpu *cpu)
{
    struct pcpu *busiest = NULL;
    struct vcpu *v = NULL;
    unsigned mine = READ_ONCE(cpu->nr_runnable);

    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct pcpu *c = &pcpus[i];
        unsigned load = READ_ONCE(c->nr_runnable);

        if (c != cpu && load >= mine + 2 && (!busiest || load > READ_ONCE(busiest->nr_runnable))) {
            busiest = c;
        }
    }
    if (!busiest) {
        return;
    }
    lock_two(cpu, busiest);
    if (busiest->nr_runnable >= cpu->nr_runnable + 2 && cpu->nr_vcpus < MAX_VCPUS_PER_CPU) {
        v = pull_candidate(busiest, cpu);
        if (v) {
            move(busiest, cpu, v);
        }
    }
    unlock_two(cpu, busiest);
    if (!v) {
        return;
    }
    timer_migrate(&v->timer, cpu->id);
    for (unsigned i = 0; i < ARRAY_SIZE(v->arch_timers); i++) {
        timer_migrate(&v->arch_timers[i], cpu->id);
    }
    spin_lock(&cpu->sched_lock);
    v->migrating = false;
    spin_unlock(&cpu->sched_lock);
}

/* Under the lock: a CPU whose load is at least two below this one's and that may run
 * one of the vCPUs waiting here, to kick so that it pulls (an underloaded CPU with a
 * vCPU to itself has no slice timer of its own). */
static struct pcpu *underloaded(const struct pcpu *cpu)
{
    uint32_t waiting = 0;
    bool known = false;

    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct pcpu *c = &pcpus[i];

        if (c == cpu || READ_ONCE(c->nr_runnable) + 2 > cpu->nr_runnable) {
            continue;
        }
        /* Which CPUs the waiting vCPUs may use: only worked out once one is lighter. */
        for (unsigned k = 0; k < cpu->nr_vcpus && !known; k++) {
            const struct vcpu *v = cpu->vcpus[k];

            if (v != cpu->curr && v->state == VCPU_RUNNABLE) {
                waiting |= allowed(v);
            }
        }
        known = true;
        if (waiting & (1u << i)) {
            return c;
        }
    }
    return NULL;
}

/* ---- decisions ---- */

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

/* What pick_next found besides the vCPU to run. */
struct pick {
    unsigned eligible;  /* runnable vCPUs within their cap */
    unsigned runnable;  /* all runnable vCPUs */
    int64_t budget;     /* cap budget left to the chosen one (INT64_MAX: no cap) */
    uint64_t unpark_at; /* earliest new cap period of a parked vCPU (0: none) */
};

/* Under the lock: the runnable vCPU within its cap with the least virtual time; ties go
 * round robin from the last one picked. A current vCPU that yields comes after every
 * other eligible one (SCHEDOP_yield gives the CPU away whatever the virtual times). */
static struct vcpu *pick_next(struct pcpu *cpu, uint64_t now, struct pick *p)
{
    struct vcpu *best = NULL;
    struct vcpu *yielder = cpu->yield ? cpu->curr : NULL;
    unsigned best_i = 0;

    *p = (struct pick){.budget = INT64_MAX};
    if (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE)) {
        return NULL; /* allowed() names online CPUs only */
    }
    for (unsigned k = 0; k < cpu->nr_vcpus; k++) {
        unsigned i = (cpu->rr + 1 + k) % cpu->nr_vcpus;
        struct vcpu *v = cpu->vcpus[i];
        uint64_t period_end = 0;
        int64_t left;

        if (v->state != VCPU_RUNNABLE || __atomic_load_n(&v->dom->sched.paused, __ATOMIC_ACQUIRE) ||
            (v->affinity && !(v->affinity & (1u << cpu->id)))) {
            continue; /* paused, or its affinity changed and it waits to be moved */
        }
        p->runnable++;
        left = null_mode() ? INT64_MAX : cap_left(v->dom, now, &period_end);
        if (left <= 0) {
            p->unpark_at = p->unpark_at ? MIN(p->unpark_at, period_end) : period_end;
            continue;
        }
        p->eligible++;
        if (!best || (v != yielder && (best == yielder || v->vtime < best->vtime))) {
            best = v;
            best_i = i;
            p->budget = left;
        }
    }
    if (best) {
        cpu->rr = best_i;
        cpu->vtime_floor = MAX(cpu->vtime_floor, best->vtime);
    }
    return best;
}

/* When this CPU must decide again (0: not until something happens): the end of the
 * slice while others wait, the end of a capped vCPU's budget, a parked vCPU's new cap
 * period. No tick while one vCPU has the CPU to itself. */
static uint64_t next_event(const struct pick *p, struct vcpu *next, uint64_t now)
{
    uint64_t at = 0;

    if (next && p->eligible > 1) {
        at = now + time_us_to_ticks(options.slice_us);
    }
    if (next && p->budget != INT64_MAX) {
        uint64_t end = now + (uint64_t)p->budget;

        at = at ? MIN(at, end) : end;
    }
    if (p->unpark_at) {
        at = at ? MIN(at, p->unpark_at) : p->unpark_at;
    }
    return at;
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

/* This CPU's scheduling timer: decide again. */
static void slice_expired(struct timer *t)
{
    container_of(t, struct pcpu, slice_timer)->need_resched = true;
}

static unsigned runstate_of(const struct vcpu *v)
{
    switch (v->state) {
    case VCPU_RUNNABLE:
        return RUNSTATE_runnable;
    case VCPU_BLOCKED:
    case VCPU_IOREQ:
        return RUNSTATE_blocked;
    default:
        return RUNSTATE_offline;
    }
}

/* Decide what runs next on this CPU. Returns the vCPU to run (may be the current one),
 * or NULL to go idle; the previous vCPU's state is saved if it stops running. */
static struct vcpu *decide(struct pcpu *cpu)
{
    struct vcpu *reaped[MAX_VCPUS_PER_CPU];
    struct vcpu *prev = cpu->curr, *next;
    struct pcpu *push = NULL;
    struct pick p;
    uint64_t now, at;
    unsigned n;

    cpu->need_resched = false;
    if (!null_mode()) {
        balance(cpu);
    }
    spin_lock(&cpu->sched_lock);
    now = time_now();
    account(cpu, now);
    n = collect_dead(cpu, reaped);
    next = pick_next(cpu, now, &p);
    cpu->yield = false;
    cpu->nr_runnable = p.runnable;
    if (prev && prev->state != VCPU_DEAD && prev != next) {
        arch_vcpu_save(prev);
        vcpu_set_runstate(prev, runstate_of(prev), now);
    }
    if (next && next != prev) {
        vcpu_set_runstate(next, RUNSTATE_running, now);
    }
    cpu->curr = next;
    at = next_event(&p, next, now);
    if (!null_mode() && p.runnable > 1) {
        push = underloaded(cpu);
    }
    spin_unlock(&cpu->sched_lock);
    if (at) {
        timer_set(&cpu->slice_timer, at);
    } else {
        timer_stop(&cpu->slice_timer);
    }
    if (push) {
        kick(push);
    }
    report_dead(reaped, n);
    return next;
}

struct vcpu *sched_schedule(void)
{
    return decide(this_cpu());
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
        load(next);
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
            load(next);
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

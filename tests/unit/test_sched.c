/* SPDX-License-Identifier: MIT */
/*
 * Scheduling decisions (hypervisor/sched) over simulated time, against the fake arch:
 * one host thread plays every CPU in turn, in steps of 100 us; each step takes each
 * CPU's due timers (its slice timer, vCPU wake-ups) and, when it is asked to, runs its
 * decision (sched_schedule). The vCPUs are CPU-bound unless a test blocks them. CPU time
 * is read from the runstate accounting, as a guest reads it (VCPUOP_get_runstate_info).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "unit.h"

#include <xen/vcpu.h>

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

#define RAM_SIZE  (64 * MIB)
#define GUEST_RAM (2 * MIB)
#define MS        1000000ull /* ticks at the 1 GHz fake counter */
#define STEP      (MS / 10)

static uint8_t *ram;
static uint64_t free0;

static void cpus_online(unsigned n)
{
    memset(pcpus, 0, sizeof(pcpus));
    nr_pcpus = n;
    for (unsigned i = 0; i < n; i++) {
        pcpus[i].id = i;
        pcpus[i].online = true;
        sched_cpu_init(&pcpus[i]);
    }
    arch_set_this_cpu(&pcpus[0]);
}

static int setup(void **state)
{
    struct sched_options o = {.mode = SCHED_FAIR, .slice_us = SCHED_SLICE_US};

    (void)state;
    ram = unit_ram(4 * MIB, RAM_SIZE);
    page_alloc_reset();
    assert_int_equal(page_alloc_add_range(unit_pa(ram), RAM_SIZE), 0);
    free0 = page_alloc_free_pages();
    fake_console_reset();
    fake_timer_reset();
    fake_kick_sets_resched = true;
    time_init(1000000000);
    board.bootargs = "stay-up";
    assert_int_equal(sched_set_options(&o), 0);
    cpus_online(2);
    return 0;
}

static int teardown(void **state)
{
    struct sched_options o = {.mode = SCHED_FAIR, .slice_us = SCHED_SLICE_US};

    (void)state;
    fake_kick_sets_resched = false;
    assert_int_equal(sched_set_options(&o), 0);
    assert_int_equal(page_alloc_free_pages(), free0);
    page_alloc_reset();
    free(ram);
    return 0;
}

/* ---- the simulation ---- */

/* Let @ticks of time pass on every CPU. */
static void run_for(uint64_t ticks)
{
    uint64_t end = fake_counter + ticks;

    while (fake_counter < end) {
        for (unsigned i = 0; i < nr_pcpus; i++) {
            struct pcpu *cpu = &pcpus[i];

            arch_set_this_cpu(cpu);
            timer_interrupt();
            /* An idle CPU decides whenever it is woken; a busy one when asked to. */
            if (cpu->need_resched || !cpu->curr) {
                sched_schedule();
                cpu->in_idle = cpu->curr == NULL;
            }
        }
        fake_counter += STEP;
    }
    arch_set_this_cpu(&pcpus[0]);
}

/* Running time of @v so far, in ticks (what VCPUOP_get_runstate_info reports). */
static uint64_t ran(const struct vcpu *v)
{
    uint64_t t = v->runstate_time[RUNSTATE_running];

    if (v->runstate == RUNSTATE_running) {
        t += fake_counter - v->runstate_entry;
    }
    return t;
}

static uint64_t total(const struct vcpu *v)
{
    uint64_t t = 0;

    for (unsigned i = 0; i < 4; i++) {
        t += v->runstate_time[i];
    }
    return t + fake_counter - v->runstate_entry;
}

struct dom_spec {
    const char *name;
    unsigned vcpus;
    unsigned weight;
    unsigned cap;
    uint32_t affinity; /* every vCPU's */
};

/* Create and start a domain with every vCPU up. */
static struct domain *start(const struct dom_spec *s)
{
    struct domain_config cfg = {.name = s->name,
                                .ram_size = GUEST_RAM,
                                .nr_vcpus = s->vcpus ? s->vcpus : 1,
                                .weight = s->weight,
                                .cap = s->cap};
    struct domain *d;

    for (unsigned i = 0; i < MAX_VCPUS; i++) {
        cfg.affinity[i] = s->affinity;
    }
    assert_int_equal(domain_create(&cfg, &d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    for (unsigned i = 1; i < d->nr_vcpus; i++) {
        assert_int_equal(sched_start_vcpu(d->vcpus[i], FAKE_GUEST_RAM_BASE, 0), 0);
    }
    return d;
}

/* End the simulation: nothing runs, every domain goes. */
static void stop(struct domain **doms, unsigned n)
{
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].curr = NULL;
        timer_stop(&pcpus[i].slice_timer);
    }
    for (unsigned i = 0; i < n; i++) {
        domain_destroy(doms[i]);
    }
}

static double ratio(uint64_t a, uint64_t b)
{
    return (double)a / (double)b;
}

/* ---- fairness and caps ---- */

static void test_weights_share_a_cpu_1_to_2(void **state)
{
    struct domain *d[2];

    (void)state;
    d[0] = start(&(struct dom_spec){.name = "w256", .weight = 256, .affinity = 1});
    d[1] = start(&(struct dom_spec){.name = "w512", .weight = 512, .affinity = 1});
    run_for(2000 * MS);
    {
        uint64_t a = ran(d[0]->vcpus[0]), b = ran(d[1]->vcpus[0]);
        double r = ratio(b, a);

        printf("weights 256:512 on one CPU: %llu ms : %llu ms (1:%.3f)\n",
               (unsigned long long)(a / MS), (unsigned long long)(b / MS), r);
        assert_true(r > 1.8 && r < 2.2);
        /* The CPU was never idle, and the other CPU never ran them (affinity). */
        assert_true(a + b >= 1990 * MS);
        assert_int_equal(d[0]->vcpus[0]->pcpu, 0);
        assert_int_equal(d[1]->vcpus[0]->pcpu, 0);
    }
    stop(d, 2);
}

static void test_equal_weights_equal_shares_and_runstates_add_up(void **state)
{
    struct domain *d[3];
    uint64_t t[3];

    (void)state;
    for (unsigned i = 0; i < 3; i++) {
        static const char *const names[] = {"e0", "e1", "e2"};

        d[i] = start(&(struct dom_spec){.name = names[i], .affinity = 2});
    }
    run_for(1500 * MS);
    for (unsigned i = 0; i < 3; i++) {
        t[i] = ran(d[i]->vcpus[0]);
        assert_true(t[i] > 450 * MS && t[i] < 550 * MS);
        /* running + runnable + blocked + offline = the whole time since placement. */
        assert_int_equal(total(d[i]->vcpus[0]), fake_counter);
    }
    stop(d, 3);
}

static void test_cap_25_percent(void **state)
{
    struct domain *d[2];

    (void)state;
    cpus_online(1);
    d[0] = start(&(struct dom_spec){.name = "capped", .cap = 25});
    run_for(2000 * MS);
    {
        double share = ratio(ran(d[0]->vcpus[0]), 2000 * MS);

        printf("cap 25 alone: %.1f%% of the CPU\n", share * 100);
        assert_true(share > 0.20 && share < 0.30);
        /* While parked it is runnable, not running (what the guest sees). */
        assert_true(d[0]->vcpus[0]->runstate_time[RUNSTATE_runnable] > 1000 * MS);
    }
    /* Next to an uncapped CPU hog: the cap holds, the other gets the rest. */
    d[1] = start(&(struct dom_spec){.name = "hog"});
    {
        uint64_t c0 = ran(d[0]->vcpus[0]);

        run_for(2000 * MS);
        double capped = ratio(ran(d[0]->vcpus[0]) - c0, 2000 * MS);
        double hog = ratio(ran(d[1]->vcpus[0]), 2000 * MS);

        printf("cap 25 next to a hog: %.1f%% / %.1f%%\n", capped * 100, hog * 100);
        assert_true(capped > 0.20 && capped < 0.30);
        assert_true(hog > 0.70);
    }
    stop(d, 2);
}

static void test_cap_is_for_the_whole_domain(void **state)
{
    struct domain *d;
    uint64_t sum;

    (void)state;
    /* Two vCPUs on two CPUs, capped at 50% of one CPU together. */
    d = start(&(struct dom_spec){.name = "pair", .vcpus = 2, .cap = 50});
    assert_int_not_equal(d->vcpus[0]->pcpu, d->vcpus[1]->pcpu);
    run_for(2000 * MS);
    sum = ran(d->vcpus[0]) + ran(d->vcpus[1]);
    printf("cap 50 over two vCPUs on two CPUs: %.1f%% of one CPU\n", 100.0 * ratio(sum, 2000 * MS));
    assert_true(sum > 900 * MS && sum < 1100 * MS);
    stop(&d, 1);
}

/* ---- affinity and balancing ---- */

static void test_affinity_respected(void **state)
{
    struct domain *d[4];

    (void)state;
    cpus_online(4);
    for (unsigned i = 0; i < 4; i++) {
        static const char *const names[] = {"a0", "a1", "a2", "a3"};

        /* Four vCPUs that may only use CPUs 2 and 3, on an otherwise idle board. */
        d[i] = start(&(struct dom_spec){.name = names[i], .affinity = 0xc});
    }
    for (unsigned step = 0; step < 100; step++) {
        run_for(10 * MS);
        for (unsigned i = 0; i < 4; i++) {
            assert_true(d[i]->vcpus[0]->pcpu == 2 || d[i]->vcpus[0]->pcpu == 3);
        }
        assert_null(pcpus[0].curr);
        assert_null(pcpus[1].curr);
    }
    for (unsigned i = 0; i < 4; i++) {
        uint64_t t = ran(d[i]->vcpus[0]);

        assert_true(t > 400 * MS && t < 600 * MS);
    }
    stop(d, 4);
}

static void test_affinity_naming_no_online_cpu_refused(void **state)
{
    struct domain_config cfg = {.name = "nowhere", .ram_size = GUEST_RAM, .nr_vcpus = 2};
    struct domain *d = NULL;

    (void)state;
    cfg.affinity[1] = 0x80; /* CPU 7: not online */
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    assert_true(fake_console_contains("vCPU1: its hard affinity (0x80) names no online CPU"));
    cfg.affinity[1] = 0;
    cfg.weight = 65536;
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.weight = 65535;
    cfg.cap = 201; /* two vCPUs: at most 200% */
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.cap = 200;
    assert_int_equal(domain_create(&cfg, &d), 0);
    assert_int_equal(d->sched.weight, 65535);
    domain_destroy(d);
}

static void test_eight_vcpus_on_two_cpus_all_progress(void **state)
{
    struct domain *d[2];
    uint64_t min = UINT64_MAX, max = 0, sum = 0;

    (void)state;
    d[0] = start(&(struct dom_spec){.name = "eight", .vcpus = 8});
    d[1] = start(&(struct dom_spec){.name = "one"});
    run_for(3000 * MS);
    for (unsigned i = 0; i < 9; i++) {
        uint64_t t = ran(i < 8 ? d[0]->vcpus[i] : d[1]->vcpus[0]);

        min = MIN(min, t);
        max = MAX(max, t);
        sum += t;
    }
    printf("9 vCPUs on 2 CPUs over 3 s: each %llu..%llu ms, total %llu ms\n",
           (unsigned long long)(min / MS), (unsigned long long)(max / MS),
           (unsigned long long)(sum / MS));
    /* 6000 ms of CPU shared by 9: ~667 each. Everyone progresses, nobody hoards. */
    assert_true(min > 450 * MS);
    assert_true(max < 900 * MS);
    assert_true(sum > 5900 * MS);
    stop(d, 2);
}

static void test_uneven_placement_is_balanced(void **state)
{
    struct domain *d;
    unsigned on[2] = {0};

    (void)state;
    /* Six vCPUs created pinned to CPU 0, then let go: CPU 1 must take its share. */
    d = start(&(struct dom_spec){.name = "uneven", .vcpus = 6, .affinity = 1});
    run_for(100 * MS);
    assert_int_equal(pcpus[0].nr_vcpus, 6);
    assert_null(pcpus[1].curr);
    for (unsigned i = 0; i < 6; i++) {
        d->vcpus[i]->affinity = 0;
    }
    run_for(1000 * MS);
    for (unsigned i = 0; i < 6; i++) {
        on[d->vcpus[i]->pcpu]++;
    }
    printf("after balancing: %u vCPUs on CPU0, %u on CPU1\n", on[0], on[1]);
    assert_int_equal(on[0], 3);
    assert_int_equal(on[1], 3);
    assert_int_equal(pcpus[0].nr_vcpus + pcpus[1].nr_vcpus, 6);
    stop(&d, 1);
}

static void test_migrated_vcpu_timer_follows(void **state)
{
    struct domain *d;
    struct vcpu *moved = NULL;
    uint64_t deadline;

    (void)state;
    d = start(&(struct dom_spec){.name = "timers", .vcpus = 4, .affinity = 1});
    run_for(20 * MS);
    deadline = fake_counter + 10000 * MS;
    /* Every waiting vCPU arms a wake-up timer far ahead, as a guest would before it
     * blocks; then they may go anywhere. */
    for (unsigned i = 0; i < 4; i++) {
        arch_set_this_cpu(&pcpus[0]);
        sched_set_vcpu_timer(d->vcpus[i], deadline);
        d->vcpus[i]->affinity = 0;
    }
    run_for(100 * MS);
    for (unsigned i = 0; i < 4; i++) {
        struct vcpu *v = d->vcpus[i];

        assert_int_equal(v->timer.cpu, v->pcpu);
        assert_true(v->timer.active);
        assert_int_equal(v->timer.expires, deadline);
        if (v->pcpu == 1) {
            moved = v;
        }
    }
    assert_non_null(moved);
    /* It is in CPU 1's queue, nowhere else. */
    {
        bool in1 = false, in0 = false;

        for (struct timer *t = pcpus[1].timers.head; t; t = t->next) {
            in1 |= t == &moved->timer;
        }
        for (struct timer *t = pcpus[0].timers.head; t; t = t->next) {
            in0 |= t == &moved->timer;
        }
        assert_true(in1);
        assert_false(in0);
    }
    stop(&d, 1);
}

/* ---- wake-ups ---- */

static void test_blocked_vcpu_woken_runs(void **state)
{
    struct domain *d[2];
    struct vcpu *v;
    uint64_t before;

    (void)state;
    d[0] = start(&(struct dom_spec){.name = "sleeper", .affinity = 1});
    d[1] = start(&(struct dom_spec){.name = "busy", .affinity = 1});
    v = d[0]->vcpus[0];
    /* Run until the sleeper is on the CPU, then it blocks (SCHEDOP_block / WFI). */
    for (unsigned i = 0; i < 1000 && pcpus[0].curr != v; i++) {
        run_for(STEP);
    }
    assert_ptr_equal(pcpus[0].curr, v);
    sched_block_current();
    run_for(200 * MS);
    assert_int_equal(v->state, VCPU_BLOCKED);
    assert_int_equal(v->runstate, RUNSTATE_blocked);
    assert_ptr_equal(pcpus[0].curr, d[1]->vcpus[0]);
    /* The busy one has had the CPU alone: no slice timer. */
    assert_false(pcpus[0].slice_timer.active);
    before = ran(v);
    sched_wake(v); /* a virtual interrupt for it */
    assert_int_equal(v->state, VCPU_RUNNABLE);
    run_for(STEP);
    assert_ptr_equal(pcpus[0].curr, v); /* it had not used its share: it runs at once */
    run_for(100 * MS);
    assert_true(ran(v) - before > 40 * MS);
    /* Blocked again until its timer: the timer wakes it. */
    while (pcpus[0].curr != v) {
        run_for(STEP);
    }
    sched_set_vcpu_timer(v, fake_counter + 30 * MS);
    sched_block_current();
    run_for(10 * MS);
    assert_int_equal(v->state, VCPU_BLOCKED);
    run_for(30 * MS);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    stop(d, 2);
}

/* SCHEDOP_yield gives the CPU to another eligible vCPU even when the yielder is far
 * behind it in virtual time, for one decision; alone, the yielder goes on. */
static void test_yield_gives_the_cpu_away(void **state)
{
    struct domain *d[2];
    struct vcpu *v, *w;

    (void)state;
    d[0] = start(&(struct dom_spec){.name = "yielder", .affinity = 1});
    d[1] = start(&(struct dom_spec){.name = "other", .affinity = 1});
    v = d[0]->vcpus[0];
    w = d[1]->vcpus[0];
    for (unsigned i = 0; i < 1000 && pcpus[0].curr != v; i++) {
        run_for(STEP);
    }
    assert_ptr_equal(pcpus[0].curr, v);
    v->vtime = 0;
    w->vtime = 1000 * MS;
    assert_ptr_equal(sched_schedule(), v); /* by virtual time it stays */
    sched_yield_current();
    assert_ptr_equal(sched_schedule(), w);
    assert_false(pcpus[0].yield);
    assert_ptr_equal(sched_schedule(), v); /* only that one decision */
    sched_pause_domain(d[1]);
    sched_yield_current();
    assert_ptr_equal(sched_schedule(), v); /* nobody else to run */
    sched_unpause_domain(d[1]);
    stop(d, 2);
}

static void test_idle_cpu_pulls_a_woken_vcpu(void **state)
{
    struct domain *d[2];

    (void)state;
    d[0] = start(&(struct dom_spec){.name = "p0"});
    d[1] = start(&(struct dom_spec){.name = "p1"});
    run_for(10 * MS);
    assert_int_not_equal(d[0]->vcpus[0]->pcpu, d[1]->vcpus[0]->pcpu);
    /* Three more on whatever CPU: no CPU stays idle while vCPUs wait. */
    {
        struct domain *e = start(&(struct dom_spec){.name = "p2", .vcpus = 3});

        run_for(500 * MS);
        assert_non_null(pcpus[0].curr);
        assert_non_null(pcpus[1].curr);
        for (unsigned i = 0; i < 3; i++) {
            assert_true(ran(e->vcpus[i]) > 100 * MS);
        }
        stop(&e, 1);
    }
    stop(d, 2);
}

/* ---- the static-partition mode ---- */

static void test_null_mode(void **state)
{
    struct sched_options o = {.mode = SCHED_NULL, .slice_us = SCHED_SLICE_US};
    struct domain_config cfg = {.name = "third", .ram_size = GUEST_RAM, .nr_vcpus = 1};
    struct domain *d[2], *x = NULL;

    (void)state;
    assert_int_equal(sched_set_options(&o), 0);
    d[0] = start(&(struct dom_spec){.name = "n0"});
    d[1] = start(&(struct dom_spec){.name = "n1", .affinity = 2});
    assert_int_equal(d[0]->vcpus[0]->pcpu, 0);
    assert_int_equal(d[1]->vcpus[0]->pcpu, 1);
    /* A third vCPU has no pCPU of its own: refused, with a message. */
    assert_int_equal(domain_create(&cfg, &x), -ENOSPC);
    assert_true(fake_console_contains("vCPU0: no free pCPU in its affinity"));
    run_for(500 * MS);
    for (unsigned i = 0; i < 2; i++) {
        assert_ptr_equal(pcpus[i].curr, d[i]->vcpus[0]);
        assert_false(pcpus[i].slice_timer.active); /* no tick */
        assert_true(ran(d[i]->vcpus[0]) >= 499 * MS);
    }
    /* A two-vCPU domain with one pCPU free is refused as a whole: nothing stays held. */
    stop(&d[1], 1);
    cfg.nr_vcpus = 2;
    assert_int_equal(domain_create(&cfg, &x), -ENOSPC);
    assert_int_equal(pcpus[1].nr_vcpus, 0);
    cfg.nr_vcpus = 1;
    d[1] = start(&(struct dom_spec){.name = "n1", .affinity = 2});
    /* Once one ends its pCPU is free again. */
    stop(&d[0], 1);
    assert_int_equal(domain_create(&cfg, &x), 0);
    assert_int_equal(x->vcpus[0]->pcpu, 0);
    domain_destroy(x);
    stop(&d[1], 1);
}

/* The load hook (runstate areas): called once per load, after arch_vcpu_load, with the
 * vCPU already accounted as running; not when the current vCPU simply goes on. */
static struct vcpu *hooked;
static unsigned hook_calls, hook_state, hook_loads;

static void load_hook(struct vcpu *v)
{
    hooked = v;
    hook_calls++;
    hook_state = v->runstate;
    hook_loads = v->arch.loads;
}

static void test_load_hook(void **state)
{
    struct domain *d;
    struct vcpu *v;
    struct pcpu *cpu;

    (void)state;
    d = start(&(struct dom_spec){.name = "hook", .affinity = 1});
    v = d->vcpus[0];
    cpu = &pcpus[v->pcpu];
    arch_set_this_cpu(cpu);
    sched_set_vcpu_load_hook(load_hook);
    hook_calls = 0;
    cpu->need_resched = true;
    sched_on_return();
    assert_ptr_equal(cpu->curr, v);
    assert_int_equal(hook_calls, 1);
    assert_ptr_equal(hooked, v);
    assert_int_equal(hook_state, RUNSTATE_running);
    assert_int_equal(hook_loads, v->arch.loads); /* after the load */
    cpu->need_resched = true;
    sched_on_return(); /* it stays: no load, no call */
    assert_int_equal(hook_calls, 1);
    sched_set_vcpu_load_hook(NULL);
    arch_set_this_cpu(&pcpus[0]);
    stop(&d, 1);
}

static void test_options(void **state)
{
    struct sched_options o;
    enum sched_mode m;

    (void)state;
    sched_get_options(&o);
    assert_int_equal(o.slice_us, SCHED_SLICE_US);
    o.slice_us = 99;
    assert_int_equal(sched_set_options(&o), -EINVAL);
    o.slice_us = 1000001;
    assert_int_equal(sched_set_options(&o), -EINVAL);
    assert_true(sched_parse_mode("credit2", &m) && m == SCHED_FAIR);
    assert_true(sched_parse_mode("null", &m) && m == SCHED_NULL);
    assert_false(sched_parse_mode("rtds", &m));
}

static void test_short_slice_still_fair(void **state)
{
    struct sched_options o = {.mode = SCHED_FAIR, .slice_us = 1000};
    struct domain *d[2];

    (void)state;
    assert_int_equal(sched_set_options(&o), 0);
    d[0] = start(&(struct dom_spec){.name = "s1", .weight = 100, .affinity = 1});
    d[1] = start(&(struct dom_spec){.name = "s2", .weight = 300, .affinity = 1});
    run_for(1000 * MS);
    {
        double r = ratio(ran(d[1]->vcpus[0]), ran(d[0]->vcpus[0]));

        assert_true(r > 2.7 && r < 3.3);
    }
    stop(d, 2);
}

/* ---- two host threads as two CPUs: the locking under contention ---- */

#define STRESS_VCPUS 6
#define STRESS_ITERS 20000

struct stress {
    struct domain *d;
    unsigned ran_on[STRESS_VCPUS]; /* CPUs that ran vCPU i (bit mask) */
    unsigned iter[2];              /* iterations done by each CPU */
    pthread_barrier_t go;
    unsigned errors;
    char first[128];
};

struct stress_cpu {
    struct stress *s;
    unsigned cpu;
};

static void stress_error(struct stress *s, const char *what, unsigned v, unsigned cpu)
{
    if (__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED) == 0) {
        snprintf(s->first, sizeof(s->first), "cpu%u: vCPU%u: %s", cpu, v, what);
    }
}

/* One CPU: decide (which balances), let the chosen vCPU run a while, and sometimes block
 * it or wake one of the others (which may sit on the other CPU). */
static void *stress_cpu(void *arg)
{
    struct stress_cpu *c = arg;
    struct stress *s = c->s;
    struct pcpu *cpu = &pcpus[c->cpu];
    uint64_t seed = 0x1234567 + c->cpu;
    struct pcpu *other = &pcpus[1 - c->cpu];

    arch_set_this_cpu(cpu);
    pthread_barrier_wait(&s->go);
    for (unsigned i = 0; i < STRESS_ITERS; i++) {
        struct vcpu *next;
        unsigned r = (unsigned)unit_rand_below(&seed, 16);

        /* Keep the two CPUs within 50 iterations of each other, however the host
         * schedules the threads, so that they really overlap. */
        __atomic_store_n(&s->iter[c->cpu], i, __ATOMIC_RELEASE);
        while (i > __atomic_load_n(&s->iter[1 - c->cpu], __ATOMIC_ACQUIRE) + 50) {
            sched_yield();
        }
        cpu->need_resched = true;
        next = sched_schedule();
        /* While it is our current vCPU nobody may move it, so the other CPU cannot have
         * it as its own current one now or later in this iteration. */
        if (next) {
            if (READ_ONCE(next->pcpu) != c->cpu) {
                stress_error(s, "chosen by a CPU it is not placed on", next->id, c->cpu);
            }
            if (__atomic_load_n(&other->curr, __ATOMIC_ACQUIRE) == next) {
                stress_error(s, "running on two CPUs at once", next->id, c->cpu);
            }
            __atomic_fetch_or(&s->ran_on[next->id], 1u << c->cpu, __ATOMIC_RELAXED);
        }
        __atomic_fetch_add(&fake_counter, 1 + unit_rand_below(&seed, 3 * MS), __ATOMIC_RELAXED);
        if (next && r < 1) {
            sched_block_current(); /* SCHEDOP_block */
        }
        if (r >= 8) {
            sched_wake(s->d->vcpus[unit_rand_below(&seed, STRESS_VCPUS)]); /* an event */
        }
    }
    __atomic_store_n(&s->iter[c->cpu], STRESS_ITERS + 100, __ATOMIC_RELEASE);
    return NULL;
}

static void test_two_cpus_concurrently(void **state)
{
    struct stress s = {0};
    struct stress_cpu c[2] = {{&s, 0}, {&s, 1}};
    pthread_t t[2];
    unsigned seen[STRESS_VCPUS] = {0}, moved = 0;

    (void)state;
    /* All placed on CPU 0, then free to go: CPU 1 pulls while CPU 0 runs and wakes. */
    s.d = start(&(struct dom_spec){.name = "stress", .vcpus = STRESS_VCPUS, .affinity = 1});
    for (unsigned i = 0; i < STRESS_VCPUS; i++) {
        s.d->vcpus[i]->affinity = 0;
    }
    assert_int_equal(pthread_barrier_init(&s.go, NULL, 2), 0);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, stress_cpu, &c[i]), 0);
    }
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    pthread_barrier_destroy(&s.go);
    arch_set_this_cpu(&pcpus[0]);
    if (s.errors) {
        fail_msg("%u errors, first: %s", s.errors, s.first);
    }
    /* Every vCPU is on exactly one CPU's list, the one it names. */
    for (unsigned c2 = 0; c2 < 2; c2++) {
        for (unsigned i = 0; i < pcpus[c2].nr_vcpus; i++) {
            struct vcpu *v = pcpus[c2].vcpus[i];

            assert_int_equal(v->pcpu, c2);
            assert_false(v->migrating);
            seen[v->id]++;
        }
    }
    for (unsigned i = 0; i < STRESS_VCPUS; i++) {
        assert_int_equal(seen[i], 1);
        moved += s.ran_on[i] == 3;
    }
    printf("stress: %u + %u vCPUs on the two CPUs at the end, %u of %u ran on both\n",
           pcpus[0].nr_vcpus, pcpus[1].nr_vcpus, moved, STRESS_VCPUS);
    assert_true(moved > 0); /* balancing moved vCPUs while the other CPU ran */
    stop(&s.d, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_weights_share_a_cpu_1_to_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_equal_weights_equal_shares_and_runstates_add_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cap_25_percent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_is_for_the_whole_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_affinity_respected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_affinity_naming_no_online_cpu_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eight_vcpus_on_two_cpus_all_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uneven_placement_is_balanced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrated_vcpu_timer_follows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_vcpu_woken_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yield_gives_the_cpu_away, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_cpu_pulls_a_woken_vcpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_slice_still_fair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_cpus_concurrently, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

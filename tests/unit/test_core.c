/* SPDX-License-Identifier: MIT */
/*
 * The core's shape (issue #12) against the fake arch: the stage-2 owner under two host
 * threads acting as two CPUs (the add_to_physmap race that used to reach a BUG_ON), the
 * guest console under two writers, break-before-make and invalidation in the p2m, the
 * timer queues, continuations, and Xen's argument decoding with the high bits Xen
 * ignores.
 */
#include <pthread.h>
#include <stdio.h>

#include "core_env.h"

#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/xen.h>

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

#define RAM_SIZE  (64 * MIB)
#define GUEST_RAM (8 * MIB)
#define G(off)    (FAKE_GUEST_RAM_BASE + (off))
#define HIGH      0xdeadbeef00000000ull /* bits 63:32 that Xen's int arguments drop */

CORE_ENV_FIXTURE(RAM_SIZE)

/* A started 2-vCPU domain: vCPU i is current on CPU i. */
static struct domain *running(void)
{
    struct domain_config cfg = {.name = "core", .ram_size = GUEST_RAM, .nr_vcpus = 2};
    struct domain *d;

    assert_int_equal(domain_create(&cfg, &d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    for (unsigned i = 0; i < 2; i++) {
        d->vcpus[i]->state = VCPU_RUNNABLE;
        pcpus[d->vcpus[i]->pcpu].curr = d->vcpus[i];
    }
    assert_int_not_equal(d->vcpus[0]->pcpu, d->vcpus[1]->pcpu);
    return d;
}

/* Every page @d holds, counted from its own records: the quota must say the same. */
static uint64_t pages_held(const struct domain *d)
{
    uint64_t n = 1 + 1 + d->nr_vcpus + d->p2m.pt.tables; /* domain, shared_info */

    for (const struct extent_page *ep = d->extents; ep; ep = ep->next) {
        n += 1;
        for (uint64_t i = 0; i < ep->count; i++) {
            n += 1ull << ep->e[i].order;
        }
    }
    return n;
}

/* ---- two CPUs, one domain ---- */

struct worker {
    struct domain *d;
    unsigned cpu;
    unsigned iters;
    unsigned failures;
    char what[96];
};

static void fail_once(struct worker *w, const char *what, long long got)
{
    if (!w->failures++) {
        snprintf(w->what, sizeof(w->what), "cpu%u: %s (%lld)", w->cpu, what, got);
    }
}

/* gfns a guest may put shared_info at: its own RAM (in 2 MiB blocks, so maps split
 * them), neighbours in one block, and beyond RAM. */
static uint64_t pick_gfn(uint64_t *seed)
{
    static const uint64_t offs[] = {0x600000, 0x601000, 0x7ff000, 0x400000, 0x10000000, 0x7000};

    return (G(offs[unit_rand_below(seed, ARRAY_SIZE(offs))])) >> PAGE_SHIFT;
}

static void *physmap_worker(void *arg)
{
    struct worker *w = arg;
    struct vcpu *v = w->d->vcpus[w->cpu];
    uint64_t seed = 0x9e3779b97f4a7c15ull * (w->cpu + 1);
    /* Each vCPU's argument block lives in its own page of low guest RAM. */
    uint64_t args = G(0x10000 + w->cpu * 0x1000);
    struct xen_add_to_physmap *x = core_env_gpa(w->d, args);
    char *line = core_env_gpa(w->d, args + 0x800);
    uint8_t probe[64];

    arch_set_this_cpu(&pcpus[v->pcpu]);
    for (unsigned i = 0; i < w->iters; i++) {
        int64_t rc;

        *x = (struct xen_add_to_physmap){
            .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = pick_gfn(&seed)};
        rc = core_env_hypercall(v, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, args, 0);
        if (rc != 0) {
            fail_once(w, "add_to_physmap", rc);
        }
        snprintf(line, 80, "cpu%u %05u 0123456789abcdefghijklmnopqrstuvwxyz\n", w->cpu, i);
        rc = core_env_hypercall(v, __HYPERVISOR_console_io, CONSOLEIO_write | HIGH, strlen(line),
                                args + 0x800);
        if (rc != 0) {
            fail_once(w, "console_io", rc);
        }
        /* A copy from a page the other CPU keeps remapping: never a fault, never a
         * panic (the copy holds the p2m lock per page). */
        rc = copy_from_guest(v, probe, G(0x600000) + 64 * (i % 64), sizeof(probe));
        if (rc != 0) {
            fail_once(w, "copy_from_guest", rc);
        }
    }
    return NULL;
}

static void run_two(struct domain *d, unsigned iters, void *(*fn)(void *))
{
    struct worker w[2] = {{.d = d, .cpu = 0, .iters = iters}, {.d = d, .cpu = 1, .iters = iters}};
    pthread_t t[2];

    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, fn, &w[i]), 0);
    }
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    arch_set_this_cpu(&pcpus[0]);
    for (unsigned i = 0; i < 2; i++) {
        if (w[i].failures) {
            fail_msg("%u failures, first: %s", w[i].failures, w[i].what);
        }
    }
}

static void test_two_cpus_remap_shared_info(void **state)
{
    struct domain *d;

    (void)state;
    /* Many rounds: each is a fresh domain whose 2 MiB blocks the two CPUs split at once. */
    for (unsigned round = 0; round < 50; round++) {
        fake_console_reset();
        d = running();
        run_two(d, 400, physmap_worker);
        assert_int_equal(quota_used(&d->quota), pages_held(d));
        assert_true(d->p2m.arch.flushes > 0);
        pcpus[0].curr = pcpus[1].curr = NULL; /* as the scheduler would have it */
        domain_destroy(d);
        assert_int_equal(page_alloc_free_pages(), free0);
    }
}

/* ---- two vCPUs writing the console ---- */

#define CON_LINES 250

static void *console_worker(void *arg)
{
    struct worker *w = arg;
    struct vcpu *v = w->d->vcpus[w->cpu];
    char *buf = core_env_gpa(w->d, G(0x20000 + w->cpu * 0x1000));

    arch_set_this_cpu(&pcpus[v->pcpu]);
    for (unsigned i = 0; i < w->iters; i++) {
        /* A line in three pieces, so the two writers interleave inside lines. */
        int n = snprintf(buf, 128, "writer%u line %04u %s\n", w->cpu, i,
                         "the-quick-brown-fox-jumps-over-the-lazy-dog");

        for (int off = 0; off < n;) {
            int piece = MIN(n - off, 17);
            int64_t rc =
                core_env_hypercall(v, __HYPERVISOR_console_io, CONSOLEIO_write, (uint64_t)piece,
                                   G(0x20000 + w->cpu * 0x1000) + (uint64_t)off);

            if (rc) {
                fail_once(w, "console_io", rc);
            }
            off += piece;
        }
    }
    return NULL;
}

static void test_two_vcpus_write_the_console(void **state)
{
    struct domain *d = running();
    unsigned seen[2] = {0, 0};
    char prefix[16];
    const char *p;

    (void)state;
    fake_console_reset();
    run_two(d, CON_LINES, console_worker);
    snprintf(prefix, sizeof(prefix), "(d%u) ", d->id);
    /* Every line whole and in order per writer (the two writers share one line buffer,
     * so their bytes mix within lines; what must hold is that nothing overflows and no
     * byte is lost: count the bytes of each writer's lines). */
    for (p = fake_console_text(); (p = strstr(p, prefix)); p++) {
        const char *end = strchr(p, '\n');

        assert_non_null(end);
        assert_true(end - p <= (long)(strlen(prefix) + GUEST_CONSOLE_LINE + 1));
    }
    for (p = fake_console_text(); *p; p++) {
        seen[0] += *p == '0' && p[-1] == 'r'; /* "writer0" */
        seen[1] += *p == '1' && p[-1] == 'r'; /* "writer1" */
    }
    assert_true(seen[0] + seen[1] > 0);
    domain_destroy(d);
}

/* ---- lossless by default, drop on request ---- */

static void test_console_loses_nothing_by_default(void **state)
{
    struct domain *d = running();
    char *buf = core_env_gpa(d, G(0x3000));
    char want[48];

    (void)state;
    fake_console_reset();
    for (unsigned i = 0; i < 500; i++) {
        snprintf(buf, 32, "n%u\n", i);
        assert_int_equal(core_env_hypercall(d->vcpus[0], __HYPERVISOR_console_io, CONSOLEIO_write,
                                            strlen(buf), G(0x3000)),
                         0);
    }
    for (unsigned i = 0; i < 500; i += 37) {
        snprintf(want, sizeof(want), "(d%u) n%u\r\n", d->id, i);
        assert_true(fake_console_contains(want));
    }
    snprintf(want, sizeof(want), "(d%u) n499\r\n", d->id);
    assert_true(fake_console_contains(want));
    assert_false(fake_console_contains("dropped"));
    domain_destroy(d);
}

static void test_long_lines_split_at_255(void **state)
{
    struct domain *d = running();
    char *buf = core_env_gpa(d, G(0x3000));
    char want[300];

    (void)state;
    fake_console_reset();
    memset(buf, 'x', 600);
    assert_int_equal(
        core_env_hypercall(d->vcpus[0], __HYPERVISOR_console_io, CONSOLEIO_write, 600, G(0x3000)),
        0);
    snprintf(want, sizeof(want), "(d%u) %.*s\r\n", d->id, 255, buf);
    assert_true(fake_console_contains(want));
    domain_shutdown(d, SHUTDOWN_poweroff); /* the last 90 bytes come out at the end */
    snprintf(want, sizeof(want), "(d%u) %.*s\r\n", d->id, 90, buf);
    assert_true(fake_console_contains(want));
    domain_destroy(d);
}

static void test_continuation_of_a_long_write(void **state)
{
    struct domain *d = running();
    struct hypercall h = {.nr = __HYPERVISOR_console_io, .a = {CONSOLEIO_write, 10000, G(0x4000)}};
    unsigned pieces = 0;

    (void)state;
    memset(core_env_gpa(d, G(0x4000)), 'y', 4096);
    this_cpu()->need_resched = false; /* no reason to stop early but the budget */
    do {
        assert_int_equal(hypercall_dispatch(d->vcpus[0], &h), 0);
        pieces++;
    } while (h.restart);
    assert_true(pieces >= 3);
    /* A continuation leaves the arguments describing what is left. */
    assert_int_equal(h.a[1], 10000 - 4096 * (pieces - 1));
    assert_int_equal(h.a[2], G(0x4000) + 4096 * (pieces - 1));
    domain_destroy(d);
}

/* ---- Xen's argument decoding ---- */

static void test_xen_decoding_ignores_high_bits(void **state)
{
    struct domain *d = running();
    struct vcpu *v = d->vcpus[0];
    struct xen_add_to_physmap *x = core_env_gpa(d, G(0x5000));
    char *buf = core_env_gpa(d, G(0x6000));

    (void)state;
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_version | HIGH, 0, 0),
                     (4 << 16) | 17);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_pagesize | HIGH, 0, 0),
                     4096);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_sched_op, SCHEDOP_yield | HIGH, 0, 0), 0);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_vcpu_op, VCPUOP_is_up | HIGH, 1 | HIGH, 0),
                     1);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 2 | HIGH, 0),
                     -ENOENT);
    strcpy(buf, "hi\n");
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_console_io, CONSOLEIO_write | HIGH, 3 | HIGH, G(0x6000)),
        0);
    /* memory_op: the sub-op is the low 6 bits, the rest the start extent. */
    *x = (struct xen_add_to_physmap){
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = G(0x700000) >> PAGE_SHIFT};
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_memory_op,
                                        XENMEM_add_to_physmap | (5ul << 6), G(0x5000), 0),
                     0);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_memory_op,
                                        XENMEM_add_to_physmap | (0x10000ul << 6), G(0x5000), 0),
                     -EDOM);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_memory_op, 63, G(0x5000), 0), -ENOSYS);
    domain_destroy(d);
}

static void test_xen_version_sub_ops(void **state)
{
    struct domain *d = running();
    struct vcpu *v = d->vcpus[0];
    char *buf = core_env_gpa(d, G(0x8000));
    xen_compile_info_t *ci = (void *)buf;
    xen_platform_parameters_t *pp = (void *)buf;

    (void)state;
    memset(buf, 0x55, 2048);
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_extraversion, G(0x8000), 0), 0);
    assert_string_equal(buf, "-bulkhead");
    assert_int_equal(buf[sizeof(xen_extraversion_t) - 1], 0);
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_capabilities, G(0x8000), 0), 0);
    assert_string_equal(buf, "xen-3.0-fake ");
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_changeset, G(0x8000), 0), 0);
    assert_string_equal(buf, "bulkhead");
    memset(buf, 0x55, 2048);
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_compile_info, G(0x8000), 0), 0);
    assert_memory_equal(ci->compiler, "gcc ", 4);
    assert_string_equal(ci->compile_by, "bulkhead");
    assert_int_equal(ci->compile_domain[0], 0);
    assert_int_equal(ci->compile_date[sizeof(ci->compile_date) - 1], 0);
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_platform_parameters, G(0x8000), 0),
        0);
    assert_int_equal(pp->virt_start, 0x200000);
    memset(buf, 0x55, 16);
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_guest_handle, G(0x8000), 0), 0);
    for (unsigned i = 0; i < 16; i++) {
        assert_int_equal(buf[i], 0);
    }
    assert_int_equal(
        core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_commandline, G(0x8000), 0), -EPERM);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_build_id, G(0x8000), 0),
                     -EPERM);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_compile_info, 0, 0),
                     -EFAULT);
    assert_int_equal(core_env_hypercall(v, __HYPERVISOR_xen_version, XENVER_platform_parameters,
                                        G(GUEST_RAM), 0),
                     -EFAULT);
    domain_destroy(d);
}

/* ---- the stage-2 owner ---- */

static void test_p2m_replace_splits_block_break_before_make(void **state)
{
    struct domain *d = running();
    struct p2m_locked l = p2m_lock(&d->p2m);
    uint64_t tables = d->p2m.pt.tables;
    unsigned flushes = d->p2m.arch.flushes;
    paddr_t before, pa;

    (void)state;
    assert_int_equal(p2m_lookup(l, ipa_init(G(0x200000)), &before, NULL), 0);
    /* One page inside a 2 MiB block: the block is split (one table more, charged), the
     * page replaced, its neighbours unchanged, and translations invalidated. */
    assert_int_equal(
        p2m_map(l, ipa_init(G(0x201000)), d->shared_info, PAGE_SIZE, PT_RW, PT_REPLACE), 0);
    assert_int_equal(d->p2m.pt.tables, tables + 1);
    assert_true(d->p2m.arch.flushes >= flushes + 2); /* the split and the replaced page */
    assert_int_equal(p2m_lookup(l, ipa_init(G(0x201000)), &pa, NULL), 0);
    assert_int_equal(pa_addr(pa), pa_addr(d->shared_info));
    assert_int_equal(p2m_lookup(l, ipa_init(G(0x200000)), &pa, NULL), 0);
    assert_int_equal(pa_addr(pa), pa_addr(before));
    assert_int_equal(p2m_lookup(l, ipa_init(G(0x202000)), &pa, NULL), 0);
    assert_int_equal(pa_addr(pa), pa_addr(before) + 0x2000);
    /* Without PT_REPLACE a mapped range is refused and nothing changes. */
    assert_int_equal(p2m_map(l, ipa_init(G(0x201000)), d->shared_info, PAGE_SIZE, PT_RW, 0),
                     -EEXIST);
    /* Beyond the guest-physical space. */
    assert_int_equal(
        p2m_map(l, ipa_init(p2m_ipa_limit(&d->p2m)), d->shared_info, PAGE_SIZE, PT_RW, PT_REPLACE),
        -ERANGE);
    p2m_unlock(l);
    assert_true(p2m_fault_is_spurious(&d->p2m, ipa_init(G(0x201000)), PT_W));
    assert_false(p2m_fault_is_spurious(&d->p2m, ipa_init(G(0x201000)), PT_X));
    assert_false(p2m_fault_is_spurious(&d->p2m, ipa_init(G(GUEST_RAM)), PT_R));
    assert_int_equal(quota_used(&d->quota), pages_held(d));
    domain_destroy(d);
}

static void test_p2m_unmap_flushes_before_reuse(void **state)
{
    struct domain *d = running();
    struct p2m_locked l = p2m_lock(&d->p2m);
    unsigned flushes;
    paddr_t pa;

    (void)state;
    assert_int_equal(p2m_unmap_prepare(l, ipa_init(G(0x400000)), 2 * MIB), 0);
    flushes = d->p2m.arch.flushes;
    p2m_unmap_commit(l, ipa_init(G(0x400000)), 2 * MIB);
    /* Commit only clears: invalidation happens once, at the flush. */
    assert_int_equal(d->p2m.arch.flushes, flushes);
    p2m_flush(l);
    assert_int_equal(d->p2m.arch.flushes, flushes + 1);
    p2m_flush(l);
    assert_int_equal(d->p2m.arch.flushes, flushes + 1); /* nothing left to flush */
    assert_int_equal(p2m_lookup(l, ipa_init(G(0x400000)), &pa, NULL), -ENOENT);
    p2m_unlock(l);
    domain_destroy(d);
}

/* ---- timers ---- */

struct fired {
    struct timer t;
    unsigned n;
    uint64_t at;
    struct fired *order[4];
};

static struct fired *fire_log[8];
static unsigned fire_count;

static void on_fire(struct timer *t)
{
    struct fired *f = container_of(t, struct fired, t);

    f->n++;
    f->at = fake_counter;
    if (fire_count < ARRAY_SIZE(fire_log)) {
        fire_log[fire_count++] = f;
    }
}

static void test_timer_queue_order_stop_and_kick(void **state)
{
    struct fired a = {0}, b = {0}, c = {0}, r = {0};
    unsigned kicks = fake_kicks;

    (void)state;
    fire_count = 0;
    timer_init(&a.t, on_fire, 0);
    timer_init(&b.t, on_fire, 0);
    timer_init(&c.t, on_fire, 0);
    timer_set(&a.t, 3000);
    timer_set(&b.t, 1000);
    timer_set(&c.t, 2000);
    assert_int_equal(fake_timer_deadline, 1000); /* the hardware follows the earliest */
    timer_stop(&c.t);
    timer_set(&a.t, 500); /* re-arming moves it */
    assert_int_equal(fake_timer_deadline, 500);
    fake_counter = 1500;
    timer_interrupt();
    assert_int_equal(fire_count, 2);
    assert_ptr_equal(fire_log[0], &a);
    assert_ptr_equal(fire_log[1], &b);
    assert_int_equal(c.n, 0);
    assert_false(fake_timer_armed); /* nothing left */
    /* A timer of another CPU: queued there, and that CPU is kicked to re-arm. */
    timer_init(&r.t, on_fire, 1);
    timer_set(&r.t, 9000);
    assert_int_equal(fake_kicks, kicks + 1);
    assert_ptr_equal(pcpus[1].timers.head, &r.t);
    timer_stop(&r.t);
    assert_null(pcpus[1].timers.head);
}

static void test_vcpu_timer_wakes_a_blocked_vcpu(void **state)
{
    struct domain *d = running();
    struct vcpu *v = d->vcpus[0];

    (void)state;
    sched_set_vcpu_timer(v, fake_counter + 5000);
    sched_block_current();
    assert_int_equal(v->state, VCPU_BLOCKED);
    fake_counter += 5000;
    timer_interrupt();
    assert_int_equal(v->state, VCPU_RUNNABLE);
    /* Fired while running: the next block returns at once. */
    sched_set_vcpu_timer(v, fake_counter + 10);
    fake_counter += 10;
    timer_interrupt();
    sched_block_current();
    assert_int_equal(v->state, VCPU_RUNNABLE);
    domain_destroy(d);
}

static void test_interrupt_pending_ends_a_wait(void **state)
{
    struct domain *d = running();
    struct vcpu *v = d->vcpus[0];
    unsigned kicks = fake_kicks;

    (void)state;
    /* Pending before the block: the vCPU does not block. */
    v->arch.irq_pending = true;
    sched_block_current();
    assert_int_equal(v->state, VCPU_RUNNABLE);
    /* Blocked, then an injector makes one pending and wakes it. */
    v->arch.irq_pending = false;
    sched_block_current();
    assert_int_equal(v->state, VCPU_BLOCKED);
    v->arch.irq_pending = true;
    sched_wake(v);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_true(this_cpu()->need_resched || fake_kicks > kicks);
    sched_wake(v); /* not blocked: nothing happens */
    assert_int_equal(v->state, VCPU_RUNNABLE);
    domain_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_cpus_remap_shared_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_vcpus_write_the_console, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console_loses_nothing_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines_split_at_255, setup, teardown),
        cmocka_unit_test_setup_teardown(test_continuation_of_a_long_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_decoding_ignores_high_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_version_sub_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p2m_replace_splits_block_break_before_make, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_p2m_unmap_flushes_before_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_queue_order_stop_and_kick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpu_timer_wakes_a_blocked_vcpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_pending_ends_a_wait, setup, teardown),
    };

    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}

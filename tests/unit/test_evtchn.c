/* SPDX-License-Identifier: MIT */
/*
 * Event channels (hypervisor/evtchn) through the hypercall, as guests call it, against the
 * fake arch: interdomain, loopback, VIRQ and IPI channels, the 2-level bits in
 * shared_info and vcpu_info, masking, every guest-reachable error, the port limit and
 * its pages, and what a domain's end does to its peers.
 */
#include <pthread.h>
#include <stdio.h>

#include "core_env.h"

#include <xen/event_channel.h>
#include <xen/vcpu.h>
#include <xen/xen.h>

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

#define RAM_SIZE  (64 * MIB)
#define GUEST_RAM (4 * MIB)
#define ARGS      (FAKE_GUEST_RAM_BASE + 0x10000) /* where ops' structs go in guest RAM */

CORE_ENV_FIXTURE(RAM_SIZE)

static struct domain *start(const char *name)
{
    struct domain_config cfg = {.name = name, .ram_size = GUEST_RAM, .nr_vcpus = 2};
    struct domain *d;

    assert_int_equal(domain_create(&cfg, &d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    d->vcpus[1]->state = VCPU_RUNNABLE;
    return d;
}

static void end(struct domain *d)
{
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].curr = NULL;
    }
    domain_destroy(d);
}

/* EVTCHNOP_@cmd as vCPU 0 of @d with the op's struct @op copied in and back out. */
static int64_t op(struct domain *d, int cmd, void *opst, size_t size)
{
    struct hypercall h = {.nr = __HYPERVISOR_event_channel_op, .a = {(uint64_t)cmd, ARGS}};
    int64_t rc;

    memcpy(core_env_gpa(d, ARGS), opst, size);
    rc = hypercall_dispatch(d->vcpus[0], &h);
    memcpy(opst, core_env_gpa(d, ARGS), size);
    return rc;
}

#define OP(d, cmd, s) op((d), (cmd), &(s), sizeof(s))

static struct shared_info *shinfo(struct domain *d)
{
    return pa_va(d->shared_info);
}

static bool pending(struct domain *d, uint32_t port)
{
    return (shinfo(d)->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static uint32_t alloc_unbound(struct domain *d, domid_t remote)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = remote};

    assert_int_equal(OP(d, EVTCHNOP_alloc_unbound, a), 0);
    assert_true(a.port > 0 && a.port < EVTCHN_MAX_PORTS);
    return a.port;
}

static uint32_t connect(struct domain *a, struct domain *b, uint32_t *bport)
{
    uint32_t aport = alloc_unbound(a, b->id);
    struct evtchn_bind_interdomain bi = {.remote_dom = a->id, .remote_port = aport};

    assert_int_equal(OP(b, EVTCHNOP_bind_interdomain, bi), 0);
    *bport = bi.local_port;
    return aport;
}

static void test_interdomain_send_sets_bits_and_upcall(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    struct vcpu_info *vi = &shinfo(b)->vcpu_info[0];
    uint32_t bport, aport = connect(a, b, &bport);
    struct evtchn_send s = {.port = aport};
    struct evtchn_status st = {.dom = DOMID_SELF, .port = bport};
    unsigned upcalls;

    (void)state;
    /* The bind itself leaves the new local port pending, as in Xen. */
    assert_true(pending(b, bport));
    shinfo(b)->evtchn_pending[bport / 64] = 0;
    vi->evtchn_upcall_pending = 0;
    vi->evtchn_pending_sel = 0;
    upcalls = b->vcpus[0]->arch.upcalls;
    assert_int_equal(OP(a, EVTCHNOP_send, s), 0);
    assert_true(pending(b, bport));
    assert_int_equal(vi->evtchn_pending_sel, 1ull << (bport / 64));
    assert_int_equal(vi->evtchn_upcall_pending, 1);
    assert_int_equal(b->vcpus[0]->arch.upcalls, upcalls + 1);
    /* A second send while pending raises nothing new. */
    assert_int_equal(OP(a, EVTCHNOP_send, s), 0);
    assert_int_equal(b->vcpus[0]->arch.upcalls, upcalls + 1);
    assert_int_equal(OP(b, EVTCHNOP_status, st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_interdomain);
    assert_int_equal(st.u.interdomain.dom, a->id);
    assert_int_equal(st.u.interdomain.port, aport);
    end(a);
    end(b);
}

static void test_mask_and_unmask(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    struct vcpu_info *vi = &shinfo(b)->vcpu_info[0];
    uint32_t bport, aport = connect(a, b, &bport);
    struct evtchn_send s = {.port = aport};
    struct evtchn_unmask u = {.port = bport};
    unsigned upcalls;

    (void)state;
    shinfo(b)->evtchn_pending[bport / 64] = 0;
    shinfo(b)->evtchn_mask[bport / 64] = 1ull << (bport % 64);
    vi->evtchn_upcall_pending = 0;
    upcalls = b->vcpus[0]->arch.upcalls;
    assert_int_equal(OP(a, EVTCHNOP_send, s), 0);
    assert_true(pending(b, bport));
    assert_int_equal(vi->evtchn_upcall_pending, 0); /* masked: no upcall */
    assert_int_equal(b->vcpus[0]->arch.upcalls, upcalls);
    assert_int_equal(OP(b, EVTCHNOP_unmask, u), 0);
    assert_int_equal(vi->evtchn_upcall_pending, 1); /* unmask delivers what was pending */
    assert_int_equal(b->vcpus[0]->arch.upcalls, upcalls + 1);
    end(a);
    end(b);
}

static void test_bad_requests_get_xen_errors(void **state)
{
    struct domain *a = start("a"), *b = start("b"), *c = start("c");
    uint32_t aport = alloc_unbound(a, b->id);
    struct evtchn_alloc_unbound other = {.dom = b->id, .remote_dom = a->id};
    struct evtchn_bind_interdomain wrong = {.remote_dom = a->id, .remote_port = aport};
    struct evtchn_bind_interdomain nodom = {.remote_dom = 60, .remote_port = 1};
    struct evtchn_bind_interdomain noport = {.remote_dom = a->id, .remote_port = 999};
    struct evtchn_send bad[] = {{0}, {EVTCHN_MAX_PORTS}, {UINT32_MAX}, {777}};
    struct evtchn_close cl = {.port = 777};
    struct evtchn_status st = {.dom = b->id, .port = 1};
    struct evtchn_unmask um = {.port = UINT32_MAX};
    struct hypercall h = {.nr = __HYPERVISOR_event_channel_op, .a = {EVTCHNOP_send, 0}};

    (void)state;
    assert_int_equal(OP(a, EVTCHNOP_alloc_unbound, other), -EPERM);
    assert_int_equal(OP(c, EVTCHNOP_bind_interdomain, wrong), -EINVAL); /* not offered to c */
    assert_int_equal(OP(c, EVTCHNOP_bind_interdomain, nodom), -ESRCH);
    assert_int_equal(OP(b, EVTCHNOP_bind_interdomain, noport), -EINVAL);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(OP(a, EVTCHNOP_send, bad[i]), -EINVAL);
    }
    assert_int_equal(OP(a, EVTCHNOP_close, cl), -EINVAL);
    assert_int_equal(OP(a, EVTCHNOP_status, st), -EPERM);
    assert_int_equal(OP(a, EVTCHNOP_unmask, um), -EINVAL);
    assert_int_equal(hypercall_dispatch(a->vcpus[0], &h), -EFAULT); /* arg at guest 0 */
    h.a[0] = EVTCHNOP_init_control | 0xffffffff00000000ull;         /* FIFO ABI: not offered */
    h.a[1] = ARGS;
    assert_int_equal(hypercall_dispatch(a->vcpus[0], &h), -ENOSYS);
    /* Bound once: a second bind of the same port is refused. */
    assert_int_equal(OP(b, EVTCHNOP_bind_interdomain, wrong), 0);
    wrong.local_port = 0;
    assert_int_equal(OP(b, EVTCHNOP_bind_interdomain, wrong), -EINVAL);
    end(a);
    end(b);
    end(c);
}

static void test_loopback_and_ipi(void **state)
{
    struct domain *a = start("a");
    uint32_t p1 = alloc_unbound(a, DOMID_SELF);
    struct evtchn_bind_interdomain bi = {.remote_dom = DOMID_SELF, .remote_port = p1};
    struct evtchn_bind_ipi ipi = {.vcpu = 1};
    struct evtchn_send s;

    (void)state;
    assert_int_equal(OP(a, EVTCHNOP_bind_interdomain, bi), 0);
    memset(shinfo(a)->evtchn_pending, 0, sizeof(shinfo(a)->evtchn_pending));
    s.port = bi.local_port;
    assert_int_equal(OP(a, EVTCHNOP_send, s), 0);
    assert_true(pending(a, p1));
    assert_int_equal(OP(a, EVTCHNOP_bind_ipi, ipi), 0);
    s.port = ipi.port;
    assert_int_equal(OP(a, EVTCHNOP_send, s), 0);
    assert_true(pending(a, ipi.port));
    ipi.vcpu = 2;
    assert_int_equal(OP(a, EVTCHNOP_bind_ipi, ipi), -ENOENT);
    end(a); /* closes the loopback pair, whose two references are on a itself */
}

/* SCHEDOP_block (and WFI) returns at once while an event waits (evtchn_upcall_pending),
 * as Xen's does. riscv64 has no upcall interrupt, so
 * without this a send just before the block was lost. */
static void test_block_returns_with_an_event_waiting(void **state)
{
    struct domain *a = start("a");
    struct vcpu *v = a->vcpus[1];
    struct evtchn_bind_ipi ipi = {.vcpu = 1};
    struct evtchn_send s;

    (void)state;
    pcpus[v->pcpu].curr = v;
    assert_int_equal(OP(a, EVTCHNOP_bind_ipi, ipi), 0);
    s.port = ipi.port;
    assert_int_equal(OP(a, EVTCHNOP_send, s), 0);
    assert_true(shinfo(a)->vcpu_info[1].evtchn_upcall_pending);
    /* The block runs on v's CPU: point this CPU at it. */
    arch_set_this_cpu(&pcpus[v->pcpu]);
    sched_block_current();
    assert_int_equal(v->state, VCPU_RUNNABLE);
    /* Cleared by the guest: it blocks (the next send's upcall is the arch's to deliver,
     * which wakes it). */
    shinfo(a)->vcpu_info[1].evtchn_upcall_pending = 0;
    sched_block_current();
    assert_int_equal(v->state, VCPU_BLOCKED);
    sched_wake(v);
    arch_set_this_cpu(&pcpus[0]);
    end(a);
}

static void test_virqs_and_the_singleshot_timer(void **state)
{
    struct domain *a = start("a");
    struct evtchn_bind_virq t = {.virq = VIRQ_TIMER, .vcpu = 0};
    struct evtchn_bind_virq again = t, global1 = {.virq = VIRQ_CONSOLE, .vcpu = 1};
    struct evtchn_bind_virq big = {.virq = 24}, novcpu = {.virq = VIRQ_TIMER, .vcpu = 2};
    struct evtchn_send s;

    (void)state;
    assert_int_equal(OP(a, EVTCHNOP_bind_virq, t), 0);
    assert_int_equal(OP(a, EVTCHNOP_bind_virq, again), -EEXIST);
    assert_int_equal(OP(a, EVTCHNOP_bind_virq, global1), -EINVAL);
    assert_int_equal(OP(a, EVTCHNOP_bind_virq, big), -EINVAL);
    assert_int_equal(OP(a, EVTCHNOP_bind_virq, novcpu), -ENOENT);
    s.port = t.port;
    assert_int_equal(OP(a, EVTCHNOP_send, s), -EINVAL); /* a VIRQ is the hypervisor's */
    /* The singleshot timer's expiry raises VIRQ_TIMER on its vCPU. */
    assert_false(pending(a, t.port));
    sched_set_vcpu_timer(a->vcpus[0], fake_counter + 1000);
    fake_counter += 1000;
    timer_interrupt();
    assert_true(pending(a, t.port));
    end(a);
}

static void test_port_limit_and_pages(void **state)
{
    struct domain *a = start("a");
    uint64_t used = quota_used(&a->quota);
    struct evtchn_alloc_unbound al = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
    struct evtchn_close cl;
    unsigned n = 0;

    (void)state;
    while (OP(a, EVTCHNOP_alloc_unbound, al) == 0) {
        n++;
    }
    assert_int_equal(n, EVTCHN_MAX_PORTS - 1);
    assert_int_equal(OP(a, EVTCHNOP_alloc_unbound, al), -ENOSPC);
    assert_int_equal(quota_used(&a->quota), used + EVTCHN_PAGES);
    cl.port = 500;
    assert_int_equal(OP(a, EVTCHNOP_close, cl), 0);
    assert_int_equal(OP(a, EVTCHNOP_alloc_unbound, al), 0);
    assert_int_equal(al.port, 500); /* the lowest free port is reused */
    end(a);
}

static void test_a_domain_end_unbinds_its_peers(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    uint32_t bport;
    struct evtchn_status st;
    struct evtchn_send s;

    (void)state;
    connect(a, b, &bport);
    end(a);
    st = (struct evtchn_status){.dom = DOMID_SELF, .port = bport};
    assert_int_equal(OP(b, EVTCHNOP_status, st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_unbound);
    s.port = bport;
    assert_int_equal(OP(b, EVTCHNOP_send, s), 0); /* to nobody: dropped */
    end(b);
}

/* Regression (found by the guest fuzzer): a vcpu_info at an unaligned offset is refused,
 * since event delivery updates it with atomics (an unaligned one faulted in the
 * hypervisor: a panic any guest could cause). */
static void test_unaligned_vcpu_info_is_refused(void **state)
{
    struct domain *a = start("a");
    struct vcpu_register_vcpu_info r = {.mfn = (FAKE_GUEST_RAM_BASE + 0x30000) >> 12, .offset = 13};
    struct hypercall h = {.nr = __HYPERVISOR_vcpu_op, .a = {VCPUOP_register_vcpu_info, 1, ARGS}};

    (void)state;
    memcpy(core_env_gpa(a, ARGS), &r, sizeof(r));
    assert_int_equal(hypercall_dispatch(a->vcpus[0], &h), -EINVAL);
    assert_int_equal(pa_addr(a->vcpus[1]->vcpu_info), 0);
    r.offset = 64;
    memcpy(core_env_gpa(a, ARGS), &r, sizeof(r));
    assert_int_equal(hypercall_dispatch(a->vcpus[0], &h), 0);
    end(a);
}

static void test_bind_vcpu_moves_notification(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    uint32_t bport, aport = connect(a, b, &bport);
    struct vcpu_info *vi1 = core_env_gpa(b, FAKE_GUEST_RAM_BASE + 0x30000);
    struct evtchn_bind_vcpu bv = {.port = bport, .vcpu = 1};
    struct evtchn_send s = {.port = aport};

    (void)state;
    b->vcpus[1]->vcpu_info = va_pa(vi1); /* as VCPUOP_register_vcpu_info would */
    memset(vi1, 0, sizeof(*vi1));
    assert_int_equal(OP(b, EVTCHNOP_bind_vcpu, bv), 0);
    memset(shinfo(b)->evtchn_pending, 0, sizeof(shinfo(b)->evtchn_pending));
    assert_int_equal(OP(a, EVTCHNOP_send, s), 0);
    assert_int_equal(vi1->evtchn_upcall_pending, 1);
    assert_int_equal(b->vcpus[1]->arch.upcalls, 1);
    bv.vcpu = 5;
    assert_int_equal(OP(b, EVTCHNOP_bind_vcpu, bv), -ENOENT);
    end(a);
    end(b);
}

/* Regression: both ends of a channel closed at once from two CPUs. The loser of the race
 * found its end already unbound and dropped the connection's references a second time,
 * freeing a live domain (a quota BUG when it was freed again). */
struct closer {
    struct domain *d;
    uint32_t port;
    unsigned cpu;
};

static void *close_one(void *arg)
{
    struct closer *c = arg;
    struct evtchn_close cl = {.port = c->port};
    struct hypercall h = {.nr = __HYPERVISOR_event_channel_op, .a = {EVTCHNOP_close, ARGS}};

    arch_set_this_cpu(&pcpus[c->cpu]);
    memcpy(core_env_gpa(c->d, ARGS + 64 * c->cpu), &cl, sizeof(cl));
    h.a[1] = ARGS + 64 * c->cpu;
    (void)hypercall_dispatch(c->d->vcpus[0], &h);
    return NULL;
}

static void test_both_ends_closed_at_once(void **state)
{
    struct domain *a = start("a"), *b = start("b");

    (void)state;
    for (unsigned round = 0; round < 2000; round++) {
        uint32_t bport, aport = connect(a, b, &bport);
        uint32_t refs_a = a->refcnt, refs_b = b->refcnt;
        struct closer ca = {a, aport, 0}, cb = {b, bport, 1};
        pthread_t t[2];

        assert_int_equal(pthread_create(&t[0], NULL, close_one, &ca), 0);
        assert_int_equal(pthread_create(&t[1], NULL, close_one, &cb), 0);
        pthread_join(t[0], NULL);
        pthread_join(t[1], NULL);
        /* Each end held one reference on the other; both are gone, no more. */
        assert_int_equal(a->refcnt, refs_a - 1);
        assert_int_equal(b->refcnt, refs_b - 1);
        assert_int_equal(a->evtchn.nr_open + b->evtchn.nr_open, 0);
    }
    arch_set_this_cpu(&pcpus[0]);
    end(a);
    end(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_interdomain_send_sets_bits_and_upcall, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mask_and_unmask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_get_xen_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_and_ipi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_returns_with_an_event_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_virqs_and_the_singleshot_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_limit_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_domain_end_unbinds_its_peers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_vcpu_moves_notification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unaligned_vcpu_info_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_ends_closed_at_once, setup, teardown),
    };

    return cmocka_run_group_tests_name("evtchn", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * ioreq servers and stub domains (hypervisor/ioreq, docs/ioreq.md) through the
 * hypercalls a stub makes, against the fake arch: a server's life, its ranges and
 * limits, the held target, a round trip with its completion, the teardown of a server
 * with a vCPU waiting, foreign maps, and every refusal a stub meets outside its target.
 */
#include <stdio.h>

#include "core_env.h"

#include <xen/xen.h>

#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/ioreq.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#define RAM_SIZE  (64 * MIB)
#define GUEST_RAM (4 * MIB)
#define ARGS      (FAKE_GUEST_RAM_BASE + 0x10000) /* op structs in the caller's RAM */
#define BUF       (FAKE_GUEST_RAM_BASE + 0x11000) /* a second page: dm_op's buffer list */
#define LIST      (FAKE_GUEST_RAM_BASE + 0x12000) /* frame lists, errs */
#define WINDOW    (FAKE_GUEST_RAM_BASE + FAKE_GUEST_RAM_MAX) /* the foreign window */
#define DEV       0x0a000000ull

CORE_ENV_FIXTURE(RAM_SIZE)

static struct domain *create(const char *name, enum domain_role role)
{
    struct domain_config cfg = {.name = name, .role = role, .ram_size = GUEST_RAM, .nr_vcpus = 1};
    struct domain *d;

    assert_int_equal(domain_create(&cfg, &d), 0);
    return d;
}

/* A target @t (held) and its stub @s, both started. */
static void pair(struct domain **t, struct domain **s)
{
    *t = create("target", ROLE_GUEST);
    *s = create("stub", ROLE_STUB);
    assert_int_equal(domain_pair_stub(*s, *t), 0);
    (*t)->held = DOM_HOLD_WAIT;
    domain_start(*t, FAKE_GUEST_RAM_BASE, 0);
    domain_start(*s, FAKE_GUEST_RAM_BASE, 0);
}

static void end(struct domain *d)
{
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].curr = NULL;
    }
    domain_destroy(d);
}

/* XEN_DMOP_* as @caller on @domid: @op in its RAM, one buffer naming it. */
static int64_t dm(struct domain *caller, unsigned domid, struct xen_dm_op *op)
{
    uint64_t buf[2] = {ARGS, sizeof(*op)};
    int64_t rc;

    memcpy(core_env_gpa(caller, ARGS), op, sizeof(*op));
    memcpy(core_env_gpa(caller, BUF), buf, sizeof(buf));
    rc = core_env_hypercall(caller->vcpus[0], __HYPERVISOR_dm_op, domid, 1, BUF);
    memcpy(op, core_env_gpa(caller, ARGS), sizeof(*op));
    return rc;
}

static int64_t create_server(struct domain *s, unsigned domid, uint8_t bufioreq, uint16_t *id)
{
    struct xen_dm_op op = {.op = XEN_DMOP_create_ioreq_server};
    int64_t rc;

    op.u.create_ioreq_server.handle_bufioreq = bufioreq;
    rc = dm(s, domid, &op);
    if (id) {
        *id = op.u.create_ioreq_server.id;
    }
    return rc;
}

static int64_t range(struct domain *s, unsigned domid, bool map, uint32_t type, uint64_t start,
                     uint64_t end_)
{
    struct xen_dm_op op = {.op = map ? XEN_DMOP_map_io_range_to_ioreq_server
                                     : XEN_DMOP_unmap_io_range_from_ioreq_server};

    op.u.map_io_range_to_ioreq_server.type = type;
    op.u.map_io_range_to_ioreq_server.start = start;
    op.u.map_io_range_to_ioreq_server.end = end_;
    return dm(s, domid, &op);
}

static int64_t simple(struct domain *s, unsigned domid, uint32_t cmd, uint32_t arg)
{
    struct xen_dm_op op = {.op = cmd};

    if (cmd == XEN_DMOP_set_ioreq_server_state) {
        op.u.set_ioreq_server_state.enabled = (uint8_t)arg;
    } else if (cmd == XEN_DMOP_set_irq_level) {
        op.u.set_irq_level.irq = arg & 0xffff;
        op.u.set_irq_level.level = (uint8_t)(arg >> 16);
    }
    return dm(s, domid, &op);
}

/* memory_op @cmd as @d with struct @x (of @size) at ARGS. */
static int64_t mem(struct domain *d, unsigned cmd, void *x, size_t size)
{
    int64_t rc;

    memcpy(core_env_gpa(d, ARGS), x, size);
    rc = core_env_hypercall(d->vcpus[0], __HYPERVISOR_memory_op, cmd, ARGS, 0);
    memcpy(x, core_env_gpa(d, ARGS), size);
    return rc;
}

static int64_t acquire(struct domain *s, unsigned domid, uint64_t frame, uint64_t gfn)
{
    struct xen_mem_acquire_resource r = {.domid = (domid_t)domid,
                                         .type = XENMEM_resource_ioreq_server,
                                         .nr_frames = 1,
                                         .frame = frame};
    uint64_t list = LIST;

    memcpy(core_env_gpa(s, LIST), &gfn, sizeof(gfn));
    memcpy(&r.frame_list, &list, sizeof(list));
    return mem(s, XENMEM_acquire_resource, &r, sizeof(r));
}

/* One gmfn_foreign entry: the call's result, and errs[0] in @err. */
static int64_t foreign(struct domain *s, unsigned domid, uint64_t gfn, uint64_t gpfn, int *err)
{
    struct xen_add_to_physmap_batch b = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = 1};
    uint64_t idxs = LIST, gpfns = LIST + 8, errs = LIST + 16;
    int64_t rc;

    b.foreign_domid = (domid_t)domid; /* the host build sees the pre-4.7 layout */
    memcpy(&b.idxs, &idxs, 8);
    memcpy(&b.gpfns, &gpfns, 8);
    memcpy(&b.errs, &errs, 8);
    memcpy(core_env_gpa(s, LIST), &gfn, 8);
    memcpy(core_env_gpa(s, LIST + 8), &gpfn, 8);
    memset(core_env_gpa(s, LIST + 16), 0x55, 4);
    rc = mem(s, XENMEM_add_to_physmap_batch, &b, sizeof(b));
    memcpy(err, core_env_gpa(s, LIST + 16), sizeof(*err));
    return rc;
}

static int64_t ev(struct domain *d, int cmd, void *x, size_t size)
{
    int64_t rc;

    memcpy(core_env_gpa(d, ARGS), x, size);
    rc = core_env_hypercall(d->vcpus[0], __HYPERVISOR_event_channel_op, (uint64_t)cmd, ARGS, 0);
    memcpy(x, core_env_gpa(d, ARGS), size);
    return rc;
}

static bool mapped(struct domain *d, uint64_t gpa, paddr_t *pa)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    bool ok = p2m_lookup(l, ipa_init(gpa), pa, NULL) == 0;

    p2m_unlock(l);
    return ok;
}

static struct ioreq *slot0(struct domain *t)
{
    return pa_va(t->ioreq.page);
}

static uint8_t slot_state(struct domain *t)
{
    return ((uint8_t *)slot0(t))[30] & 0xf;
}

/* A server with the device range claimed, its page at WINDOW, its port bound: returns
 * the stub's port. */
static uint32_t serve(struct domain *t, struct domain *s)
{
    struct evtchn_bind_interdomain b = {.remote_dom = t->id};
    uint16_t id;

    assert_int_equal(create_server(s, t->id, 0, &id), 0);
    assert_int_equal(id, 0);
    assert_int_equal(acquire(s, t->id, 1, WINDOW >> 12), 0);
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, DEV, DEV + 0xfff), 0);
    b.remote_port = slot0(t)->vp_eport;
    assert_true(b.remote_port != 0);
    assert_int_equal(ev(s, EVTCHNOP_bind_interdomain, &b, sizeof(b)), 0);
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_ioreq_server_state, 1), 0);
    return b.local_port;
}

/* @t's vCPU 0 accesses @addr as the arch decoder would describe it. */
static int forward(struct domain *t, uint64_t addr, unsigned size, bool write, bool sign,
                   uint64_t data)
{
    struct vcpu *v = t->vcpus[0];

    pcpus[v->pcpu].curr = v;
    arch_set_this_cpu(&pcpus[v->pcpu]);
    v->mmio.size = (uint8_t)size;
    v->mmio.write = write;
    v->mmio.sign = sign;
    v->mmio.data = data;
    return ioreq_forward(v, addr);
}

static void reply(struct domain *s, struct domain *t, uint32_t port, uint64_t data)
{
    struct evtchn_send send = {.port = port};

    slot0(t)->data = data;
    ((uint8_t *)slot0(t))[30] = STATE_IORESP_READY;
    assert_int_equal(ev(s, EVTCHNOP_send, &send, sizeof(send)), 0);
}

static void test_server_life_ranges_and_limits(void **state)
{
    struct domain *t, *s;
    paddr_t pa;
    uint16_t id;

    (void)state;
    pair(&t, &s);
    assert_int_equal(create_server(s, t->id, 1, NULL), -EOPNOTSUPP); /* bufioreq */
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, DEV, DEV), -ENOENT);
    assert_int_equal(create_server(s, t->id, 0, &id), 0);
    assert_int_equal(create_server(s, t->id, 0, NULL), -ENOSPC);   /* one per target */
    assert_int_equal(acquire(s, t->id, 0, WINDOW >> 12), -EINVAL); /* bufioreq page */
    assert_int_equal(acquire(s, t->id, 2, WINDOW >> 12), -EINVAL);
    assert_int_equal(acquire(s, t->id, 1, FAKE_GUEST_RAM_BASE >> 12), -EINVAL); /* its RAM */
    assert_int_equal(acquire(s, t->id, 1, WINDOW >> 12), 0);
    assert_true(mapped(s, WINDOW, &pa));
    assert_int_equal(pa_addr(pa), pa_addr(t->ioreq.page));
    assert_true(slot0(t)->vp_eport != 0);
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_PORT, 0, 7), -EINVAL);
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, DEV + 8, DEV), -EINVAL);
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, FAKE_GUEST_RAM_BASE - 0x1000,
                           FAKE_GUEST_RAM_BASE),
                     -EINVAL); /* over the target's RAM */
    for (unsigned i = 0; i < IOREQ_MAX_RANGES; i++) {
        assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, DEV + i * 0x1000,
                               DEV + i * 0x1000 + 0xfff),
                         0);
    }
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, 0x1000000, 0x1000fff),
                     -ENOSPC);
    assert_int_equal(range(s, t->id, false, XEN_DMOP_IO_RANGE_MEMORY, DEV, DEV + 0xffe), -ENOENT);
    assert_int_equal(range(s, t->id, false, XEN_DMOP_IO_RANGE_MEMORY, DEV, DEV + 0xfff), 0);
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, DEV + 0x800, DEV + 0x1800),
                     -EEXIST); /* overlaps the second range */
    assert_int_equal(range(s, t->id, true, XEN_DMOP_IO_RANGE_MEMORY, DEV, DEV + 0xfff), 0);
    assert_int_equal(simple(s, t->id, XEN_DMOP_destroy_ioreq_server, 0), 0);
    assert_false(mapped(s, WINDOW, &pa)); /* the page left the stub before it was freed */
    assert_int_equal(simple(s, t->id, XEN_DMOP_destroy_ioreq_server, 0), -ENOENT);
    assert_int_equal(create_server(s, t->id, 0, &id), 0); /* and again */
    end(t);
    assert_false(t->ioreq.created);
    end(s);
}

static void test_target_held_until_enabled(void **state)
{
    struct domain *t, *s;

    (void)state;
    pair(&t, &s);
    assert_int_equal(t->vcpus[0]->state, VCPU_DOWN);
    assert_true(fake_console_contains("vCPUs held until its stub domain enables"));
    assert_int_equal(create_server(s, t->id, 0, NULL), 0);
    assert_int_equal(t->vcpus[0]->state, VCPU_DOWN);
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_ioreq_server_state, 1), 0);
    assert_int_equal(t->vcpus[0]->state, VCPU_RUNNABLE);
    assert_int_equal(t->vcpus[0]->arch.entry, FAKE_GUEST_RAM_BASE);
    /* Disable and enable again: started once only. */
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_ioreq_server_state, 0), 0);
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_ioreq_server_state, 1), 0);
    end(t);
    end(s);
}

/* A domain built at run time may be unpaused after its stub enabled its server: then
 * domain_start starts it at once (it used to wait forever). */
static void test_enabled_before_the_target_starts(void **state)
{
    struct domain *t = create("target", ROLE_GUEST), *s = create("stub", ROLE_STUB);

    (void)state;
    assert_int_equal(domain_pair_stub(s, t), 0);
    t->held = DOM_HOLD_WAIT;
    domain_start(s, FAKE_GUEST_RAM_BASE, 0);
    assert_int_equal(create_server(s, t->id, 0, NULL), 0);
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_ioreq_server_state, 1), 0);
    assert_int_equal(t->vcpus[0]->state, VCPU_DOWN);
    domain_start(t, FAKE_GUEST_RAM_BASE, 0);
    assert_int_equal(t->vcpus[0]->state, VCPU_RUNNABLE);
    assert_false(fake_console_contains("vCPUs held until its stub domain enables"));
    end(t);
    end(s);
}

static void test_round_trip_and_completion(void **state)
{
    struct domain *t, *s;
    struct vcpu *v;
    uint32_t port;
    uint64_t val = 0;

    (void)state;
    pair(&t, &s);
    port = serve(t, s);
    v = t->vcpus[0];
    assert_int_equal(forward(t, DEV + 0x1000, 4, false, false, 0), -ENOENT); /* unclaimed */
    assert_int_equal(forward(t, DEV + 0xffe, 4, false, false, 0), -ENOENT);  /* straddles */
    /* A signed 16-bit read. */
    assert_int_equal(forward(t, DEV + 0x10, 2, false, true, 0), 0);
    assert_int_equal(v->state, VCPU_IOREQ);
    assert_int_equal(slot_state(t), STATE_IOREQ_READY);
    assert_int_equal(slot0(t)->addr, DEV + 0x10);
    assert_int_equal(slot0(t)->size, 2);
    assert_int_equal(slot0(t)->dir, IOREQ_READ);
    assert_int_equal(slot0(t)->type, IOREQ_TYPE_COPY);
    /* An interrupt does not end the wait, nor a send before the response. */
    sched_wake(v);
    assert_int_equal(v->state, VCPU_IOREQ);
    {
        struct evtchn_send send = {.port = port};

        assert_int_equal(ev(s, EVTCHNOP_send, &send, sizeof(send)), 0);
    }
    assert_int_equal(v->state, VCPU_IOREQ);
    assert_false(ioreq_take_reply(&v->mmio, &val));
    reply(s, t, port, 0x8001);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_int_equal(slot_state(t), STATE_IOREQ_NONE);
    assert_true(ioreq_take_reply(&v->mmio, &val));
    assert_int_equal(val, 0xffffffffffff8001ull);   /* sign-extended */
    assert_false(ioreq_take_reply(&v->mmio, &val)); /* once */
    /* A 32-bit write: the data goes out, nothing comes back. */
    assert_int_equal(forward(t, DEV + 0x20, 4, true, false, 0xdeadbeef), 0);
    assert_int_equal(slot0(t)->data, 0xdeadbeef);
    assert_int_equal(slot0(t)->dir, IOREQ_WRITE);
    reply(s, t, port, 0x1234);
    assert_true(ioreq_take_reply(&v->mmio, &val));
    assert_int_equal(val, 0);
    /* An unsigned byte read keeps only its byte. */
    assert_int_equal(forward(t, DEV, 1, false, false, 0), 0);
    reply(s, t, port, 0xffffffffffffff80ull);
    assert_true(ioreq_take_reply(&v->mmio, &val));
    assert_int_equal(val, 0x80);
    end(t);
    end(s);
}

static void test_teardown_while_blocked(void **state)
{
    struct domain *t, *s;
    struct vcpu *v;
    uint64_t val = 0;

    (void)state;
    pair(&t, &s);
    (void)serve(t, s);
    v = t->vcpus[0];
    assert_int_equal(forward(t, DEV + 8, 8, false, false, 0), 0);
    assert_int_equal(v->state, VCPU_IOREQ);
    /* The stub takes its server down: the vCPU is not left waiting; the bus floats. */
    assert_int_equal(simple(s, t->id, XEN_DMOP_destroy_ioreq_server, 0), 0);
    assert_int_equal(v->state, VCPU_RUNNABLE);
    assert_true(ioreq_take_reply(&v->mmio, &val));
    assert_int_equal(val, ~0ull);
    /* Again, and this time the stub dies: the target is crashed (policy), the server and
     * its page are gone, no vCPU waits. */
    (void)serve(t, s);
    assert_int_equal(forward(t, DEV + 8, 8, false, false, 0), 0);
    domain_crash(s, "test");
    assert_int_equal(t->state, DOM_DYING);
    assert_true(fake_console_contains("crashed: its stub domain d"));
    end(s);
    assert_false(t->ioreq.created);
    assert_false(v->mmio.waiting);
    end(t);
}

static void test_target_end_ends_stub(void **state)
{
    struct domain *t, *s;

    (void)state;
    pair(&t, &s);
    (void)serve(t, s);
    domain_shutdown(t, 0 /* SHUTDOWN_poweroff */);
    assert_int_equal(s->state, DOM_DYING);
    assert_true(fake_console_contains("destroyed: its target d"));
    end(t);
    end(s);
}

static void test_foreign_maps(void **state)
{
    struct domain *t, *s;
    paddr_t pa, tpa;
    int err = 1;
    struct xen_remove_from_physmap rm = {.domid = DOMID_SELF, .gpfn = (WINDOW >> 12) + 5};

    (void)state;
    pair(&t, &s);
    assert_int_equal(foreign(s, t->id, (FAKE_GUEST_RAM_BASE >> 12) + 3, (WINDOW >> 12) + 5, &err),
                     0);
    assert_int_equal(err, 0);
    assert_true(mapped(s, WINDOW + 5 * 4096, &pa));
    assert_true(mapped(t, FAKE_GUEST_RAM_BASE + 3 * 4096, &tpa));
    assert_int_equal(pa_addr(pa), pa_addr(tpa));
    /* Not RAM of the target (its shared_info is not mapped, nothing is at 0): -EPERM. */
    assert_int_equal(foreign(s, t->id, 0, (WINDOW >> 12) + 6, &err), 0);
    assert_int_equal(err, -EPERM);
    /* Outside the window, over its own RAM: -EINVAL. */
    assert_int_equal(foreign(s, t->id, FAKE_GUEST_RAM_BASE >> 12, FAKE_GUEST_RAM_BASE >> 12, &err),
                     0);
    assert_int_equal(err, -EINVAL);
    assert_int_equal(mem(s, XENMEM_remove_from_physmap, &rm, sizeof(rm)), 0);
    assert_false(mapped(s, WINDOW + 5 * 4096, &pa));
    rm.gpfn = FAKE_GUEST_RAM_BASE >> 12;
    assert_int_equal(mem(s, XENMEM_remove_from_physmap, &rm, sizeof(rm)), -EINVAL);
    /* Mapped again, then the stub ends while mapping: the target's pages are freed only
     * after the stub (teardown checks every page came back). */
    assert_int_equal(foreign(s, t->id, (FAKE_GUEST_RAM_BASE >> 12) + 3, (WINDOW >> 12) + 5, &err),
                     0);
    end(t);
    end(s);
}

static void test_refusals(void **state)
{
    struct domain *t, *s, *g = create("other", ROLE_GUEST);
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
    struct evtchn_bind_interdomain bi = {.remote_port = 1};
    struct gnttab_map_grant_ref gm = {.host_addr = WINDOW, .flags = GNTMAP_host_map};
    int err = 0;

    (void)state;
    pair(&t, &s);
    domain_start(g, FAKE_GUEST_RAM_BASE, 0);
    a.remote_dom = g->id;
    bi.remote_dom = g->id;
    gm.dom = g->id;
    /* A stub on another guest. */
    assert_int_equal(create_server(s, g->id, 0, NULL), -EPERM);
    assert_int_equal(range(s, g->id, true, XEN_DMOP_IO_RANGE_MEMORY, DEV, DEV), -EPERM);
    assert_int_equal(simple(s, g->id, XEN_DMOP_set_ioreq_server_state, 1), -EPERM);
    assert_int_equal(simple(s, g->id, XEN_DMOP_destroy_ioreq_server, 0), -EPERM);
    assert_int_equal(simple(s, g->id, XEN_DMOP_set_irq_level, 40 | 1 << 16), -EPERM);
    assert_int_equal(simple(s, DOMID_SELF, XEN_DMOP_set_irq_level, 40 | 1 << 16), -EPERM);
    assert_int_equal(acquire(s, g->id, 1, WINDOW >> 12), -EPERM);
    assert_int_equal(foreign(s, g->id, FAKE_GUEST_RAM_BASE >> 12, WINDOW >> 12, &err), -EPERM);
    assert_int_equal(ev(s, EVTCHNOP_alloc_unbound, &a, sizeof(a)), -EPERM);
    assert_int_equal(ev(s, EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -EPERM);
    memcpy(core_env_gpa(s, ARGS), &gm, sizeof(gm));
    assert_int_equal(core_env_hypercall(s->vcpus[0], __HYPERVISOR_grant_table_op,
                                        GNTTABOP_map_grant_ref, ARGS, 1),
                     0);
    memcpy(&gm, core_env_gpa(s, ARGS), sizeof(gm));
    assert_int_equal(gm.status, GNTST_permission_denied);
    {
        struct gnttab_copy c = {.flags = GNTCOPY_source_gref, .len = 8};

        c.source.domid = g->id;
        c.source.u.ref = 0;
        c.dest.domid = DOMID_SELF;
        c.dest.u.gmfn = FAKE_GUEST_RAM_BASE >> 12;
        memcpy(core_env_gpa(s, ARGS), &c, sizeof(c));
        assert_int_equal(
            core_env_hypercall(s->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_copy, ARGS, 1),
            0);
        memcpy(&c, core_env_gpa(s, ARGS), sizeof(c));
        assert_int_equal(c.status, GNTST_permission_denied);
    }
    assert_true(fake_console_contains("stub domain: dm_op on d"));
    assert_true(fake_console_contains("stub domain: grant map on d"));
    /* Malformed or misdirected memory ops and buffers. */
    {
        struct xen_remove_from_physmap rm = {.domid = g->id, .gpfn = WINDOW >> 12};
        struct xen_add_to_physmap_batch b = {.domid = g->id, .space = XENMAPSPACE_gmfn_foreign};
        struct xen_mem_acquire_resource r = {
            .domid = t->id, .type = XENMEM_resource_grant_table, .nr_frames = 1};
        uint64_t buf[2] = {ARGS, 4};

        assert_int_equal(mem(s, XENMEM_remove_from_physmap, &rm, sizeof(rm)), -EPERM);
        assert_int_equal(mem(s, XENMEM_add_to_physmap_batch, &b, sizeof(b)), -EPERM);
        b.domid = DOMID_SELF;
        b.space = XENMAPSPACE_shared_info;
        assert_int_equal(mem(s, XENMEM_add_to_physmap_batch, &b, sizeof(b)), -EOPNOTSUPP);
        assert_int_equal(mem(s, XENMEM_acquire_resource, &r, sizeof(r)), -EOPNOTSUPP);
        r.type = XENMEM_resource_ioreq_server;
        r.nr_frames = 2;
        assert_int_equal(mem(s, XENMEM_acquire_resource, &r, sizeof(r)), -EINVAL);
        assert_int_equal(core_env_hypercall(s->vcpus[0], __HYPERVISOR_dm_op, t->id, 0, BUF),
                         -E2BIG);
        assert_int_equal(core_env_hypercall(s->vcpus[0], __HYPERVISOR_dm_op, t->id, 5, BUF),
                         -E2BIG);
        memcpy(core_env_gpa(s, BUF), buf, sizeof(buf)); /* shorter than the op's header */
        assert_int_equal(core_env_hypercall(s->vcpus[0], __HYPERVISOR_dm_op, t->id, 1, BUF),
                         -EFAULT);
        assert_int_equal(core_env_hypercall(s->vcpus[0], __HYPERVISOR_dm_op, t->id, 1, 0x10),
                         -EFAULT);
    }
    /* A plain guest is no device model, even of itself; nor of the stub's target. */
    assert_int_equal(create_server(g, g->id, 0, NULL), -EPERM);
    assert_int_equal(create_server(g, t->id, 0, NULL), -EPERM);
    assert_int_equal(acquire(g, t->id, 1, WINDOW >> 12), -EPERM);
    assert_int_equal(foreign(g, t->id, FAKE_GUEST_RAM_BASE >> 12, WINDOW >> 12, &err), -EPERM);
    /* The stub on its target: bad lines and levels, and ops that do not exist. */
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_irq_level, 31 | 1 << 16), -EINVAL);
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_irq_level, 40 | 2 << 16), -EINVAL);
    assert_int_equal(simple(s, t->id, XEN_DMOP_set_irq_level, 40 | 1 << 16), 0);
    assert_true(t->arch.irq_level[1] & (1u << 8));
    assert_int_equal(simple(s, t->id, XEN_DMOP_track_dirty_vram, 0), -EOPNOTSUPP);
    /* The rate limit: at most 16 lines, then one saying so. */
    for (unsigned i = 0; i < 40; i++) {
        (void)create_server(s, g->id, 0, NULL);
    }
    assert_true(fake_console_contains("further refusals not logged"));
    end(t);
    end(s);
    end(g);
}

static void test_pairing_rules(void **state)
{
    struct domain *t = create("t", ROLE_GUEST), *s = create("s", ROLE_STUB);
    struct domain *s2 = create("s2", ROLE_STUB), *g = create("g", ROLE_GUEST);

    (void)state;
    assert_int_equal(domain_pair_stub(g, t), -EINVAL);  /* not a stub */
    assert_int_equal(domain_pair_stub(s, s2), -EINVAL); /* a stub of a stub */
    assert_int_equal(domain_pair_stub(s, s), -EINVAL);
    assert_int_equal(domain_pair_stub(s, t), 0);
    assert_int_equal(domain_pair_stub(s2, t), -EEXIST); /* one stub per guest */
    assert_int_equal(domain_pair_stub(s, g), -EEXIST);  /* one target per stub */
    domain_destroy(s2);
    domain_destroy(g);
    domain_destroy(t);
    domain_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server_life_ranges_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_held_until_enabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enabled_before_the_target_starts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_and_completion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_teardown_while_blocked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_end_ends_stub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pairing_rules, setup, teardown),
    };

    return cmocka_run_group_tests_name("ioreq", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Magic pages (hypervisor/magic; docs/xenstored.md "Domains' rings") against the fake
 * arch: with a control domain on the board, a boot-time domain and a domctl-built one get
 * their console and xenstore pages at Xen's GFNs, grant refs 0 and 1 seeded for the
 * control domain, two ports unbound to it, and HVM params that follow the protocol
 * (STORE_PFN ~0 until xenstored says CONNECTED, console params once its port is bound);
 * the control domain reaches them through ordinary grant maps and binds, nothing more;
 * a stub gets them too without new rights; everything is freed with the domain; no
 * control domain (or a full quota) leaves things as they were.
 */
#include <bulkhead/xen_domctl.h> /* first: it picks the host build's interface version */

#include <inttypes.h>
#include <stdio.h>

#include "core_env.h"

#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>
#include <xen/sched.h>
#include <xen/xen.h>

#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/gnttab.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/magic.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#define RAM_SIZE    (96 * MIB)
#define GUEST_RAM   (4 * MIB)
#define G(off)      (FAKE_GUEST_RAM_BASE + (off))
#define ARGS        G(0x10000)
#define MAPAT       G(0x200000) /* where the control domain maps grants */
#define CONSOLE_GFN (FAKE_GUEST_MAGIC_BASE >> PAGE_SHIFT)
#define STORE_GFN   (CONSOLE_GFN + 1)

/* The rest of the host build sees Xen's interface version 0 (see test_domctl.c). */
#define HC_EVTCHN_OP __HYPERVISOR_event_channel_op_compat

CORE_ENV_FIXTURE(RAM_SIZE)

/* A boot-time domain as dom0less builds it: created, its magic given, started. */
static struct domain *boot(const char *name, enum domain_role role)
{
    struct domain_config cfg = {.name = name, .role = role, .ram_size = GUEST_RAM, .nr_vcpus = 1};
    struct domain *d;

    assert_int_equal(domain_create(&cfg, &d), 0);
    assert_int_equal(magic_setup(d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    return d;
}

static void end(struct domain *d)
{
    core_env_reap();
    domain_shutdown(d, SHUTDOWN_poweroff);
    core_env_reap();
}

/* Hypercall @nr(@cmd, ARGS, @count) as @d with @size bytes of @op copied in and out. */
static int64_t call(struct domain *d, uint64_t nr, uint64_t cmd, void *op, size_t size,
                    uint64_t count)
{
    int64_t rc;

    memcpy(core_env_gpa(d, ARGS), op, size);
    rc = core_env_hypercall(d->vcpus[0], nr, cmd, ARGS, count);
    memcpy(op, core_env_gpa(d, ARGS), size);
    return rc;
}

/* HVM param @index of domain @of as @d sees it (its value in *@value); the return code. */
static int64_t param(struct domain *d, domid_t of, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = of, .index = index, .value = 0x5a5a};
    int64_t rc = call(d, __HYPERVISOR_hvm_op, HVMOP_get_param, &p, sizeof(p), 0);

    *value = p.value;
    return rc;
}

static int64_t domctl(struct domain *c, struct xen_domctl *op)
{
    int64_t rc;

    memcpy(core_env_gpa(c, ARGS), op, sizeof(*op));
    rc = core_env_hypercall(c->vcpus[0], __HYPERVISOR_domctl, ARGS, 0, 0);
    memcpy(op, core_env_gpa(c, ARGS), sizeof(*op));
    return rc;
}

static uint64_t own(struct domain *d, uint32_t index)
{
    uint64_t v;

    assert_int_equal(param(d, DOMID_SELF, index, &v), 0);
    return v;
}

static int16_t map(struct domain *m, struct domain *g, uint32_t ref, uint64_t at, grant_handle_t *h)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = at, .flags = GNTMAP_host_map, .ref = ref, .dom = g->id};

    assert_int_equal(
        call(m, __HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, &op, sizeof(op), 1), 0);
    if (h) {
        *h = op.handle;
    }
    return op.status;
}

static void unmap(struct domain *m, grant_handle_t h)
{
    struct gnttab_unmap_grant_ref op = {.handle = h};

    assert_int_equal(
        call(m, __HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, &op, sizeof(op), 1), 0);
    assert_int_equal(op.status, GNTST_okay);
}

static int64_t bind(struct domain *c, struct domain *d, uint32_t port, uint32_t *local)
{
    struct evtchn_bind_interdomain b = {.remote_dom = d->id, .remote_port = port};
    int64_t rc = call(c, HC_EVTCHN_OP, EVTCHNOP_bind_interdomain, &b, sizeof(b), 0);

    *local = b.local_port;
    return rc;
}

static int64_t send(struct domain *d, uint32_t port)
{
    struct evtchn_send s = {.port = port};

    return call(d, HC_EVTCHN_OP, EVTCHNOP_send, &s, sizeof(s), 0);
}

static bool pending(struct domain *d, uint32_t port)
{
    struct shared_info *s = pa_va(d->shared_info);

    return (s->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static bool mapped_at(struct domain *d, uint64_t gfn, paddr_t *pa)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    bool ok = p2m_lookup(l, ipa_init(gfn << PAGE_SHIFT), pa, NULL) == 0;

    p2m_unlock(l);
    return ok;
}

/* The grant entry @ref of @d's table as the hypervisor seeded it. */
static struct grant_entry_v1 *entry(struct domain *d, uint32_t ref)
{
    return &((struct grant_entry_v1 *)pa_va(d->gnttab.frames[0]))[ref];
}

/* No control domain: nothing given, every parameter 0 (the behaviour before). */
static void test_no_control_domain_nothing_changes(void **state)
{
    struct domain *g = boot("g", ROLE_GUEST);
    uint64_t used = quota_used(&g->quota);
    paddr_t pa;

    (void)state;
    assert_false(g->magic.present);
    assert_false(mapped_at(g, CONSOLE_GFN, &pa));
    assert_false(mapped_at(g, STORE_GFN, &pa));
    assert_int_equal(g->gnttab.nr_frames, 0);
    assert_int_equal(g->evtchn.nr_open, 0);
    for (uint32_t i = 0; i < HVM_NR_PARAMS; i++) {
        assert_int_equal(own(g, i), 0);
    }
    assert_int_equal(quota_used(&g->quota), used);
    end(g);
}

/* Pages, grants, ports and params of a boot-time guest; the control domain's own none. */
static void test_pages_grants_ports_params(void **state)
{
    struct domain *plain = boot("plain", ROLE_GUEST); /* before the control domain: none */
    struct domain *c = boot("ctl", ROLE_CONTROL), *g = boot("g", ROLE_GUEST);
    uint64_t cost = quota_used(&g->quota) - quota_used(&plain->quota);
    struct evtchn_status st;
    paddr_t pa[2];
    uint64_t v;

    (void)state;
    /* What they cost the domain fits the allowance made for them. */
    printf("magic pages cost %" PRIu64 " pages of quota (allowance %u)\n", cost, MAGIC_QUOTA_PAGES);
    assert_false(plain->magic.present);
    assert_true(cost > MAGIC_PAGES && cost <= MAGIC_QUOTA_PAGES);
    end(plain);
    assert_false(c->magic.present); /* dom0-lite serves them: it has none */
    assert_false(mapped_at(c, CONSOLE_GFN, &pa[0]));
    assert_true(g->magic.present);
    /* At Xen's GFNs (GUEST_MAGIC_BASE + CONSOLE_PFN_OFFSET / XENSTORE_PFN_OFFSET). */
    assert_int_equal(magic_gfn(MAGIC_CONSOLE), 0x39000);
    assert_int_equal(magic_gfn(MAGIC_STORE), 0x39001);
    assert_true(mapped_at(g, CONSOLE_GFN, &pa[0]));
    assert_true(mapped_at(g, STORE_GFN, &pa[1]));
    assert_true(pa_addr(pa[0]) == pa_addr(g->magic.page[0]));
    assert_true(pa_addr(pa[1]) == pa_addr(g->magic.page[1]));
    assert_true(domain_owns_ram(g, pa[0]) && domain_owns_ram(g, pa[1]));
    assert_int_equal(g->ram_pages, GUEST_RAM >> PAGE_SHIFT); /* not RAM */
    /* Zeroed, but for the store's "not connected yet". */
    struct xenstore_domain_interface *xs = core_env_gpa(g, STORE_GFN << PAGE_SHIFT);
    uint8_t *cons = core_env_gpa(g, CONSOLE_GFN << PAGE_SHIFT);

    assert_int_equal(xs->connection, XENSTORE_RECONNECT);
    assert_int_equal(xs->req_prod + xs->req_cons + xs->rsp_prod + xs->rsp_cons, 0);
    for (unsigned i = 0; i < PAGE_SIZE; i++) {
        assert_int_equal(cons[i], 0);
    }
    /* Grant refs 0 and 1: the control domain, read/write, the magic frames. */
    assert_int_equal(entry(g, GNTTAB_RESERVED_CONSOLE)->flags, GTF_permit_access);
    assert_int_equal(entry(g, GNTTAB_RESERVED_CONSOLE)->domid, c->id);
    assert_int_equal(entry(g, GNTTAB_RESERVED_CONSOLE)->frame, CONSOLE_GFN);
    assert_int_equal(entry(g, GNTTAB_RESERVED_XENSTORE)->flags, GTF_permit_access);
    assert_int_equal(entry(g, GNTTAB_RESERVED_XENSTORE)->domid, c->id);
    assert_int_equal(entry(g, GNTTAB_RESERVED_XENSTORE)->frame, STORE_GFN);
    assert_int_equal(entry(g, 2)->flags, 0);
    /* Ports: unbound, remote = the control domain; the store's first, as libxl. */
    assert_int_equal(g->magic.port[MAGIC_STORE], 1);
    assert_int_equal(g->magic.port[MAGIC_CONSOLE], 2);
    for (unsigned i = 0; i < MAGIC_PAGES; i++) {
        st = (struct evtchn_status){.dom = DOMID_SELF, .port = g->magic.port[i]};
        assert_int_equal(call(g, HC_EVTCHN_OP, EVTCHNOP_status, &st, sizeof(st), 0), 0);
        assert_int_equal(st.status, EVTCHNSTAT_unbound);
        assert_int_equal(st.u.unbound.dom, c->id);
    }
    /* The domain's view before any back end: store port, "not yet", no console. */
    assert_int_equal(own(g, HVM_PARAM_STORE_EVTCHN), 1);
    assert_true(own(g, HVM_PARAM_STORE_PFN) == ~0ull);
    assert_int_equal(own(g, HVM_PARAM_CONSOLE_EVTCHN), 0);
    assert_int_equal(own(g, HVM_PARAM_CONSOLE_PFN), 0);
    assert_int_equal(own(g, HVM_PARAM_CALLBACK_IRQ), 0);
    /* The same through its own id. */
    assert_int_equal(param(g, g->id, HVM_PARAM_STORE_EVTCHN, &v), 0);
    assert_int_equal(v, 1);
    /* The control domain's view: the values. */
    assert_int_equal(param(c, g->id, HVM_PARAM_STORE_PFN, &v), 0);
    assert_int_equal(v, STORE_GFN);
    assert_int_equal(param(c, g->id, HVM_PARAM_CONSOLE_PFN, &v), 0);
    assert_int_equal(v, CONSOLE_GFN);
    assert_int_equal(param(c, g->id, HVM_PARAM_CONSOLE_EVTCHN, &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(param(c, 60, HVM_PARAM_STORE_PFN, &v), -ESRCH);
    /* The control domain reads its own: none. */
    assert_int_equal(own(c, HVM_PARAM_STORE_PFN), 0);
    end(g);
    end(c);
}

/* The protocol end to end: the control domain maps refs 1 and 0, binds the ports, says
 * CONNECTED and notifies; the guest then sees its params and the ring; both ways work. */
static void test_control_connects_through_grants_and_ports(void **state)
{
    struct domain *c = boot("ctl", ROLE_CONTROL), *g = boot("g", ROLE_GUEST);
    struct domain *other = boot("other", ROLE_GUEST);
    uint32_t store, console;
    grant_handle_t hs, hc;

    (void)state;
    assert_int_equal(map(c, g, GNTTAB_RESERVED_XENSTORE, MAPAT, &hs), GNTST_okay);
    assert_int_equal(map(c, g, GNTTAB_RESERVED_CONSOLE, MAPAT + PAGE_SIZE, &hc), GNTST_okay);
    assert_int_equal(bind(c, g, g->magic.port[MAGIC_CONSOLE], &console), 0);
    /* A bound console: the guest now sees its console params. */
    assert_int_equal(own(g, HVM_PARAM_CONSOLE_EVTCHN), g->magic.port[MAGIC_CONSOLE]);
    assert_int_equal(own(g, HVM_PARAM_CONSOLE_PFN), CONSOLE_GFN);
    /* Not yet for the store: bound, but not CONNECTED. */
    assert_int_equal(bind(c, g, g->magic.port[MAGIC_STORE], &store), 0);
    assert_true(own(g, HVM_PARAM_STORE_PFN) == ~0ull);
    struct xenstore_domain_interface *xs = core_env_gpa(c, MAPAT);

    strcpy(xs->rsp, "marker from xenstored");
    xs->connection = XENSTORE_CONNECTED;
    assert_int_equal(send(c, store), 0);
    assert_true(pending(g, g->magic.port[MAGIC_STORE]));
    assert_int_equal(own(g, HVM_PARAM_STORE_PFN), STORE_GFN);
    assert_string_equal(
        ((struct xenstore_domain_interface *)core_env_gpa(g, STORE_GFN << PAGE_SHIFT))->rsp,
        "marker from xenstored");
    /* The guest answers on its port. */
    assert_int_equal(send(g, g->magic.port[MAGIC_STORE]), 0);
    assert_true(pending(c, store));
    /* Only what was granted: no ref 2, not another domain's refs, not a third party. */
    assert_int_equal(map(c, g, 2, MAPAT + 2 * PAGE_SIZE, NULL), GNTST_bad_gntref);
    assert_int_equal(map(g, other, GNTTAB_RESERVED_XENSTORE, MAPAT, NULL), GNTST_bad_gntref);
    assert_int_equal(bind(g, other, other->magic.port[MAGIC_STORE], &store), -EINVAL);
    /* Nobody but the domain and the control domain reads its params. */
    uint64_t v;

    assert_int_equal(param(other, g->id, HVM_PARAM_STORE_EVTCHN, &v), -EPERM);
    assert_int_equal(param(other, g->id, HVM_PARAM_CONSOLE_PFN, &v), -EPERM);
    unmap(c, hs);
    unmap(c, hc);
    end(other);
    end(g);
    end(c);
}

/* The guest dies while the control domain still maps its store page: the page stays
 * until the mapping goes, then everything is back (teardown checks the allocator). */
static void test_freed_with_the_domain(void **state)
{
    struct domain *c = boot("ctl", ROLE_CONTROL), *g = boot("g", ROLE_GUEST);
    grant_handle_t h;
    uint32_t port;

    (void)state;
    assert_int_equal(map(c, g, GNTTAB_RESERVED_XENSTORE, MAPAT, &h), GNTST_okay);
    assert_int_equal(bind(c, g, g->magic.port[MAGIC_STORE], &port), 0);
    end(g);
    /* Still readable through the grant; the port went back to unbound on our side. */
    ((struct xenstore_domain_interface *)core_env_gpa(c, MAPAT))->connection = XENSTORE_CONNECTED;
    unmap(c, h);
    end(c);
}

/* A domain whose quota cannot take them is not created, with a line saying why. */
static void test_no_room_fails_creation_clearly(void **state)
{
    struct domain *c = boot("ctl", ROLE_CONTROL);
    struct domain_config cfg = {.name = "tight", .ram_size = GUEST_RAM, .nr_vcpus = 1};
    struct domain *d;

    (void)state;
    assert_int_equal(domain_create(&cfg, &d), 0);
    d->quota.max = quota_used(&d->quota) + 1; /* one page short */
    fake_console_reset();
    assert_int_equal(magic_setup(d), -ENOMEM);
    assert_true(fake_console_contains("no room for its xenstore and console pages"));
    assert_false(d->magic.present);
    domain_destroy(d); /* what was given goes with it: teardown counts the pages */
    end(c);
}

/* XEN_DOMCTL_createdomain: the new domain has them from the start; destroyed, they go. */
static void test_domctl_domain_gets_them(void **state)
{
    struct domain *c = boot("ctl", ROLE_CONTROL);
    struct xen_domctl op = {.cmd = XEN_DOMCTL_createdomain,
                            .interface_version = XEN_DOMCTL_INTERFACE_VERSION};
    struct domain *d;
    uint64_t v;

    (void)state;
    op.u.createdomain.max_vcpus = 1;
    op.u.createdomain.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    assert_int_equal(domctl(c, &op), 0);
    d = domain_get(op.domain);
    assert_non_null(d);
    assert_true(d->magic.present);
    assert_true(mapped_at(d, STORE_GFN, &(paddr_t){0}));
    assert_int_equal(entry(d, GNTTAB_RESERVED_XENSTORE)->domid, c->id);
    assert_int_equal(param(c, d->id, HVM_PARAM_STORE_EVTCHN, &v), 0);
    assert_int_equal(v, d->magic.port[MAGIC_STORE]);
    domain_put(d);
    op = (struct xen_domctl){.cmd = XEN_DOMCTL_destroydomain,
                             .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                             .domain = op.domain};
    assert_int_equal(domctl(c, &op), 0);
    assert_null(domain_get_any(op.domain));
    end(c);
}

/* The host runs out under a domctl creation: the half-built domain goes, -ENOMEM, and
 * every page comes back. Free pages are let out one by one until creation gets as far as
 * the magic pages (7 pages more than a bare domain) and fails there. */
static void test_domctl_out_of_memory(void **state)
{
    struct domain *c = boot("ctl", ROLE_CONTROL);
    struct xen_domctl op = {.cmd = XEN_DOMCTL_createdomain,
                            .interface_version = XEN_DOMCTL_INTERFACE_VERSION};
    uint64_t *hoard = NULL, before;
    bool magic_failed = false;
    paddr_t pa;

    (void)state;
    while (page_alloc_zeroed(0, &pa) == 0) {
        *(uint64_t **)pa_va(pa) = hoard;
        hoard = pa_va(pa);
    }
    for (unsigned i = 0; i < 64 && !magic_failed && hoard; i++) {
        uint64_t *next = *(uint64_t **)hoard;

        page_free(va_pa(hoard), 0); /* one more free page */
        hoard = next;
        before = page_alloc_free_pages();
        op.u.createdomain.max_vcpus = 1;
        op.domain = 0;
        fake_console_reset();
        assert_int_equal(domctl(c, &op), -ENOMEM); /* never enough for all of it */
        assert_int_equal(page_alloc_free_pages(), before);
        magic_failed = fake_console_contains("no room for its xenstore and console pages");
    }
    assert_true(magic_failed);
    while (hoard) {
        uint64_t *next = *(uint64_t **)hoard;

        page_free(va_pa(hoard), 0);
        hoard = next;
    }
    end(c);
}

/* A stub domain has its own (as Xen's stubdoms do), reachable by the control domain; its
 * refusals are unchanged. */
static void test_stub_has_them_and_no_new_rights(void **state)
{
    struct domain *c = boot("ctl", ROLE_CONTROL), *g = boot("g", ROLE_GUEST);
    struct domain *s = boot("g-dm", ROLE_STUB);
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = c->id};
    uint32_t port, other;
    grant_handle_t h;

    (void)state;
    assert_int_equal(domain_pair_stub(s, g), 0);
    assert_true(s->magic.present);
    assert_int_equal(map(c, s, GNTTAB_RESERVED_XENSTORE, MAPAT, &h), GNTST_okay);
    assert_int_equal(bind(c, s, s->magic.port[MAGIC_STORE], &port), 0);
    assert_int_equal(send(s, s->magic.port[MAGIC_STORE]), 0);
    assert_true(pending(c, port));
    /* Still refused: a channel of its own making to the control domain, its grants, and
     * reaching its target's magic (the target's grants name the control domain only). */
    assert_int_equal(call(s, HC_EVTCHN_OP, EVTCHNOP_alloc_unbound, &a, sizeof(a), 0), -EPERM);
    assert_int_equal(map(s, c, 0, MAPAT, NULL), GNTST_permission_denied);
    assert_int_equal(map(s, g, GNTTAB_RESERVED_XENSTORE, MAPAT, NULL), GNTST_bad_gntref);
    assert_int_equal(bind(s, g, g->magic.port[MAGIC_STORE], &other), -EINVAL);
    unmap(c, h);
    end(g); /* its stub follows */
    core_env_reap();
    end(c);
}

/* Nobody sets parameters. */
static void test_set_param_refused(void **state)
{
    struct domain *c = boot("ctl", ROLE_CONTROL), *g = boot("g", ROLE_GUEST);
    struct xen_hvm_param p = {.domid = g->id, .index = HVM_PARAM_STORE_PFN, .value = 0x1234};

    (void)state;
    assert_int_equal(call(c, __HYPERVISOR_hvm_op, HVMOP_set_param, &p, sizeof(p), 0), -EPERM);
    p.domid = DOMID_SELF;
    assert_int_equal(call(g, __HYPERVISOR_hvm_op, HVMOP_set_param, &p, sizeof(p), 0), -EPERM);
    assert_int_equal(param(c, g->id, HVM_PARAM_STORE_PFN, &p.value), 0);
    assert_int_equal(p.value, STORE_GFN);
    end(g);
    end(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_control_domain_nothing_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_grants_ports_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_connects_through_grants_and_ports, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_freed_with_the_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_room_fails_creation_clearly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domctl_domain_gets_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domctl_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stub_has_them_and_no_new_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_param_refused, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * magic: the xenstore and console magic pages (hypervisor/magic; docs/xenstored.md
 * "Domains' rings") seen from both ends, the way dom0-lite's xenstored and a Linux
 * guest's xenbus use them.
 *
 * `side=serve peer=<domid>`, booted with role = "control": reads the peer's params
 * (HVMOP_get_param on another domain: the control domain's right), maps its grant refs 1
 * (xenstore) and 0 (console) with ordinary GNTTABOP_map_grant_ref, is refused ref 2, ref 8
 * and a domain that does not exist, binds both ports, writes a marker into the store page,
 * says XENSTORE_CONNECTED and notifies; then waits for the peer's answer on the port and
 * in both pages.
 *
 * `side=xenstored peer=<domid>`, role = "control": the same connection (store only) for a
 * Linux peer, then a minimal xenstore server on the ring (every read ENOENT, everything
 * else OK) until the peer is gone, printing the first requests (tests/e2e).
 * `after_vcpu1=<ms>` connects only that long after the peer's vCPU 1 came up.
 *
 * `side=absent peer=<domid>`, role = "control": serves nothing, stays until the peer is gone.
 *
 * `side=client peer=<domid>`: reads its own params: the store port from the start,
 * STORE_PFN ~0 until the server has connected (then an event on the store port), then the
 * magic GFN, where it finds the marker; its console params once the server bound the
 * console port; answers in both pages and on the store port. It may not read the
 * control domain's params.
 */
#include <stdint.h>
#include <string.h>

/* First: hvm/ headers include "../xen.h" by path. */
#include <xen/xen.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "dom/test.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>
#include <xen/sched.h>

/* GUEST_MAGIC_BASE (docs/xenstored.md): console page, then the xenstore page. */
#ifdef __riscv
#define MAGIC_BASE 0x1f000000ul
#else
#define MAGIC_BASE 0x39000000ul
#endif
#define CONSOLE_GFN (MAGIC_BASE >> 12)
#define STORE_GFN   (CONSOLE_GFN + 1)
#define WAIT_MS     20000

static const char marker[] = "MAGIC-MARKER from xenstored";
static const char answer[] = "MAGIC-ANSWER from the guest";
static const char cons_answer[] = "MAGIC-CONSOLE from the guest";

static long param(domid_t dom, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = dom, .index = index, .value = 0x5a5a};
    long rc = dom_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&p, 0, 0, 0);

    *value = p.value;
    return rc;
}

static uint64_t own(uint32_t index)
{
    uint64_t v = 0;

    test_expect("magic-own-param-call", param(DOMID_SELF, index, &v), 0);
    return v;
}

/* Byte by byte through volatile: the pages may be device memory to us (MMU off). */
static void put_str(volatile char *dst, const char *s)
{
    for (size_t i = 0; i <= strlen(s); i++) {
        dst[i] = s[i];
    }
}

static bool has_str(const volatile char *at, const char *s)
{
    for (size_t i = 0; i <= strlen(s); i++) {
        if (at[i] != s[i]) {
            return false;
        }
    }
    return true;
}

/* Wait (yielding) up to WAIT_MS for @port to be pending, and take it. */
static bool wait_event(uint32_t port)
{
    uint64_t until = dom_now_ns() + WAIT_MS * 1000000ull;

    while (!tg_evtchn_take(port)) {
        if (dom_now_ns() >= until) {
            return false;
        }
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    return true;
}

static bool wait_str(const volatile char *at, const char *s)
{
    uint64_t until = dom_now_ns() + WAIT_MS * 1000000ull;

    while (!has_str(at, s) && dom_now_ns() < until) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    return has_str(at, s);
}

static int16_t map(domid_t dom, uint32_t ref, uint64_t at, grant_handle_t *h)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = at, .flags = GNTMAP_host_map, .ref = ref, .dom = dom, .status = 1};

    test_expect("magic-map-call",
                dom_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref,
                              (unsigned long)&op, 1, 0, 0),
                0);
    if (h) {
        *h = op.handle;
    }
    return op.status;
}

static long bind(domid_t dom, uint32_t port, uint32_t *local)
{
    struct evtchn_bind_interdomain b = {.remote_dom = dom, .remote_port = port};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);

    *local = b.local_port;
    return rc;
}

static void serve(domid_t peer, uint64_t store_at, uint64_t cons_at)
{
    volatile struct xenstore_domain_interface *xs = (void *)(uintptr_t)store_at;
    volatile char *cons = (volatile char *)(uintptr_t)cons_at;
    uint64_t store_port = 0, console_port = 0, v = 0, until;
    uint32_t store_local, cons_local;
    long rc;

    /* The peer may not be built yet: boot-time domains start as they are built. */
    until = dom_now_ns() + WAIT_MS * 1000000ull;
    while ((rc = param(peer, HVM_PARAM_STORE_EVTCHN, &store_port)) == -XEN_ESRCH &&
           dom_now_ns() < until) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    test_expect("magic-serve-peer-store-evtchn", rc, 0);
    test_check(store_port != 0, "magic-serve-store-port", "port %lu", (unsigned long)store_port);
    test_expect("magic-serve-peer-console-evtchn",
                param(peer, HVM_PARAM_CONSOLE_EVTCHN, &console_port), 0);
    test_check(console_port != 0 && console_port != store_port, "magic-serve-console-port",
               "port %lu", (unsigned long)console_port);
    test_expect("magic-serve-peer-store-pfn-call", param(peer, HVM_PARAM_STORE_PFN, &v), 0);
    test_expect("magic-serve-peer-store-pfn", (long)v, (long)STORE_GFN);
    test_expect("magic-serve-peer-console-pfn-call", param(peer, HVM_PARAM_CONSOLE_PFN, &v), 0);
    test_expect("magic-serve-peer-console-pfn", (long)v, (long)CONSOLE_GFN);
    dom_printf("INFO magic: d%u store port %lu gfn 0x%lx, console port %lu gfn 0x%lx\n", peer,
               (unsigned long)store_port, (unsigned long)STORE_GFN, (unsigned long)console_port,
               (unsigned long)CONSOLE_GFN);

    /* Only what the peer's table grants us: refs 1 and 0. */
    test_expect("magic-serve-map-store", map(peer, GNTTAB_RESERVED_XENSTORE, store_at, NULL),
                GNTST_okay);
    test_expect("magic-serve-map-console", map(peer, GNTTAB_RESERVED_CONSOLE, cons_at, NULL),
                GNTST_okay);
    test_expect("magic-serve-map-ref2-refused", map(peer, 2, cons_at + 0x1000, NULL),
                GNTST_bad_gntref);
    test_expect("magic-serve-map-ref8-refused", map(peer, 8, cons_at + 0x1000, NULL),
                GNTST_bad_gntref);
    test_expect("magic-serve-map-own-ref1-refused",
                map(DOMID_SELF, GNTTAB_RESERVED_XENSTORE, cons_at + 0x1000, NULL),
                GNTST_bad_gntref);
    test_expect("magic-serve-map-no-domain",
                map(60, GNTTAB_RESERVED_XENSTORE, cons_at + 0x1000, NULL), GNTST_bad_domain);
    test_check(xs->connection == XENSTORE_RECONNECT, "magic-serve-ring-not-connected",
               "connection %u", xs->connection);

    /* Console first (its params appear once bound), then the store, as the protocol. */
    test_expect("magic-serve-bind-console", bind(peer, (uint32_t)console_port, &cons_local), 0);
    test_expect("magic-serve-bind-store", bind(peer, (uint32_t)store_port, &store_local), 0);
    put_str(xs->rsp, marker);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    xs->connection = XENSTORE_CONNECTED;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    struct evtchn_send s = {.port = store_local};

    test_expect("magic-serve-notify", HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), 0);
    dom_printf("INFO magic: connected d%u (local ports store %u console %u)\n", peer, store_local,
               cons_local);

    test_check(wait_event(store_local), "magic-serve-answer-event", "no event from d%u", peer);
    test_check(wait_str(xs->req, answer), "magic-serve-answer-in-store-page", "not there");
    test_check(wait_str(cons, cons_answer), "magic-serve-answer-in-console-page", "not there");
}

static void client(domid_t peer)
{
    volatile struct xenstore_domain_interface *xs = (void *)(uintptr_t)(STORE_GFN << 12);
    volatile char *cons = (volatile char *)(uintptr_t)(CONSOLE_GFN << 12);
    uint64_t port = own(HVM_PARAM_STORE_EVTCHN), pfn = own(HVM_PARAM_STORE_PFN), v;
    bool waited = false;

    test_check(port != 0, "magic-client-store-port", "port %lu", (unsigned long)port);
    /* Before the server connects: "not yet" (~0); if it was quicker, the frame. */
    if (pfn == ~0ull) {
        waited = true;
        test_check(wait_event((uint32_t)port), "magic-client-store-event",
                   "no event on the store port");
        pfn = own(HVM_PARAM_STORE_PFN);
    }
    dom_printf("INFO magic: store port %lu, STORE_PFN %s then 0x%lx\n", (unsigned long)port,
               waited ? "~0" : "already set", (unsigned long)pfn);
    test_expect("magic-client-store-pfn", (long)pfn, (long)STORE_GFN);
    test_check(xs->connection == XENSTORE_CONNECTED, "magic-client-connected", "connection %u",
               xs->connection);
    test_check(has_str(xs->rsp, marker), "magic-client-marker-in-own-page", "no marker at 0x%lx",
               (unsigned long)(STORE_GFN << 12));
    test_check(own(HVM_PARAM_CONSOLE_EVTCHN) != 0, "magic-client-console-port", "0");
    test_expect("magic-client-console-pfn", (long)own(HVM_PARAM_CONSOLE_PFN), (long)CONSOLE_GFN);
    test_expect("magic-client-control-params-refused", param(peer, HVM_PARAM_STORE_EVTCHN, &v),
                -XEN_EPERM);

    put_str(cons, cons_answer);
    put_str(xs->req, answer);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    struct evtchn_send s = {.port = (uint32_t)port};

    test_expect("magic-client-answer", HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), 0);
}

/* ---- side=xenstored: a minimal xenstore server for a Linux peer ---- */

static void ring_get(const volatile char *ring, uint32_t at, char *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        out[i] = ring[MASK_XENSTORE_IDX(at + i)];
    }
}

static void ring_put(volatile char *ring, uint32_t at, const char *in, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        ring[MASK_XENSTORE_IDX(at + i)] = in[i];
    }
}

/* Answer one request: ENOENT for what reads the store (it is empty), OK for the rest. */
static void reply(volatile struct xenstore_domain_interface *xs, const struct xsd_sockmsg *req)
{
    bool reads = req->type == XS_READ || req->type == XS_DIRECTORY ||
                 req->type == XS_DIRECTORY_PART || req->type == XS_GET_PERMS ||
                 req->type == XS_TRANSACTION_START;
    const char *body = reads ? "ENOENT" : "OK";
    struct xsd_sockmsg rsp = {.type = reads ? XS_ERROR : req->type,
                              .req_id = req->req_id,
                              .tx_id = req->tx_id,
                              .len = (uint32_t)strlen(body) + 1};
    uint32_t prod = xs->rsp_prod;

    ring_put(xs->rsp, prod, (const char *)&rsp, sizeof(rsp));
    ring_put(xs->rsp, prod + sizeof(rsp), body, rsp.len);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    xs->rsp_prod = prod + (uint32_t)sizeof(rsp) + rsp.len;
}

/* Serve @peer's requests until it is gone or WAIT_MS * 6 have passed; true if any came. */
static unsigned serve_requests(domid_t peer, volatile struct xenstore_domain_interface *xs,
                               uint32_t local)
{
    uint64_t until = dom_now_ns() + 6 * WAIT_MS * 1000000ull, kick = dom_now_ns(), v;
    unsigned served = 0, kicks = 0;

    while (dom_now_ns() < until && param(peer, HVM_PARAM_STORE_EVTCHN, &v) == 0 &&
           !tg_peer_ended(peer)) {
        uint32_t cons = xs->req_cons, prod = xs->req_prod;
        struct xsd_sockmsg req;
        char path[64] = "";

        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (served == 0 && prod == cons && dom_now_ns() - kick > 500000000ull) {
            /* Nothing yet: notify again. Linux 6.1's late-init thread misses an event that
             * comes before it waits (between its xenbus_init and xenbus_probe_initcall). */
            struct evtchn_send s = {.port = local};

            (void)HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
            kick = dom_now_ns();
            kicks++;
        }
        if (prod - cons < sizeof(req)) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        ring_get(xs->req, cons, (char *)&req, sizeof(req));
        if (req.len > XENSTORE_PAYLOAD_MAX || prod - cons > XENSTORE_RING_SIZE) {
            test_fail("magic-xenstored-request", "bad ring: len %u, %u bytes", req.len,
                      prod - cons);
            return served;
        }
        if (prod - cons < sizeof(req) + req.len) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            continue; /* the rest of the message is on its way */
        }
        ring_get(xs->req, cons + sizeof(req), path,
                 req.len < sizeof(path) - 1 ? req.len : (uint32_t)sizeof(path) - 1);
        for (unsigned i = 0; i < sizeof(path) - 1; i++) {
            path[i] = path[i] >= 0x20 && path[i] < 0x7f ? path[i] : (path[i] ? '.' : 0);
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        xs->req_cons = cons + (uint32_t)sizeof(req) + req.len;
        if (served == 0) {
            dom_printf("INFO xenstored: first request after %u repeated notifications\n", kicks);
        }
        if (served < 16) {
            dom_printf("INFO xenstored: d%u request %u: type %u len %u '%s'\n", peer, served,
                       req.type, req.len, path);
        }
        reply(xs, &req);
        served++;
        struct evtchn_send s = {.port = local};

        (void)HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
    }
    return served;
}

static void xenstored(domid_t peer, uint64_t store_at)
{
    volatile struct xenstore_domain_interface *xs = (void *)(uintptr_t)store_at;
    uint64_t port = 0, until = dom_now_ns() + WAIT_MS * 1000000ull;
    uint32_t local;
    long rc;

    while ((rc = param(peer, HVM_PARAM_STORE_EVTCHN, &port)) == -XEN_ESRCH &&
           dom_now_ns() < until) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    test_expect("magic-xenstored-store-evtchn", rc, 0);
    /* after_vcpu1=<ms>: connect only that long after the peer's vCPU 1 came up: Linux
     * brings its CPUs up just before its initcalls, xenbus_init among the first of them,
     * which reads STORE_PFN (~0 then) and waits (its late xenstore init). */
    if (dom_arg_u64("after_vcpu1", 0)) {
        until = dom_now_ns() + 6 * WAIT_MS * 1000000ull;
        while (!tg_vcpu_online(peer, 1) && dom_now_ns() < until) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        }
        test_check(tg_vcpu_online(peer, 1), "magic-xenstored-peer-vcpu1", "never came up");
        dom_printf("INFO xenstored: d%u vCPU 1 is up\n", peer);
    }
    until = dom_now_ns() + dom_arg_u64("after_vcpu1", 0) * 1000000ull;
    while (dom_now_ns() < until) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    test_expect("magic-xenstored-map", map(peer, GNTTAB_RESERVED_XENSTORE, store_at, NULL),
                GNTST_okay);
    test_expect("magic-xenstored-bind", bind(peer, (uint32_t)port, &local), 0);
    xs->server_features = 0;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    xs->connection = XENSTORE_CONNECTED;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    struct evtchn_send s = {.port = local};

    test_expect("magic-xenstored-notify", HYPERVISOR_event_channel_op(EVTCHNOP_send, &s), 0);
    dom_printf("INFO xenstored: serving d%u (its port %lu, ours %u)\n", peer, (unsigned long)port,
               local);
    unsigned n = serve_requests(peer, xs, local);

    test_check(n > 0, "magic-xenstored-requests", "no request from d%u", peer);
    dom_printf("INFO xenstored: %u requests served\n", n);
}

/* side=absent: a control domain that serves nothing; it stays until @peer is gone. */
static void absent(domid_t peer)
{
    uint64_t until = dom_now_ns() + 6 * WAIT_MS * 1000000ull, v;
    bool seen = false;

    while (dom_now_ns() < until) {
        long rc = param(peer, HVM_PARAM_STORE_EVTCHN, &v);

        seen |= rc == 0;
        if (seen && (rc != 0 || tg_peer_ended(peer))) {
            break;
        }
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    test_check(seen && dom_now_ns() < until, "magic-absent-peer-came-and-went", "d%u", peer);
}

int mode_magic(void)
{
    domid_t peer = (domid_t)dom_arg_u64("peer", 0);
    uint64_t p0 = 0, p1 = 0;

    if (!test_check(tg_evtchn_map(), "magic-shared-info", "not mapped") ||
        !test_check(tg_free_pages(&p0, &p1), "magic-free-pages", "not enough free RAM")) {
        test_done();
        return 0;
    }
    if (dom_arg_is("side", "serve")) {
        serve(peer, p0, p1);
    } else if (dom_arg_is("side", "xenstored")) {
        xenstored(peer, p0);
    } else if (dom_arg_is("side", "absent")) {
        absent(peer);
    } else {
        client(peer);
    }
    test_done();
    return 0;
}

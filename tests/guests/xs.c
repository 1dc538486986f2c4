/* SPDX-License-Identifier: MIT */
/*
 * xs: a tiny xenstore client over this domain's ring, against dom0-lite's xenstored
 * (docs/xenstored.md). The ring and its port come from HVMOP_get_param (STORE_PFN /
 * STORE_EVTCHN; STORE_PFN reads ~0 until xenstored has connected the ring). While it
 * waits for room or replies it polls the ring and yields; with `wait=event` it sleeps
 * until an event instead (the runtime's event channels: xenstored notifies the store
 * port whenever it moves an index).
 *
 * `test=xs name=<expected name> [stay=1] [late=1]`: (late=1: first sleep 1.5 s, drop the
 * events so far and wait for the next one on the store port, as Linux 6.1 does); read `domid` and
 * `name`, write and read back a node under data/, a watch and its events, EACCES on dom0-lite's
 * nodes, a transaction; prints `XS domid=<id>` for the test to compare with the (d<id>) label. With
 * stay=1 it idles afterwards (so its nodes stay in the store). `test=xs-bench [reads=N]`: N reads
 * of `domid` one at a time, then N with 32 in flight, each timed with the counter: `XSBENCH depth=D
 * reads=N ns=T` (tests/bench/xs_ring.py). `test=xs-hog`: writes 2,000-byte values under data/ until
 * xenstored refuses (its memory quota for a domain: ENOMEM), then checks that a read still works.
 * `test=xs-hostile [how=idx]`: once connected, sends a request claiming a 5000-byte payload
 * (or, how=idx, moves req_prod more than a ring ahead) and checks that xenstored marks the
 * ring broken (XENSTORE_ERROR_PROTO, XENSTORE_ERROR_RINGIDX) rather than wait for more.
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/event.h"
#include "dom/hypercall.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>
#include <xen/sched.h>

#define XS_WAIT_NS 30000000000ull

static struct xenstore_domain_interface *intf;
static uint32_t port;
static uint32_t next_id = 1;
static char reply[XENSTORE_PAYLOAD_MAX + 1];
static uint32_t reply_len, reply_type;
/* The last watch event seen while waiting for a reply: "<path>\0<token>\0". */
static char event[XENSTORE_PAYLOAD_MAX + 1];
static unsigned events;

static long get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
    long rc = dom_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&p, 0, 0, 0);

    *value = p.value;
    return rc;
}

static void notify(void)
{
    struct evtchn_send s = {.port = port};

    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

static bool have_events;

static void yield(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

static void take(uint32_t p, void *ctx)
{
    (void)p;
    (void)ctx;
}

/* Waits for xenstored to move an index. The caller looked at the ring first: an event
 * since then has set the upcall flag, so the wait returns at once. */
static void wait_ring(void)
{
    if (have_events) {
        dom_evtchn_wait();
        dom_evtchn_poll(take, NULL);
    } else {
        yield();
    }
}

/* Finds the ring: waits (30 s at most) for xenstored to connect it. */
static bool connect(void)
{
    uint64_t evtchn = 0, pfn = ~0ull, until = dom_now_ns() + XS_WAIT_NS;

    test_expect("xs-param-evtchn", get_param(HVM_PARAM_STORE_EVTCHN, &evtchn), 0);
    if (!test_check(evtchn != 0, "xs-store-port", "STORE_EVTCHN reads 0: no xenstore")) {
        return false;
    }
    port = (uint32_t)evtchn;
    have_events =
        (dom_arg_is("wait", "event") || dom_arg_is("late", "1")) && dom_evtchn_init() == 0;
    if (dom_arg_is("late", "1") && test_check(have_events, "xs-late-events", "no events")) {
        /* As Linux 6.1's late init: look only after a while, forgetting earlier events;
         * xenstored must notify again until the first request. */
        dom_sleep_ms(1500);
        dom_evtchn_poll(take, NULL);
        bool got = false;
        for (uint64_t t = dom_now_ns() + 5000000000ull; !got && dom_now_ns() < t;) {
            dom_evtchn_wait();
            got = dom_evtchn_poll(take, NULL) > 0;
        }
        test_check(got, "xs-late-event", "no store event within 5 s after looking late");
    }
    while (dom_now_ns() < until) {
        if (get_param(HVM_PARAM_STORE_PFN, &pfn) == 0 && pfn != ~0ull && pfn != 0) {
            break;
        }
        yield();
    }
    if (!test_check(pfn != ~0ull && pfn != 0, "xs-store-pfn", "STORE_PFN 0x%lx after 30 s",
                    (unsigned long)pfn)) {
        return false;
    }
    intf = (struct xenstore_domain_interface *)(uintptr_t)(pfn << 12);
    return test_check(__atomic_load_n(&intf->connection, __ATOMIC_ACQUIRE) == XENSTORE_CONNECTED,
                      "xs-connected", "connection %u", intf->connection);
}

static void ring_write(const void *data, uint32_t len)
{
    const uint8_t *p = data;
    uint64_t until = dom_now_ns() + XS_WAIT_NS;

    while (len > 0 && dom_now_ns() < until) {
        uint32_t prod = intf->req_prod;
        uint32_t cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
        uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
        if (space == 0) {
            notify();
            wait_ring();
            continue;
        }
        uint32_t n = len < space ? len : space;
        for (uint32_t i = 0; i < n; i++) {
            intf->req[MASK_XENSTORE_IDX(prod + i)] = (char)p[i];
        }
        __atomic_store_n(&intf->req_prod, prod + n, __ATOMIC_RELEASE);
        p += n;
        len -= n;
    }
    notify();
}

/* Reads @len bytes of responses; false on timeout. */
static bool ring_read(void *data, uint32_t len)
{
    uint8_t *p = data;
    uint64_t until = dom_now_ns() + XS_WAIT_NS;

    while (len > 0) {
        uint32_t cons = intf->rsp_cons;
        uint32_t prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
        if (prod == cons) {
            if (dom_now_ns() >= until || intf->error) {
                return false;
            }
            wait_ring();
            continue;
        }
        uint32_t n = prod - cons < len ? prod - cons : len;
        for (uint32_t i = 0; i < n; i++) {
            p[i] = (uint8_t)intf->rsp[MASK_XENSTORE_IDX(cons + i)];
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        __atomic_store_n(&intf->rsp_cons, cons + n, __ATOMIC_RELEASE);
        notify();
        p += n;
        len -= n;
    }
    return true;
}

/* Reads one message into reply (a watch event into event); false on timeout. */
static bool read_msg(uint32_t *type, uint32_t *req_id, uint32_t *tx_id)
{
    struct xsd_sockmsg h;

    if (!ring_read(&h, sizeof(h)) || h.len > XENSTORE_PAYLOAD_MAX) {
        return false;
    }
    char *dst = h.type == XS_WATCH_EVENT ? event : reply;
    if (!ring_read(dst, h.len)) {
        return false;
    }
    dst[h.len] = '\0';
    if (h.type == XS_WATCH_EVENT) {
        events++;
    } else {
        reply_len = h.len;
    }
    *type = h.type;
    *req_id = h.req_id;
    *tx_id = h.tx_id;
    return true;
}

static void send_req(uint32_t type, uint32_t tx, uint32_t id, const char *a, size_t alen,
                     const char *b, size_t blen)
{
    struct xsd_sockmsg h = {
        .type = type, .req_id = id, .tx_id = tx, .len = (uint32_t)(alen + blen)};

    ring_write(&h, sizeof(h));
    ring_write(a, (uint32_t)alen);
    if (blen) {
        ring_write(b, (uint32_t)blen);
    }
}

/* One request; the answer in reply/reply_type. Returns 0, or -1 without an answer. */
static int request(uint32_t type, uint32_t tx, const char *a, size_t alen, const char *b,
                   size_t blen)
{
    uint32_t req_id = next_id++;
    uint32_t t, id, txid;

    send_req(type, tx, req_id, a, alen, b, blen);
    do {
        if (!read_msg(&t, &id, &txid)) {
            reply_type = XS_ERROR;
            memcpy(reply, "timeout", 8);
            return -1;
        }
    } while (t == XS_WATCH_EVENT || id != req_id);
    reply_type = t;
    return 0;
}

static const char *xs_read(uint32_t tx, const char *path)
{
    request(XS_READ, tx, path, strlen(path) + 1, NULL, 0);
    return reply_type == XS_ERROR ? NULL : reply;
}

static bool xs_write(uint32_t tx, const char *path, const char *value)
{
    request(XS_WRITE, tx, path, strlen(path) + 1, value, strlen(value));
    return reply_type == XS_WRITE;
}

/* Waits (a few seconds) for a watch event on @path with token @token. */
static bool wait_event(const char *path, const char *token)
{
    uint32_t t, id, tx;
    uint64_t until = dom_now_ns() + 5000000000ull;

    while (dom_now_ns() < until) {
        if (events > 0 && !strcmp(event, path) && !strcmp(event + strlen(event) + 1, token)) {
            events = 0;
            return true;
        }
        if (!read_msg(&t, &id, &tx)) {
            return false;
        }
    }
    return false;
}

int mode_xs(void)
{
    char want[64] = "";
    const char *v;
    uint32_t tx = 0;

    dom_arg("name", want, sizeof(want));
    if (!connect()) {
        test_done();
        return 1;
    }
    v = xs_read(0, "domid");
    if (test_check(v != NULL, "xs-read-domid", "%s", reply)) {
        dom_printf("XS domid=%s\n", v);
    }
    v = xs_read(0, "name");
    test_check(v && !strcmp(v, want), "xs-read-name", "'%s', expected '%s'", reply, want);
    test_check(xs_write(0, "data/hello", "world"), "xs-write", "%s", reply);
    v = xs_read(0, "data/hello");
    test_check(v && !strcmp(v, "world"), "xs-read-back", "'%s'", reply);
    /* A watch: the event on registration, then one for a write below it. */
    request(XS_WATCH, 0, "data/w\0tok", 11, NULL, 0);
    test_check(reply_type == XS_WATCH, "xs-watch", "%s", reply);
    test_check(wait_event("data/w", "tok"), "xs-watch-initial-event", "none");
    xs_write(0, "data/w/x", "1");
    test_check(wait_event("data/w/x", "tok"), "xs-watch-fires", "none (last '%s')", event);
    /* dom0-lite's nodes are not ours: neither readable nor writable. */
    v = xs_read(0, "/local/domain/1/name");
    test_check(!v && !strcmp(reply, "EACCES"), "xs-eacces-read", "'%s'", reply);
    test_check(!xs_write(0, "/local/domain/1/name", "mine") && !strcmp(reply, "EACCES"),
               "xs-eacces-write", "'%s'", reply);
    /* A transaction: invisible outside until committed. */
    request(XS_TRANSACTION_START, 0, "", 1, NULL, 0);
    if (test_check(reply_type == XS_TRANSACTION_START, "xs-txn-start", "%s", reply)) {
        uint64_t id = 0;
        dom_parse_u64(reply, &id);
        tx = (uint32_t)id;
    }
    test_check(xs_write(tx, "data/t", "in-txn"), "xs-txn-write", "%s", reply);
    v = xs_read(0, "data/t");
    test_check(!v && !strcmp(reply, "ENOENT"), "xs-txn-isolated", "'%s'", reply);
    request(XS_TRANSACTION_END, tx, "T", 2, NULL, 0);
    test_check(reply_type == XS_TRANSACTION_END, "xs-txn-commit", "%s", reply);
    v = xs_read(0, "data/t");
    test_check(v && !strcmp(v, "in-txn"), "xs-txn-visible", "'%s'", reply);
    test_done();
    while (dom_arg_is("stay", "1")) {
        dom_sleep_ms(1000);
    }
    return 0;
}

int mode_xs_hostile(void)
{
    struct xsd_sockmsg h = {.type = XS_READ, .req_id = 1, .len = 5000};
    uint64_t until;

    if (!connect()) {
        test_done();
        return 1;
    }
    if (dom_arg_is("how", "idx")) {
        /* A producer index more than a ring ahead of the consumer: impossible. */
        __atomic_store_n(&intf->req_prod, intf->req_cons + XENSTORE_RING_SIZE + 7,
                         __ATOMIC_RELEASE);
        notify();
    } else {
        /* A length over XENSTORE_PAYLOAD_MAX: the stream cannot be framed any more. */
        ring_write(&h, sizeof(h));
    }
    until = dom_now_ns() + XS_WAIT_NS;
    while (!intf->error && dom_now_ns() < until) {
        notify();
        yield();
    }
    test_check(intf->error ==
                   (dom_arg_is("how", "idx") ? XENSTORE_ERROR_RINGIDX : XENSTORE_ERROR_PROTO),
               "xs-hostile-disconnected", "error %u", intf->error);
    /* Then garbage indexes and a flood of events: nobody listens any more. */
    intf->req_prod = intf->req_cons + 3 * XENSTORE_RING_SIZE;
    for (unsigned i = 0; i < 1000; i++) {
        notify();
    }
    test_done();
    while (dom_arg_is("stay", "1")) {
        dom_sleep_ms(1000);
    }
    return 0;
}

/* @n reads of "domid" with @depth of them in flight; false if one failed. */
static bool bench_reads(unsigned n, unsigned depth)
{
    unsigned sent = 0, done = 0;
    uint32_t t, id, tx;

    while (done < n) {
        while (sent < n && sent - done < depth) {
            send_req(XS_READ, 0, next_id++, "domid", 6, NULL, 0);
            sent++;
        }
        if (!read_msg(&t, &id, &tx) || t != XS_READ) {
            return false;
        }
        done++;
    }
    return true;
}

int mode_xs_bench(void)
{
    unsigned n = (unsigned)dom_arg_u64("reads", 2000);
    static const unsigned depths[] = {1, 32};

    if (!connect()) {
        test_done();
        return 1;
    }
    for (unsigned i = 0; i < 2; i++) {
        uint64_t t0 = dom_now_ns();
        bool ok = bench_reads(n, depths[i]);
        uint64_t ns = dom_now_ns() - t0;

        if (test_check(ok, "xs-bench-reads", "depth %u: %s", depths[i], reply)) {
            dom_printf("XSBENCH depth=%u reads=%u ns=%lu\n", depths[i], n, (unsigned long)ns);
        }
    }
    test_done();
    while (dom_arg_is("stay", "1")) {
        dom_sleep_ms(1000);
    }
    return 0;
}

int mode_xs_hog(void)
{
    static char value[2001];
    char path[32];
    unsigned n = 0;

    if (!connect()) {
        test_done();
        return 1;
    }
    memset(value, 'v', sizeof(value) - 1);
    for (; n < 5000; n++) {
        fmt_snprintf(path, sizeof(path), "data/h%u", n);
        if (!xs_write(0, path, value)) {
            break;
        }
    }
    test_check(n > 10 && n < 5000 && !strcmp(reply, "ENOMEM"), "xs-hog-refused",
               "after %u writes: '%s'", n, reply);
    dom_printf("XS hog: %u values stored before %s\n", n, reply);
    const char *v = xs_read(0, "data/h0");
    test_check(v && strlen(v) == 2000, "xs-hog-still-served", "'%.20s'", reply);
    test_done();
    while (dom_arg_is("stay", "1")) {
        dom_sleep_ms(1000);
    }
    return 0;
}

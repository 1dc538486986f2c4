/* SPDX-License-Identifier: MIT */
/*
 * Ring transport over struct xenstore_domain_interface (xen/io/xs_wire.h).
 *
 * Memory ordering, as for any Xen shared ring: read the producer index, then (acquire)
 * the bytes it covers; finish with the bytes (full barrier) before publishing the new
 * consumer index. On the reply side write the bytes, then (release) the producer index.
 * The other end is untrusted: indexes are re-read once per pass and sanity checked, and
 * a ring whose indexes are impossible is marked XENSTORE_ERROR_RINGIDX and abandoned.
 */
#define _GNU_SOURCE
#include "transport_ring.h"

#include <stdlib.h>
#include <string.h>

#define RING_RX_CAP (2 * XS_MSG_MAX)

struct ring_conn {
    struct xs_conn *conn;
    struct xenstore_domain_interface *intf;
    const struct ring_evtchn_ops *ops;
    void *ctx;
    bool broken;
    size_t rx_len;
    uint8_t rx[RING_RX_CAP];
};

static void ring_kick(struct xs_conn *conn);

static const struct xs_conn_ops ring_ops = {.kick = ring_kick};

static uint32_t load_idx(const XENSTORE_RING_IDX *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_idx(XENSTORE_RING_IDX *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void ring_break(struct ring_conn *rc, uint32_t error)
{
    rc->broken = true;
    rc->intf->error = error;
    rc->ops->notify(rc->ctx);
}

/* Copies replies into the response ring as space allows. */
static int push(struct ring_conn *rc)
{
    struct xenstore_domain_interface *intf = rc->intf;
    const uint8_t *data;
    size_t len = core_conn_output(rc->conn, &data);
    uint32_t cons, prod, space, n;

    if (len == 0 || rc->broken) {
        return 0;
    }
    cons = load_idx(&intf->rsp_cons);
    prod = intf->rsp_prod;
    if (prod - cons > XENSTORE_RING_SIZE) {
        ring_break(rc, XENSTORE_ERROR_RINGIDX);
        return -EPROTO;
    }
    space = XENSTORE_RING_SIZE - (prod - cons);
    n = len < space ? (uint32_t)len : space;
    for (uint32_t i = 0; i < n;) {
        uint32_t off = MASK_XENSTORE_IDX(prod + i);
        uint32_t run = XENSTORE_RING_SIZE - off;
        if (run > n - i) {
            run = n - i;
        }
        memcpy(intf->rsp + off, data + i, run);
        i += run;
    }
    if (n > 0) {
        store_idx(&intf->rsp_prod, prod + n);
        core_conn_consumed(rc->conn, n);
        rc->ops->notify(rc->ctx);
    }
    return 0;
}

static void ring_kick(struct xs_conn *conn)
{
    push(conn->transport);
}

/* Moves request bytes from the ring into rx; returns bytes moved or -EPROTO. */
static int pull(struct ring_conn *rc)
{
    struct xenstore_domain_interface *intf = rc->intf;
    uint32_t cons = intf->req_cons, prod = load_idx(&intf->req_prod);
    uint32_t avail = prod - cons, n;

    if (avail > XENSTORE_RING_SIZE) {
        ring_break(rc, XENSTORE_ERROR_RINGIDX);
        return -EPROTO;
    }
    n = avail < RING_RX_CAP - rc->rx_len ? avail : (uint32_t)(RING_RX_CAP - rc->rx_len);
    for (uint32_t i = 0; i < n;) {
        uint32_t off = MASK_XENSTORE_IDX(cons + i);
        uint32_t run = XENSTORE_RING_SIZE - off;
        if (run > n - i) {
            run = n - i;
        }
        memcpy(rc->rx + rc->rx_len + i, intf->req + off, run);
        i += run;
    }
    if (n > 0) {
        /* Done reading the bytes before the front end may overwrite them. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        store_idx(&intf->req_cons, cons + n);
        rc->rx_len += n;
        rc->ops->notify(rc->ctx);
    }
    return (int)n;
}

int ring_conn_poll(struct ring_conn *rc)
{
    for (int rounds = 0; rounds < 64 && !rc->broken; rounds++) {
        int err = 0;
        int n = pull(rc);
        if (n < 0) {
            return n;
        }
        size_t used = core_conn_input(rc->conn, rc->rx, rc->rx_len, &err);
        if (err != 0) {
            ring_break(rc, XENSTORE_ERROR_PROTO);
            return -EPROTO;
        }
        memmove(rc->rx, rc->rx + used, rc->rx_len - used);
        rc->rx_len -= used;
        if (push(rc) != 0) {
            return -EPROTO;
        }
        if (n == 0 && used == 0) {
            break;
        }
    }
    return rc->broken ? -EPROTO : 0;
}

int ring_conn_new(struct ring_conn **out, struct xs_core *core, unsigned domid,
                  struct xenstore_domain_interface *intf, const struct ring_evtchn_ops *ops,
                  void *ctx)
{
    struct ring_conn *rc = calloc(1, sizeof(*rc));

    if (!rc) {
        return -ENOMEM;
    }
    rc->intf = intf;
    rc->ops = ops;
    rc->ctx = ctx;
    rc->conn = core_conn_new(core, domid, &ring_ops, rc);
    if (!rc->conn) {
        free(rc);
        return -ENOMEM;
    }
    intf->server_features = XENSTORE_SERVER_FEATURE_ERROR;
    intf->error = XENSTORE_ERROR_NONE;
    /* Last, with release order: a front end that sees CONNECTED sees the rest (the
     * hypervisor starts the page at XENSTORE_RECONNECT, docs/xenstored.md). */
    __atomic_store_n(&intf->connection, XENSTORE_CONNECTED, __ATOMIC_RELEASE);
    *out = rc;
    return 0;
}

void ring_conn_free(struct ring_conn *rc)
{
    if (rc) {
        core_conn_free(rc->conn);
        free(rc);
    }
}

struct xs_conn *ring_conn_xs(struct ring_conn *rc)
{
    return rc->conn;
}

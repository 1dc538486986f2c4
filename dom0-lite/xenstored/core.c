/* SPDX-License-Identifier: MIT */
/*
 * xenstored core: connection state, framing of requests, dispatch and replies.
 * Every request is decoded and validated before anything is changed; a malformed
 * message gets an error reply, an oversized one closes the connection (xenstore.txt).
 */
#define _GNU_SOURCE
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output buffer kept between bursts; larger ones are freed once drained. */
#define XS_OBUF_KEEP (64 * 1024)

struct handler {
    int (*fn)(struct xs_req *rq);
    bool txn; /* runs inside the transaction named by tx_id */
};

static int do_control(struct xs_req *rq);

static const struct handler handlers[XS_TYPE_COUNT] = {
    [XS_CONTROL] = {do_control, false},
    [XS_DIRECTORY] = {ops_directory, true},
    [XS_READ] = {ops_read, true},
    [XS_GET_PERMS] = {ops_get_perms, true},
    [XS_WATCH] = {watch_add, false},
    [XS_UNWATCH] = {watch_remove, false},
    [XS_TRANSACTION_START] = {txn_start, false},
    [XS_TRANSACTION_END] = {txn_end, true},
    [XS_INTRODUCE] = {domain_introduce, false},
    [XS_RELEASE] = {domain_release, false},
    [XS_GET_DOMAIN_PATH] = {domain_get_path, false},
    [XS_WRITE] = {ops_write, true},
    [XS_MKDIR] = {ops_mkdir, true},
    [XS_RM] = {ops_rm, true},
    [XS_SET_PERMS] = {ops_set_perms, true},
    [XS_IS_DOMAIN_INTRODUCED] = {domain_is_introduced, false},
    [XS_RESUME] = {domain_resume, false},
    [XS_SET_TARGET] = {domain_set_target, false},
    [XS_RESET_WATCHES] = {watch_reset, false},
    [XS_DIRECTORY_PART] = {ops_directory_part, true},
};

void core_default_quota(struct xs_quota *q)
{
    *q = (struct xs_quota){
        .nodes = 1000,
        .watches = 128,
        .transactions = 10,
        .value_size = 2048,
        .perms = 5,
        .txn_nodes = 1024,
        .turn_requests = 20,
        .out_soft = 64 * 1024,
        .out_hard = 1024 * 1024,
        .memory = 8u << 20,
        .memory_total = 64u << 20,
    };
}

int core_mem_charge(struct xs_core *core, size_t *acct, size_t bytes, bool check)
{
    if (check &&
        (*acct + bytes > core->quota.memory || core->mem_used + bytes > core->quota.memory_total)) {
        return -ENOMEM;
    }
    *acct += bytes;
    core->mem_used += bytes;
    return 0;
}

/*
 * What a connection holds for itself (transactions, watches) may fill three quarters of
 * the global bound, queued events half of it: the rest stays for the store, so clients
 * hoarding transactions or not reading their events cannot block everyone's writes.
 */
int core_mem_charge_conn(struct xs_conn *conn, size_t bytes)
{
    struct xs_core *core = conn->core;

    if (core->mem_used + bytes > core->quota.memory_total / 4 * 3) {
        return -ENOMEM;
    }
    return core_mem_charge(core, &conn->mem, bytes, true);
}

void core_mem_release(struct xs_core *core, size_t *acct, size_t bytes)
{
    /* Saturating: nodes that were in a --db file before we started were never charged. */
    bytes = bytes < *acct ? bytes : *acct;
    *acct -= bytes;
    core->mem_used -= bytes < core->mem_used ? bytes : core->mem_used;
}

/* Gives back the output queue's buffer; its bytes were charged to @conn. */
static void obuf_release(struct xs_conn *conn)
{
    core_mem_release(conn->core, &conn->mem, conn->out.cap);
    free(conn->out.data);
    conn->out = (struct xs_obuf){0};
}

int core_init(struct xs_core *core, struct store *store, const struct xs_quota *quota)
{
    memset(core, 0, sizeof(*core));
    core->store = store;
    core->quota = *quota;
    core->next_txn_id = 1;
    if (!domain_get(core, 0, true)) {
        return -ENOMEM;
    }
    domain_get(core, 0, false)->introduced = true;
    return special_init(core);
}

void core_fini(struct xs_core *core)
{
    while (core->conns) {
        core_conn_free(core->conns);
    }
    domain_free_all(core);
}

struct xs_conn *core_conn_new(struct xs_core *core, unsigned domid, const struct xs_conn_ops *ops,
                              void *transport)
{
    struct xs_conn *conn = calloc(1, sizeof(*conn));

    if (!conn) {
        return NULL;
    }
    conn->core = core;
    conn->domid = domid;
    conn->priv = domid == 0;
    conn->ops = ops;
    conn->transport = transport;
    conn->next = core->conns;
    if (core->conns) {
        core->conns->prev = conn;
    }
    core->conns = conn;
    return conn;
}

void core_conn_free(struct xs_conn *conn)
{
    struct xs_core *core = conn->core;

    watch_conn_free(conn);
    txn_conn_free(conn);
    obuf_release(conn);
    if (conn->prev) {
        conn->prev->next = conn->next;
    } else {
        core->conns = conn->next;
    }
    if (conn->next) {
        conn->next->prev = conn->prev;
    }
    free(conn);
}

const char *core_errstr(int err)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
        if (xsd_errors[i].errnum == -err) {
            return xsd_errors[i].errstring;
        }
    }
    return "EIO";
}

static int obuf_reserve(struct xs_conn *conn, size_t need, bool check)
{
    struct xs_obuf *ob = &conn->out;

    if (ob->head == ob->len) {
        ob->head = ob->len = 0;
    }
    if (ob->len + need <= ob->cap) {
        return 0;
    }
    if (ob->head > 0) {
        memmove(ob->data, ob->data + ob->head, ob->len - ob->head);
        ob->len -= ob->head;
        ob->head = 0;
        if (ob->len + need <= ob->cap) {
            return 0;
        }
    }
    size_t cap = ob->cap ? ob->cap : 4096;
    while (cap < ob->len + need) {
        cap *= 2;
    }
    /* Events may fill half the global bound only: the rest stays for requests. */
    if (check && conn->core->mem_used + (cap - ob->cap) > conn->core->quota.memory_total / 2) {
        return -ENOMEM;
    }
    if (core_mem_charge(conn->core, &conn->mem, cap - ob->cap, check) != 0) {
        return -ENOMEM;
    }
    uint8_t *data = realloc(ob->data, cap);
    if (!data) {
        core_mem_release(conn->core, &conn->mem, cap - ob->cap);
        return -ENOMEM;
    }
    ob->data = data;
    ob->cap = cap;
    return 0;
}

int core_queue(struct xs_conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
               size_t alen, const void *b, size_t blen, bool droppable)
{
    struct xs_obuf *ob = &conn->out;
    struct xsd_sockmsg hdr = {type, req_id, tx_id, (uint32_t)(alen + blen)};
    bool was_empty = ob->head == ob->len;

    if (droppable && ob->len - ob->head > conn->core->quota.out_hard) {
        conn->events_dropped++;
        return -ENOSPC;
    }
    if (obuf_reserve(conn, sizeof(hdr) + alen + blen, droppable) != 0) {
        if (droppable) {
            conn->events_dropped++;
        }
        return -ENOMEM;
    }
    memcpy(ob->data + ob->len, &hdr, sizeof(hdr));
    memcpy(ob->data + ob->len + sizeof(hdr), a, alen);
    if (blen) {
        memcpy(ob->data + ob->len + sizeof(hdr) + alen, b, blen);
    }
    ob->len += sizeof(hdr) + alen + blen;
    if (was_empty && conn->ops && conn->ops->kick) {
        conn->ops->kick(conn);
    }
    return 0;
}

int core_reply(struct xs_req *rq, uint32_t type, const void *data, size_t len)
{
    if (rq->replay) {
        return 0;
    }
    return core_queue(rq->conn, type, rq->hdr.req_id, rq->hdr.tx_id, data, len, NULL, 0, false);
}

int core_reply_str(struct xs_req *rq, const char *s)
{
    return core_reply(rq, rq->hdr.type, s, strlen(s) + 1);
}

/* Splits @data into NUL-terminated strings; bytes after the last NUL are not counted. */
unsigned core_split(const char *data, uint32_t len, const char **argv, unsigned max)
{
    unsigned n = 0;
    uint32_t off = 0;

    while (off < len && n < max) {
        const char *nul = memchr(data + off, '\0', len - off);
        if (!nul) {
            break;
        }
        argv[n++] = data + off;
        off = (uint32_t)(nul - data) + 1;
    }
    return n;
}

static int do_control(struct xs_req *rq)
{
    const char *argv[1];

    if (!rq->conn->priv) {
        return -EACCES;
    }
    if (core_split(rq->data, rq->len, argv, 1) != 1) {
        return -EINVAL;
    }
    if (strcmp(argv[0], "check") == 0) {
        return store_check(rq->conn->core->store) == 0 ? core_reply_str(rq, "OK") : -EIO;
    }
    if (strcmp(argv[0], "compact") == 0) {
        return store_compact(rq->conn->core->store) == 0 ? core_reply_str(rq, "OK") : -EIO;
    }
    return -EINVAL;
}

int core_run(struct xs_conn *conn, const struct xsd_sockmsg *hdr, char *data, bool replay)
{
    struct xs_req rq = {.conn = conn, .hdr = *hdr, .data = data, .len = hdr->len, .replay = replay};
    const struct handler *h = hdr->type < XS_TYPE_COUNT ? &handlers[hdr->type] : NULL;
    int rc;

    conn->core->requests++;
    if (!h || !h->fn) {
        rc = -EINVAL;
        goto out;
    }
    if (h->txn && hdr->tx_id != 0 && !replay) {
        rq.txn = txn_find(conn, hdr->tx_id);
        if (!rq.txn) {
            rc = -ENOENT;
            goto out;
        }
    }
    rc = h->fn(&rq);
out:
    if (rc < 0 && !replay) {
        const char *err = core_errstr(rc);
        core_queue(conn, XS_ERROR, hdr->req_id, hdr->tx_id, err, strlen(err) + 1, NULL, 0, false);
    }
    return rc;
}

bool core_conn_can_read(const struct xs_conn *conn)
{
    return conn->out.len - conn->out.head < conn->core->quota.out_soft;
}

/*
 * Handles the complete messages at the start of @buf, at most quota.turn_requests of
 * them and none while the connection has out_soft bytes of replies pending. Returns the
 * bytes consumed; sets *err to -EPROTO if the stream is broken beyond repair.
 */
size_t core_conn_input(struct xs_conn *conn, const uint8_t *buf, size_t len, int *err)
{
    struct xs_core *core = conn->core;
    size_t off = 0;
    unsigned handled = 0;

    *err = 0;
    while (handled < core->quota.turn_requests && core_conn_can_read(conn)) {
        struct xsd_sockmsg hdr;
        if (len - off < XS_HDR_SIZE) {
            break;
        }
        memcpy(&hdr, buf + off, sizeof(hdr));
        if (hdr.len > XENSTORE_PAYLOAD_MAX) {
            *err = -EPROTO;
            break;
        }
        if (len - off < XS_HDR_SIZE + hdr.len) {
            break;
        }
        memcpy(core->req_buf, buf + off + XS_HDR_SIZE, hdr.len);
        core->req_buf[hdr.len] = '\0';
        off += XS_HDR_SIZE + hdr.len;
        core_run(conn, &hdr, core->req_buf, false);
        handled++;
    }
    return off;
}

size_t core_conn_output(struct xs_conn *conn, const uint8_t **data)
{
    if (!conn->out.data) {
        *data = NULL;
        return 0;
    }
    *data = conn->out.data + conn->out.head;
    return conn->out.len - conn->out.head;
}

void core_conn_consumed(struct xs_conn *conn, size_t n)
{
    conn->out.head += n;
    if (conn->out.head >= conn->out.len) {
        conn->out.head = conn->out.len = 0;
        /* A queue that grew for a burst of events goes back once drained. */
        if (conn->out.cap > XS_OBUF_KEEP) {
            obuf_release(conn);
        }
    }
}

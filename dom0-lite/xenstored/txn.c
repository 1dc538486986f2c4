/* SPDX-License-Identifier: MIT */
/*
 * Transactions with optimistic concurrency, costing what they touch.
 *
 * A transaction is an overlay: a hash of the nodes it has read or changed, each with the
 * generation it had in the store when first seen, plus a log of its changing requests.
 * Commit checks that every touched node still has that generation (else EAGAIN), then
 * replays the log against the store. The daemon handles one request at a time, so no
 * other client sees a partly applied commit; watches fire during the replay.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct txn_entry {
    struct txn_entry *hnext;
    struct txn_entry *next; /* all entries */
    uint64_t base_gen;      /* store generation when first seen, 0 if absent */
    bool present;           /* exists in the transaction's view */
    bool fresh;             /* created in the transaction: no children in the store */
    bool in_base;           /* listed by its parent's children in the store */
    uint32_t nperms;
    struct xs_perm perms[XS_PERMS_MAX];
    uint32_t vlen;
    uint8_t *value;
    char path[];
};

struct txn_op {
    struct txn_op *next;
    struct xsd_sockmsg hdr;
    char data[];
};

struct xs_txn {
    struct xs_txn *next;
    struct xs_conn *conn; /* owner, charged for everything below (core_mem_charge) */
    size_t mem;           /* bytes charged to conn for this transaction */
    uint32_t id;
    struct txn_entry *hash[XS_TXN_HASH];
    struct txn_entry *entries;
    unsigned nentries;
    unsigned limit; /* quota.txn_nodes */
    int node_delta; /* nodes created minus removed, for the node quota */
    struct txn_op *ops, **ops_tail;
};

static unsigned hash_str(const char *s, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    }
    return h % XS_TXN_HASH;
}

static struct txn_entry *lookup(struct xs_txn *tx, const char *path, size_t len)
{
    for (struct txn_entry *e = tx->hash[hash_str(path, len)]; e; e = e->hnext) {
        if (strncmp(e->path, path, len) == 0 && e->path[len] == '\0') {
            return e;
        }
    }
    return NULL;
}

/* True if an ancestor's state in the transaction hides the store's copy of @path. */
static bool shadowed(struct xs_txn *tx, const char *path)
{
    size_t len = strlen(path);

    while (len > 1) {
        len = path_parent_len(path, len);
        struct txn_entry *e = lookup(tx, path, len);
        if (e) {
            return !e->present || e->fresh;
        }
    }
    return false;
}

/* Charges @bytes to the transaction's connection: ENOMEM past its memory quota. */
static int charge(struct xs_txn *tx, size_t bytes)
{
    int rc = core_mem_charge_conn(tx->conn, bytes);

    if (rc == 0) {
        tx->mem += bytes;
    }
    return rc;
}

static void uncharge(struct xs_txn *tx, size_t bytes)
{
    core_mem_release(tx->conn->core, &tx->conn->mem, bytes);
    tx->mem -= bytes;
}

static int set_data(struct xs_txn *tx, struct txn_entry *e, const struct xs_node *n)
{
    uint8_t *value = NULL;

    if (n->vlen) {
        if (charge(tx, n->vlen) != 0) {
            return -ENOMEM;
        }
        value = malloc(n->vlen);
        if (!value) {
            uncharge(tx, n->vlen);
            return -ENOMEM;
        }
        memcpy(value, n->value, n->vlen);
    }
    uncharge(tx, e->vlen);
    free(e->value);
    e->value = value;
    e->vlen = n->vlen;
    e->nperms = n->nperms;
    memcpy(e->perms, n->perms, sizeof(n->perms[0]) * n->nperms);
    return 0;
}

/* Finds or loads the entry for @path; @scratch is clobbered. */
static int entry(struct xs_txn *tx, struct store *st, const char *path, struct xs_node *scratch,
                 struct txn_entry **out)
{
    size_t len = strlen(path);
    struct txn_entry *e = lookup(tx, path, len);
    int rc;

    if (e) {
        *out = e;
        return 0;
    }
    if (tx->nentries >= tx->limit) {
        return -ENOSPC;
    }
    if (charge(tx, sizeof(*e) + len + 1) != 0) {
        return -ENOMEM;
    }
    e = calloc(1, sizeof(*e) + len + 1);
    if (!e) {
        uncharge(tx, sizeof(*e) + len + 1);
        return -ENOMEM;
    }
    memcpy(e->path, path, len + 1);
    rc = store_get(st, path, scratch);
    if (rc == 0) {
        e->base_gen = scratch->gen;
        e->present = e->in_base = !shadowed(tx, path);
        rc = e->present ? set_data(tx, e, scratch) : 0;
    } else if (rc == -ENOENT) {
        rc = 0;
    }
    if (rc != 0) {
        uncharge(tx, sizeof(*e) + len + 1);
        free(e);
        return rc;
    }
    unsigned h = hash_str(path, len);
    e->hnext = tx->hash[h];
    tx->hash[h] = e;
    e->next = tx->entries;
    tx->entries = e;
    tx->nentries++;
    *out = e;
    return 0;
}

int txn_get(struct xs_txn *tx, struct store *st, const char *path, struct xs_node *node)
{
    struct txn_entry *e;
    int rc = entry(tx, st, path, node, &e);

    if (rc != 0) {
        return rc;
    }
    if (!e->present) {
        return -ENOENT;
    }
    node->gen = e->base_gen;
    node->nperms = e->nperms;
    memcpy(node->perms, e->perms, sizeof(e->perms[0]) * e->nperms);
    node->vlen = e->vlen;
    if (e->vlen) {
        memcpy(node->value, e->value, e->vlen);
    }
    return 0;
}

int txn_create(struct xs_txn *tx, struct store *st, const char *path, const struct xs_node *node)
{
    struct xs_node *scratch = malloc(sizeof(*scratch));
    struct txn_entry *e;
    int rc = scratch ? entry(tx, st, path, scratch, &e) : -ENOMEM;

    free(scratch);
    if (rc != 0) {
        return rc;
    }
    if (e->present) {
        return -EEXIST;
    }
    rc = set_data(tx, e, node);
    if (rc == 0) {
        e->present = true;
        e->fresh = true;
        tx->node_delta++;
    }
    return rc;
}

int txn_update(struct xs_txn *tx, const char *path, const struct xs_node *node)
{
    struct txn_entry *e = lookup(tx, path, strlen(path));

    if (!e || !e->present) {
        return -ENOENT;
    }
    return set_data(tx, e, node);
}

int txn_rm(struct xs_txn *tx, const char *path)
{
    struct txn_entry *e = lookup(tx, path, strlen(path));

    if (!e || !e->present) {
        return -ENOENT;
    }
    for (struct txn_entry *d = tx->entries; d; d = d->next) {
        if (d == e || path_is_child(d->path, path)) {
            if (d->present) {
                tx->node_delta--;
            }
            d->present = false;
            d->fresh = false;
        }
    }
    return 0;
}

struct list_ctx {
    struct xs_txn *tx;
    const char *parent;
    size_t plen;
    char *buf;
    store_list_fn fn;
    void *ctx;
};

/* Passes on store children that the transaction has not removed. */
static int list_filter(void *ctx, const char *name, size_t len)
{
    struct list_ctx *lc = ctx;
    size_t off = lc->plen > 1 ? lc->plen + 1 : 1;
    struct txn_entry *e;

    memcpy(lc->buf, lc->parent, lc->plen);
    lc->buf[off - 1] = '/';
    memcpy(lc->buf + off, name, len);
    e = lookup(lc->tx, lc->buf, off + len);
    if (e && !e->present) {
        return 0;
    }
    return lc->fn(lc->ctx, name, len);
}

static bool direct_child(const char *child, const char *parent, size_t plen)
{
    const char *rest;

    if (!path_is_child(child, parent) || child[plen] == '\0') {
        return false;
    }
    rest = child + (plen > 1 ? plen + 1 : 1);
    return strchr(rest, '/') == NULL;
}

int txn_list(struct xs_txn *tx, struct store *st, const char *path, store_list_fn fn, void *ctx)
{
    struct txn_entry *e = lookup(tx, path, strlen(path));
    struct list_ctx lc = {tx, path, strlen(path), NULL, fn, ctx};
    struct xs_node *base = NULL;
    int rc = 0;

    if (!e || !e->present) {
        return -ENOENT;
    }
    if (!e->fresh) {
        lc.buf = malloc(XENSTORE_ABS_PATH_MAX * 2 + 2);
        base = malloc(sizeof(*base));
        rc = (lc.buf && base) ? store_get(st, path, base) : -ENOMEM;
        if (rc == 0) {
            rc = store_list(st, base, path, list_filter, &lc);
        } else if (rc == -ENOENT) {
            rc = 0;
        }
    }
    for (struct txn_entry *c = tx->entries; rc == 0 && c; c = c->next) {
        if (c->present && (e->fresh || !c->in_base) && direct_child(c->path, path, lc.plen)) {
            const char *name = path_basename(c->path);
            if (fn(ctx, name, strlen(name))) {
                break;
            }
        }
    }
    free(lc.buf);
    free(base);
    return rc;
}

int txn_log(struct xs_txn *tx, const struct xs_req *rq)
{
    struct txn_op *op;

    if (charge(tx, sizeof(*op) + rq->len + 1) != 0) {
        return -ENOMEM;
    }
    op = malloc(sizeof(*op) + rq->len + 1);
    if (!op) {
        uncharge(tx, sizeof(*op) + rq->len + 1);
        return -ENOMEM;
    }
    op->next = NULL;
    op->hdr = rq->hdr;
    op->hdr.tx_id = 0;
    memcpy(op->data, rq->data, rq->len);
    op->data[rq->len] = '\0';
    *tx->ops_tail = op;
    tx->ops_tail = &op->next;
    return 0;
}

int txn_node_delta(const struct xs_txn *tx)
{
    return tx->node_delta;
}

struct xs_txn *txn_find(struct xs_conn *conn, uint32_t id)
{
    for (struct xs_txn *tx = conn->txns; tx; tx = tx->next) {
        if (tx->id == id) {
            return tx;
        }
    }
    return NULL;
}

static void txn_free(struct xs_txn *tx)
{
    while (tx->entries) {
        struct txn_entry *e = tx->entries;
        tx->entries = e->next;
        free(e->value);
        free(e);
    }
    while (tx->ops) {
        struct txn_op *op = tx->ops;
        tx->ops = op->next;
        free(op);
    }
    core_mem_release(tx->conn->core, &tx->conn->mem, tx->mem);
    free(tx);
}

int txn_start(struct xs_req *rq)
{
    struct xs_conn *conn = rq->conn;
    struct xs_core *core = conn->core;
    struct xs_txn *tx;
    char id[16];

    if (rq->hdr.tx_id != 0) {
        return -EBUSY;
    }
    if (conn->ntxns >= core->quota.transactions) {
        return -ENOSPC;
    }
    if (core_mem_charge_conn(conn, sizeof(*tx)) != 0) {
        return -ENOMEM;
    }
    tx = calloc(1, sizeof(*tx));
    if (!tx) {
        core_mem_release(core, &conn->mem, sizeof(*tx));
        return -ENOMEM;
    }
    tx->conn = conn;
    tx->mem = sizeof(*tx);
    do {
        tx->id = core->next_txn_id++;
    } while (tx->id == 0 || txn_find(conn, tx->id));
    tx->limit = core->quota.txn_nodes;
    tx->ops_tail = &tx->ops;
    tx->next = conn->txns;
    conn->txns = tx;
    conn->ntxns++;
    snprintf(id, sizeof(id), "%u", tx->id);
    return core_reply_str(rq, id);
}

static int validate(struct xs_txn *tx, struct store *st)
{
    for (struct txn_entry *e = tx->entries; e; e = e->next) {
        if (store_gen(st, e->path) != e->base_gen) {
            return -EAGAIN;
        }
    }
    return 0;
}

static int commit(struct xs_conn *conn, struct xs_txn *tx)
{
    struct xs_core *core = conn->core;
    int rc = validate(tx, core->store);

    if (rc != 0) {
        return rc;
    }
    if (!conn->priv) {
        struct xs_domain *dom = domain_get(core, conn->domid, true);
        if (!dom || (long)dom->nodes + tx->node_delta > (long)core->quota.nodes) {
            return -ENOSPC;
        }
    }
    for (struct txn_op *op = tx->ops; op; op = op->next) {
        core_run(conn, &op->hdr, op->data, true);
    }
    return 0;
}

int txn_end(struct xs_req *rq)
{
    struct xs_conn *conn = rq->conn;
    struct xs_txn **pp = &conn->txns;
    const char *argv[1];
    int rc = 0;

    if (!rq->txn) {
        return -ENOENT;
    }
    if (core_split(rq->data, rq->len, argv, 1) != 1 ||
        (strcmp(argv[0], "T") != 0 && strcmp(argv[0], "F") != 0)) {
        return -EINVAL;
    }
    while (*pp != rq->txn) {
        pp = &(*pp)->next;
    }
    *pp = rq->txn->next;
    conn->ntxns--;
    if (argv[0][0] == 'T') {
        rc = commit(conn, rq->txn);
    }
    txn_free(rq->txn);
    rq->txn = NULL;
    return rc == 0 ? core_reply_str(rq, "OK") : rc;
}

void txn_conn_free(struct xs_conn *conn)
{
    while (conn->txns) {
        struct xs_txn *tx = conn->txns;
        conn->txns = tx->next;
        txn_free(tx);
    }
    conn->ntxns = 0;
}

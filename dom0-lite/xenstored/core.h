/* SPDX-License-Identifier: MIT */
/*
 * xenstored core: connections, message dispatch, permissions, watches, transactions
 * and quotas. Transport-independent: a transport feeds bytes in with
 * core_conn_input() and drains replies with core_conn_output().
 */
#ifndef XENSTORED_CORE_H
#define XENSTORED_CORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "store.h"

#define XS_HDR_SIZE    ((uint32_t)sizeof(struct xsd_sockmsg))
#define XS_MSG_MAX     (XS_HDR_SIZE + XENSTORE_PAYLOAD_MAX)
#define XS_DOMID_MAX   0xffffu
#define XS_DOMAIN_HASH 64
#define XS_WATCH_HASH  1024
#define XS_TXN_HASH    128

struct xs_core;
struct xs_conn;

/* Limits; Xen 4.17's defaults unless noted. */
struct xs_quota {
    unsigned nodes;         /* nodes owned per unprivileged domain (1000) */
    unsigned watches;       /* watches per connection (128) */
    unsigned transactions;  /* open transactions per connection (10) */
    unsigned value_size;    /* value bytes for unprivileged domains (2048) */
    unsigned perms;         /* ACL entries per node for unprivileged domains (5) */
    unsigned txn_nodes;     /* nodes a transaction may touch (1024) */
    unsigned turn_requests; /* requests handled per connection per turn (20, "outstanding") */
    size_t out_soft;        /* stop reading a connection with this much output pending */
    size_t out_hard;        /* drop watch events beyond this much pending output */
    size_t memory;          /* bytes one account may hold (8 MiB; docs/xenstored.md) */
    size_t memory_total;    /* bytes all accounts together may hold (64 MiB) */
};

/*
 * Memory accounting. An account is a byte count: each connection has one for what it
 * holds while connected (open transactions, watches, queued output), each domain one for
 * the nodes it owns. Both are bounded by quota.memory, and their sum (core->mem_used)
 * by quota.memory_total. Charging past a bound fails with ENOMEM, as Xen's per-domain
 * memory quota does (XSA-326); replies are charged without a check (their queue is
 * bounded by out_soft), watch events beyond a bound are dropped.
 */
#define XS_NODE_COST(vlen) (64 + (size_t)(vlen)) /* a node's record, path excluded */
int core_mem_charge(struct xs_core *core, size_t *acct, size_t bytes, bool check);
int core_mem_charge_conn(struct xs_conn *conn, size_t bytes);
void core_mem_release(struct xs_core *core, size_t *acct, size_t bytes);

struct xs_conn;
struct xs_txn;
struct xs_watch;

struct xs_conn_ops {
    /* Output is pending on @conn: arrange for core_conn_output() to be drained. */
    void (*kick)(struct xs_conn *conn);
};

struct xs_obuf {
    uint8_t *data;
    size_t head; /* first unsent byte */
    size_t len;  /* end of pending bytes */
    size_t cap;
};

struct xs_conn {
    struct xs_core *core;
    struct xs_conn *next, *prev; /* all connections */
    unsigned domid;
    bool priv; /* dom0: no node quota, may manage domains */
    const struct xs_conn_ops *ops;
    void *transport; /* owned by the transport */
    struct xs_obuf out;
    struct xs_watch *watches; /* this connection's watches */
    unsigned nwatches;
    struct xs_txn *txns; /* open transactions */
    unsigned ntxns;
    uint64_t events_dropped;
    size_t mem; /* bytes charged to this connection (see core_mem_charge) */
};

struct xs_domain {
    struct xs_domain *next;
    unsigned domid;
    bool introduced;
    bool released;   /* @releaseDomain already sent (RESUME re-arms) */
    int target;      /* SET_TARGET: domain this one acts for, -1 if none */
    unsigned nodes;  /* nodes owned */
    size_t node_mem; /* bytes of the nodes owned, XS_NODE_COST each */
    uint64_t mfn;
    unsigned evtchn;
};

struct xs_domain_ops {
    /* Connect a ring for @domid (INTRODUCE). NULL on hosts without rings. */
    int (*introduce)(void *ctx, struct xs_domain *dom);
    void (*release)(void *ctx, struct xs_domain *dom);
    void *ctx;
};

struct xs_core {
    struct store *store;
    struct xs_quota quota;
    struct xs_domain_ops dom_ops;
    struct xs_domain *domains[XS_DOMAIN_HASH];
    struct xs_watch *watch_hash[XS_WATCH_HASH];
    unsigned nwatches_total;
    struct xs_conn *conns;
    uint32_t next_txn_id;
    uint64_t requests;
    size_t mem_used; /* sum of every account */
    /* Scratch space for one request at a time. */
    char req_buf[XENSTORE_PAYLOAD_MAX + 1];
    char path_buf[XENSTORE_ABS_PATH_MAX + 64];
    char path2_buf[XENSTORE_ABS_PATH_MAX + 64];
    uint8_t reply_buf[XENSTORE_PAYLOAD_MAX + 64];
    struct xs_node node, node2;
    struct xs_node special; /* a special node's permissions while its event is delivered */
};

/* One request being handled. */
struct xs_req {
    struct xs_conn *conn;
    struct xsd_sockmsg hdr;
    char *data; /* payload, with a NUL appended at data[len] */
    uint32_t len;
    struct xs_txn *txn; /* NULL outside transactions */
    bool replay;        /* replaying a committed transaction: no reply */
};

void core_default_quota(struct xs_quota *q);
int core_init(struct xs_core *core, struct store *store, const struct xs_quota *quota);
void core_fini(struct xs_core *core);
struct xs_conn *core_conn_new(struct xs_core *core, unsigned domid, const struct xs_conn_ops *ops,
                              void *transport);
void core_conn_free(struct xs_conn *conn);
size_t core_conn_input(struct xs_conn *conn, const uint8_t *buf, size_t len, int *err);
bool core_conn_can_read(const struct xs_conn *conn);
size_t core_conn_output(struct xs_conn *conn, const uint8_t **data);
void core_conn_consumed(struct xs_conn *conn, size_t n);

/* Message handling internals shared by the core's modules. */
int core_reply(struct xs_req *rq, uint32_t type, const void *data, size_t len);
int core_reply_str(struct xs_req *rq, const char *s);
int core_queue(struct xs_conn *conn, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
               size_t alen, const void *b, size_t blen, bool droppable);
const char *core_errstr(int err);
int core_run(struct xs_conn *conn, const struct xsd_sockmsg *hdr, char *data, bool replay);
unsigned core_split(const char *data, uint32_t len, const char **argv, unsigned max);

/* access.c: paths and permissions. */
int path_canon(const struct xs_conn *conn, const char *in, char *out, size_t out_size);
bool path_valid(const char *path, size_t max);
bool path_is_child(const char *child, const char *parent);
unsigned perm_of(const struct xs_conn *conn, const struct xs_node *node);
int perms_parse(const char *data, uint32_t len, struct xs_node *node);
size_t perms_format(const struct xs_node *node, char *out, size_t size);
int parse_domid(const char *s, unsigned *domid);

/* ops.c: database requests. */
int ops_read(struct xs_req *rq);
int ops_write(struct xs_req *rq);
int ops_mkdir(struct xs_req *rq);
int ops_rm(struct xs_req *rq);
int ops_directory(struct xs_req *rq);
int ops_directory_part(struct xs_req *rq);
int ops_get_perms(struct xs_req *rq);
int ops_set_perms(struct xs_req *rq);

/* domain.c: domains, quotas and domain management requests. */
struct xs_domain *domain_get(struct xs_core *core, unsigned domid, bool create);
void domain_node_added(struct xs_core *core, unsigned owner, uint32_t vlen);
void domain_node_removed(struct xs_core *core, unsigned owner, uint32_t vlen);
void domain_node_resized(struct xs_core *core, unsigned owner, uint32_t old_vlen,
                         uint32_t new_vlen);
int domain_node_mem_check(struct xs_conn *conn, uint32_t vlen, unsigned new_nodes);
void domain_free_all(struct xs_core *core);
int domain_introduce(struct xs_req *rq);
int domain_release(struct xs_req *rq);
int domain_get_path(struct xs_req *rq);
int domain_is_introduced(struct xs_req *rq);
int domain_resume(struct xs_req *rq);
int domain_set_target(struct xs_req *rq);
int domain_conn_target(const struct xs_conn *conn);

/* watch.c */
#define XS_SPECIAL_INTRODUCE "@introduceDomain"
#define XS_SPECIAL_RELEASE   "@releaseDomain"
bool special_path(const char *path);
int special_init(struct xs_core *core);
void special_forget_domain(struct xs_core *core, unsigned domid);
int watch_add(struct xs_req *rq);
int watch_remove(struct xs_req *rq);
int watch_reset(struct xs_req *rq);
void watch_conn_free(struct xs_conn *conn);
void watch_fire(struct xs_core *core, const char *path, const struct xs_node *node, bool recursive);

/* txn.c */
struct xs_txn *txn_find(struct xs_conn *conn, uint32_t id);
int txn_start(struct xs_req *rq);
int txn_end(struct xs_req *rq);
void txn_conn_free(struct xs_conn *conn);
int txn_get(struct xs_txn *tx, struct store *st, const char *path, struct xs_node *node);
int txn_create(struct xs_txn *tx, struct store *st, const char *path, const struct xs_node *node);
int txn_update(struct xs_txn *tx, const char *path, const struct xs_node *node);
int txn_rm(struct xs_txn *tx, const char *path);
int txn_list(struct xs_txn *tx, struct store *st, const char *path, store_list_fn fn, void *ctx);
int txn_log(struct xs_txn *tx, const struct xs_req *rq);
int txn_node_delta(const struct xs_txn *tx);

#endif

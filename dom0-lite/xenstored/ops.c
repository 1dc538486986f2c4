/* SPDX-License-Identifier: MIT */
/*
 * Database requests: READ, WRITE, MKDIR, RM, DIRECTORY(_PART), GET/SET_PERMS.
 * Each works on a "view": the store itself, or a transaction's overlay on it.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static struct store *st_of(const struct xs_req *rq)
{
    return rq->conn->core->store;
}

static int v_get(struct xs_req *rq, const char *path, struct xs_node *n)
{
    return rq->txn ? txn_get(rq->txn, st_of(rq), path, n) : store_get(st_of(rq), path, n);
}

static int v_create(struct xs_req *rq, const char *path, struct xs_node *n)
{
    return rq->txn ? txn_create(rq->txn, st_of(rq), path, n) : store_create(st_of(rq), path, n);
}

static int v_update(struct xs_req *rq, const char *path, struct xs_node *n)
{
    return rq->txn ? txn_update(rq->txn, path, n) : store_update(st_of(rq), path, n);
}

static int v_list(struct xs_req *rq, const char *path, const struct xs_node *n, store_list_fn fn,
                  void *ctx)
{
    return rq->txn ? txn_list(rq->txn, st_of(rq), path, fn, ctx)
                   : store_list(st_of(rq), n, path, fn, ctx);
}

/* Error for a missing node: EACCES if the nearest existing ancestor is unreadable. */
static int missing(struct xs_req *rq, const char *path)
{
    struct xs_core *core = rq->conn->core;
    char *buf = core->path2_buf;
    size_t len = strlen(path);

    if (rq->conn->priv) {
        return -ENOENT;
    }
    memcpy(buf, path, len + 1);
    while (len > 1) {
        len = path_parent_len(buf, len);
        buf[len] = '\0';
        int rc = v_get(rq, buf, &core->node2);
        if (rc == 0) {
            return (perm_of(rq->conn, &core->node2) & XS_PERM_READ) ? -ENOENT : -EACCES;
        }
        if (rc != -ENOENT) {
            return rc;
        }
    }
    return -ENOENT;
}

static int get_checked(struct xs_req *rq, const char *path, struct xs_node *n, unsigned perm)
{
    int rc = v_get(rq, path, n);

    if (rc == -ENOENT) {
        return missing(rq, path);
    }
    if (rc == 0 && (perm_of(rq->conn, n) & perm) != perm) {
        return -EACCES;
    }
    return rc;
}

/* Parses the single path argument of a request into core->path_buf. */
static int one_path(struct xs_req *rq, const char **rest, uint32_t *rest_len)
{
    struct xs_core *core = rq->conn->core;
    const char *argv[1];
    size_t plen;

    if (core_split(rq->data, rq->len, argv, 1) != 1) {
        return -EINVAL;
    }
    plen = strlen(argv[0]) + 1;
    if (rest) {
        *rest = rq->data + plen;
        *rest_len = rq->len - (uint32_t)plen;
    }
    return path_canon(rq->conn, argv[0], core->path_buf, sizeof(core->path_buf));
}

/*
 * Like one_path() for GET_PERMS and SET_PERMS, which also take the special nodes
 * @introduceDomain and @releaseDomain (*special is then set); any other name starting
 * with '@' is invalid.
 */
static int perms_path(struct xs_req *rq, const char **rest, uint32_t *rest_len, bool *special)
{
    struct xs_core *core = rq->conn->core;
    const char *argv[1];

    *special = false;
    if (core_split(rq->data, rq->len, argv, 1) == 1 && special_path(argv[0])) {
        size_t plen = strlen(argv[0]) + 1;
        *special = true;
        memcpy(core->path_buf, argv[0], plen);
        if (rest) {
            *rest = rq->data + plen;
            *rest_len = rq->len - (uint32_t)plen;
        }
        return 0;
    }
    return one_path(rq, rest, rest_len);
}

static int finish(struct xs_req *rq, int rc)
{
    if (rc == 0 && rq->txn) {
        rc = txn_log(rq->txn, rq);
    }
    return rc == 0 ? core_reply_str(rq, "OK") : rc;
}

int ops_read(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    int rc = one_path(rq, NULL, NULL);

    if (rc == 0) {
        rc = get_checked(rq, core->path_buf, &core->node, XS_PERM_READ);
    }
    return rc == 0 ? core_reply(rq, XS_READ, core->node.value, core->node.vlen) : rc;
}

static void account_created(struct xs_req *rq, const struct xs_node *n)
{
    if (!rq->txn) {
        domain_node_added(rq->conn->core, n->perms[0].id, n->vlen);
    }
}

/*
 * Creates @path and any missing parents; each inherits its parent's permissions, and a
 * node created by an unprivileged domain is owned by it. The quota is checked for all
 * missing nodes before the first is created.
 */
static int create_chain(struct xs_req *rq, const char *path, const void *value, uint32_t vlen)
{
    struct xs_core *core = rq->conn->core;
    char *buf = core->path2_buf;
    struct xs_node *n = &core->node;
    size_t len = strlen(path), plen = len;
    unsigned missing_nodes = 0;
    int rc;

    memcpy(buf, path, len + 1);
    do {
        plen = path_parent_len(buf, plen);
        buf[plen] = '\0';
        missing_nodes++;
        rc = v_get(rq, buf, n);
    } while (rc == -ENOENT && plen > 1);
    if (rc != 0) {
        return rc;
    }
    if (!(perm_of(rq->conn, n) & XS_PERM_WRITE)) {
        return -EACCES;
    }
    if (!rq->conn->priv) {
        struct xs_domain *dom = domain_get(core, rq->conn->domid, true);
        int delta = rq->txn ? txn_node_delta(rq->txn) : 0;
        if (!dom || (long)dom->nodes + delta + missing_nodes > (long)core->quota.nodes) {
            return -ENOSPC;
        }
        n->perms[0].id = rq->conn->domid;
    }
    memcpy(buf, path, len + 1);
    while (plen < len) {
        size_t next = plen + 1;
        while (buf[next] != '/' && buf[next] != '\0') {
            next++;
        }
        buf[next] = '\0';
        n->vlen = next == len ? vlen : 0;
        memcpy(n->value, value, n->vlen);
        rc = v_create(rq, buf, n);
        if (rc != 0) {
            return rc;
        }
        account_created(rq, n);
        buf[next] = path[next];
        plen = next;
    }
    return 0;
}

int ops_write(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    const char *value;
    uint32_t vlen;
    int rc = one_path(rq, &value, &vlen);

    if (rc != 0) {
        return rc;
    }
    if (!rq->conn->priv && vlen > core->quota.value_size) {
        return -ENOSPC;
    }
    /*
     * Node memory is checked when the store changes, not when a commit replays (a
     * commit must apply whole; the transaction was charged to its connection meanwhile).
     */
    if (!rq->txn && !rq->replay && (rc = domain_node_mem_check(rq->conn, vlen, 0)) != 0) {
        return rc;
    }
    rc = v_get(rq, core->path_buf, &core->node);
    if (rc == 0) {
        uint32_t old_vlen = core->node.vlen;
        if (!(perm_of(rq->conn, &core->node) & XS_PERM_WRITE)) {
            return -EACCES;
        }
        core->node.vlen = vlen;
        memcpy(core->node.value, value, vlen);
        rc = v_update(rq, core->path_buf, &core->node);
        if (rc == 0 && !rq->txn) {
            domain_node_resized(core, core->node.perms[0].id, old_vlen, vlen);
        }
    } else if (rc == -ENOENT) {
        rc = create_chain(rq, core->path_buf, value, vlen);
    }
    if (rc == 0 && !rq->txn) {
        watch_fire(core, core->path_buf, &core->node, false);
    }
    return finish(rq, rc);
}

int ops_mkdir(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    int rc = one_path(rq, NULL, NULL);

    if (rc != 0) {
        return rc;
    }
    rc = v_get(rq, core->path_buf, &core->node);
    if (rc == 0) {
        return (perm_of(rq->conn, &core->node) & XS_PERM_WRITE) ? finish(rq, 0) : -EACCES;
    }
    if (rc == -ENOENT) {
        rc = create_chain(rq, core->path_buf, "", 0);
        if (rc == 0 && !rq->txn) {
            watch_fire(core, core->path_buf, &core->node, false);
        }
    }
    return finish(rq, rc);
}

static void account_removed(void *ctx, const struct xs_node *n)
{
    domain_node_removed(ctx, n->perms[0].id, n->vlen);
}

int ops_rm(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    char *path = core->path_buf;
    int rc = one_path(rq, NULL, NULL);

    if (rc != 0) {
        return rc;
    }
    if (strcmp(path, "/") == 0) {
        return -EINVAL;
    }
    rc = v_get(rq, path, &core->node);
    if (rc == -ENOENT) {
        /* Not an error unless the parent is missing too. */
        size_t plen = path_parent_len(path, strlen(path));
        memcpy(core->path2_buf, path, plen);
        core->path2_buf[plen] = '\0';
        rc = v_get(rq, core->path2_buf, &core->node2);
        return rc == 0 ? finish(rq, 0) : missing(rq, path);
    }
    if (rc != 0) {
        return rc;
    }
    if (!(perm_of(rq->conn, &core->node) & XS_PERM_WRITE)) {
        return -EACCES;
    }
    if (rq->txn) {
        return finish(rq, txn_rm(rq->txn, path));
    }
    rc = store_rm(core->store, path, account_removed, core);
    if (rc == 0) {
        watch_fire(core, path, &core->node, true);
        store_maybe_compact(core->store);
    }
    return finish(rq, rc);
}

struct dir_ctx {
    char *buf;
    size_t len, cap;
    uint64_t skip; /* DIRECTORY_PART: bytes of names to skip */
    uint64_t pos;  /* bytes of names seen */
    bool full;
};

static int dir_add(void *ctx, const char *name, size_t len)
{
    struct dir_ctx *d = ctx;

    d->pos += len + 1;
    if (d->pos <= d->skip) {
        return 0;
    }
    if (d->len + len + 1 > d->cap) {
        d->full = true;
        return 1;
    }
    memcpy(d->buf + d->len, name, len);
    d->buf[d->len + len] = '\0';
    d->len += len + 1;
    return 0;
}

int ops_directory(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    struct dir_ctx d = {.buf = (char *)core->reply_buf, .cap = XENSTORE_PAYLOAD_MAX};
    int rc = one_path(rq, NULL, NULL);

    if (rc == 0) {
        rc = get_checked(rq, core->path_buf, &core->node, XS_PERM_READ);
    }
    if (rc == 0) {
        rc = v_list(rq, core->path_buf, &core->node, dir_add, &d);
    }
    if (rc == 0 && d.full) {
        rc = -E2BIG;
    }
    return rc == 0 ? core_reply(rq, XS_DIRECTORY, d.buf, d.len) : rc;
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;

    if (*s < '0' || *s > '9') {
        return -EINVAL;
    }
    errno = 0;
    *v = strtoull(s, &end, 10);
    return (*end != '\0' || errno != 0) ? -EINVAL : 0;
}

int ops_directory_part(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    const char *argv[2];
    char *out = (char *)core->reply_buf;
    struct dir_ctx d = {0};
    int rc, glen;

    if (core_split(rq->data, rq->len, argv, 2) != 2 || parse_u64(argv[1], &d.skip) != 0) {
        return -EINVAL;
    }
    rc = path_canon(rq->conn, argv[0], core->path_buf, sizeof(core->path_buf));
    if (rc == 0) {
        rc = get_checked(rq, core->path_buf, &core->node, XS_PERM_READ);
    }
    if (rc != 0) {
        return rc;
    }
    glen = snprintf(out, 32, "%" PRIu64, core->node.gen) + 1;
    d.buf = out + glen;
    d.cap = XENSTORE_PAYLOAD_MAX - (size_t)glen - 1;
    rc = v_list(rq, core->path_buf, &core->node, dir_add, &d);
    if (rc != 0) {
        return rc;
    }
    if (!d.full) {
        d.buf[d.len++] = '\0'; /* an empty name marks the end of the list */
    }
    return core_reply(rq, XS_DIRECTORY_PART, out, (size_t)glen + d.len);
}

int ops_get_perms(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    bool special;
    int rc = perms_path(rq, NULL, NULL, &special);
    size_t len;

    if (rc == 0 && special) {
        /* As Xen: reading a special node's permissions needs read permission on it. */
        rc = v_get(rq, core->path_buf, &core->node);
        if (rc == 0 && !(perm_of(rq->conn, &core->node) & XS_PERM_READ)) {
            rc = -EACCES;
        }
    } else if (rc == 0) {
        rc = get_checked(rq, core->path_buf, &core->node, XS_PERM_READ);
    }
    if (rc != 0) {
        return rc;
    }
    len = perms_format(&core->node, (char *)core->reply_buf, sizeof(core->reply_buf));
    return core_reply(rq, XS_GET_PERMS, core->reply_buf, len);
}

static int check_new_perms(struct xs_req *rq, const struct xs_node *old, const struct xs_node *n)
{
    struct xs_core *core = rq->conn->core;

    if (rq->conn->priv) {
        return 0;
    }
    if (n->nperms > core->quota.perms + 1) {
        return -ENOSPC;
    }
    /* An unprivileged domain may not give its nodes away. */
    if (n->perms[0].id != old->perms[0].id) {
        return -EPERM;
    }
    return 0;
}

int ops_set_perms(struct xs_req *rq)
{
    struct xs_core *core = rq->conn->core;
    const char *rest;
    uint32_t rest_len;
    struct xs_node *n = &core->node2;
    unsigned old_owner;
    bool special;
    int rc = perms_path(rq, &rest, &rest_len, &special);

    if (rc == 0) {
        rc = perms_parse(rest, rest_len, n);
    }
    /*
     * Special nodes: privileged connections only (Xen asks for write and owner rights on
     * the node, which for the default "n0" means the same; here a non-dom0 owner set by
     * dom0 still may not change them). They count towards no quota, and changing them
     * fires no watch: their watchers are told about domains, not about permissions.
     */
    if (rc == 0 && special && !rq->conn->priv) {
        rc = -EACCES;
    }
    if (rc == 0) {
        rc = special ? v_get(rq, core->path_buf, &core->node)
                     : get_checked(rq, core->path_buf, &core->node, XS_PERM_WRITE);
    }
    if (rc == 0) {
        rc = check_new_perms(rq, &core->node, n);
    }
    if (rc != 0) {
        return rc;
    }
    old_owner = core->node.perms[0].id;
    core->node.nperms = n->nperms;
    memcpy(core->node.perms, n->perms, sizeof(n->perms[0]) * n->nperms);
    rc = v_update(rq, core->path_buf, &core->node);
    if (rc == 0 && !rq->txn && !special) {
        domain_node_removed(core, old_owner, core->node.vlen);
        domain_node_added(core, core->node.perms[0].id, core->node.vlen);
        watch_fire(core, core->path_buf, &core->node, false);
    }
    return finish(rq, rc);
}

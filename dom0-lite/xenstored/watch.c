/* SPDX-License-Identifier: MIT */
/*
 * Watches. All watches sit in one hash table keyed by their absolute path, so an event
 * on /a/b/c costs one lookup per ancestor ("/", "/a", "/a/b", "/a/b/c") whatever the
 * number of watches. Only a recursive removal scans the whole table, for watches below
 * the removed node.
 *
 * Special watches (XSA-115, as in Xen since 4.15; xenstore.txt: "<wspecial> events are
 * sent to privileged callers or explicitly via SET_PERMS enabled domains only"): the
 * names @introduceDomain and @releaseDomain are also nodes with permissions, kept in the
 * store as detached nodes (store_create_detached()) so that they are persisted, compacted
 * and seen by transactions like every other node. They start as "n0" (owner dom0, no
 * access for others). An event on one of them goes to privileged connections and to
 * connections that may read the special node. WATCH on them is open to everyone and
 * the initial event on registration is always sent, as for any watch: it tells nothing
 * about other domains.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct xs_watch {
    struct xs_watch *hnext; /* hash chain */
    struct xs_watch *cnext; /* connection's list */
    struct xs_conn *conn;
    size_t rel_off; /* bytes of home prefix stripped for relative watches */
    char *token;
    char path[]; /* absolute path or @special */
};

static unsigned hash_path(const char *s, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    }
    return h % XS_WATCH_HASH;
}

static const char *const special_names[] = {XS_SPECIAL_INTRODUCE, XS_SPECIAL_RELEASE};

bool special_path(const char *path)
{
    for (size_t i = 0; i < sizeof(special_names) / sizeof(special_names[0]); i++) {
        if (strcmp(path, special_names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void special_default(struct xs_node *n)
{
    memset(n, 0, sizeof(*n));
    n->nperms = 1;
    n->perms[0] = (struct xs_perm){.id = 0, .perm = XS_PERM_NONE};
}

/* Creates the special nodes with their defaults; ones already in the store are kept. */
int special_init(struct xs_core *core)
{
    for (size_t i = 0; i < sizeof(special_names) / sizeof(special_names[0]); i++) {
        special_default(&core->special);
        int rc = store_create_detached(core->store, special_names[i], &core->special);
        if (rc != 0 && rc != -EEXIST) {
            return rc;
        }
    }
    return 0;
}

/*
 * A released domain's id may be reused: drop it from the special nodes' ACLs and hand
 * nodes it owned back to dom0, as Xen does for them on domain destruction.
 */
void special_forget_domain(struct xs_core *core, unsigned domid)
{
    struct xs_node *n = &core->special;

    for (size_t i = 0; i < sizeof(special_names) / sizeof(special_names[0]); i++) {
        bool changed = false;
        uint32_t kept = 1;

        if (store_get(core->store, special_names[i], n) != 0) {
            continue;
        }
        if (n->perms[0].id == domid) {
            n->perms[0].id = 0;
            changed = true;
        }
        for (uint32_t j = 1; j < n->nperms; j++) {
            if (n->perms[j].id == domid) {
                changed = true;
                continue;
            }
            n->perms[kept++] = n->perms[j];
        }
        n->nperms = kept;
        if (changed) {
            store_update(core->store, special_names[i], n);
        }
    }
}

static void deliver(struct xs_watch *w, const char *epath, const struct xs_node *node)
{
    const char *p = epath + w->rel_off;

    if (!w->conn->priv && node && !(perm_of(w->conn, node) & XS_PERM_READ)) {
        return;
    }
    core_queue(w->conn, XS_WATCH_EVENT, 0, 0, p, strlen(p) + 1, w->token, strlen(w->token) + 1,
               true);
}

static void fire_exact(struct xs_core *core, const char *path, size_t len, const char *epath,
                       const struct xs_node *node)
{
    for (struct xs_watch *w = core->watch_hash[hash_path(path, len)]; w; w = w->hnext) {
        if (strncmp(w->path, path, len) == 0 && w->path[len] == '\0') {
            deliver(w, epath, node);
        }
    }
}

/*
 * Fires watches on @path and its ancestors; with @recursive (a removal) also those below
 * @path, reporting their own path as xenstore.txt specifies.
 */
void watch_fire(struct xs_core *core, const char *path, const struct xs_node *node, bool recursive)
{
    size_t len = strlen(path);

    if (core->nwatches_total == 0) {
        return;
    }
    if (path[0] == '@') {
        /* Filtered by read permission on the special node; if it cannot be read from
         * the store, only privileged connections get the event. */
        if (store_get(core->store, path, &core->special) != 0) {
            special_default(&core->special);
        }
        fire_exact(core, path, len, path, &core->special);
        return;
    }
    fire_exact(core, "/", 1, path, node);
    for (size_t i = 2; i <= len; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            fire_exact(core, path, i, path, node);
        }
    }
    if (!recursive) {
        return;
    }
    for (unsigned b = 0; b < XS_WATCH_HASH; b++) {
        for (struct xs_watch *w = core->watch_hash[b]; w; w = w->hnext) {
            if (w->path[0] == '/' && strcmp(w->path, path) != 0 && path_is_child(w->path, path)) {
                deliver(w, w->path, node);
            }
        }
    }
}

/* Parses WATCH/UNWATCH arguments: the absolute watch path goes to core->path_buf. */
static int watch_args(struct xs_req *rq, const char **token, size_t *rel_off)
{
    struct xs_core *core = rq->conn->core;
    const char *argv[2];
    int rc;

    if (core_split(rq->data, rq->len, argv, 2) != 2) {
        return -EINVAL;
    }
    *token = argv[1];
    *rel_off = 0;
    if (argv[0][0] == '@') {
        size_t len = strlen(argv[0]);
        if (len > XENSTORE_REL_PATH_MAX) {
            return -EINVAL;
        }
        core->path_buf[0] = '/';
        memcpy(core->path_buf + 1, argv[0] + 1, len);
        if (len > 1 && !path_valid(core->path_buf, XENSTORE_ABS_PATH_MAX)) {
            return -EINVAL;
        }
        memcpy(core->path_buf, argv[0], len + 1);
        return 0;
    }
    rc = path_canon(rq->conn, argv[0], core->path_buf, sizeof(core->path_buf));
    if (rc == 0 && argv[0][0] != '/') {
        *rel_off = strlen(core->path_buf) - strlen(argv[0]);
    }
    return rc;
}

static struct xs_watch **find(struct xs_conn *conn, const char *path, const char *token)
{
    struct xs_watch **pp;

    for (pp = &conn->watches; *pp; pp = &(*pp)->cnext) {
        if (strcmp((*pp)->path, path) == 0 && strcmp((*pp)->token, token) == 0) {
            return pp;
        }
    }
    return NULL;
}

int watch_add(struct xs_req *rq)
{
    struct xs_conn *conn = rq->conn;
    struct xs_core *core = conn->core;
    const char *token;
    size_t rel_off, plen, tlen;
    struct xs_watch *w;
    int rc = watch_args(rq, &token, &rel_off);

    if (rc != 0) {
        return rc;
    }
    /* Every event, for any path under the watch, must fit in one message. */
    if (strlen(token) + XENSTORE_ABS_PATH_MAX + 2 > XENSTORE_PAYLOAD_MAX) {
        return -EINVAL;
    }
    if (find(conn, core->path_buf, token)) {
        return -EEXIST;
    }
    if (conn->nwatches >= core->quota.watches) {
        return -E2BIG;
    }
    plen = strlen(core->path_buf);
    tlen = strlen(token);
    if (core_mem_charge_conn(conn, sizeof(*w) + plen + 1 + tlen + 1) != 0) {
        return -ENOMEM;
    }
    w = malloc(sizeof(*w) + plen + 1 + tlen + 1);
    if (!w) {
        core_mem_release(core, &conn->mem, sizeof(*w) + plen + 1 + tlen + 1);
        return -ENOMEM;
    }
    w->conn = conn;
    w->rel_off = rel_off;
    memcpy(w->path, core->path_buf, plen + 1);
    w->token = w->path + plen + 1;
    memcpy(w->token, token, tlen + 1);
    unsigned h = hash_path(w->path, plen);
    w->hnext = core->watch_hash[h];
    core->watch_hash[h] = w;
    w->cnext = conn->watches;
    conn->watches = w;
    conn->nwatches++;
    core->nwatches_total++;
    rc = core_reply_str(rq, "OK");
    /*
     * The initial event, reported with the path as the client gave it. Xen sends it
     * unconditionally (xenstore.txt: "When a watch is first set up it is triggered once
     * straight away"), special watches included: it carries nothing about other domains.
     */
    deliver(w, w->path, NULL);
    return rc;
}

static void unlink_watch(struct xs_core *core, struct xs_watch *w)
{
    struct xs_watch **pp = &core->watch_hash[hash_path(w->path, strlen(w->path))];

    while (*pp && *pp != w) {
        pp = &(*pp)->hnext;
    }
    if (*pp) {
        *pp = w->hnext;
    }
    core->nwatches_total--;
    w->conn->nwatches--;
    core_mem_release(core, &w->conn->mem, sizeof(*w) + strlen(w->path) + strlen(w->token) + 2);
    free(w);
}

int watch_remove(struct xs_req *rq)
{
    const char *token;
    size_t rel_off;
    struct xs_watch **pp, *w;
    int rc = watch_args(rq, &token, &rel_off);

    if (rc != 0) {
        return rc;
    }
    pp = find(rq->conn, rq->conn->core->path_buf, token);
    if (!pp) {
        return -ENOENT;
    }
    w = *pp;
    *pp = w->cnext;
    unlink_watch(rq->conn->core, w);
    return core_reply_str(rq, "OK");
}

void watch_conn_free(struct xs_conn *conn)
{
    while (conn->watches) {
        struct xs_watch *w = conn->watches;
        conn->watches = w->cnext;
        unlink_watch(conn->core, w);
    }
}

int watch_reset(struct xs_req *rq)
{
    watch_conn_free(rq->conn);
    txn_conn_free(rq->conn);
    return core_reply_str(rq, "OK");
}

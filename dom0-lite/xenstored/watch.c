/* SPDX-License-Identifier: MIT */
/*
 * Watches. All watches sit in one hash table keyed by their absolute path, so an event
 * on /a/b/c costs one lookup per ancestor ("/", "/a", "/a/b", "/a/b/c") whatever the
 * number of watches. Only a recursive removal scans the whole table, for watches below
 * the removed node.
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
        fire_exact(core, path, len, path, NULL);
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
    w = malloc(sizeof(*w) + plen + 1 + tlen + 1);
    if (!w) {
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
    /* The initial event, reported with the path as the client gave it. */
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

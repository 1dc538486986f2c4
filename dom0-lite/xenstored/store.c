/* SPDX-License-Identifier: MIT */
/*
 * xenstored storage in tdb. The three reasons Xen dropped tdb are answered here:
 *  - fixed hash size: the hash is sized at open time from the expected node count;
 *  - a file that only grows: store_maybe_compact() rewrites live records into a fresh
 *    tdb once deleted records outnumber live ones;
 *  - a copy per transaction: the store never copies; transactions are overlays in
 *    txn.c that touch only what they use.
 */
#define _GNU_SOURCE
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef XSD_KVMEM
/* dom0-lite's build: the same calls over an in-memory table (kvmem.h). */
#include "kvmem.h"
#else
#include <fcntl.h>
#include <tdb.h>
#include <unistd.h>
#endif

#define STORE_CHUNK_BYTES 1024
#define STORE_KEY_MAX     (XS_VALUE_MAX + 16)
#define STORE_CHUNK_CAP   (2 * XS_VALUE_MAX + 16)
#define STORE_REC_MAX     (64 + XS_PERMS_MAX * 8 + XS_VALUE_MAX)

/* On-disk node header; all fields little-endian host order (the store is private). */
struct node_rec {
    uint64_t gen;
    uint32_t nperms;
    uint32_t vlen;
    uint32_t nchild;
    uint32_t chunk_head;
    uint32_t chunk_tail;
    uint32_t chunk_seq;
    uint32_t parent_chunk;
    uint32_t pad;
};
_Static_assert(sizeof(struct node_rec) == 40, "node_rec layout");

struct chunk_rec {
    uint32_t next;
    uint32_t prev;
    uint32_t count; /* names in the chunk */
    uint32_t bytes; /* bytes of names, each NUL-terminated */
};
_Static_assert(sizeof(struct chunk_rec) == 16, "chunk_rec layout");

struct chunk {
    struct chunk_rec hdr;
    char names[STORE_CHUNK_CAP];
};

struct store {
    struct tdb_context *tdb;
    char *path; /* NULL for an in-memory database */
    int hash_size;
    uint64_t next_gen;
    struct store_stats stats;
    uint8_t key[STORE_KEY_MAX];
    uint8_t rec[STORE_REC_MAX];
    struct chunk chunk;
    struct xs_node scratch;
};

struct parse_ctx {
    struct xs_node *node;
    bool found;
    int err;
};

unsigned store_hash_size_for(unsigned expected_nodes)
{
    /* Aim for chains of about one record; chunks add roughly 1/32 more records. */
    unsigned n = expected_nodes + expected_nodes / 32 + 1;

    if (n < 131) {
        n = 131;
    }
    for (;; n++) {
        bool prime = true;
        for (unsigned d = 2; d * d <= n; d++) {
            if (n % d == 0) {
                prime = false;
                break;
            }
        }
        if (prime) {
            return n;
        }
    }
}

size_t path_parent_len(const char *path, size_t len)
{
    while (len > 0 && path[len - 1] != '/') {
        len--;
    }
    /* "/a" has parent "/" (length 1); "/a/b" has parent "/a". */
    return len > 1 ? len - 1 : len;
}

const char *path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static TDB_DATA node_key(struct store *st, const char *path, size_t len)
{
    st->key[0] = 'n';
    memcpy(st->key + 1, path, len);
    return (TDB_DATA){.dptr = st->key, .dsize = len + 1};
}

static TDB_DATA chunk_key(struct store *st, const char *path, size_t len, uint32_t id)
{
    st->key[0] = 'c';
    memcpy(st->key + 1, path, len);
    st->key[len + 1] = '\0';
    memcpy(st->key + len + 2, &id, sizeof(id));
    return (TDB_DATA){.dptr = st->key, .dsize = len + 2 + sizeof(id)};
}

static int parse_node(TDB_DATA key, TDB_DATA data, void *private_data)
{
    struct parse_ctx *pc = private_data;
    struct xs_node *n = pc->node;
    struct node_rec rec;
    size_t need;

    (void)key;
    pc->found = true;
    pc->err = -EIO;
    if (data.dsize < sizeof(rec)) {
        return -1;
    }
    memcpy(&rec, data.dptr, sizeof(rec));
    need = sizeof(rec) + (size_t)rec.nperms * 8 + rec.vlen;
    if (rec.nperms == 0 || rec.nperms > XS_PERMS_MAX || rec.vlen > XS_VALUE_MAX ||
        need != data.dsize) {
        return -1;
    }
    n->gen = rec.gen;
    n->nperms = rec.nperms;
    n->vlen = rec.vlen;
    n->nchild = rec.nchild;
    n->links = (struct xs_links){rec.chunk_head, rec.chunk_tail, rec.chunk_seq, rec.parent_chunk};
    memcpy(n->perms, data.dptr + sizeof(rec), (size_t)rec.nperms * 8);
    memcpy(n->value, data.dptr + sizeof(rec) + (size_t)rec.nperms * 8, rec.vlen);
    pc->err = 0;
    return 0;
}

static int get_len(struct store *st, const char *path, size_t len, struct xs_node *n)
{
    struct parse_ctx pc = {.node = n, .found = false, .err = -EIO};

    tdb_parse_record(st->tdb, node_key(st, path, len), parse_node, &pc);
    if (!pc.found) {
        return -ENOENT;
    }
    return pc.err;
}

int store_get(struct store *st, const char *path, struct xs_node *node)
{
    return get_len(st, path, strlen(path), node);
}

static int parse_gen(TDB_DATA key, TDB_DATA data, void *private_data)
{
    uint64_t *gen = private_data;

    (void)key;
    if (data.dsize >= sizeof(struct node_rec)) {
        memcpy(gen, data.dptr, sizeof(*gen));
    }
    return 0;
}

uint64_t store_gen(struct store *st, const char *path)
{
    uint64_t gen = 0;

    tdb_parse_record(st->tdb, node_key(st, path, strlen(path)), parse_gen, &gen);
    return gen;
}

static int put_len(struct store *st, const char *path, size_t len, const struct xs_node *n,
                   int flag)
{
    struct node_rec rec = {
        .gen = n->gen,
        .nperms = n->nperms,
        .vlen = n->vlen,
        .nchild = n->nchild,
        .chunk_head = n->links.chunk_head,
        .chunk_tail = n->links.chunk_tail,
        .chunk_seq = n->links.chunk_seq,
        .parent_chunk = n->links.parent_chunk,
    };
    size_t plen = (size_t)n->nperms * 8;
    TDB_DATA data = {.dptr = st->rec, .dsize = sizeof(rec) + plen + n->vlen};

    memcpy(st->rec, &rec, sizeof(rec));
    memcpy(st->rec + sizeof(rec), n->perms, plen);
    memcpy(st->rec + sizeof(rec) + plen, n->value, n->vlen);
    if (tdb_store(st->tdb, node_key(st, path, len), data, flag) != 0) {
        return tdb_error(st->tdb) == TDB_ERR_EXISTS ? -EEXIST : -ENOMEM;
    }
    return 0;
}

static int chunk_load(struct store *st, const char *path, size_t len, uint32_t id)
{
    TDB_DATA key = chunk_key(st, path, len, id);
    TDB_DATA data = tdb_fetch(st->tdb, key);
    int rc = -EIO;

    if (!data.dptr) {
        return -EIO;
    }
    if (data.dsize < sizeof(struct chunk_rec) || data.dsize > sizeof(struct chunk)) {
        goto out;
    }
    memcpy(&st->chunk, data.dptr, data.dsize);
    if (st->chunk.hdr.bytes > data.dsize - sizeof(struct chunk_rec)) {
        goto out;
    }
    rc = 0;
out:
    free(data.dptr);
    return rc;
}

/*
 * Chunks are stored padded to a power of two (at least 64 bytes), so appending a name
 * usually fits the record tdb already has and is rewritten in place, instead of freeing
 * and allocating a record each time and fragmenting tdb's free list.
 */
static size_t chunk_class(size_t bytes)
{
    size_t size = 64;

    while (size < bytes) {
        size *= 2;
    }
    return size;
}

static int chunk_save(struct store *st, const char *path, size_t len, uint32_t id, struct chunk *c)
{
    TDB_DATA key = chunk_key(st, path, len, id);
    size_t padded = chunk_class(c->hdr.bytes);
    TDB_DATA data = {.dptr = (uint8_t *)c, .dsize = sizeof(c->hdr) + padded};

    memset(c->names + c->hdr.bytes, 0, padded - c->hdr.bytes);

    if (tdb_store(st->tdb, key, data, TDB_REPLACE) != 0) {
        return -ENOMEM;
    }
    return 0;
}

static int chunk_set_link(struct store *st, const char *path, size_t len, uint32_t id, bool next,
                          uint32_t value)
{
    int rc = chunk_load(st, path, len, id);

    if (rc == 0) {
        if (next) {
            st->chunk.hdr.next = value;
        } else {
            st->chunk.hdr.prev = value;
        }
        rc = chunk_save(st, path, len, id, &st->chunk);
    }
    return rc;
}

/* Appends @name to @parent's last chunk, starting a new chunk when it is full. */
static int child_add(struct store *st, const char *ppath, size_t plen, struct xs_node *parent,
                     const char *name, uint32_t *chunk_id)
{
    size_t nlen = strlen(name) + 1;
    struct chunk *c = &st->chunk;
    uint32_t tail = parent->links.chunk_tail;
    int rc;

    if (tail != 0) {
        rc = chunk_load(st, ppath, plen, tail);
        if (rc != 0) {
            return rc;
        }
        if (c->hdr.bytes + nlen <= STORE_CHUNK_BYTES) {
            memcpy(c->names + c->hdr.bytes, name, nlen);
            c->hdr.bytes += nlen;
            c->hdr.count++;
            *chunk_id = tail;
            return chunk_save(st, ppath, plen, tail, c);
        }
    }
    *chunk_id = ++parent->links.chunk_seq;
    if (*chunk_id == 0) {
        *chunk_id = ++parent->links.chunk_seq;
    }
    c->hdr = (struct chunk_rec){.next = 0, .prev = tail, .count = 1, .bytes = nlen};
    memcpy(c->names, name, nlen);
    rc = chunk_save(st, ppath, plen, *chunk_id, c);
    if (rc == 0 && tail != 0) {
        rc = chunk_set_link(st, ppath, plen, tail, true, *chunk_id);
    }
    if (tail == 0) {
        parent->links.chunk_head = *chunk_id;
    }
    parent->links.chunk_tail = *chunk_id;
    return rc;
}

static int chunk_unlink(struct store *st, const char *ppath, size_t plen, struct xs_node *parent,
                        uint32_t id)
{
    uint32_t next = st->chunk.hdr.next, prev = st->chunk.hdr.prev;
    int rc = 0;

    tdb_delete(st->tdb, chunk_key(st, ppath, plen, id));
    if (prev != 0) {
        rc = chunk_set_link(st, ppath, plen, prev, true, next);
    } else {
        parent->links.chunk_head = next;
    }
    if (rc == 0 && next != 0) {
        rc = chunk_set_link(st, ppath, plen, next, false, prev);
    } else if (next == 0) {
        parent->links.chunk_tail = prev;
    }
    return rc;
}

static int child_del(struct store *st, const char *ppath, size_t plen, struct xs_node *parent,
                     const char *name, uint32_t id)
{
    struct chunk *c = &st->chunk;
    size_t nlen = strlen(name) + 1, off = 0;
    int rc = chunk_load(st, ppath, plen, id);

    if (rc != 0) {
        return rc;
    }
    while (off < c->hdr.bytes && strcmp(c->names + off, name) != 0) {
        off += strnlen(c->names + off, c->hdr.bytes - off) + 1;
    }
    if (off >= c->hdr.bytes) {
        return -EIO;
    }
    memmove(c->names + off, c->names + off + nlen, c->hdr.bytes - off - nlen);
    c->hdr.bytes -= nlen;
    c->hdr.count--;
    if (c->hdr.count == 0) {
        return chunk_unlink(st, ppath, plen, parent, id);
    }
    return chunk_save(st, ppath, plen, id, c);
}

int store_create(struct store *st, const char *path, struct xs_node *node)
{
    size_t len = strlen(path), plen = path_parent_len(path, len);
    struct xs_node *parent = &st->scratch;
    uint32_t chunk_id = 0;
    int rc;

    if (len <= 1) {
        return -EINVAL;
    }
    if (tdb_exists(st->tdb, node_key(st, path, len))) {
        return -EEXIST;
    }
    rc = get_len(st, path, plen, parent);
    if (rc != 0) {
        return rc;
    }
    rc = child_add(st, path, plen, parent, path_basename(path), &chunk_id);
    if (rc != 0) {
        return rc;
    }
    parent->nchild++;
    parent->gen = st->next_gen++;
    rc = put_len(st, path, plen, parent, TDB_REPLACE);
    if (rc != 0) {
        return rc;
    }
    node->gen = st->next_gen++;
    node->nchild = 0;
    node->links = (struct xs_links){0, 0, 0, chunk_id};
    rc = put_len(st, path, len, node, TDB_INSERT);
    if (rc == 0) {
        st->stats.live_records++;
    }
    return rc;
}

/*
 * Creates a node outside the tree: no parent, never any children. Only for names starting
 * with '@' (Xen's special nodes @introduceDomain and @releaseDomain, which carry
 * permissions only), so that store_check() can tell them from tree nodes. They live in
 * the database with every other node, so they are compacted, written to the --db file
 * and seen by transactions like the rest; store_update() changes them.
 */
int store_create_detached(struct store *st, const char *path, struct xs_node *node)
{
    size_t len = strlen(path);
    int rc;

    if (len < 2 || path[0] != '@' || strchr(path, '/')) {
        return -EINVAL;
    }
    if (tdb_exists(st->tdb, node_key(st, path, len))) {
        return -EEXIST;
    }
    node->gen = st->next_gen++;
    node->nchild = 0;
    node->links = (struct xs_links){0, 0, 0, 0};
    rc = put_len(st, path, len, node, TDB_INSERT);
    if (rc == 0) {
        st->stats.live_records++;
    }
    return rc;
}

int store_update(struct store *st, const char *path, struct xs_node *node)
{
    node->gen = st->next_gen++;
    return put_len(st, path, strlen(path), node, TDB_REPLACE);
}

/* Deletes one leaf at @path (len @len) whose record is @leaf. */
static int rm_leaf(struct store *st, const char *path, size_t len, const struct xs_node *leaf)
{
    size_t plen = path_parent_len(path, len);
    struct xs_node *parent = &st->scratch;
    char name[XS_VALUE_MAX];
    int rc;

    memcpy(name, path + plen + (plen > 1 ? 1 : 0), len - plen - (plen > 1 ? 1 : 0));
    name[len - plen - (plen > 1 ? 1 : 0)] = '\0';
    rc = get_len(st, path, plen, parent);
    if (rc == 0) {
        rc = child_del(st, path, plen, parent, name, leaf->links.parent_chunk);
    }
    if (rc == 0) {
        parent->nchild--;
        parent->gen = st->next_gen++;
        rc = put_len(st, path, plen, parent, TDB_REPLACE);
    }
    if (rc == 0 && tdb_delete(st->tdb, node_key(st, path, len)) != 0) {
        rc = -EIO;
    }
    if (rc == 0) {
        st->stats.live_records--;
        st->stats.dead_records++;
    }
    return rc;
}

/*
 * Removes the subtree at @path one leaf at a time: descend to the first child until a
 * leaf is found, delete it, step back up. Memory stays bounded by one path and one node,
 * whatever the size of the subtree.
 */
int store_rm(struct store *st, const char *path, store_rm_fn fn, void *ctx)
{
    size_t root_len = strlen(path), len = root_len;
    char *cur = malloc(XS_VALUE_MAX * 2);
    struct xs_node *n = malloc(sizeof(*n));
    int rc = -ENOMEM;

    if (!cur || !n) {
        goto out;
    }
    memcpy(cur, path, len + 1);
    for (;;) {
        rc = get_len(st, cur, len, n);
        if (rc != 0) {
            goto out;
        }
        if (n->nchild > 0) {
            rc = chunk_load(st, cur, len, n->links.chunk_head);
            if (rc != 0 || st->chunk.hdr.count == 0) {
                rc = -EIO;
                goto out;
            }
            size_t nlen = strnlen(st->chunk.names, st->chunk.hdr.bytes);
            if (len + 1 + nlen >= XS_VALUE_MAX * 2) {
                rc = -EIO;
                goto out;
            }
            cur[len++] = '/';
            memcpy(cur + len, st->chunk.names, nlen);
            len += nlen;
            cur[len] = '\0';
            continue;
        }
        rc = rm_leaf(st, cur, len, n);
        if (rc != 0) {
            goto out;
        }
        if (fn) {
            fn(ctx, n);
        }
        if (len == root_len) {
            break;
        }
        len = path_parent_len(cur, len);
        cur[len] = '\0';
    }
out:
    free(cur);
    free(n);
    return rc;
}

int store_list(struct store *st, const struct xs_node *node, const char *path, store_list_fn fn,
               void *ctx)
{
    size_t len = strlen(path);
    uint32_t id = node->links.chunk_head;
    unsigned guard = 0;

    while (id != 0) {
        int rc = chunk_load(st, path, len, id);
        if (rc != 0) {
            return rc;
        }
        for (size_t off = 0; off < st->chunk.hdr.bytes;) {
            size_t nlen = strnlen(st->chunk.names + off, st->chunk.hdr.bytes - off);
            if (fn(ctx, st->chunk.names + off, nlen)) {
                return 0;
            }
            off += nlen + 1;
        }
        id = st->chunk.hdr.next;
        if (++guard > node->nchild) {
            return -EIO;
        }
    }
    return 0;
}

#ifdef XSD_KVMEM
static struct tdb_context *open_tdb(const char *path, int hash_size)
{
    /* Memory only: a --db file needs the host's tdb. */
    return path ? NULL : kvmem_open((unsigned)hash_size);
}
#else
static void log_fn(struct tdb_context *tdb, enum tdb_debug_level level, const char *fmt, ...)
{
    (void)tdb;
    (void)level;
    (void)fmt;
}

static struct tdb_context *open_tdb(const char *path, int hash_size)
{
    struct tdb_logging_context log = {.log_fn = log_fn};
    int flags = TDB_NOLOCK | TDB_NOSYNC | TDB_INCOMPATIBLE_HASH;

    if (!path) {
        flags |= TDB_INTERNAL;
    }
    return tdb_open_ex(path ? path : "xenstored", hash_size, flags, O_RDWR | O_CREAT | O_TRUNC,
                       0600, &log, NULL);
}
#endif

static int create_root(struct store *st)
{
    struct xs_node *root = &st->scratch;

    memset(root, 0, sizeof(*root));
    root->nperms = 1;
    root->perms[0] = (struct xs_perm){.id = 0, .perm = XS_PERM_NONE};
    root->gen = st->next_gen++;
    st->stats.live_records = 1;
    return put_len(st, "/", 1, root, TDB_INSERT);
}

int store_open(struct store **out, const struct store_config *cfg)
{
    struct store *st = calloc(1, sizeof(*st));
    int rc = -ENOMEM;

    if (!st) {
        return -ENOMEM;
    }
    st->hash_size = (int)store_hash_size_for(cfg->expected_nodes);
    st->next_gen = 1;
    if (cfg->path) {
        st->path = strdup(cfg->path);
        if (!st->path) {
            goto out;
        }
    }
    st->tdb = open_tdb(st->path, st->hash_size);
    rc = st->tdb ? create_root(st) : -EIO;
out:
    if (rc != 0) {
        store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    if (!st) {
        return;
    }
    if (st->tdb) {
        tdb_close(st->tdb);
    }
    free(st->path);
    free(st);
}

/* The file side of compaction: only the host has files (kvmem is memory only). */
static void store_unlink(const char *tmp)
{
#ifndef XSD_KVMEM
    if (tmp) {
        unlink(tmp);
    }
#else
    (void)tmp;
#endif
}

static int store_rename(const char *tmp, const char *path)
{
#ifndef XSD_KVMEM
    return rename(tmp, path) != 0 ? -errno : 0;
#else
    (void)tmp;
    (void)path;
    return -EIO;
#endif
}

static int copy_record(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *private_data)
{
    struct tdb_context *dst = private_data;

    (void)tdb;
    return tdb_store(dst, key, data, TDB_INSERT) == 0 ? 0 : -1;
}

/*
 * Rewrites all live records into a fresh tdb and swaps it in: the cost is one pass over
 * live data, and the file (or memory) shrinks to what is in use.
 */
int store_compact(struct store *st)
{
    char *tmp = NULL;
    struct tdb_context *fresh;
    int rc = -ENOMEM;

#ifndef XSD_KVMEM
    if (st->path && asprintf(&tmp, "%s.compact", st->path) < 0) {
        return -ENOMEM;
    }
#endif
    fresh = open_tdb(tmp, st->hash_size);
    if (!fresh) {
        rc = -EIO;
        goto out;
    }
    if (tdb_traverse_read(st->tdb, copy_record, fresh) < 0) {
        tdb_close(fresh);
        store_unlink(tmp);
        rc = -EIO;
        goto out;
    }
    if (tmp && (rc = store_rename(tmp, st->path)) != 0) {
        tdb_close(fresh);
        store_unlink(tmp);
        goto out;
    }
    tdb_close(st->tdb);
    st->tdb = fresh;
    st->stats.dead_records = 0;
    st->stats.compactions++;
    rc = 0;
out:
    free(tmp);
    return rc;
}

int store_maybe_compact(struct store *st)
{
    if (st->stats.dead_records < 4096 || st->stats.dead_records < st->stats.live_records) {
        return 0;
    }
    return store_compact(st);
}

void store_get_stats(struct store *st, struct store_stats *stats)
{
    *stats = st->stats;
    stats->hash_size = st->hash_size;
}

struct check_ctx {
    struct store *st;
    struct xs_node node;
    char path[XS_VALUE_MAX * 2];
    /* check_children()'s buffers: here, not on the stack (dom0-lite has 16 KiB of it). */
    char name_buf[STORE_CHUNK_CAP];
    char cpath[XS_VALUE_MAX * 2];
    uint64_t nodes, chunks, listed_chunks, names, detached;
    int err;
};

/* Checks that every name listed in @c->node's chunks is an existing child that links back. */
static int check_children(struct check_ctx *c, size_t len)
{
    struct store *st = c->st;
    uint32_t id = c->node.links.chunk_head, prev = 0, count = 0;
    struct xs_node *child = &st->scratch;

    while (id != 0) {
        if (chunk_load(st, c->path, len, id) != 0 || st->chunk.hdr.prev != prev ||
            st->chunk.hdr.count == 0 || ++c->listed_chunks > c->chunks + (1u << 30)) {
            return -EIO;
        }
        struct chunk_rec hdr = st->chunk.hdr;
        char *names = c->name_buf;
        memcpy(names, st->chunk.names, hdr.bytes);
        for (size_t off = 0; off < hdr.bytes; count++) {
            size_t nlen = strnlen(names + off, hdr.bytes - off);
            size_t clen = len + (len > 1) + nlen;
            if (nlen == 0 || off + nlen >= hdr.bytes + (size_t)0 || clen >= sizeof(c->cpath)) {
                return -EIO;
            }
            char *cpath = c->cpath;
            memcpy(cpath, c->path, len);
            cpath[len] = '/';
            memcpy(cpath + clen - nlen, names + off, nlen + 1);
            if (get_len(st, cpath, clen, child) != 0 || child->links.parent_chunk != id) {
                return -EIO;
            }
            off += nlen + 1;
        }
        prev = id;
        id = hdr.next;
    }
    if (prev != c->node.links.chunk_tail || count != c->node.nchild) {
        return -EIO;
    }
    c->names += count;
    return 0;
}

static int check_record(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *private_data)
{
    struct check_ctx *c = private_data;
    struct parse_ctx pc = {.node = &c->node};

    (void)tdb;
    if (key.dsize < 2 || (key.dptr[0] != 'n' && key.dptr[0] != 'c')) {
        c->err = -EIO;
        return -1;
    }
    if (key.dptr[0] == 'c') {
        c->chunks++;
        return 0;
    }
    if (key.dsize - 1 >= sizeof(c->path) || parse_node(key, data, &pc) != 0) {
        c->err = -EIO;
        return -1;
    }
    memcpy(c->path, key.dptr + 1, key.dsize - 1);
    c->path[key.dsize - 1] = '\0';
    c->nodes++;
    if (c->path[0] == '@') {
        /* A detached node (store_create_detached()): no links either way. */
        struct xs_links *l = &c->node.links;
        c->detached++;
        c->err = (c->node.nchild || l->chunk_head || l->chunk_tail || l->parent_chunk ||
                  memchr(c->path, '/', key.dsize - 1))
                     ? -EIO
                     : 0;
        return c->err ? -1 : 0;
    }
    c->err = check_children(c, key.dsize - 1);
    return c->err ? -1 : 0;
}

/* Full consistency check of the tree; O(records). Used by tests, the fuzzer and CONTROL. */
int store_check(struct store *st)
{
    struct check_ctx *c = calloc(1, sizeof(*c));
    int rc;

    if (!c) {
        return -ENOMEM;
    }
    c->st = st;
    if (tdb_traverse_read(st->tdb, check_record, c) < 0 && c->err == 0) {
        c->err = -EIO;
    }
    rc = c->err;
    if (rc == 0 && (c->names + 1 + c->detached != c->nodes || c->nodes != st->stats.live_records ||
                    c->listed_chunks != c->chunks || !tdb_exists(st->tdb, node_key(st, "/", 1)))) {
        rc = -EIO;
    }
    free(c);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * xenstored storage: nodes kept in tdb.
 *
 * Record layout (see docs/xenstored.md):
 *   "n" <path>                 node: header, permissions, value
 *   "c" <path> NUL <u32 id>    one chunk of <path>'s child names
 *
 * A node's children live in a doubly linked list of small chunks, so adding or
 * removing one child rewrites one chunk of at most STORE_CHUNK_BYTES, never the
 * whole child list.
 */
#ifndef XENSTORED_STORE_H
#define XENSTORED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XS_PERMS_MAX 16
#define XS_VALUE_MAX 4096

#define XS_PERM_NONE  0u
#define XS_PERM_READ  1u
#define XS_PERM_WRITE 2u
#define XS_PERM_BOTH  (XS_PERM_READ | XS_PERM_WRITE)

struct xs_perm {
    uint32_t id;   /* domain id */
    uint32_t perm; /* XS_PERM_* */
};

/* Store-private links of a node into its child list and its parent's. */
struct xs_links {
    uint32_t chunk_head;   /* first chunk of our children, 0 if none */
    uint32_t chunk_tail;   /* last chunk of our children, 0 if none */
    uint32_t chunk_seq;    /* last chunk id handed out for our children */
    uint32_t parent_chunk; /* chunk of our parent that holds our name */
};

struct xs_node {
    uint64_t gen;    /* generation of the last change, children included */
    uint32_t nchild; /* number of children */
    uint32_t nperms; /* perms[0] is the owner and everyone's default */
    struct xs_perm perms[XS_PERMS_MAX];
    uint32_t vlen;
    struct xs_links links;
    uint8_t value[XS_VALUE_MAX];
};

struct store_config {
    const char *path;        /* tdb file; NULL keeps the database in memory */
    unsigned expected_nodes; /* sizes the tdb hash table */
};

struct store_stats {
    uint64_t live_records;
    uint64_t dead_records; /* deleted since the last compaction */
    uint64_t compactions;
    int hash_size;
};

struct store;

/* Called once for every node removed by store_rm(), with its owner. */
typedef void (*store_rm_fn)(void *ctx, const struct xs_node *node);
/* Called for each child name; a non-zero return stops the walk. */
typedef int (*store_list_fn)(void *ctx, const char *name, size_t len);

int store_open(struct store **out, const struct store_config *cfg);
void store_close(struct store *st);
int store_get(struct store *st, const char *path, struct xs_node *node);
uint64_t store_gen(struct store *st, const char *path);
int store_create(struct store *st, const char *path, struct xs_node *node);
int store_create_detached(struct store *st, const char *path, struct xs_node *node);
int store_update(struct store *st, const char *path, struct xs_node *node);
int store_rm(struct store *st, const char *path, store_rm_fn fn, void *ctx);
int store_list(struct store *st, const struct xs_node *node, const char *path, store_list_fn fn,
               void *ctx);
int store_check(struct store *st);
int store_maybe_compact(struct store *st);
int store_compact(struct store *st);
void store_get_stats(struct store *st, struct store_stats *stats);
unsigned store_hash_size_for(unsigned expected_nodes);

/* Path helpers shared by the store and the core. */
size_t path_parent_len(const char *path, size_t len);
const char *path_basename(const char *path);

#endif

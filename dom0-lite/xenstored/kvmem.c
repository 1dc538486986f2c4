/* SPDX-License-Identifier: MIT */
/* kvmem: tdb's calls over an in-memory chained hash table (kvmem.h). */
#include "kvmem.h"

#include <stdlib.h>
#include <string.h>

#define KVMEM_MIN_BUCKETS 64u
#define KVMEM_MAX_BUCKETS (1u << 24)

/* One record: the key's bytes, then the data's, in one allocation of cap bytes. */
struct kv_rec {
    struct kv_rec *next;
    uint32_t hash;
    uint32_t ksize;
    size_t dsize;
    size_t cap; /* bytes available for key + data */
    unsigned char bytes[];
};

struct tdb_context {
    struct kv_rec **buckets;
    unsigned nbuckets; /* a power of two */
    size_t count;
    enum TDB_ERROR err;
};

/* FNV-1a, then a final mix so the low bits (the bucket) depend on every byte. */
static uint32_t kv_hash(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

static unsigned round_pow2(unsigned n)
{
    unsigned b = KVMEM_MIN_BUCKETS;

    while (b < n && b < KVMEM_MAX_BUCKETS) {
        b *= 2;
    }
    return b;
}

struct tdb_context *kvmem_open(unsigned hash_size)
{
    struct tdb_context *tdb = calloc(1, sizeof(*tdb));

    if (!tdb) {
        return NULL;
    }
    tdb->nbuckets = round_pow2(hash_size);
    tdb->buckets = calloc(tdb->nbuckets, sizeof(*tdb->buckets));
    if (!tdb->buckets) {
        free(tdb);
        return NULL;
    }
    return tdb;
}

int tdb_close(struct tdb_context *tdb)
{
    if (!tdb) {
        return 0;
    }
    for (unsigned i = 0; i < tdb->nbuckets; i++) {
        struct kv_rec *r = tdb->buckets[i];
        while (r) {
            struct kv_rec *next = r->next;
            free(r);
            r = next;
        }
    }
    free(tdb->buckets);
    free(tdb);
    return 0;
}

enum TDB_ERROR tdb_error(struct tdb_context *tdb)
{
    return tdb->err;
}

/* The link pointing at @key's record (*link NULL if absent), @hash its hash. */
static struct kv_rec **kv_find(struct tdb_context *tdb, TDB_DATA key, uint32_t hash)
{
    struct kv_rec **link = &tdb->buckets[hash & (tdb->nbuckets - 1)];

    for (; *link; link = &(*link)->next) {
        struct kv_rec *r = *link;
        if (r->hash == hash && r->ksize == key.dsize &&
            (key.dsize == 0 || memcmp(r->bytes, key.dptr, key.dsize) == 0)) {
            break;
        }
    }
    return link;
}

static struct kv_rec *kv_lookup(struct tdb_context *tdb, TDB_DATA key)
{
    struct kv_rec *r = *kv_find(tdb, key, kv_hash(key.dptr, key.dsize));

    tdb->err = r ? TDB_SUCCESS : TDB_ERR_NOEXIST;
    return r;
}

/* Doubles the bucket array; on failure the table simply stays as it is. */
static void kv_grow(struct tdb_context *tdb)
{
    unsigned n = tdb->nbuckets * 2;
    struct kv_rec **b;

    if (n > KVMEM_MAX_BUCKETS || !(b = calloc(n, sizeof(*b)))) {
        return;
    }
    for (unsigned i = 0; i < tdb->nbuckets; i++) {
        struct kv_rec *r = tdb->buckets[i];
        while (r) {
            struct kv_rec *next = r->next;
            r->next = b[r->hash & (n - 1)];
            b[r->hash & (n - 1)] = r;
            r = next;
        }
    }
    free(tdb->buckets);
    tdb->buckets = b;
    tdb->nbuckets = n;
}

TDB_DATA tdb_fetch(struct tdb_context *tdb, TDB_DATA key)
{
    struct kv_rec *r = kv_lookup(tdb, key);
    TDB_DATA out = {NULL, 0};

    if (!r) {
        return out;
    }
    /* At least one byte, so that an empty record still has a non-NULL dptr. */
    out.dptr = malloc(r->dsize ? r->dsize : 1);
    if (!out.dptr) {
        tdb->err = TDB_ERR_OOM;
        return out;
    }
    memcpy(out.dptr, r->bytes + r->ksize, r->dsize);
    out.dsize = r->dsize;
    return out;
}

int tdb_store(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, int flag)
{
    uint32_t hash = kv_hash(key.dptr, key.dsize);
    struct kv_rec **link = kv_find(tdb, key, hash), *old = *link, *r;
    size_t need;

    if (flag != TDB_REPLACE && flag != TDB_INSERT && flag != TDB_MODIFY) {
        tdb->err = TDB_ERR_EINVAL;
        return -1;
    }
    if ((flag == TDB_INSERT && old) || (flag == TDB_MODIFY && !old)) {
        tdb->err = old ? TDB_ERR_EXISTS : TDB_ERR_NOEXIST;
        return -1;
    }
    if (key.dsize > UINT32_MAX || data.dsize > SIZE_MAX / 2 - key.dsize) {
        tdb->err = TDB_ERR_EINVAL;
        return -1;
    }
    need = key.dsize + data.dsize;
    if (old && old->cap >= need) {
        /* Rewritten in place: store.c pads its records so this is the usual case. */
        memmove(old->bytes + old->ksize, data.dptr, data.dsize);
        old->dsize = data.dsize;
        tdb->err = TDB_SUCCESS;
        return 0;
    }
    r = malloc(sizeof(*r) + need);
    if (!r) {
        tdb->err = TDB_ERR_OOM;
        return -1;
    }
    r->hash = hash;
    r->ksize = (uint32_t)key.dsize;
    r->dsize = data.dsize;
    r->cap = need;
    memcpy(r->bytes, key.dptr, key.dsize);
    memcpy(r->bytes + key.dsize, data.dptr, data.dsize);
    if (old) {
        r->next = old->next;
        *link = r;
        free(old);
    } else {
        r->next = *link;
        *link = r;
        if (++tdb->count > 2 * (size_t)tdb->nbuckets) {
            kv_grow(tdb);
        }
    }
    tdb->err = TDB_SUCCESS;
    return 0;
}

int tdb_delete(struct tdb_context *tdb, TDB_DATA key)
{
    struct kv_rec **link = kv_find(tdb, key, kv_hash(key.dptr, key.dsize)), *r = *link;

    if (!r) {
        tdb->err = TDB_ERR_NOEXIST;
        return -1;
    }
    *link = r->next;
    free(r);
    tdb->count--;
    tdb->err = TDB_SUCCESS;
    return 0;
}

int tdb_exists(struct tdb_context *tdb, TDB_DATA key)
{
    return kv_lookup(tdb, key) != NULL;
}

int tdb_parse_record(struct tdb_context *tdb, TDB_DATA key,
                     int (*parser)(TDB_DATA key, TDB_DATA data, void *private_data),
                     void *private_data)
{
    struct kv_rec *r = kv_lookup(tdb, key);

    if (!r) {
        return -1;
    }
    return parser((TDB_DATA){r->bytes, r->ksize}, (TDB_DATA){r->bytes + r->ksize, r->dsize},
                  private_data);
}

int tdb_traverse_read(struct tdb_context *tdb, tdb_traverse_func fn, void *private_data)
{
    int count = 0;

    tdb->err = TDB_SUCCESS;
    for (unsigned i = 0; i < tdb->nbuckets; i++) {
        for (struct kv_rec *r = tdb->buckets[i]; r; r = r->next) {
            count++;
            if (fn && fn(tdb, (TDB_DATA){r->bytes, r->ksize},
                         (TDB_DATA){r->bytes + r->ksize, r->dsize}, private_data) != 0) {
                return count;
            }
        }
    }
    return count;
}

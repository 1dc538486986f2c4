/* SPDX-License-Identifier: MIT */
/*
 * kvmem: an in-memory key/value table implementing exactly the tdb calls store.c makes,
 * with tdb's names and semantics (Samba's tdb.h), for builds where tdb is not available:
 * dom0-lite's freestanding xenstored (docs/xenstored.md, "Storage in dom0-lite"). The
 * host daemon keeps the real tdb.
 *
 * Records are malloc'd, one per key, in a chained hash table that doubles when it holds
 * twice as many records as buckets (so the size given at open time is only a start).
 * Nothing is locked, nothing is written anywhere: tdb's TDB_INTERNAL | TDB_NOLOCK.
 */
#ifndef XENSTORED_KVMEM_H
#define XENSTORED_KVMEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct TDB_DATA {
    unsigned char *dptr;
    size_t dsize;
} TDB_DATA;

/* tdb_store() flags, with tdb's values. */
#define TDB_REPLACE 1 /* store whether or not the key exists */
#define TDB_INSERT  2 /* fail with TDB_ERR_EXISTS if it exists */
#define TDB_MODIFY  3 /* fail with TDB_ERR_NOEXIST unless it exists */

/* tdb_error() codes, with tdb's values (those kvmem can produce). */
enum TDB_ERROR {
    TDB_SUCCESS = 0,
    TDB_ERR_OOM = 4,
    TDB_ERR_EXISTS = 5,
    TDB_ERR_NOEXIST = 8,
    TDB_ERR_EINVAL = 9,
};

struct tdb_context;

typedef int (*tdb_traverse_func)(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data,
                                 void *private_data);

/* A new empty table with about @hash_size buckets to start with; NULL without memory. */
struct tdb_context *kvmem_open(unsigned hash_size);
/* Frees the table and every record. Returns 0. */
int tdb_close(struct tdb_context *tdb);

/* The last error of a call on @tdb. */
enum TDB_ERROR tdb_error(struct tdb_context *tdb);

/* A malloc'd copy of @key's data (the caller frees dptr); dptr NULL if absent. */
TDB_DATA tdb_fetch(struct tdb_context *tdb, TDB_DATA key);
/* Stores @data under @key as @flag says. 0, or -1 with tdb_error() set. */
int tdb_store(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, int flag);
/* 0, or -1 (TDB_ERR_NOEXIST) if there is no such key. */
int tdb_delete(struct tdb_context *tdb, TDB_DATA key);
/* 1 if @key is present, else 0. */
int tdb_exists(struct tdb_context *tdb, TDB_DATA key);
/*
 * Calls @parser on @key's record in place (no copy; the data must not be kept) and
 * returns what it returns; -1 (TDB_ERR_NOEXIST) without calling it if the key is absent.
 */
int tdb_parse_record(struct tdb_context *tdb, TDB_DATA key,
                     int (*parser)(TDB_DATA key, TDB_DATA data, void *private_data),
                     void *private_data);
/*
 * Calls @fn (if not NULL) on every record, in no particular order, until it returns
 * non-zero. Returns how many records were visited (the one that stopped it included),
 * as tdb does. @fn must not store into or delete from @tdb.
 */
int tdb_traverse_read(struct tdb_context *tdb, tdb_traverse_func fn, void *private_data);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * One generic page-table walker for every translation regime: the hypervisor's own
 * stage-1 tables and (later) each domain's stage-2 tables, on every arch. An arch
 * describes a format as data (geometry) plus four small PTE encoders; the walker does
 * the rest: table allocation, block mappings where alignment allows, splitting blocks
 * on partial unmap, lookups and teardown.
 *
 * Changes are prepare-then-commit: a prepare pass allocates every table the change will
 * need and splits blocks straddling its edges (the only steps that can fail, and neither
 * changes what any address translates to), then a commit pass writes or clears leaves,
 * which cannot fail. pt_map() and pt_unmap() do both; the passes are also exported so an
 * owner (mm/p2m.c) can prepare several changes, then commit them all or none.
 *
 * Live entries are changed break-before-make (Arm ARM D8.14.1, "Break-before-make
 * sequence"): a valid entry that becomes another valid entry (a block split into a table,
 * a leaf replaced) is first made invalid and its range invalidated through the table's
 * ops, then written; a table entry that is cleared is invalidated before its table pages
 * are freed. Leaves cleared by an unmap are only recorded: the owner invalidates them once
 * per commit with pt_flush(), before any page they mapped is reused.
 */
#ifndef BULKHEAD_PGTABLE_H
#define BULKHEAD_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "types.h"

/* Generic mapping attributes; each format translates them to PTE bits. */
#define PT_R      (1u << 0) /* readable */
#define PT_W      (1u << 1) /* writable */
#define PT_X      (1u << 2) /* executable */
#define PT_DEVICE (1u << 3) /* device memory (uncached, no speculation) */
#define PT_RW     (PT_R | PT_W)
#define PT_RX     (PT_R | PT_X)

enum pte_kind {
    PTE_INVALID,
    PTE_TABLE, /* points at the next level's table */
    PTE_LEAF,  /* maps a page or a block */
};

struct pt_format {
    const char *name;
    uint8_t levels;          /* number of levels, root = level 0 */
    uint8_t page_shift;      /* 12 for 4 KiB granules */
    uint8_t level_bits;      /* index bits per level (9 for 4 KiB granules) */
    uint8_t root_extra_bits; /* extra index bits of a concatenated root (stage 2) */
    uint8_t leaf_levels;     /* bit L set: level L may hold leaves (blocks or pages) */
    uint64_t (*pte_table)(paddr_t table);
    uint64_t (*pte_leaf)(paddr_t pa, unsigned level, unsigned attr);
    enum pte_kind (*pte_kind)(uint64_t pte, unsigned level);
    paddr_t (*pte_addr)(uint64_t pte);  /* output address of a table or leaf */
    unsigned (*pte_attr)(uint64_t pte); /* generic attributes of a leaf */
};

struct pt;

/* Who pays for a table's pages and how its TLB entries are invalidated. NULL ops: the
 * page allocator, and no invalidation (tables not yet live, or the fake arch). */
struct pt_ops {
    /* Allocate 2^order zeroed pages for tables; 0 or -ENOMEM. */
    int (*alloc)(struct pt *pt, unsigned order, paddr_t *out);
    void (*free)(struct pt *pt, paddr_t pa, unsigned order);
    /* Forget cached translations of [va, va+size) on every CPU; returns when done. */
    void (*inval)(struct pt *pt, uint64_t va, uint64_t size);
};

/* A page table: a format and its root. */
struct pt {
    const struct pt_format *fmt;
    const struct pt_ops *ops;
    paddr_t root;
    uint64_t tables;   /* table pages held, root included */
    uint64_t flush_lo; /* leaves cleared since the last pt_flush(): [lo, hi) */
    uint64_t flush_hi;
};

/* pt_map_prepare/commit flag: existing leaves in the range are replaced (break-before-
 * make) instead of refusing with -EEXIST. */
#define PT_REPLACE (1u << 0)

/* Bits of input address covered by @fmt. */
unsigned pt_va_bits(const struct pt_format *fmt);

/* Allocate an empty root. -ENOMEM. pt_init() uses no ops. */
int __must_check pt_init(struct pt *pt, const struct pt_format *fmt);
int __must_check pt_init_ops(struct pt *pt, const struct pt_format *fmt, const struct pt_ops *ops);

/* Map [va, va+size) to [pa, pa+size) with @attr, using the largest blocks alignment
 * allows. -EINVAL: unaligned or empty; -ERANGE: beyond the format's address bits;
 * -EEXIST: part of the range is already mapped; -ENOMEM: out of table pages. On error
 * no mapping has changed. */
int __must_check pt_map(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size, unsigned attr);

/* Unmap [va, va+size); blocks straddling the edges are split first. Holes are fine.
 * -EINVAL / -ERANGE as for pt_map, -ENOMEM if a split needed a table page. */
int __must_check pt_unmap(struct pt *pt, uint64_t va, uint64_t size);

/* The two passes of pt_map() (@flags: PT_REPLACE or 0). The commit must follow its
 * prepare with the same arguments and no other change to the range in between (the
 * owner's lock guarantees it). */
int __must_check pt_map_prepare(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size,
                                unsigned attr, unsigned flags);
void pt_map_commit(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size, unsigned attr,
                   unsigned flags);

/* The two passes of pt_unmap(), which then calls pt_flush(). */
int __must_check pt_unmap_prepare(struct pt *pt, uint64_t va, uint64_t size);
void pt_unmap_commit(struct pt *pt, uint64_t va, uint64_t size);

/* Invalidate the leaves cleared since the last flush (through ops->inval), once. */
void pt_flush(struct pt *pt);

/* Translate @va. -ENOENT if unmapped. */
int __must_check pt_lookup(const struct pt *pt, uint64_t va, paddr_t *pa, unsigned *attr);

/* Call @fn for every leaf in ascending address order; stops early on a non-zero return. */
int pt_walk_leaves(const struct pt *pt,
                   int (*fn)(void *ctx, uint64_t va, paddr_t pa, uint64_t size, unsigned attr),
                   void *ctx);

/* Free every table page, root included. */
void pt_destroy(struct pt *pt);

#endif

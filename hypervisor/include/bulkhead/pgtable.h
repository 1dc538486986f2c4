/* SPDX-License-Identifier: MIT */
/*
 * One generic page-table walker for every translation regime: the hypervisor's own
 * stage-1 tables and (later) each domain's stage-2 tables, on every arch. An arch
 * describes a format as data (geometry) plus four small PTE encoders; the walker does
 * the rest: table allocation, block mappings where alignment allows, splitting blocks
 * on partial unmap, lookups and teardown.
 *
 * Changes are prepare-then-commit: pt_map() first allocates every table it will need
 * (the only step that can fail), then writes leaves (which cannot fail), so a failed
 * call changes no mapping.
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

/* A page table: a format and its root. */
struct pt {
    const struct pt_format *fmt;
    paddr_t root;
    uint64_t tables; /* table pages held, root included */
};

/* Bits of input address covered by @fmt. */
unsigned pt_va_bits(const struct pt_format *fmt);

/* Allocate an empty root. -ENOMEM. */
int __must_check pt_init(struct pt *pt, const struct pt_format *fmt);

/* Map [va, va+size) to [pa, pa+size) with @attr, using the largest blocks alignment
 * allows. -EINVAL: unaligned or empty; -ERANGE: beyond the format's address bits;
 * -EEXIST: part of the range is already mapped; -ENOMEM: out of table pages. On error
 * no mapping has changed. */
int __must_check pt_map(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size, unsigned attr);

/* Unmap [va, va+size); blocks straddling the edges are split first. Holes are fine.
 * -EINVAL / -ERANGE as for pt_map, -ENOMEM if a split needed a table page. */
int __must_check pt_unmap(struct pt *pt, uint64_t va, uint64_t size);

/* Translate @va. -ENOENT if unmapped. */
int __must_check pt_lookup(const struct pt *pt, uint64_t va, paddr_t *pa, unsigned *attr);

/* Call @fn for every leaf in ascending address order; stops early on a non-zero return. */
int pt_walk_leaves(const struct pt *pt,
                   int (*fn)(void *ctx, uint64_t va, paddr_t pa, uint64_t size, unsigned attr),
                   void *ctx);

/* Free every table page, root included. */
void pt_destroy(struct pt *pt);

#endif

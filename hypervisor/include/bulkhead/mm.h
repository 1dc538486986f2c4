/* SPDX-License-Identifier: MIT */
/* Memory set-up at boot: the page allocator's ranges and the hypervisor's own tables. */
#ifndef BULKHEAD_MM_H
#define BULKHEAD_MM_H

#include "board.h"
#include "compiler.h"
#include "pgtable.h"

/*
 * Call @fn for each page-aligned piece of @in left after removing @ex[0..nr_ex).
 * Pieces come in ascending order; pieces smaller than a page are dropped.
 */
void range_subtract(struct mem_range in, const struct mem_range *ex, unsigned nr_ex,
                    void (*fn)(void *ctx, struct mem_range piece), void *ctx);

/* The hypervisor image, from the linker script. */
struct mem_range mm_image_range(void);

/* Hand RAM minus the image and every reserved range to the page allocator. */
int __must_check mm_init_allocator(const struct board_info *bi);

/* Build the hypervisor's tables (text RX, rodata R, data RW, RAM RW, devices RW) and
 * check that nothing is both writable and executable. */
int __must_check mm_build_hyp_tables(const struct board_info *bi);

/* The hypervisor's tables, for arch_mmu_enable() on every CPU. */
paddr_t mm_hyp_root(void);

/* Panic unless no leaf of @pt is both writable and executable. */
void mm_check_wx(const struct pt *pt);

#endif

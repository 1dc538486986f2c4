/* SPDX-License-Identifier: MIT */
/*
 * The physical page allocator: a buddy allocator over the ranges of RAM that are left
 * once the hypervisor image, the DTB, boot modules and firmware reservations are taken
 * out. It is the hypervisor's only source of memory (there is no general heap).
 *
 * Free blocks are linked through their own first bytes (RAM is mapped one to one), and
 * each range keeps one byte of state per page, carved from the start of the range.
 */
#ifndef BULKHEAD_PAGE_ALLOC_H
#define BULKHEAD_PAGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "types.h"

#define PAGE_MAX_ORDER  18 /* largest block: 2^18 pages = 1 GiB */
#define PAGE_MAX_RANGES 64

/* Give the allocator a range of free RAM. Part of it holds the allocator's own page
 * state. -EINVAL if misaligned or too small, -ENOSPC if too many ranges. */
int __must_check page_alloc_add_range(paddr_t base, uint64_t size);

/* Allocate 2^@order contiguous, naturally aligned pages. Their contents are undefined.
 * Returns 0 or -ENOMEM / -EINVAL. */
int __must_check page_alloc(unsigned order, paddr_t *out);

/* Allocate 2^@order pages filled with zeroes (scrubbed). */
int __must_check page_alloc_zeroed(unsigned order, paddr_t *out);

/* Return a block from page_alloc(). Freeing a block that is not allocated, or with
 * another order, is a hypervisor bug and panics. */
void page_free(paddr_t pa, unsigned order);

/* Pages currently free, and pages managed in total. */
uint64_t page_alloc_free_pages(void);
uint64_t page_alloc_total_pages(void);

/* Forget every range (host unit tests only). */
void page_alloc_reset(void);

#endif

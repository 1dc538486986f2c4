/* SPDX-License-Identifier: MIT */
/*
 * A small page allocator over free RAM (dom_free_next(): RAM minus the image and the
 * DTB), for domain programs that need pages for rings, foreign mappings or buffers.
 * Guest-physical = virtual (the MMU is off), so a page's gfn is its address / 4096.
 */
#ifndef DOM_PAGE_H
#define DOM_PAGE_H

#include <stdint.h>

/* One zeroed 4 KiB page, or NULL when free RAM is used up. */
void *dom_page_alloc(void);

/* Give a page from dom_page_alloc() back. */
void dom_page_free(void *p);

/*
 * A gfn of free RAM set aside for good, to map something over (shared_info, an ioreq
 * page, a foreign frame): the RAM page behind it is no longer reachable once mapped
 * over, so it is never handed out again. 0 when free RAM is used up.
 */
uint64_t dom_page_reserve_gfn(void);

#endif

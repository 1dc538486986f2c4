/* SPDX-License-Identifier: MIT */
/* Buddy page allocator. See include/bulkhead/page_alloc.h for the design. */
#include <string.h>

#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/printk.h>
#include <bulkhead/spinlock.h>

/* Per-page state byte. Pages inside a block (not its head) hold 0. */
#define ST_FREE  0x80u /* head of a free block; low bits: order */
#define ST_ALLOC 0x40u /* head of an allocated block; low bits: order */
#define ST_ORDER 0x3fu

/* A free block's first bytes: the links of its free list (circular, with a head). */
struct free_block {
    struct free_block *next;
    struct free_block *prev;
};

/* A contiguous range of managed RAM. */
struct page_range {
    uint64_t base_pfn; /* first managed page (after the state array) */
    uint64_t npages;   /* managed pages */
    uint8_t *state;    /* npages bytes */
};

static struct spinlock page_alloc_lock = SPINLOCK_INIT;
static struct page_range ranges[PAGE_MAX_RANGES];
static unsigned nr_ranges;
static struct free_block free_lists[PAGE_MAX_ORDER + 1];
static uint64_t free_pages;
static uint64_t total_pages;

static void list_init_all(void)
{
    for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++) {
        free_lists[o].next = &free_lists[o];
        free_lists[o].prev = &free_lists[o];
    }
}

static void list_add(struct free_block *head, struct free_block *b)
{
    b->next = head->next;
    b->prev = head;
    head->next->prev = b;
    head->next = b;
}

static void list_del(struct free_block *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static struct free_block *pfn_block(uint64_t pfn)
{
    return pa_va(pa_init(pfn << PAGE_SHIFT));
}

static struct page_range *range_of(uint64_t pfn)
{
    for (unsigned i = 0; i < nr_ranges; i++) {
        if (pfn >= ranges[i].base_pfn && pfn - ranges[i].base_pfn < ranges[i].npages) {
            return &ranges[i];
        }
    }
    return NULL;
}

/* Put a free block of 2^order pages at @pfn on its list. Caller holds the lock. */
static void block_insert(struct page_range *r, uint64_t pfn, unsigned order)
{
    r->state[pfn - r->base_pfn] = (uint8_t)(ST_FREE | order);
    list_add(&free_lists[order], pfn_block(pfn));
}

void page_alloc_reset(void)
{
    nr_ranges = 0;
    free_pages = 0;
    total_pages = 0;
    list_init_all();
}

/* Largest order whose block fits at @pfn (alignment) within @left pages. */
static unsigned max_order_at(uint64_t pfn, uint64_t left)
{
    unsigned o = 0;

    while (o < PAGE_MAX_ORDER && !(pfn & (1ull << o)) && (2ull << o) <= left) {
        o++;
    }
    return o;
}

int page_alloc_add_range(paddr_t base, uint64_t size)
{
    uint64_t start = pa_addr(base);
    uint64_t npages, meta_pages;
    struct page_range *r;

    if (!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) || start + size < start) {
        return -EINVAL;
    }
    npages = size >> PAGE_SHIFT;
    meta_pages = ALIGN_UP(npages, PAGE_SIZE) >> PAGE_SHIFT;
    if (npages <= meta_pages) {
        return -EINVAL;
    }
    spin_lock(&page_alloc_lock);
    if (nr_ranges == 0 && free_lists[0].next == NULL) {
        list_init_all();
    }
    if (nr_ranges == PAGE_MAX_RANGES) {
        spin_unlock(&page_alloc_lock);
        return -ENOSPC;
    }
    r = &ranges[nr_ranges++];
    r->state = pa_va(base);
    r->base_pfn = (start >> PAGE_SHIFT) + meta_pages;
    r->npages = npages - meta_pages;
    memset(r->state, 0, r->npages);
    for (uint64_t pfn = r->base_pfn, left = r->npages; left;) {
        unsigned o = max_order_at(pfn, left);

        block_insert(r, pfn, o);
        pfn += 1ull << o;
        left -= 1ull << o;
    }
    free_pages += r->npages;
    total_pages += r->npages;
    spin_unlock(&page_alloc_lock);
    return 0;
}

int page_alloc(unsigned order, paddr_t *out)
{
    unsigned o = order;
    struct free_block *b;
    struct page_range *r;
    uint64_t pfn;

    if (order > PAGE_MAX_ORDER) {
        return -EINVAL;
    }
    spin_lock(&page_alloc_lock);
    while (o <= PAGE_MAX_ORDER && (!free_lists[o].next || free_lists[o].next == &free_lists[o])) {
        o++;
    }
    if (o > PAGE_MAX_ORDER) {
        spin_unlock(&page_alloc_lock);
        return -ENOMEM;
    }
    b = free_lists[o].next;
    list_del(b);
    pfn = pa_addr(va_pa(b)) >> PAGE_SHIFT;
    r = range_of(pfn);
    BUG_ON(!r);
    /* Split: the upper half of each step goes back on the list one order down. */
    while (o > order) {
        o--;
        block_insert(r, pfn + (1ull << o), o);
    }
    r->state[pfn - r->base_pfn] = (uint8_t)(ST_ALLOC | order);
    free_pages -= 1ull << order;
    spin_unlock(&page_alloc_lock);
    *out = pa_init(pfn << PAGE_SHIFT);
    return 0;
}

int page_alloc_zeroed(unsigned order, paddr_t *out)
{
    int rc = page_alloc(order, out);

    if (rc == 0) {
        arch_pages_zero(pa_va(*out), PAGE_SIZE << order);
    }
    return rc;
}

void page_free(paddr_t pa, unsigned order)
{
    uint64_t pfn = pa_addr(pa) >> PAGE_SHIFT;
    struct page_range *r;

    spin_lock(&page_alloc_lock);
    r = range_of(pfn);
    if (!r || !IS_ALIGNED(pa_addr(pa), PAGE_SIZE << order) ||
        r->state[pfn - r->base_pfn] != (ST_ALLOC | order)) {
        spin_unlock(&page_alloc_lock);
        panic("page_free: 0x%llx order %u was not allocated with that order",
              (unsigned long long)pa_addr(pa), order);
    }
    r->state[pfn - r->base_pfn] = 0;
    free_pages += 1ull << order;
    /* Merge with free buddies of the same order while they are in this range. */
    while (order < PAGE_MAX_ORDER) {
        uint64_t buddy = pfn ^ (1ull << order);

        if (buddy < r->base_pfn || buddy - r->base_pfn >= r->npages ||
            r->state[buddy - r->base_pfn] != (ST_FREE | order)) {
            break;
        }
        list_del(pfn_block(buddy));
        r->state[buddy - r->base_pfn] = 0;
        pfn = MIN(pfn, buddy);
        order++;
    }
    block_insert(r, pfn, order);
    spin_unlock(&page_alloc_lock);
}

uint64_t page_alloc_free_pages(void)
{
    return READ_ONCE(free_pages);
}

uint64_t page_alloc_total_pages(void)
{
    return READ_ONCE(total_pages);
}

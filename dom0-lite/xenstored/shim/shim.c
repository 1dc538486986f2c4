/* SPDX-License-Identifier: MIT */
/*
 * The few libc pieces xenstored's core needs in dom0-lite (the host build uses glibc):
 * errno, strtoull, strdup, and a heap for malloc/calloc/realloc/free.
 *
 * The heap is one arena carved from free RAM with the domain runtime's page allocator at
 * first use (dom_page_reserve_gfn: pages set aside for good, contiguous within one free
 * range). Blocks have a 16-byte header. Requests up to 4 KiB come from power-of-two
 * size classes with a free list each (the store's records, connections, small buffers);
 * larger ones (output queues, transaction buffers) from an address-ordered free list,
 * first fit, split and coalesced, so realloc's growing buffers do not fragment the
 * arena. Only vCPU 0 runs xenstored: no lock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dom/dom.h"
#include "dom/page.h"
#include "shim.h"

#include <xen/sched.h>

#define SHIM_HEAP_PAGES 1536 /* 6 MiB */
#define SHIM_HDR        16u
#define SHIM_MIN_CLASS  5  /* 32 bytes */
#define SHIM_MAX_CLASS  12 /* 4 KiB */
#define SHIM_LARGE      0xffu
#define SHIM_MAGIC      0x5a5aa5a5u

int errno;

struct blk {
    uint32_t size;  /* whole block, header included */
    uint32_t magic; /* SHIM_MAGIC, or ~SHIM_MAGIC while free */
    uint32_t cls;   /* size class, or SHIM_LARGE */
    uint32_t pad;
};
_Static_assert(sizeof(struct blk) == SHIM_HDR, "block header");

/* A free block's body links it into its free list. */
struct free_blk {
    struct blk hdr;
    struct free_blk *next;
};

static uint8_t *arena, *top, *arena_end;
static struct free_blk *classes[SHIM_MAX_CLASS + 1];
static struct free_blk *large; /* address order */
static size_t used, peak;

/* Takes SHIM_HEAP_PAGES contiguous pages of free RAM; false if RAM is short. */
static bool heap_init(void)
{
    uint64_t first = dom_page_reserve_gfn(), prev = first;

    if (first == 0) {
        return false;
    }
    for (unsigned i = 1; i < SHIM_HEAP_PAGES; i++) {
        uint64_t gfn = dom_page_reserve_gfn();
        if (gfn != prev + 1) {
            /* A hole between free ranges: start again above it (the pages below are lost,
             * which only happens once, at the first allocation). */
            if (gfn == 0) {
                return false;
            }
            first = gfn;
            i = 0;
        }
        prev = gfn;
    }
    arena = (uint8_t *)(uintptr_t)(first * DOM_PAGE_SIZE);
    top = arena;
    arena_end = arena + (size_t)SHIM_HEAP_PAGES * DOM_PAGE_SIZE;
    return true;
}

static void *bump(size_t size)
{
    uint8_t *p = top;

    if (!arena && !heap_init()) {
        return NULL;
    }
    p = top;
    if ((size_t)(arena_end - top) < size) {
        return NULL;
    }
    top += size;
    return p;
}

static unsigned class_of(size_t total)
{
    unsigned c = SHIM_MIN_CLASS;

    while (((size_t)1 << c) < total) {
        c++;
    }
    return c;
}

static void *large_alloc(size_t total)
{
    struct free_blk **link = &large;
    struct blk *b;

    total = (total + 63) & ~(size_t)63;
    for (; *link; link = &(*link)->next) {
        struct free_blk *f = *link;
        if (f->hdr.size < total) {
            continue;
        }
        if (f->hdr.size - total >= 64) {
            /* Split: the tail stays free, in the same place in the list. */
            struct free_blk *rest = (struct free_blk *)((uint8_t *)f + total);
            rest->hdr = (struct blk){(uint32_t)(f->hdr.size - total), ~SHIM_MAGIC, SHIM_LARGE, 0};
            rest->next = f->next;
            *link = rest;
            f->hdr.size = (uint32_t)total;
        } else {
            *link = f->next;
        }
        return f;
    }
    if (total > UINT32_MAX || !(b = bump(total))) {
        return NULL;
    }
    b->size = (uint32_t)total;
    b->cls = SHIM_LARGE;
    return b;
}

/* A block of size class @c: from its free list, the top, or else carved out of a free
 * large block (the few bytes a split cannot keep are lost; only when the heap is full). */
static void *small_alloc(unsigned c)
{
    struct blk *b = (struct blk *)classes[c];

    if (b) {
        classes[c] = classes[c]->next;
    } else if (!(b = bump((size_t)1 << c)) && !(b = large_alloc((size_t)1 << c))) {
        return NULL;
    }
    b->size = 1u << c;
    b->cls = c;
    return b;
}

/* Puts a large block back: merged with free neighbours, or given back to the top. */
static void large_free(struct free_blk *f)
{
    struct free_blk **link = &large, *prev = NULL;

    while (*link && *link < f) {
        prev = *link;
        link = &(*link)->next;
    }
    f->next = *link;
    *link = f;
    if (f->next && (uint8_t *)f + f->hdr.size == (uint8_t *)f->next) {
        f->hdr.size += f->next->hdr.size;
        f->next = f->next->next;
    }
    if (prev && (uint8_t *)prev + prev->hdr.size == (uint8_t *)f) {
        prev->hdr.size += f->hdr.size;
        prev->next = f->next;
    }
    /* The highest free block, if it ends at the top, goes back to the bump region. */
    for (link = &large; (*link)->next; link = &(*link)->next) {
    }
    if ((uint8_t *)*link + (*link)->hdr.size == top) {
        top = (uint8_t *)*link;
        *link = NULL;
    }
}

void *malloc(size_t size)
{
    size_t total = size + SHIM_HDR;
    struct blk *b;

    if (size > (1u << 30)) {
        errno = ENOMEM;
        return NULL;
    }
    b = total <= ((size_t)1 << SHIM_MAX_CLASS) ? small_alloc(class_of(total)) : large_alloc(total);
    if (!b) {
        errno = ENOMEM;
        return NULL;
    }
    b->magic = SHIM_MAGIC;
    used += b->size;
    if (used > peak) {
        peak = used;
    }
    return b + 1;
}

void free(void *p)
{
    struct blk *b;

    if (!p) {
        return;
    }
    b = (struct blk *)p - 1;
    if (b->magic != SHIM_MAGIC || (uint8_t *)b < arena || (uint8_t *)b >= top) {
        /* Our own bug, never a guest's: say so and stop rather than corrupt the heap. */
        dom_printf("xenstored: free(%p): not an allocated block\n", p);
        dom_shutdown(SHUTDOWN_crash);
    }
    b->magic = ~SHIM_MAGIC;
    used -= b->size;
    if (b->cls == SHIM_LARGE) {
        large_free((struct free_blk *)b);
    } else {
        struct free_blk *f = (struct free_blk *)b;
        f->next = classes[b->cls];
        classes[b->cls] = f;
    }
}

void *calloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(n * size);
    if (p) {
        memset(p, 0, n * size);
    }
    return p;
}

void *realloc(void *p, size_t size)
{
    struct blk *b;
    void *q;

    if (!p) {
        return malloc(size);
    }
    b = (struct blk *)p - 1;
    if (size + SHIM_HDR <= b->size) {
        return p;
    }
    q = malloc(size);
    if (q) {
        memcpy(q, p, b->size - SHIM_HDR);
        free(p);
    }
    return q;
}

void shim_heap_stats(struct shim_heap_stats *st)
{
    *st = (struct shim_heap_stats){used, peak, (size_t)SHIM_HEAP_PAGES * DOM_PAGE_SIZE};
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d) {
        memcpy(d, s, n);
    }
    return d;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

/* strtoull(3) for bases 2..36 and 0 (0x / 0 prefixes); ERANGE and ULLONG_MAX on overflow. */
unsigned long long strtoull(const char *s, char **end, int base)
{
    const char *p = s;
    unsigned long long v = 0;
    bool neg = false, any = false, over = false;

    while (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
        p++;
    }
    if (*p == '+' || *p == '-') {
        neg = *p++ == '-';
    }
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (int d; (d = digit_value(*p)) < base; p++) {
        any = true;
        if (v > (~0ull - (unsigned)d) / (unsigned)base) {
            over = true;
        }
        v = v * (unsigned)base + (unsigned)d;
    }
    if (end) {
        *end = (char *)(any ? p : s);
    }
    if (over) {
        errno = ERANGE;
        return ~0ull;
    }
    return neg ? -v : v;
}

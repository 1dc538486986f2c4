/* SPDX-License-Identifier: MIT */
/* A small page allocator over the domain's free RAM (dom/page.h). */
#include <string.h>

#include "dom/dom.h"
#include "dom/page.h"

/* Freed pages, linked through their first word. */
static void *free_list;
/* The free range pages are carved from, [next, end); refilled from dom_free_next(). */
static uint64_t next, end;
static struct dom_lock page_lock;

static void *carve(void)
{
    uint64_t s, e;

    if (next >= end) {
        if (!dom_free_next(end, &s, &e)) {
            return NULL;
        }
        next = s;
        end = e;
    }
    next += DOM_PAGE_SIZE;
    return (void *)(uintptr_t)(next - DOM_PAGE_SIZE);
}

void *dom_page_alloc(void)
{
    void *p;

    dom_lock(&page_lock);
    p = free_list;
    if (p) {
        free_list = *(void **)p;
    } else {
        p = carve();
    }
    dom_unlock(&page_lock);
    if (p) {
        memset(p, 0, DOM_PAGE_SIZE);
    }
    return p;
}

void dom_page_free(void *p)
{
    if (!p) {
        return;
    }
    dom_lock(&page_lock);
    *(void **)p = free_list;
    free_list = p;
    dom_unlock(&page_lock);
}

uint64_t dom_page_reserve_gfn(void)
{
    uint64_t gfn;

    dom_lock(&page_lock);
    gfn = (uint64_t)(uintptr_t)carve() / DOM_PAGE_SIZE;
    dom_unlock(&page_lock);
    return gfn;
}

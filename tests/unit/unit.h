/* SPDX-License-Identifier: MIT */
/* Shared helpers for the host unit tests (cmocka, arch/fake). */
#ifndef BULKHEAD_TESTS_UNIT_H
#define BULKHEAD_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>

#include <bulkhead/types.h>

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

/* "Physical memory" for the page allocator: an aligned host buffer (pa_va is the
 * identity, so host pointers are physical addresses to the core). */
static inline void *unit_ram(size_t align, size_t size)
{
    void *p = aligned_alloc(align, size);

    assert_non_null(p);
    return p;
}

static inline paddr_t unit_pa(const void *p)
{
    return pa_init((uint64_t)(uintptr_t)p);
}

/* xorshift64*: a small seeded PRNG, so a failing sequence can be replayed. */
static inline uint64_t unit_rand(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static inline uint64_t unit_rand_below(uint64_t *state, uint64_t n)
{
    return unit_rand(state) % n;
}

#endif

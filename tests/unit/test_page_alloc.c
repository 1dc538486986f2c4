/* SPDX-License-Identifier: MIT */
/* The buddy page allocator (hypervisor/mm/page_alloc.c) over host "RAM". */
#include "unit.h"

#include <bulkhead/errno.h>
#include <bulkhead/page_alloc.h>

#define RAM_ALIGN (4 * MIB)
#define RAM_SIZE  (8 * MIB)
#define RAM_PAGES (RAM_SIZE / PAGE_SIZE)

static uint8_t *ram;

static int setup(void **state)
{
    (void)state;
    ram = unit_ram(RAM_ALIGN, RAM_SIZE);
    page_alloc_reset();
    fake_console_reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    page_alloc_reset();
    free(ram);
    return 0;
}

static void add_all_ram(void)
{
    assert_int_equal(page_alloc_add_range(unit_pa(ram), RAM_SIZE), 0);
}

static bool in_ram(paddr_t pa, unsigned order)
{
    uint64_t a = pa_addr(pa), base = (uintptr_t)ram;

    return a >= base && a + (PAGE_SIZE << order) <= base + RAM_SIZE;
}

static void test_add_range_counts(void **state)
{
    (void)state;
    add_all_ram();
    /* One byte of state per page: 2048 pages need one page of state. */
    assert_int_equal(page_alloc_total_pages(), RAM_PAGES - 1);
    assert_int_equal(page_alloc_free_pages(), RAM_PAGES - 1);
}

static void test_add_range_rejects(void **state)
{
    (void)state;
    assert_int_equal(page_alloc_add_range(unit_pa(ram + 1), RAM_SIZE - PAGE_SIZE), -EINVAL);
    assert_int_equal(page_alloc_add_range(unit_pa(ram), RAM_SIZE - 1), -EINVAL);
    assert_int_equal(page_alloc_add_range(unit_pa(ram), 0), -EINVAL);
    /* One page can only hold its own state. */
    assert_int_equal(page_alloc_add_range(unit_pa(ram), PAGE_SIZE), -EINVAL);
    /* Wrapping around the address space. */
    assert_int_equal(page_alloc_add_range(pa_init(~0ull - PAGE_SIZE + 1), 2 * PAGE_SIZE), -EINVAL);
    assert_int_equal(page_alloc_total_pages(), 0);
    assert_int_equal(page_alloc_free_pages(), 0);
    /* Two pages: one of state, one managed. */
    assert_int_equal(page_alloc_add_range(unit_pa(ram), 2 * PAGE_SIZE), 0);
    assert_int_equal(page_alloc_total_pages(), 1);
}

static void test_too_many_ranges(void **state)
{
    paddr_t pa;

    (void)state;
    for (unsigned i = 0; i < PAGE_MAX_RANGES; i++) {
        assert_int_equal(page_alloc_add_range(unit_pa(ram + i * 4 * PAGE_SIZE), 2 * PAGE_SIZE), 0);
    }
    assert_int_equal(page_alloc_add_range(unit_pa(ram + 64 * PAGE_SIZE), 2 * PAGE_SIZE), -ENOSPC);
    assert_int_equal(page_alloc_total_pages(), PAGE_MAX_RANGES);
    /* Every range hands out its one page. */
    for (unsigned i = 0; i < PAGE_MAX_RANGES; i++) {
        assert_int_equal(page_alloc(0, &pa), 0);
        assert_true(in_ram(pa, 0));
    }
    assert_int_equal(page_alloc(0, &pa), -ENOMEM);
}

static void test_every_order(void **state)
{
    uint64_t free0;
    paddr_t pa;

    (void)state;
    add_all_ram();
    free0 = page_alloc_free_pages();
    for (unsigned order = 0; order <= PAGE_MAX_ORDER; order++) {
        int rc = page_alloc(order, &pa);

        /* 8 MiB less a state page holds blocks up to 4 MiB (order 10). */
        if (order <= 10) {
            assert_int_equal(rc, 0);
            assert_true(IS_ALIGNED(pa_addr(pa), PAGE_SIZE << order));
            assert_true(in_ram(pa, order));
            assert_int_equal(page_alloc_free_pages(), free0 - (1ull << order));
            memset(pa_va(pa), 0x5a, PAGE_SIZE << order);
            page_free(pa, order);
        } else {
            assert_int_equal(rc, -ENOMEM);
        }
        assert_int_equal(page_alloc_free_pages(), free0);
    }
    assert_int_equal(page_alloc(PAGE_MAX_ORDER + 1, &pa), -EINVAL);
    assert_int_equal(page_alloc(~0u, &pa), -EINVAL);
    assert_int_equal(page_alloc_zeroed(PAGE_MAX_ORDER + 1, &pa), -EINVAL);
    assert_int_equal(page_alloc_free_pages(), free0);
}

static void test_empty_allocator(void **state)
{
    paddr_t pa;

    (void)state;
    assert_int_equal(page_alloc(0, &pa), -ENOMEM);
    assert_int_equal(page_alloc(PAGE_MAX_ORDER, &pa), -ENOMEM);
}

/* Allocate everything at @order; check alignment, bounds and disjointness. */
static unsigned alloc_all(unsigned order, paddr_t *out, unsigned max)
{
    uint8_t *seen = calloc(RAM_PAGES, 1);
    unsigned n = 0;

    assert_non_null(seen);
    while (n < max && page_alloc(order, &out[n]) == 0) {
        uint64_t first = (pa_addr(out[n]) - (uintptr_t)ram) / PAGE_SIZE;

        assert_true(IS_ALIGNED(pa_addr(out[n]), PAGE_SIZE << order));
        assert_true(in_ram(out[n], order));
        for (uint64_t p = first; p < first + (1ull << order); p++) {
            assert_int_equal(seen[p], 0);
            seen[p] = 1;
        }
        n++;
    }
    free(seen);
    return n;
}

static void test_exhaustion_and_alignment(void **state)
{
    paddr_t *blocks = calloc(RAM_PAGES, sizeof(*blocks));
    uint64_t total;
    unsigned n;
    paddr_t pa;

    (void)state;
    assert_non_null(blocks);
    add_all_ram();
    total = page_alloc_total_pages();
    for (unsigned order = 0; order <= 10; order++) {
        n = alloc_all(order, blocks, RAM_PAGES);
        /* Order 0 takes every page; larger orders leave only smaller fragments. */
        if (order == 0) {
            assert_int_equal(n, total);
        }
        assert_true(n >= (RAM_PAGES >> order) - 2);
        assert_int_equal(page_alloc(order, &pa), -ENOMEM);
        assert_int_equal(page_alloc_free_pages(), total - ((uint64_t)n << order));
        for (unsigned i = 0; i < n; i++) {
            page_free(blocks[i], order);
        }
        assert_int_equal(page_alloc_free_pages(), total);
    }
    free(blocks);
}

/* How many blocks of each order a greedy largest-first allocation gets: equal profiles
 * before and after a workload mean every free block merged back. */
static void order_profile(unsigned counts[PAGE_MAX_ORDER + 1])
{
    paddr_t *blocks = calloc(RAM_PAGES, sizeof(*blocks));
    unsigned char *orders = calloc(RAM_PAGES, 1);
    unsigned n = 0;

    assert_non_null(blocks);
    assert_non_null(orders);
    for (int order = PAGE_MAX_ORDER; order >= 0; order--) {
        counts[order] = 0;
        while (page_alloc((unsigned)order, &blocks[n]) == 0) {
            orders[n++] = (unsigned char)order;
            counts[order]++;
        }
    }
    assert_int_equal(page_alloc_free_pages(), 0);
    for (unsigned i = 0; i < n; i++) {
        page_free(blocks[i], orders[i]);
    }
    free(blocks);
    free(orders);
}

struct live_block {
    paddr_t pa;
    unsigned order;
};

static void test_random_merge_back(void **state)
{
    unsigned before[PAGE_MAX_ORDER + 1], after[PAGE_MAX_ORDER + 1];
    struct live_block *live = calloc(RAM_PAGES, sizeof(*live));
    uint8_t *owned = calloc(RAM_PAGES, 1);
    uint64_t seed = 0x5eed1234abcdull, used = 0, total;
    unsigned nr_live = 0, allocs = 0, frees = 0, fails = 0;

    (void)state;
    assert_non_null(live);
    assert_non_null(owned);
    add_all_ram();
    total = page_alloc_total_pages();
    order_profile(before);
    assert_int_equal(page_alloc_free_pages(), total);
    for (unsigned op = 0; op < 20000; op++) {
        if (nr_live == 0 || unit_rand_below(&seed, 100) < 55) {
            unsigned order = (unsigned)unit_rand_below(&seed, 7);
            paddr_t pa;
            int rc = page_alloc(order, &pa);

            if (rc) {
                assert_int_equal(rc, -ENOMEM);
                fails++;
                continue;
            }
            uint64_t first = (pa_addr(pa) - (uintptr_t)ram) / PAGE_SIZE;

            assert_true(IS_ALIGNED(pa_addr(pa), PAGE_SIZE << order));
            assert_true(in_ram(pa, order));
            for (uint64_t p = first; p < first + (1ull << order); p++) {
                assert_int_equal(owned[p], 0);
                owned[p] = 1;
            }
            /* Scribble over the whole block: the allocator keeps nothing in it. */
            memset(pa_va(pa), 0xc3, PAGE_SIZE << order);
            live[nr_live++] = (struct live_block){pa, order};
            used += 1ull << order;
            allocs++;
        } else {
            unsigned i = (unsigned)unit_rand_below(&seed, nr_live);
            struct live_block b = live[i];
            uint64_t first = (pa_addr(b.pa) - (uintptr_t)ram) / PAGE_SIZE;

            live[i] = live[--nr_live];
            for (uint64_t p = first; p < first + (1ull << b.order); p++) {
                owned[p] = 0;
            }
            page_free(b.pa, b.order);
            used -= 1ull << b.order;
            frees++;
        }
        assert_int_equal(page_alloc_free_pages() + used, total);
    }
    /* The sequence must have exercised both exhaustion and heavy churn. */
    assert_true(allocs > 5000 && frees > 5000 && fails > 0);
    while (nr_live) {
        nr_live--;
        page_free(live[nr_live].pa, live[nr_live].order);
    }
    assert_int_equal(page_alloc_free_pages(), total);
    order_profile(after);
    assert_memory_equal(before, after, sizeof(before));
    free(live);
    free(owned);
}

static void test_zeroed(void **state)
{
    paddr_t *blocks = calloc(RAM_PAGES, sizeof(*blocks));
    unsigned n;

    (void)state;
    assert_non_null(blocks);
    add_all_ram();
    /* Dirty every free page, then ask for zeroed blocks of each order. */
    n = alloc_all(0, blocks, RAM_PAGES);
    for (unsigned i = 0; i < n; i++) {
        memset(pa_va(blocks[i]), 0xff, PAGE_SIZE);
        page_free(blocks[i], 0);
    }
    for (unsigned order = 0; order <= 9; order++) {
        paddr_t pa;
        const uint8_t *p;

        assert_int_equal(page_alloc_zeroed(order, &pa), 0);
        p = pa_va(pa);
        for (uint64_t i = 0; i < (PAGE_SIZE << order); i++) {
            if (p[i] != 0) {
                fail_msg("order %u block byte %llu is 0x%x", order, (unsigned long long)i, p[i]);
            }
        }
        blocks[order] = pa;
    }
    for (unsigned order = 0; order <= 9; order++) {
        page_free(blocks[order], order);
    }
    assert_int_equal(page_alloc_free_pages(), page_alloc_total_pages());
    free(blocks);
}

static void test_double_free_panics(void **state)
{
    uint64_t free0;
    paddr_t pa;

    (void)state;
    add_all_ram();
    assert_int_equal(page_alloc(0, &pa), 0);
    page_free(pa, 0);
    free0 = page_alloc_free_pages();
    fake_console_reset();
    expect_assert_failure(page_free(pa, 0));
    assert_true(fake_console_contains("bulkhead: PANIC: page_free"));
    assert_true(fake_console_contains("was not allocated with that order"));
    assert_int_equal(page_alloc_free_pages(), free0);
    /* Freeing a block that merged into a larger free one panics too. */
    assert_int_equal(page_alloc(3, &pa), 0);
    page_free(pa, 3);
    expect_assert_failure(page_free(pa, 3));
    assert_int_equal(page_alloc_free_pages(), free0);
}

static void test_wrong_free_panics(void **state)
{
    uint64_t free0;
    paddr_t pa;

    (void)state;
    add_all_ram();
    assert_int_equal(page_alloc(2, &pa), 0);
    free0 = page_alloc_free_pages();
    expect_assert_failure(page_free(pa, 1));
    expect_assert_failure(page_free(pa, 3));
    expect_assert_failure(page_free(pa, 0));
    /* A page inside the block is not its head. */
    expect_assert_failure(page_free(pa_add(pa, PAGE_SIZE), 0));
    expect_assert_failure(page_free(pa_add(pa, 2 * PAGE_SIZE), 1));
    /* Not in any range, and not page aligned. */
    expect_assert_failure(page_free(pa_init(0x1000), 0));
    expect_assert_failure(page_free(pa_add(pa, 8), 0));
    /* The state page in front of the range. */
    expect_assert_failure(page_free(unit_pa(ram), 0));
    assert_int_equal(page_alloc_free_pages(), free0);
    /* After all that, the right free still works. */
    page_free(pa, 2);
    assert_int_equal(page_alloc_free_pages(), page_alloc_total_pages());
}

static void test_two_ranges(void **state)
{
    paddr_t *blocks = calloc(RAM_PAGES, sizeof(*blocks));
    unsigned n, low = 0, high = 0;

    (void)state;
    assert_non_null(blocks);
    /* Two disjoint ranges with a hole in between that must never be handed out. */
    assert_int_equal(page_alloc_add_range(unit_pa(ram), 2 * MIB), 0);
    assert_int_equal(page_alloc_add_range(unit_pa(ram + 4 * MIB + 3 * PAGE_SIZE), 2 * MIB), 0);
    assert_int_equal(page_alloc_total_pages(), 2 * (512 - 1));
    n = alloc_all(0, blocks, RAM_PAGES);
    assert_int_equal(n, page_alloc_total_pages());
    for (unsigned i = 0; i < n; i++) {
        uint64_t off = pa_addr(blocks[i]) - (uintptr_t)ram;

        assert_true(off < 2 * MIB ||
                    (off >= 4 * MIB + 4 * PAGE_SIZE && off < 6 * MIB + 3 * PAGE_SIZE));
        if (off < 2 * MIB) {
            low++;
        } else {
            high++;
        }
        page_free(blocks[i], 0);
    }
    assert_int_equal(low, 511);
    assert_int_equal(high, 511);
    assert_int_equal(page_alloc_free_pages(), page_alloc_total_pages());
    free(blocks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_range_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_range_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_allocator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exhaustion_and_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_merge_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zeroed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_free_panics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_free_panics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_ranges, setup, teardown),
    };

    return cmocka_run_group_tests_name("page_alloc", tests, NULL, NULL);
}

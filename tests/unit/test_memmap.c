/* SPDX-License-Identifier: MIT */
/* Boot memory map: range_subtract() (memmap.c) and the allocator / hypervisor-table set-up
 * built on it (hyp_mm.c). */
#include "unit.h"

#include <bulkhead/errno.h>
#include <bulkhead/mm.h>
#include <bulkhead/page_alloc.h>

#define MAX_PIECES 16

struct pieces {
    struct mem_range r[MAX_PIECES];
    unsigned n;
};

static void add_piece(void *ctx, struct mem_range piece)
{
    struct pieces *p = ctx;

    assert_true(p->n < MAX_PIECES);
    p->r[p->n++] = piece;
}

#define R(b, s) ((struct mem_range){pa_init(b), (s)})

static struct pieces subtract(struct mem_range in, const struct mem_range *ex, unsigned n)
{
    struct pieces p = {.n = 0};

    range_subtract(in, ex, n, add_piece, &p);
    return p;
}

static void expect_piece(const struct pieces *p, unsigned i, uint64_t base, uint64_t size)
{
    assert_true(i < p->n);
    assert_int_equal(pa_addr(p->r[i].base), base);
    assert_int_equal(p->r[i].size, size);
}

static void test_no_exclusions(void **state)
{
    struct pieces p;

    (void)state;
    p = subtract(R(0x40000000, 0x100000), NULL, 0);
    assert_int_equal(p.n, 1);
    expect_piece(&p, 0, 0x40000000, 0x100000);
    /* An unaligned range shrinks inward to whole pages. */
    p = subtract(R(0x40000010, 0x3000), NULL, 0);
    assert_int_equal(p.n, 1);
    expect_piece(&p, 0, 0x40001000, 0x2000);
    /* Less than a page: nothing. */
    p = subtract(R(0x40000800, 0x1000), NULL, 0);
    assert_int_equal(p.n, 0);
    p = subtract(R(0x40000000, 0), NULL, 0);
    assert_int_equal(p.n, 0);
}

static void test_overlaps(void **state)
{
    const struct mem_range at_start = R(0x3ff00000, 0x110000);
    const struct mem_range at_end = R(0x400f0000, 0x100000);
    const struct mem_range middle = R(0x40040000, 0x2000);
    const struct mem_range whole = R(0x3f000000, 0x2000000);
    const struct mem_range outside[] = {R(0x30000000, 0x1000), R(0x40100000, 0x1000),
                                        R(0x40050000, 0)};
    struct pieces p;

    (void)state;
    p = subtract(R(0x40000000, 0x100000), &at_start, 1);
    assert_int_equal(p.n, 1);
    expect_piece(&p, 0, 0x40010000, 0xf0000);
    p = subtract(R(0x40000000, 0x100000), &at_end, 1);
    assert_int_equal(p.n, 1);
    expect_piece(&p, 0, 0x40000000, 0xf0000);
    p = subtract(R(0x40000000, 0x100000), &middle, 1);
    assert_int_equal(p.n, 2);
    expect_piece(&p, 0, 0x40000000, 0x40000);
    expect_piece(&p, 1, 0x40042000, 0xbe000);
    p = subtract(R(0x40000000, 0x100000), &whole, 1);
    assert_int_equal(p.n, 0);
    /* Exclusions that touch but do not overlap, and empty ones, change nothing. */
    p = subtract(R(0x40000000, 0x100000), outside, 3);
    assert_int_equal(p.n, 1);
    expect_piece(&p, 0, 0x40000000, 0x100000);
}

static void test_unaligned_exclusions(void **state)
{
    /* Exclusions grow outward to whole pages. */
    const struct mem_range ex[] = {R(0x40010ff0, 0x20), R(0x40020001, 1)};
    struct pieces p;

    (void)state;
    p = subtract(R(0x40000000, 0x100000), ex, 2);
    assert_int_equal(p.n, 3);
    expect_piece(&p, 0, 0x40000000, 0x10000);
    expect_piece(&p, 1, 0x40012000, 0xe000);
    expect_piece(&p, 2, 0x40021000, 0xdf000);
}

static void test_many_exclusions_in_order(void **state)
{
    /* Unsorted, overlapping each other: pieces still come out ascending. */
    const struct mem_range ex[] = {R(0x40080000, 0x10000), R(0x40010000, 0x1000),
                                   R(0x40084000, 0x20000), R(0x40000000, 0x1000),
                                   R(0x400ff000, 0x1000),  R(0x40040000, 0x8000)};
    const uint64_t want[][2] = {
        {0x40001000, 0xf000}, {0x40011000, 0x2f000}, {0x40048000, 0x38000}, {0x400a4000, 0x5b000}};
    struct pieces p;

    (void)state;
    p = subtract(R(0x40000000, 0x100000), ex, ARRAY_SIZE(ex));
    assert_int_equal(p.n, ARRAY_SIZE(want));
    for (unsigned i = 0; i < p.n; i++) {
        expect_piece(&p, i, want[i][0], want[i][1]);
    }
}

/* ---- mm_init_allocator() and mm_build_hyp_tables() on a fake board ---- */

#define RAM_SIZE (8 * MIB)

static int check_leaf_inside(void *ctx, uint64_t va, paddr_t pa, uint64_t size, unsigned attr)
{
    (void)ctx;
    (void)attr;
    assert_int_equal(va, pa_addr(pa));
    assert_true(size >= PAGE_SIZE);
    return 0;
}

static void test_allocator_and_hyp_tables(void **state)
{
    uint8_t *ram = unit_ram(2 * MIB, RAM_SIZE);
    uint64_t base = (uintptr_t)ram;
    struct board_info bi = {0};
    uint8_t *owned = calloc(RAM_SIZE / PAGE_SIZE, 1);
    paddr_t pa;
    unsigned attr;
    struct pt view;

    (void)state;
    assert_non_null(owned);
    page_alloc_reset();
    fake_console_reset();
    bi.mem[bi.nr_mem++] = R(base, RAM_SIZE);
    /* A firmware hole (no-map), a module, the DTB; the UART and GIC somewhere else. */
    assert_int_equal(board_reserve(&bi, pa_init(base + 2 * MIB), 64 * KIB, true, "fw"), 0);
    assert_int_equal(
        board_reserve(&bi, pa_init(base + 5 * MIB + 100), 3 * PAGE_SIZE, false, "module"), 0);
    assert_int_equal(
        board_reserve(&bi, pa_init(base + RAM_SIZE - PAGE_SIZE), PAGE_SIZE, false, "dtb"), 0);
    bi.uart = (struct uart_desc){.base = pa_init(0x9000000), .size = 0x1000};
    bi.irqc.reg[bi.irqc.nr_reg++] = R(0x8000000, 0x10000);
    bi.irqc.reg[bi.irqc.nr_reg++] = R(0x80a0000, 0x20000);

    assert_int_equal(mm_init_allocator(&bi), 0);
    /* Three pieces, each with one state page: 2048 - 16 - 4 - 1 - 3 state pages. */
    assert_int_equal(page_alloc_total_pages(), 2048 - 16 - 4 - 1 - 3);
    /* No free page falls in a reserved range. */
    while (page_alloc(0, &pa) == 0) {
        uint64_t off = pa_addr(pa) - base;

        assert_true(off < RAM_SIZE);
        assert_false(off >= 2 * MIB && off < 2 * MIB + 64 * KIB);
        assert_false(off >= 5 * MIB && off < 5 * MIB + 4 * PAGE_SIZE);
        assert_false(off >= RAM_SIZE - PAGE_SIZE);
        owned[off / PAGE_SIZE] = 1;
    }
    for (uint64_t i = 0; i < RAM_SIZE / PAGE_SIZE; i++) {
        if (owned[i]) {
            page_free(pa_init(base + i * PAGE_SIZE), 0);
        }
    }

    assert_int_equal(mm_build_hyp_tables(&bi), 0);
    assert_false(fake_console_contains("PANIC"));
    view = (struct pt){.fmt = &arch_hyp_pt_format, .root = mm_hyp_root()};
    assert_int_equal(pt_walk_leaves(&view, check_leaf_inside, NULL), 0);
    /* The image: text RX, rodata R, data and BSS RW. */
    assert_int_equal(pt_lookup(&view, (uintptr_t)fake_image, &pa, &attr), 0);
    assert_int_equal(attr, PT_RX);
    assert_int_equal(pt_lookup(&view, (uintptr_t)fake_image + PAGE_SIZE, &pa, &attr), 0);
    assert_int_equal(attr, PT_R);
    assert_int_equal(pt_lookup(&view, (uintptr_t)fake_image + 3 * PAGE_SIZE, &pa, &attr), 0);
    assert_int_equal(attr, PT_RW);
    /* RAM RW, reserved but mappable RW, no-map not mapped, devices RW + device. */
    assert_int_equal(pt_lookup(&view, base, &pa, &attr), 0);
    assert_int_equal(attr, PT_RW);
    assert_int_equal(pt_lookup(&view, base + 5 * MIB, &pa, &attr), 0);
    assert_int_equal(attr, PT_RW);
    assert_int_equal(pt_lookup(&view, base + 2 * MIB, &pa, &attr), -ENOENT);
    assert_int_equal(pt_lookup(&view, base + 2 * MIB + 64 * KIB - 1, &pa, &attr), -ENOENT);
    assert_int_equal(pt_lookup(&view, base + 2 * MIB + 64 * KIB, &pa, &attr), 0);
    assert_int_equal(pt_lookup(&view, 0x9000000, &pa, &attr), 0);
    assert_int_equal(attr, PT_RW | PT_DEVICE);
    assert_int_equal(pt_lookup(&view, 0x80bf000, &pa, &attr), 0);
    assert_int_equal(attr, PT_RW | PT_DEVICE);
    assert_int_equal(pt_lookup(&view, 0x80c0000, &pa, &attr), -ENOENT);
    page_alloc_reset();
    free(owned);
    free(ram);
}

static void test_allocator_all_reserved(void **state)
{
    uint8_t *ram = unit_ram(2 * MIB, 2 * MIB);
    struct board_info bi = {0};

    (void)state;
    page_alloc_reset();
    bi.mem[bi.nr_mem++] = R((uintptr_t)ram, 2 * MIB);
    assert_int_equal(board_reserve(&bi, pa_init((uintptr_t)ram), 2 * MIB, false, "all"), 0);
    assert_int_equal(mm_init_allocator(&bi), -ENOMEM);
    /* A sliver too small for its own state page is dropped, not an error. */
    bi.nr_resv = 0;
    assert_int_equal(
        board_reserve(&bi, pa_init((uintptr_t)ram + PAGE_SIZE), 2 * MIB, false, "most"), 0);
    assert_int_equal(mm_init_allocator(&bi), -ENOMEM);
    page_alloc_reset();
    free(ram);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_exclusions),
        cmocka_unit_test(test_overlaps),
        cmocka_unit_test(test_unaligned_exclusions),
        cmocka_unit_test(test_many_exclusions_in_order),
        cmocka_unit_test(test_allocator_and_hyp_tables),
        cmocka_unit_test(test_allocator_all_reserved),
    };

    return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}

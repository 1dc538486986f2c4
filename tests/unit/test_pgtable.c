/* SPDX-License-Identifier: MIT */
/*
 * The generic page-table walker (hypervisor/mm/pgtable.c) through arch/fake's formats,
 * whose encoding is not any real arch's: every generic test runs once per format
 * (4 levels, 3 levels, 3 levels under a concatenated root).
 */
#include "unit.h"

#include <bulkhead/errno.h>
#include <bulkhead/mm.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/pgtable.h>

#define RAM_SIZE   (16 * MIB)
#define VA_BASE    GIB        /* where most tests map */
#define PA_BASE    (64 * GIB) /* output addresses are never dereferenced */
#define MAX_LEAVES (1u << 16)

static const struct pt_format *fmt;
static void *ram;
static uint64_t free0;
static struct pt pt;

struct leaf {
    uint64_t va;
    uint64_t pa;
    uint64_t size;
    unsigned attr;
};

struct leaves {
    struct leaf l[MAX_LEAVES];
    unsigned n;
    unsigned stop_after; /* non-zero: return 7 after this many calls */
};

static struct leaves snap_a, snap_b;

static int setup(void **state)
{
    (void)state;
    ram = unit_ram(2 * MIB, RAM_SIZE);
    page_alloc_reset();
    assert_int_equal(page_alloc_add_range(unit_pa(ram), RAM_SIZE), 0);
    free0 = page_alloc_free_pages();
    fake_console_reset();
    assert_int_equal(pt_init(&pt, fmt), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (pa_addr(pt.root)) {
        pt_destroy(&pt);
    }
    page_alloc_reset();
    free(ram);
    return 0;
}

static int collect(void *ctx, uint64_t va, paddr_t pa, uint64_t size, unsigned attr)
{
    struct leaves *ls = ctx;

    assert_true(ls->n < MAX_LEAVES);
    ls->l[ls->n++] = (struct leaf){va, pa_addr(pa), size, attr};
    if (ls->stop_after && ls->n == ls->stop_after) {
        return 7;
    }
    return 0;
}

static unsigned snapshot(struct leaves *ls)
{
    ls->n = 0;
    ls->stop_after = 0;
    assert_int_equal(pt_walk_leaves(&pt, collect, ls), 0);
    return ls->n;
}

static void assert_same_leaves(const struct leaves *a, const struct leaves *b)
{
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->l, b->l, a->n * sizeof(a->l[0]));
}

/* Every table page the walker took is accounted for in pt.tables. */
static void assert_tables_accounted(void)
{
    assert_int_equal(free0 - page_alloc_free_pages(), pt.tables);
}

static uint64_t level_size(unsigned level)
{
    return 1ull << (fmt->page_shift + fmt->level_bits * (fmt->levels - 1 - level));
}

/* The largest leaf the format allows, and its level. */
static unsigned biggest_leaf_level(void)
{
    for (unsigned l = 0; l < fmt->levels; l++) {
        if (fmt->leaf_levels & (1u << l)) {
            return l;
        }
    }
    fail();
    return 0;
}

static unsigned root_pages(void)
{
    return 1u << fmt->root_extra_bits;
}

static void expect_mapped(uint64_t va, uint64_t pa, unsigned attr)
{
    paddr_t got;
    unsigned a = ~0u;

    assert_int_equal(pt_lookup(&pt, va, &got, &a), 0);
    assert_int_equal(pa_addr(got), pa);
    assert_int_equal(a, attr);
}

static void expect_unmapped(uint64_t va)
{
    paddr_t got;

    assert_int_equal(pt_lookup(&pt, va, &got, NULL), -ENOENT);
}

/* ---- generic tests, run for each format ---- */

static void test_init_destroy(void **state)
{
    (void)state;
    assert_int_equal(pt.tables, root_pages());
    assert_true(IS_ALIGNED(pa_addr(pt.root), PAGE_SIZE << fmt->root_extra_bits));
    assert_tables_accounted();
    assert_int_equal(snapshot(&snap_a), 0);
    pt_destroy(&pt);
    assert_int_equal(pt.tables, 0);
    assert_int_equal(page_alloc_free_pages(), free0);
}

static void test_map_block_when_aligned(void **state)
{
    (void)state;
    assert_int_equal(pt_map(&pt, VA_BASE + 2 * MIB, pa_init(PA_BASE + 4 * MIB), 2 * MIB, PT_RW), 0);
    assert_int_equal(snapshot(&snap_a), 1);
    assert_int_equal(snap_a.l[0].va, VA_BASE + 2 * MIB);
    assert_int_equal(snap_a.l[0].pa, PA_BASE + 4 * MIB);
    assert_int_equal(snap_a.l[0].size, 2 * MIB);
    assert_int_equal(snap_a.l[0].attr, PT_RW);
    /* The root plus one table per level above the 2 MiB level. */
    assert_int_equal(pt.tables, root_pages() + fmt->levels - 2);
    assert_tables_accounted();
    expect_mapped(VA_BASE + 2 * MIB + 0x1234, PA_BASE + 4 * MIB + 0x1234, PT_RW);
    expect_mapped(VA_BASE + 4 * MIB - 1, PA_BASE + 6 * MIB - 1, PT_RW);
    expect_unmapped(VA_BASE + 2 * MIB - 1);
    expect_unmapped(VA_BASE + 4 * MIB);
}

static void test_map_biggest_block(void **state)
{
    unsigned level = biggest_leaf_level();
    uint64_t big = level_size(level), gib_leaves;

    (void)state;
    assert_int_equal(pt_map(&pt, GIB, pa_init(PA_BASE), GIB, PT_R), 0);
    /* A 1 GiB leaf where the format has one, else 2 MiB leaves. */
    gib_leaves = big >= GIB ? 1 : GIB / big;
    assert_int_equal(snapshot(&snap_a), gib_leaves);
    for (unsigned i = 0; i < snap_a.n; i++) {
        assert_int_equal(snap_a.l[i].size, MIN(big, GIB));
    }
    expect_mapped(GIB + 123 * MIB + 5, PA_BASE + 123 * MIB + 5, PT_R);
    assert_tables_accounted();
}

static void test_map_pages_when_unaligned(void **state)
{
    (void)state;
    /* VA 2 MiB aligned, PA not: no block is possible. */
    assert_int_equal(pt_map(&pt, VA_BASE, pa_init(PA_BASE + PAGE_SIZE), 2 * MIB, PT_RW), 0);
    assert_int_equal(snapshot(&snap_a), 512);
    for (unsigned i = 0; i < snap_a.n; i++) {
        assert_int_equal(snap_a.l[i].size, PAGE_SIZE);
        assert_int_equal(snap_a.l[i].va, VA_BASE + i * PAGE_SIZE);
        assert_int_equal(snap_a.l[i].pa, PA_BASE + (i + 1) * PAGE_SIZE);
    }
    /* Both unaligned by the same amount: pages up to the boundary, a block, pages. */
    assert_int_equal(pt_map(&pt, VA_BASE + 4 * MIB - PAGE_SIZE,
                            pa_init(PA_BASE + 4 * MIB - PAGE_SIZE), 2 * MIB + 2 * PAGE_SIZE, PT_RX),
                     0);
    assert_int_equal(snapshot(&snap_a), 512 + 3);
    assert_int_equal(snap_a.l[512].size, PAGE_SIZE);
    assert_int_equal(snap_a.l[513].size, 2 * MIB);
    assert_int_equal(snap_a.l[513].va, VA_BASE + 4 * MIB);
    assert_int_equal(snap_a.l[514].size, PAGE_SIZE);
    assert_int_equal(snap_a.l[514].va, VA_BASE + 6 * MIB);
    assert_tables_accounted();
}

static void test_lookup_attrs(void **state)
{
    static const unsigned attrs[] = {PT_R, PT_RW, PT_RX, PT_RW | PT_DEVICE, PT_R | PT_DEVICE};

    (void)state;
    for (unsigned i = 0; i < ARRAY_SIZE(attrs); i++) {
        uint64_t va = VA_BASE + i * 2 * MIB;

        assert_int_equal(pt_map(&pt, va, pa_init(PA_BASE + i * 4 * MIB), 2 * MIB, attrs[i]), 0);
        assert_int_equal(pt_map(&pt, va + 64 * MIB, pa_init(PA_BASE), PAGE_SIZE, attrs[i]), 0);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(attrs); i++) {
        uint64_t va = VA_BASE + i * 2 * MIB;

        expect_mapped(va + 77, PA_BASE + i * 4 * MIB + 77, attrs[i]);
        expect_mapped(va + 64 * MIB + 4095, PA_BASE + 4095, attrs[i]);
    }
    expect_unmapped(0);
    expect_unmapped(VA_BASE - 1);
    expect_unmapped(1ull << pt_va_bits(fmt));
    expect_unmapped(~0ull);
}

static void test_invalid_arguments(void **state)
{
    uint64_t top = 1ull << pt_va_bits(fmt);

    (void)state;
    assert_int_equal(pt_map(&pt, VA_BASE, pa_init(PA_BASE), 0, PT_RW), -EINVAL);
    assert_int_equal(pt_map(&pt, VA_BASE + 1, pa_init(PA_BASE), PAGE_SIZE, PT_RW), -EINVAL);
    assert_int_equal(pt_map(&pt, VA_BASE, pa_init(PA_BASE + 8), PAGE_SIZE, PT_RW), -EINVAL);
    assert_int_equal(pt_map(&pt, VA_BASE, pa_init(PA_BASE), 100, PT_RW), -EINVAL);
    assert_int_equal(pt_map(&pt, top - PAGE_SIZE, pa_init(PA_BASE), 2 * PAGE_SIZE, PT_RW), -ERANGE);
    assert_int_equal(pt_map(&pt, top, pa_init(PA_BASE), PAGE_SIZE, PT_RW), -ERANGE);
    assert_int_equal(pt_map(&pt, ~0ull - PAGE_SIZE + 1, pa_init(PA_BASE), 2 * PAGE_SIZE, PT_RW),
                     -ERANGE);
    assert_int_equal(pt_unmap(&pt, VA_BASE, 0), -EINVAL);
    assert_int_equal(pt_unmap(&pt, VA_BASE + 8, PAGE_SIZE), -EINVAL);
    assert_int_equal(pt_unmap(&pt, top, PAGE_SIZE), -ERANGE);
    assert_int_equal(pt_unmap(&pt, ~0ull - PAGE_SIZE + 1, 2 * PAGE_SIZE), -ERANGE);
    assert_int_equal(snapshot(&snap_a), 0);
    assert_int_equal(pt.tables, root_pages());
    assert_tables_accounted();
    /* The very last page is fine. */
    assert_int_equal(pt_map(&pt, top - PAGE_SIZE, pa_init(PA_BASE), PAGE_SIZE, PT_RW), 0);
    expect_mapped(top - 1, PA_BASE + PAGE_SIZE - 1, PT_RW);
}

static void test_overlap_changes_nothing(void **state)
{
    uint64_t tables;

    (void)state;
    assert_int_equal(pt_map(&pt, VA_BASE + 2 * MIB, pa_init(PA_BASE), 2 * MIB, PT_RW), 0);
    assert_int_equal(pt_map(&pt, VA_BASE + 9 * MIB, pa_init(PA_BASE), PAGE_SIZE, PT_R), 0);
    snapshot(&snap_a);
    tables = pt.tables;
    const struct {
        uint64_t va, size;
    } tries[] = {
        {VA_BASE + 1 * MIB, 2 * MIB},   /* overlaps the block's start */
        {VA_BASE + 3 * MIB, 2 * MIB},   /* its end */
        {VA_BASE + 2 * MIB, 2 * MIB},   /* exactly */
        {VA_BASE + 3 * MIB, PAGE_SIZE}, /* its middle */
        {VA_BASE, 16 * MIB},            /* all of it and more */
        {VA_BASE + 8 * MIB, 2 * MIB},   /* the page, from a block-sized range */
        {VA_BASE + 9 * MIB - PAGE_SIZE, 2 * PAGE_SIZE},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(tries); i++) {
        assert_int_equal(
            pt_map(&pt, tries[i].va, pa_init(PA_BASE + 32 * MIB), tries[i].size, PT_RX), -EEXIST);
        snapshot(&snap_b);
        assert_same_leaves(&snap_a, &snap_b);
        /* Tables the prepare pass allocated may stay, but are all accounted for. */
        assert_true(pt.tables >= tables);
        assert_tables_accounted();
    }
    /* The free parts of failed ranges were not mapped. */
    expect_unmapped(VA_BASE + 1 * MIB);
    expect_unmapped(VA_BASE);
    expect_unmapped(VA_BASE + 8 * MIB);
    expect_unmapped(VA_BASE + 9 * MIB - PAGE_SIZE);
    expect_mapped(VA_BASE + 3 * MIB, PA_BASE + 1 * MIB, PT_RW);
}

/* Take every free page; returns how many. */
static unsigned hog_all(paddr_t *pages, unsigned max)
{
    unsigned n = 0;

    while (n < max && page_alloc(0, &pages[n]) == 0) {
        n++;
    }
    assert_int_equal(page_alloc_free_pages(), 0);
    return n;
}

static void test_enomem_changes_nothing(void **state)
{
    static paddr_t hog[RAM_SIZE / PAGE_SIZE];
    uint64_t far = (1ull << (pt_va_bits(fmt) - 1)) + PAGE_SIZE; /* needs a full path */
    unsigned n;

    (void)state;
    assert_int_equal(pt_map(&pt, VA_BASE, pa_init(PA_BASE), 2 * MIB, PT_RW), 0);
    snapshot(&snap_a);
    n = hog_all(hog, ARRAY_SIZE(hog));
    assert_int_equal(pt_map(&pt, far, pa_init(PA_BASE), PAGE_SIZE, PT_RW), -ENOMEM);
    /* Splitting the block for a partial unmap needs a table too. */
    assert_int_equal(pt_unmap(&pt, VA_BASE + PAGE_SIZE, PAGE_SIZE), -ENOMEM);
    snapshot(&snap_b);
    assert_same_leaves(&snap_a, &snap_b);
    /* With one page free, the path is still one table short (all formats need >= 2). */
    page_free(hog[--n], 0);
    assert_int_equal(pt_map(&pt, far, pa_init(PA_BASE), PAGE_SIZE, PT_RW), -ENOMEM);
    snapshot(&snap_b);
    assert_same_leaves(&snap_a, &snap_b);
    expect_unmapped(far);
    for (uint64_t off = 0; off < 2 * MIB; off += PAGE_SIZE) {
        expect_mapped(VA_BASE + off, PA_BASE + off, PT_RW);
    }
    while (n) {
        page_free(hog[--n], 0);
    }
    assert_tables_accounted();
    assert_int_equal(pt_map(&pt, far, pa_init(PA_BASE), PAGE_SIZE, PT_RW), 0);
    expect_mapped(far, PA_BASE, PT_RW);
    assert_int_equal(pt_unmap(&pt, VA_BASE + PAGE_SIZE, PAGE_SIZE), 0);
    expect_unmapped(VA_BASE + PAGE_SIZE);
}

static void test_unmap_splits_block(void **state)
{
    const unsigned attr = PT_R | PT_DEVICE;
    uint64_t tables;

    (void)state;
    assert_int_equal(pt_map(&pt, VA_BASE, pa_init(PA_BASE), 2 * MIB, attr), 0);
    tables = pt.tables;
    assert_int_equal(pt_unmap(&pt, VA_BASE + 8 * KIB, PAGE_SIZE), 0);
    assert_int_equal(pt.tables, tables + 1);
    assert_int_equal(snapshot(&snap_a), 511);
    for (uint64_t off = 0; off < 2 * MIB; off += PAGE_SIZE) {
        if (off == 8 * KIB) {
            expect_unmapped(VA_BASE + off);
        } else {
            expect_mapped(VA_BASE + off, PA_BASE + off, attr);
        }
    }
    assert_tables_accounted();
}

static void test_unmap_splits_biggest_block(void **state)
{
    unsigned level = biggest_leaf_level();
    uint64_t big = level_size(level);
    unsigned expect = 0;

    (void)state;
    assert_int_equal(pt_map(&pt, big, pa_init(PA_BASE), big, PT_RX), 0);
    assert_int_equal(pt_unmap(&pt, big + big / 2, PAGE_SIZE), 0);
    /* Each level below the block holds 511 leaves beside the path to the hole. */
    for (unsigned l = level + 1; l < fmt->levels; l++) {
        expect += 511;
    }
    assert_int_equal(snapshot(&snap_a), expect);
    expect_unmapped(big + big / 2);
    expect_mapped(big + big / 2 - 1, PA_BASE + big / 2 - 1, PT_RX);
    expect_mapped(big + big / 2 + PAGE_SIZE, PA_BASE + big / 2 + PAGE_SIZE, PT_RX);
    expect_mapped(big, PA_BASE, PT_RX);
    expect_mapped(2 * big - 1, PA_BASE + big - 1, PT_RX);
    assert_tables_accounted();
}

static void test_unmap_holes_and_tables(void **state)
{
    (void)state;
    /* Nothing mapped: fine. */
    assert_int_equal(pt_unmap(&pt, VA_BASE, 64 * MIB), 0);
    assert_int_equal(pt.tables, root_pages());
    assert_int_equal(pt_map(&pt, VA_BASE + 2 * MIB, pa_init(PA_BASE), 2 * MIB, PT_RW), 0);
    assert_int_equal(pt_map(&pt, VA_BASE + 8 * MIB + PAGE_SIZE, pa_init(PA_BASE), PAGE_SIZE, PT_RW),
                     0);
    /* A range covering both and the gaps between them. */
    assert_int_equal(pt_unmap(&pt, VA_BASE, 16 * MIB), 0);
    assert_int_equal(snapshot(&snap_a), 0);
    /* The page table under the 2 MiB entry that was wholly unmapped went back. */
    assert_int_equal(pt.tables, root_pages() + fmt->levels - 2);
    assert_tables_accounted();
    /* Unmapping whole root entries returns everything below them. */
    assert_int_equal(pt_unmap(&pt, 0, 4 * level_size(0)), 0);
    assert_int_equal(pt.tables, root_pages());
    assert_tables_accounted();
}

static void test_walk_order_and_coverage(void **state)
{
    static const struct {
        uint64_t va, size, pa;
        unsigned attr;
    } regions[] = {
        {VA_BASE + 40 * MIB, 6 * MIB, PA_BASE + 2 * MIB, PT_RW},
        {VA_BASE + 4 * KIB, 12 * KIB, PA_BASE + 100 * MIB, PT_R},
        {3 * GIB + 2 * MIB - 8 * KIB, 2 * MIB + 16 * KIB, PA_BASE + 2 * MIB - 8 * KIB, PT_RX},
        {VA_BASE + 20 * MIB, 2 * MIB, PA_BASE + 3 * MIB, PT_RW | PT_DEVICE},
        {PAGE_SIZE, PAGE_SIZE, PA_BASE, PT_R},
    };
    uint64_t total = 0, covered = 0;

    (void)state;
    for (unsigned i = 0; i < ARRAY_SIZE(regions); i++) {
        assert_int_equal(
            pt_map(&pt, regions[i].va, pa_init(regions[i].pa), regions[i].size, regions[i].attr),
            0);
        total += regions[i].size;
    }
    snapshot(&snap_a);
    for (unsigned i = 0; i < snap_a.n; i++) {
        const struct leaf *l = &snap_a.l[i];
        bool found = false;

        if (i > 0) {
            assert_true(l->va >= snap_a.l[i - 1].va + snap_a.l[i - 1].size);
        }
        assert_true(IS_ALIGNED(l->va, l->size) && IS_ALIGNED(l->pa, l->size));
        for (unsigned r = 0; r < ARRAY_SIZE(regions); r++) {
            if (l->va >= regions[r].va && l->va + l->size <= regions[r].va + regions[r].size) {
                assert_int_equal(l->pa, regions[r].pa + (l->va - regions[r].va));
                assert_int_equal(l->attr, regions[r].attr);
                found = true;
            }
        }
        assert_true(found);
        covered += l->size;
    }
    assert_int_equal(covered, total);
    /* A non-zero return stops the walk and is passed back. */
    snap_b.n = 0;
    snap_b.stop_after = 3;
    assert_int_equal(pt_walk_leaves(&pt, collect, &snap_b), 7);
    assert_int_equal(snap_b.n, 3);
    assert_memory_equal(snap_b.l, snap_a.l, 3 * sizeof(snap_a.l[0]));
}

/* Random maps and unmaps in a 16 MiB window, checked page by page against a model. */
#define WIN_PAGES 4096

static void test_random_against_model(void **state)
{
    static uint64_t model_pa[WIN_PAGES];
    static unsigned model_attr[WIN_PAGES];
    uint64_t seed = 0xb01dface5eedull ^ fmt->levels ^ fmt->root_extra_bits;
    unsigned maps = 0, conflicts = 0, unmaps = 0;

    (void)state;
    memset(model_pa, 0, sizeof(model_pa));
    for (unsigned op = 0; op < 1500; op++) {
        bool blocky = unit_rand_below(&seed, 2);
        uint64_t first, n;

        if (blocky) {
            first = unit_rand_below(&seed, WIN_PAGES / 512) * 512;
            n = (1 + unit_rand_below(&seed, 2)) * 512;
        } else {
            first = unit_rand_below(&seed, WIN_PAGES);
            n = 1 + unit_rand_below(&seed, 700);
        }
        n = MIN(n, WIN_PAGES - first);
        uint64_t va = VA_BASE + first * PAGE_SIZE;

        if (unit_rand_below(&seed, 100) < 60) {
            uint64_t pa = PA_BASE + unit_rand_below(&seed, 64) * 2 * MIB + first % 512 * PAGE_SIZE;
            unsigned attr = (unsigned)(1 + unit_rand_below(&seed, 15));
            bool busy = false;

            for (uint64_t p = first; p < first + n; p++) {
                busy |= model_pa[p] != 0;
            }
            int rc = pt_map(&pt, va, pa_init(pa), n * PAGE_SIZE, attr);

            assert_int_equal(rc, busy ? -EEXIST : 0);
            if (!busy) {
                for (uint64_t p = first; p < first + n; p++) {
                    model_pa[p] = pa + (p - first) * PAGE_SIZE;
                    model_attr[p] = attr;
                }
                maps++;
            } else {
                conflicts++;
            }
        } else {
            assert_int_equal(pt_unmap(&pt, va, n * PAGE_SIZE), 0);
            for (uint64_t p = first; p < first + n; p++) {
                model_pa[p] = 0;
            }
            unmaps++;
        }
        for (uint64_t p = 0; p < WIN_PAGES; p++) {
            paddr_t got;
            unsigned attr;
            int rc = pt_lookup(&pt, VA_BASE + p * PAGE_SIZE, &got, &attr);

            if (model_pa[p]) {
                assert_int_equal(rc, 0);
                assert_int_equal(pa_addr(got), model_pa[p]);
                assert_int_equal(attr, model_attr[p]);
            } else {
                assert_int_equal(rc, -ENOENT);
            }
        }
        assert_tables_accounted();
    }
    assert_true(maps > 100 && conflicts > 100 && unmaps > 100);
    pt_destroy(&pt);
    assert_int_equal(pt.tables, 0);
    assert_int_equal(page_alloc_free_pages(), free0);
}

static void test_destroy_returns_every_table(void **state)
{
    uint64_t seed = 42;

    (void)state;
    for (unsigned i = 0; i < 300; i++) {
        uint64_t va = unit_rand_below(&seed, 1ull << (pt_va_bits(fmt) - PAGE_SHIFT)) << PAGE_SHIFT;
        uint64_t size = (1 + unit_rand_below(&seed, 600)) * PAGE_SIZE;

        if (va + size > (1ull << pt_va_bits(fmt))) {
            continue;
        }
        if (pt_map(&pt, va, pa_init(PA_BASE), size, PT_RW) == 0 && (i & 1)) {
            assert_int_equal(pt_unmap(&pt, va + PAGE_SIZE, PAGE_SIZE), 0);
        }
    }
    assert_true(pt.tables > 100);
    assert_tables_accounted();
    pt_destroy(&pt);
    assert_int_equal(pt.tables, 0);
    assert_int_equal(page_alloc_free_pages(), free0);
}

/* ---- format-specific tests ---- */

static void test_concatenated_root(void **state)
{
    uint64_t top = 1ull << pt_va_bits(fmt), slice = top / 4;
    const uint64_t *root;

    (void)state;
    assert_int_equal(pt_va_bits(fmt), 41);
    assert_int_equal(pt.tables, 4);
    /* A mapping in each of the four root pages, the last at the very top. */
    for (unsigned i = 0; i < 4; i++) {
        uint64_t va = i * slice + (i == 3 ? slice - 2 * MIB : 2 * MIB);

        assert_int_equal(pt_map(&pt, va, pa_init(PA_BASE + i * 2 * MIB), 2 * MIB, PT_RW), 0);
    }
    assert_int_equal(pt_map(&pt, top, pa_init(PA_BASE), PAGE_SIZE, PT_RW), -ERANGE);
    assert_int_equal(snapshot(&snap_a), 4);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t va = i * slice + (i == 3 ? slice - 2 * MIB : 2 * MIB);

        assert_int_equal(snap_a.l[i].va, va);
        expect_mapped(va + 5, PA_BASE + i * 2 * MIB + 5, PT_RW);
    }
    /* The entry for root page i sits in that page: index i * 512 + (offset >> 30). */
    root = pa_va(pt.root);
    assert_int_equal(root[2 * 512] & FAKE_PTE_KIND_MASK, FAKE_PTE_KIND_TABLE);
    assert_int_equal(root[3 * 512 + 511] & FAKE_PTE_KIND_MASK, FAKE_PTE_KIND_TABLE);
    assert_int_equal(root[1] & FAKE_PTE_KIND_MASK, 0);
    pt_destroy(&pt);
    assert_int_equal(page_alloc_free_pages(), free0);
}

static void test_wx_check(void **state)
{
    (void)state;
    assert_int_equal(pt_map(&pt, VA_BASE, pa_init(PA_BASE), 2 * MIB, PT_RX), 0);
    assert_int_equal(pt_map(&pt, VA_BASE + 2 * MIB, pa_init(PA_BASE), 2 * MIB, PT_RW), 0);
    assert_int_equal(pt_map(&pt, VA_BASE + 4 * MIB, pa_init(PA_BASE), PAGE_SIZE, PT_R), 0);
    mm_check_wx(&pt);
    assert_false(fake_console_contains("PANIC"));
    assert_int_equal(
        pt_map(&pt, VA_BASE + 6 * MIB + PAGE_SIZE, pa_init(PA_BASE), PAGE_SIZE, PT_RW | PT_X), 0);
    expect_assert_failure(mm_check_wx(&pt));
    assert_true(fake_console_contains("bulkhead: PANIC: mm: 0x"));
    assert_true(fake_console_contains("is writable and executable"));
}

#define GENERIC_TESTS                                                                              \
    cmocka_unit_test_setup_teardown(test_init_destroy, setup, teardown),                           \
        cmocka_unit_test_setup_teardown(test_map_block_when_aligned, setup, teardown),             \
        cmocka_unit_test_setup_teardown(test_map_biggest_block, setup, teardown),                  \
        cmocka_unit_test_setup_teardown(test_map_pages_when_unaligned, setup, teardown),           \
        cmocka_unit_test_setup_teardown(test_lookup_attrs, setup, teardown),                       \
        cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),                  \
        cmocka_unit_test_setup_teardown(test_overlap_changes_nothing, setup, teardown),            \
        cmocka_unit_test_setup_teardown(test_enomem_changes_nothing, setup, teardown),             \
        cmocka_unit_test_setup_teardown(test_unmap_splits_block, setup, teardown),                 \
        cmocka_unit_test_setup_teardown(test_unmap_splits_biggest_block, setup, teardown),         \
        cmocka_unit_test_setup_teardown(test_unmap_holes_and_tables, setup, teardown),             \
        cmocka_unit_test_setup_teardown(test_walk_order_and_coverage, setup, teardown),            \
        cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),               \
        cmocka_unit_test_setup_teardown(test_destroy_returns_every_table, setup, teardown)

int main(void)
{
    const struct CMUnitTest generic[] = {GENERIC_TESTS};
    const struct CMUnitTest concat[] = {
        GENERIC_TESTS,
        cmocka_unit_test_setup_teardown(test_concatenated_root, setup, teardown),
    };
    const struct CMUnitTest hyp[] = {
        GENERIC_TESTS,
        cmocka_unit_test_setup_teardown(test_wx_check, setup, teardown),
    };
    int failed = 0;

    fmt = &arch_hyp_pt_format;
    failed +=
        cmocka_run_group_tests_name("pgtable: fake 4-level (arch_hyp_pt_format)", hyp, NULL, NULL);
    fmt = &fake_pt_format_3level;
    failed += cmocka_run_group_tests_name("pgtable: fake 3-level", generic, NULL, NULL);
    fmt = &fake_pt_format_concat;
    failed +=
        cmocka_run_group_tests_name("pgtable: fake 3-level, concatenated root", concat, NULL, NULL);
    return failed;
}

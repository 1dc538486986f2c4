/* SPDX-License-Identifier: MIT */
/*
 * dom0-lite's libc shim (dom0-lite/xenstored/shim/shim.c) on the host: its heap under
 * other names, over "free RAM" that is a host buffer handed out page by page.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#undef errno
#define errno    xshim_errno
#define malloc   xshim_malloc
#define calloc   xshim_calloc
#define realloc  xshim_realloc
#define free     xshim_free
#define strdup   xshim_strdup
#define strtoull xshim_strtoull
#include "../../../dom0-lite/xenstored/shim/shim.c"
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef strdup
#undef strtoull

/* ---- the domain runtime's pieces the shim uses ---- */
static uint8_t *ram;
static size_t ram_pages, ram_next, hole_at = ~(size_t)0;

uint64_t dom_page_reserve_gfn(void)
{
    if (ram_next == hole_at) {
        ram_next++; /* a page someone else took: the range is not contiguous */
    }
    if (ram_next >= ram_pages) {
        return 0;
    }
    return ((uintptr_t)ram >> 12) + ram_next++;
}

void dom_printf(const char *fmt, ...)
{
    (void)fmt;
}

void dom_shutdown(unsigned reason)
{
    (void)reason;
    abort();
}

static int setup(void **state)
{
    (void)state;
    ram_pages = SHIM_HEAP_PAGES + 64;
    ram = aligned_alloc(4096, ram_pages * 4096);
    ram_next = 0;
    hole_at = 10;
    /* A fresh heap for each test. */
    arena = top = arena_end = NULL;
    memset(classes, 0, sizeof(classes));
    large = NULL;
    used = peak = 0; /* the first free range is too short: the heap starts above it */
    return ram ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(seed * 31 + i);
    }
}

static bool check(const uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (uint8_t)(seed * 31 + i)) {
            return false;
        }
    }
    return true;
}

/* Random allocations, frees and reallocs of every size class and large blocks: no block
 * overlaps another (contents intact), and everything freed is reusable. */
static void test_heap_random(void **state)
{
    enum { SLOTS = 512 };
    static uint8_t *p[SLOTS];
    static size_t len[SLOTS];
    struct shim_heap_stats st;
    unsigned seed = 1;

    (void)state;
    assert_null(xshim_malloc((size_t)2 << 30));
    assert_int_equal(xshim_errno, ENOMEM);
    for (unsigned round = 0; round < 200000; round++) {
        unsigned i = (unsigned)rand() % SLOTS;
        if (p[i]) {
            assert_true(check(p[i], len[i], i));
        }
        switch (rand() % 3) {
        case 0:
            xshim_free(p[i]);
            p[i] = NULL;
            len[i] = 0;
            break;
        case 1: {
            size_t n = rand() % 4 ? (size_t)rand() % 600 : (size_t)rand() % 70000;
            uint8_t *q = xshim_realloc(p[i], n);
            if (n && !q) {
                break; /* full: the old block stays */
            }
            if (q && !check(q, len[i] < n ? len[i] : n, i)) {
                fail_msg("round %u slot %u: realloc %zu -> %zu moved %p -> %p", round, i, len[i], n,
                         (void *)p[i], (void *)q);
            }
            p[i] = q;
            len[i] = n;
            fill(p[i], n, i);
            break;
        }
        default:
            if (!p[i]) {
                len[i] = rand() % 2 ? (size_t)rand() % 5000 : (size_t)rand() % 200000;
                p[i] = xshim_calloc(1, len[i]);
                if (p[i]) {
                    for (size_t j = 0; j < len[i]; j++) {
                        assert_int_equal(p[i][j], 0);
                    }
                    fill(p[i], len[i], i);
                } else {
                    len[i] = 0;
                }
            }
        }
        seed++;
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        assert_true(!p[i] || check(p[i], len[i], i));
        xshim_free(p[i]);
        p[i] = NULL;
    }
    shim_heap_stats(&st);
    assert_int_equal(st.used, 0);
    assert_true(st.peak > 0 && st.peak <= st.size);
    /* Freed blocks are reused: a burst like the above takes no new space at the top. */
    uint8_t *before = top;
    for (unsigned i = 0; i < SLOTS; i++) {
        p[i] = xshim_malloc(i % 2 ? 100 : 6000);
        if (!p[i]) {
            size_t nfree = 0, biggest = 0;
            for (struct free_blk *f = large; f; f = f->next) {
                nfree++;
                biggest = f->hdr.size > biggest ? f->hdr.size : biggest;
            }
            fail_msg("slot %u: top at %zu of %zu, %zu large free, biggest %zu", i,
                     (size_t)(top - arena), (size_t)(arena_end - arena), nfree, biggest);
        }
    }
    assert_ptr_equal(top, before);
    for (unsigned i = 0; i < SLOTS; i++) {
        xshim_free(p[i]);
    }
}

static void test_calloc_overflow_and_strings(void **state)
{
    char *end;
    char *d;

    (void)state;
    assert_null(xshim_calloc(SIZE_MAX / 2, 4));
    d = xshim_strdup("abc");
    assert_string_equal(d, "abc");
    xshim_free(d);
    assert_int_equal(xshim_strtoull("12345", &end, 10), 12345);
    assert_int_equal(*end, '\0');
    assert_int_equal(xshim_strtoull("0x1F", &end, 0), 31);
    assert_int_equal(xshim_strtoull("  42z", &end, 10), 42);
    assert_int_equal(*end, 'z');
    assert_int_equal(xshim_strtoull("x", &end, 10), 0);
    assert_string_equal(end, "x");
    xshim_errno = 0;
    assert_true(xshim_strtoull("18446744073709551616", &end, 10) == ~0ull);
    assert_int_equal(xshim_errno, ERANGE);
    xshim_errno = 0;
    assert_true(xshim_strtoull("18446744073709551615", &end, 10) == ~0ull);
    assert_int_equal(xshim_errno, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heap_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calloc_overflow_and_strings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

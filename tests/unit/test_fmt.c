/* SPDX-License-Identifier: MIT */
/* lib/common/fmt (fmt_snprintf, checked against the host's snprintf) and cmdline_get(). */
#include <limits.h>
#include <stdio.h>

#include "unit.h"

#include <fmt.h>

#include <bulkhead/boot.h>

/* Format with fmt_snprintf and the host's snprintf into buffers of several sizes; the
 * strings, the return values and the bytes past the terminator must agree. */
#define CHECK_LIKE_LIBC(...)                                                                       \
    do {                                                                                           \
        static const size_t sizes[] = {0, 1, 2, 5, 16, 128};                                       \
        for (size_t i_ = 0; i_ < sizeof(sizes) / sizeof(sizes[0]); i_++) {                         \
            char ours[160], libc[160];                                                             \
            int n_ours, n_libc;                                                                    \
            memset(ours, 'Z', sizeof(ours));                                                       \
            memset(libc, 'Z', sizeof(libc));                                                       \
            n_ours = fmt_snprintf(ours, sizes[i_], __VA_ARGS__);                                   \
            n_libc = snprintf(libc, sizes[i_], __VA_ARGS__);                                       \
            assert_int_equal(n_ours, n_libc);                                                      \
            assert_memory_equal(ours, libc, sizeof(ours));                                         \
        }                                                                                          \
    } while (0)

/* Same, without -Wformat checking, for conversions the compiler would reject. */
static int fmt_unchecked(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = fmt_vsnprintf(buf, size, f, ap);
    va_end(ap);
    return n;
}

static void test_signed(void **state)
{
    (void)state;
    CHECK_LIKE_LIBC("%d", 0);
    CHECK_LIKE_LIBC("%d", 42);
    CHECK_LIKE_LIBC("%d", -42);
    CHECK_LIKE_LIBC("%i", -7);
    CHECK_LIKE_LIBC("%d|%d", INT_MAX, INT_MIN);
    CHECK_LIKE_LIBC("%ld", LONG_MIN);
    CHECK_LIKE_LIBC("%lld %lld", LLONG_MIN, LLONG_MAX);
    CHECK_LIKE_LIBC("[%5d] [%-5d] [%05d]", 42, 42, 42);
    CHECK_LIKE_LIBC("[%5d] [%-5d] [%05d]", -42, -42, -42);
    CHECK_LIKE_LIBC("[%03d] [%02d] [%1d]", -5, -123, -9);
    CHECK_LIKE_LIBC("[%20lld]", LLONG_MIN);
}

static void test_unsigned_hex(void **state)
{
    (void)state;
    CHECK_LIKE_LIBC("%u", 0u);
    CHECK_LIKE_LIBC("%u", UINT_MAX);
    CHECK_LIKE_LIBC("%lu %llu", ULONG_MAX, ULLONG_MAX);
    CHECK_LIKE_LIBC("%zu", (size_t)SIZE_MAX);
    CHECK_LIKE_LIBC("%x %X", 0xdeadbeefu, 0xdeadbeefu);
    CHECK_LIKE_LIBC("%x", (unsigned)-1);
    CHECK_LIKE_LIBC("%08x|%-8x|%8x", 0xabcu, 0xabcu, 0xabcu);
    CHECK_LIKE_LIBC("%016llx", 0x123456789abcdefull);
    CHECK_LIKE_LIBC("%llx", 0ull);
    CHECK_LIKE_LIBC("%lx", 0xfffffffffffffffful);
}

static void test_strings_chars(void **state)
{
    (void)state;
    CHECK_LIKE_LIBC("%s", "hello");
    CHECK_LIKE_LIBC("%s", "");
    CHECK_LIKE_LIBC("[%10s] [%-10s] [%2s]", "abc", "abc", "abcdef");
    CHECK_LIKE_LIBC("%c%c%c", 'a', 'b', 'c');
    CHECK_LIKE_LIBC("[%3c] [%-3c]", 'x', 'y');
    CHECK_LIKE_LIBC("100%% sure, %s", "really");
    CHECK_LIKE_LIBC("a long literal without any conversion at all, longer than sixteen");
}

static void test_pointer(void **state)
{
    char buf[64];
    char want[64];
    int x;

    (void)state;
    assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%p", (void *)0x1234), 6);
    assert_string_equal(buf, "0x1234");
    /* Unlike glibc's "(nil)": the hypervisor prints a null pointer as a number. */
    assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%p", (void *)0), 3);
    assert_string_equal(buf, "0x0");
    snprintf(want, sizeof(want), "%p", (void *)&x);
    fmt_snprintf(buf, sizeof(buf), "%p", (void *)&x);
    assert_string_equal(buf, want);
}

static void test_null_string(void **state)
{
    char buf[16];

    (void)state;
    assert_int_equal(fmt_unchecked(buf, sizeof(buf), "%s", (const char *)NULL), 6);
    assert_string_equal(buf, "(null)");
}

static void test_truncation(void **state)
{
    char buf[8];

    (void)state;
    /* The return value is the full length; the buffer holds size - 1 bytes and a NUL. */
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(fmt_snprintf(buf, 4, "%d-%s", 12345, "abc"), 9);
    assert_string_equal(buf, "123");
    assert_int_equal(buf[4], 'Z');
    /* Size 1: only the terminator. */
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(fmt_snprintf(buf, 1, "xyz"), 3);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Z');
    /* Size 0: nothing written, NULL is allowed. */
    assert_int_equal(fmt_snprintf(NULL, 0, "%u apples", 1000u), 11);
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(fmt_snprintf(buf, 0, "abc"), 3);
    assert_int_equal(buf[0], 'Z');
    /* Exactly fitting. */
    assert_int_equal(fmt_snprintf(buf, 8, "1234567"), 7);
    assert_string_equal(buf, "1234567");
    assert_int_equal(fmt_snprintf(buf, 8, "12345678"), 8);
    assert_string_equal(buf, "1234567");
}

static void test_unknown_conversion(void **state)
{
    char buf[32];

    (void)state;
    /* Printed literally so the mistake is visible; a trailing '%' is dropped. */
    assert_int_equal(fmt_unchecked(buf, sizeof(buf), "a%qb"), 4);
    assert_string_equal(buf, "a%qb");
    assert_int_equal(fmt_unchecked(buf, sizeof(buf), "end%"), 3);
    assert_string_equal(buf, "end");
}

static void test_cmdline_get(void **state)
{
    const char *cl = "console=dtuart loglvl=all selftest dom0_mem=512M,max:1G";
    char buf[32];

    (void)state;
    assert_string_equal(cmdline_get(cl, "console", buf, sizeof(buf)), "dtuart");
    assert_ptr_equal(cmdline_get(cl, "console", buf, sizeof(buf)), buf);
    assert_string_equal(cmdline_get(cl, "loglvl", buf, sizeof(buf)), "all");
    assert_string_equal(cmdline_get(cl, "selftest", buf, sizeof(buf)), "");
    assert_string_equal(cmdline_get(cl, "dom0_mem", buf, sizeof(buf)), "512M,max:1G");
    /* Prefixes of a name, or names that contain the one asked for, do not match. */
    assert_null(cmdline_get(cl, "log", buf, sizeof(buf)));
    assert_null(cmdline_get(cl, "test", buf, sizeof(buf)));
    assert_null(cmdline_get(cl, "missing", buf, sizeof(buf)));
}

static void test_cmdline_edges(void **state)
{
    char buf[32];

    (void)state;
    assert_null(cmdline_get(NULL, "a", buf, sizeof(buf)));
    assert_null(cmdline_get("", "a", buf, sizeof(buf)));
    assert_null(cmdline_get("a=1", "a", buf, 0));
    /* Values are truncated to the buffer. */
    assert_string_equal(cmdline_get("console=dtuart", "console", buf, 4), "dtu");
    assert_string_equal(cmdline_get("console=dtuart", "console", buf, 1), "");
    /* Extra spaces, '=' inside values, first occurrence wins. */
    assert_string_equal(cmdline_get("  a=1   b=2 ", "b", buf, sizeof(buf)), "2");
    assert_string_equal(cmdline_get("  a=1   b=2 ", "a", buf, sizeof(buf)), "1");
    assert_string_equal(cmdline_get("k=x=y", "k", buf, sizeof(buf)), "x=y");
    assert_string_equal(cmdline_get("k=1 k=2", "k", buf, sizeof(buf)), "1");
    assert_string_equal(cmdline_get("console_x=1 console=2", "console", buf, sizeof(buf)), "2");
    assert_string_equal(cmdline_get("e=", "e", buf, sizeof(buf)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed),
        cmocka_unit_test(test_unsigned_hex),
        cmocka_unit_test(test_strings_chars),
        cmocka_unit_test(test_pointer),
        cmocka_unit_test(test_null_string),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_unknown_conversion),
        cmocka_unit_test(test_cmdline_get),
        cmocka_unit_test(test_cmdline_edges),
    };

    return cmocka_run_group_tests_name("fmt+cmdline", tests, NULL, NULL);
}

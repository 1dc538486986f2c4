/* SPDX-License-Identifier: MIT */
/* PASS / FAIL / DONE lines for system tests. See dom/test.h. */
#include <stdarg.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "fmt.h"

static unsigned test_passed;
static unsigned test_failed;

void test_pass(const char *name)
{
    __atomic_fetch_add(&test_passed, 1, __ATOMIC_RELAXED); /* any vCPU may check */
    dom_printf("PASS %s\n", name);
}

static void test_vfail(const char *name, const char *fmt, va_list ap)
{
    char why[256];

    __atomic_fetch_add(&test_failed, 1, __ATOMIC_RELAXED);
    fmt_vsnprintf(why, sizeof(why), fmt, ap);
    dom_printf("FAIL %s: %s\n", name, why);
}

void test_fail(const char *name, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    test_vfail(name, fmt, ap);
    va_end(ap);
}

bool test_check(bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        test_pass(name);
        return true;
    }
    va_start(ap, fmt);
    test_vfail(name, fmt, ap);
    va_end(ap);
    return false;
}

bool test_expect(const char *name, long got, long want)
{
    return test_check(got == want, name, "got %ld, want %ld", got, want);
}

unsigned test_done(void)
{
    dom_printf("DONE %u passed, %u failed\n", test_passed, test_failed);
    return test_failed;
}

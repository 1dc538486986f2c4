/* SPDX-License-Identifier: MIT */
/*
 * A tiny test API for guests: one console line per check, which system tests match:
 *   PASS <name>
 *   FAIL <name>: <why>
 *   DONE <n> passed, <m> failed
 */
#ifndef DOM_TEST_H
#define DOM_TEST_H

#include <stdbool.h>

void test_pass(const char *name);
void test_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* PASS @name if @ok, else FAIL with the formatted reason. Returns @ok. */
bool test_check(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Check a hypercall result: PASS if @got == @want. */
bool test_expect(const char *name, long got, long want);

/* Print the DONE line. Returns the number of failures. */
unsigned test_done(void);

#endif

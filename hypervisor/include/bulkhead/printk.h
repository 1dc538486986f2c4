/* SPDX-License-Identifier: MIT */
/* Console output, panic and invariant checks. */
#ifndef BULKHEAD_PRINTK_H
#define BULKHEAD_PRINTK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* Print to the hypervisor console; whole lines from different CPUs never interleave. */
void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);

/* Print "@prefix@text" and a newline as one line: @text is @n bytes, printed as is (no
 * formatting, no length limit beyond the caller's). */
void printk_line(const char *prefix, const char *text, unsigned long n);
/* The same, @prefix may be NULL, the newline only if @newline: a line shown in pieces. */
void printk_part(const char *prefix, const char *text, unsigned long n, bool newline);
/* @n bytes as they are, no prefix, no line assembly: the control domain's shell. */
void printk_raw(const char *text, unsigned long n);

/* The console history (XEN_SYSCTL_readconsole): copy up to @max kept bytes into @buf,
 * from *@index if @from_index and the ring still holds it, else from the oldest; *@index
 * becomes the index after the last byte copied. @clear forgets everything kept so far.
 * Returns the bytes copied. */
#define CONRING_SIZE (16u << 10)
size_t console_history(uint32_t *index, bool from_index, char *buf, size_t max, bool clear);

/*
 * Report a fatal error in the hypervisor itself and power the board off. The line
 * starts with "bulkhead: PANIC" so that test harnesses and bh tools can tell a panic
 * from a clean power-off (QEMU exits 0 in both cases).
 */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* Only for the hypervisor's own invariants, never for guest- or toolstack-controlled data. */
#define BUG_ON(cond)                                                                               \
    do {                                                                                           \
        if (unlikely(cond)) {                                                                      \
            panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                                  \
        }                                                                                          \
    } while (0)

#define BUG(msg) panic("BUG at %s:%d: %s", __FILE__, __LINE__, msg)

#endif

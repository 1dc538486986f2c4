/* SPDX-License-Identifier: MIT */
/*
 * printf-style formatting without floating point, shared by the hypervisor and the
 * domain runtime. Supports %d %i %u %x %X %p %s %c %% with the flags '-', '0', a field
 * width and the length modifiers l, ll, z.
 */
#ifndef BULKHEAD_FMT_H
#define BULKHEAD_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf(3): returns the length the full output would have had. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

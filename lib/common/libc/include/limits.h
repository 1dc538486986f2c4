/* SPDX-License-Identifier: MIT */
/* The freestanding <limits.h> subset we use (LP64 targets). GCC's own limits.h wants a
 * libc limits.h behind it, which a -nostdinc build does not have. */
#ifndef BULKHEAD_LIBC_LIMITS_H
#define BULKHEAD_LIBC_LIMITS_H

#define CHAR_BIT  8
#define INT_MAX   __INT_MAX__
#define INT_MIN   (-INT_MAX - 1)
#define UINT_MAX  (INT_MAX * 2u + 1u)
#define LONG_MAX  __LONG_MAX__
#define ULONG_MAX (LONG_MAX * 2ul + 1ul)

#endif

/* SPDX-License-Identifier: MIT */
/* Compiler helpers used across the hypervisor. */
#ifndef BULKHEAD_COMPILER_H
#define BULKHEAD_COMPILER_H

#define __must_check   __attribute__((warn_unused_result))
#define __noreturn     _Noreturn
#define __unused       __attribute__((unused))
#define __aligned(n)   __attribute__((aligned(n)))
#define __section(s)   __attribute__((section(s)))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define likely(x)      __builtin_expect(!!(x), 1)
#define unlikely(x)    __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)         (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a)      ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a)        ALIGN_DOWN((x) + ((a)-1), (a))
#define IS_ALIGNED(x, a)      (((x) & ((__typeof__(x))(a)-1)) == 0)
#define MIN(a, b)             ((a) < (b) ? (a) : (b))
#define MAX(a, b)             ((a) > (b) ? (a) : (b))
#define BIT(n)                (1ull << (n))
#define READ_ONCE(x)          (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)      (*(volatile __typeof__(x) *)&(x) = (v))
#define container_of(p, t, m) ((t *)(void *)((char *)(p) - __builtin_offsetof(t, m)))

#endif

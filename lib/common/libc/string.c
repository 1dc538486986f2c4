/* SPDX-License-Identifier: MIT */
/*
 * Byte-at-a-time string functions, except for the bulk of memcpy and memset. Simple on
 * purpose: they must be correct with the MMU off on aarch64 (Device memory faults on
 * unaligned access), and the hypervisor's hot paths do not copy strings. memcpy and
 * memset move aligned 64-bit words, 64 bytes a loop, when both ends allow it:
 * building a domain copies its kernel (tens of MB) and scrubs its RAM through them, and
 * a byte loop there cost a Linux guest's boot ~250 M instructions (docs/e2e.md).
 */
#include <stdint.h>
#include <string.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Words when both are 8-byte aligned: domain builds copy kernels here and every vCPU
     * switch copies a trap frame (a byte loop was two thirds of an MMIO round trip). */
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        uint64_t *dw = (uint64_t *)(void *)d;
        const uint64_t *sw = (const uint64_t *)(const void *)s;

        for (; n >= 64; n -= 64, dw += 8, sw += 8) {
            uint64_t w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3];
            uint64_t w4 = sw[4], w5 = sw[5], w6 = sw[6], w7 = sw[7];

            dw[0] = w0;
            dw[1] = w1;
            dw[2] = w2;
            dw[3] = w3;
            dw[4] = w4;
            dw[5] = w5;
            dw[6] = w6;
            dw[7] = w7;
        }
        for (; n >= 8; n -= 8) {
            *dw++ = *sw++;
        }
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0) {
        return dst;
    }
    if (d < s || d >= s + n) {
        return memcpy(dst, src, n);
    }
    while (n--) {
        d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;

    /* Word stores when aligned: scrubbing pages goes through here. */
    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    if (n >= 8) {
        uint64_t w = (unsigned char)c * 0x0101010101010101ull;
        uint64_t *dw = (uint64_t *)(void *)d;

        for (; n >= 64; n -= 64, dw += 8) {
            dw[0] = w;
            dw[1] = w;
            dw[2] = w;
            dw[3] = w;
            dw[4] = w;
            dw[5] = w;
            dw[6] = w;
            dw[7] = w;
        }
        for (; n >= 8; n -= 8) {
            *dw++ = w;
        }
        d = (unsigned char *)dw;
    }
    while (n--) {
        *d++ = (unsigned char)c;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;

    for (; n; n--, x++, y++) {
        if (*x != *y) {
            return *x - *y;
        }
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (; n; n--, p++) {
        if (*p == (unsigned char)c) {
            return (void *)p;
        }
    }
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p) {
        p++;
    }
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (unsigned char)*a - (unsigned char)*b;
        }
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c) {
            return (char *)s;
        }
        if (!*s) {
            return NULL;
        }
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;

    for (;; s++) {
        if (*s == (char)c) {
            last = s;
        }
        if (!*s) {
            return (char *)last;
        }
    }
}

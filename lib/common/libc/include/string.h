/* SPDX-License-Identifier: MIT */
/*
 * The freestanding subset of <string.h> used by the hypervisor, libfdt and the domain
 * runtime. GCC may also emit calls to memcpy/memset/memmove/memcmp on its own.
 */
#ifndef BULKHEAD_LIBC_STRING_H
#define BULKHEAD_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* Only in programs with a heap (dom0-lite: dom0-lite/xenstored/shim/shim.c). */
char *strdup(const char *s);

#endif

/* SPDX-License-Identifier: MIT */
/* The <stdlib.h> subset xenstored needs in dom0-lite (shim.c). */
#ifndef XSD_SHIM_STDLIB_H
#define XSD_SHIM_STDLIB_H

#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);
unsigned long long strtoull(const char *s, char **end, int base);

/* The heap's state, for the shell: bytes in use (headers included), the most ever in use,
 * and its size. */
struct shim_heap_stats {
    size_t used, peak, size;
};
void shim_heap_stats(struct shim_heap_stats *st);

#endif

/* SPDX-License-Identifier: MIT */
/* dom0-lite's libc shim (shim.c): what it offers beyond the C library's names. */
#ifndef XSD_SHIM_H
#define XSD_SHIM_H

#include <stddef.h>

/* The heap's state: bytes in use (headers included), the most ever in use, its size. */
struct shim_heap_stats {
    size_t used, peak, size;
};
void shim_heap_stats(struct shim_heap_stats *st);

#endif

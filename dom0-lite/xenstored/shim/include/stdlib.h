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

#include "../shim.h"

#endif

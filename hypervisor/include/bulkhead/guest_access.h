/* SPDX-License-Identifier: MIT */
/*
 * Copying hypercall arguments from and to guest memory. Guest pointers are virtual
 * addresses of the calling vCPU, translated through the guest's own stage-1 tables and
 * then its stage-2 tables (arch_guest_va_to_pa), page by page. Anything unmapped, or
 * read-only for a write, is -EFAULT. Only the running vCPU's memory can be reached.
 *
 * Each page is translated and copied under the domain's p2m lock, so a concurrent unmap
 * (another vCPU remapping that page) waits until the copy of that page is done: a copy
 * never touches a page after the guest's mapping of it is gone.
 */
#ifndef BULKHEAD_GUEST_ACCESS_H
#define BULKHEAD_GUEST_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "domain.h"

int __must_check copy_from_guest(struct vcpu *v, void *dst, uint64_t gva, size_t n);
int __must_check copy_to_guest(struct vcpu *v, uint64_t gva, const void *src, size_t n);

/* Typed forms: the size follows from the object. */
#define get_guest(v, ptr, gva) copy_from_guest((v), (ptr), (gva), sizeof(*(ptr)))
#define put_guest(v, gva, ptr) copy_to_guest((v), (gva), (ptr), sizeof(*(ptr)))

#endif

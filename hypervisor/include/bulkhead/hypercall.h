/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls, Xen ABI. The arch trap code unpacks the number and up to five arguments
 * from the guest's registers and calls hypercall_dispatch(); every handler is a do_<name>
 * in one static table, checks its own arguments, and returns a Xen errno (negative) on
 * bad input. Nothing a guest passes can reach a panic.
 */
#ifndef BULKHEAD_HYPERCALL_H
#define BULKHEAD_HYPERCALL_H

#include <stdint.h>

#include "domain.h"

typedef int64_t (*hypercall_fn)(struct vcpu *v, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                                uint64_t a4);

int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                           uint64_t a3, uint64_t a4);

int64_t do_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a2, uint64_t a3,
                       uint64_t a4);
int64_t do_console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf, uint64_t a3,
                      uint64_t a4);
int64_t do_sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a2, uint64_t a3,
                    uint64_t a4);
int64_t do_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t a3,
                   uint64_t a4);
int64_t do_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a2, uint64_t a3,
                     uint64_t a4);

/* Console output of a domain: assembled into lines, printed as "(d<id>) text". */
void console_guest_write(struct domain *d, const char *s, uint64_t n);
void console_guest_flush(struct domain *d);

#endif

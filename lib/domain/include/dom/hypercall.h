/* SPDX-License-Identifier: MIT */
/*
 * Xen hypercalls with the names and argument orders of Xen's and Linux's guest headers.
 * Results are Xen's long: >= 0 on success, a negative Xen errno (xen/errno.h) on error.
 */
#ifndef DOM_HYPERCALL_H
#define DOM_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>

#include "dom/arch.h"

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
    return dom_hypercall(__HYPERVISOR_xen_version, (unsigned long)cmd, (unsigned long)arg, 0, 0, 0);
}

static inline long HYPERVISOR_console_io(int cmd, int count, const char *str)
{
    return dom_hypercall(__HYPERVISOR_console_io, (unsigned long)cmd, (unsigned long)count,
                         (unsigned long)str, 0, 0);
}

static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
    return dom_hypercall(__HYPERVISOR_sched_op, (unsigned long)cmd, (unsigned long)arg, 0, 0, 0);
}

static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpuid, void *extra_args)
{
    return dom_hypercall(__HYPERVISOR_vcpu_op, (unsigned long)cmd, vcpuid,
                         (unsigned long)extra_args, 0, 0);
}

static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
    return dom_hypercall(__HYPERVISOR_memory_op, cmd, (unsigned long)arg, 0, 0, 0);
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
    return dom_hypercall(__HYPERVISOR_event_channel_op, (unsigned long)cmd, (unsigned long)arg, 0,
                         0, 0);
}

static inline long HYPERVISOR_dm_op(domid_t domid, unsigned int nr_bufs, void *bufs)
{
    return dom_hypercall(__HYPERVISOR_dm_op, domid, nr_bufs, (unsigned long)bufs, 0, 0);
}

static inline long HYPERVISOR_hvm_op(unsigned int op, void *arg)
{
    return dom_hypercall(__HYPERVISOR_hvm_op, op, (unsigned long)arg, 0, 0, 0);
}

static inline long HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
    return dom_hypercall(__HYPERVISOR_grant_table_op, cmd, (unsigned long)uop, count, 0, 0);
}

#endif

/* SPDX-License-Identifier: MIT */
/* Hypercall dispatch: one static table of do_<name> handlers, Xen's numbers. */
#include <stdint.h>

#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/hypercall.h>

static const hypercall_fn hypercall_table[] = {
    [__HYPERVISOR_memory_op] = do_memory_op,   [__HYPERVISOR_xen_version] = do_xen_version,
    [__HYPERVISOR_console_io] = do_console_io, [__HYPERVISOR_vcpu_op] = do_vcpu_op,
    [__HYPERVISOR_sched_op] = do_sched_op,
};

int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                           uint64_t a3, uint64_t a4)
{
    if (nr >= ARRAY_SIZE(hypercall_table) || !hypercall_table[nr]) {
        return -ENOSYS;
    }
    return hypercall_table[nr](v, a0, a1, a2, a3, a4);
}

/* SPDX-License-Identifier: MIT */
/*
 * Hypercall dispatch: one static table of thin handlers, Xen's numbers. Each handler (in
 * its hypercall's file) only unpacks registers into the C types of Xen's prototype (as
 * in Xen's xen/include/xen/hypercall.h, e.g. `long do_sched_op(int cmd, arg)`) and calls
 * the typed function.
 */
#include <stdint.h>

#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/percpu.h>

typedef int64_t (*hypercall_fn)(struct vcpu *v, struct hypercall *hc);

/* Each hc_<name> sits beside its do_<name>, so the typed call is inlined into it. */

static const hypercall_fn hypercall_table[] = {
    [__HYPERVISOR_memory_op] = hc_memory_op,
    [__HYPERVISOR_xen_version] = hc_xen_version,
    [__HYPERVISOR_console_io] = hc_console_io,
    [__HYPERVISOR_vcpu_op] = hc_vcpu_op,
    [__HYPERVISOR_sched_op] = hc_sched_op,
    [__HYPERVISOR_event_channel_op] = hc_event_channel_op,
    [__HYPERVISOR_grant_table_op] = hc_grant_table_op,
    [__HYPERVISOR_hvm_op] = hc_hvm_op,
    [__HYPERVISOR_dm_op] = hc_dm_op,
    [__HYPERVISOR_domctl] = hc_domctl,
    [__HYPERVISOR_sysctl] = hc_sysctl,
};

int64_t hypercall_dispatch(struct vcpu *v, struct hypercall *hc)
{
    hc->restart = false;
    if (hc->nr >= ARRAY_SIZE(hypercall_table) || !hypercall_table[hc->nr]) {
        return -ENOSYS;
    }
    return hypercall_table[hc->nr](v, hc);
}

void hypercall_continue(struct hypercall *hc)
{
    hc->restart = true;
}

bool hypercall_preempt_check(void)
{
    return this_cpu()->need_resched;
}

/* SPDX-License-Identifier: MIT */
/* vcpu_op: the basic set: is_up, runstate, vcpu_info placement, singleshot timer. */
#include <stdint.h>

#include <xen/vcpu.h>
#include <xen/xen.h>

#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/sched.h>

static int64_t get_runstate(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_runstate_info info = {0};
    uint64_t now = arch_timer_now();

    info.state = (int)target->runstate;
    info.state_entry_time = sched_ticks_to_ns(target->runstate_entry);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t t = target->runstate_time[i];

        if (i == target->runstate) {
            t += now - target->runstate_entry;
        }
        info.time[i] = sched_ticks_to_ns(t);
    }
    return copy_to_guest(v, arg, &info, sizeof(info));
}

static int64_t register_vcpu_info(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    paddr_t pa;
    int rc = copy_from_guest(v, &r, arg, sizeof(r));

    if (rc) {
        return rc;
    }
    /* The structure must sit within one page of the guest's RAM. */
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) ||
        pt_lookup(&v->dom->p2m, (uint64_t)r.mfn << PAGE_SHIFT, &pa, NULL) != 0) {
        return -EINVAL;
    }
    if (pa_addr(target->vcpu_info)) {
        return -EEXIST;
    }
    target->vcpu_info = pa_add(pa, r.offset);
    return 0;
}

static int64_t set_singleshot(struct vcpu *v, uint64_t arg)
{
    struct vcpu_set_singleshot_timer t;
    int rc = copy_from_guest(v, &t, arg, sizeof(t));
    uint64_t deadline;

    if (rc) {
        return rc;
    }
    deadline = sched_ns_to_ticks(t.timeout_abs_ns);
    if ((t.flags & VCPU_SSHOTTMR_future) && deadline <= arch_timer_now()) {
        return -ETIME;
    }
    v->timer_deadline = deadline ? deadline : 1;
    return 0;
}

int64_t do_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t a3,
                   uint64_t a4)
{
    struct domain *d = v->dom;
    struct vcpu *target;

    (void)a3;
    (void)a4;
    if (vcpuid >= d->nr_vcpus) {
        return -ENOENT;
    }
    target = d->vcpus[vcpuid];
    switch (cmd) {
    case VCPUOP_is_up:
        return target->state != VCPU_DOWN;
    case VCPUOP_get_runstate_info:
        return get_runstate(v, target, arg);
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, target, arg);
    case VCPUOP_set_singleshot_timer:
        /* As in Xen, only for the calling vCPU. */
        return target == v ? set_singleshot(v, arg) : -EINVAL;
    case VCPUOP_stop_singleshot_timer:
        if (target != v) {
            return -EINVAL;
        }
        v->timer_deadline = 0;
        return 0;
    default:
        return -ENOSYS;
    }
}

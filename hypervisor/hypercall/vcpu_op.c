/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op (Xen: `long do_vcpu_op(int cmd, unsigned int vcpuid, arg)`): is_up, runstate,
 * vcpu_info placement, singleshot timer.
 */
#include <stdint.h>

#include <xen/vcpu.h>
#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

static int64_t get_runstate(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_runstate_info info = {0};
    uint64_t now = time_now();

    info.state = (int)target->runstate;
    info.state_entry_time = time_ticks_to_ns(target->runstate_entry);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t t = target->runstate_time[i];

        if (i == target->runstate) {
            t += now - target->runstate_entry;
        }
        info.time[i] = time_ticks_to_ns(t);
    }
    return put_guest(v, arg, &info);
}

static int64_t register_vcpu_info(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    struct p2m_locked l;
    paddr_t pa;
    int rc = get_guest(v, &r, arg);

    if (rc) {
        return rc;
    }
    /* The structure must sit within one page of the guest's RAM, aligned: the hypervisor
     * updates its selector word and upcall flag with atomics, which fault on an unaligned
     * address (found by the hypercall fuzzer: a hypervisor panic). */
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) ||
        r.offset % _Alignof(struct vcpu_info) != 0) {
        return -EINVAL;
    }
    l = p2m_lock(&v->dom->p2m);
    rc = p2m_lookup(l, ipa_init((uint64_t)r.mfn << PAGE_SHIFT), &pa, NULL) ? -EINVAL : 0;
    p2m_unlock(l);
    /* The hypervisor keeps this pointer: only into the domain's own RAM, never a page
     * another domain granted it (unmapped and freed later, it would be written into
     * whoever got it next). */
    if (rc == 0 && !domain_owns_ram(v->dom, pa)) {
        rc = -EINVAL;
    }
    if (rc) {
        return rc;
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
    int rc = get_guest(v, &t, arg);
    uint64_t deadline;

    if (rc) {
        return rc;
    }
    deadline = time_ns_to_ticks(t.timeout_abs_ns);
    if ((t.flags & VCPU_SSHOTTMR_future) && deadline <= time_now()) {
        return -ETIME;
    }
    /* A time in the past fires at once; 0 is "now" too, not "no timer". */
    sched_set_vcpu_timer(v, deadline ? deadline : 1);
    return 0;
}

int64_t do_vcpu_op(struct vcpu *v, int cmd, unsigned int vcpuid, uint64_t arg)
{
    struct domain *d = v->dom;
    struct vcpu *target;

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
        sched_set_vcpu_timer(v, 0);
        return 0;
    default:
        return -ENOSYS;
    }
}

int64_t hc_vcpu_op(struct vcpu *v, struct hypercall *hc)
{
    return do_vcpu_op(v, (int)hc->a[0], (unsigned int)hc->a[1], hc->a[2]);
}

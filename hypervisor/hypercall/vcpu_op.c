/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op (Xen: `long do_vcpu_op(int cmd, unsigned int vcpuid, arg)`): is_up, runstate
 * (read, and the runstate area kept up to date), vcpu_info placement, singleshot timer.
 *
 * The runstate area (VCPUOP_register_runstate_memory_area) is, in Xen's ABI, a guest
 * virtual address: a struct vcpu_runstate_info that the hypervisor rewrites each time the
 * vCPU is put on a CPU (Linux reads its steal time there, and treats a failed
 * registration as a fatal bug). It is written through the guest's stage 1 as it is at
 * that moment (the vCPU's own translation regime is live right after arch_vcpu_load:
 * the scheduler's load hook), page by page, and only into pages of the domain's own RAM:
 * an address the guest has unmapped, or that maps a granted or foreign page, is skipped.
 */
#include <string.h>

#include <stdint.h>

#include <xen/vcpu.h>
#include <xen/xen.h>

#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

static void runstate_fill(const struct vcpu *target, struct vcpu_runstate_info *info)
{
    uint64_t now = time_now();

    memset(info, 0, sizeof(*info));
    info->state = (int)target->runstate;
    info->state_entry_time = time_ticks_to_ns(target->runstate_entry);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t t = target->runstate_time[i];

        if (i == target->runstate) {
            t += now - target->runstate_entry;
        }
        info->time[i] = time_ticks_to_ns(t);
    }
}

static int64_t get_runstate(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_runstate_info info;

    runstate_fill(target, &info);
    return put_guest(v, arg, &info);
}

/*
 * Write @v's runstate to its area. @v is the vCPU loaded on this CPU: its stage 1 and
 * stage 2 are live. The area may straddle two pages; both must translate (for writing)
 * to the domain's own RAM, else nothing is written and the result is -EFAULT.
 */
static int runstate_publish(struct vcpu *v)
{
    struct vcpu_runstate_info info;
    /* Another vCPU of the domain may be re-registering it: one read. */
    uint64_t va = READ_ONCE(v->runstate_area);
    size_t first = MIN(sizeof(info), PAGE_SIZE - (va & (PAGE_SIZE - 1)));
    struct p2m_locked l;
    paddr_t pa[2];
    int rc = 0;

    if (!va) {
        return 0;
    }
    runstate_fill(v, &info);
    l = p2m_lock(&v->dom->p2m);
    if (arch_guest_va_to_pa(v, l, va, true, &pa[0]) || !domain_owns_ram(v->dom, pa[0])) {
        rc = -EFAULT;
    } else if (first < sizeof(info) && (arch_guest_va_to_pa(v, l, va + first, true, &pa[1]) ||
                                        !domain_owns_ram(v->dom, pa[1]))) {
        rc = -EFAULT;
    }
    if (rc == 0) {
        memcpy(pa_va(pa[0]), &info, first);
        if (first < sizeof(info)) {
            memcpy(pa_va(pa[1]), (const char *)&info + first, sizeof(info) - first);
        }
    }
    p2m_unlock(l);
    return rc;
}

/* The scheduler's load hook: the vCPU just put on this CPU sees its new runstate. */
static void runstate_on_load(struct vcpu *v)
{
    /* An area the guest has since unmapped is skipped, as Xen does. */
    (void)runstate_publish(v);
}

static int64_t register_runstate(struct vcpu *v, struct vcpu *target, uint64_t arg)
{
    struct vcpu_register_runstate_memory_area r;
    uint64_t old = target->runstate_area;
    int rc = get_guest(v, &r, arg);

    if (rc) {
        return rc;
    }
    /* 0 stops the updates. The fields are 64-bit: keep them aligned, and the area must
     * not wrap around the address space. */
    if (r.addr.p % _Alignof(struct vcpu_runstate_info) != 0 ||
        r.addr.p + sizeof(struct vcpu_runstate_info) - 1 < r.addr.p) {
        return -EINVAL;
    }
    sched_set_vcpu_load_hook(runstate_on_load);
    WRITE_ONCE(target->runstate_area, r.addr.p);
    /* The caller's own area is written now, through its own (live) stage 1; another
     * vCPU's at its next load. An address that does not translate is refused. */
    if (target == v && runstate_publish(v) != 0) {
        WRITE_ONCE(target->runstate_area, old);
        return -EFAULT;
    }
    return 0;
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
    case VCPUOP_register_runstate_memory_area:
        return register_runstate(v, target, arg);
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

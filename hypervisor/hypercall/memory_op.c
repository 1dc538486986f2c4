/* SPDX-License-Identifier: MIT */
/*
 * memory_op (Xen: `long do_memory_op(unsigned long cmd, arg)`): the sub-op is the low
 * MEMOP_CMD_MASK bits of cmd, the rest is a continuation's start extent. Implemented:
 * XENMEM_add_to_physmap for shared_info and grant-table frames; for stub domains
 * (docs/ioreq.md) XENMEM_acquire_resource of their target's ioreq page,
 * XENMEM_add_to_physmap_batch of their target's RAM (XENMAPSPACE_gmfn_foreign) and
 * XENMEM_remove_from_physmap of what those mapped; for the control domain
 * (docs/control.md) XENMEM_populate_physmap of a domain under construction and
 * XENMEM_add_to_physmap_batch of its RAM until its first unpause.
 */
#include <stdint.h>

#include <xen/memory.h>
#include <xen/xen.h>

#include <bulkhead/control.h>
#include <bulkhead/errno.h>
#include <bulkhead/gnttab.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/ioreq.h>

/* Xen's split of the command word (its internal xen/hypercall.h; not in the public
 * headers): the low 6 bits are the sub-op, the rest the continuation's start extent. */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK     ((1ul << MEMOP_EXTENT_SHIFT) - 1)

static int64_t add_to_physmap(struct vcpu *v, unsigned long start_extent, uint64_t arg)
{
    struct xen_add_to_physmap x;
    int rc;

    /* As Xen: a start extent that cannot be a progress count of `size` is refused. */
    if (start_extent != (uint16_t)start_extent) {
        return -EDOM;
    }
    rc = get_guest(v, &x, arg);
    if (rc) {
        return rc;
    }
    if (x.domid != DOMID_SELF && x.domid != v->dom->id) {
        /* Mapping into another domain is a control operation. */
        domain_refused(v->dom, "add_to_physmap into another domain", x.domid);
        return -EPERM;
    }
    if (x.space == XENMAPSPACE_grant_table) {
        /* v1 only: the status-frame flag of v2 is refused. */
        return x.idx & XENMAPIDX_grant_table_status ? -EINVAL
                                                    : gnttab_map_frame(v->dom, x.idx, x.gpfn);
    }
    if (x.space != XENMAPSPACE_shared_info) {
        return -EOPNOTSUPP;
    }
    if (x.idx != 0) {
        return -EINVAL;
    }
    return domain_map_shared_info(v->dom, x.gpfn);
}

/* The caller's target, referenced, if @domid names it (else -EPERM, logged; -ESRCH if
 * it is gone). */
static int target_of(struct vcpu *v, domid_t domid, const char *what, struct domain **out)
{
    struct domain *d = v->dom;

    if (d->role != ROLE_STUB || !d->target || domid != d->target->id) {
        domain_refused(d, what, domid);
        return -EPERM;
    }
    *out = domain_get(domid);
    return *out ? 0 : -ESRCH;
}

static int64_t acquire_resource(struct vcpu *v, uint64_t arg)
{
    struct xen_mem_acquire_resource x;
    struct domain *t;
    xen_pfn_t gfn;
    int rc = get_guest(v, &x, arg);

    if (rc) {
        return rc;
    }
    rc = target_of(v, x.domid, "acquire_resource", &t);
    if (rc) {
        return rc;
    }
    if (x.type != XENMEM_resource_ioreq_server) {
        rc = -EOPNOTSUPP;
    } else if (x.nr_frames == 0 && guest_handle_addr(&x.frame_list) == 0) {
        /* Xen's size query: frame 0 (bufioreq, absent) and one ioreq page. */
        x.nr_frames = 2;
        rc = put_guest(v, arg, &x);
    } else if (x.nr_frames != 1) {
        rc = -EINVAL;
    } else {
        rc = get_guest(v, &gfn, guest_handle_addr(&x.frame_list));
        if (rc == 0) {
            rc = ioreq_acquire(t, v->dom, x.id, x.frame, gfn);
        }
    }
    domain_put(t);
    return rc;
}

/* The same field in both layouts of the header (the host unit build sees the old). */
#if __XEN_INTERFACE_VERSION__ < 0x00040700
#define FOREIGN_DOMID(x) ((x).foreign_domid)
#else
#define FOREIGN_DOMID(x) ((x).u.foreign_domid)
#endif

#define BATCH_PER_CALL 64 /* entries per invocation before a continuation */

static int64_t add_to_physmap_batch(struct vcpu *v, struct hypercall *hc, unsigned long start,
                                    uint64_t arg)
{
    struct xen_add_to_physmap_batch x;
    struct domain *t;
    int rc = get_guest(v, &x, arg);

    if (rc) {
        return rc;
    }
    if (x.domid != DOMID_SELF && x.domid != v->dom->id) {
        domain_refused(v->dom, "add_to_physmap_batch into another domain", x.domid);
        return -EPERM;
    }
    if (x.space != XENMAPSPACE_gmfn_foreign) {
        return -EOPNOTSUPP;
    }
    if (v->dom->role == ROLE_CONTROL) {
        /* Building a domain (docs/control.md): its RAM while it is under construction.
         * A dying one too, so that the answer is -EPERM (construction over) whenever. */
        t = domain_get_any(FOREIGN_DOMID(x));
        rc = t ? 0 : -ESRCH;
    } else {
        rc = target_of(v, FOREIGN_DOMID(x), "foreign map", &t);
    }
    if (rc) {
        return rc;
    }
    for (unsigned long i = start; i < x.size && rc == 0; i++) {
        xen_ulong_t idx;
        xen_pfn_t gpfn;
        int err;

        if (i > start && (i - start) % BATCH_PER_CALL == 0 && hypercall_preempt_check()) {
            hc->a[0] = XENMEM_add_to_physmap_batch | (uint64_t)i << MEMOP_EXTENT_SHIFT;
            hypercall_continue(hc);
            break;
        }
        rc = copy_from_guest(v, &idx, guest_handle_addr(&x.idxs) + i * sizeof(idx), sizeof(idx));
        if (rc == 0) {
            rc = copy_from_guest(v, &gpfn, guest_handle_addr(&x.gpfns) + i * sizeof(gpfn),
                                 sizeof(gpfn));
        }
        if (rc == 0) {
            /* Per-entry errors go to errs[]; the call itself succeeds, as in Xen. */
            err = v->dom->role == ROLE_CONTROL ? domain_foreign_map(v->dom, t, idx, gpfn)
                                               : ioreq_foreign_map(v->dom, t, idx, gpfn);
            rc = copy_to_guest(v, guest_handle_addr(&x.errs) + i * sizeof(err), &err, sizeof(err));
        }
    }
    domain_put(t);
    return rc;
}

static int64_t remove_from_physmap(struct vcpu *v, uint64_t arg)
{
    struct xen_remove_from_physmap x;
    int rc = get_guest(v, &x, arg);

    if (rc) {
        return rc;
    }
    if (x.domid != DOMID_SELF && x.domid != v->dom->id) {
        domain_refused(v->dom, "remove_from_physmap of another domain", x.domid);
        return -EPERM;
    }
    return ioreq_remove(v->dom, x.gpfn);
}

/* XENMEM_populate_physmap into a domain under construction (control domain only). Xen
 * returns the number of extents done; when not even the first could be, its error
 * (-ENOMEM past max_mem) is returned instead. */
static int64_t populate_physmap(struct vcpu *v, struct hypercall *hc, unsigned long start,
                                uint64_t arg)
{
    struct xen_memory_reservation r;
    struct domain *t;
    unsigned long i;
    int rc = get_guest(v, &r, arg);

    if (rc) {
        return rc;
    }
    if (!control_may(v, "populate_physmap", r.domid)) {
        return -EPERM;
    }
    if (r.domid == DOMID_SELF || r.domid == v->dom->id) {
        return -EINVAL; /* its own RAM is fixed at boot */
    }
    if (start > r.nr_extents) {
        return -EINVAL;
    }
    t = domain_get(r.domid);
    if (!t) {
        return -ESRCH;
    }
    for (i = start; i < r.nr_extents && rc == 0; i++) {
        xen_pfn_t gfn;

        if (i > start && (i - start) % BATCH_PER_CALL == 0 && hypercall_preempt_check()) {
            hc->a[0] = XENMEM_populate_physmap | (uint64_t)i << MEMOP_EXTENT_SHIFT;
            hypercall_continue(hc);
            break;
        }
        rc = copy_from_guest(v, &gfn, guest_handle_addr(&r.extent_start) + i * sizeof(gfn),
                             sizeof(gfn));
        if (rc == 0) {
            rc = domain_populate(t, gfn, r.extent_order);
        }
    }
    domain_put(t);
    if (rc) {
        i--; /* the one that failed is not done */
    }
    return rc && i == 0 ? rc : (int64_t)i;
}

int64_t do_memory_op(struct vcpu *v, struct hypercall *hc, unsigned long cmd, uint64_t arg)
{
    unsigned long start_extent = cmd >> MEMOP_EXTENT_SHIFT;

    switch (cmd & MEMOP_CMD_MASK) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, start_extent, arg);
    case XENMEM_populate_physmap:
        return populate_physmap(v, hc, start_extent, arg);
    case XENMEM_add_to_physmap_batch:
        return add_to_physmap_batch(v, hc, start_extent, arg);
    case XENMEM_remove_from_physmap:
        return remove_from_physmap(v, arg);
    case XENMEM_acquire_resource:
        return acquire_resource(v, arg);
    default:
        return -ENOSYS;
    }
}

int64_t hc_memory_op(struct vcpu *v, struct hypercall *hc)
{
    return do_memory_op(v, hc, (unsigned long)hc->a[0], hc->a[1]);
}

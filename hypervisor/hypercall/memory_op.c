/* SPDX-License-Identifier: MIT */
/*
 * memory_op (Xen: `long do_memory_op(unsigned long cmd, arg)`): the sub-op is the low
 * MEMOP_CMD_MASK bits of cmd, the rest is a continuation's start extent. Implemented:
 * XENMEM_add_to_physmap for shared_info and grant-table frames.
 */
#include <stdint.h>

#include <xen/memory.h>
#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/gnttab.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>

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

int64_t do_memory_op(struct vcpu *v, unsigned long cmd, uint64_t arg)
{
    unsigned long start_extent = cmd >> MEMOP_EXTENT_SHIFT;

    switch (cmd & MEMOP_CMD_MASK) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, start_extent, arg);
    default:
        return -ENOSYS;
    }
}

int64_t hc_memory_op(struct vcpu *v, struct hypercall *hc)
{
    return do_memory_op(v, (unsigned long)hc->a[0], hc->a[1]);
}

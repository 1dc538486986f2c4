/* SPDX-License-Identifier: MIT */
/* memory_op: XENMEM_add_to_physmap for shared_info; nothing else yet. */
#include <stdint.h>

#include <xen/memory.h>
#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>

static int64_t add_to_physmap(struct vcpu *v, uint64_t arg)
{
    struct xen_add_to_physmap x;
    int rc = copy_from_guest(v, &x, arg, sizeof(x));

    if (rc) {
        return rc;
    }
    if (x.domid != DOMID_SELF && x.domid != v->dom->id) {
        /* Mapping into another domain is a control operation. */
        return -EPERM;
    }
    if (x.space != XENMAPSPACE_shared_info) {
        return -EOPNOTSUPP;
    }
    if (x.idx != 0) {
        return -EINVAL;
    }
    return domain_map_shared_info(v->dom, x.gpfn);
}

int64_t do_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a2, uint64_t a3,
                     uint64_t a4)
{
    (void)a2;
    (void)a3;
    (void)a4;
    switch (cmd) {
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, arg);
    default:
        return -ENOSYS;
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * dm_op (Xen: `long do_dm_op(domid_t domid, unsigned int nr_bufs, bufs)`): a device
 * model's operations on the domain it serves (xen/hvm/dm_op.h). bufs[0] holds a
 * struct xen_dm_op; only a stub domain, on its own target, may call it
 * (hypervisor/ioreq checks that, -EPERM with a log line otherwise). Implemented:
 * create / map_io_range / unmap_io_range / set_state / destroy of the target's ioreq
 * server, and set_irq_level. Everything else is -EOPNOTSUPP.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* xen.h first: riscv64's patched copy (mk/xen-headers.sh), not the one hvm/ reaches. */
#include <xen/xen.h>

#include <xen/hvm/dm_op.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/ioreq.h>

#define DM_OP_MAX_BUFS 4 /* none of our ops takes more than bufs[0] */

static int64_t dispatch(struct domain *t, struct domain *stub, struct xen_dm_op *op)
{
    switch (op->op) {
    case XEN_DMOP_create_ioreq_server:
        return ioreq_server_create(t, stub, op->u.create_ioreq_server.handle_bufioreq,
                                   &op->u.create_ioreq_server.id);
    case XEN_DMOP_map_io_range_to_ioreq_server:
    case XEN_DMOP_unmap_io_range_from_ioreq_server: {
        struct xen_dm_op_ioreq_server_range *r = &op->u.map_io_range_to_ioreq_server;

        return ioreq_server_range(t, stub, r->id, r->type, r->start, r->end,
                                  op->op == XEN_DMOP_map_io_range_to_ioreq_server);
    }
    case XEN_DMOP_set_ioreq_server_state:
        return ioreq_server_set_state(t, stub, op->u.set_ioreq_server_state.id,
                                      op->u.set_ioreq_server_state.enabled != 0);
    case XEN_DMOP_destroy_ioreq_server:
        return ioreq_server_destroy(t, stub, op->u.destroy_ioreq_server.id);
    case XEN_DMOP_set_irq_level:
        return ioreq_set_irq_level(t, stub, op->u.set_irq_level.irq, op->u.set_irq_level.level);
    default:
        return -EOPNOTSUPP;
    }
}

int64_t do_dm_op(struct vcpu *v, uint16_t domid, unsigned int nr_bufs, uint64_t bufs)
{
    struct domain *stub = v->dom, *t;
    struct xen_dm_op_buf buf;
    struct xen_dm_op op;
    uint64_t len;
    int64_t rc;

    if (nr_bufs == 0 || nr_bufs > DM_OP_MAX_BUFS) {
        return -E2BIG;
    }
    if (stub->role != ROLE_STUB || !stub->target || domid != stub->target->id) {
        domain_refused(stub, "dm_op", domid);
        return -EPERM; /* only a stub, and only on its target */
    }
    rc = get_guest(v, &buf, bufs);
    if (rc) {
        return rc;
    }
    if (buf.size < offsetof(struct xen_dm_op, u)) {
        return -EFAULT;
    }
    len = buf.size < sizeof(op) ? buf.size : sizeof(op);
    memset(&op, 0, sizeof(op));
    rc = copy_from_guest(v, &op, guest_handle_addr(&buf.h), len);
    if (rc) {
        return rc;
    }
    t = domain_get(domid);
    if (!t) {
        return -ESRCH;
    }
    rc = dispatch(t, stub, &op);
    domain_put(t);
    if (rc == 0 && op.op == XEN_DMOP_create_ioreq_server) {
        rc = copy_to_guest(v, guest_handle_addr(&buf.h), &op, len);
    }
    return rc;
}

int64_t hc_dm_op(struct vcpu *v, struct hypercall *hc)
{
    return do_dm_op(v, (uint16_t)hc->a[0], (unsigned int)hc->a[1], hc->a[2]);
}

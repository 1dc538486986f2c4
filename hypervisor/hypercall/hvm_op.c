/* SPDX-License-Identifier: MIT */
/*
 * hvm_op (Xen: `long do_hvm_op(unsigned long op, arg)`): HVMOP_get_param only, which
 * Linux's Xen code asks for the xenstore and console event channels and pages
 * (HVM_PARAM_STORE_EVTCHN / STORE_PFN / CONSOLE_EVTCHN / CONSOLE_PFN).
 *
 * Bulkhead's domains have no xenstore and no PV console ring, and no parameter is ever
 * set, so every parameter reads 0, as Xen answers for a parameter nobody set: Linux's
 * xenbus and hvc_xen then see no xenstore / console and stand down quietly. A domain
 * reads only its own parameters (DOMID_SELF or its id); any other op is -ENOSYS.
 */
#include <stdint.h>

/* First: hvm/ headers include "../xen.h" by path, which must find ours (riscv64's). */
#include <xen/xen.h>

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>

static int64_t get_param(struct vcpu *v, uint64_t arg)
{
    struct xen_hvm_param p;
    int rc = get_guest(v, &p, arg);

    if (rc) {
        return rc;
    }
    if (p.domid != DOMID_SELF && p.domid != v->dom->id) {
        return -EPERM;
    }
    if (p.index >= HVM_NR_PARAMS) {
        return -EINVAL;
    }
    p.value = 0;
    return put_guest(v, arg, &p);
}

int64_t do_hvm_op(struct vcpu *v, unsigned long op, uint64_t arg)
{
    switch (op) {
    case HVMOP_get_param:
        return get_param(v, arg);
    default:
        return -ENOSYS;
    }
}

int64_t hc_hvm_op(struct vcpu *v, struct hypercall *hc)
{
    return do_hvm_op(v, (unsigned long)hc->a[0], hc->a[1]);
}

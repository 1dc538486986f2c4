/* SPDX-License-Identifier: MIT */
/*
 * hvm_op (Xen: `long do_hvm_op(unsigned long op, arg)`): HVMOP_get_param, which Linux's
 * Xen code asks for the xenstore and console event channels and pages
 * (HVM_PARAM_STORE_EVTCHN / STORE_PFN / CONSOLE_EVTCHN / CONSOLE_PFN).
 *
 * The values are the domain's magic pages (hypervisor/magic, docs/xenstored.md
 * "Domains' rings"), which a domain has when the board has a control domain; without
 * them, and for every other parameter, 0, as Xen answers for a parameter nobody set:
 * Linux's xenbus and hvc_xen then see no xenstore / console and stand down quietly.
 * A domain reads its own parameters (DOMID_SELF or its id); the control domain reads any
 * domain's, as Xen's toolstack does to learn a domain's store port. HVMOP_set_param is
 * refused to everyone: no parameter is set, the hypervisor hands the values out. Any
 * other op is -ENOSYS.
 */
#include <stdint.h>

/* First: hvm/ headers include "../xen.h" by path, which must find ours (riscv64's). */
#include <xen/xen.h>

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/magic.h>

static int64_t get_param(struct vcpu *v, uint64_t arg)
{
    struct xen_hvm_param p;
    struct domain *d;
    int rc = get_guest(v, &p, arg);
    bool self;

    if (rc) {
        return rc;
    }
    self = p.domid == DOMID_SELF || p.domid == v->dom->id;
    if (!self && v->dom->role != ROLE_CONTROL) {
        return -EPERM;
    }
    if (p.index >= HVM_NR_PARAMS) {
        return -EINVAL;
    }
    d = self ? v->dom : domain_get_any(p.domid);
    if (!d) {
        return -ESRCH;
    }
    p.value = magic_param(d, p.index, self);
    if (!self) {
        domain_put(d);
    }
    return put_guest(v, arg, &p);
}

int64_t do_hvm_op(struct vcpu *v, unsigned long op, uint64_t arg)
{
    switch (op) {
    case HVMOP_get_param:
        return get_param(v, arg);
    case HVMOP_set_param:
        return -EPERM;
    default:
        return -ENOSYS;
    }
}

int64_t hc_hvm_op(struct vcpu *v, struct hypercall *hc)
{
    return do_hvm_op(v, (unsigned long)hc->a[0], hc->a[1]);
}

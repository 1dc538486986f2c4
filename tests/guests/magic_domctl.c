/* SPDX-License-Identifier: MIT */
/* For magic.c: is a vCPU of another domain up, has that domain ended (the control
 * domain's domctls)? Apart because domctl.h is for Xen's tools: it needs the tools'
 * interface version (as control.c). */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#define __XEN_PUBLIC_HVM_SAVE_H__
#include <stdint.h>

#include <xen/domctl.h>

#include "dom/hypercall.h"
#include "testguest.h"

bool tg_vcpu_online(uint16_t dom, unsigned vcpu)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_getvcpuinfo,
                            .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                            .domain = dom};

    op.u.getvcpuinfo.vcpu = vcpu;
    return dom_hypercall(__HYPERVISOR_domctl, (unsigned long)&op, 0, 0, 0, 0) == 0 &&
           op.u.getvcpuinfo.online;
}

bool tg_peer_ended(uint16_t dom)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_getdomaininfo,
                            .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                            .domain = dom};

    if (dom_hypercall(__HYPERVISOR_domctl, (unsigned long)&op, 0, 0, 0, 0) != 0 ||
        op.domain != dom) {
        return true;
    }
    if (!(op.u.getdomaininfo.flags & XEN_DOMINF_shutdown)) {
        return false;
    }
    op = (struct xen_domctl){.cmd = XEN_DOMCTL_destroydomain,
                             .interface_version = XEN_DOMCTL_INTERFACE_VERSION,
                             .domain = dom};
    dom_hypercall(__HYPERVISOR_domctl, (unsigned long)&op, 0, 0, 0, 0);
    return true;
}

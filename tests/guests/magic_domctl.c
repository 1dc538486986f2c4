/* SPDX-License-Identifier: MIT */
/* For magic.c's xenstored side: is a vCPU of another domain up (XEN_DOMCTL_getvcpuinfo,
 * the control domain's)? Apart because domctl.h is for Xen's tools: it needs the tools'
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

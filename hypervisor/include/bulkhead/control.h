/* SPDX-License-Identifier: MIT */
/*
 * The control domain's operations (hypercall/domctl.c, sysctl.c; docs/control.md): the
 * pieces the domctl, sysctl, memory_op and sched_op handlers share.
 */
#ifndef BULKHEAD_CONTROL_H
#define BULKHEAD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

struct xen_domctl_getdomaininfo;

/* Is @v's domain the control domain? If not, log "@what on d<@other> refused"
 * (rate-limited) and return false: the caller answers -EPERM. */
bool control_may(struct vcpu *v, const char *what, uint16_t other);

/* Fill Xen's getdomaininfo record of @d (referenced by the caller). */
void control_domain_info(struct domain *d, struct xen_domctl_getdomaininfo *info);

#endif

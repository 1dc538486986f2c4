/* SPDX-License-Identifier: MIT */
/*
 * sysctl (Xen: `long do_sysctl(XEN_GUEST_HANDLE_PARAM(xen_sysctl_t) u_sysctl)`), control
 * domain only (docs/control.md): XEN_SYSCTL_physinfo and XEN_SYSCTL_getdomaininfolist.
 * Checks in Xen 4.17's order: -EFAULT, -EACCES (interface_version), -EPERM; unknown
 * sub-ops -ENOSYS.
 */
/* First: it decides the Xen interface version of the host build. */
#include <bulkhead/xen_domctl.h>

#include <stdint.h>
#include <string.h>

#include <bulkhead/control.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/time.h>

static void physinfo(struct xen_sysctl_physinfo *p)
{
    unsigned online = 0, max_id = 0;

    for (unsigned i = 0; i < nr_pcpus; i++) {
        if (pcpus[i].online) {
            online++;
            max_id = i;
        }
    }
    memset(p, 0, sizeof(*p));
    p->threads_per_core = 1;
    p->cores_per_socket = online;
    p->nr_cpus = online;
    p->max_cpu_id = max_id;
    p->nr_nodes = 1;
    /* The counter's frequency, as Xen on Arm reports it: ticks per millisecond. */
    p->cpu_khz = (uint32_t)time_ns_to_ticks(1000000);
    p->total_pages = page_alloc_total_pages();
    p->free_pages = page_alloc_free_pages();
}

static int domain_list(struct vcpu *v, struct xen_sysctl_getdomaininfolist *l)
{
    uint64_t buf = guest_handle_addr(&l->buffer);
    unsigned next = l->first_domain, n = 0;
    int rc = 0;

    while (n < l->max_domains && next < MAX_DOMAINS && rc == 0) {
        struct xen_domctl_getdomaininfo info;
        struct domain *d = domain_get_next((domid_t)next);

        if (!d) {
            break;
        }
        control_domain_info(d, &info);
        next = d->id + 1u;
        domain_put(d);
        rc = copy_to_guest(v, buf + n * sizeof(info), &info, sizeof(info));
        n++;
    }
    l->num_domains = n;
    return rc;
}

int64_t do_sysctl(struct vcpu *v, uint64_t arg)
{
    struct xen_sysctl op;
    int rc = get_guest(v, &op, arg);

    if (rc) {
        return rc;
    }
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION) {
        return -EACCES;
    }
    if (!control_may(v, "sysctl", v->dom->id)) {
        return -EPERM;
    }
    switch (op.cmd) {
    case XEN_SYSCTL_physinfo:
        physinfo(&op.u.physinfo);
        break;
    case XEN_SYSCTL_getdomaininfolist:
        rc = domain_list(v, &op.u.getdomaininfolist);
        break;
    default:
        return -ENOSYS;
    }
    return rc ? rc : put_guest(v, arg, &op);
}

int64_t hc_sysctl(struct vcpu *v, struct hypercall *hc)
{
    return do_sysctl(v, hc->a[0]);
}

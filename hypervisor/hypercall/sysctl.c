/* SPDX-License-Identifier: MIT */
/*
 * sysctl (Xen: `long do_sysctl(XEN_GUEST_HANDLE_PARAM(xen_sysctl_t) u_sysctl)`), control
 * domain only (docs/control.md): XEN_SYSCTL_physinfo, XEN_SYSCTL_getdomaininfolist and
 * XEN_SYSCTL_readconsole (the console history, `bh> dmesg`).
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
#include <bulkhead/printk.h>
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

/* Xen's semantics: from the oldest byte kept, or from @index if @incremental; @index
 * becomes the end of what was read, @count what was written into @buffer. A buffer the
 * caller cannot write fails with -EFAULT and leaves the history as it was. */
static int readconsole(struct vcpu *v, struct xen_sysctl_readconsole *r)
{
    uint64_t buf = guest_handle_addr(&r->buffer);
    uint32_t index = r->index, done = 0;
    bool from_index = r->incremental;
    char chunk[256];
    int rc = 0;

    while (done < r->count) {
        uint32_t at = index;
        size_t want = r->count - done < sizeof(chunk) ? r->count - done : sizeof(chunk);
        size_t n = console_history(&at, from_index, chunk, want, false);

        if (!n) {
            index = at;
            break;
        }
        rc = copy_to_guest(v, buf + done, chunk, n);
        if (rc) {
            return rc;
        }
        index = at;
        from_index = true;
        done += (uint32_t)n;
    }
    if (r->clear) {
        console_history(&index, true, chunk, 0, true);
    }
    r->index = index;
    r->count = done;
    return 0;
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
    case XEN_SYSCTL_readconsole:
        rc = readconsole(v, &op.u.readconsole);
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

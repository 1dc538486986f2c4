/* SPDX-License-Identifier: MIT */
/* sched_op (Xen: `long do_sched_op(int cmd, arg)`): yield, block, shutdown; and
 * remote_shutdown for the control domain (docs/control.md). */
#include <stdint.h>

#include <xen/sched.h>

#include <bulkhead/control.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/sched.h>

static int64_t shutdown(struct vcpu *v, uint64_t arg)
{
    struct sched_shutdown sd;
    int rc = get_guest(v, &sd, arg);

    if (rc) {
        return rc;
    }
    if (sd.reason > SHUTDOWN_MAX) {
        return -EINVAL;
    }
    domain_shutdown(v->dom, sd.reason);
    return 0;
}

static int64_t remote_shutdown(struct vcpu *v, uint64_t arg)
{
    struct sched_remote_shutdown rs;
    struct domain *d;
    int rc = get_guest(v, &rs, arg);

    if (rc) {
        return rc;
    }
    if (!control_may(v, "remote_shutdown", rs.domain_id)) {
        return -EPERM;
    }
    if (rs.reason > SHUTDOWN_MAX) {
        return -EINVAL;
    }
    d = domain_get(rs.domain_id);
    if (!d) {
        return -ESRCH;
    }
    /* As Xen: not the caller itself (it would not return). */
    rc = d == v->dom ? -EINVAL : domain_remote_shutdown(d, rs.reason);
    domain_put(d);
    return rc;
}

int64_t do_sched_op(struct vcpu *v, int cmd, uint64_t arg)
{
    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield_current();
        return 0;
    case SCHEDOP_block:
        sched_block_current();
        return 0;
    case SCHEDOP_shutdown:
        return shutdown(v, arg);
    case SCHEDOP_remote_shutdown:
        return remote_shutdown(v, arg);
    default:
        return -ENOSYS;
    }
}

int64_t hc_sched_op(struct vcpu *v, struct hypercall *hc)
{
    return do_sched_op(v, (int)hc->a[0], hc->a[1]);
}

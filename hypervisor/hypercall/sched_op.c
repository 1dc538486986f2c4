/* SPDX-License-Identifier: MIT */
/* sched_op: yield, block, shutdown. */
#include <stdint.h>

#include <xen/sched.h>

#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/sched.h>

int64_t do_sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a2, uint64_t a3,
                    uint64_t a4)
{
    struct sched_shutdown sd;
    int rc;

    (void)a2;
    (void)a3;
    (void)a4;
    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield_current();
        return 0;
    case SCHEDOP_block:
        sched_block_current();
        return 0;
    case SCHEDOP_shutdown:
        rc = copy_from_guest(v, &sd, arg, sizeof(sd));
        if (rc) {
            return rc;
        }
        if (sd.reason > SHUTDOWN_MAX) {
            return -EINVAL;
        }
        domain_shutdown(v->dom, sd.reason);
        return 0;
    default:
        return -ENOSYS;
    }
}

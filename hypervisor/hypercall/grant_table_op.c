/* SPDX-License-Identifier: MIT */
/* grant_table_op (Xen: `long do_grant_table_op(unsigned int cmd, uop, unsigned int count)`):
 * hypervisor/gnttab, GNTTAB_BATCH ops per invocation, the rest continued. */
#include <stdint.h>

#include <bulkhead/gnttab.h>
#include <bulkhead/hypercall.h>

int64_t hc_grant_table_op(struct vcpu *v, struct hypercall *hc)
{
    unsigned int cmd = (unsigned int)hc->a[0], count = (unsigned int)hc->a[2];
    size_t size = gnttab_op_size(cmd);
    unsigned int n = size && count > GNTTAB_BATCH ? GNTTAB_BATCH : count;
    int64_t rc = gnttab_op(v, cmd, hc->a[1], n);

    if (rc == 0 && n < count) {
        hc->a[1] += n * size;
        hc->a[2] = count - n;
        hypercall_continue(hc);
    }
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* event_channel_op (Xen: `long do_event_channel_op(int cmd, arg)`): hypervisor/evtchn. */
#include <stdint.h>

#include <bulkhead/evtchn.h>
#include <bulkhead/hypercall.h>

int64_t hc_event_channel_op(struct vcpu *v, struct hypercall *hc)
{
    return evtchn_op(v, (int)hc->a[0], hc->a[1]);
}

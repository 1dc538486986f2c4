/* SPDX-License-Identifier: MIT */
/* dom0-lite's timers over one VIRQ_TIMER (timers.h). */
#include "timers.h"

#include "dom/dom.h"
#include "dom/hypercall.h"

#include <xen/event_channel.h>
#include <xen/vcpu.h>

#define MAX_TIMERS 8

static struct d0_timer *timers[MAX_TIMERS];
static unsigned nr;
static uint32_t port;

bool d0_timers_init(void)
{
    struct evtchn_bind_virq bv = {.virq = VIRQ_TIMER, .vcpu = 0};

    if (!port && HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv) == 0) {
        port = bv.port;
    }
    return port != 0;
}

/* Keep the single-shot timer at the earliest deadline. */
static void rearm(void)
{
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = 0};

    for (unsigned i = 0; i < nr; i++) {
        if (timers[i]->due && (!t.timeout_abs_ns || timers[i]->due < t.timeout_abs_ns)) {
            t.timeout_abs_ns = timers[i]->due;
        }
    }
    if (t.timeout_abs_ns) {
        HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
    }
}

void d0_timer_set(struct d0_timer *t, uint64_t due)
{
    unsigned i = 0;

    while (i < nr && timers[i] != t) {
        i++;
    }
    if (i == nr && nr < MAX_TIMERS) {
        timers[nr++] = t;
    }
    t->due = due;
    if (port) {
        rearm();
    }
}

bool d0_timers_notified(uint32_t p)
{
    uint64_t now = dom_now_ns();

    if (!port || p != port) {
        return false;
    }
    for (unsigned i = 0; i < nr; i++) {
        struct d0_timer *t = timers[i];

        if (t->due && t->due <= now) {
            t->due = 0;
            t->fn(); /* may set it (or another) again */
        }
    }
    rearm();
    return true;
}

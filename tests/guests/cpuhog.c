/* SPDX-License-Identifier: MIT */
/*
 * cpuhog: CPU-bound vCPUs that measure the CPU time the scheduler gives them, as a guest
 * measures it: VCPUOP_get_runstate_info on itself at both ends of a window of system
 * time (the counter every guest reads, so every domain's window is the same span).
 *
 * Bootargs: from_ms= (system time the window opens, default 1000), ms= (its length,
 * default 2000), vcpus= (how many vCPUs hog, default 1; vCPU 0 starts the others),
 * idle=1 (do not hog: sleep through the window in SCHEDOP_block, woken every 20 ms by
 * the singleshot timer, as an idle kernel does; it measures what it leaves to others).
 * Each vCPU prints
 *     CPUHOG v<id> running=<ms> runnable=<ms> blocked=<ms> window=<ms> late=<0|1>
 * (late=1: it came up after the window opened, so it measured a shorter span).
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "dom/test.h"
#include "testguest.h"

#include <xen/sched.h>
#include <xen/vcpu.h>

static uint64_t hog_from_ns, hog_len_ns;
static bool hog_idle;
static volatile unsigned hog_reported;

static bool runstate(unsigned id, struct vcpu_runstate_info *ri)
{
    return HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, id, ri) == 0;
}

/* Spin (no hypercall, no WFI) until system time @until_ns; idle=1: block instead. */
static void spin_until(unsigned id, uint64_t until_ns)
{
    uint64_t now;

    while ((now = dom_now_ns()) < until_ns) {
        if (hog_idle) {
            struct vcpu_set_singleshot_timer t = {
                .timeout_abs_ns = now + 20000000ull < until_ns ? now + 20000000ull : until_ns};

            if (HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, id, &t) == 0) {
                HYPERVISOR_sched_op(SCHEDOP_block, NULL);
            }
            continue;
        }
        for (volatile unsigned i = 0; i < 1000; i++) {
        }
    }
}

static void hog(unsigned id)
{
    struct vcpu_runstate_info a, b;
    bool late = dom_now_ns() > hog_from_ns;
    uint64_t t0;

    spin_until(id, hog_from_ns);
    t0 = dom_now_ns();
    if (!runstate(id, &a)) {
        dom_printf("CPUHOG v%u runstate unavailable\n", id);
        __atomic_fetch_add(&hog_reported, 1, __ATOMIC_RELEASE);
        return;
    }
    spin_until(id, hog_from_ns + hog_len_ns);
    runstate(id, &b);
    dom_printf("CPUHOG v%u running=%lu runnable=%lu blocked=%lu window=%lu late=%u\n", id,
               (b.time[RUNSTATE_running] - a.time[RUNSTATE_running]) / 1000000,
               (b.time[RUNSTATE_runnable] - a.time[RUNSTATE_runnable]) / 1000000,
               (b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked]) / 1000000,
               (dom_now_ns() - t0) / 1000000, late ? 1u : 0u);
    __atomic_fetch_add(&hog_reported, 1, __ATOMIC_RELEASE);
}

int mode_cpuhog(void)
{
    unsigned n = (unsigned)dom_arg_u64("vcpus", 1);

    hog_from_ns = dom_arg_u64("from_ms", 1000) * 1000000ull;
    hog_len_ns = dom_arg_u64("ms", 2000) * 1000000ull;
    hog_idle = dom_arg_u64("idle", 0) != 0;
    if (n < 1 || n > DOM_MAX_VCPUS) {
        test_fail("cpuhog", "vcpus=%u: 1..%u", n, DOM_MAX_VCPUS);
        test_done();
        return 0;
    }
    for (unsigned i = 1; i < n; i++) {
        int rc = dom_vcpu_start(i, hog);

        if (rc) {
            test_fail("cpuhog", "vCPU %u did not start (%d)", i, rc);
            n = i;
            break;
        }
    }
    hog(0);
    /* The others report by the window's end; leave them a generous margin. */
    {
        uint64_t deadline = dom_now_ns() + 20000 * 1000000ull;

        while (__atomic_load_n(&hog_reported, __ATOMIC_ACQUIRE) < n && dom_now_ns() < deadline) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        }
    }
    test_check(hog_reported >= n, "cpuhog", "%u of %u vCPUs reported", hog_reported, n);
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * evtchn: event channels from inside a guest. The guest maps shared_info over a page of
 * its own and watches the 2-level bits there (no upcall interrupt is needed: the bits and
 * vcpu_info's flags are the ABI). `test=evtchn`: loopback, masking, VIRQ_TIMER, errors.
 * `test=evtchn-peer role=offer peer=<domid>` / `role=bind peer=<domid>`: two guests
 * connect an interdomain channel (the offering guest's first port is 1) and signal.
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "dom/irq.h"
#include "dom/test.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/xen.h>

static volatile struct shared_info shinfo __attribute__((aligned(4096)));

static bool map_shared_info(void)
{
    struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                   .space = XENMAPSPACE_shared_info,
                                   .gpfn = (uint64_t)(uintptr_t)&shinfo >> 12};

    return test_expect("evtchn-map-shared_info", HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x),
                       0);
}

static bool is_pending(uint32_t port)
{
    return (__atomic_load_n(&shinfo.evtchn_pending[port / 64], __ATOMIC_ACQUIRE) >> (port % 64)) &
           1;
}

static void clear_all(void)
{
    for (unsigned i = 0; i < 64; i++) {
        shinfo.evtchn_pending[i] = 0;
    }
    shinfo.vcpu_info[0].evtchn_upcall_pending = 0;
    shinfo.vcpu_info[0].evtchn_pending_sel = 0;
}

static long ev(int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, arg);
}

static void test_loopback(void)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
    struct evtchn_bind_interdomain b = {.remote_dom = DOMID_SELF};
    struct evtchn_send s;
    struct evtchn_unmask u;
    struct evtchn_status st = {.dom = DOMID_SELF};

    test_expect("evtchn-alloc_unbound", ev(EVTCHNOP_alloc_unbound, &a), 0);
    b.remote_port = a.port;
    test_expect("evtchn-bind_interdomain-loopback", ev(EVTCHNOP_bind_interdomain, &b), 0);
    test_check(is_pending(b.local_port), "evtchn-bind-sets-local-pending", "port %u", b.local_port);
    clear_all();
    s.port = b.local_port;
    test_expect("evtchn-send", ev(EVTCHNOP_send, &s), 0);
    test_check(is_pending(a.port), "evtchn-send-sets-pending", "port %u", a.port);
    test_check(shinfo.vcpu_info[0].evtchn_upcall_pending == 1 &&
                   shinfo.vcpu_info[0].evtchn_pending_sel == 1ull << (a.port / 64),
               "evtchn-upcall-flags", "upcall_pending %u sel 0x%lx",
               shinfo.vcpu_info[0].evtchn_upcall_pending,
               (uint64_t)shinfo.vcpu_info[0].evtchn_pending_sel);
    /* Masked: pending, but no upcall; unmask delivers it. */
    clear_all();
    shinfo.evtchn_mask[a.port / 64] |= 1ull << (a.port % 64);
    test_expect("evtchn-send-masked", ev(EVTCHNOP_send, &s), 0);
    test_check(is_pending(a.port) && shinfo.vcpu_info[0].evtchn_upcall_pending == 0,
               "evtchn-masked-no-upcall", "upcall_pending %u",
               shinfo.vcpu_info[0].evtchn_upcall_pending);
    u.port = a.port;
    test_expect("evtchn-unmask", ev(EVTCHNOP_unmask, &u), 0);
    test_check(shinfo.vcpu_info[0].evtchn_upcall_pending == 1, "evtchn-unmask-delivers",
               "upcall_pending %u", shinfo.vcpu_info[0].evtchn_upcall_pending);
    st.port = a.port;
    test_expect("evtchn-status", ev(EVTCHNOP_status, &st), 0);
    test_check(st.status == EVTCHNSTAT_interdomain && st.u.interdomain.port == b.local_port,
               "evtchn-status-interdomain", "status %u port %u", st.status, st.u.interdomain.port);
}

static void test_virq_timer(void)
{
    struct evtchn_bind_virq bv = {.virq = VIRQ_TIMER, .vcpu = 0};
    struct vcpu_set_singleshot_timer t;

    test_expect("evtchn-bind_virq-timer", ev(EVTCHNOP_bind_virq, &bv), 0);
    test_expect("evtchn-bind_virq-twice", ev(EVTCHNOP_bind_virq, &bv), -XEN_EEXIST);
    clear_all();
    t = (struct vcpu_set_singleshot_timer){.timeout_abs_ns = dom_now_ns() + 5000000ull};
    test_expect("evtchn-singleshot", HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t), 0);
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    test_check(is_pending(bv.port), "evtchn-virq-timer-fires", "port %u", bv.port);
}

static void test_errors(void)
{
    struct evtchn_send s = {.port = 0};
    struct evtchn_close c = {.port = 999};
    struct evtchn_alloc_unbound other = {.dom = 5, .remote_dom = DOMID_SELF};
    struct evtchn_bind_interdomain nobody = {.remote_dom = 60, .remote_port = 1};

    test_expect("evtchn-send-port0", ev(EVTCHNOP_send, &s), -XEN_EINVAL);
    s.port = 0xffffffff;
    test_expect("evtchn-send-huge", ev(EVTCHNOP_send, &s), -XEN_EINVAL);
    test_expect("evtchn-close-unused", ev(EVTCHNOP_close, &c), -XEN_EINVAL);
    test_expect("evtchn-alloc-for-other", ev(EVTCHNOP_alloc_unbound, &other), -XEN_EPERM);
    test_expect("evtchn-bind-no-domain", ev(EVTCHNOP_bind_interdomain, &nobody), -XEN_ESRCH);
    test_expect("evtchn-fifo-not-offered", ev(EVTCHNOP_init_control, &s), -XEN_ENOSYS);
    test_expect("evtchn-efault", ev(EVTCHNOP_send, (void *)0x10), -XEN_EFAULT);
}

#if defined(__aarch64__)
static volatile unsigned upcalls;

static void on_upcall(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    /* As Linux's handler: clear the flag first, then look at the selectors. */
    shinfo.vcpu_info[0].evtchn_upcall_pending = 0;
    upcalls++;
}

/* aarch64: the upcall is Xen's PPI 31, taken as an interrupt, once per 0 -> 1 of
 * evtchn_upcall_pending. */
static void test_upcall_interrupt(void)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
    struct evtchn_bind_interdomain b = {.remote_dom = DOMID_SELF};
    struct evtchn_send s;
    uint64_t until;

    if (!test_expect("evtchn-upcall-irq-init", dom_irq_cpu_init(), 0)) {
        return;
    }
    dom_irq_register(DOM_IRQ_EVTCHN, on_upcall, NULL);
    dom_irq_enable(DOM_IRQ_EVTCHN);
    test_expect("evtchn-upcall-alloc", ev(EVTCHNOP_alloc_unbound, &a), 0);
    b.remote_port = a.port;
    test_expect("evtchn-upcall-bind", ev(EVTCHNOP_bind_interdomain, &b), 0);
    clear_all();
    dom_irq_local_enable();
    /* The loopback tests above already raised the upcall while interrupts were off: let
     * that one in before counting. */
    until = dom_now_ns() + 20000000ull;
    while (dom_now_ns() < until) {
    }
    upcalls = 0;
    for (unsigned i = 0; i < 3; i++) {
        unsigned before = upcalls;

        shinfo.evtchn_pending[a.port / 64] = 0;
        s.port = b.local_port;
        ev(EVTCHNOP_send, &s);
        until = dom_now_ns() + 2000000000ull;
        while (upcalls == before && dom_now_ns() < until) {
            dom_irq_wait();
        }
    }
    dom_irq_local_disable();
    test_check(upcalls == 3, "evtchn-upcall-ppi31", "%u upcall interrupts for 3 sends", upcalls);
}
#else
static void test_upcall_interrupt(void)
{
    dom_printf("INFO evtchn-upcall: no upcall interrupt on this arch yet (docs/abi-riscv.md)\n");
}
#endif

int mode_evtchn(void)
{
    if (map_shared_info()) {
        test_loopback();
        test_virq_timer();
        test_errors();
        test_upcall_interrupt();
    }
    test_done();
    return 0;
}

/* For tests/guests/bench.c's round trip (testguest.h). */
bool tg_evtchn_map(void)
{
    return map_shared_info();
}

bool tg_evtchn_take(uint32_t port)
{
    if (!is_pending(port)) {
        return false;
    }
    __atomic_and_fetch(&shinfo.evtchn_pending[port / 64], ~(1ull << (port % 64)), __ATOMIC_ACQ_REL);
    return true;
}

/* Wait (yielding) up to @ms for @port to be pending. */
static bool wait_pending(uint32_t port, uint64_t ms)
{
    uint64_t until = dom_now_ns() + ms * 1000000ull;

    while (!is_pending(port) && dom_now_ns() < until) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    return is_pending(port);
}

int mode_evtchn_peer(void)
{
    uint64_t peer = dom_arg_u64("peer", 0);
    struct evtchn_status st = {.dom = DOMID_SELF};

    if (!map_shared_info()) {
        test_done();
        return 0;
    }
    if (dom_arg_is("role", "offer")) {
        struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = (domid_t)peer};

        test_expect("evtchn-peer-offer", ev(EVTCHNOP_alloc_unbound, &a), 0);
        dom_printf("EVTCHN OFFERED port %u to d%lu\n", a.port, peer);
        test_check(wait_pending(a.port, 10000), "evtchn-peer-signalled", "port %u", a.port);
        st.port = a.port;
        test_expect("evtchn-peer-status", ev(EVTCHNOP_status, &st), 0);
        test_check(st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == peer,
                   "evtchn-peer-connected", "status %u dom %u", st.status, st.u.interdomain.dom);
        /* Signal back: the binder waits for it before it ends (its end would unbind us). */
        struct evtchn_send back = {.port = a.port};

        test_expect("evtchn-peer-send-back", ev(EVTCHNOP_send, &back), 0);
    } else {
        struct evtchn_bind_interdomain b = {.remote_dom = (domid_t)peer, .remote_port = 1};
        struct evtchn_send s;
        uint64_t until = dom_now_ns() + 10000000000ull;
        long r;

        while ((r = ev(EVTCHNOP_bind_interdomain, &b)) != 0 && dom_now_ns() < until) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        }
        test_expect("evtchn-peer-bind", r, 0);
        /* The bind left our port pending (Xen does, in case the peer signalled early). */
        shinfo.evtchn_pending[b.local_port / 64] &= ~(1ull << (b.local_port % 64));
        s.port = b.local_port;
        test_expect("evtchn-peer-send", ev(EVTCHNOP_send, &s), 0);
        test_check(wait_pending(b.local_port, 10000), "evtchn-peer-answered", "port %u",
                   b.local_port);
    }
    test_done();
    return 0;
}

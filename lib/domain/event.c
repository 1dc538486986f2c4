/* SPDX-License-Identifier: MIT */
/* Event channels inside a domain: Xen's 2-level ABI over shared_info (dom/event.h). */
#include <string.h>

#include "dom/dom.h"
#include "dom/event.h"
#include "dom/irq.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)
#define NR_WORDS      (sizeof(((struct shared_info *)0)->evtchn_pending) / sizeof(xen_ulong_t))

/*
 * Where the arch has no upcall interrupt, SCHEDOP_block is woken by an event that
 * arrives while the vCPU is blocked; one that arrives between the last scan and the
 * block would wait for the next event. The backstop timer bounds that wait.
 */
#define BACKSTOP_NS 20000000ull

/* shared_info is mapped over this page (the RAM page behind it is gone for good). */
static struct shared_info shinfo __attribute__((aligned(DOM_PAGE_SIZE)));
/* vCPU 0's vcpu_info: 64 bytes, must not cross a page. */
static struct vcpu_info vinfo __attribute__((aligned(64)));
static volatile struct vcpu_info *vi;
static bool has_upcall_irq;
static bool device_irqs;     /* dom_evtchn_take_device_irqs() */
static bool scan_all = true; /* the first scan takes what was pending before set-up */

static void upcall(unsigned irq, void *ctx)
{
    /* Nothing to do here: the loop scans the bits once the interrupt woke it. */
    (void)irq;
    (void)ctx;
}

int dom_evtchn_init(void)
{
    struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                   .space = XENMAPSPACE_shared_info,
                                   .gpfn = (uint64_t)(uintptr_t)&shinfo / DOM_PAGE_SIZE};
    struct vcpu_register_vcpu_info r = {
        .mfn = (uint64_t)(uintptr_t)&vinfo / DOM_PAGE_SIZE,
        .offset = (uint32_t)((uintptr_t)&vinfo % DOM_PAGE_SIZE),
    };
    long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x);

    if (rc) {
        return (int)rc;
    }
    rc = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &r);
    /* Without a registered area the legacy one in shared_info serves vCPU 0. */
    vi = rc ? &shinfo.vcpu_info[0] : &vinfo;
    has_upcall_irq = dom_irq_has_evtchn_upcall();
    if (has_upcall_irq) {
        rc = dom_irq_cpu_init();
        if (rc) {
            return (int)rc;
        }
        dom_irq_local_disable();
        dom_irq_register(DOM_IRQ_EVTCHN, upcall, NULL);
        dom_irq_enable(DOM_IRQ_EVTCHN);
    }
    return 0;
}

int dom_evtchn_bind_interdomain(domid_t remote_dom, uint32_t remote_port, uint32_t *local)
{
    struct evtchn_bind_interdomain b = {.remote_dom = remote_dom, .remote_port = remote_port};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);

    if (!rc) {
        *local = b.local_port;
    }
    return (int)rc;
}

int dom_evtchn_alloc_unbound(domid_t remote_dom, uint32_t *port)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = remote_dom};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);

    if (!rc) {
        *port = a.port;
    }
    return (int)rc;
}

int dom_evtchn_notify(uint32_t port)
{
    struct evtchn_send s = {.port = port};

    return (int)HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

int dom_evtchn_close(uint32_t port)
{
    struct evtchn_close c = {.port = port};

    return (int)HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
}

int dom_evtchn_unmask(uint32_t port)
{
    struct evtchn_unmask u = {.port = port};

    return (int)HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u);
}

void dom_evtchn_set_mask(uint32_t port, bool masked)
{
    xen_ulong_t bit = (xen_ulong_t)1 << (port % BITS_PER_WORD);

    if (port / BITS_PER_WORD >= NR_WORDS) {
        return;
    }
    if (masked) {
        __atomic_fetch_or(&shinfo.evtchn_mask[port / BITS_PER_WORD], bit, __ATOMIC_SEQ_CST);
    } else {
        __atomic_fetch_and(&shinfo.evtchn_mask[port / BITS_PER_WORD], ~bit, __ATOMIC_SEQ_CST);
    }
}

bool dom_evtchn_upcall_pending(void)
{
    return vi && __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
}

/* Take the pending, unmasked ports of word @w. */
static unsigned take_word(unsigned w, void (*fn)(uint32_t port, void *ctx), void *ctx)
{
    xen_ulong_t ready = __atomic_load_n(&shinfo.evtchn_pending[w], __ATOMIC_ACQUIRE) &
                        ~__atomic_load_n(&shinfo.evtchn_mask[w], __ATOMIC_ACQUIRE);
    unsigned n = 0;

    /* A shift loop, not ctz: riscv64 without Zbb would need libgcc's __ctzdi2. */
    for (unsigned b = 0; ready; b++, ready >>= 1) {
        xen_ulong_t bit = (xen_ulong_t)1 << b;

        if (!(ready & 1)) {
            continue;
        }
        /* Clear before handling: an event sent while we handle it is seen next time. */
        __atomic_fetch_and(&shinfo.evtchn_pending[w], ~bit, __ATOMIC_SEQ_CST);
        fn((uint32_t)(w * BITS_PER_WORD + b), ctx);
        n++;
    }
    return n;
}

unsigned dom_evtchn_poll(void (*fn)(uint32_t port, void *ctx), void *ctx)
{
    xen_ulong_t sel;
    unsigned n = 0;

    if (!vi) {
        return 0;
    }
    /* The 2-level order: upcall flag, then selector, then the words (Xen's
     * event_channel.h). Clearing the flag first means an event that arrives during the
     * scan sets it (and raises the upcall) again. */
    __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    if (scan_all) {
        scan_all = false;
        sel = ~(xen_ulong_t)0;
    }
    for (unsigned w = 0; w < NR_WORDS && sel; w++) {
        if (sel & ((xen_ulong_t)1 << w)) {
            sel &= ~((xen_ulong_t)1 << w);
            n += take_word(w, fn, ctx);
        }
    }
    return n;
}

void dom_evtchn_wait(void)
{
    if (has_upcall_irq) {
        /* WFI ends when an interrupt is pending, masked or not (PSTATE.I stays set, so
         * the upcall cannot be taken between the check and the WFI). */
        dom_irq_local_disable();
        if (!dom_evtchn_upcall_pending()) {
            dom_irq_wait();
        }
        /* Take (acknowledge) the upcall interrupt so the next WFI sleeps again. */
        dom_irq_local_enable();
        dom_irq_local_disable();
        return;
    }
    if (device_irqs) {
        /* Handlers of interrupts already pending run now, and may raise events. */
        dom_irq_local_enable();
        dom_irq_local_disable();
    }
    {
        struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = dom_now_ns() + BACKSTOP_NS};

        /* Arm first, look last: the window an event can slip through is then only the
         * block hypercall's own entry, not the timer call too. */
        HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
        if (!dom_evtchn_upcall_pending()) {
            HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        }
    }
    if (device_irqs) {
        dom_irq_local_enable();
        dom_irq_local_disable();
    }
}

void dom_evtchn_take_device_irqs(void)
{
    if (!has_upcall_irq && !device_irqs) {
        dom_irq_cpu_init();
        dom_irq_local_disable();
    }
    device_irqs = true;
}

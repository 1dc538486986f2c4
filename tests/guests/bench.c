/* SPDX-License-Identifier: MIT */
/*
 * pbench: n operations of one kind on either arch, for tests/bench/vcpu_insns.py, which
 * counts the hypervisor's instructions under -icount shift=0 and divides the difference
 * between n and 0 operations by n. `test=pbench op=<op> n=<n> [peer=1]`:
 *   ipi      an IPI to vCPU 1 (peer=1: it spins with interrupts on, on another CPU) or to
 *            itself, until the target's handler has counted it
 *   timer    a timer interrupt due at once, until the handler ran (riscv64: SBI TIME, or
 *            sstc=1 for the stimecmp CSR)
 *   irqcread an emulated interrupt-controller register read (GICD_TYPER / PLIC priority 1)
 *   eoi      an end of interrupt as the guest writes it (ICC_EOIR1_EL1 of the spurious
 *            INTID 1023, which the GIC's virtual CPU interface takes without a trap / a
 *            PLIC completion of source 1, a trapped MMIO write)
 *   wfi      a WFI that blocks until a timer 20 us ahead wakes the vCPU
 *   yield    SCHEDOP_yield; with peer=1 vCPU 1 yields back in a loop, so on one CPU every
 *            yield is a vCPU context switch
 * Prints `BENCH start n op` and `BENCH done n`, then powers off.
 *
 * evbench: n event-channel notify round trips between two domains, for
 * tests/bench/vcpu_insns.py. `test=evbench role=offer peer=<domid> n=<n>` offers a port
 * (its first, 1) to the peer, `role=bind peer=<domid> n=<n>` binds to it and signals
 * once; then the offering side sends and waits, the binding side waits and sends back,
 * n times. The two share one CPU and each waits by yielding until its pending bit in
 * shared_info is set (no upcall handler): a round trip is two EVTCHNOP_send, two
 * SCHEDOP_yield and two vCPU switches. (Two busy CPUs cannot be measured under -icount:
 * QEMU runs CPUs round-robin and a spinning one keeps the other from running.)
 */
#include <stdint.h>
#include <string.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "dom/irq.h"
#include "dom/test.h"
#include "testguest.h"

#include <xen/event_channel.h>
#include <xen/sched.h>

#ifdef __aarch64__
#include "dom/a64.h"
#define IRQC_READ_ADDR (DOM_GICD_BASE + 0x4) /* GICD_TYPER */
#else
#define PLIC           0x0c000000ul
#define IRQC_READ_ADDR (PLIC + 4)                                 /* priority of source 1 */
#define PLIC_CLAIM(c)  (PLIC + 0x200004 + 0x1000 * (uint64_t)(c)) /* claim / complete */
#endif

static volatile uint64_t bench_irqs;
static volatile unsigned peer_state; /* 1: vCPU 1 is up and taking interrupts */

static void bench_irq(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    __atomic_add_fetch(&bench_irqs, 1, __ATOMIC_RELEASE);
}

static void peer_spin(unsigned id)
{
    (void)id;
    if (dom_irq_cpu_init()) {
        test_fail("pbench", "peer: no interrupt controller");
    }
    dom_irq_enable(DOM_IRQ_IPI);
    dom_irq_local_enable();
    __atomic_store_n(&peer_state, 1, __ATOMIC_RELEASE);
    for (;;) {
    }
}

static void peer_yield(unsigned id)
{
    (void)id;
    __atomic_store_n(&peer_state, 1, __ATOMIC_RELEASE);
    for (;;) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

static void eoi(void)
{
#ifdef __aarch64__
    __asm__ volatile("msr S3_0_C12_C12_1, %0" ::"r"(1023ul)); /* ICC_EOIR1_EL1 */
#else
    *(volatile uint32_t *)(uintptr_t)PLIC_CLAIM(2 * dom_vcpu_self() + 1) = 1;
#endif
}

static void wait_irqs(uint64_t want)
{
    while (__atomic_load_n(&bench_irqs, __ATOMIC_ACQUIRE) < want) {
    }
}

static void bench_one(char op, bool peer, uint64_t hz)
{
    uint64_t want = bench_irqs + 1;

    switch (op) {
    case 'i': /* ipi */
        dom_irq_send_ipi(peer ? 1 : 0);
        wait_irqs(want);
        break;
    case 't': /* timer */
        dom_irq_timer_set(dom_arch_counter());
        wait_irqs(want);
        break;
    case 'r': /* irqcread */
        (void)*(volatile uint32_t *)(uintptr_t)IRQC_READ_ADDR;
        break;
    case 'e': /* eoi */
        eoi();
        break;
    case 'y': /* yield */
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        break;
    default: /* wfi */
        dom_irq_local_disable();
        dom_irq_timer_set(dom_arch_counter() + hz / 50000);
        dom_irq_wait();
        dom_irq_local_enable();
        wait_irqs(want);
        break;
    }
}

int mode_pbench(void)
{
    uint64_t n = dom_arg_u64("n", 1000);
    bool peer = dom_arg_u64("peer", 0) != 0;
    char op[16] = "ipi";
    char code;

    dom_arg("op", op, sizeof(op));
    if (dom_irq_cpu_init()) {
        test_fail("pbench", "no interrupt controller");
    }
#ifdef __riscv
    dom_irq_riscv_use_sstc(dom_arg_u64("sstc", 0) != 0);
#endif
    dom_irq_register(DOM_IRQ_IPI, bench_irq, NULL);
    dom_irq_register(DOM_IRQ_TIMER, bench_irq, NULL);
    dom_irq_enable(DOM_IRQ_IPI);
    dom_irq_enable(DOM_IRQ_TIMER);
    if (peer) {
        int rc = dom_vcpu_start(1, op[0] == 'y' ? peer_yield : peer_spin);

        if (rc) {
            test_fail("pbench", "starting vCPU 1: %d", rc);
            test_done();
            return 0;
        }
        /* A plain spin: relaxing would trap a varying number of times. */
        while (!__atomic_load_n(&peer_state, __ATOMIC_ACQUIRE)) {
        }
    }
    dom_irq_local_enable();
    dom_printf("BENCH start %lu %s\n", n, op);
    code = !strcmp(op, "irqcread") ? 'r' : op[0];
    if (!strchr("itrewy", code) ||
        (strcmp(op, "irqcread") && strcmp(op, "ipi") && strcmp(op, "timer") && strcmp(op, "eoi") &&
         strcmp(op, "wfi") && strcmp(op, "yield"))) {
        test_fail("pbench", "unknown op=%s", op);
        test_done();
        return 0;
    }
    for (uint64_t i = 0; i < n; i++) {
        bench_one(code, peer, dom_info.timer_hz);
    }
    dom_irq_timer_stop();
    dom_printf("BENCH done %lu\n", n);
    return 0;
}

static long ev(int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, arg);
}

/* Both domains share one CPU: give it to the peer until the event is there. */
static void ev_wait(uint32_t port)
{
    while (!tg_evtchn_take(port)) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
}

int mode_evbench(void)
{
    uint64_t n = dom_arg_u64("n", 1000);
    domid_t peer = (domid_t)dom_arg_u64("peer", 0);
    bool offer = dom_arg_is("role", "offer");
    struct evtchn_send s;

    if (!tg_evtchn_map()) {
        test_done();
        return 0;
    }
    if (offer) {
        struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = peer};

        if (!test_expect("evbench-offer", ev(EVTCHNOP_alloc_unbound, &a), 0)) {
            test_done();
            return 0;
        }
        s.port = a.port;
        ev_wait(s.port); /* the binder is there */
    } else {
        struct evtchn_bind_interdomain b = {.remote_dom = peer, .remote_port = 1};
        uint64_t until = dom_now_ns() + 10000000000ull;
        long r;

        while ((r = ev(EVTCHNOP_bind_interdomain, &b)) != 0 && dom_now_ns() < until) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        }
        if (!test_expect("evbench-bind", r, 0)) {
            test_done();
            return 0;
        }
        s.port = b.local_port;
        (void)tg_evtchn_take(s.port); /* the bind leaves it pending */
        ev(EVTCHNOP_send, &s);
    }
    dom_printf("BENCH start %lu evtchn %s\n", n, offer ? "offer" : "bind");
    for (uint64_t i = 0; i < n; i++) {
        if (offer) {
            ev(EVTCHNOP_send, &s);
            ev_wait(s.port);
        } else {
            ev_wait(s.port);
            ev(EVTCHNOP_send, &s);
        }
    }
    dom_printf("BENCH done %lu\n", n);
    return 0;
}

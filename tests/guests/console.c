/* SPDX-License-Identifier: MIT */
/*
 * console-echo: the board console's input, as a domain receives it (docs/console.md).
 * The guest binds VIRQ_CONSOLE and, each time its port is pending, drains CONSOLEIO_read
 * and echoes every complete line as `ECHO <line>`. It reads only when the VIRQ says so,
 * so input that arrives without the VIRQ is never echoed. `quit` ends it; so does `ms`.
 * `read=0`: it binds the VIRQ but never reads (the hypervisor must drop its input, not
 * wait for it) and prints `TICK <n>` every 100 ms instead.
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

#define LINE_MAX 120
#define POLL_MS  50

static volatile struct shared_info shinfo __attribute__((aligned(4096)));

/* Was @port signalled? Clears its pending bit and the upcall flags (we poll them). */
static bool take_pending(uint32_t port)
{
    volatile xen_ulong_t *w = &shinfo.evtchn_pending[port / 64];
    xen_ulong_t bit = 1ull << (port % 64);

    shinfo.vcpu_info[0].evtchn_upcall_pending = 0;
    __atomic_and_fetch(&shinfo.vcpu_info[0].evtchn_pending_sel, 0, __ATOMIC_ACQ_REL);
    return __atomic_fetch_and(w, ~bit, __ATOMIC_ACQ_REL) & bit;
}

#if defined(__aarch64__)
/* The upcall (PPI 31) is what ends SCHEDOP_block early; the handler only acknowledges
 * it: the loop looks at the port's bit itself. */
static void on_upcall(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    shinfo.vcpu_info[0].evtchn_upcall_pending = 0;
}

static void upcall_init(void)
{
    if (dom_irq_cpu_init() == 0) {
        dom_irq_register(DOM_IRQ_EVTCHN, on_upcall, NULL);
        dom_irq_enable(DOM_IRQ_EVTCHN);
    }
}

/* Let a pending upcall in (and acknowledged) between two looks at the bits. */
static void upcall_take(void)
{
    dom_irq_local_enable();
    dom_irq_local_disable();
}
#else
/* riscv64 has no upcall interrupt yet (docs/abi-riscv.md): the timer ends each wait. */
static void upcall_init(void)
{
}

static void upcall_take(void)
{
}
#endif

/* Sleep until an event or @ms, whichever is first. */
static void wait_event_ms(uint64_t ms)
{
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = dom_now_ns() + ms * 1000000ull};

    HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    upcall_take();
}

static uint32_t setup(void)
{
    struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                   .space = XENMAPSPACE_shared_info,
                                   .gpfn = (uint64_t)(uintptr_t)&shinfo >> 12};
    struct evtchn_bind_virq bv = {.virq = VIRQ_CONSOLE, .vcpu = 0};
    char c;

    if (!test_expect("console-map-shared_info", HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x),
                     0) ||
        !test_expect("console-bind-virq", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv),
                     0)) {
        return 0;
    }
    /* Nothing typed yet: an empty read, and a zero-count read, both answer 0. */
    test_expect("console-read-empty", HYPERVISOR_console_io(CONSOLEIO_read, 1, &c), 0);
    test_expect("console-read-zero", HYPERVISOR_console_io(CONSOLEIO_read, 0, NULL), 0);
    upcall_init();
    return bv.port;
}

/* Drain the input; echo complete lines. Returns false on `quit`. */
static bool drain(char *line, unsigned *len, unsigned *echoed)
{
    char buf[64];
    long n;

    while ((n = HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), buf)) > 0) {
        for (long i = 0; i < n; i++) {
            if (buf[i] != '\r' && buf[i] != '\n') {
                if (*len < LINE_MAX) {
                    line[(*len)++] = buf[i];
                }
                continue;
            }
            if (!*len) {
                continue;
            }
            line[*len] = '\0';
            *len = 0;
            if (!strcmp(line, "quit")) {
                return false;
            }
            dom_printf("ECHO %s\n", line);
            (*echoed)++;
        }
    }
    if (n < 0) {
        test_fail("console-read", "CONSOLEIO_read returned %ld", n);
    }
    return true;
}

int mode_console_echo(void)
{
    uint64_t ms = dom_arg_u64("ms", 60000);
    bool reads = dom_arg_u64("read", 1) != 0;
    uint64_t until = dom_now_ns() + ms * 1000000ull, next_tick = 0;
    uint32_t port = setup();
    char line[LINE_MAX + 1];
    unsigned len = 0, echoed = 0, virqs = 0, ticks = 0;

    if (!port) {
        test_done();
        return 0;
    }
    dom_printf("ECHO READY port=%u%s\n", port, reads ? "" : " (never reads)");
    while (dom_now_ns() < until) {
        if (take_pending(port)) {
            virqs++;
            if (reads && !drain(line, &len, &echoed)) {
                break;
            }
        }
        if (!reads && dom_now_ns() >= next_tick) {
            dom_printf("TICK %u\n", ++ticks);
            next_tick = dom_now_ns() + 100000000ull;
        }
        wait_event_ms(POLL_MS);
    }
    dom_printf("INFO console-echo: %u lines echoed, %u VIRQ_CONSOLE seen\n", echoed, virqs);
    test_check(reads ? echoed > 0 : virqs > 0, "console-echo", "%u lines, %u VIRQs", echoed, virqs);
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The stub domain program: one guest's device models, served through Xen's ioreq ABI
 * (docs/stub-domains.md). Bootargs: `target=<domid> uart=<model>@<base>,irq=<n>`
 * (model pl011 or ns16550). It runs on the domain runtime's event loop (dom/program.h):
 *
 *   init()          creates an ioreq server for the target, maps its ioreq page
 *                   (XENMEM_acquire_resource), claims the UART's MMIO range, binds
 *                   each target vCPU's vp_eport and enables the server (which lets the
 *                   hypervisor start the target's vCPUs);
 *   notified(port)  completes that vCPU's access with the model, replies, then moves the
 *                   UART's interrupt line (XEN_DMOP_set_irq_level) if it changed.
 *
 * The guest's output goes out in whole lines (cons.c): to dom0-lite's console service
 * over the stub's console ring when dom0-lite set one up, else to the board console
 * (CONSOLEIO_write; the hypervisor labels a stub's output with its target's `(d<id>)`),
 * never lost. Our own diagnostics start with "stub: " and go to the board console.
 */
#include <string.h>

#include "../uart/ns16550.h"
#include "../uart/pl011.h"
#include "../uart/uart.h"
#include "cons.h"
#include "dom/dom.h"
#include "dom/event.h"
#include "dom/hypercall.h"
#include "dom/page.h"
#include "dom/program.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/vcpu.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>
#include <xen/sched.h>

/* hvm_op.h defines it for tools builds only (__XEN_TOOLS__); the value is the ABI's. */
#ifndef HVM_IOREQSRV_BUFIOREQ_OFF
#define HVM_IOREQSRV_BUFIOREQ_OFF 0
#endif

#define STUB_MAX_VCPUS 8 /* the hypervisor's vCPU limit per domain */
#define STUB_RAM_MAX                                                                               \
    (3ull << 30) /* the guest RAM bank's largest size (docs/domains.md) */ /* the hypervisor       \
                                                                              splits console lines \
                                                                              here anyway */

struct vcpu_slot {
    uint32_t port; /* our end of the vCPU's ioreq channel; 0: no such vCPU */
};

static struct {
    domid_t target;
    const struct uart_model *model;
    uint64_t base;
    uint32_t irq;
    ioservid_t id;
    volatile struct ioreq *page; /* shared_iopage_t: one slot per target vCPU */
    struct vcpu_slot vcpu[STUB_MAX_VCPUS];
    bool irq_level;
    union {
        struct pl011 pl011;
        struct ns16550 ns16550;
    } dev;
    uint64_t ioreqs, bad_ioreqs;
} stub;

/* ---- the guest's console output (cons.c) ---- */

static void uart_tx(void *ctx, uint8_t b)
{
    (void)ctx;
    cons_putc((char)b);
}

/* ---- console input: VIRQ_CONSOLE and CONSOLEIO_read, into the model's receiver ---- */

#define INPUT_MAX 256

static struct {
    uint32_t port; /* VIRQ_CONSOLE's, 0: not bound (no input) */
    uint8_t buf[INPUT_MAX];
    unsigned pos, len; /* bytes read from the hypervisor, not yet in the receiver */
} in;

static void input_bind(void)
{
    struct evtchn_bind_virq v = {.virq = VIRQ_CONSOLE, .vcpu = 0};

    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &v) == 0) {
        in.port = v.port;
    }
}

/*
 * Move what we hold, then what the hypervisor holds, into the receiver until it refuses
 * (FIFO full, receiver off): nothing is dropped here, the rest waits for the guest to read.
 * The hypervisor can hold bytes we have not read only while we hold some, so the ioreq
 * path calls this only then. A batch ends with the receive-timeout condition.
 */
static void input_feed(void)
{
    bool fed = false;

    for (;;) {
        long n;

        while (in.pos < in.len && stub.model->rx(&stub.dev, in.buf[in.pos])) {
            in.pos++;
            fed = true;
        }
        if (in.pos < in.len) {
            break;
        }
        /* Typed through dom0-lite's console service first, then the board's focus. */
        n = (long)cons_read(in.buf, INPUT_MAX);
        if (!n && in.port) {
            n = HYPERVISOR_console_io(CONSOLEIO_read, INPUT_MAX, (char *)in.buf);
        }
        in.pos = 0;
        in.len = n > 0 ? (unsigned)n : 0;
        if (n <= 0) {
            break;
        }
    }
    if (fed) {
        stub.model->rx_idle(&stub.dev);
    }
}

/* ---- hypercall wrappers ---- */

static int dm_op(struct xen_dm_op *op)
{
    struct xen_dm_op_buf buf = {.size = sizeof(*op)};

    set_xen_guest_handle(buf.h, op);
    return (int)HYPERVISOR_dm_op(stub.target, 1, &buf);
}

static int create_server(void)
{
    struct xen_dm_op op = {.op = XEN_DMOP_create_ioreq_server};
    int rc;

    op.u.create_ioreq_server.handle_bufioreq = HVM_IOREQSRV_BUFIOREQ_OFF;
    rc = dm_op(&op);
    stub.id = op.u.create_ioreq_server.id;
    return rc;
}

static int map_ioreq_page(void)
{
    /* At the start of the foreign window, past the largest guest RAM bank (3 GiB): the
     * hypervisor maps another domain's page only outside a stub's RAM (docs/ioreq.md). */
    xen_pfn_t gfn = (dom_info.ram_base + STUB_RAM_MAX) / DOM_PAGE_SIZE;
    struct xen_mem_acquire_resource r = {
        .domid = stub.target,
        .type = XENMEM_resource_ioreq_server,
        .id = stub.id,
        .nr_frames = 1,
        .frame = XENMEM_resource_ioreq_server_frame_ioreq(0),
    };
    int rc;

    set_xen_guest_handle(r.frame_list, &gfn);
    rc = (int)HYPERVISOR_memory_op(XENMEM_acquire_resource, &r);
    if (!rc) {
        stub.page = (volatile struct ioreq *)(uintptr_t)(gfn * DOM_PAGE_SIZE);
    }
    return rc;
}

static int map_range(void)
{
    struct xen_dm_op op = {.op = XEN_DMOP_map_io_range_to_ioreq_server};

    op.u.map_io_range_to_ioreq_server.id = stub.id;
    op.u.map_io_range_to_ioreq_server.type = XEN_DMOP_IO_RANGE_MEMORY;
    op.u.map_io_range_to_ioreq_server.start = stub.base;
    op.u.map_io_range_to_ioreq_server.end = stub.base + stub.model->size - 1;
    return dm_op(&op);
}

static int set_state(bool enabled)
{
    struct xen_dm_op op = {.op = XEN_DMOP_set_ioreq_server_state};

    op.u.set_ioreq_server_state.id = stub.id;
    op.u.set_ioreq_server_state.enabled = enabled;
    return dm_op(&op);
}

static void set_irq_level(bool level);

/* Move the interrupt line to the model's level if it changed. */
static void update_irq(void)
{
    if (stub.model->irq(&stub.dev) != stub.irq_level) {
        set_irq_level(!stub.irq_level);
    }
}

static void set_irq_level(bool level)
{
    struct xen_dm_op op = {.op = XEN_DMOP_set_irq_level};
    int rc;

    op.u.set_irq_level.irq = stub.irq;
    op.u.set_irq_level.level = level;
    rc = dm_op(&op);
    if (rc) {
        dom_printf("stub: set_irq_level(%u, %d) failed: %d\n", stub.irq, level, rc);
        return;
    }
    stub.irq_level = level;
}

/* Bind every target vCPU's channel: the hypervisor wrote vp_eport into each slot. */
static int bind_vcpus(unsigned *nr)
{
    *nr = 0;
    for (unsigned i = 0; i < STUB_MAX_VCPUS; i++) {
        uint32_t remote = stub.page[i].vp_eport;
        int rc;

        if (!remote) {
            continue;
        }
        rc = dom_evtchn_bind_interdomain(stub.target, remote, &stub.vcpu[i].port);
        if (rc) {
            dom_printf("stub: bind vCPU %u's port %u failed: %d\n", i, remote, rc);
            return rc;
        }
        (*nr)++;
    }
    return *nr ? 0 : -XEN_ENOENT;
}

/* ---- bootargs ---- */

/* uart=<model>@<base>,irq=<n> */
static bool parse_uart(const char *s)
{
    static const struct uart_model *const models[] = {&uart_pl011_model, &uart_ns16550_model};
    const char *at = strchr(s, '@');
    const char *comma = at ? strchr(at, ',') : NULL;
    char num[24];
    uint64_t irq;

    if (!at || !comma || (size_t)(comma - at - 1) >= sizeof(num) || strncmp(comma, ",irq=", 5)) {
        return false;
    }
    stub.model = NULL;
    for (unsigned i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        if (strlen(models[i]->name) == (size_t)(at - s) && !strncmp(s, models[i]->name, at - s)) {
            stub.model = models[i];
        }
    }
    memcpy(num, at + 1, (size_t)(comma - at - 1));
    num[comma - at - 1] = '\0';
    if (!stub.model || !dom_parse_u64(num, &stub.base) || !dom_parse_u64(comma + 5, &irq) ||
        irq > 1023 || (stub.base & 0xfff)) {
        return false;
    }
    stub.irq = (uint32_t)irq;
    return true;
}

static bool parse_args(void)
{
    char uart[64];
    uint64_t target = dom_arg_u64("target", 0);

    if (!target || target >= DOMID_FIRST_RESERVED) {
        dom_printf("stub: bootargs need target=<domid> (got \"%s\")\n", dom_info.bootargs);
        return false;
    }
    stub.target = (domid_t)target;
    if (!dom_arg("uart", uart, sizeof(uart)) || !parse_uart(uart)) {
        dom_printf("stub: bootargs need uart=pl011|ns16550@<base>,irq=<n> (got \"%s\")\n",
                   dom_info.bootargs);
        return false;
    }
    return true;
}

/* ---- self-test of the event loop (bootarg selftest=1, tests/system/test_stub.py) ---- */

#define SELFTEST_SENDS 1000
#define SELFTEST_TICKS 5

static struct {
    bool on;
    uint32_t a, b, timer; /* the loopback channel's two ends; VIRQ_TIMER's port */
    unsigned sends, ticks;
    uint64_t t0, t_sends;
} self;

static void selftest_tick(void)
{
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = dom_now_ns() + 1000000ull};

    HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

static void selftest_init(void)
{
    struct evtchn_bind_virq v = {.virq = VIRQ_TIMER, .vcpu = 0};
    int rc = dom_evtchn_alloc_unbound(DOMID_SELF, &self.a);

    if (!rc) {
        rc = dom_evtchn_bind_interdomain(DOMID_SELF, self.a, &self.b);
    }
    if (!rc) {
        rc = (int)HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &v);
        self.timer = v.port;
    }
    if (rc) {
        dom_printf("stub: selftest: channel set-up failed: %d\n", rc);
        dom_program_exit(1);
        return;
    }
    self.on = true;
    self.t0 = dom_now_ns();
    dom_printf("stub: selftest: loop ready at %lu us since power-on (entered at %lu us)\n",
               (unsigned long)(self.t0 / 1000), (unsigned long)(dom_program_start_ns / 1000));
    dom_evtchn_notify(self.b);
}

/* Each loopback event sends the next; then the timer ticks, the loop blocking between. */
static void selftest_notified(uint32_t port)
{
    if (port == self.a && self.sends < SELFTEST_SENDS) {
        if (++self.sends < SELFTEST_SENDS) {
            dom_evtchn_notify(self.b);
        } else {
            self.t_sends = dom_now_ns() - self.t0;
            selftest_tick();
        }
    } else if (port == self.timer && self.sends == SELFTEST_SENDS) {
        if (++self.ticks < SELFTEST_TICKS) {
            selftest_tick();
            return;
        }
        dom_printf("stub: selftest passed: %u loopback events in %lu us, %u timer events "
                   "(blocking between) in %lu us\n",
                   self.sends, (unsigned long)(self.t_sends / 1000), self.ticks,
                   (unsigned long)((dom_now_ns() - self.t0 - self.t_sends) / 1000));
        dom_program_exit(0);
    } else if (port != self.b) {
        dom_printf("stub: selftest: unexpected event on port %u\n", port);
        dom_program_exit(1);
    }
}

/* ---- entry points ---- */

static void fail(const char *what, int rc)
{
    dom_printf("stub: d%u: %s failed: %d\n", stub.target, what, rc);
    dom_program_exit(1);
}

void init(void)
{
    struct uart_sink sink = {.tx = uart_tx};
    uint64_t t0 = dom_now_ns();
    unsigned nr = 0;
    int rc;

    if (dom_arg_is("selftest", "1")) {
        selftest_init();
        return;
    }
    if (!parse_args()) {
        dom_program_exit(1);
        return;
    }
    stub.model->reset(&stub.dev, &sink);
    if ((rc = create_server())) {
        return fail("create_ioreq_server", rc);
    }
    if ((rc = map_ioreq_page())) {
        return fail("acquire_resource(ioreq page)", rc);
    }
    if ((rc = map_range())) {
        return fail("map_io_range", rc);
    }
    if ((rc = bind_vcpus(&nr))) {
        return fail("binding the vCPUs' ports", rc);
    }
    input_bind();
    cons_init();
    if ((rc = set_state(true))) {
        return fail("set_ioreq_server_state", rc);
    }
    dom_printf("stub: d%u: %s at 0x%lx irq %u, %u vCPU(s), server %u, ready in %lu us, "
               "at %lu us since power-on (entered at %lu us)\n",
               stub.target, stub.model->name, (unsigned long)stub.base, stub.irq, nr, stub.id,
               (unsigned long)((dom_now_ns() - t0) / 1000), (unsigned long)(dom_now_ns() / 1000),
               (unsigned long)(dom_program_start_ns / 1000));
}

/* Complete one access with the model. The slot is ours while its state is READY. */
static void handle(volatile struct ioreq *r)
{
    uint64_t addr = r->addr, data = r->data;
    uint32_t size = r->size;
    bool read = r->dir == IOREQ_READ;

    stub.ioreqs++;
    if (r->type != IOREQ_TYPE_COPY || r->count != 1 || r->data_is_ptr || addr < stub.base ||
        addr - stub.base >= stub.model->size) {
        /* Nothing a guest's load or store produces: answer reads with 0, drop writes. */
        stub.bad_ioreqs++;
        data = 0;
    } else if (read) {
        data = stub.model->read(&stub.dev, addr - stub.base, size);
    } else {
        stub.model->write(&stub.dev, addr - stub.base, size, data);
    }
    if (read) {
        r->data = data;
    }
}

void notified(uint32_t port)
{
    if (self.on) {
        selftest_notified(port);
        return;
    }
    if ((port == in.port && port) || cons_notified(port)) {
        input_feed();
        update_irq();
        return;
    }
    for (unsigned i = 0; i < STUB_MAX_VCPUS; i++) {
        volatile struct ioreq *r;

        if (stub.vcpu[i].port != port || !port) {
            continue;
        }
        r = &stub.page[i];
        /* READY is published after the request (the hypervisor's write barrier): read
         * the state, then the fields. */
        if (r->state != STATE_IOREQ_READY) {
            return; /* a stale or spurious notification */
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        handle(r);
        if (in.pos < in.len) {
            input_feed(); /* the guest may have made room (read, receiver on) */
        }
        /* The line moves before the access completes, as on hardware: a guest that reads
         * a status register after acknowledging an interrupt, or waits for one after a
         * write, sees the new level (and the EOI of an acknowledged interrupt finds the
         * line low, so it is not pended again). */
        update_irq();
        __atomic_thread_fence(__ATOMIC_RELEASE);
        r->state = STATE_IORESP_READY;
        dom_evtchn_notify(port);
        return;
    }
}

void fault(const struct dom_fault *f)
{
    dom_printf("stub: d%u: fault cause=0x%lx pc=0x%lx addr=0x%lx after %lu ioreqs\n", stub.target,
               (unsigned long)f->cause, (unsigned long)f->pc, (unsigned long)f->addr,
               (unsigned long)stub.ioreqs);
}

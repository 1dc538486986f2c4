/* SPDX-License-Identifier: MIT */
/*
 * The stub's console sink (cons.h). The ring is the stub's own console page, which the
 * hypervisor gives every domain when the board has a control domain (docs/xenstored.md,
 * "Domains' rings"): HVM_PARAM_CONSOLE_PFN/EVTCHN read 0 until dom0-lite's console
 * service has bound the port, so a stub it did not set up (a boot-time one that looked
 * first, or any stub on a board without dom0-lite) writes to the board console as before.
 *
 * Nothing is lost when dom0-lite dies or stalls: while output waits in the ring, a
 * timer looks every CHECK_NS; a port gone back to unbound (dom0-lite ended: the
 * hypervisor closes a dead domain's ports) or output untaken for STALL_NS (a service
 * alive but stuck; it may be busy building a guest for a second or two) makes the stub
 * replay what the service has not consumed to the board console and stay there.
 *
 * A boot-time stub starts before dom0-lite can attach it. When the board has a control
 * domain (the hypervisor gave us a xenstore port: HVM_PARAM_STORE_EVTCHN) the stub
 * holds the guest's output (up to HOLD_MAX bytes, at most HOLD_NS) and looks for the
 * ring every CHECK_NS: once the service has bound it, what was held goes into the ring
 * first, so the service's history has the guest's output from its first byte. A full
 * hold buffer or no service by then sends what was held to the board console, in order.
 */
#include <string.h>

#include "cons.h"
#include "dom/dom.h"
#include "dom/event.h"
#include "dom/hypercall.h"

#include <xen/event_channel.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>

#define CHECK_NS         (100 * 1000000ull)
#define STALL_NS         (5000 * 1000000ull)
#define IDLE_NS          (20 * 1000000ull)
#define LINE_MAX         255 /* the hypervisor splits console lines there anyway */
#define SERVICE_LINE_MAX 240 /* dom0-lite's console service splits longer lines */
#define HOLD_NS          (3000 * 1000000ull)
#define HOLD_MAX         4096

static struct {
    volatile struct xencons_interface *ring; /* NULL: the board console */
    uint32_t port, timer;
    XENCONS_RING_IDX seen_cons; /* out_cons when output last moved */
    uint64_t seen_at;           /* ... and when */
    uint64_t armed_for;         /* the singleshot deadline set, 0: none */
    char line[LINE_MAX];
    unsigned len;
    uint64_t last_tx;  /* when the guest last wrote a byte */
    bool holding;      /* waiting for the service to attach a boot-time stub */
    uint64_t hold_end; /* ... until then */
    unsigned hold_len;
    char hold[HOLD_MAX];
} c;

static void cons_write(const char *s, size_t len);
static void arm_by(uint64_t deadline);

static void board_write(const char *s, size_t len)
{
    size_t off = 0;

    while (off < len) {
        long rc = HYPERVISOR_console_io(CONSOLEIO_write, (int)(len - off), s + off);

        if (rc == 0 || rc >= (long)(len - off)) {
            break; /* Xen's CONSOLEIO_write returns 0 once it took everything */
        }
        if (rc > 0) {
            off += (size_t)rc;
        } else {
            /* Refused (busy, rate-limited): give the CPU away and retry. The guest's vCPU
             * waits for our reply meanwhile, so it cannot outrun the console. */
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        }
    }
}

static uint64_t get_param(uint32_t index)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};

    return HYPERVISOR_hvm_op(HVMOP_get_param, &p) ? 0 : p.value;
}

/* The ring, if the console service has bound our console port. */
static bool find_ring(void)
{
    uint64_t pfn = get_param(HVM_PARAM_CONSOLE_PFN);
    uint64_t port = get_param(HVM_PARAM_CONSOLE_EVTCHN);

    if (!pfn || !port || port > UINT32_MAX || !c.timer) {
        return false;
    }
    c.port = (uint32_t)port;
    c.ring = (volatile struct xencons_interface *)(uintptr_t)(pfn * DOM_PAGE_SIZE);
    c.seen_cons = c.ring->out_cons;
    c.seen_at = dom_now_ns();
    return true;
}

void cons_init(void)
{
    struct evtchn_bind_virq v = {.virq = VIRQ_TIMER, .vcpu = 0};

    /* The timer (VIRQ_TIMER, single-shot): a partial line's idle flush, and the ring's
     * check while output waits there. Without it partial lines wait for their end. */
    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &v) == 0) {
        c.timer = v.port;
    }
    if (!find_ring() && c.timer && get_param(HVM_PARAM_STORE_EVTCHN)) {
        c.holding = true; /* a control domain is there: it may attach us soon */
        c.hold_end = dom_now_ns() + HOLD_NS;
        arm_by(dom_now_ns() + CHECK_NS);
    }
}

/* Stop holding: what was held goes to the ring if there is one now, else the board. */
static void release_hold(void)
{
    c.holding = false;
    if (!c.ring) {
        dom_printf("stub: no console service attached in %u ms; the guest's output goes to the "
                   "board console (%u bytes held)\n",
                   (unsigned)(HOLD_NS / 1000000), c.hold_len);
    }
    cons_write(c.hold, c.hold_len);
    c.hold_len = 0;
}

bool cons_on_ring(void)
{
    return c.ring != NULL;
}

/* The service is gone or stuck: replay what it has not taken, then use the board. */
static void fall_back(const char *why)
{
    volatile struct xencons_interface *r = c.ring;
    XENCONS_RING_IDX cons = r->out_cons, prod = r->out_prod;
    char buf[256];
    size_t n = 0;

    c.ring = NULL;
    if ((XENCONS_RING_IDX)(prod - cons) > sizeof(r->out)) {
        cons = prod - sizeof(r->out); /* a corrupt index: what the ring can hold */
    }
    /* The service prints whole lines: the bytes of a line it took but had not ended yet
     * died with it. Replay from that line's start (still in the ring unless written
     * over; a line the service split at its own limit is not looked back past). */
    for (XENCONS_RING_IDX at = cons, floor = prod - sizeof(r->out);
         at != floor && (XENCONS_RING_IDX)(cons - at) < SERVICE_LINE_MAX; at--) {
        if (r->out[MASK_XENCONS_IDX(at - 1, r->out)] == '\n') {
            cons = at;
            break;
        }
    }
    dom_printf("stub: the console service %s; the guest's output goes to the board console "
               "from here (%u bytes replayed)\n",
               why, (unsigned)(prod - cons));
    for (; cons != prod; cons++) {
        buf[n++] = r->out[MASK_XENCONS_IDX(cons, r->out)];
        if (n == sizeof(buf) || buf[n - 1] == '\n') {
            board_write(buf, n);
            n = 0;
        }
    }
    if (n) {
        board_write(buf, n);
    }
}

static bool port_unbound(void)
{
    struct evtchn_status st = {.dom = DOMID_SELF, .port = c.port};

    return HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) || st.status != EVTCHNSTAT_interdomain;
}

/* Has the service taken nothing for STALL_NS while output waits? Notes progress. */
static bool stalled(void)
{
    volatile struct xencons_interface *r = c.ring;
    XENCONS_RING_IDX cons = r->out_cons;
    uint64_t now = dom_now_ns();

    if (cons != c.seen_cons || cons == r->out_prod) {
        c.seen_cons = cons;
        c.seen_at = now;
        return false;
    }
    return now - c.seen_at >= STALL_NS;
}

/* Have the timer fire by @deadline (an earlier one set stays). */
static void arm_by(uint64_t deadline)
{
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = deadline};

    if (!c.timer || (c.armed_for && c.armed_for <= deadline)) {
        return;
    }
    if (HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t) == 0) {
        c.armed_for = deadline;
    }
}

static void arm(void)
{
    arm_by(dom_now_ns() + CHECK_NS);
}

void cons_putc(char ch)
{
    c.line[c.len++] = ch;
    c.last_tx = dom_now_ns();
    if (ch == '\n' || c.len == LINE_MAX) {
        cons_write(c.line, c.len);
        c.len = 0;
    } else {
        arm_by(c.last_tx + IDLE_NS);
    }
}

static void cons_write(const char *s, size_t len)
{
    if (c.holding && c.hold_len + len <= HOLD_MAX) {
        memcpy(c.hold + c.hold_len, s, len);
        c.hold_len += (unsigned)len;
        return;
    }
    if (c.holding) {
        release_hold(); /* full: in order, what was held first */
    }
    while (c.ring && len) {
        volatile struct xencons_interface *r = c.ring;
        XENCONS_RING_IDX prod = r->out_prod;
        size_t room = sizeof(r->out) - (XENCONS_RING_IDX)(prod - r->out_cons);
        size_t n = len < room ? len : room;

        if (room > sizeof(r->out)) {
            fall_back("corrupted the ring's indexes");
            break;
        }
        if (prod == r->out_cons) {
            /* Into an empty ring: the service's time to take it starts now. */
            c.seen_cons = prod;
            c.seen_at = dom_now_ns();
        }
        for (size_t i = 0; i < n; i++) {
            r->out[MASK_XENCONS_IDX(prod + i, r->out)] = s[i];
        }
        if (n) {
            __atomic_thread_fence(__ATOMIC_RELEASE); /* the bytes before the index */
            r->out_prod = prod + (XENCONS_RING_IDX)n;
            dom_evtchn_notify(c.port);
            s += n;
            len -= n;
            arm();
            continue;
        }
        /* Full: wait for the service, but not for ever. */
        if (port_unbound()) {
            fall_back("closed its end");
        } else if (stalled()) {
            fall_back("stopped taking output");
        } else {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        }
    }
    if (len) {
        board_write(s, len);
    }
}

bool cons_notified(uint32_t port)
{
    if (!port || (port != c.port && port != c.timer)) {
        return false;
    }
    if (port == c.timer) {
        c.armed_for = 0;
        if (c.holding && (find_ring() || dom_now_ns() >= c.hold_end)) {
            release_hold();
        } else if (c.holding) {
            arm_by(dom_now_ns() + CHECK_NS);
        }
        /* A partial line the guest has not added to for IDLE_NS goes out now. */
        if (c.len && dom_now_ns() - c.last_tx >= IDLE_NS) {
            cons_write(c.line, c.len);
            c.len = 0;
        } else if (c.len) {
            arm_by(c.last_tx + IDLE_NS);
        }
    }
    if (c.ring && c.ring->out_cons != c.ring->out_prod) {
        if (port_unbound()) {
            fall_back("closed its end");
        } else if (stalled()) {
            fall_back("stopped taking output");
        } else {
            arm();
        }
    }
    return true;
}

size_t cons_read(uint8_t *buf, size_t max)
{
    volatile struct xencons_interface *r = c.ring;
    XENCONS_RING_IDX cons, prod;
    size_t n = 0;

    if (!r) {
        return 0;
    }
    cons = r->in_cons;
    prod = r->in_prod;
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the index before the bytes */
    if ((XENCONS_RING_IDX)(prod - cons) > sizeof(r->in)) {
        r->in_cons = prod; /* a corrupt index: drop what it claims */
        return 0;
    }
    while (cons != prod && n < max) {
        buf[n++] = (uint8_t)r->in[MASK_XENCONS_IDX(cons, r->in)];
        cons++;
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->in_cons = cons;
    if (n) {
        dom_evtchn_notify(c.port);
    }
    return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * console_io (Xen: `long do_console_io(unsigned int cmd, unsigned int count, buffer)`):
 * - CONSOLEIO_write into the domain's console (console/guest_console.c). Any count is
 *   accepted, as in Xen; a write is done in pieces of at most CON_BUDGET bytes, each
 *   piece a continuation, so a long write does not hold the CPU.
 * - CONSOLEIO_read: the board console's input that was delivered to this domain while
 *   a guest it serves had the focus (console/console_input.c). Returns the bytes read,
 *   at most what is queued (up to GUEST_CONSOLE_INPUT), 0 when none.
 *
 * It is also the upper half of console input: the focus list (guests in id order; stub
 * domains are not in it, their target is), the delivery (the domain's input ring, then
 * VIRQ_CONSOLE, as Xen signals console input) and the hypervisor's keys. docs/console.md.
 */
#include <stdint.h>

#include <xen/xen.h>

#include <bulkhead/console.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/printk.h>

/* CONSOLEIO_* numbers Xen leaves free: ours, control domain only. */
#define CONSOLEIO_BH_FOCUS       0x4248
#define CONSOLEIO_BH_RAW         0x4249
#define CONSOLEIO_BH_FOCUS_QUERY 0xffffffffu /* as the domain id: read the focus */
#define CON_CHUNK                128
#define CON_BUDGET               4096 /* bytes per invocation before a continuation */

/* CONSOLEIO_BH_RAW: the control domain's shell is the operator's terminal (as Xen's dom0
 * console): what it writes this way goes out as written, unlabelled and not held for a
 * whole line, so the `bh> ` prompt and the line editor's echo show at once
 * (docs/dom0-lite.md). Still a text stream: control characters other than newline,
 * return, backspace and tab become '?'. */
static void control_write(char *s, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\b' || c == '\t')) {
            s[i] = '?';
        }
    }
    printk_raw(s, n);
}

static int64_t write_op(struct vcpu *v, struct hypercall *hc, unsigned int count, uint64_t buf,
                        bool raw)
{
    char chunk[CON_CHUNK];
    unsigned int done = 0;

    while (done < count) {
        unsigned int n = MIN(count - done, (unsigned int)sizeof(chunk));
        int rc;

        if (done >= CON_BUDGET || (done && hypercall_preempt_check())) {
            hc->a[1] = count - done;
            hc->a[2] = buf + done;
            hypercall_continue(hc);
            return 0;
        }
        rc = copy_from_guest(v, chunk, buf + done, n);
        if (rc) {
            return rc;
        }
        if (raw) {
            control_write(chunk, n);
        } else {
            guest_console_write(&v->dom->console, chunk, n);
        }
        done += n;
    }
    /* Xen returns 0 for a complete write. */
    return 0;
}

/* Bytes are consumed only once they are in the guest's buffer: a bad pointer loses
 * nothing. The ring holds at most GUEST_CONSOLE_INPUT bytes, so this is short. */
static int64_t read_op(struct vcpu *v, unsigned int count, uint64_t buf)
{
    struct guest_console *c = &v->dom->console;
    unsigned int done = 0;

    while (done < count) {
        char chunk[CON_CHUNK];
        uint32_t at;
        size_t n = guest_console_input_peek(c, chunk, MIN(count - done, sizeof(chunk)), &at);
        int rc;

        if (!n) {
            break;
        }
        rc = copy_to_guest(v, buf + done, chunk, n);
        if (rc) {
            return done ? (int64_t)done : rc;
        }
        if (guest_console_input_consume(c, at, n)) {
            done += (unsigned int)n;
        } /* else another vCPU took them: read on from where it left the ring */
    }
    return done;
}

/* Our extension (docs/dom0-lite.md): the control domain gives the board console's input
 * to guest @domid (`bh console`); CTRL-a three times moves it on as usual. */
static bool in_focus_round(const struct domain *d);

static int64_t focus_op(struct vcpu *v, unsigned int domid)
{
    struct domain *d;
    bool ok;

    if (v->dom->role != ROLE_CONTROL) {
        return -EPERM;
    }
    if (domid == CONSOLEIO_BH_FOCUS_QUERY) {
        return console_input_focus(); /* who has the keyboard (0: the hypervisor) */
    }
    d = domid < MAX_DOMAINS ? domain_get((domid_t)domid) : NULL;
    ok = d && in_focus_round(d);
    if (d) {
        domain_put(d);
    }
    if (!ok) {
        return -ESRCH;
    }
    console_input_set_focus(domid, true);
    return 0;
}

int64_t do_console_io(struct vcpu *v, struct hypercall *hc, unsigned int cmd, unsigned int count,
                      uint64_t buf)
{
    switch (cmd) {
    case CONSOLEIO_write:
        return write_op(v, hc, count, buf, false);
    case CONSOLEIO_BH_RAW:
        return v->dom->role == ROLE_CONTROL ? write_op(v, hc, count, buf, true) : -EPERM;
    case CONSOLEIO_read:
        return read_op(v, count, buf);
    case CONSOLEIO_BH_FOCUS:
        return focus_op(v, count);
    default:
        return -ENOSYS;
    }
}

int64_t hc_console_io(struct vcpu *v, struct hypercall *hc)
{
    return do_console_io(v, hc, (unsigned int)hc->a[0], (unsigned int)hc->a[1], hc->a[2]);
}

/* ---- console input: focus list, delivery, keys ------------------------------------ */

/*
 * The domain that reads @guest's console input, with a reference: the guest itself, or
 * its stub domain, which feeds the guest's UART model. The one place that knows the
 * stub <-> target relation for input.
 */
static struct domain *input_reader(struct domain *guest)
{
    struct domain *stub = domain_get_stub(guest);

    if (stub) {
        return stub;
    }
    domain_hold(guest);
    return guest;
}

/* Stub domains are never in the round: their target is. */
static bool in_focus_round(const struct domain *d)
{
    return d->role != ROLE_STUB;
}

static void report_input_dropped(unsigned id)
{
    struct domain *d = id ? domain_get((domid_t)id) : NULL;
    struct domain *r = d ? input_reader(d) : NULL;

    if (r && r->console.in_dropped) {
        printk("console: d%u dropped %llu of %llu input bytes so far: nobody read them "
               "(VIRQ_CONSOLE, CONSOLEIO_read)\n",
               id, (unsigned long long)r->console.in_dropped,
               (unsigned long long)r->console.in_received);
    }
    if (r) {
        domain_put(r);
    }
    if (d) {
        domain_put(d);
    }
}

static unsigned next_focus(unsigned cur)
{
    report_input_dropped(cur);
    for (unsigned id = cur + 1; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_get((domid_t)id);
        bool ok = d && in_focus_round(d);

        if (d) {
            domain_put(d);
        }
        if (ok) {
            return id;
        }
    }
    return 0;
}

static int deliver(unsigned domid, const char *s, size_t n)
{
    struct domain *d = domain_get((domid_t)domid);
    struct domain *r;

    if (!d) {
        return -ESRCH;
    }
    r = input_reader(d);
    guest_console_input_put(&r->console, s, n);
    /* A global VIRQ: raised wherever the domain bound it; nothing if it did not. */
    evtchn_send_virq(r->vcpus[0], VIRQ_CONSOLE);
    domain_put(r);
    domain_put(d);
    return 0;
}

static const struct console_input_ops input_ops = {
    .next_focus = next_focus,
    .deliver = deliver,
};

static const char *const role_names[] = {"guest", "control", "stub", "driver"};
static const char *const state_names[] = {"building", "running", "dying"};
static const char *const vcpu_state_names[] = {"down", "runnable", "blocked", "dead"};

/* 'q': every domain and vCPU, as Xen's 'q' does. The states are read without the
 * scheduler's locks: a snapshot for a person, not for decisions. */
static void dump_domains(char key)
{
    unsigned focus = console_input_focus();

    (void)key;
    if (focus) {
        printk("console: domains (input focus: d%u):\n", focus);
    } else {
        printk("console: domains (input focus: the hypervisor):\n");
    }
    for (unsigned id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_get((domid_t)id);
        struct guest_console *c;

        if (!d) {
            continue;
        }
        c = &d->console;
        printk("console:   d%u \"%s\" %s %s, %llu MiB, %u vCPU%s; label (d%u); input %llu "
               "bytes, %llu dropped, %u unread; VIRQ_CONSOLE port %u\n",
               id, d->name, role_names[d->role], state_names[d->state],
               (unsigned long long)(d->ram_size >> 20), d->nr_vcpus, d->nr_vcpus == 1 ? "" : "s",
               c->domid, (unsigned long long)c->in_received, (unsigned long long)c->in_dropped,
               c->in_prod - c->in_cons, d->vcpus[0] ? d->vcpus[0]->virq_port[VIRQ_CONSOLE] : 0);
        for (unsigned i = 0; i < d->nr_vcpus; i++) {
            struct vcpu *v = d->vcpus[i];

            printk("console:     v%u %s on cpu%u\n", i, vcpu_state_names[v->state], v->pcpu);
        }
        domain_put(d);
    }
}

/* 'm': the page allocator. */
static void dump_memory(char key)
{
    uint64_t free = page_alloc_free_pages();

    (void)key;
    printk("console: memory: %llu pages free (%llu MiB)\n", (unsigned long long)free,
           (unsigned long long)(free >> (20 - PAGE_SHIFT)));
}

void console_io_init(void)
{
    console_input_register(&input_ops);
    if (console_register_key('q', "dump domains and vCPUs", dump_domains) ||
        console_register_key('m', "free memory", dump_memory)) {
        printk("console: cannot register the hypervisor's keys\n");
    }
    (void)console_input_enable();
}

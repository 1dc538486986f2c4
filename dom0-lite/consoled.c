/* SPDX-License-Identifier: MIT */
/*
 * The console service (consoled.h). Per attached domain: its ring (mapped through the
 * grant the hypervisor seeded at ref 0 for the control domain), our end of its console
 * port, the line being assembled and a small history. The ring's indexes are the
 * domain's to write as well: every value read from it is bounded before use, and a
 * domain that corrupts them loses what it claimed to have written, nothing else.
 */
#include <string.h>

#include "cmdtable.h"
#include "consoled.h"
#include "control.h"
#include "dom/dom.h"
#include "dom/event.h"
#include "dom/hypercall.h"
#include "dom/page.h"
#include "fmt.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>

#define MAX_CONS  32
#define LINE_MAX  240
#define HISTORY   2048 /* a power of two */
#define GFN_SPARE MAX_CONS

struct cons {
    bool used;
    unsigned dom, label;
    uint32_t port;
    uint64_t gfn;
    grant_handle_t handle;
    volatile struct xencons_interface *ring;
    char line[LINE_MAX];
    unsigned len, shown; /* bytes in line[]; of those, printed already (at the focus) */
    char hist[HISTORY];
    uint32_t hist_end; /* bytes ever written to hist */
};

static struct cons cons[MAX_CONS];
/* gfns whose grant mapping has gone: mapped over again rather than reserving more. */
static uint64_t spare[GFN_SPARE];
static unsigned nr_spare;

static int errf(char *err, int rc, const char *what)
{
    if (err) {
        fmt_snprintf(err, BH_ERR_MAX, "console: %s: %s (%d)", what, bh_strerror(rc), rc);
    }
    return rc;
}

static struct cons *find(unsigned dom)
{
    for (unsigned i = 0; i < MAX_CONS; i++) {
        if (cons[i].used && cons[i].dom == dom) {
            return &cons[i];
        }
    }
    return NULL;
}

static struct cons *find_label(unsigned label)
{
    for (unsigned i = 0; i < MAX_CONS; i++) {
        if (cons[i].used && cons[i].label == label) {
            return &cons[i];
        }
    }
    return NULL;
}

static int get_param(unsigned dom, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = (domid_t)dom, .index = index};
    int rc = (int)HYPERVISOR_hvm_op(HVMOP_get_param, &p);

    *value = p.value;
    return rc;
}

static int map_ring(struct cons *c)
{
    struct gnttab_map_grant_ref m = {
        .flags = GNTMAP_host_map, .ref = GNTTAB_RESERVED_CONSOLE, .dom = (domid_t)c->dom};
    long rc;

    c->gfn = nr_spare ? spare[--nr_spare] : dom_page_reserve_gfn();
    if (!c->gfn) {
        return -XEN_ENOMEM;
    }
    m.host_addr = c->gfn * DOM_PAGE_SIZE;
    rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1);
    if (rc == 0 && m.status != GNTST_okay) {
        rc = -XEN_EPERM;
    }
    if (rc) {
        spare[nr_spare++] = c->gfn;
        return (int)rc;
    }
    c->handle = m.handle;
    c->ring = (volatile struct xencons_interface *)(uintptr_t)m.host_addr;
    return 0;
}

static void unmap_ring(struct cons *c)
{
    struct gnttab_unmap_grant_ref u = {.host_addr = c->gfn * DOM_PAGE_SIZE, .handle = c->handle};

    if (HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1) == 0 && u.status == GNTST_okay &&
        nr_spare < GFN_SPARE) {
        spare[nr_spare++] = c->gfn;
    }
    c->ring = NULL;
}

int consoled_attach(unsigned dom, unsigned label, char *err)
{
    struct cons *c = NULL;
    uint64_t port;
    int rc;

    if (find(dom)) {
        return 0;
    }
    for (unsigned i = 0; i < MAX_CONS && !c; i++) {
        c = cons[i].used ? NULL : &cons[i];
    }
    if (!c) {
        return errf(err, -XEN_ENOSPC, "every console slot is taken");
    }
    memset(c, 0, sizeof(*c));
    c->dom = dom;
    c->label = label;
    rc = get_param(dom, HVM_PARAM_CONSOLE_EVTCHN, &port);
    if (rc || !port || port > UINT32_MAX) {
        return errf(err, rc ? rc : -XEN_ENOENT, "no console port (HVM_PARAM_CONSOLE_EVTCHN)");
    }
    if ((rc = map_ring(c))) {
        return errf(err, rc, "mapping grant ref 0 (the console ring)");
    }
    if ((rc = dom_evtchn_bind_interdomain((domid_t)dom, (uint32_t)port, &c->port))) {
        unmap_ring(c);
        return errf(err, rc, "binding the console port");
    }
    c->used = true;
    return 0;
}

/* Print line[shown..len), the "(d<label>) " prefix first unless part of the line was
 * shown already, the newline if @end. */
static void put(struct cons *c, bool end)
{
    char out[LINE_MAX + 16];
    int n = c->shown ? 0 : fmt_snprintf(out, sizeof(out), "(d%u) ", c->label);
    unsigned len = c->len;

    if (end && len && c->line[len - 1] == '\n') {
        len--;
    }
    memcpy(out + n, c->line + c->shown, len - c->shown);
    n += (int)(len - c->shown);
    if (end) {
        out[n++] = '\n';
    }
    dom_write(out, (size_t)n);
    if (end) {
        c->len = c->shown = 0;
    } else {
        c->shown = c->len;
    }
}

static void emit(struct cons *c)
{
    put(c, true);
}

/* ---- the tap (consoled_set_tap) ---- */

static void (*tap)(unsigned label, const char *data, size_t len);

void consoled_set_tap(void (*fn)(unsigned label, const char *data, size_t len))
{
    tap = fn;
}

/* The @n bytes drain() just took: the newest of the history (which holds a whole ring). */
static void tap_out(struct cons *c, uint32_t n)
{
    uint32_t start = (c->hist_end - n) % HISTORY;
    uint32_t first = n < HISTORY - start ? n : HISTORY - start;

    _Static_assert(HISTORY >= sizeof(((struct xencons_interface *)0)->out), "a ring's worth");
    if (tap && n) {
        tap(c->label, c->hist + start, first);
        if (n > first) {
            tap(c->label, c->hist, n - first);
        }
    }
}

/* Who has the board's keyboard (0: the hypervisor; -1: we cannot tell). */
static long focus(void)
{
    return HYPERVISOR_console_io(CONSOLEIO_BH_FOCUS, (int)CONSOLEIO_BH_FOCUS_QUERY, NULL);
}

/* Take everything the domain has written; whole lines go out at once. */
static void drain(struct cons *c)
{
    volatile struct xencons_interface *r = c->ring;
    XENCONS_RING_IDX cons_i = r->out_cons, prod = r->out_prod;
    uint32_t taken = c->hist_end; /* for the tap */

    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the index before the bytes */
    if ((XENCONS_RING_IDX)(prod - cons_i) > sizeof(r->out)) {
        cons_i = prod; /* corrupt indexes: drop what they claim */
    }
    for (; cons_i != prod; cons_i++) {
        char ch = r->out[MASK_XENCONS_IDX(cons_i, r->out)];

        c->hist[c->hist_end++ % HISTORY] = ch;
        if (ch == '\r') {
            continue;
        }
        c->line[c->len++] = ch;
        if (ch == '\n' || c->len == LINE_MAX) {
            emit(c);
        }
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    r->out_cons = cons_i;
    dom_evtchn_notify(c->port); /* room again: a stub waiting for it goes on */
    tap_out(c, c->hist_end - taken);
    /* The guest the operator types to: a partial line (its shell's prompt) shows now. */
    if (c->len > c->shown && focus() == (long)c->label) {
        put(c, false);
    }
}

void consoled_detach(unsigned dom)
{
    struct cons *c = find(dom);

    if (!c) {
        return;
    }
    drain(c);
    if (c->len) {
        emit(c);
    }
    dom_evtchn_close(c->port);
    unmap_ring(c);
    c->used = false;
}

bool consoled_notified(uint32_t port)
{
    for (unsigned i = 0; i < MAX_CONS; i++) {
        if (cons[i].used && cons[i].port == port) {
            drain(&cons[i]);
            return true;
        }
    }
    return false;
}

void consoled_focus(unsigned label)
{
    struct cons *c = find_label(label);

    if (c && c->len > c->shown) {
        put(c, false);
    }
}

long consoled_input(unsigned label, const char *buf, size_t len)
{
    struct cons *c = find_label(label);
    volatile struct xencons_interface *r;
    XENCONS_RING_IDX cons_i, prod;
    size_t n = 0;

    if (!c) {
        return -1;
    }
    r = c->ring;
    cons_i = r->in_cons;
    prod = r->in_prod;
    if ((XENCONS_RING_IDX)(prod - cons_i) > sizeof(r->in)) {
        return 0; /* corrupt indexes: the domain gets nothing until it fixes them */
    }
    while (n < len && (XENCONS_RING_IDX)(prod - cons_i) < sizeof(r->in)) {
        r->in[MASK_XENCONS_IDX(prod, r->in)] = buf[n++];
        prod++;
    }
    __atomic_thread_fence(__ATOMIC_RELEASE); /* the bytes before the index */
    r->in_prod = prod;
    if (n) {
        dom_evtchn_notify(c->port);
    }
    return (long)n;
}

long consoled_history(unsigned label, char *buf, size_t max)
{
    struct cons *c = find_label(label);
    uint32_t have, start;

    if (!c) {
        return -1;
    }
    have = c->hist_end < HISTORY ? c->hist_end : HISTORY;
    if (have > max) {
        have = (uint32_t)max;
    }
    start = c->hist_end - have;
    for (uint32_t i = 0; i < have; i++) {
        buf[i] = c->hist[(start + i) % HISTORY];
    }
    return (long)have;
}

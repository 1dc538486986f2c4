/* SPDX-License-Identifier: MIT */
/*
 * xenstored in dom0-lite: the host daemon's core (dom0-lite/xenstored, over kvmem.c)
 * serving every other domain over the xenstore ring the hypervisor gives it
 * (docs/xenstored.md, "Domains' rings" and "xenstored in dom0-lite").
 *
 * dom0-lite talks to its own store as dom0 through a local connection (requests in,
 * replies out, in process), so that introducing a domain and writing its nodes go
 * through the same code, checks and watches as any client's request. Per domain:
 *   introduce: HVMOP_get_param(STORE_EVTCHN) -> map grant ref 1 (GNTTAB_RESERVED_XENSTORE)
 *              at a gfn of ours -> bind the port -> write /local/domain/<id>/{domid,name,
 *              vm,data} and /vm/<uuid> -> INTRODUCE (the core's hook opens the ring:
 *              CONNECTED, then notify) -> @introduceDomain fires;
 *   release:   RELEASE (@releaseDomain; the hook drops the connection) -> remove its
 *              nodes -> unmap -> close the port.
 * A ring that breaks the protocol (impossible indexes, a length over 4096) is dropped:
 * its domain stays introduced but is no longer read; every other domain is unaffected.
 */
#include <string.h>

#include "cmdtable.h"
#include "control.h"
#include "dom/dom.h"
#include "dom/event.h"
#include "dom/hypercall.h"
#include "dom/page.h"
#include "fmt.h"
#include "transport_ring.h"
#include "timers.h"
#include "xsdom.h"

#include <stdlib.h>
#include <xen/domctl.h>
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/sysctl.h>
#include <xen/vcpu.h>

#define XSDOM_MAX        BH_MAX_DOMS
#define XSDOM_LS_LINES   2000
#define XSDOM_LS_VALUE   120 /* characters of a value xenstore-ls shows */
#define XSDOM_SELF_NAMES "dom0-lite"
#define XSDOM_RESEND_NS  500000000ull /* the "connected" event again, until a request */

/* One domain dom0-lite knows about. */
struct xsdom_guest {
    bool used;
    bool served;     /* introduced, ring mapped and bound */
    bool introduced; /* the core knows it (INTRODUCE succeeded) */
    bool active;     /* it has sent a request: no more "connected" events needed */
    unsigned domid;
    uint32_t remote_port, local_port;
    uint64_t gfn; /* where its page is mapped in our space */
    grant_handle_t handle;
    struct xenstore_domain_interface *intf;
    struct ring_conn *rc; /* NULL once dropped for a protocol error */
    char uuid[40];
};

static struct {
    bool up;
    bool have_timer;
    bool shutdown_seen; /* a served domain is shut down: sync on ticks until it goes */
    struct store *store;
    struct xs_core core;
    struct xs_conn *local; /* dom0-lite's own connection, as dom0 */
    uint32_t next_req;
    struct xsdom_guest guests[XSDOM_MAX];
    uint64_t spare_gfns[XSDOM_MAX]; /* unmapped windows, to map the next page over */
    unsigned nspare;
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    uint32_t reply_len;
    uint8_t msg[XS_MSG_MAX];
    struct xen_domctl_getdomaininfo info[BH_MAX_DOMS];
    struct xs_node ls_node, ls_parent;
    char ls_path[XENSTORE_ABS_PATH_MAX + 1];
} xs;

static long grant_op(unsigned cmd, void *op)
{
    return dom_hypercall(__HYPERVISOR_grant_table_op, cmd, (unsigned long)op, 1, 0, 0);
}

/* ---- dom0-lite's own connection ---- */

static void local_kick(struct xs_conn *conn)
{
    (void)conn; /* replies are taken synchronously by local_req() */
}

static const struct xs_conn_ops local_ops = {.kick = local_kick};

/*
 * One request as dom0: the payload is @a (alen bytes) then @b. Returns 0 with the reply's
 * payload in xs.reply (NUL-terminated), or -1 with Xen's error name ("ENOENT") there.
 */
static int local_req(uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
    struct xsd_sockmsg hdr = {
        .type = type, .req_id = ++xs.next_req, .len = (uint32_t)(alen + blen)};
    const uint8_t *out;
    size_t n, off = 0;
    int err, rc = -1;

    memcpy(xs.reply, "E2BIG", 6);
    if (alen + blen > XENSTORE_PAYLOAD_MAX) {
        return -1;
    }
    memcpy(xs.msg, &hdr, sizeof(hdr));
    memcpy(xs.msg + sizeof(hdr), a, alen);
    if (blen) {
        memcpy(xs.msg + sizeof(hdr) + alen, b, blen);
    }
    core_conn_input(xs.local, xs.msg, sizeof(hdr) + hdr.len, &err);
    memcpy(xs.reply, "EIO", 4);
    n = core_conn_output(xs.local, &out);
    /* Our connection has no watches: the reply is the one message queued. */
    while (n - off >= sizeof(hdr)) {
        struct xsd_sockmsg r;
        memcpy(&r, out + off, sizeof(r));
        if (n - off - sizeof(r) < r.len) {
            break;
        }
        if (r.req_id == hdr.req_id) {
            memcpy(xs.reply, out + off + sizeof(r), r.len);
            xs.reply[r.len] = '\0';
            xs.reply_len = r.len;
            rc = r.type == XS_ERROR ? -1 : 0;
        }
        off += sizeof(r) + r.len;
    }
    core_conn_consumed(xs.local, n);
    return rc;
}

static int local_str(uint32_t type, const char *s)
{
    return local_req(type, s, strlen(s) + 1, NULL, 0);
}

static int local_write(const char *path, const char *value)
{
    return local_req(XS_WRITE, path, strlen(path) + 1, value, strlen(value));
}

/* SET_PERMS @path to "<perm0>" and optionally "<perm1>" (xenstore's "n0", "r3"...). */
static int local_perms(const char *path, const char *p0, const char *p1)
{
    char buf[64];
    size_t n = (size_t)fmt_snprintf(buf, sizeof(buf), "%s", p0) + 1;

    if (p1) {
        n += (size_t)fmt_snprintf(buf + n, sizeof(buf) - n, "%s", p1) + 1;
    }
    return local_req(XS_SET_PERMS, path, strlen(path) + 1, buf, n);
}

/* ---- domains ---- */

static void ring_notify(void *ctx)
{
    struct xsdom_guest *g = ctx;

    dom_evtchn_notify(g->local_port);
}

static const struct ring_evtchn_ops ring_ops = {.notify = ring_notify};

static struct xsdom_guest *guest_of(unsigned domid)
{
    for (unsigned i = 0; i < XSDOM_MAX; i++) {
        if (xs.guests[i].used && xs.guests[i].domid == domid) {
            return &xs.guests[i];
        }
    }
    return NULL;
}

/* The core's INTRODUCE hook: open the ring prepared by introduce(). */
static int hook_introduce(void *ctx, struct xs_domain *dom)
{
    struct xsdom_guest *g = guest_of(dom->domid);

    (void)ctx;
    if (!g || !g->intf) {
        return -EINVAL; /* INTRODUCE from anyone but dom0-lite's own sync */
    }
    return ring_conn_new(&g->rc, &xs.core, g->domid, g->intf, &ring_ops, g);
}

static void hook_release(void *ctx, struct xs_domain *dom)
{
    struct xsdom_guest *g = guest_of(dom->domid);

    (void)ctx;
    if (g && g->rc) {
        ring_conn_free(g->rc);
        g->rc = NULL;
    }
}

static int get_param(unsigned domid, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = (domid_t)domid, .index = index};
    long rc = dom_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (unsigned long)&p, 0, 0, 0);

    *value = p.value;
    return (int)rc;
}

static void uuid_of(const xen_domain_handle_t h, unsigned domid, char *out, size_t size)
{
    uint8_t b[16];
    bool zero = true;

    memcpy(b, h, 16);
    for (unsigned i = 0; i < 16; i++) {
        zero = zero && b[i] == 0;
    }
    if (zero) { /* no handle set: one that is unique among live domains */
        memset(b, 0, 16);
        b[14] = (uint8_t)(domid >> 8);
        b[15] = (uint8_t)domid;
    }
    fmt_snprintf(out, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

/* The nodes Xen's toolstack writes for a domain (libxl: the domain's directory readable
 * by it; these its own, so that its xenbus can write them). */
static const char *const own[] = {"data",
                                  "control/shutdown",
                                  "control/feature-poweroff",
                                  "control/feature-reboot",
                                  "control/feature-suspend",
                                  "control/sysrq",
                                  "drivers",
                                  "feature",
                                  "attr",
                                  "error"};

static int write_nodes(struct xsdom_guest *g, const char *name)
{
    char dir[48], path[96], owner[16], reader[16], value[64];
    int rc = 0;

    fmt_snprintf(dir, sizeof(dir), "/local/domain/%u", g->domid);
    fmt_snprintf(owner, sizeof(owner), "n%u", g->domid);
    fmt_snprintf(reader, sizeof(reader), "r%u", g->domid);
    rc |= local_str(XS_MKDIR, dir);
    rc |= local_perms(dir, "n0", reader);
    fmt_snprintf(path, sizeof(path), "%s/domid", dir);
    fmt_snprintf(value, sizeof(value), "%u", g->domid);
    rc |= local_write(path, value);
    fmt_snprintf(path, sizeof(path), "%s/name", dir);
    rc |= local_write(path, name);
    fmt_snprintf(path, sizeof(path), "%s/vm", dir);
    fmt_snprintf(value, sizeof(value), "/vm/%s", g->uuid);
    rc |= local_write(path, value);
    for (unsigned i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        fmt_snprintf(path, sizeof(path), "%s/%s", dir, own[i]);
        rc |= local_str(XS_MKDIR, path);
        rc |= local_perms(path, owner, NULL);
    }
    rc |= local_str(XS_MKDIR, value);
    rc |= local_perms(value, "n0", reader);
    fmt_snprintf(path, sizeof(path), "%s/name", value);
    rc |= local_write(path, name);
    return rc ? -1 : 0;
}

static void remove_nodes(struct xsdom_guest *g)
{
    char path[64];

    fmt_snprintf(path, sizeof(path), "/local/domain/%u", g->domid);
    local_str(XS_RM, path);
    fmt_snprintf(path, sizeof(path), "/vm/%s", g->uuid);
    local_str(XS_RM, path);
}

static void unmap(struct xsdom_guest *g)
{
    struct gnttab_unmap_grant_ref un = {.host_addr = g->gfn * DOM_PAGE_SIZE, .handle = g->handle};

    if (grant_op(GNTTABOP_unmap_grant_ref, &un) == 0 && un.status == GNTST_okay) {
        xs.spare_gfns[xs.nspare++] = g->gfn; /* fewer spares than slots: always room */
    } else {
        dom_printf("dom0-lite: xenstored: d%u: unmap failed (%d): window 0x%lx lost\n", g->domid,
                   un.status, (unsigned long)g->gfn);
    }
    g->intf = NULL;
}

/*
 * Linux 6.1 reads STORE_PFN as ~0 early, then waits for the store port's event only from
 * a later initcall: an event sent in between is lost and it never connects (measured,
 * /work/briefs: the magic-page protocol). So the event that says CONNECTED is sent again
 * every XSDOM_RESEND_NS until the domain's first request moves req_prod. The timer is
 * VIRQ_TIMER on a single-shot timer (on riscv64 the runtime's idle backstop re-arms it
 * sooner: the deadline is checked here).
 */
static void timer_fired(void);
static struct d0_timer tick = {.fn = timer_fired};

static void arm_tick(void)
{
    if (!xs.have_timer || tick.due) {
        return;
    }
    d0_timer_set(&tick, dom_now_ns() + XSDOM_RESEND_NS);
}

/* Notify the connected domains that have not spoken yet; true if any is left. */
static bool resend(void)
{
    bool waiting = false;

    for (unsigned i = 0; i < XSDOM_MAX; i++) {
        struct xsdom_guest *g = &xs.guests[i];

        if (!g->served || !g->rc || g->active) {
            continue;
        }
        if (__atomic_load_n(&g->intf->req_prod, __ATOMIC_ACQUIRE) != 0) {
            g->active = true;
        } else {
            dom_evtchn_notify(g->local_port);
            waiting = true;
        }
    }
    return waiting;
}

static void timer_fired(void)
{
    if (resend()) {
        arm_tick();
    }
    if (xs.shutdown_seen) {
        xsdom_sync(); /* arms the next tick while a domain is still shut down */
    }
}

/* Serve domain @di: see the file comment. A domain without a store port (none given by
 * the hypervisor) is remembered as not served, and not tried again. */
static void introduce(struct xsdom_guest *g, const struct xen_domctl_getdomaininfo *di)
{
    struct gnttab_map_grant_ref map = {
        .flags = GNTMAP_host_map, .ref = GNTTAB_RESERVED_XENSTORE, .dom = (domid_t)di->domain};
    const char *name = names_get(di->domain);
    char args[64], dname[16];
    uint64_t port = 0;
    int rc, n;

    memset(g, 0, sizeof(*g));
    g->used = true;
    g->domid = di->domain;
    rc = get_param(g->domid, HVM_PARAM_STORE_EVTCHN, &port);
    if (rc || port == 0 || port > UINT32_MAX) {
        return; /* no ring for it (dom0-lite itself, or a board without magic pages) */
    }
    g->remote_port = (uint32_t)port;
    g->gfn = xs.nspare ? xs.spare_gfns[--xs.nspare] : dom_page_reserve_gfn();
    if (g->gfn == 0) {
        dom_printf("dom0-lite: xenstored: d%u: no free page to map its ring\n", g->domid);
        return;
    }
    map.host_addr = g->gfn * DOM_PAGE_SIZE;
    if (grant_op(GNTTABOP_map_grant_ref, &map) != 0 || map.status != GNTST_okay) {
        dom_printf("dom0-lite: xenstored: d%u: cannot map its xenstore page (grant ref 1: %d)\n",
                   g->domid, map.status);
        xs.spare_gfns[xs.nspare++] = g->gfn;
        return;
    }
    g->handle = map.handle;
    g->intf = (struct xenstore_domain_interface *)(uintptr_t)(g->gfn * DOM_PAGE_SIZE);
    rc = dom_evtchn_bind_interdomain((domid_t)g->domid, g->remote_port, &g->local_port);
    if (rc) {
        dom_printf("dom0-lite: xenstored: d%u: cannot bind its store port %u (%d)\n", g->domid,
                   g->remote_port, rc);
        unmap(g);
        return;
    }
    if (!name) {
        fmt_snprintf(dname, sizeof(dname), "d%u", g->domid);
        name = dname;
    }
    uuid_of(di->handle, g->domid, g->uuid, sizeof(g->uuid));
    n = fmt_snprintf(args, sizeof(args), "%u", g->domid) + 1;
    n += fmt_snprintf(args + n, sizeof(args) - (size_t)n, "%lu", (unsigned long)g->gfn) + 1;
    n += fmt_snprintf(args + n, sizeof(args) - (size_t)n, "%u", g->remote_port) + 1;
    if (write_nodes(g, name) != 0 || local_req(XS_INTRODUCE, args, (size_t)n, NULL, 0) != 0) {
        dom_printf("dom0-lite: xenstored: d%u: introduce failed (%s)\n", g->domid, xs.reply);
        remove_nodes(g);
        dom_evtchn_close(g->local_port);
        unmap(g);
        return;
    }
    g->introduced = true;
    g->served = true;
    dom_printf("dom0-lite: xenstored: d%u (%s) introduced\n", g->domid, name);
    /* A front end may have written before it saw CONNECTED: serve, then wake it. */
    ring_conn_poll(g->rc);
    dom_evtchn_notify(g->local_port);
    arm_tick();
}

static void release(struct xsdom_guest *g)
{
    char arg[16];

    if (g->introduced) {
        fmt_snprintf(arg, sizeof(arg), "%u", g->domid);
        local_str(XS_RELEASE, arg);
        remove_nodes(g);
    }
    if (g->served) {
        dom_evtchn_close(g->local_port);
        unmap(g);
        dom_printf("dom0-lite: xenstored: d%u released\n", g->domid);
    }
    memset(g, 0, sizeof(*g));
}

void xsdom_sync(void)
{
    struct xen_sysctl op = {.cmd = XEN_SYSCTL_getdomaininfolist};
    bool live[XSDOM_MAX] = {false};
    bool shutdown = false;
    unsigned n;

    if (!xs.up) {
        return;
    }
    op.u.getdomaininfolist.max_domains = BH_MAX_DOMS;
    set_xen_guest_handle(op.u.getdomaininfolist.buffer, xs.info);
    if (dom0_sysctl(&op) < 0) {
        return;
    }
    n = op.u.getdomaininfolist.num_domains;
    for (unsigned i = 0; i < n && i < BH_MAX_DOMS; i++) {
        const struct xen_domctl_getdomaininfo *di = &xs.info[i];
        struct xsdom_guest *g = guest_of(di->domain);

        if (di->flags & XEN_DOMINF_dying) {
            continue;
        }
        /* A boot-time guest that shut down is freed by the hypervisor without a further
         * VIRQ_DOM_EXC: look again on ticks until it is gone. */
        shutdown = shutdown || (di->flags & XEN_DOMINF_shutdown);
        if (!g) {
            for (unsigned j = 0; j < XSDOM_MAX && !g; j++) {
                g = xs.guests[j].used ? NULL : &xs.guests[j];
            }
            if (!g) {
                break;
            }
            introduce(g, di);
        }
        live[g - xs.guests] = true;
    }
    for (unsigned j = 0; j < XSDOM_MAX; j++) {
        if (xs.guests[j].used && !live[j]) {
            release(&xs.guests[j]);
        }
    }
    xs.shutdown_seen = shutdown;
    if (shutdown) {
        arm_tick();
    }
}

bool xsdom_notified(uint32_t port)
{
    for (unsigned i = 0; i < XSDOM_MAX; i++) {
        struct xsdom_guest *g = &xs.guests[i];

        if (!g->served || g->local_port != port) {
            continue;
        }
        if (g->rc && ring_conn_poll(g->rc) != 0) {
            dom_printf(
                "dom0-lite: xenstored: d%u broke the ring protocol (error %u): disconnected\n",
                g->domid, g->intf->error);
            ring_conn_free(g->rc);
            g->rc = NULL;
        }
        return true;
    }
    return false;
}

void xsdom_init(void)
{
    struct store_config cfg = {.path = NULL, .expected_nodes = 1000};
    struct xs_quota q;
    int rc;

    core_default_quota(&q);
    /* Within the 6 MiB heap (shim.c): the store's records cost up to ~2.5 times what
     * is accounted (kvmem and heap headers, size classes). */
    q.memory = 256u << 10;
    q.memory_total = 2u << 20;
    q.out_hard = 256u << 10;
    rc = store_open(&xs.store, &cfg);
    if (rc == 0) {
        rc = core_init(&xs.core, xs.store, &q);
    }
    if (rc == 0) {
        xs.local = core_conn_new(&xs.core, 0, &local_ops, NULL);
        rc = xs.local ? 0 : -ENOMEM;
    }
    if (rc) {
        dom_printf("dom0-lite: xenstored did not start (%d): no xenstore\n", rc);
        return;
    }
    xs.core.dom_ops =
        (struct xs_domain_ops){.introduce = hook_introduce, .release = hook_release, .ctx = NULL};
    if (d0_timers_init()) {
        xs.have_timer = true;
    } else {
        dom_printf("dom0-lite: xenstored: no VIRQ_TIMER: the connected event is sent once\n");
    }
    local_write("/local/domain/1/name", XSDOM_SELF_NAMES);
    local_write("/local/domain/1/domid", "1");
    xs.up = true;
    xsdom_sync();
}

/* ---- the shell ---- */

static int xs_errno(const char *name)
{
    return !strcmp(name, "ENOENT")   ? -XEN_ENOENT
           : !strcmp(name, "EACCES") ? -XEN_EACCES
           : !strcmp(name, "E2BIG")  ? -XEN_E2BIG
                                     : -XEN_EINVAL;
}

static int fail(char *err, const char *path)
{
    fmt_snprintf(err, BH_ERR_MAX, "%s: %s", path, xs.reply);
    return xs_errno(xs.reply);
}

int xsdom_read(const char *path, void (*out)(const char *s, size_t len), char *err)
{
    if (!xs.up) {
        return -XEN_ENOSYS;
    }
    if (local_str(XS_READ, path) != 0) {
        return fail(err, path);
    }
    out(xs.reply, xs.reply_len);
    out("\n", 1);
    return 0;
}

int xsdom_write(const char *path, const char *value, char *err)
{
    if (!xs.up) {
        return -XEN_ENOSYS;
    }
    return local_write(path, value) != 0 ? fail(err, path) : 0;
}

/* store_list callback: the first child name after ctx->after (or the first at all). */
struct next_child {
    const char *after;
    bool seen;
    char name[XENSTORE_REL_PATH_MAX + 1];
    bool found;
};

static int pick_next(void *ctx, const char *name, size_t len)
{
    struct next_child *nc = ctx;

    if (!nc->after || nc->seen) {
        if (len < sizeof(nc->name)) {
            memcpy(nc->name, name, len);
            nc->name[len] = '\0';
            nc->found = true;
        }
        return 1;
    }
    nc->seen = len == strlen(nc->after) && !memcmp(name, nc->after, len);
    return 0;
}

/* The child of xs.ls_path after @after (NULL: the first) into @nc. */
static bool child_after(struct next_child *nc, const char *after)
{
    nc->after = after;
    nc->seen = nc->found = false;
    return store_get(xs.store, xs.ls_path, &xs.ls_parent) == 0 &&
           store_list(xs.store, &xs.ls_parent, xs.ls_path, pick_next, nc) >= 0 && nc->found;
}

/* One line of xenstore-ls for the node at xs.ls_path: indent, name, quoted value. */
static void ls_line(unsigned depth, const char *name, void (*out)(const char *s, size_t len))
{
    char buf[XSDOM_LS_VALUE * 4 + 16];
    size_t n = 0;

    for (unsigned i = 0; i < depth && i < 64; i++) {
        out(" ", 1);
    }
    out(name, strlen(name));
    if (store_get(xs.store, xs.ls_path, &xs.ls_node) == 0) {
        for (uint32_t i = 0; i < xs.ls_node.vlen; i++) {
            unsigned char c = (unsigned char)xs.ls_node.value[i];
            if (i == XSDOM_LS_VALUE) {
                n += (size_t)fmt_snprintf(buf + n, sizeof(buf) - n, "...");
                break;
            }
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                buf[n++] = (char)c;
            } else {
                n += (size_t)fmt_snprintf(buf + n, sizeof(buf) - n, "\\x%02x", c);
            }
        }
    }
    out(" = \"", 4);
    out(buf, n);
    out("\"\n", 2);
}

/*
 * xenstore-ls: the subtree below @path, one `name = "value"` a line, indented one space
 * per level (as Xen's xenstore-ls). Walked in place (path buffer, one level at a time)
 * rather than recursively: dom0-lite's stack is 16 KiB and paths may be 1,500 levels deep.
 */
int xsdom_ls(const char *path, void (*out)(const char *s, size_t len), char *err)
{
    static struct next_child next;
    static char name[XENSTORE_REL_PATH_MAX + 1];
    struct next_child *nc = &next;
    size_t root_len;
    unsigned depth = 0, lines = 0;
    bool have;

    if (!xs.up) {
        return -XEN_ENOSYS;
    }
    if (path[0] != '/' || !path_valid(path, XENSTORE_ABS_PATH_MAX) ||
        store_get(xs.store, path, &xs.ls_node) != 0) {
        fmt_snprintf(err, BH_ERR_MAX, "%s: ENOENT", path);
        return -XEN_ENOENT;
    }
    root_len = strlen(path);
    memcpy(xs.ls_path, path, root_len + 1);
    have = child_after(nc, NULL);
    for (;;) {
        if (have) {
            size_t len = strlen(xs.ls_path);
            size_t nlen = strlen(nc->name);
            if (len + 1 + nlen >= sizeof(xs.ls_path)) {
                break;
            }
            if (len > 1) {
                xs.ls_path[len++] = '/';
            }
            memcpy(xs.ls_path + len, nc->name, nlen + 1);
            if (++lines > XSDOM_LS_LINES) {
                out("...\n", 4);
                break;
            }
            ls_line(depth, nc->name, out);
            depth++;
            have = child_after(nc, NULL);
            continue;
        }
        if (depth == 0) {
            break;
        }
        /* Back up one level and move on to the next sibling. */
        char *slash = strrchr(xs.ls_path, '/');
        size_t nlen = strlen(slash + 1);
        memcpy(name, slash + 1, nlen + 1);
        *(slash == xs.ls_path ? slash + 1 : slash) = '\0';
        depth--;
        have = child_after(nc, name);
    }
    return 0;
}

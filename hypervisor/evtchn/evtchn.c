/* SPDX-License-Identifier: MIT */
/* Event channels, Xen's 2-level ABI. See include/bulkhead/evtchn.h. */
#include <stdint.h>

#include <xen/event_channel.h>
#include <xen/xen.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

enum evtchn_state {
    ECS_FREE,
    ECS_UNBOUND,     /* waits for remote_dom to bind */
    ECS_INTERDOMAIN, /* connected to peer's remote_port */
    ECS_VIRQ,
    ECS_IPI,
};

struct evtchn {
    uint8_t state;        /* enum evtchn_state */
    uint8_t virq;         /* ECS_VIRQ */
    uint16_t vcpu;        /* the vCPU notified */
    uint16_t remote_dom;  /* ECS_UNBOUND: who may bind; ECS_INTERDOMAIN: the peer's id */
    uint16_t xen;         /* 1: consumed by the hypervisor (an ioreq port): the guest that
                           * owns it cannot send, bind or close it; the peer's sends go to
                           * the hook, not to the owner's pending bits */
    uint32_t remote_port; /* ECS_INTERDOMAIN */
    uint32_t pad2;
    struct domain *peer; /* ECS_INTERDOMAIN: a reference held on the peer */
    uint64_t pad3;
};

_Static_assert(sizeof(struct evtchn) * EVTCHN_PER_PAGE <= PAGE_SIZE, "a page of channels");
_Static_assert(EVTCHN_MAX_PORTS <= sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8,
               "the 2-level ABI's bitmaps cover every port");

#define BITS_PER_WORD (sizeof(xen_ulong_t) * 8)

static unsigned registered; /* the domain notifier and the timer hook (lazily) */
static evtchn_xen_fn xen_hook;

void evtchn_set_xen_hook(evtchn_xen_fn fn)
{
    __atomic_store_n(&xen_hook, fn, __ATOMIC_RELEASE);
}

/* ---- locks, ports ---- */

static void lock_two(struct domain *a, struct domain *b)
{
    if (a == b) {
        spin_lock(&a->evtchn.lock);
    } else if (a->id < b->id) {
        spin_lock(&a->evtchn.lock);
        spin_lock(&b->evtchn.lock);
    } else {
        spin_lock(&b->evtchn.lock);
        spin_lock(&a->evtchn.lock);
    }
}

static void unlock_two(struct domain *a, struct domain *b)
{
    spin_unlock(&a->evtchn.lock);
    if (a != b) {
        spin_unlock(&b->evtchn.lock);
    }
}

/* Under the lock: the channel of an open port, or NULL. */
static struct evtchn *chan(struct domain *d, uint32_t port)
{
    struct evtchn *page;

    if (port == 0 || port >= EVTCHN_MAX_PORTS) {
        return NULL;
    }
    page = d->evtchn.pages[port / EVTCHN_PER_PAGE];
    if (!page || page[port % EVTCHN_PER_PAGE].state == ECS_FREE) {
        return NULL;
    }
    return &page[port % EVTCHN_PER_PAGE];
}

/* Under the lock: a free port, its page allocated (charged to @d) if needed, opened in
 * @state with its other fields zero. */
static int alloc_port(struct domain *d, enum evtchn_state state, uint32_t *port,
                      struct evtchn **out)
{
    for (uint32_t p = 1; p < EVTCHN_MAX_PORTS; p++) {
        struct evtchn **page = &d->evtchn.pages[p / EVTCHN_PER_PAGE];

        if (!*page) {
            paddr_t pa;
            int rc = domain_alloc_pages(d, 0, &pa);

            if (rc) {
                return rc;
            }
            *page = pa_va(pa);
        }
        if ((*page)[p % EVTCHN_PER_PAGE].state == ECS_FREE) {
            *out = &(*page)[p % EVTCHN_PER_PAGE];
            **out = (struct evtchn){.state = (uint8_t)state};
            d->evtchn.nr_open++;
            *port = p;
            return 0;
        }
    }
    return -ENOSPC;
}

static void free_port(struct domain *d, struct evtchn *c)
{
    *c = (struct evtchn){.state = ECS_FREE};
    d->evtchn.nr_open--;
}

/* ---- pending bits, selectors, upcalls ---- */

static struct shared_info *shared(struct domain *d)
{
    return pa_va(d->shared_info);
}

static struct vcpu_info *vcpu_info_of(struct vcpu *v)
{
    if (pa_addr(v->vcpu_info)) {
        return pa_va(v->vcpu_info);
    }
    return v->id < XEN_LEGACY_MAX_VCPUS ? &shared(v->dom)->vcpu_info[v->id] : NULL;
}

/* Set evtchn_upcall_pending (byte 0 of the vcpu_info's first word, next to the guest's
 * mask byte) with a word-sized compare-and-swap: no sub-word atomics. True if it was
 * clear. */
static bool set_upcall_pending(struct vcpu_info *vi)
{
    uint32_t *word = (uint32_t *)(void *)vi;
    uint32_t old = __atomic_load_n(word, __ATOMIC_RELAXED);

    _Static_assert(__builtin_offsetof(struct vcpu_info, evtchn_upcall_pending) == 0,
                   "the flag is byte 0 (little-endian word)");
    do {
        if (old & 0xff) {
            return false;
        }
    } while (!__atomic_compare_exchange_n(word, &old, old | 1, true, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return true;
}

/* Tell @v that word @w of the pending bitmap has news. */
static void notify(struct vcpu *v, unsigned w)
{
    struct vcpu_info *vi = vcpu_info_of(v);

    if (!vi) {
        return; /* no vcpu_info yet: the event stays pending in shared_info */
    }
    __atomic_fetch_or(&vi->evtchn_pending_sel, (xen_ulong_t)1 << w, __ATOMIC_ACQ_REL);
    if (set_upcall_pending(vi)) {
        arch_vcpu_evtchn_upcall(v);
    }
}

/* Mark @port of @d pending and notify the vCPU its channel names, unless masked. */
static void mark_pending(struct domain *d, uint32_t port, unsigned vcpu)
{
    struct shared_info *s = shared(d);
    unsigned w = port / BITS_PER_WORD;
    xen_ulong_t bit = (xen_ulong_t)1 << (port % BITS_PER_WORD);

    if (__atomic_fetch_or(&s->evtchn_pending[w], bit, __ATOMIC_ACQ_REL) & bit) {
        return;
    }
    if (__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_ACQUIRE) & bit) {
        return;
    }
    if (vcpu < d->nr_vcpus) {
        notify(d->vcpus[vcpu], w);
    }
}

/* ---- operations ---- */

/* Guests name only themselves (control operations come with dom0-lite). */
static int self_only(struct vcpu *v, domid_t dom)
{
    return dom == DOMID_SELF || dom == v->dom->id ? 0 : -EPERM;
}

static int alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
    struct domain *d = v->dom;
    struct evtchn *c;
    uint32_t port;
    int rc = self_only(v, a->dom);
    domid_t remote = a->remote_dom == DOMID_SELF ? d->id : a->remote_dom;

    if (rc) {
        return rc;
    }
    if (!domain_stub_may_reach(d, remote, "evtchn alloc_unbound")) {
        return -EPERM;
    }
    spin_lock(&d->evtchn.lock);
    rc = alloc_port(d, ECS_UNBOUND, &port, &c);
    if (rc == 0) {
        c->remote_dom = a->remote_dom == DOMID_SELF ? d->id : a->remote_dom;
        a->port = port;
    }
    spin_unlock(&d->evtchn.lock);
    return rc;
}

static int bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
    struct domain *d = v->dom;
    domid_t rid = b->remote_dom == DOMID_SELF ? d->id : b->remote_dom;
    struct domain *rd;
    struct evtchn *rc_chan, *lc;
    uint32_t lport;
    int rc;

    /* Before the lookup: a refused stub takes no reference. */
    if (!domain_stub_may_reach(d, rid, "evtchn bind_interdomain")) {
        return -EPERM;
    }
    rd = rid == d->id ? d : domain_get(rid);
    if (!rd) {
        return -ESRCH;
    }
    lock_two(d, rd);
    rc_chan = chan(rd, b->remote_port);
    rc = rc_chan && rc_chan->state == ECS_UNBOUND && rc_chan->remote_dom == d->id ? 0 : -EINVAL;
    if (rc == 0) {
        rc = alloc_port(d, ECS_INTERDOMAIN, &lport, &lc);
    }
    if (rc == 0) {
        /* Each end holds a reference on the other's domain. */
        rc_chan = chan(rd, b->remote_port); /* its page cannot move, but re-read for clarity */
        lc->peer = rd;
        lc->remote_dom = rd->id;
        lc->remote_port = b->remote_port;
        rc_chan->state = ECS_INTERDOMAIN;
        rc_chan->peer = d;
        rc_chan->remote_dom = d->id;
        rc_chan->remote_port = lport;
        domain_hold(d);
        if (rd == d) {
            domain_hold(d);
        }
        b->local_port = lport;
        /* As Xen: the peer may have signalled before the bind. */
        mark_pending(d, lport, lc->vcpu);
    }
    unlock_two(d, rd);
    if (rc && rd != d) {
        domain_put(rd);
    }
    return rc;
}

static bool per_vcpu_virq(unsigned virq)
{
    return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF || virq == VIRQ_XENPMU;
}

static int bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
    struct domain *d = v->dom;
    struct evtchn *c;
    struct vcpu *t;
    uint32_t port;
    int rc = 0;

    if (b->virq >= EVTCHN_NR_VIRQS) {
        return -EINVAL;
    }
    if (b->vcpu >= d->nr_vcpus) {
        return -ENOENT;
    }
    if (!per_vcpu_virq(b->virq) && b->vcpu != 0) {
        return -EINVAL; /* global VIRQs bind on vCPU 0, then move with bind_vcpu */
    }
    if (b->virq == VIRQ_DOM_EXC && d->role != ROLE_CONTROL) {
        domain_refused(d, "bind VIRQ_DOM_EXC", d->id);
        return -EPERM; /* other domains' ends are the control domain's business */
    }
    t = d->vcpus[b->vcpu];
    spin_lock(&d->evtchn.lock);
    if (t->virq_port[b->virq]) {
        rc = -EEXIST;
    } else {
        rc = alloc_port(d, ECS_VIRQ, &port, &c);
    }
    if (rc == 0) {
        c->virq = (uint8_t)b->virq;
        c->vcpu = (uint16_t)b->vcpu;
        t->virq_port[b->virq] = port;
        b->port = port;
    }
    spin_unlock(&d->evtchn.lock);
    return rc;
}

static int bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
    struct domain *d = v->dom;
    struct evtchn *c;
    uint32_t port;
    int rc;

    if (b->vcpu >= d->nr_vcpus) {
        return -ENOENT;
    }
    spin_lock(&d->evtchn.lock);
    rc = alloc_port(d, ECS_IPI, &port, &c);
    if (rc == 0) {
        c->vcpu = (uint16_t)b->vcpu;
        b->port = port;
    }
    spin_unlock(&d->evtchn.lock);
    return rc;
}

/* Close @port of @d. The peer of an interdomain channel gets an unbound port back. The
 * references the two ends held are dropped once no lock is held. */
static int close_port(struct domain *d, uint32_t port, bool xen)
{
    struct domain *peer = NULL;
    bool unlinked = false; /* we took the connection down: drop the two ends' references */
    struct evtchn *c;
    int rc = 0;

    spin_lock(&d->evtchn.lock);
    c = chan(d, port);
    if (c && c->state == ECS_INTERDOMAIN) {
        peer = c->peer;
        domain_hold(peer); /* keeps it while we relock in order */
    }
    spin_unlock(&d->evtchn.lock);
    if (peer) {
        lock_two(d, peer);
    } else {
        spin_lock(&d->evtchn.lock);
    }
    c = chan(d, port);
    if (!c || c->xen != xen) {
        rc = -EINVAL;
    } else if (c->state == ECS_INTERDOMAIN && c->peer == peer) {
        struct evtchn *r = chan(peer, c->remote_port);

        if (r && r->state == ECS_INTERDOMAIN && r->peer == d) {
            r->state = ECS_UNBOUND;
            r->peer = NULL;
            r->remote_dom = d->id;
            r->remote_port = 0;
        }
        free_port(d, c);
        unlinked = true;
    } else if (c->state == ECS_INTERDOMAIN) {
        rc = -EAGAIN; /* changed while we relocked: let the caller retry */
    } else {
        if (c->state == ECS_VIRQ) {
            d->vcpus[c->vcpu < d->nr_vcpus ? c->vcpu : 0]->virq_port[c->virq] = 0;
        }
        free_port(d, c);
    }
    if (peer) {
        unlock_two(d, peer);
        /* Only if this call unlinked the channel: if the peer closed its end while we
         * relocked, it found ours connected, unbound it and dropped both references
         * itself (dropping them again here freed a live domain: a quota BUG at its
         * free, found by the two-guest system test). */
        if (unlinked) {
            domain_put(d);    /* the peer's end held @d */
            domain_put(peer); /* ours held the peer */
        }
        domain_put(peer); /* the temporary one */
    } else {
        spin_unlock(&d->evtchn.lock);
    }
    return rc;
}

/* Close, retrying while another CPU connects or disconnects the port meanwhile. */
/* Close, retrying while the peer closes and binds the port again in the window between
 * our two lockings. Bounded, so a peer doing that in a loop cannot hold our CPU: the
 * guest gets -EAGAIN. A dying domain's ports cannot be rebound (domain_get refuses
 * it), so its teardown needs few retries. */
static int close_retry(struct domain *d, uint32_t port, bool xen)
{
    int rc = -EAGAIN;

    for (unsigned i = 0; i < 64 && rc == -EAGAIN; i++) {
        rc = close_port(d, port, xen);
    }
    return rc;
}

static int send(struct domain *d, uint32_t port, bool xen)
{
    struct domain *peer = NULL;
    uint32_t rport = 0;
    struct evtchn *c;
    int rc = 0;
    int xen_vcpu = -1;

    spin_lock(&d->evtchn.lock);
    c = chan(d, port);
    if (!c || c->xen != xen) {
        rc = -EINVAL;
    } else if (c->state == ECS_INTERDOMAIN) {
        peer = c->peer;
        rport = c->remote_port;
        domain_hold(peer);
    } else if (c->state == ECS_IPI) {
        mark_pending(d, port, c->vcpu);
    } else if (c->state == ECS_VIRQ) {
        rc = -EINVAL;
    } /* ECS_UNBOUND: nobody to tell; dropped, as in Xen */
    spin_unlock(&d->evtchn.lock);
    if (peer) {
        spin_lock(&peer->evtchn.lock);
        c = chan(peer, rport);
        if (c && c->state == ECS_INTERDOMAIN && c->peer == d && c->xen) {
            xen_vcpu = c->vcpu; /* the peer's ioreq port: the hypervisor is told */
        } else if (c && c->state == ECS_INTERDOMAIN && c->peer == d) {
            mark_pending(peer, rport, c->vcpu);
        }
        spin_unlock(&peer->evtchn.lock);
        if (xen_vcpu >= 0) {
            evtchn_xen_fn hook = __atomic_load_n(&xen_hook, __ATOMIC_ACQUIRE);

            if (hook) {
                hook(peer, (unsigned)xen_vcpu);
            }
        }
        domain_put(peer);
    }
    return rc;
}

static void register_once(void);

/* An unbound port of @d for @remote, notifying @vcpu; @xen: consumed by the hypervisor. */
static int alloc_for(struct domain *d, uint16_t remote, unsigned vcpu, bool xen, uint32_t *port)
{
    struct evtchn *c;
    int rc;

    register_once(); /* its notifier frees the pages of a killed domain */
    spin_lock(&d->evtchn.lock);
    rc = alloc_port(d, ECS_UNBOUND, port, &c);
    if (rc == 0) {
        c->remote_dom = remote;
        c->vcpu = (uint16_t)vcpu;
        c->xen = xen;
    }
    spin_unlock(&d->evtchn.lock);
    return rc;
}

int evtchn_alloc_xen(struct domain *d, uint16_t remote, unsigned vcpu, uint32_t *port)
{
    return alloc_for(d, remote, vcpu, true, port);
}

int evtchn_alloc_unbound_for(struct domain *d, uint16_t remote, uint32_t *port)
{
    return alloc_for(d, remote, 0, false, port);
}

bool evtchn_bound_to(struct domain *d, uint32_t port, uint16_t remote)
{
    struct evtchn *c;
    bool bound;

    spin_lock(&d->evtchn.lock);
    c = chan(d, port);
    bound = c && c->state == ECS_INTERDOMAIN && c->remote_dom == remote;
    spin_unlock(&d->evtchn.lock);
    return bound;
}

void evtchn_close_xen(struct domain *d, uint32_t port)
{
    (void)close_retry(d, port, true);
}

void evtchn_send_xen(struct domain *d, uint32_t port)
{
    (void)send(d, port, true);
}

static int status(struct vcpu *v, struct evtchn_status *st)
{
    struct domain *d = v->dom;
    struct evtchn *c;
    int rc = self_only(v, st->dom);

    if (rc) {
        return rc;
    }
    if (st->port >= EVTCHN_MAX_PORTS) {
        return -EINVAL;
    }
    spin_lock(&d->evtchn.lock);
    c = chan(d, st->port);
    st->vcpu = c ? c->vcpu : 0;
    st->status = EVTCHNSTAT_closed;
    if (c && c->state == ECS_UNBOUND) {
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = c->remote_dom;
    } else if (c && c->state == ECS_INTERDOMAIN) {
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = c->remote_dom;
        st->u.interdomain.port = c->remote_port;
    } else if (c && c->state == ECS_VIRQ) {
        st->status = EVTCHNSTAT_virq;
        st->u.virq = c->virq;
    } else if (c && c->state == ECS_IPI) {
        st->status = EVTCHNSTAT_ipi;
    }
    spin_unlock(&d->evtchn.lock);
    return 0;
}

static int bind_vcpu(struct domain *d, struct evtchn_bind_vcpu *b)
{
    struct evtchn *c;
    int rc = 0;

    if (b->vcpu >= d->nr_vcpus) {
        return -ENOENT;
    }
    spin_lock(&d->evtchn.lock);
    c = chan(d, b->port);
    if (!c || c->xen || c->state == ECS_IPI || (c->state == ECS_VIRQ && per_vcpu_virq(c->virq))) {
        rc = -EINVAL;
    } else {
        c->vcpu = (uint16_t)b->vcpu;
    }
    spin_unlock(&d->evtchn.lock);
    return rc;
}

static int unmask(struct domain *d, uint32_t port)
{
    struct shared_info *s = shared(d);
    unsigned w = port / BITS_PER_WORD;
    xen_ulong_t bit = (xen_ulong_t)1 << (port % BITS_PER_WORD);
    struct evtchn *c;
    int rc = 0;

    if (port >= EVTCHN_MAX_PORTS) {
        return -EINVAL;
    }
    spin_lock(&d->evtchn.lock);
    c = chan(d, port);
    __atomic_fetch_and(&s->evtchn_mask[w], ~bit, __ATOMIC_ACQ_REL);
    if (c && (__atomic_load_n(&s->evtchn_pending[w], __ATOMIC_ACQUIRE) & bit) &&
        c->vcpu < d->nr_vcpus) {
        notify(d->vcpus[c->vcpu], w);
    }
    spin_unlock(&d->evtchn.lock);
    return rc;
}

void evtchn_send_virq(struct vcpu *v, unsigned virq)
{
    struct domain *d = v->dom;
    struct vcpu *owner = per_vcpu_virq(virq) ? v : d->vcpus[0];
    struct evtchn *c;

    if (virq >= EVTCHN_NR_VIRQS) {
        return;
    }
    spin_lock(&d->evtchn.lock);
    c = chan(d, owner->virq_port[virq]);
    if (c && c->state == ECS_VIRQ) {
        mark_pending(d, owner->virq_port[virq], c->vcpu);
    }
    spin_unlock(&d->evtchn.lock);
}

/* ---- domain end, timer, registration ---- */

/* The domain is being killed: close every port (peers' ends go back to unbound and the
 * references are dropped), then give the pages back. */
static void domain_killed(struct domain_notifier *n, struct domain *d)
{
    (void)n;
    for (uint32_t port = 1; port < EVTCHN_MAX_PORTS && d->evtchn.nr_open; port++) {
        (void)close_retry(d, port, false);
        (void)close_retry(d, port, true);
    }
    for (unsigned i = 0; i < EVTCHN_PAGES; i++) {
        if (d->evtchn.pages[i]) {
            domain_free_pages(d, va_pa(d->evtchn.pages[i]), 0);
            d->evtchn.pages[i] = NULL;
        }
    }
}

/* VIRQ_DOM_EXC (docs/control.md): a domain shut down, crashed, went off its CPUs or was
 * destroyed; the control domain reads getdomaininfo to see which. */
static void dom_exc(void)
{
    struct domain *ctl = domain_get_control();

    if (ctl) {
        evtchn_send_virq(ctl->vcpus[0], VIRQ_DOM_EXC);
        domain_put(ctl);
    }
}

static void domain_exception(struct domain_notifier *n, struct domain *d)
{
    (void)n;
    (void)d;
    dom_exc();
}

static void domain_ended(struct domain_notifier *n, domid_t id, const char *name, unsigned reason)
{
    (void)n;
    (void)id;
    (void)name;
    (void)reason;
    dom_exc();
}

static struct domain_notifier notifier = {
    .killed = domain_killed, .exception = domain_exception, .ended = domain_ended};

/* A vCPU's singleshot timer fired: VIRQ_TIMER, as Xen sends it. */
static void timer_fired(struct vcpu *v)
{
    evtchn_send_virq(v, VIRQ_TIMER);
}

/* Does @v have an event waiting (evtchn_upcall_pending)? Blocking then returns at once,
 * as Xen's SCHEDOP_block does: on riscv64 no interrupt would end the wait. */
static bool upcall_pending(struct vcpu *v)
{
    struct vcpu_info *vi = vcpu_info_of(v);

    return vi && __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
}

static void register_once(void)
{
    if (!__atomic_exchange_n(&registered, 1u, __ATOMIC_ACQ_REL)) {
        domain_notifier_register(&notifier);
        sched_set_vcpu_timer_hook(timer_fired);
        sched_set_vcpu_event_hook(upcall_pending);
    }
}

/* ---- the hypercall ---- */

/* Copy the op's struct in, run @fn, copy it back when @out. */
#define OP(type, call, out)                                                                        \
    do {                                                                                           \
        type a;                                                                                    \
        int rc_ = get_guest(v, &a, arg);                                                           \
        if (rc_ == 0) {                                                                            \
            rc_ = (call);                                                                          \
        }                                                                                          \
        if (rc_ == 0 && (out)) {                                                                   \
            rc_ = put_guest(v, arg, &a);                                                           \
        }                                                                                          \
        return rc_;                                                                                \
    } while (0)

int64_t evtchn_op(struct vcpu *v, int cmd, uint64_t arg)
{
    struct domain *d = v->dom;

    register_once();
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        OP(struct evtchn_alloc_unbound, alloc_unbound(v, &a), true);
    case EVTCHNOP_bind_interdomain:
        OP(struct evtchn_bind_interdomain, bind_interdomain(v, &a), true);
    case EVTCHNOP_bind_virq:
        OP(struct evtchn_bind_virq, bind_virq(v, &a), true);
    case EVTCHNOP_bind_ipi:
        OP(struct evtchn_bind_ipi, bind_ipi(v, &a), true);
    case EVTCHNOP_close:
        OP(struct evtchn_close, close_retry(d, a.port, false), false);
    case EVTCHNOP_send:
        OP(struct evtchn_send, send(d, a.port, false), false);
    case EVTCHNOP_status:
        OP(struct evtchn_status, status(v, &a), true);
    case EVTCHNOP_bind_vcpu:
        OP(struct evtchn_bind_vcpu, bind_vcpu(d, &a), false);
    case EVTCHNOP_unmask:
        OP(struct evtchn_unmask, unmask(d, a.port), false);
    default:
        /* bind_pirq (no physical IRQs for guests), reset, and the FIFO ABI's
         * init_control / expand_array / set_priority: guests fall back to 2-level. */
        return -ENOSYS;
    }
}

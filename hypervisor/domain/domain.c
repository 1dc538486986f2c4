/* SPDX-License-Identifier: MIT */
/* Domain lifetime, owned here alone: creation with scrubbed, charged memory; references;
 * crash and shutdown; teardown that returns every page; the "ended" notification. See
 * include/bulkhead/domain.h. */
#include <stdarg.h>
#include <string.h>

#include <fmt.h>
#include <stdint.h>

#include <xen/sched.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

/* Bookkeeping allowance on top of RAM: struct domain, vCPUs, stage-2 tables, extent
 * pages, shared_info, the magic pages (magic.h). */
#define DOMAIN_OVERHEAD_PAGES(ram_pages, vcpus)                                                    \
    (16 + MAGIC_QUOTA_PAGES + (vcpus) + ((ram_pages) >> 8))

static struct spinlock domain_lock = SPINLOCK_INIT;
static struct domain *domains[MAX_DOMAINS];
static struct domain_notifier *notifiers;

int domain_alloc_pages(struct domain *d, unsigned order, paddr_t *out)
{
    int rc;

    /* Stage-2 tables are charged to the same quota (mm/p2m): a guest remapping far and
     * wide cannot grow them without bound. */
    if (!quota_charge(&d->quota, 1ull << order)) {
        return -ENOMEM;
    }
    rc = page_alloc_zeroed(order, out);
    if (rc) {
        quota_uncharge(&d->quota, 1ull << order);
    }
    return rc;
}

void domain_free_pages(struct domain *d, paddr_t pa, unsigned order)
{
    page_free(pa, order);
    quota_uncharge(&d->quota, 1ull << order);
}

static int extent_add(struct domain *d, paddr_t pa, unsigned order)
{
    struct extent_page *ep = d->extents;

    if (!ep || ep->count == EXTENTS_PER_PAGE) {
        paddr_t page;
        int rc = domain_alloc_pages(d, 0, &page);

        if (rc) {
            return rc;
        }
        ep = pa_va(page);
        ep->next = d->extents;
        d->extents = ep;
    }
    ep->e[ep->count++] = (struct extent){pa, order};
    return 0;
}

/* Under @l: give @d 2^@order scrubbed pages at @ipa, recorded and mapped with @attr. */
static int add_pages(struct p2m_locked l, struct domain *d, uint64_t ipa, unsigned order,
                     unsigned attr, paddr_t *out)
{
    int rc = domain_alloc_pages(d, order, out);

    if (rc) {
        return rc;
    }
    rc = extent_add(d, *out, order);
    if (rc) {
        domain_free_pages(d, *out, order);
        return rc;
    }
    /* Recorded as the domain's: freed with it even if the mapping fails. */
    return p2m_map(l, ipa_init(ipa), *out, PAGE_SIZE << order, attr, 0);
}

/* Under @l: 2^@order pages of RAM at @ipa. */
static int populate_one(struct p2m_locked l, struct domain *d, uint64_t ipa, unsigned order)
{
    paddr_t pa;
    int rc = add_pages(l, d, ipa, order, PT_RW | PT_X, &pa);

    if (rc == 0) {
        d->ram_pages += 1ull << order;
    }
    return rc;
}

int domain_add_page(struct domain *d, uint64_t gfn, paddr_t *out)
{
    struct p2m_locked l;
    paddr_t pa;
    int rc;

    if (gfn >= p2m_ipa_limit(&d->p2m) >> PAGE_SHIFT) {
        return -EINVAL;
    }
    l = p2m_lock(&d->p2m);
    rc = p2m_lookup(l, ipa_init(gfn << PAGE_SHIFT), &pa, NULL) == 0 ? -EEXIST : 0;
    if (rc == 0) {
        rc = add_pages(l, d, gfn << PAGE_SHIFT, 0, PT_RW, out);
    }
    p2m_unlock(l);
    return rc;
}

/* Guest RAM: the largest naturally aligned blocks that fit, so stage 2 uses blocks. */
static int populate_ram(struct domain *d)
{
    uint64_t ipa = ipa_addr(d->ram_base), end = ipa + d->ram_size;
    struct p2m_locked l = p2m_lock(&d->p2m);
    int rc = 0;

    while (ipa < end && rc == 0) {
        unsigned order = 9; /* 2 MiB: a stage-2 block on both arches */

        while (order &&
               (!IS_ALIGNED(ipa, PAGE_SIZE << order) || ipa + (PAGE_SIZE << order) > end)) {
            order--;
        }
        rc = populate_one(l, d, ipa, order);
        ipa += PAGE_SIZE << order;
    }
    p2m_unlock(l);
    return rc;
}

static int vcpus_create(struct domain *d, const struct domain_config *cfg)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        paddr_t page;
        struct vcpu *v;
        int rc = domain_alloc_pages(d, 0, &page);

        if (rc) {
            return rc;
        }
        _Static_assert(sizeof(struct vcpu) <= PAGE_SIZE, "a vCPU fits in a page");
        v = pa_va(page);
        v->dom = d;
        v->id = i;
        v->state = VCPU_DOWN;
        v->affinity = cfg->affinity[i];
        d->vcpus[i] = v;
        rc = sched_add_vcpu(v);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

/* Under domain_lock: a control domain is there and has not begun to end. */
static bool control_alive_locked(void)
{
    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        if (domains[i] && domains[i]->role == ROLE_CONTROL &&
            READ_ONCE(domains[i]->state) != DOM_DYING) {
            return true;
        }
    }
    return false;
}

/* Under domain_lock, as boot-time @d starts (DOM_RUNNING, no vCPU started yet): a guest
 * is kept after it ends, as a built one is, while a control domain is there to apply its
 * on_* policy (docs/control.md); so is the stub of such a guest. Decided under the lock
 * that orphan_built_domains() scans under, after the control domain's DOM_DYING: either
 * that scan sees @d kept (and running: not destroyed by it), or @d is not kept. */
static void keep_for_control_locked(struct domain *d)
{
    const struct domain *t = d->target;

    if (d->kept || !control_alive_locked()) {
        return;
    }
    if (d->role == ROLE_GUEST) {
        d->kept = true;
    } else if (d->role == ROLE_STUB && t && t->kept &&
               !(__atomic_load_n(&t->end_flags, __ATOMIC_ACQUIRE) & END_ORPHANED)) {
        d->kept = true;
    }
}

/* Ids are handed out round robin, as Xen does: a new domain does not take the id of one
 * that just ended, so logs and tools never confuse the two. */
static int id_alloc(struct domain *d, domid_t want)
{
    static domid_t next_id = 1;
    int rc = -ENOSPC;

    spin_lock(&domain_lock);
    if (want) {
        rc = domains[want] ? -EEXIST : 0;
        if (rc == 0) {
            domains[want] = d;
            d->id = want;
        }
        spin_unlock(&domain_lock);
        return rc;
    }
    for (unsigned n = 0; n < MAX_DOMAINS - 1; n++) {
        domid_t id = (domid_t)(1 + (next_id - 1 + n) % (MAX_DOMAINS - 1));

        if (!domains[id]) {
            domains[id] = d;
            d->id = id;
            next_id = (domid_t)(id % (MAX_DOMAINS - 1) + 1);
            rc = 0;
            break;
        }
    }
    spin_unlock(&domain_lock);
    return rc;
}

static int check_config(const struct domain_config *cfg)
{
    if (!cfg->name || !cfg->name[0] || strlen(cfg->name) >= DOMAIN_NAME_MAX) {
        return -EINVAL;
    }
    if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > MAX_VCPUS || cfg->id >= MAX_DOMAINS) {
        return -EINVAL;
    }
    if ((cfg->ram_size == 0 && !cfg->under_construction) || !IS_ALIGNED(cfg->ram_size, PAGE_SIZE) ||
        cfg->ram_size > arch_guest_ram_max()) {
        return -EINVAL;
    }
    if (cfg->weight > SCHED_WEIGHT_MAX || cfg->cap > 100 * cfg->nr_vcpus) {
        return -EINVAL;
    }
    return 0;
}

static void vcpu_dead(struct vcpu *v);
static void seal(struct domain *d);

int domain_create(const struct domain_config *cfg, struct domain **out)
{
    uint64_t ram_pages = cfg->ram_size >> PAGE_SHIFT;
    struct domain *d;
    paddr_t page;
    int rc = check_config(cfg);

    if (rc) {
        return rc;
    }
    rc = page_alloc_zeroed(0, &page);
    if (rc) {
        return rc;
    }
    _Static_assert(sizeof(struct domain) <= PAGE_SIZE, "a domain fits in a page");
    d = pa_va(page);
    memcpy(d->name, cfg->name, strlen(cfg->name) + 1);
    d->role = cfg->role;
    d->state = DOM_BUILDING;
    d->refcnt = 1;
    d->ram_base = ipa_init(arch_guest_ram_base());
    d->ram_size = cfg->ram_size;
    d->nr_vcpus = cfg->nr_vcpus;
    d->sched.weight = (uint16_t)(cfg->weight ? cfg->weight : SCHED_WEIGHT_DEFAULT);
    d->sched.cap = (uint16_t)cfg->cap;
    d->quota.max = ram_pages + DOMAIN_OVERHEAD_PAGES(ram_pages, cfg->nr_vcpus);
    d->quota.used = 1; /* this page */
    d->max_pages = ram_pages;
    d->kept = cfg->under_construction;
    sched_set_vcpu_dead_hook(vcpu_dead);
    rc = id_alloc(d, cfg->id);
    if (rc) {
        page_free(page, 0);
        return rc;
    }
    guest_console_init(&d->console, d->id);
    rc = domain_alloc_pages(d, 0, &d->shared_info);
    if (!rc) {
        rc = p2m_init(&d->p2m, d->id, &d->quota);
    }
    if (!rc) {
        rc = populate_ram(d);
    }
    if (!rc) {
        rc = vcpus_create(d, cfg);
    }
    if (!rc) {
        rc = arch_domain_init(d);
    }
    if (rc) {
        domain_destroy(d);
        return rc;
    }
    if (cfg->under_construction) {
        spin_lock(&domain_lock);
        d->ready = true; /* complete: the control domain that asked for it may look */
        spin_unlock(&domain_lock);
    }
    *out = d;
    return 0;
}

/* The last reference is gone: return every page, then tell the subscribers. */
static void domain_free(struct domain *d)
{
    bool started = d->state != DOM_BUILDING;
    char name[DOMAIN_NAME_MAX];
    unsigned reason = d->shutdown_reason;
    struct domain *target;
    domid_t id = d->id;

    for (struct domain_notifier *n = __atomic_load_n(&notifiers, __ATOMIC_ACQUIRE); n;
         n = n->next) {
        if (n->released) {
            n->released(n, d);
        }
    }
    if (d->mapper) {
        seal(d); /* a control domain's foreign maps of it go before its pages do */
    }
    arch_domain_teardown(d);
    for (unsigned i = 0; i < MAX_VCPUS; i++) {
        if (d->vcpus[i]) {
            sched_remove_vcpu(d->vcpus[i]);
            domain_free_pages(d, va_pa(d->vcpus[i]), 0);
        }
    }
    p2m_teardown(&d->p2m);
    while (d->extents) {
        struct extent_page *ep = d->extents;

        d->extents = ep->next;
        for (uint64_t i = 0; i < ep->count; i++) {
            domain_free_pages(d, ep->e[i].pa, ep->e[i].order);
        }
        domain_free_pages(d, va_pa(ep), 0);
    }
    if (pa_addr(d->shared_info)) {
        domain_free_pages(d, d->shared_info, 0);
    }
    BUG_ON(quota_used(&d->quota) != 1);
    memcpy(name, d->name, sizeof(name));
    target = d->target;
    page_free(va_pa(d), 0);
    if (target) {
        /* Its stage 2, foreign mappings included, is gone: the target may go now. */
        domain_put(target);
    }
    if (started) {
        for (struct domain_notifier *n = __atomic_load_n(&notifiers, __ATOMIC_ACQUIRE); n;
             n = n->next) {
            if (n->ended) {
                n->ended(n, id, name, reason);
            }
        }
    }
}

/* Take @d out of the id table: no new references. */
static void unpublish(struct domain *d)
{
    spin_lock(&domain_lock);
    if (domains[d->id] == d) {
        domains[d->id] = NULL;
    }
    if (d->target && d->target->stub == d) {
        d->target->stub = NULL;
    }
    spin_unlock(&domain_lock);
}

static void orphan_built_domains(void);

void domain_destroy(struct domain *d)
{
    unpublish(d);
    if (d->role == ROLE_CONTROL) {
        /* Its vCPUs run nowhere and no lock is held (callers: vcpu_dead, domain_kill,
         * a failed creation): the domains it built must not wait for it. */
        orphan_built_domains();
    }
    for (struct domain_notifier *n = __atomic_load_n(&notifiers, __ATOMIC_ACQUIRE); n;
         n = n->next) {
        if (n->killed) {
            n->killed(n, d);
        }
    }
    domain_put(d);
}

void domain_hold(struct domain *d)
{
    __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED);
}

struct domain *domain_get(domid_t id)
{
    struct domain *d = NULL;

    spin_lock(&domain_lock);
    if (id < MAX_DOMAINS && domains[id] && READ_ONCE(domains[id]->state) != DOM_DYING) {
        d = domains[id];
        __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED);
    }
    spin_unlock(&domain_lock);
    return d;
}

struct domain *domain_get_stub(struct domain *target)
{
    struct domain *s;

    spin_lock(&domain_lock);
    s = target->stub;
    if (s && (domains[s->id] != s || READ_ONCE(s->state) == DOM_DYING)) {
        s = NULL;
    }
    if (s) {
        __atomic_fetch_add(&s->refcnt, 1, __ATOMIC_RELAXED);
    }
    spin_unlock(&domain_lock);
    return s;
}

void domain_put(struct domain *d)
{
    if (__atomic_sub_fetch(&d->refcnt, 1, __ATOMIC_ACQ_REL) == 0) {
        domain_free(d);
    }
}

static void notify_exception(struct domain *d)
{
    for (struct domain_notifier *n = __atomic_load_n(&notifiers, __ATOMIC_ACQUIRE); n;
         n = n->next) {
        if (n->exception) {
            n->exception(n, d);
        }
    }
}

/* The scheduler's report: @v is off its CPU for good. The last one ends the domain,
 * unless it is kept for the control domain and no destroy was asked yet. */
static void vcpu_dead(struct vcpu *v)
{
    struct domain *d = v->dom;
    uint32_t old;

    if (__atomic_sub_fetch(&d->live_vcpus, 1, __ATOMIC_ACQ_REL) != 0) {
        return;
    }
    old = __atomic_fetch_or(&d->end_flags, END_VCPUS_OFF, __ATOMIC_ACQ_REL);
    if (!d->kept || (old & (END_KILL_ASKED | END_ORPHANED))) {
        domain_destroy(d);
    } else {
        notify_exception(d); /* shut down: the control domain reads why, then destroys */
    }
}

void domain_notifier_register(struct domain_notifier *n)
{
    /* Registered at most once each, possibly while others walk the list: publish a
     * complete entry with one release store. */
    spin_lock(&domain_lock);
    n->next = notifiers;
    __atomic_store_n(&notifiers, n, __ATOMIC_RELEASE);
    spin_unlock(&domain_lock);
}

bool domain_owns_ram(const struct domain *d, paddr_t pa)
{
    /* The extent list is written only while the domain is built. */
    for (const struct extent_page *ep = d->extents; ep; ep = ep->next) {
        for (uint64_t i = 0; i < ep->count; i++) {
            uint64_t base = pa_addr(ep->e[i].pa);

            if (pa_addr(pa) >= base && pa_addr(pa) - base < (PAGE_SIZE << ep->e[i].order)) {
                return true;
            }
        }
    }
    return false;
}

int domain_copy_in(struct domain *d, ipaddr_t dst, paddr_t src, uint64_t size)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    uint64_t done = 0;
    int rc = 0;

    while (done < size && rc == 0) {
        uint64_t ipa = ipa_addr(dst) + done;
        uint64_t chunk = MIN(size - done, PAGE_SIZE - (ipa & (PAGE_SIZE - 1)));
        paddr_t pa;

        rc = p2m_lookup(l, ipa_init(ipa), &pa, NULL) ? -EFAULT : 0;
        if (rc == 0) {
            memcpy(pa_va(pa), pa_va(pa_add(src, done)), chunk);
        }
        done += chunk;
    }
    p2m_unlock(l);
    return rc;
}

void domain_start(struct domain *d, uint64_t entry, uint64_t dtb)
{
    d->held_entry = entry;
    d->held_arg = dtb;
    d->live_vcpus = d->nr_vcpus;
    __atomic_store_n(&d->state, DOM_RUNNING, __ATOMIC_RELEASE);
    spin_lock(&domain_lock);
    d->ready = true;
    keep_for_control_locked(d); /* before any vCPU can end it */
    spin_unlock(&domain_lock);
    /* After held_entry/held_arg: a release that finds STARTED reads them. */
    uint32_t old = __atomic_fetch_or(&d->held, DOM_HOLD_STARTED, __ATOMIC_ACQ_REL);

    if ((old & DOM_HOLD_WAIT) && !(old & DOM_HOLD_GO)) {
        printk("bulkhead: d%u (%s): vCPUs held until its stub domain enables its device "
               "model\n",
               d->id, d->name);
        return;
    }
    /* A new domain's vCPU 0 is down and has never run: starting it cannot fail. */
    BUG_ON(sched_start_vcpu(d->vcpus[0], entry, dtb) != 0);
}

void domain_release_hold(struct domain *d)
{
    uint32_t old = __atomic_fetch_or(&d->held, DOM_HOLD_GO, __ATOMIC_ACQ_REL);

    /* Only the first enable of a held domain, and only once domain_start recorded where
     * to start: otherwise domain_start sees GO and starts it itself. */
    if (!(old & DOM_HOLD_WAIT) || (old & DOM_HOLD_GO) || !(old & DOM_HOLD_STARTED)) {
        return;
    }
    /* It never ran, so it is down and off its CPU: this cannot fail. A dying domain's
     * vCPU is reaped at its CPU's next decision anyway. */
    BUG_ON(sched_start_vcpu(d->vcpus[0], d->held_entry, d->held_arg) != 0);
}

int domain_pair_stub(struct domain *stub, struct domain *target)
{
    int rc = 0;

    spin_lock(&domain_lock);
    if (stub == target || stub->role != ROLE_STUB || target->role == ROLE_STUB ||
        target->role == ROLE_CONTROL) {
        rc = -EINVAL;
    } else if (domains[target->id] != target || target->state == DOM_DYING) {
        rc = -ESRCH;
    } else if (target->stub || stub->target) {
        rc = -EEXIST;
    } else {
        target->stub = stub;
        stub->target = target;
        target->refcnt++; /* under domain_lock, published: cannot be 0 */
    }
    spin_unlock(&domain_lock);
    if (rc == 0) {
        /* The stub serves its target's console: its lines print as "(d<target>)". */
        guest_console_set_label(stub, target->id);
    }
    return rc;
}

#define REFUSED_LOG_MAX 16

void domain_refused(struct domain *d, const char *what, uint16_t other)
{
    unsigned n = __atomic_fetch_add(&d->refused_logs, 1, __ATOMIC_RELAXED);

    if (n < REFUSED_LOG_MAX) {
        printk("bulkhead: d%u (%s): %s%s on d%u refused (-EPERM)\n", d->id, d->name,
               d->role == ROLE_STUB ? "stub domain: " : "", what, other);
    } else if (n == REFUSED_LOG_MAX) {
        printk("bulkhead: d%u (%s): further refusals not logged\n", d->id, d->name);
    }
}

bool domain_stub_may_reach(struct domain *d, uint16_t other, const char *what)
{
    if (d->role != ROLE_STUB || other == d->id || (d->target && other == d->target->id)) {
        return true;
    }
    domain_refused(d, what, other);
    return false;
}

int domain_map_shared_info(struct domain *d, uint64_t gfn)
{
    struct p2m_locked l;
    int rc;

    if (gfn >= p2m_ipa_limit(&d->p2m) >> PAGE_SHIFT) {
        return -EINVAL;
    }
    /* The page that was there (if any) stays the domain's: its extent still owns it. Two
     * vCPUs doing this at once are serialised by the p2m lock. */
    l = p2m_lock(&d->p2m);
    rc = p2m_map(l, ipa_init(gfn << PAGE_SHIFT), d->shared_info, PAGE_SIZE, PT_RW, PT_REPLACE);
    p2m_unlock(l);
    return rc;
}

static const char *const shutdown_names[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
};

/* The control domain has ended: nobody will destroy the domains it built. Those already
 * shut down go now; the others are freed as soon as their vCPUs are off, as boot-time
 * domains are. Exactly one of this and vcpu_dead / domain_kill destroys each. */
static void orphan_built_domains(void)
{
    struct domain *kept[MAX_DOMAINS];
    unsigned n = 0;

    spin_lock(&domain_lock);
    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        if (domains[i] && domains[i]->kept) {
            kept[n++] = domains[i];
            __atomic_fetch_add(&domains[i]->refcnt, 1, __ATOMIC_RELAXED);
        }
    }
    spin_unlock(&domain_lock);
    for (unsigned i = 0; i < n; i++) {
        struct domain *d = kept[i];
        uint32_t old;

        spin_lock(&d->ctl_lock);
        old = __atomic_fetch_or(&d->end_flags, END_ORPHANED, __ATOMIC_ACQ_REL);
        if (!(old & (END_ORPHANED | END_KILL_ASKED))) {
            if (READ_ONCE(d->state) == DOM_BUILDING) {
                old |= END_KILL_ASKED; /* never ran: nothing to wait for */
                __atomic_fetch_or(&d->end_flags, END_KILL_ASKED, __ATOMIC_ACQ_REL);
                seal(d);
                spin_unlock(&d->ctl_lock);
                domain_destroy(d);
                domain_put(d);
                continue;
            }
            if (old & END_VCPUS_OFF) {
                spin_unlock(&d->ctl_lock);
                domain_destroy(d);
                domain_put(d);
                continue;
            }
        }
        spin_unlock(&d->ctl_lock);
        domain_put(d);
    }
}

/* Mark @d dying and take its vCPUs off their CPUs; the last one out destroys it. */
static bool domain_begin_dying(struct domain *d, unsigned reason)
{
    bool first;

    spin_lock(&domain_lock);
    first = d->state != DOM_DYING;
    if (first) {
        d->state = DOM_DYING;
        d->shutdown_reason = reason;
    }
    spin_unlock(&domain_lock);
    if (first) {
        guest_console_close(&d->console);
        notify_exception(d);
    }
    return first;
}

/* The pairing policy once @d has begun dying: a stub's end crashes its target; a
 * target's end shuts its stub down. */
static void end_partner(struct domain *d)
{
    struct domain *partner = NULL;

    spin_lock(&domain_lock);
    if (d->target) {
        partner = d->target; /* held by @d until @d is freed */
        __atomic_fetch_add(&partner->refcnt, 1, __ATOMIC_RELAXED);
    } else if (d->stub) {
        partner = d->stub; /* published, so its own reference is there */
        __atomic_fetch_add(&partner->refcnt, 1, __ATOMIC_RELAXED);
    }
    spin_unlock(&domain_lock);
    if (!partner) {
        return;
    }
    if (d->target) {
        domain_crash(partner, "its stub domain d%u ended", d->id);
    } else if (domain_begin_dying(partner, SHUTDOWN_poweroff)) {
        printk("bulkhead: d%u (%s) destroyed: its target d%u ended\n", partner->id, partner->name,
               d->id);
        sched_domain_dying(partner);
    }
    domain_put(partner);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    char why[160];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (domain_begin_dying(d, SHUTDOWN_crash)) {
        printk("bulkhead: d%u (%s) crashed: %s\n", d->id, d->name, why);
        sched_domain_dying(d);
        end_partner(d);
    }
}

void domain_shutdown(struct domain *d, unsigned reason)
{
    if (reason == SHUTDOWN_crash) {
        domain_crash(d, "the guest reported a crash (SHUTDOWN_crash)");
        return;
    }
    if (domain_begin_dying(d, reason)) {
        printk("bulkhead: d%u (%s) shut down: %s\n", d->id, d->name,
               reason < ARRAY_SIZE(shutdown_names) ? shutdown_names[reason] : "unknown");
        sched_domain_dying(d);
        end_partner(d);
    }
}

unsigned domain_count(void)
{
    unsigned n = 0;

    spin_lock(&domain_lock);
    for (unsigned i = 0; i < MAX_DOMAINS; i++) {
        n += domains[i] != NULL;
    }
    spin_unlock(&domain_lock);
    return n;
}

struct domain *domain_find(const char *name)
{
    struct domain *found = NULL;

    spin_lock(&domain_lock);
    for (unsigned i = 0; i < MAX_DOMAINS && !found; i++) {
        if (domains[i] && strcmp(domains[i]->name, name) == 0) {
            found = domains[i];
        }
    }
    spin_unlock(&domain_lock);
    return found;
}

/* ---- control operations (docs/control.md) ---- */

int domain_set_max_mem(struct domain *d, uint64_t pages)
{
    uint64_t max;

    if (pages > arch_guest_ram_max() >> PAGE_SHIFT || pages < READ_ONCE(d->ram_pages)) {
        return -EINVAL;
    }
    max = pages + DOMAIN_OVERHEAD_PAGES(pages, d->nr_vcpus);
    if (max < quota_used(&d->quota)) {
        return -EINVAL;
    }
    WRITE_ONCE(d->max_pages, pages);
    WRITE_ONCE(d->quota.max, max);
    return 0;
}

int domain_populate(struct domain *d, uint64_t gfn, unsigned order)
{
    uint64_t base = ipa_addr(d->ram_base), size = PAGE_SIZE << order;
    uint64_t ipa = gfn << PAGE_SHIFT;
    struct p2m_locked l;
    paddr_t pa;
    int rc;

    if ((order != 0 && order != 9) || gfn >= (1ull << (64 - PAGE_SHIFT)) ||
        !IS_ALIGNED(ipa, size) || ipa < base || ipa - base + size > arch_guest_ram_max()) {
        return -EINVAL;
    }
    l = p2m_lock(&d->p2m);
    if (d->sealed) {
        rc = -EPERM;
    } else if (d->ram_pages + (1ull << order) > d->max_pages) {
        rc = -ENOMEM;
    } else {
        rc = 0;
        for (uint64_t off = 0; off < size && rc == 0; off += PAGE_SIZE) {
            rc = p2m_lookup(l, ipa_init(ipa + off), &pa, NULL) == 0 ? -EEXIST : 0;
        }
    }
    if (rc == 0) {
        rc = populate_one(l, d, ipa, order);
    }
    p2m_unlock(l);
    return rc;
}

/* The foreign window (ioreq.h) of a domain's guest-physical space. */
static bool in_foreign_window(uint64_t gpfn)
{
    uint64_t base = (arch_guest_ram_base() + arch_guest_ram_max()) >> PAGE_SHIFT;

    return gpfn >= base && gpfn - base < (IOREQ_FOREIGN_WINDOW >> PAGE_SHIFT);
}

int domain_foreign_map(struct domain *ctl, struct domain *target, uint64_t gfn, uint64_t gpfn)
{
    struct p2m_locked lc, lt;
    paddr_t pa;
    int rc;

    if (ctl == target || !in_foreign_window(gpfn) ||
        gfn >= p2m_ipa_limit(&target->p2m) >> PAGE_SHIFT) {
        return -EINVAL;
    }
    p2m_lock_two(&ctl->p2m, &target->p2m, &lc, &lt);
    if (target->sealed || (target->mapper && target->mapper != ctl)) {
        rc = -EPERM;
    } else {
        rc = p2m_lookup(lt, ipa_init(gfn << PAGE_SHIFT), &pa, NULL);
        /* Only its RAM: not its shared_info, nor pages granted to it. */
        rc = rc || !domain_owns_ram(target, pa) ? -EPERM : 0;
    }
    if (rc == 0) {
        rc = p2m_map(lc, ipa_init(gpfn << PAGE_SHIFT), pa_init(pa_addr(pa) & ~(PAGE_SIZE - 1)),
                     PAGE_SIZE, PT_RW, PT_REPLACE);
    }
    if (rc == 0) {
        if (!target->mapper) {
            domain_hold(ctl); /* its p2m stays until the revoke below */
            target->mapper = ctl;
            target->map_lo = target->map_hi = gpfn;
        }
        target->map_lo = MIN(target->map_lo, gpfn);
        target->map_hi = MAX(target->map_hi, gpfn);
    }
    p2m_unlock(lt);
    p2m_unlock(lc);
    return rc;
}

/* End construction for good: no new foreign maps, and the mapper's are unmapped. */
static void seal(struct domain *d)
{
    struct domain *ctl;
    struct p2m_locked l;

    l = p2m_lock(&d->p2m);
    d->sealed = true;
    ctl = d->mapper;
    d->mapper = NULL;
    p2m_unlock(l);
    if (!ctl) {
        return;
    }
    struct p2m_locked lc, lt;

    p2m_lock_two(&ctl->p2m, &d->p2m, &lc, &lt);
    for (uint64_t g = d->map_lo; g <= d->map_hi; g++) {
        paddr_t pa;

        if (p2m_lookup(lc, ipa_init(g << PAGE_SHIFT), &pa, NULL) == 0 && domain_owns_ram(d, pa)) {
            /* Only unmaps, which allocate nothing: cannot fail. */
            BUG_ON(p2m_unmap(lc, ipa_init(g << PAGE_SHIFT), PAGE_SIZE) != 0);
        }
    }
    p2m_unlock(lt);
    p2m_unlock(lc);
    domain_put(ctl);
}

int domain_set_context(struct domain *d, uint64_t entry, uint64_t arg)
{
    int rc = 0;

    spin_lock(&d->ctl_lock);
    if (d->state != DOM_BUILDING) {
        rc = -EPERM;
    } else {
        d->ctx_entry = entry;
        d->ctx_arg = arg;
        d->ctx_set = true;
    }
    spin_unlock(&d->ctl_lock);
    return rc;
}

int domain_unpause(struct domain *d)
{
    int rc = 0;

    spin_lock(&d->ctl_lock);
    if (__atomic_load_n(&d->end_flags, __ATOMIC_ACQUIRE) & END_KILL_ASKED) {
        rc = -ESRCH; /* destroyed meanwhile (the caller looked it up before) */
    } else if (READ_ONCE(d->state) == DOM_BUILDING) {
        if (!d->ctx_set) {
            rc = -EINVAL;
        } else {
            seal(d);
            domain_start(d, d->ctx_entry, d->ctx_arg);
        }
    } else if (READ_ONCE(d->state) == DOM_RUNNING) {
        sched_unpause_domain(d);
    }
    spin_unlock(&d->ctl_lock);
    return rc;
}

int domain_pause(struct domain *d)
{
    int rc = 0;

    spin_lock(&d->ctl_lock);
    if (READ_ONCE(d->state) == DOM_RUNNING) {
        sched_pause_domain(d);
    } else if (READ_ONCE(d->state) == DOM_DYING) {
        rc = -EINVAL;
    }
    /* Under construction it is paused already (never run), as Xen's new domains are. */
    spin_unlock(&d->ctl_lock);
    return rc;
}

void domain_kill(struct domain *d)
{
    bool building;
    uint32_t old;

    spin_lock(&d->ctl_lock);
    old = __atomic_fetch_or(&d->end_flags, END_KILL_ASKED, __ATOMIC_ACQ_REL);
    if (old & END_KILL_ASKED) {
        spin_unlock(&d->ctl_lock);
        return;
    }
    building = READ_ONCE(d->state) == DOM_BUILDING;
    seal(d);
    if (building) {
        /* No vCPU ever ran: nothing to take off a CPU. It is not marked dying, so no
         * scheduler reaps its (never started) vCPUs while it is freed. */
        spin_unlock(&d->ctl_lock);
        domain_destroy(d);
        notify_exception(d); /* still allocated: the caller holds a reference */
        return;
    }
    if (domain_begin_dying(d, d->shutdown_reason)) {
        printk("bulkhead: d%u (%s) destroyed by the control domain\n", d->id, d->name);
        sched_domain_dying(d);
        end_partner(d);
    } else if (d->kept && (old & END_VCPUS_OFF) && !(old & END_ORPHANED)) {
        /* Shut down before and kept for the control domain: it goes now. */
        spin_unlock(&d->ctl_lock);
        domain_destroy(d);
        return;
    }
    /* Otherwise the last vCPU off its CPU destroys it (vcpu_dead sees END_KILL_ASKED);
     * the scheduler reaps a paused domain's vCPUs too. */
    spin_unlock(&d->ctl_lock);
}

int domain_set_target(struct domain *stub, struct domain *target)
{
    enum domain_role was;
    int rc = 0;

    spin_lock(&stub->ctl_lock);
    was = stub->role;
    if (READ_ONCE(stub->state) != DOM_BUILDING || (was != ROLE_GUEST && was != ROLE_STUB)) {
        rc = -EINVAL; /* a stub is chosen before it runs, and never the control domain */
    } else {
        stub->role = ROLE_STUB;
        rc = domain_pair_stub(stub, target);
        if (rc) {
            stub->role = was;
        }
    }
    spin_unlock(&stub->ctl_lock);
    if (rc) {
        return rc;
    }
    printk("bulkhead: d%u (%s) is the stub domain of d%u (%s)\n", stub->id, stub->name, target->id,
           target->name);
    /* As for boot-time pairs: a target not started yet waits for its device model. */
    spin_lock(&target->ctl_lock);
    if (READ_ONCE(target->state) == DOM_BUILDING) {
        __atomic_fetch_or(&target->held, DOM_HOLD_WAIT, __ATOMIC_ACQ_REL);
    }
    spin_unlock(&target->ctl_lock);
    return 0;
}

int domain_remote_shutdown(struct domain *d, unsigned reason)
{
    int rc = 0;

    spin_lock(&d->ctl_lock);
    if (READ_ONCE(d->state) == DOM_BUILDING) {
        rc = -EINVAL;
    } else {
        domain_shutdown(d, reason);
    }
    spin_unlock(&d->ctl_lock);
    return rc;
}

struct domain *domain_get_any(domid_t id)
{
    struct domain *d = NULL;

    spin_lock(&domain_lock);
    if (id < MAX_DOMAINS && domains[id] && domains[id]->ready) {
        d = domains[id];
        __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED);
    }
    spin_unlock(&domain_lock);
    return d;
}

struct domain *domain_get_next(domid_t first)
{
    struct domain *d = NULL;

    spin_lock(&domain_lock);
    for (unsigned i = first; i < MAX_DOMAINS && !d; i++) {
        if (domains[i] && domains[i]->ready) {
            d = domains[i];
            __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED);
        }
    }
    spin_unlock(&domain_lock);
    return d;
}

struct domain *domain_get_control(void)
{
    struct domain *d = NULL;

    spin_lock(&domain_lock);
    for (unsigned i = 0; i < MAX_DOMAINS && !d; i++) {
        if (domains[i] && domains[i]->role == ROLE_CONTROL &&
            READ_ONCE(domains[i]->state) != DOM_DYING) {
            d = domains[i];
            __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_RELAXED);
        }
    }
    spin_unlock(&domain_lock);
    return d;
}

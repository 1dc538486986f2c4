/* SPDX-License-Identifier: MIT */
/* Domain life cycle: creation with scrubbed, charged memory; crash and shutdown; teardown
 * that returns every page. */
#include <stdarg.h>
#include <string.h>

#include <fmt.h>
#include <stdint.h>

#include <xen/sched.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

/* Bookkeeping allowance on top of RAM: struct domain, vCPUs, stage-2 tables, extent
 * pages, shared_info. */
#define DOMAIN_OVERHEAD_PAGES(ram_pages, vcpus) (16 + (vcpus) + ((ram_pages) >> 8))

static struct spinlock domain_lock = SPINLOCK_INIT;
static struct domain *domains[MAX_DOMAINS];

int domain_alloc_pages(struct domain *d, unsigned order, paddr_t *out)
{
    int rc;

    /* Stage-2 tables count too: a guest remapping far and wide must not grow them
     * without bound. */
    if (d->pages + d->p2m.tables + (1ull << order) > d->max_pages) {
        return -ENOMEM;
    }
    rc = page_alloc_zeroed(order, out);
    if (rc == 0) {
        d->pages += 1ull << order;
    }
    return rc;
}

void domain_free_pages(struct domain *d, paddr_t pa, unsigned order)
{
    page_free(pa, order);
    d->pages -= 1ull << order;
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

/* Guest RAM: the largest naturally aligned blocks that fit, so stage 2 uses blocks. */
static int populate_ram(struct domain *d)
{
    uint64_t ipa = ipa_addr(d->ram_base), end = ipa + d->ram_size;

    while (ipa < end) {
        unsigned order = 9; /* 2 MiB: a stage-2 block on both arches */
        paddr_t pa;
        int rc;

        while (order &&
               (!IS_ALIGNED(ipa, PAGE_SIZE << order) || ipa + (PAGE_SIZE << order) > end)) {
            order--;
        }
        rc = domain_alloc_pages(d, order, &pa);
        if (!rc) {
            rc = extent_add(d, pa, order);
            if (rc) {
                domain_free_pages(d, pa, order);
            }
        }
        if (!rc) {
            rc = pt_map(&d->p2m, ipa, pa, PAGE_SIZE << order, PT_RW | PT_X);
        }
        if (rc) {
            return rc;
        }
        ipa += PAGE_SIZE << order;
    }
    return 0;
}

static int vcpus_create(struct domain *d)
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
        d->vcpus[i] = v;
        rc = sched_add_vcpu(v);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

/* Ids are handed out round robin, as Xen does: a new domain does not take the id of one
 * that just ended, so logs and tools never confuse the two. */
static int id_alloc(struct domain *d)
{
    static domid_t next_id = 1;
    int rc = -ENOSPC;

    spin_lock(&domain_lock);
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
    if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > MAX_VCPUS) {
        return -EINVAL;
    }
    if (cfg->ram_size == 0 || !IS_ALIGNED(cfg->ram_size, PAGE_SIZE) ||
        cfg->ram_size > arch_guest_ram_max()) {
        return -EINVAL;
    }
    return 0;
}

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
    d->ram_base = ipa_init(arch_guest_ram_base());
    d->ram_size = cfg->ram_size;
    d->nr_vcpus = cfg->nr_vcpus;
    d->max_pages = ram_pages + DOMAIN_OVERHEAD_PAGES(ram_pages, cfg->nr_vcpus);
    d->pages = 1;
    d->con_tokens = 64 * 1000;
    d->con_refill_at = arch_timer_now();
    rc = id_alloc(d);
    if (rc) {
        page_free(page, 0);
        return rc;
    }
    rc = domain_alloc_pages(d, 0, &d->shared_info);
    if (!rc) {
        rc = pt_init(&d->p2m, &arch_stage2_pt_format);
    }
    if (!rc) {
        rc = arch_domain_init(d);
    }
    if (!rc) {
        rc = populate_ram(d);
    }
    if (!rc) {
        rc = vcpus_create(d);
    }
    if (rc) {
        domain_destroy(d);
        return rc;
    }
    *out = d;
    return 0;
}

void domain_destroy(struct domain *d)
{
    paddr_t self = va_pa(d);

    for (unsigned i = 0; i < MAX_VCPUS; i++) {
        if (d->vcpus[i]) {
            sched_remove_vcpu(d->vcpus[i]);
            domain_free_pages(d, va_pa(d->vcpus[i]), 0);
        }
    }
    if (pa_addr(d->p2m.root)) {
        pt_destroy(&d->p2m);
        arch_domain_flush_tlb(d);
    }
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
    BUG_ON(d->pages != 1);
    spin_lock(&domain_lock);
    if (domains[d->id] == d) {
        domains[d->id] = NULL;
    }
    spin_unlock(&domain_lock);
    page_free(self, 0);
}

int domain_copy_in(struct domain *d, ipaddr_t dst, paddr_t src, uint64_t size)
{
    uint64_t done = 0;

    while (done < size) {
        uint64_t ipa = ipa_addr(dst) + done;
        uint64_t chunk = MIN(size - done, PAGE_SIZE - (ipa & (PAGE_SIZE - 1)));
        paddr_t pa;

        if (pt_lookup(&d->p2m, ipa, &pa, NULL) != 0) {
            return -EFAULT;
        }
        memcpy(pa_va(pa), pa_va(pa_add(src, done)), chunk);
        done += chunk;
    }
    return 0;
}

void domain_start(struct domain *d, uint64_t entry, uint64_t dtb)
{
    d->state = DOM_RUNNING;
    d->live_vcpus = d->nr_vcpus;
    /* A new domain's vCPU 0 is down and has never run: starting it cannot fail. */
    BUG_ON(sched_start_vcpu(d->vcpus[0], entry, dtb) != 0);
}

int domain_map_shared_info(struct domain *d, uint64_t gfn)
{
    uint64_t ipa = gfn << PAGE_SHIFT;
    int rc;

    if (gfn >= (1ull << (pt_va_bits(d->p2m.fmt) - PAGE_SHIFT))) {
        return -EINVAL;
    }
    if (d->pages + d->p2m.tables + 4 > d->max_pages) {
        return -ENOMEM; /* no room for the tables a remap may need */
    }
    /* The page that was there (if any) stays the domain's: its extent still owns it. */
    rc = pt_unmap(&d->p2m, ipa, PAGE_SIZE);
    if (!rc) {
        rc = pt_map(&d->p2m, ipa, d->shared_info, PAGE_SIZE, PT_RW);
    }
    arch_domain_flush_tlb(d);
    return rc;
}

static const char *const shutdown_names[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
};

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
        console_guest_flush(d);
        if (d->con_dropped) {
            printk("(d%u) [%llu lines dropped: console rate limit]\n", d->id,
                   (unsigned long long)d->con_dropped);
        }
    }
    return first;
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

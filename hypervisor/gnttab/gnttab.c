/* SPDX-License-Identifier: MIT */
/* Grant tables v1. See include/bulkhead/gnttab.h. */
#include <string.h>

#include <stdint.h>

#include <xen/grant_table.h>
#include <xen/xen.h>

#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/gnttab.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/p2m.h>
#include <bulkhead/printk.h>

#define INVALID_GFN (~0ull)

/* Pin counts of one entry while grants of it are mapped or copied. */
struct gnttab_active {
    uint16_t readers;
    uint16_t writers;
};

/* One mapping a domain made of another's grant; its handle is its index. */
struct gnttab_maptrack {
    struct domain *granter; /* NULL: free; else a reference held on it */
    uint64_t gpa;           /* where in the mapper's physmap */
    uint32_t ref;
    uint32_t readonly;
    uint64_t pad;
};

_Static_assert(sizeof(struct gnttab_active) * GNTTAB_PER_FRAME <= PAGE_SIZE, "a page");
_Static_assert(sizeof(struct gnttab_maptrack) * GNTTAB_MAPTRACK_PER_PAGE <= PAGE_SIZE, "a page");
_Static_assert(sizeof(struct grant_entry_v1) * GNTTAB_PER_FRAME == PAGE_SIZE, "v1 frames");

static unsigned registered;
static struct domain_notifier notifier;

/* Where each frame is in the guest's physmap (for setup_table), INVALID_GFN if nowhere. */
static uint64_t *frame_gfns(struct domain *d)
{
    return d->gnttab.frame_gfn;
}

static void lock_two(struct domain *a, struct domain *b)
{
    if (a == b) {
        spin_lock(&a->gnttab.lock);
    } else if (a->id < b->id) {
        spin_lock(&a->gnttab.lock);
        spin_lock(&b->gnttab.lock);
    } else {
        spin_lock(&b->gnttab.lock);
        spin_lock(&a->gnttab.lock);
    }
}

static void unlock_two(struct domain *a, struct domain *b)
{
    spin_unlock(&a->gnttab.lock);
    if (a != b) {
        spin_unlock(&b->gnttab.lock);
    }
}

/* Under the lock: grow the table to @nr frames (zeroed, charged to @d). */
static int grow(struct domain *d, uint32_t nr)
{
    struct gnttab_domain *gt = &d->gnttab;

    if (nr > GNTTAB_MAX_FRAMES) {
        return -EINVAL;
    }
    while (gt->nr_frames < nr) {
        paddr_t frame, active;
        int rc = domain_alloc_pages(d, 0, &frame);

        if (rc) {
            return rc;
        }
        rc = domain_alloc_pages(d, 0, &active);
        if (rc) {
            domain_free_pages(d, frame, 0);
            return rc;
        }
        gt->frames[gt->nr_frames] = frame;
        gt->active[gt->nr_frames] = pa_va(active);
        frame_gfns(d)[gt->nr_frames] = INVALID_GFN;
        gt->nr_frames++;
    }
    return 0;
}

static struct grant_entry_v1 *entry(struct domain *g, uint32_t ref)
{
    struct grant_entry_v1 *frame = pa_va(g->gnttab.frames[ref / GNTTAB_PER_FRAME]);

    return &frame[ref % GNTTAB_PER_FRAME];
}

static struct gnttab_active *active(struct domain *g, uint32_t ref)
{
    return &g->gnttab.active[ref / GNTTAB_PER_FRAME][ref % GNTTAB_PER_FRAME];
}

/* The flags and domid of an entry as one 32-bit word (flags low, little-endian), so the
 * hypervisor changes flags only if the guest has not changed either meanwhile. */
static uint32_t *combo(struct grant_entry_v1 *e)
{
    _Static_assert(__builtin_offsetof(struct grant_entry_v1, domid) == 2, "v1 layout");
    return (uint32_t *)(void *)e;
}

/* Under @g's lock: pin grant @ref of @g for domain @who; its frame in @gfn. */
static int16_t acquire(struct domain *g, uint32_t ref, domid_t who, bool readonly, uint64_t *gfn)
{
    struct grant_entry_v1 *e;
    uint32_t old, want;

    if (ref >= g->gnttab.nr_frames * GNTTAB_PER_FRAME) {
        return GNTST_bad_gntref;
    }
    e = entry(g, ref);
    old = __atomic_load_n(combo(e), __ATOMIC_ACQUIRE);
    do {
        uint16_t flags = (uint16_t)old, domid = (uint16_t)(old >> 16);

        if ((flags & GTF_type_mask) != GTF_permit_access || domid != who ||
            (flags & GTF_sub_page)) {
            return GNTST_bad_gntref;
        }
        if (!readonly && (flags & GTF_readonly)) {
            return GNTST_permission_denied;
        }
        want = old | GTF_reading | (readonly ? 0 : GTF_writing);
    } while (!__atomic_compare_exchange_n(combo(e), &old, want, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    active(g, ref)->readers += readonly ? 1 : 0;
    active(g, ref)->writers += readonly ? 0 : 1;
    *gfn = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
    return GNTST_okay;
}

/* Under @g's lock: drop a pin; clear GTF_writing / GTF_reading when the last goes. */
static void release(struct domain *g, uint32_t ref, bool readonly)
{
    struct gnttab_active *a = active(g, ref);
    uint32_t clear = 0;

    if (readonly) {
        a->readers--;
    } else {
        a->writers--;
    }
    clear |= a->writers ? 0 : GTF_writing;
    clear |= a->readers + a->writers ? 0 : GTF_reading;
    __atomic_fetch_and(combo(entry(g, ref)), ~clear, __ATOMIC_ACQ_REL);
}

/* @d's own RAM page at @gfn (writable if @write). */
static int16_t gfn_to_pa(struct domain *d, uint64_t gfn, bool write, paddr_t *pa)
{
    struct p2m_locked l;
    unsigned attr = 0;
    int rc;

    if (gfn >= p2m_ipa_limit(&d->p2m) >> PAGE_SHIFT) {
        return GNTST_bad_page;
    }
    l = p2m_lock(&d->p2m);
    rc = p2m_lookup(l, ipa_init(gfn << PAGE_SHIFT), pa, &attr);
    p2m_unlock(l);
    /* Only the domain's own RAM: a page granted to it by a third domain could be
     * unmapped and freed while the grant or copy still uses it. */
    if (rc || (attr & PT_DEVICE) || (write && !(attr & PT_W)) || !domain_owns_ram(d, *pa)) {
        return GNTST_bad_page;
    }
    return GNTST_okay;
}

/* ---- the table in the guest's physmap ---- */

int gnttab_map_frame(struct domain *d, uint64_t idx, uint64_t gfn)
{
    struct p2m_locked l;
    int rc;

    if (idx >= GNTTAB_MAX_FRAMES || gfn >= p2m_ipa_limit(&d->p2m) >> PAGE_SHIFT) {
        return -EINVAL;
    }
    gnttab_register();
    spin_lock(&d->gnttab.lock);
    rc = grow(d, (uint32_t)idx + 1);
    if (rc == 0) {
        l = p2m_lock(&d->p2m);
        rc = p2m_map(l, ipa_init(gfn << PAGE_SHIFT), d->gnttab.frames[idx], PAGE_SIZE, PT_RW,
                     PT_REPLACE);
        p2m_unlock(l);
    }
    if (rc == 0) {
        frame_gfns(d)[idx] = gfn;
    }
    spin_unlock(&d->gnttab.lock);
    return rc;
}

int gnttab_seed(struct domain *d, uint32_t ref, domid_t grantee, uint64_t gfn)
{
    struct grant_entry_v1 *e;
    int rc;

    if (gfn > UINT32_MAX) {
        return -EINVAL; /* a v1 entry's frame is 32 bits */
    }
    gnttab_register(); /* its notifier frees the table with the domain */
    spin_lock(&d->gnttab.lock);
    rc = grow(d, ref / GNTTAB_PER_FRAME + 1);
    if (rc == 0) {
        e = entry(d, ref);
        e->frame = (uint32_t)gfn;
        /* Flags and domid last, in one word: a mapper that sees the grant sees its frame. */
        __atomic_store_n(combo(e), GTF_permit_access | (uint32_t)grantee << 16, __ATOMIC_RELEASE);
    }
    spin_unlock(&d->gnttab.lock);
    return rc;
}

/* ---- map, unmap ---- */

/* Under @m's lock: a free maptrack record (pages charged to @m), or -1. */
static int maptrack_alloc(struct domain *m)
{
    for (unsigned h = 0; h < GNTTAB_MAPTRACK_MAX; h++) {
        struct gnttab_maptrack **page = &m->gnttab.maptrack[h / GNTTAB_MAPTRACK_PER_PAGE];

        if (!*page) {
            paddr_t pa;

            if (domain_alloc_pages(m, 0, &pa) != 0) {
                return -1;
            }
            *page = pa_va(pa);
        }
        if (!(*page)[h % GNTTAB_MAPTRACK_PER_PAGE].granter) {
            return (int)h;
        }
    }
    return -1;
}

static struct gnttab_maptrack *maptrack(struct domain *m, uint32_t handle)
{
    struct gnttab_maptrack *page;

    if (handle >= GNTTAB_MAPTRACK_MAX) {
        return NULL;
    }
    page = m->gnttab.maptrack[handle / GNTTAB_MAPTRACK_PER_PAGE];
    return page && page[handle % GNTTAB_MAPTRACK_PER_PAGE].granter
               ? &page[handle % GNTTAB_MAPTRACK_PER_PAGE]
               : NULL;
}

static int16_t map_one(struct domain *m, struct gnttab_map_grant_ref *op)
{
    bool ro = op->flags & GNTMAP_readonly;
    domid_t gid = op->dom == DOMID_SELF ? m->id : op->dom;
    struct domain *g;
    struct p2m_locked l;
    uint64_t gfn = 0;
    int16_t st = GNTST_okay;
    int handle = -1;
    paddr_t pa;

    /* Auto-translated guests (Xen on Arm) map into their physmap only. */
    if (!(op->flags & GNTMAP_host_map) ||
        (op->flags & (GNTMAP_device_map | GNTMAP_application_map | GNTMAP_contains_pte))) {
        return GNTST_general_error;
    }
    if ((op->host_addr & (PAGE_SIZE - 1)) || op->host_addr >= p2m_ipa_limit(&m->p2m)) {
        return GNTST_bad_virt_addr;
    }
    if (!domain_stub_may_reach(m, gid, "grant map")) {
        return GNTST_permission_denied; /* a stub maps grants of its target only */
    }
    g = gid == m->id ? m : domain_get(gid);
    if (!g) {
        return GNTST_bad_domain;
    }
    if (g == m) {
        domain_hold(m);
    }
    lock_two(m, g);
    handle = maptrack_alloc(m);
    st = handle < 0 ? GNTST_no_space : acquire(g, op->ref, m->id, ro, &gfn);
    if (st == GNTST_okay) {
        st = gfn_to_pa(g, gfn, !ro, &pa);
        if (st == GNTST_okay) {
            l = p2m_lock(&m->p2m);
            st = p2m_map(l, ipa_init(op->host_addr), pa, PAGE_SIZE, ro ? PT_R : PT_RW, PT_REPLACE)
                     ? GNTST_no_space
                     : GNTST_okay;
            p2m_unlock(l);
        }
        if (st != GNTST_okay) {
            release(g, op->ref, ro);
        }
    }
    if (st == GNTST_okay) {
        struct gnttab_maptrack *t =
            &m->gnttab
                 .maptrack[handle / GNTTAB_MAPTRACK_PER_PAGE][handle % GNTTAB_MAPTRACK_PER_PAGE];

        *t = (struct gnttab_maptrack){
            .granter = g, .gpa = op->host_addr, .ref = op->ref, .readonly = ro};
        m->gnttab.nr_maps++;
        op->handle = (grant_handle_t)handle;
        op->dev_bus_addr = 0;
    }
    unlock_two(m, g);
    if (st != GNTST_okay) {
        domain_put(g); /* the mapping's reference is kept only on success */
    }
    return st;
}

/* Undo mapping @t of @m: out of @m's physmap (invalidated), then the pin dropped and the
 * record freed; the caller drops the granter's reference with no lock held. The pin goes
 * only once the mapping is gone (the granter may then revoke and reuse the page), unless
 * @m is dead (@dead: no vCPU of it runs, and its tables go with it). */
static int16_t unmap_record(struct domain *m, struct gnttab_maptrack *t, bool dead)
{
    struct p2m_locked l = p2m_lock(&m->p2m);
    /* A hole afterwards, as Xen leaves; the page is the granter's. The map wrote a 4 KiB
     * leaf, so this needs no table and cannot run out of memory. */
    int rc = p2m_unmap(l, ipa_init(t->gpa), PAGE_SIZE);

    p2m_unlock(l);
    if (rc && !dead) {
        return GNTST_general_error;
    }
    release(t->granter, t->ref, t->readonly);
    *t = (struct gnttab_maptrack){0};
    m->gnttab.nr_maps--;
    return GNTST_okay;
}

static int16_t unmap_handle(struct domain *m, uint32_t handle, uint64_t host_addr, bool dead)
{
    struct gnttab_maptrack *t;
    struct domain *g = NULL;
    int16_t st = GNTST_okay;

    spin_lock(&m->gnttab.lock);
    t = maptrack(m, handle);
    if (t) {
        g = t->granter;
        domain_hold(g); /* across the relock in order */
    }
    spin_unlock(&m->gnttab.lock);
    if (!g) {
        return GNTST_bad_handle;
    }
    lock_two(m, g);
    t = maptrack(m, handle);
    if (!t || t->granter != g) {
        st = GNTST_bad_handle;
    } else if (host_addr && host_addr != t->gpa) {
        st = GNTST_bad_virt_addr;
    } else {
        st = unmap_record(m, t, dead);
    }
    unlock_two(m, g);
    if (st == GNTST_okay) {
        domain_put(g); /* the mapping's */
    }
    domain_put(g); /* ours */
    return st;
}

static int16_t unmap_one(struct domain *m, struct gnttab_unmap_grant_ref *op)
{
    return unmap_handle(m, op->handle, op->host_addr, false);
}

/* ---- copy ---- */

struct copy_end {
    struct domain *g; /* the granter for a gref, else NULL (the caller's own frame) */
    uint32_t ref;
    paddr_t page;
};

static int16_t copy_end_get(struct domain *d, const struct gnttab_copy_ptr *p, bool gref,
                            bool write, struct copy_end *c)
{
    domid_t id = p->domid == DOMID_SELF ? d->id : p->domid;
    uint64_t gfn = p->u.gmfn;
    int16_t st;

    c->g = NULL;
    if (!gref) {
        /* A frame by number is the caller's own (no foreign access without a grant). */
        return id == d->id ? gfn_to_pa(d, gfn, write, &c->page) : GNTST_permission_denied;
    }
    if (!domain_stub_may_reach(d, id, "grant copy")) {
        return GNTST_permission_denied; /* a stub copies grants of its target only */
    }
    c->g = id == d->id ? d : domain_get(id);
    if (!c->g) {
        return GNTST_bad_domain;
    }
    if (c->g == d) {
        domain_hold(d);
    }
    c->ref = p->u.ref;
    spin_lock(&c->g->gnttab.lock);
    st = acquire(c->g, c->ref, d->id, !write, &gfn);
    if (st == GNTST_okay) {
        st = gfn_to_pa(c->g, gfn, write, &c->page);
        if (st != GNTST_okay) {
            release(c->g, c->ref, !write);
        }
    }
    spin_unlock(&c->g->gnttab.lock);
    if (st != GNTST_okay) {
        domain_put(c->g);
        c->g = NULL;
    }
    return st;
}

static void copy_end_put(struct copy_end *c, bool write)
{
    if (c->g) {
        spin_lock(&c->g->gnttab.lock);
        release(c->g, c->ref, !write);
        spin_unlock(&c->g->gnttab.lock);
        domain_put(c->g);
    }
}

static int16_t copy_one(struct domain *d, const struct gnttab_copy *op)
{
    struct copy_end src, dst;
    int16_t st;

    if ((uint32_t)op->source.offset + op->len > PAGE_SIZE ||
        (uint32_t)op->dest.offset + op->len > PAGE_SIZE) {
        return GNTST_bad_copy_arg;
    }
    st = copy_end_get(d, &op->source, op->flags & GNTCOPY_source_gref, false, &src);
    if (st != GNTST_okay) {
        return st;
    }
    st = copy_end_get(d, &op->dest, op->flags & GNTCOPY_dest_gref, true, &dst);
    if (st == GNTST_okay) {
        /* memmove: the two ends may be the same page. */
        memmove((char *)pa_va(dst.page) + op->dest.offset,
                (char *)pa_va(src.page) + op->source.offset, op->len);
        copy_end_put(&dst, true);
    }
    copy_end_put(&src, false);
    return st;
}

/* ---- setup, query, version ---- */

static void setup_table(struct vcpu *v, struct gnttab_setup_table *st)
{
    struct domain *d = v->dom;
    uint64_t list;

    /* A guest handle is 8 bytes holding the guest address (its union members differ by
     * arch header). */
    _Static_assert(sizeof(st->frame_list) == sizeof(list), "64-bit guest handles");
    memcpy(&list, &st->frame_list, sizeof(list));

    if (st->dom != DOMID_SELF && st->dom != d->id) {
        st->status = GNTST_permission_denied;
        return;
    }
    spin_lock(&d->gnttab.lock);
    st->status = grow(d, st->nr_frames) ? GNTST_general_error : GNTST_okay;
    spin_unlock(&d->gnttab.lock);
    for (uint32_t i = 0; i < st->nr_frames && st->status == GNTST_okay; i++) {
        xen_pfn_t gfn = (xen_pfn_t)frame_gfns(d)[i];

        if (copy_to_guest(v, list + i * sizeof(gfn), &gfn, sizeof(gfn))) {
            st->status = GNTST_bad_virt_addr;
        }
    }
}

static void query_size(struct vcpu *v, struct gnttab_query_size *q)
{
    if (q->dom != DOMID_SELF && q->dom != v->dom->id) {
        q->status = GNTST_permission_denied;
        return;
    }
    q->nr_frames = __atomic_load_n(&v->dom->gnttab.nr_frames, __ATOMIC_RELAXED);
    q->max_nr_frames = GNTTAB_MAX_FRAMES;
    q->status = GNTST_okay;
}

/* ---- domain ends ---- */

/* A killed mapper's mappings are undone, so its granters can revoke and go. */
static void domain_killed(struct domain_notifier *n, struct domain *m)
{
    (void)n;
    for (uint32_t h = 0; h < GNTTAB_MAPTRACK_MAX && m->gnttab.nr_maps; h++) {
        (void)unmap_handle(m, h, 0, true);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(m->gnttab.maptrack); i++) {
        if (m->gnttab.maptrack[i]) {
            domain_free_pages(m, va_pa(m->gnttab.maptrack[i]), 0);
            m->gnttab.maptrack[i] = NULL;
        }
    }
}

/* The last reference is gone (no mapping of its grants is left): the table goes. */
static void domain_released(struct domain_notifier *n, struct domain *d)
{
    (void)n;
    for (uint32_t i = 0; i < d->gnttab.nr_frames; i++) {
        domain_free_pages(d, d->gnttab.frames[i], 0);
        domain_free_pages(d, va_pa(d->gnttab.active[i]), 0);
    }
    d->gnttab.nr_frames = 0;
}

static struct domain_notifier notifier = {.killed = domain_killed, .released = domain_released};

/* ---- the hypercall ---- */

size_t gnttab_op_size(unsigned int cmd)
{
    switch (cmd) {
    case GNTTABOP_map_grant_ref:
        return sizeof(struct gnttab_map_grant_ref);
    case GNTTABOP_unmap_grant_ref:
        return sizeof(struct gnttab_unmap_grant_ref);
    case GNTTABOP_copy:
        return sizeof(struct gnttab_copy);
    default:
        return 0;
    }
}

static int64_t batch(struct vcpu *v, unsigned int cmd, uint64_t arg, unsigned int count)
{
    struct domain *d = v->dom;
    size_t size = gnttab_op_size(cmd);

    for (unsigned int i = 0; i < count; i++) {
        union {
            struct gnttab_map_grant_ref map;
            struct gnttab_unmap_grant_ref unmap;
            struct gnttab_copy copy;
        } u;
        uint64_t at = arg + i * size;

        if (copy_from_guest(v, &u, at, size)) {
            return -EFAULT;
        }
        if (cmd == GNTTABOP_map_grant_ref) {
            u.map.status = map_one(d, &u.map);
        } else if (cmd == GNTTABOP_unmap_grant_ref) {
            u.unmap.status = unmap_one(d, &u.unmap);
        } else {
            u.copy.status = copy_one(d, &u.copy);
        }
        if (copy_to_guest(v, at, &u, size)) {
            return -EFAULT;
        }
    }
    return 0;
}

int64_t gnttab_op(struct vcpu *v, unsigned int cmd, uint64_t arg, unsigned int count)
{
    gnttab_register();
    switch (cmd) {
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
    case GNTTABOP_copy:
        return batch(v, cmd, arg, count);
    case GNTTABOP_setup_table: {
        struct gnttab_setup_table st;
        int rc = count != 1 ? -EINVAL : get_guest(v, &st, arg);

        if (rc == 0) {
            setup_table(v, &st);
            rc = put_guest(v, arg, &st);
        }
        return rc;
    }
    case GNTTABOP_query_size: {
        struct gnttab_query_size q;
        int rc = count != 1 ? -EINVAL : get_guest(v, &q, arg);

        if (rc == 0) {
            query_size(v, &q);
            rc = put_guest(v, arg, &q);
        }
        return rc;
    }
    default:
        /* transfer (PV only), unmap_and_replace, v2 (set_version, status frames,
         * swap), cache_flush, dump_table. */
        return -ENOSYS;
    }
}

void gnttab_register(void)
{
    if (!__atomic_exchange_n(&registered, 1u, __ATOMIC_ACQ_REL)) {
        domain_notifier_register(&notifier);
    }
}

/* SPDX-License-Identifier: MIT */
/* The stage-2 owner. See include/bulkhead/p2m.h. */
#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/printk.h>

static struct p2m *p2m_of(struct pt *pt)
{
    return container_of(pt, struct p2m, pt);
}

static int s2_alloc(struct pt *pt, unsigned order, paddr_t *out)
{
    struct p2m *p = p2m_of(pt);
    int rc;

    if (!quota_charge(p->quota, 1ull << order)) {
        return -ENOMEM;
    }
    rc = page_alloc_zeroed(order, out);
    if (rc) {
        quota_uncharge(p->quota, 1ull << order);
    }
    return rc;
}

static void s2_free(struct pt *pt, paddr_t pa, unsigned order)
{
    page_free(pa, order);
    quota_uncharge(p2m_of(pt)->quota, 1ull << order);
}

static void s2_inval(struct pt *pt, uint64_t va, uint64_t size)
{
    arch_p2m_flush(p2m_of(pt), ipa_init(va), size);
}

static const struct pt_ops s2_ops = {.alloc = s2_alloc, .free = s2_free, .inval = s2_inval};

int p2m_init(struct p2m *p, unsigned id, struct quota *q)
{
    int rc;

    p->lock = (struct spinlock)SPINLOCK_INIT;
    p->quota = q;
    p->id = id;
    rc = pt_init_ops(&p->pt, &arch_stage2_pt_format, &s2_ops);
    if (rc == 0) {
        rc = arch_p2m_init(p);
        if (rc) {
            pt_destroy(&p->pt);
        }
    }
    return rc;
}

void p2m_teardown(struct p2m *p)
{
    if (!pa_addr(p->pt.root)) {
        return;
    }
    /* Forget the translations first: the VMID outlives the domain (ids are reused). */
    arch_p2m_flush(p, ipa_init(0), p2m_ipa_limit(p));
    pt_destroy(&p->pt);
}

struct p2m_locked p2m_lock(struct p2m *p)
{
    spin_lock(&p->lock);
    return (struct p2m_locked){p};
}

void p2m_unlock(struct p2m_locked l)
{
    spin_unlock(&l.p2m->lock);
}

void p2m_lock_two(struct p2m *a, struct p2m *b, struct p2m_locked *la, struct p2m_locked *lb)
{
    BUG_ON(a == b);
    if (a->id < b->id) {
        *la = p2m_lock(a);
        *lb = p2m_lock(b);
    } else {
        *lb = p2m_lock(b);
        *la = p2m_lock(a);
    }
}

uint64_t p2m_ipa_limit(const struct p2m *p)
{
    return 1ull << pt_va_bits(p->pt.fmt);
}

int p2m_map_prepare(struct p2m_locked l, ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned attr,
                    unsigned flags)
{
    return pt_map_prepare(&l.p2m->pt, ipa_addr(ipa), pa, size, attr, flags);
}

void p2m_map_commit(struct p2m_locked l, ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned attr,
                    unsigned flags)
{
    pt_map_commit(&l.p2m->pt, ipa_addr(ipa), pa, size, attr, flags);
}

int p2m_unmap_prepare(struct p2m_locked l, ipaddr_t ipa, uint64_t size)
{
    return pt_unmap_prepare(&l.p2m->pt, ipa_addr(ipa), size);
}

void p2m_unmap_commit(struct p2m_locked l, ipaddr_t ipa, uint64_t size)
{
    pt_unmap_commit(&l.p2m->pt, ipa_addr(ipa), size);
}

void p2m_flush(struct p2m_locked l)
{
    pt_flush(&l.p2m->pt);
}

int p2m_map(struct p2m_locked l, ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned attr,
            unsigned flags)
{
    int rc = p2m_map_prepare(l, ipa, pa, size, attr, flags);

    if (rc == 0) {
        p2m_map_commit(l, ipa, pa, size, attr, flags);
        p2m_flush(l);
    }
    return rc;
}

int p2m_unmap(struct p2m_locked l, ipaddr_t ipa, uint64_t size)
{
    int rc = p2m_unmap_prepare(l, ipa, size);

    if (rc == 0) {
        p2m_unmap_commit(l, ipa, size);
        p2m_flush(l);
    }
    return rc;
}

int p2m_lookup(struct p2m_locked l, ipaddr_t ipa, paddr_t *pa, unsigned *attr)
{
    return pt_lookup(&l.p2m->pt, ipa_addr(ipa), pa, attr);
}

bool p2m_fault_is_spurious(struct p2m *p, ipaddr_t ipa, unsigned need)
{
    struct p2m_locked l = p2m_lock(p);
    unsigned attr = 0;
    paddr_t pa;
    bool allowed = p2m_lookup(l, ipa, &pa, &attr) == 0 && (attr & need) == need;

    p2m_unlock(l);
    return allowed;
}

/* SPDX-License-Identifier: MIT */
/* ioreq servers: a guest's MMIO sent to its stub domain. See include/bulkhead/ioreq.h
 * and docs/ioreq.md. */
#include <stdint.h>

/* xen.h first: riscv64's patched copy (mk/xen-headers.sh), not the one hvm/ reaches. */
#include <xen/xen.h>

#include <xen/hvm/dm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/ioreq.h>
#include <bulkhead/p2m.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

#define SERVER_ID    0 /* the one server of a target */
#define BUFIOREQ_OFF 0 /* HVM_IOREQSRV_BUFIOREQ_OFF (xen/hvm/hvm_op.h, __XEN__ only) */

_Static_assert(sizeof(struct ioreq) == 32, "Xen's ioreq_t");
_Static_assert(IOREQ_MAX_VCPUS * sizeof(struct ioreq) <= PAGE_SIZE, "one page of slots");
_Static_assert(IOREQ_MAX_VCPUS == MAX_VCPUS, "a slot and a port per vCPU");

/* The byte holding state:4, data_is_ptr:1, dir:1, df:1 (xen/hvm/ioreq.h): written and
 * read whole, with release / acquire ordering against the rest of the slot. */
#define SLOT_FLAGS_OFF 30
#define SLOT_DIR_SHIFT 5

static unsigned registered;

static struct ioreq *slot(const struct ioreq_server *s, unsigned vcpu)
{
    return &((struct ioreq *)pa_va(s->page))[vcpu];
}

static uint8_t *slot_flags(struct ioreq *r)
{
    return (uint8_t *)r + SLOT_FLAGS_OFF;
}

static void register_once(void);

/* Unmap pages this file mapped one by one (or the whole foreign window): no block is
 * split, so nothing is allocated and it cannot fail; said loudly if it ever does. */
static void p2m_unmap_ok(struct p2m_locked l, ipaddr_t ipa, uint64_t size)
{
    if (p2m_unmap(l, ipa, size) != 0) {
        printk("bulkhead: ioreq: unmapping 0x%llx (+0x%llx) from d%u failed\n",
               (unsigned long long)ipa_addr(ipa), (unsigned long long)size, l.p2m->id);
    }
}

/* ---- the guest side ---- */

static bool claimed(const struct ioreq_server *s, uint64_t addr, unsigned size)
{
    for (unsigned i = 0; i < s->nr_ranges; i++) {
        if (addr >= s->ranges[i].start && addr + size - 1 <= s->ranges[i].end &&
            addr + size - 1 >= addr) {
            return true;
        }
    }
    return false;
}

int ioreq_forward(struct vcpu *v, uint64_t addr)
{
    struct domain *d = v->dom;
    struct ioreq_server *s = &d->ioreq;
    uint32_t port = 0;
    int rc = -ENOENT;

    if (!READ_ONCE(s->enabled)) {
        return -ENOENT; /* the fast "nobody claims it" */
    }
    spin_lock(&s->lock);
    if (s->created && s->enabled && !v->mmio.waiting && claimed(s, addr, v->mmio.size)) {
        struct ioreq *r = slot(s, v->id);

        r->addr = addr;
        r->data = v->mmio.write ? v->mmio.data : 0;
        r->count = 1;
        r->size = v->mmio.size;
        r->vp_eport = s->port[v->id];
        r->type = IOREQ_TYPE_COPY;
        /* The request is complete before the stub can see STATE_IOREQ_READY. */
        __atomic_store_n(slot_flags(r),
                         (uint8_t)(STATE_IOREQ_READY | (v->mmio.write ? IOREQ_WRITE : IOREQ_READ)
                                                           << SLOT_DIR_SHIFT),
                         __ATOMIC_RELEASE);
        v->mmio.waiting = true;
        port = s->port[v->id];
        /* Blocked before the stub is told, so a reply on another CPU finds it waiting. */
        sched_ioreq_block_current();
        rc = 0;
    }
    spin_unlock(&s->lock);
    if (rc == 0) {
        evtchn_send_xen(d, port);
    }
    return rc;
}

/* Under the lock: end @v's wait with @data as the load's value. */
static void complete_locked(struct vcpu *v, uint64_t data)
{
    v->mmio.waiting = false;
    v->mmio.data = data;
    __atomic_store_n(&v->mmio.done, true, __ATOMIC_RELEASE);
}

static uint64_t extend(const struct vcpu_mmio *m, uint64_t data)
{
    unsigned bits = 8u * m->size;

    if (bits >= 64) {
        return data;
    }
    data &= (1ull << bits) - 1;
    if (m->sign && (data >> (bits - 1)) & 1) {
        data |= ~0ull << bits;
    }
    return data;
}

/* The stub sent on the port of @d's vCPU @vcpu (the evtchn hook). */
static void ioreq_reply(struct domain *d, unsigned vcpu)
{
    struct ioreq_server *s = &d->ioreq;
    struct vcpu *v = vcpu < d->nr_vcpus ? d->vcpus[vcpu] : NULL;
    bool woke = false;

    if (!v) {
        return;
    }
    spin_lock(&s->lock);
    if (s->created && v->mmio.waiting) {
        struct ioreq *r = slot(s, vcpu);
        uint8_t flags = __atomic_load_n(slot_flags(r), __ATOMIC_ACQUIRE);

        /* Anything but a response is a spurious notification: the vCPU keeps waiting. */
        if ((flags & 0xf) == STATE_IORESP_READY) {
            uint64_t data = v->mmio.write ? 0 : extend(&v->mmio, READ_ONCE(r->data));

            __atomic_store_n(slot_flags(r), (uint8_t)STATE_IOREQ_NONE, __ATOMIC_RELEASE);
            complete_locked(v, data);
            woke = true;
        }
    }
    spin_unlock(&s->lock);
    if (woke) {
        sched_ioreq_wake(v);
    }
}

/* ---- servers ---- */

static int check_stub(struct domain *target, struct domain *stub, const char *what)
{
    if (stub->role == ROLE_STUB && stub->target == target) {
        return 0;
    }
    domain_refused(stub, what, target->id);
    return -EPERM;
}

static int check_server(struct domain *target, struct domain *stub, uint32_t id, const char *what)
{
    int rc = check_stub(target, stub, what);

    if (rc) {
        return rc;
    }
    return target->ioreq.created && id == SERVER_ID && target->ioreq.stub == stub ? 0 : -ENOENT;
}

int ioreq_server_create(struct domain *target, struct domain *stub, unsigned bufioreq, uint16_t *id)
{
    struct ioreq_server *s = &target->ioreq;
    uint32_t ports[IOREQ_MAX_VCPUS] = {0};
    paddr_t page = pa_init(0);
    int rc = check_stub(target, stub, "dm_op create_ioreq_server");

    if (rc) {
        return rc;
    }
    if (bufioreq != BUFIOREQ_OFF) {
        return -EOPNOTSUPP;
    }
    register_once();
    rc = domain_alloc_pages(target, 0, &page);
    for (unsigned i = 0; i < target->nr_vcpus && rc == 0; i++) {
        rc = evtchn_alloc_xen(target, stub->id, i, &ports[i]);
    }
    spin_lock(&s->lock);
    if (rc == 0 && s->created) {
        rc = -ENOSPC; /* one server per target */
    }
    if (rc == 0) {
        s->created = true;
        s->enabled = false;
        s->stub = stub;
        domain_hold(stub);
        s->page = page;
        s->gfn = 0;
        s->nr_ranges = 0;
        for (unsigned i = 0; i < target->nr_vcpus; i++) {
            s->port[i] = ports[i];
            slot(s, i)->vp_eport = ports[i];
        }
        *id = SERVER_ID;
    }
    spin_unlock(&s->lock);
    if (rc) {
        for (unsigned i = 0; i < target->nr_vcpus; i++) {
            if (ports[i]) {
                evtchn_close_xen(target, ports[i]);
            }
        }
        if (pa_addr(page)) {
            domain_free_pages(target, page, 0);
        }
    }
    return rc;
}

int ioreq_server_range(struct domain *target, struct domain *stub, uint16_t id, uint32_t type,
                       uint64_t start, uint64_t end, bool map)
{
    struct ioreq_server *s = &target->ioreq;
    int rc;

    if (type != XEN_DMOP_IO_RANGE_MEMORY) {
        /* No port I/O on these arches, no PCI. */
        rc = check_stub(target, stub, "dm_op io range");
        return rc ? rc : -EINVAL;
    }
    if (start > end || (map && start < ipa_addr(target->ram_base) + target->ram_size &&
                        ipa_addr(target->ram_base) <= end)) {
        /* A device never sits over the target's RAM: an access there is RAM's. */
        rc = check_stub(target, stub, "dm_op io range");
        return rc ? rc : -EINVAL;
    }
    spin_lock(&s->lock);
    rc = check_server(target, stub, id, "dm_op io range");
    if (rc == 0 && map) {
        rc = s->nr_ranges == IOREQ_MAX_RANGES ? -ENOSPC : 0;
        for (unsigned i = 0; rc == 0 && i < s->nr_ranges; i++) {
            if (start <= s->ranges[i].end && s->ranges[i].start <= end) {
                rc = -EEXIST; /* overlaps one it claims */
            }
        }
        if (rc == 0) {
            s->ranges[s->nr_ranges++] = (struct ioreq_range){start, end};
        }
    } else if (rc == 0) {
        rc = -ENOENT; /* unmapping takes exactly a range that was mapped */
        for (unsigned i = 0; rc && i < s->nr_ranges; i++) {
            if (s->ranges[i].start == start && s->ranges[i].end == end) {
                s->ranges[i] = s->ranges[--s->nr_ranges];
                rc = 0;
            }
        }
    }
    spin_unlock(&s->lock);
    return rc;
}

int ioreq_server_set_state(struct domain *target, struct domain *stub, uint16_t id, bool enabled)
{
    struct ioreq_server *s = &target->ioreq;
    int rc;

    spin_lock(&s->lock);
    rc = check_server(target, stub, id, "dm_op set_ioreq_server_state");
    if (rc == 0) {
        WRITE_ONCE(s->enabled, enabled);
    }
    spin_unlock(&s->lock);
    if (rc == 0 && enabled) {
        domain_release_hold(target); /* its vCPUs waited for the device model */
    }
    return rc;
}

/* Take the server down: waiting vCPUs get all-ones (the bus floats), the ports close,
 * the page leaves the stub and is freed, the stub reference goes. */
static void server_teardown(struct domain *target)
{
    struct ioreq_server *s = &target->ioreq;
    struct vcpu *woken[IOREQ_MAX_VCPUS];
    uint32_t ports[IOREQ_MAX_VCPUS];
    unsigned nw = 0;
    struct domain *stub;
    uint64_t gfn;
    paddr_t page;

    spin_lock(&s->lock);
    if (!s->created) {
        spin_unlock(&s->lock);
        return;
    }
    for (unsigned i = 0; i < target->nr_vcpus; i++) {
        struct vcpu *v = target->vcpus[i];

        if (v && v->mmio.waiting) {
            complete_locked(v, ~0ull);
            woken[nw++] = v;
        }
        ports[i] = s->port[i];
        s->port[i] = 0;
    }
    stub = s->stub;
    gfn = s->gfn;
    page = s->page;
    s->created = false;
    s->enabled = false;
    s->stub = NULL;
    s->gfn = 0;
    s->nr_ranges = 0;
    s->page = pa_init(0);
    spin_unlock(&s->lock);
    for (unsigned i = 0; i < nw; i++) {
        sched_ioreq_wake(woken[i]);
    }
    for (unsigned i = 0; i < target->nr_vcpus; i++) {
        if (ports[i]) {
            evtchn_close_xen(target, ports[i]);
        }
    }
    if (gfn) {
        struct p2m_locked l = p2m_lock(&stub->p2m);

        /* Gone from the stub (and its TLBs: p2m_unmap flushes) before it is freed. */
        p2m_unmap_ok(l, ipa_init(gfn << PAGE_SHIFT), PAGE_SIZE);
        p2m_unlock(l);
    }
    domain_free_pages(target, page, 0);
    domain_put(stub);
}

int ioreq_server_destroy(struct domain *target, struct domain *stub, uint16_t id)
{
    struct ioreq_server *s = &target->ioreq;
    int rc;

    spin_lock(&s->lock);
    rc = check_server(target, stub, id, "dm_op destroy_ioreq_server");
    spin_unlock(&s->lock);
    if (rc == 0) {
        server_teardown(target);
    }
    return rc;
}

/* ---- mappings into the stub ---- */

static bool in_window(uint64_t gpfn)
{
    uint64_t base = (arch_guest_ram_base() + arch_guest_ram_max()) >> PAGE_SHIFT;

    return gpfn >= base && gpfn - base < (IOREQ_FOREIGN_WINDOW >> PAGE_SHIFT);
}

/* A gfn of @stub's where a page of someone else's may go: outside its RAM, inside what
 * its stage 2 can translate. */
static bool mappable_gfn(struct domain *stub, uint64_t gfn)
{
    uint64_t base = ipa_addr(stub->ram_base) >> PAGE_SHIFT;

    if (gfn >= p2m_ipa_limit(&stub->p2m) >> PAGE_SHIFT) {
        return false;
    }
    return gfn < base || gfn - base >= stub->ram_size >> PAGE_SHIFT;
}

int ioreq_acquire(struct domain *target, struct domain *stub, uint32_t id, uint64_t frame,
                  uint64_t gfn)
{
    struct ioreq_server *s = &target->ioreq;
    uint64_t old = 0;
    int rc;

    if (!mappable_gfn(stub, gfn)) {
        rc = check_stub(target, stub, "acquire_resource");
        return rc ? rc : -EINVAL;
    }
    spin_lock(&s->lock);
    rc = check_server(target, stub, id, "acquire_resource");
    if (rc == 0 && frame != XENMEM_resource_ioreq_server_frame_ioreq(0)) {
        rc = -EINVAL; /* frame 0, the buffered page, does not exist: bufioreq is off */
    }
    if (rc == 0) {
        struct p2m_locked l = p2m_lock(&stub->p2m);

        /* The server lock keeps the page from being freed while it is mapped here. */
        rc = p2m_map(l, ipa_init(gfn << PAGE_SHIFT), s->page, PAGE_SIZE, PT_RW, PT_REPLACE);
        if (rc == 0 && s->gfn && s->gfn != gfn) {
            old = s->gfn;
        }
        if (rc == 0) {
            s->gfn = gfn;
        }
        if (old) {
            p2m_unmap_ok(l, ipa_init(old << PAGE_SHIFT), PAGE_SIZE);
        }
        p2m_unlock(l);
    }
    spin_unlock(&s->lock);
    return rc;
}

int ioreq_foreign_map(struct domain *stub, struct domain *target, uint64_t gfn, uint64_t gpfn)
{
    struct p2m_locked ls, lt;
    paddr_t pa;
    int rc = check_stub(target, stub, "foreign map");

    if (rc) {
        return rc;
    }
    register_once(); /* its notifier unmaps the window when the stub is killed */
    if (!in_window(gpfn) || gfn >= p2m_ipa_limit(&target->p2m) >> PAGE_SHIFT) {
        return -EINVAL;
    }
    p2m_lock_two(&stub->p2m, &target->p2m, &ls, &lt);
    rc = p2m_lookup(lt, ipa_init(gfn << PAGE_SHIFT), &pa, NULL);
    /* Only the target's own RAM: not its shared_info, grant frames or pages others
     * granted it, and never anything of the hypervisor's. */
    if (rc || !domain_owns_ram(target, pa)) {
        rc = -EPERM;
    }
    if (rc == 0) {
        rc = p2m_map(ls, ipa_init(gpfn << PAGE_SHIFT), pa_init(pa_addr(pa) & ~(PAGE_SIZE - 1)),
                     PAGE_SIZE, PT_RW, PT_REPLACE);
    }
    p2m_unlock(lt);
    p2m_unlock(ls);
    if (rc == -EPERM) {
        domain_refused(stub, "foreign map of a page that is not its target's RAM", target->id);
    }
    return rc;
}

int ioreq_remove(struct domain *stub, uint64_t gpfn)
{
    struct domain *target = stub->target;
    struct p2m_locked l;
    int rc;

    if (target && READ_ONCE(target->ioreq.gfn) == gpfn) {
        struct ioreq_server *s = &target->ioreq;

        spin_lock(&s->lock);
        rc = s->created && s->stub == stub && s->gfn == gpfn ? 0 : -EINVAL;
        if (rc == 0) {
            l = p2m_lock(&stub->p2m);
            rc = p2m_unmap(l, ipa_init(gpfn << PAGE_SHIFT), PAGE_SIZE);
            p2m_unlock(l);
            s->gfn = 0;
        }
        spin_unlock(&s->lock);
        return rc;
    }
    if (!in_window(gpfn)) {
        return -EINVAL; /* its own RAM and the hypervisor's pages stay */
    }
    l = p2m_lock(&stub->p2m);
    rc = p2m_unmap(l, ipa_init(gpfn << PAGE_SHIFT), PAGE_SIZE);
    p2m_unlock(l);
    return rc;
}

int ioreq_set_irq_level(struct domain *target, struct domain *stub, uint32_t irq, unsigned level)
{
    int rc = check_stub(target, stub, "dm_op set_irq_level");

    if (rc) {
        return rc;
    }
    if (level > 1) {
        return -EINVAL;
    }
    return arch_domain_irq_level(target, irq, level);
}

/* ---- domain ends ---- */

/* @d is killed: its server goes (as a target), and as a stub its target's server and
 * every foreign mapping go, before the target reference is dropped. */
static void domain_killed(struct domain_notifier *n, struct domain *d)
{
    (void)n;
    server_teardown(d);
    if (d->role == ROLE_STUB && d->target) {
        struct ioreq_server *s = &d->target->ioreq;
        bool mine;
        struct p2m_locked l;

        spin_lock(&s->lock);
        mine = s->created && s->stub == d;
        spin_unlock(&s->lock);
        if (mine) {
            server_teardown(d->target);
        }
        l = p2m_lock(&d->p2m);
        p2m_unmap_ok(l, ipa_init(arch_guest_ram_base() + arch_guest_ram_max()),
                     IOREQ_FOREIGN_WINDOW);
        p2m_unlock(l);
    }
}

static struct domain_notifier notifier = {.killed = domain_killed};

static void register_once(void)
{
    if (!__atomic_exchange_n(&registered, 1u, __ATOMIC_ACQ_REL)) {
        domain_notifier_register(&notifier);
        evtchn_set_xen_hook(ioreq_reply);
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * The control domain's operations (hypercall/domctl.c, sysctl.c; docs/control.md)
 * through the hypercalls alone, against the fake arch: a domain built in Xen's order
 * (create, max_mem, populate, foreign map, context, unpause), paused, resumed, shut
 * down (VIRQ_DOM_EXC, kept until destroyed) and destroyed; 100 domains created and
 * destroyed with the allocator's free count exactly back; and every refusal.
 */
#include <bulkhead/xen_domctl.h> /* first: it picks the host build's interface version */

#include <stdio.h>

#include "core_env.h"

#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/xen.h>

#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/printk.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/ioreq.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#define RAM_SIZE (96 * MIB)
#define CTL_RAM  (4 * MIB)
#define ARGS     (FAKE_GUEST_RAM_BASE + 0x10000)            /* op structs in the caller's RAM */
#define LIST     (FAKE_GUEST_RAM_BASE + 0x11000)            /* gfn lists, idxs */
#define LIST2    (FAKE_GUEST_RAM_BASE + 0x12000)            /* gpfns */
#define ERRS     (FAKE_GUEST_RAM_BASE + 0x13000)            /* errs[] */
#define CTX      (FAKE_GUEST_RAM_BASE + 0x14000)            /* vcpu_guest_context */
#define SHINFO   (FAKE_GUEST_RAM_BASE + 0x20000)            /* the caller's shared_info */
#define WINDOW   (FAKE_GUEST_RAM_BASE + FAKE_GUEST_RAM_MAX) /* the foreign window */
#define GFN0     (FAKE_GUEST_RAM_BASE >> PAGE_SHIFT)

/* The rest of the host build sees Xen's interface version 0, where these two hypercalls
 * have their old numbers; this file sees the tools' (latest) one, for domctl.h. */
#define HC_SCHED_OP  __HYPERVISOR_sched_op_compat
#define HC_EVTCHN_OP __HYPERVISOR_event_channel_op_compat

CORE_ENV_FIXTURE(RAM_SIZE)

static struct domain *boot_domain(const char *name, enum domain_role role)
{
    struct domain_config cfg = {.name = name, .role = role, .ram_size = CTL_RAM, .nr_vcpus = 1};
    struct domain *d;

    assert_int_equal(domain_create(&cfg, &d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    return d;
}

static void end(struct domain *d)
{
    core_env_reap();
    domain_shutdown(d, SHUTDOWN_poweroff);
    core_env_reap();
}

static int64_t domctl(struct domain *c, struct xen_domctl *op)
{
    int64_t rc;

    op->interface_version =
        op->interface_version ? op->interface_version : XEN_DOMCTL_INTERFACE_VERSION;
    memcpy(core_env_gpa(c, ARGS), op, sizeof(*op));
    rc = core_env_hypercall(c->vcpus[0], __HYPERVISOR_domctl, ARGS, 0, 0);
    memcpy(op, core_env_gpa(c, ARGS), sizeof(*op));
    return rc;
}

static int64_t simple(struct domain *c, uint32_t cmd, uint16_t dom)
{
    struct xen_domctl op = {.cmd = cmd, .domain = dom};

    return domctl(c, &op);
}

static int64_t sysctl(struct domain *c, struct xen_sysctl *op)
{
    int64_t rc;

    op->interface_version =
        op->interface_version ? op->interface_version : XEN_SYSCTL_INTERFACE_VERSION;
    memcpy(core_env_gpa(c, ARGS), op, sizeof(*op));
    rc = core_env_hypercall(c->vcpus[0], __HYPERVISOR_sysctl, ARGS, 0, 0);
    memcpy(op, core_env_gpa(c, ARGS), sizeof(*op));
    return rc;
}

static int64_t create(struct domain *c, uint32_t vcpus, uint16_t *id)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_createdomain};
    int64_t rc;

    op.u.createdomain.max_vcpus = vcpus;
    op.u.createdomain.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    op.u.createdomain.handle[0] = 0xab;
    rc = domctl(c, &op);
    if (id) {
        *id = op.domain;
    }
    return rc;
}

static int64_t max_mem(struct domain *c, uint16_t id, uint64_t kib)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_max_mem, .domain = id};

    op.u.max_mem.max_memkb = kib;
    return domctl(c, &op);
}

static int64_t populate(struct domain *c, uint16_t id, const xen_pfn_t *gfns, unsigned n,
                        unsigned order)
{
    struct xen_memory_reservation r = {.nr_extents = n, .extent_order = order, .domid = id};

    set_xen_guest_handle(r.extent_start, (xen_pfn_t *)(uintptr_t)LIST);
    memcpy(core_env_gpa(c, LIST), gfns, n * sizeof(*gfns));
    memcpy(core_env_gpa(c, ARGS), &r, sizeof(r));
    return core_env_hypercall(c->vcpus[0], __HYPERVISOR_memory_op, XENMEM_populate_physmap, ARGS,
                              0);
}

/* Map @id's @gfn at the caller's window page @slot; returns the call's result, @err the
 * entry's. */
static int64_t fmap(struct domain *c, uint16_t id, uint64_t gfn, unsigned slot, int *err)
{
    struct xen_add_to_physmap_batch b = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = 1};
    xen_ulong_t idx = gfn;
    xen_pfn_t gpfn = (WINDOW >> PAGE_SHIFT) + slot;
    int64_t rc;

    b.u.foreign_domid = id;
    set_xen_guest_handle(b.idxs, (xen_ulong_t *)(uintptr_t)LIST);
    set_xen_guest_handle(b.gpfns, (xen_pfn_t *)(uintptr_t)LIST2);
    set_xen_guest_handle(b.errs, (int *)(uintptr_t)ERRS);
    memcpy(core_env_gpa(c, LIST), &idx, sizeof(idx));
    memcpy(core_env_gpa(c, LIST2), &gpfn, sizeof(gpfn));
    memset(core_env_gpa(c, ERRS), 0x55, sizeof(int));
    memcpy(core_env_gpa(c, ARGS), &b, sizeof(b));
    rc = core_env_hypercall(c->vcpus[0], __HYPERVISOR_memory_op, XENMEM_add_to_physmap_batch, ARGS,
                            0);
    memcpy(err, core_env_gpa(c, ERRS), sizeof(*err));
    return rc;
}

static bool mapped(struct domain *d, uint64_t gpa)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    paddr_t pa;
    bool ok = p2m_lookup(l, ipa_init(gpa), &pa, NULL) == 0;

    p2m_unlock(l);
    return ok;
}

/* vCPU 0's context in the host's layout (arch/fake): entry, argument; @ok false leaves
 * VGCF_online out, which the fake refuses as aarch64 refuses a wrong cpsr. */
static int64_t set_context(struct domain *c, uint16_t id, uint64_t pc, uint64_t arg, bool ok)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_setvcpucontext, .domain = id};
    struct vcpu_guest_context ctx = {.flags = ok ? VGCF_online : 0};

    ctx.user_regs.rip = pc;
    ctx.user_regs.rsi = arg;
    memcpy(core_env_gpa(c, CTX), &ctx, sizeof(ctx));
    op.u.vcpucontext.vcpu = 0;
    set_xen_guest_handle(op.u.vcpucontext.ctxt, (vcpu_guest_context_t *)(uintptr_t)CTX);
    return domctl(c, &op);
}

static int64_t info(struct domain *c, uint16_t id, struct xen_domctl_getdomaininfo *out)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_getdomaininfo, .domain = id};
    int64_t rc = domctl(c, &op);

    *out = op.u.getdomaininfo;
    return rc == 0 && op.domain != id ? -ESRCH : rc;
}

static int64_t remote_shutdown(struct domain *c, uint16_t id, unsigned reason)
{
    struct sched_remote_shutdown rs = {.domain_id = id, .reason = reason};

    memcpy(core_env_gpa(c, ARGS), &rs, sizeof(rs));
    return core_env_hypercall(c->vcpus[0], HC_SCHED_OP, SCHEDOP_remote_shutdown, ARGS, 0);
}

static uint64_t free_pages(struct domain *c)
{
    struct xen_sysctl op = {.cmd = XEN_SYSCTL_physinfo};

    assert_int_equal(sysctl(c, &op), 0);
    return op.u.physinfo.free_pages;
}

/* Create, size and fill a domain of @mib MiB (2 MiB extents) with vCPU 0's context. */
static uint16_t build(struct domain *c, unsigned mib)
{
    xen_pfn_t gfns[64];
    uint16_t id;

    assert_int_equal(create(c, 2, &id), 0);
    assert_int_equal(max_mem(c, id, mib * 1024), 0);
    for (unsigned i = 0; i < mib / 2; i++) {
        gfns[i] = GFN0 + i * 512;
    }
    assert_int_equal(populate(c, id, gfns, mib / 2, 9), mib / 2);
    assert_int_equal(set_context(c, id, FAKE_GUEST_RAM_BASE, FAKE_GUEST_RAM_BASE + 0x1000, true),
                     0);
    return id;
}

static void test_build_run_destroy(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    uint64_t before = free_pages(c), ctl_used = quota_used(&c->quota);
    struct xen_domctl_getdomaininfo di;
    xen_pfn_t gfns[2] = {GFN0, GFN0 + 512};
    struct domain *t;
    uint16_t id;
    int err;

    (void)state;
    assert_int_equal(before, page_alloc_free_pages());
    assert_int_equal(create(c, 2, &id), 0);
    assert_true(id > 0 && id != c->id);
    assert_int_equal(info(c, id, &di), 0);
    assert_true(di.flags & XEN_DOMINF_paused);
    assert_int_equal(di.tot_pages, 0);
    assert_int_equal(di.max_vcpu_id, 1);
    assert_int_equal(di.handle[0], 0xab);
    assert_int_equal(max_mem(c, id, 4096), 0);
    assert_int_equal(populate(c, id, gfns, 2, 9), 2);
    gfns[0] = GFN0 + 1024; /* a third 2 MiB extent: past 4 MiB */
    assert_int_equal(populate(c, id, gfns, 1, 9), -ENOMEM);
    gfns[0] = GFN0;
    assert_int_equal(max_mem(c, id, 8192), 0);
    assert_int_equal(populate(c, id, gfns, 1, 0), -EEXIST);
    gfns[0] = GFN0 + 1024 + 1; /* misaligned for order 9 */
    assert_int_equal(populate(c, id, gfns, 1, 9), -EINVAL);
    gfns[0] = GFN0 - 512; /* below the RAM bank */
    assert_int_equal(populate(c, id, gfns, 1, 9), -EINVAL);
    assert_int_equal(populate(c, id, gfns, 1, 3), -EINVAL); /* order 0 or 9 only */

    /* Foreign map while under construction: the control domain writes the image. */
    assert_int_equal(fmap(c, id, GFN0 + 1, 0, &err), 0);
    assert_int_equal(err, 0);
    strcpy(core_env_gpa(c, WINDOW), "kernel image");
    t = domain_get(id);
    assert_non_null(t);
    assert_string_equal(core_env_gpa(t, FAKE_GUEST_RAM_BASE + PAGE_SIZE), "kernel image");
    assert_int_equal(fmap(c, id, GFN0 + 4096, 1, &err), 0); /* not populated */
    assert_int_equal(err, -EPERM);

    assert_int_equal(set_context(c, id, FAKE_GUEST_RAM_BASE, 0x1234, false), -EINVAL);
    assert_int_equal(
        set_context(c, id, FAKE_GUEST_RAM_BASE + 0x80000, FAKE_GUEST_RAM_BASE + 0x1000, true), 0);
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), 0);
    assert_int_equal(t->vcpus[0]->arch.entry, FAKE_GUEST_RAM_BASE + 0x80000);
    assert_int_equal(t->vcpus[0]->arch.arg, FAKE_GUEST_RAM_BASE + 0x1000);
    /* Construction is over: the mapping is gone, and no new one is allowed. */
    assert_false(mapped(c, WINDOW));
    assert_int_equal(fmap(c, id, GFN0 + 1, 0, &err), 0);
    assert_int_equal(err, -EPERM);
    assert_false(mapped(c, WINDOW));
    gfns[0] = GFN0 + 2048;
    assert_int_equal(populate(c, id, gfns, 1, 0), -EPERM);
    assert_int_equal(set_context(c, id, 0, 0, true), -EPERM);

    assert_int_equal(info(c, id, &di), 0);
    assert_true(di.flags & XEN_DOMINF_running);
    assert_false(di.flags & (XEN_DOMINF_paused | XEN_DOMINF_shutdown | XEN_DOMINF_dying));
    assert_int_equal(di.tot_pages, 1024);
    assert_int_equal(di.max_pages, 2048);
    assert_int_equal(di.nr_online_vcpus, 1);

    assert_int_equal(simple(c, XEN_DOMCTL_pausedomain, id), 0);
    assert_int_equal(info(c, id, &di), 0);
    assert_true(di.flags & XEN_DOMINF_paused);
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), 0);
    assert_int_equal(info(c, id, &di), 0);
    assert_false(di.flags & XEN_DOMINF_paused);

    {
        struct xen_domctl op = {.cmd = XEN_DOMCTL_getvcpuinfo, .domain = id};

        op.u.getvcpuinfo.vcpu = 0;
        assert_int_equal(domctl(c, &op), 0);
        assert_int_equal(op.u.getvcpuinfo.online, 1);
        op.u.getvcpuinfo.vcpu = 2;
        assert_int_equal(domctl(c, &op), -EINVAL);
    }
    {
        struct xen_sysctl op = {.cmd = XEN_SYSCTL_getdomaininfolist};
        struct xen_domctl_getdomaininfo *list = core_env_gpa(c, LIST);

        op.u.getdomaininfolist.first_domain = 0;
        op.u.getdomaininfolist.max_domains = 8;
        set_xen_guest_handle(op.u.getdomaininfolist.buffer,
                             (xen_domctl_getdomaininfo_t *)(uintptr_t)LIST);
        assert_int_equal(sysctl(c, &op), 0);
        assert_int_equal(op.u.getdomaininfolist.num_domains, 2);
        assert_int_equal(list[0].domain, c->id);
        assert_int_equal(list[1].domain, id);
    }
    domain_put(t);

    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
    assert_int_equal(info(c, id, &di), 0); /* vCPUs still to be taken off */
    assert_true(di.flags & XEN_DOMINF_dying);
    core_env_reap();
    assert_int_equal(info(c, id, &di), -ESRCH);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), -ESRCH);
    /* Every page is back but the control domain's stage-2 tables of its foreign window,
     * charged to it and kept for the next build. */
    assert_int_equal(before - free_pages(c), quota_used(&c->quota) - ctl_used);
    assert_true(quota_used(&c->quota) - ctl_used <= 3);
    end(c);
}

static void test_shutdown_virq_dom_exc(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    uint64_t before;
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .gpfn = SHINFO >> PAGE_SHIFT};
    struct evtchn_bind_virq b = {.virq = VIRQ_DOM_EXC};
    struct xen_domctl_getdomaininfo di;
    struct shared_info *si;
    uint16_t id;

    (void)state;
    memcpy(core_env_gpa(c, ARGS), &x, sizeof(x));
    assert_int_equal(
        core_env_hypercall(c->vcpus[0], __HYPERVISOR_memory_op, XENMEM_add_to_physmap, ARGS, 0), 0);
    si = pa_va(c->shared_info);
    memcpy(core_env_gpa(c, ARGS), &b, sizeof(b));
    assert_int_equal(core_env_hypercall(c->vcpus[0], HC_EVTCHN_OP, EVTCHNOP_bind_virq, ARGS, 0), 0);
    memcpy(&b, core_env_gpa(c, ARGS), sizeof(b));
    assert_true(b.port > 0);
    before = free_pages(c);

    id = build(c, 4);
    assert_int_equal(remote_shutdown(c, id, SHUTDOWN_reboot), -EINVAL); /* not started */
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), 0);
    assert_int_equal(remote_shutdown(c, c->id, SHUTDOWN_poweroff), -EINVAL); /* itself */
    assert_int_equal(remote_shutdown(c, id, SHUTDOWN_MAX + 1), -EINVAL);
    memset(si->evtchn_pending, 0, sizeof(si->evtchn_pending));
    assert_int_equal(remote_shutdown(c, id, SHUTDOWN_reboot), 0);
    assert_true((si->evtchn_pending[b.port / 64] >> (b.port % 64)) & 1);
    core_env_reap();
    /* Kept, shut down, until the control domain destroys it. */
    assert_int_equal(info(c, id, &di), 0);
    assert_true(di.flags & XEN_DOMINF_shutdown);
    assert_false(di.flags & XEN_DOMINF_dying);
    assert_int_equal((di.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask,
                     SHUTDOWN_reboot);
    memset(si->evtchn_pending, 0, sizeof(si->evtchn_pending));
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
    assert_int_equal(info(c, id, &di), -ESRCH);
    assert_true((si->evtchn_pending[b.port / 64] >> (b.port % 64)) & 1); /* destroyed */
    assert_int_equal(free_pages(c), before);

    /* A crash through the guest's own shutdown: the same. */
    id = build(c, 2);
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), 0);
    {
        struct domain *t = domain_get(id);

        domain_shutdown(t, SHUTDOWN_crash);
        domain_put(t);
    }
    core_env_reap();
    assert_int_equal(info(c, id, &di), 0);
    assert_int_equal((di.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask,
                     SHUTDOWN_crash);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
    assert_int_equal(free_pages(c), before);
    end(c);
}

/* A paused domain's vCPUs stay off their CPUs, wake-ups (timers) included. */
static void test_pause_keeps_vcpus_off(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    struct domain *t;
    struct vcpu *v;
    uint16_t id;

    (void)state;
    id = build(c, 2);
    assert_int_equal(simple(c, XEN_DOMCTL_pausedomain, id), 0); /* under construction: fine */
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), 0);
    t = domain_get(id);
    v = t->vcpus[0];
    core_env_reap(); /* the CPUs run what they have */
    assert_int_equal(simple(c, XEN_DOMCTL_pausedomain, id), 0);
    assert_int_equal(simple(c, XEN_DOMCTL_pausedomain, c->id), -EINVAL); /* itself */
    sched_wake(v);
    for (unsigned i = 0; i < nr_pcpus; i++) {
        arch_set_this_cpu(&pcpus[i]);
        pcpus[i].need_resched = true;
        assert_ptr_not_equal(sched_schedule(), v);
        pcpus[i].curr = NULL;
    }
    arch_set_this_cpu(&pcpus[0]);
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), 0);
    {
        struct pcpu *cpu = &pcpus[v->pcpu];
        struct vcpu *got;

        arch_set_this_cpu(cpu);
        cpu->need_resched = true;
        got = sched_schedule();
        /* Its CPU may prefer the control domain's vCPU first; then it comes next. */
        if (got != v) {
            cpu->need_resched = true;
            sched_yield_current();
            got = sched_schedule();
        }
        assert_ptr_equal(got, v);
        cpu->curr = NULL;
        arch_set_this_cpu(&pcpus[0]);
    }
    domain_put(t);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
    core_env_reap();
    end(c);
}

static void test_100_domains_free_count(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    uint64_t before = page_alloc_free_pages(), ctl_used = quota_used(&c->quota);

    (void)state;
    for (unsigned i = 0; i < 100; i++) {
        uint16_t id = build(c, 4);
        int err;

        assert_int_equal(fmap(c, id, GFN0 + i, i % 8, &err), 0);
        assert_int_equal(err, 0);
        if (i % 2) {
            /* Half are started and shut down first. */
            assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), 0);
            assert_int_equal(remote_shutdown(c, id, SHUTDOWN_poweroff), 0);
            core_env_reap();
        }
        assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
        core_env_reap();
    }
    /* Exactly back, but for the window's stage-2 tables: the control domain's, charged to
     * it, kept for the next build (and freed with it: the teardown checks that). */
    assert_int_equal(domain_count(), 1);
    assert_int_equal(before - page_alloc_free_pages(), quota_used(&c->quota) - ctl_used);
    assert_true(quota_used(&c->quota) - ctl_used <= 3);
    end(c);
    assert_int_equal(page_alloc_free_pages(), free0);
}

static int64_t affinity(struct domain *c, uint16_t id, uint32_t vcpu, uint8_t bits, uint32_t flags)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_setvcpuaffinity, .domain = id};

    *(uint8_t *)core_env_gpa(c, LIST) = bits;
    op.u.vcpuaffinity.vcpu = vcpu;
    op.u.vcpuaffinity.flags = flags;
    op.u.vcpuaffinity.cpumap_hard.nr_bits = 8;
    set_xen_guest_handle(op.u.vcpuaffinity.cpumap_hard.bitmap, (uint8_t *)(uintptr_t)LIST);
    return domctl(c, &op);
}

static void test_sched_affinity_and_target(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    struct xen_domctl op = {.cmd = XEN_DOMCTL_scheduler_op};
    uint16_t id = build(c, 2), sid;
    struct domain *t = domain_get(id), *s;

    (void)state;
    op.domain = id;
    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_putinfo;
    op.u.scheduler_op.u.credit.weight = 512;
    op.u.scheduler_op.u.credit.cap = 150;
    assert_int_equal(domctl(c, &op), 0);
    assert_int_equal(t->sched.weight, 512);
    assert_int_equal(t->sched.cap, 150);
    op.u.scheduler_op.u.credit.weight = 0;       /* unchanged */
    op.u.scheduler_op.u.credit.cap = UINT16_MAX; /* unchanged */
    assert_int_equal(domctl(c, &op), 0);
    assert_int_equal(t->sched.weight, 512);
    assert_int_equal(t->sched.cap, 150);
    op.u.scheduler_op.u.credit.cap = 201; /* 2 vCPUs: at most 200 */
    assert_int_equal(domctl(c, &op), -EINVAL);
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_getinfo;
    op.u.scheduler_op.u.credit.weight = 0;
    assert_int_equal(domctl(c, &op), 0);
    assert_int_equal(op.u.scheduler_op.u.credit.weight, 512);
    assert_int_equal(op.u.scheduler_op.u.credit.cap, 150);
    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT2;
    assert_int_equal(domctl(c, &op), -EINVAL);

    /* Hard affinity: vCPU 1 to CPU 1 only, then CPU 0 only; no online CPU is refused. */
    assert_int_equal(affinity(c, id, 1, 0x2, XEN_VCPUAFFINITY_HARD), 0);
    assert_int_equal(t->vcpus[1]->pcpu, 1);
    assert_int_equal(affinity(c, id, 1, 0x1, XEN_VCPUAFFINITY_HARD), 0);
    assert_int_equal(t->vcpus[1]->pcpu, 0);
    assert_int_equal(t->vcpus[1]->affinity, 0x1);
    assert_int_equal(affinity(c, id, 1, 0x4, XEN_VCPUAFFINITY_HARD), -EINVAL);
    /* An empty map is no CPU at all, not "any CPU" (it was taken as any). */
    assert_int_equal(affinity(c, id, 1, 0x0, XEN_VCPUAFFINITY_HARD), -EINVAL);
    assert_int_equal(t->vcpus[1]->affinity, 0x1);
    assert_int_equal(affinity(c, id, 2, 0x1, XEN_VCPUAFFINITY_HARD), -EINVAL);

    /* set_target: a new domain becomes the stub of the one built above, held for it. */
    assert_int_equal(create(c, 1, &sid), 0);
    op = (struct xen_domctl){.cmd = XEN_DOMCTL_set_target, .domain = sid};
    op.u.set_target.target = c->id;
    assert_int_equal(domctl(c, &op), -EINVAL); /* never the control domain */
    op.u.set_target.target = id;
    assert_int_equal(domctl(c, &op), 0);
    s = domain_get(sid);
    assert_int_equal(s->role, ROLE_STUB);
    assert_ptr_equal(s->target, t);
    assert_int_equal(t->held, 1);
    assert_int_equal(domctl(c, &op), -EEXIST);
    op.domain = c->id;
    assert_int_equal(domctl(c, &op), -EINVAL); /* itself */
    domain_put(s);
    domain_put(t);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, sid), 0);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
    core_env_reap();
    end(c);
}

/* The control domain ends: what it built must not wait for a destroy that never comes. */
static void test_control_end_orphans(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    uint16_t building, down, running;
    struct domain *r;

    (void)state;
    building = build(c, 2);
    down = build(c, 2);
    running = build(c, 2);
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, down), 0);
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, running), 0);
    assert_int_equal(remote_shutdown(c, down, SHUTDOWN_poweroff), 0);
    core_env_reap();
    assert_int_equal(domain_count(), 4); /* the shut-down one is kept */
    end(c);
    /* The one under construction and the shut-down one are gone; the running one stays
     * until it ends by itself, and then goes at once. */
    assert_int_equal(domain_count(), 1);
    assert_null(domain_get(building));
    assert_null(domain_get_any(down));
    r = domain_get(running);
    assert_non_null(r);
    domain_shutdown(r, SHUTDOWN_poweroff);
    domain_put(r);
    core_env_reap();
    assert_int_equal(domain_count(), 0);
}

/* Boot-time guests (dom0less) with a control domain: kept after they end, as built ones
 * are, so dom0-lite can apply their on_* policy; the boot-time stub with its guest. */
static void test_boot_time_kept_with_control(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    struct domain *g = boot_domain("web", ROLE_GUEST), *s, *g2;
    struct domain_config scfg = {
        .name = "web-stub", .role = ROLE_STUB, .ram_size = CTL_RAM, .nr_vcpus = 1};
    struct xen_domctl_getdomaininfo di;
    uint16_t gid = g->id, sid, g2id;

    (void)state;
    assert_int_equal(domain_create(&scfg, &s), 0);
    assert_int_equal(domain_pair_stub(s, g), 0);
    domain_start(s, FAKE_GUEST_RAM_BASE, 0);
    sid = s->id;
    g2 = boot_domain("db", ROLE_GUEST);
    g2id = g2->id;
    core_env_reap();
    /* A reboot: the guest and (by the pairing rule) its stub end, and both are kept. */
    domain_shutdown(g, SHUTDOWN_reboot);
    core_env_reap();
    assert_int_equal(domain_count(), 4);
    assert_int_equal(info(c, gid, &di), 0);
    assert_true(di.flags & XEN_DOMINF_shutdown);
    assert_int_equal((di.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask,
                     SHUTDOWN_reboot);
    assert_int_equal(info(c, sid, &di), 0);
    assert_true(di.flags & XEN_DOMINF_shutdown);
    /* The control domain destroys them; their pages come back. */
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, gid), 0);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, sid), 0);
    core_env_reap();
    assert_int_equal(domain_count(), 2);
    assert_int_equal(info(c, gid, &di), -ESRCH);
    /* A running boot-time guest destroyed: gone once its vCPUs are off. */
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, g2id), 0);
    core_env_reap();
    assert_int_equal(domain_count(), 1);
    assert_null(domain_get_any(g2id));
    end(c);
}

/* Without a control domain nothing changes: a boot-time guest is freed as it ends. And
 * once the control domain ends, kept boot-time guests go, running ones go as they end. */
static void test_boot_time_control_ends(void **state)
{
    struct domain *plain = boot_domain("plain", ROLE_GUEST), *c, *down, *up;
    uint16_t down_id, up_id;

    (void)state;
    assert_false(plain->kept);
    end(plain);
    assert_int_equal(domain_count(), 0);
    c = boot_domain("dom0-lite", ROLE_CONTROL);
    down = boot_domain("down", ROLE_GUEST);
    up = boot_domain("up", ROLE_GUEST);
    down_id = down->id;
    up_id = up->id;
    end(down);
    assert_non_null(domain_get_any(down_id)); /* kept for the control domain */
    domain_put(down);
    assert_int_equal(domain_count(), 3);
    end(c);
    /* The kept one is destroyed with the control domain; the running one stays. */
    assert_null(domain_get_any(down_id));
    assert_int_equal(domain_count(), 1);
    /* Created after the control domain ended: not kept (nobody would destroy it). */
    plain = boot_domain("late", ROLE_GUEST);
    assert_false(plain->kept);
    end(plain);
    up = domain_get(up_id);
    assert_non_null(up);
    domain_shutdown(up, SHUTDOWN_crash);
    domain_put(up);
    core_env_reap();
    assert_int_equal(domain_count(), 0);
}

/* A boot-time domain dom0less is still building (created, not started): the control
 * domain neither sees nor destroys it (its vCPUs may not be there yet), and the control
 * domain's end leaves it to dom0less; kept or not is decided when it starts. */
static void test_boot_time_half_built(void **state)
{
    struct domain_config cfg = {
        .name = "half", .role = ROLE_GUEST, .ram_size = CTL_RAM, .nr_vcpus = 2};
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL), *h, *h2;
    struct xen_domctl_getdomaininfo di;
    struct xen_sysctl sop = {.cmd = XEN_SYSCTL_getdomaininfolist};

    (void)state;
    assert_int_equal(domain_create(&cfg, &h), 0);
    assert_int_equal(info(c, h->id, &di), -ESRCH);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, h->id), -ESRCH);
    sop.u.getdomaininfolist.max_domains = 8;
    set_xen_guest_handle(sop.u.getdomaininfolist.buffer, (void *)(uintptr_t)LIST);
    assert_int_equal(sysctl(c, &sop), 0);
    assert_int_equal(sop.u.getdomaininfolist.num_domains, 1); /* the control domain only */
    domain_start(h, FAKE_GUEST_RAM_BASE, 0);
    assert_true(h->kept);
    assert_int_equal(info(c, h->id, &di), 0);
    cfg.name = "half2";
    assert_int_equal(domain_create(&cfg, &h2), 0);
    end(c); /* h2 is dom0less's still: not destroyed by the control domain's end */
    assert_int_equal(domain_count(), 2);
    domain_start(h2, FAKE_GUEST_RAM_BASE, 0);
    assert_false(h2->kept); /* nobody left to destroy it */
    end(h2);
    end(h); /* kept, then orphaned: freed as it ends */
    assert_int_equal(domain_count(), 0);
}

static void test_bad_arguments(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    struct xen_domctl op = {
        .cmd = XEN_DOMCTL_getdomaininfo, .domain = 0, .interface_version = 0x14};
    struct xen_sysctl sop = {.cmd = XEN_SYSCTL_physinfo, .interface_version = 0x14};
    uint16_t id;

    (void)state;
    assert_int_equal(domctl(c, &op), -EACCES);
    assert_int_equal(sysctl(c, &sop), -EACCES);
    assert_int_equal(simple(c, 77, c->id), -ENOSYS);                   /* unknown */
    assert_int_equal(simple(c, XEN_DOMCTL_shadow_op, c->id), -ENOSYS); /* not ours */
    sop = (struct xen_sysctl){.cmd = XEN_SYSCTL_tbuf_op};
    assert_int_equal(sysctl(c, &sop), -ENOSYS);
    assert_int_equal(create(c, 0, NULL), -EINVAL);
    assert_int_equal(create(c, MAX_VCPUS + 1, NULL), -EINVAL);
    op = (struct xen_domctl){.cmd = XEN_DOMCTL_createdomain, .domain = c->id};
    op.u.createdomain.max_vcpus = 1;
    assert_int_equal(domctl(c, &op), -EEXIST); /* an id in use */
    op.u.createdomain.flags = 1u << 20;
    op.domain = 0;
    assert_int_equal(domctl(c, &op), -EINVAL);                             /* unknown flag */
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, c->id), -EINVAL); /* itself */
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, 60), -ESRCH);
    assert_int_equal(create(c, 1, &id), 0);
    assert_int_equal(simple(c, XEN_DOMCTL_unpausedomain, id), -EINVAL); /* no context */
    assert_int_equal(max_mem(c, id, 1ull << 40), -EINVAL);
    {
        xen_pfn_t gfn = GFN0;

        assert_int_equal(populate(c, id, &gfn, 1, 0), -ENOMEM); /* max_mem 0 */
        assert_int_equal(populate(c, c->id, &gfn, 1, 0), -EINVAL);
    }
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), -ESRCH);
    end(c);
}

/* Every control operation, refused to every other role with -EPERM and a log line. */
static int64_t readconsole(struct domain *c, uint32_t count, bool incremental, uint32_t *index,
                           bool clear, uint64_t buf)
{
    struct xen_sysctl op = {.cmd = XEN_SYSCTL_readconsole};
    int64_t rc;

    op.u.readconsole.count = count;
    op.u.readconsole.incremental = incremental;
    op.u.readconsole.index = *index;
    op.u.readconsole.clear = clear;
    set_xen_guest_handle(op.u.readconsole.buffer, (char *)(uintptr_t)buf);
    rc = sysctl(c, &op);
    *index = op.u.readconsole.index;
    return rc ? rc : (int64_t)op.u.readconsole.count;
}

/* XEN_SYSCTL_readconsole (bh> dmesg): the console history in Xen's semantics. */
static void test_readconsole(void **state)
{
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    char *buf = core_env_gpa(c, LIST);
    uint32_t index = 0, mark;
    int64_t n;

    (void)state;
    assert_int_equal(readconsole(c, 0, false, &index, true, LIST), 0); /* start empty */
    printk("readconsole: first line\n");
    n = readconsole(c, 4096, false, &index, false, LIST);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "readconsole: first line\n"));
    /* incremental: only what came after @index. */
    mark = index;
    printk("readconsole: second line\n");
    n = readconsole(c, 4096, true, &index, false, LIST);
    assert_int_equal(n, (int64_t)strlen("readconsole: second line\n"));
    assert_memory_equal(buf, "readconsole: second line\n", n);
    assert_int_equal(index, mark + n);
    /* a small buffer gets the oldest bytes and an index to go on from. */
    index = mark;
    assert_int_equal(readconsole(c, 5, true, &index, false, LIST), 5);
    assert_memory_equal(buf, "readc", 5);
    assert_int_equal(index, mark + 5);
    /* a buffer the caller cannot write: -EFAULT, nothing consumed or cleared. */
    index = 0;
    assert_int_equal(readconsole(c, 64, false, &index, true, 0x10), -EFAULT);
    assert_true(readconsole(c, 4096, false, &index, false, LIST) > 0);
    /* clear: read, then nothing is left; later lines are kept again. */
    assert_true(readconsole(c, 4096, false, &index, true, LIST) > 0);
    assert_int_equal(readconsole(c, 4096, false, &index, false, LIST), 0);
    printk("readconsole: third line\n");
    n = readconsole(c, 4096, false, &index, false, LIST);
    assert_memory_equal(buf, "readconsole: third line\n", n);
    /* more than the ring holds: the newest CONRING_SIZE bytes, oldest first. */
    for (unsigned i = 0; i < CONRING_SIZE / 16; i++) {
        printk("line %08u xx\n", i); /* 17 bytes */
    }
    n = readconsole(c, 64, false, &index, false, LIST);
    assert_int_equal(n, 64);
    assert_null(memchr(buf, 'r', (size_t)n)); /* the cleared and older lines are gone */
    end(c);
}

static void test_refused_to_other_roles(void **state)
{
    static const enum domain_role roles[] = {ROLE_GUEST, ROLE_STUB, ROLE_DRIVER};
    struct domain *c = boot_domain("dom0-lite", ROLE_CONTROL);
    uint16_t id;

    (void)state;
    id = build(c, 2);
    for (unsigned r = 0; r < ARRAY_SIZE(roles); r++) {
        struct domain *g = boot_domain("other", roles[r]);
        static const uint32_t cmds[] = {
            XEN_DOMCTL_createdomain,   XEN_DOMCTL_destroydomain, XEN_DOMCTL_pausedomain,
            XEN_DOMCTL_unpausedomain,  XEN_DOMCTL_getdomaininfo, XEN_DOMCTL_max_mem,
            XEN_DOMCTL_setvcpucontext, XEN_DOMCTL_getvcpuinfo,   77};
        static const uint32_t scmds[] = {XEN_SYSCTL_physinfo, XEN_SYSCTL_getdomaininfolist,
                                         XEN_SYSCTL_readconsole};
        struct evtchn_bind_virq b = {.virq = VIRQ_DOM_EXC};
        xen_pfn_t gfn = GFN0 + 1024;
        int err = 0;

        fake_console_reset();
        for (unsigned i = 0; i < ARRAY_SIZE(scmds); i++) {
            struct xen_sysctl op = {.cmd = scmds[i]};

            assert_int_equal(sysctl(g, &op), -EPERM);
        }
        for (unsigned i = 0; i < 2 * ARRAY_SIZE(cmds); i++) {
            assert_int_equal(simple(g, cmds[i % ARRAY_SIZE(cmds)], id), -EPERM);
        }
        assert_int_equal(populate(g, id, &gfn, 1, 0), -EPERM);
        assert_int_equal(fmap(g, id, GFN0, 0, &err), -EPERM);
        assert_false(mapped(g, WINDOW));
        assert_int_equal(remote_shutdown(g, id, SHUTDOWN_poweroff), -EPERM);
        assert_int_equal(remote_shutdown(g, c->id, SHUTDOWN_poweroff), -EPERM);
        memcpy(core_env_gpa(g, ARGS), &b, sizeof(b));
        assert_int_equal(core_env_hypercall(g->vcpus[0], HC_EVTCHN_OP, EVTCHNOP_bind_virq, ARGS, 0),
                         -EPERM);
        assert_true(fake_console_contains("domctl on d"));
        assert_true(fake_console_contains("sysctl on d"));
        assert_true(fake_console_contains("further refusals not logged")); /* rate limit */
        end(g);
    }
    assert_int_equal(c->state, DOM_RUNNING);
    assert_int_equal(simple(c, XEN_DOMCTL_destroydomain, id), 0);
    end(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_build_run_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_virq_dom_exc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_keeps_vcpus_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_100_domains_free_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sched_affinity_and_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_end_orphans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_time_kept_with_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_time_control_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_time_half_built, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readconsole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_to_other_roles, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * domctl (Xen: `long do_domctl(XEN_GUEST_HANDLE_PARAM(xen_domctl_t) u_domctl)`): the
 * control domain's operations on other domains (docs/control.md). Xen 4.17's order of
 * checks: the struct is read (-EFAULT), its interface_version must be
 * XEN_DOMCTL_INTERFACE_VERSION (-EACCES), then the caller must be the control domain
 * (-EPERM, logged with a rate limit). Unknown sub-ops are -ENOSYS, as Xen on Arm answers
 * them (arch_do_domctl's default).
 */
/* First: it decides the Xen interface version of the host build. */
#include <bulkhead/xen_domctl.h>

#include <stdint.h>
#include <string.h>

#include <fmt.h>

#include <xen/vcpu.h>

#include <bulkhead/arch.h>
#include <bulkhead/control.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/magic.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

_Static_assert(sizeof(struct xen_domctl) == 128 + 16, "Xen's xen_domctl layout");

/* Is @v's domain the control domain? If not, the refusal is logged (rate-limited). */
bool control_may(struct vcpu *v, const char *what, uint16_t other)
{
    if (v->dom->role == ROLE_CONTROL) {
        return true;
    }
    domain_refused(v->dom, what, other);
    return false;
}

static bool vcpu_running(const struct vcpu *v)
{
    return READ_ONCE(v->state) == VCPU_RUNNABLE;
}

void control_domain_info(struct domain *d, struct xen_domctl_getdomaininfo *info)
{
    uint32_t end = __atomic_load_n(&d->end_flags, __ATOMIC_ACQUIRE);
    enum domain_state state = READ_ONCE(d->state);
    bool running = false, paused = state == DOM_BUILDING || READ_ONCE(d->sched.paused);
    uint64_t ticks = 0;
    unsigned online = 0;

    memset(info, 0, sizeof(*info));
    info->domain = d->id;
    /* Arm guests are HVM guests with hardware-assisted paging in Xen's terms. */
    info->flags = XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];

        running |= vcpu_running(v);
        online += READ_ONCE(v->state) != VCPU_DOWN && READ_ONCE(v->state) != VCPU_DEAD;
        ticks += v->runstate_time[RUNSTATE_running];
    }
    if (state == DOM_DYING) {
        info->flags |= XEN_DOMINF_shutdown | (d->shutdown_reason & XEN_DOMINF_shutdownmask)
                                                 << XEN_DOMINF_shutdownshift;
        if (end & END_KILL_ASKED) {
            info->flags |= XEN_DOMINF_dying;
        }
    } else if (paused) {
        info->flags |= XEN_DOMINF_paused;
    } else {
        info->flags |= running ? XEN_DOMINF_running : XEN_DOMINF_blocked;
    }
    info->tot_pages = READ_ONCE(d->ram_pages);
    info->max_pages = READ_ONCE(d->max_pages);
    info->cpu_time = time_ticks_to_ns(ticks);
    info->nr_online_vcpus = online;
    info->max_vcpu_id = d->nr_vcpus - 1;
    memcpy(info->handle, d->handle, sizeof(info->handle));
}

static int create(struct xen_domctl *op)
{
    struct xen_domctl_createdomain *c = &op->u.createdomain;
    struct domain_config cfg = {.name = "domctl",
                                .role = ROLE_GUEST,
                                .nr_vcpus = c->max_vcpus,
                                .under_construction = true,
                                .id = op->domain};
    struct domain *d;
    int rc;

    if (c->max_vcpus == 0 || c->max_vcpus > MAX_VCPUS ||
        (c->flags & ~(XEN_DOMCTL_CDF_MAX * 2 - 1))) {
        return -EINVAL;
    }
    rc = domain_create(&cfg, &d);
    if (rc) {
        return rc;
    }
    /* Published already: held, and ended with domain_kill (idempotent), should another
     * vCPU of the caller destroy the new id meanwhile. */
    domain_hold(d);
    fmt_snprintf(d->name, sizeof(d->name), "d%u", d->id);
    rc = magic_setup(d); /* its xenstore and console pages, served by the caller */
    if (rc) {
        domain_kill(d);
    } else {
        memcpy(d->handle, c->handle, sizeof(d->handle));
        op->domain = d->id;
        printk("bulkhead: d%u created by the control domain (%u vCPUs)\n", d->id, d->nr_vcpus);
    }
    domain_put(d);
    return rc;
}

static int set_context(struct vcpu *v, struct domain *d, struct xen_domctl_vcpucontext *c)
{
    struct vcpu_guest_context ctx;
    uint64_t entry, arg;
    int rc;

    if (c->vcpu >= d->nr_vcpus) {
        return -EINVAL;
    }
    if (c->vcpu != 0) {
        return -EOPNOTSUPP; /* the others start with PSCI CPU_ON / SBI HSM */
    }
    rc = copy_from_guest(v, &ctx, guest_handle_addr(&c->ctxt), sizeof(ctx));
    if (rc == 0) {
        rc = arch_vcpu_context_decode(&ctx, &entry, &arg);
    }
    return rc ? rc : domain_set_context(d, entry, arg);
}

static int vcpu_info(struct domain *d, struct xen_domctl_getvcpuinfo *g)
{
    struct vcpu *v;

    if (g->vcpu >= d->nr_vcpus) {
        return -EINVAL;
    }
    v = d->vcpus[g->vcpu];
    g->online = READ_ONCE(v->state) != VCPU_DOWN && READ_ONCE(v->state) != VCPU_DEAD;
    g->blocked = READ_ONCE(v->state) == VCPU_BLOCKED || READ_ONCE(v->state) == VCPU_IOREQ;
    g->running = vcpu_running(v) && !READ_ONCE(d->sched.paused);
    g->cpu_time = time_ticks_to_ns(v->runstate_time[RUNSTATE_running]);
    g->cpu = READ_ONCE(v->pcpu);
    return 0;
}

static int sched_op(struct domain *d, struct xen_domctl_scheduler_op *s, bool *copyback)
{
    /* One scheduler, presented as Xen's credit scheduler: weight and cap per domain. */
    if (s->sched_id != XEN_SCHEDULER_CREDIT) {
        return -EINVAL;
    }
    if (s->cmd == XEN_DOMCTL_SCHEDOP_getinfo) {
        s->u.credit.weight = READ_ONCE(d->sched.weight);
        s->u.credit.cap = READ_ONCE(d->sched.cap);
        *copyback = true;
        return 0;
    }
    if (s->cmd != XEN_DOMCTL_SCHEDOP_putinfo) {
        return -EINVAL;
    }
    /* As Xen's credit: a cap of ~0 leaves the cap as it is. */
    return sched_set_domain_params(d, s->u.credit.weight,
                                   s->u.credit.cap == UINT16_MAX ? READ_ONCE(d->sched.cap)
                                                                 : s->u.credit.cap);
}

static int set_affinity(struct vcpu *v, struct domain *d, struct xen_domctl_vcpuaffinity *a)
{
    uint8_t bytes[8] = {0};
    uint32_t n = MIN(a->cpumap_hard.nr_bits, 64u), mask = 0;
    int rc;

    if (a->vcpu >= d->nr_vcpus) {
        return -EINVAL;
    }
    if (!(a->flags & XEN_VCPUAFFINITY_HARD)) {
        return a->flags & XEN_VCPUAFFINITY_SOFT ? 0 : -EINVAL; /* soft: a hint we ignore */
    }
    rc = copy_from_guest(v, bytes, guest_handle_addr(&a->cpumap_hard.bitmap), (n + 7) / 8);
    for (uint32_t i = 0; i < MIN(n, 32u) && rc == 0; i++) {
        mask |= (uint32_t)((bytes[i / 8] >> (i % 8)) & 1) << i;
    }
    /* As Xen: a map naming no CPU the host has is -EINVAL (0 would mean "any" below). */
    return rc ? rc : mask ? sched_set_affinity(d->vcpus[a->vcpu], mask) : -EINVAL;
}

static int set_target(struct domain *stub, domid_t target)
{
    struct domain *t = domain_get(target);
    int rc;

    if (!t) {
        return -ESRCH;
    }
    rc = domain_set_target(stub, t);
    domain_put(t);
    return rc;
}

/* The operations on an existing domain @d (referenced); @copyback when @op goes back. */
static int on_domain(struct vcpu *v, struct domain *d, struct xen_domctl *op, bool *copyback)
{
    bool self = d == v->dom;

    switch (op->cmd) {
    case XEN_DOMCTL_destroydomain:
        if (self) {
            return -EINVAL;
        }
        domain_kill(d);
        return 0;
    case XEN_DOMCTL_pausedomain:
        return self ? -EINVAL : domain_pause(d);
    case XEN_DOMCTL_unpausedomain:
        return self ? -EINVAL : domain_unpause(d);
    case XEN_DOMCTL_max_mem:
        /* KiB to pages, as Xen: rounded down. */
        return domain_set_max_mem(d, op->u.max_mem.max_memkb >> (PAGE_SHIFT - 10));
    case XEN_DOMCTL_setvcpucontext:
        return self ? -EINVAL : set_context(v, d, &op->u.vcpucontext);
    case XEN_DOMCTL_getvcpuinfo:
        *copyback = true;
        return vcpu_info(d, &op->u.getvcpuinfo);
    case XEN_DOMCTL_scheduler_op:
        return sched_op(d, &op->u.scheduler_op, copyback);
    case XEN_DOMCTL_setvcpuaffinity:
        return set_affinity(v, d, &op->u.vcpuaffinity);
    case XEN_DOMCTL_set_target:
        return self ? -EINVAL : set_target(d, op->u.set_target.target);
    default:
        return -ENOSYS;
    }
}

static bool known(uint32_t cmd)
{
    switch (cmd) {
    case XEN_DOMCTL_createdomain:
    case XEN_DOMCTL_destroydomain:
    case XEN_DOMCTL_pausedomain:
    case XEN_DOMCTL_unpausedomain:
    case XEN_DOMCTL_getdomaininfo:
    case XEN_DOMCTL_max_mem:
    case XEN_DOMCTL_setvcpucontext:
    case XEN_DOMCTL_getvcpuinfo:
    case XEN_DOMCTL_scheduler_op:
    case XEN_DOMCTL_setvcpuaffinity:
    case XEN_DOMCTL_set_target:
        return true;
    default:
        return false;
    }
}

int64_t do_domctl(struct vcpu *v, uint64_t arg)
{
    struct xen_domctl op;
    struct domain *d;
    bool copyback = false;
    int rc = get_guest(v, &op, arg);

    if (rc) {
        return rc;
    }
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION) {
        return -EACCES;
    }
    if (!control_may(v, "domctl", op.domain)) {
        return -EPERM;
    }
    if (!known(op.cmd)) {
        return -ENOSYS;
    }
    if (op.cmd == XEN_DOMCTL_createdomain) {
        rc = create(&op);
        return rc ? rc : put_guest(v, arg, &op);
    }
    if (op.cmd == XEN_DOMCTL_getdomaininfo) {
        /* Xen 4.17: the first domain whose id is at least the one asked. */
        d = op.domain < MAX_DOMAINS ? domain_get_next(op.domain) : NULL;
        if (!d) {
            return -ESRCH;
        }
        control_domain_info(d, &op.u.getdomaininfo);
        op.domain = d->id;
        domain_put(d);
        return put_guest(v, arg, &op);
    }
    d = domain_get_any(op.domain);
    if (!d) {
        return -ESRCH;
    }
    rc = on_domain(v, d, &op, &copyback);
    domain_put(d);
    if (rc == 0 && copyback) {
        rc = put_guest(v, arg, &op);
    }
    return rc;
}

int64_t hc_domctl(struct vcpu *v, struct hypercall *hc)
{
    return do_domctl(v, hc->a[0]);
}

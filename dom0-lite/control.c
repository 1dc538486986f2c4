/* SPDX-License-Identifier: MIT */
/* dom0-lite's control operations: the bh back end over domctl / sysctl (control.h). */
#include "consoled.h"
#include "control.h"
#include "xsdom.h"

#include <string.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "fmt.h"

#include <xen/domctl.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/sysctl.h>
#include <xen/version.h>

#define MAX_IDS     1024
#define DOMID_SELF_ 0x7ff0u

static char names[BH_MAX_DOMS][BH_NAME_MAX];
static unsigned name_ids[BH_MAX_DOMS];

long dom0_domctl(void *op)
{
    ((struct xen_domctl *)op)->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    return dom_hypercall(__HYPERVISOR_domctl, (unsigned long)op, 0, 0, 0, 0);
}

long dom0_sysctl(void *op)
{
    ((struct xen_sysctl *)op)->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return dom_hypercall(__HYPERVISOR_sysctl, (unsigned long)op, 0, 0, 0, 0);
}

void names_set(unsigned id, const char *name)
{
    unsigned slot = BH_MAX_DOMS;

    for (unsigned i = 0; i < BH_MAX_DOMS; i++) {
        if (names[i][0] && name_ids[i] == id) {
            slot = i;
            break;
        }
        if (!names[i][0] && slot == BH_MAX_DOMS) {
            slot = i;
        }
    }
    if (slot < BH_MAX_DOMS) {
        size_t n = strnlen(name, BH_NAME_MAX - 1);

        memcpy(names[slot], name, n);
        names[slot][n] = '\0';
        name_ids[slot] = id;
    }
}

const char *names_get(unsigned id)
{
    for (unsigned i = 0; i < BH_MAX_DOMS; i++) {
        if (names[i][0] && name_ids[i] == id) {
            return names[i];
        }
    }
    return NULL;
}

void names_clear(unsigned id)
{
    for (unsigned i = 0; i < BH_MAX_DOMS; i++) {
        if (names[i][0] && name_ids[i] == id) {
            names[i][0] = '\0';
        }
    }
}

static void fill(struct bh_dom *d, const struct xen_domctl_getdomaininfo *di)
{
    const char *n = names_get(di->domain);

    d->id = di->domain;
    if (n) {
        memcpy(d->name, n, strlen(n) + 1);
    } else {
        fmt_snprintf(d->name, sizeof(d->name), "d%u", di->domain);
    }
    d->mem_kib = di->tot_pages * 4;
    d->vcpus = di->nr_online_vcpus;
    d->flags = di->flags &
               (BH_DOM_DYING | BH_DOM_SHUTDOWN | BH_DOM_PAUSED | BH_DOM_BLOCKED | BH_DOM_RUNNING);
    d->shutdown_code = (di->flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
    d->cpu_ns = di->cpu_time;
    d->stub_id = guest_find(di->domain) ? guest_find(di->domain)->stub_id : 0;
}

static int op_list(struct bh_dom *doms, unsigned max)
{
    static struct xen_domctl_getdomaininfo info[BH_MAX_DOMS];
    struct xen_sysctl op = {.cmd = XEN_SYSCTL_getdomaininfolist};
    int rc;

    if (max > BH_MAX_DOMS) {
        max = BH_MAX_DOMS;
    }
    op.u.getdomaininfolist.first_domain = 0;
    op.u.getdomaininfolist.max_domains = max;
    set_xen_guest_handle(op.u.getdomaininfolist.buffer, info);
    rc = (int)dom0_sysctl(&op);
    if (rc < 0) {
        return rc;
    }
    for (unsigned i = 0; i < op.u.getdomaininfolist.num_domains && i < max; i++) {
        fill(&doms[i], &info[i]);
    }
    return (int)op.u.getdomaininfolist.num_domains;
}

static int simple_domctl(uint32_t cmd, unsigned domid)
{
    struct xen_domctl op = {.cmd = cmd, .domain = (domid_t)domid};

    return (int)dom0_domctl(&op);
}

static int op_destroy(unsigned domid, char *err)
{
    int rc = builder_destroy(domid);
    struct guest_rec *g = guest_find(domid);

    (void)err;
    if (rc == 0) {
        if (g) {
            if (g->stub_id) {
                builder_destroy(g->stub_id);
            }
            g->used = false;
        }
    }
    return rc;
}

static int op_shutdown(unsigned domid, bool reboot, char *err)
{
    struct sched_remote_shutdown rs = {.domain_id = (domid_t)domid,
                                       .reason = reboot ? SHUTDOWN_reboot : SHUTDOWN_poweroff};

    (void)err;
    return (int)HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs);
}

static int op_pause(unsigned domid, bool pause, char *err)
{
    (void)err;
    return simple_domctl(pause ? XEN_DOMCTL_pausedomain : XEN_DOMCTL_unpausedomain, domid);
}

static int op_vcpus(unsigned domid, struct bh_vcpu *v, unsigned max)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_getdomaininfo, .domain = (domid_t)domid};
    unsigned n = 0;
    int rc = (int)dom0_domctl(&op);

    if (rc < 0) {
        return rc;
    }
    uint32_t last = op.u.getdomaininfo.max_vcpu_id;

    for (uint32_t i = 0; last != XEN_INVALID_MAX_VCPU_ID && i <= last && n < max; i++) {
        struct xen_domctl q = {.cmd = XEN_DOMCTL_getvcpuinfo, .domain = (domid_t)domid};

        q.u.getvcpuinfo.vcpu = i;
        if (dom0_domctl(&q) < 0) {
            continue;
        }
        v[n] = (struct bh_vcpu){.id = i,
                                .cpu = q.u.getvcpuinfo.running ? (int)q.u.getvcpuinfo.cpu : -1,
                                .online = q.u.getvcpuinfo.online,
                                .running = q.u.getvcpuinfo.running,
                                .blocked = q.u.getvcpuinfo.blocked,
                                .cpu_ns = q.u.getvcpuinfo.cpu_time};
        n++;
    }
    return (int)n;
}

static int op_vcpu_pin(unsigned domid, int vcpu, uint64_t mask, char *err)
{
    struct xen_domctl info = {.cmd = XEN_DOMCTL_getdomaininfo, .domain = (domid_t)domid};
    uint32_t first = vcpu < 0 ? 0 : (uint32_t)vcpu, last;
    int rc = (int)dom0_domctl(&info);

    (void)err;
    if (rc < 0) {
        return rc;
    }
    last = vcpu < 0 ? info.u.getdomaininfo.max_vcpu_id : (uint32_t)vcpu;
    for (uint32_t i = first; i <= last && last != XEN_INVALID_MAX_VCPU_ID; i++) {
        struct xen_domctl op = {.cmd = XEN_DOMCTL_setvcpuaffinity, .domain = (domid_t)domid};
        uint64_t bits = mask;

        op.u.vcpuaffinity.vcpu = i;
        op.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_HARD;
        set_xen_guest_handle(op.u.vcpuaffinity.cpumap_hard.bitmap, (uint8_t *)&bits);
        op.u.vcpuaffinity.cpumap_hard.nr_bits = 64;
        rc = (int)dom0_domctl(&op);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int sched_op(unsigned domid, uint32_t cmd, struct xen_domctl_sched_credit *c)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_scheduler_op, .domain = (domid_t)domid};
    int rc;

    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = cmd;
    op.u.scheduler_op.u.credit = *c;
    rc = (int)dom0_domctl(&op);
    *c = op.u.scheduler_op.u.credit;
    return rc;
}

static int op_sched_get(unsigned domid, unsigned *weight, unsigned *cap)
{
    struct xen_domctl_sched_credit c = {0};
    int rc = sched_op(domid, XEN_DOMCTL_SCHEDOP_getinfo, &c);

    *weight = c.weight;
    *cap = c.cap;
    return rc;
}

static int op_sched_set(unsigned domid, int weight, int cap)
{
    struct xen_domctl_sched_credit c = {0};
    int rc = sched_op(domid, XEN_DOMCTL_SCHEDOP_getinfo, &c);

    if (rc < 0) {
        return rc;
    }
    if (weight >= 0) {
        c.weight = (uint16_t)weight;
    }
    if (cap >= 0) {
        c.cap = (uint16_t)cap;
    }
    return sched_op(domid, XEN_DOMCTL_SCHEDOP_putinfo, &c);
}

static int op_physinfo(struct bh_physinfo *pi)
{
    struct xen_sysctl op = {.cmd = XEN_SYSCTL_physinfo};
    int rc = (int)dom0_sysctl(&op);

    if (rc < 0) {
        return rc;
    }
    pi->nr_cpus = op.u.physinfo.nr_cpus;
    pi->cpu_khz = op.u.physinfo.cpu_khz;
    pi->total_pages = op.u.physinfo.total_pages;
    pi->free_pages = op.u.physinfo.free_pages;
    pi->page_size = 4096;
    return 0;
}

static uint64_t op_uptime(void)
{
    return dom_now_ns();
}

/* XEN_SYSCTL_readconsole, from the oldest byte kept, in pieces. */
static int op_dmesg(bool clear, void (*out)(const char *s, size_t len), char *err)
{
    static char buf[1024];
    uint32_t index = 0;
    bool from_index = false;

    (void)err;
    for (;;) {
        struct xen_sysctl op = {.cmd = XEN_SYSCTL_readconsole,
                                .interface_version = XEN_SYSCTL_INTERFACE_VERSION};
        long rc;

        op.u.readconsole.count = sizeof(buf);
        op.u.readconsole.incremental = from_index;
        op.u.readconsole.index = index;
        set_xen_guest_handle(op.u.readconsole.buffer, buf);
        rc = dom0_sysctl(&op);
        if (rc) {
            return (int)rc;
        }
        if (!op.u.readconsole.count) {
            break;
        }
        out(buf, op.u.readconsole.count);
        index = op.u.readconsole.index;
        from_index = true;
    }
    if (clear) {
        struct xen_sysctl op = {.cmd = XEN_SYSCTL_readconsole,
                                .interface_version = XEN_SYSCTL_INTERFACE_VERSION};

        op.u.readconsole.clear = 1;
        set_xen_guest_handle(op.u.readconsole.buffer, buf);
        return (int)dom0_sysctl(&op);
    }
    return 0;
}

static int op_console(unsigned domid, char *err)
{
    long rc = HYPERVISOR_console_io(CONSOLEIO_BH_FOCUS, (int)domid, NULL);

    if (rc == -XEN_ESRCH) {
        fmt_snprintf(err, BH_ERR_MAX, "d%u has no console of its own (a stub domain?)", domid);
    } else if (rc == 0) {
        consoled_focus(domid); /* its prompt, if it is waiting at one */
    }
    return (int)rc;
}

static void op_crash(void)
{
    dom_puts("dom0-lite: crashing on purpose (crash-dom0)\n");
    /* Below RAM (an address the compiler cannot see through): a data abort / page fault. */
    volatile uintptr_t bad = 8;

    *(volatile uint64_t *)bad = 0xdead;
}

static void out(const char *s, size_t len)
{
    dom_write(s, len);
}

const struct bh_ops control_ops = {
    .out = out,
    .list = op_list,
    .create = builder_create,
    .destroy = op_destroy,
    .shutdown = op_shutdown,
    .pause = op_pause,
    .vcpus = op_vcpus,
    .sched_get = op_sched_get,
    .sched_set = op_sched_set,
    .physinfo = op_physinfo,
    .uptime_ns = op_uptime,
    .dmesg = op_dmesg,
    .console = op_console,
    .vcpu_pin = op_vcpu_pin,
    .crash = op_crash,
    .xs_ls = xsdom_ls,
    .xs_read = xsdom_read,
    .xs_write = xsdom_write,
    .version = "Bulkhead (Xen 4.17 ABI)",
};

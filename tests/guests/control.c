/* SPDX-License-Identifier: MIT */
/*
 * control: the hypervisor's control operations (docs/control.md) exercised by a test
 * guest booted with role = "control". It builds a second domain at run time from a copy
 * of its own image, the way dom0-lite does (createdomain, max_mem, populate_physmap,
 * foreign-map and copy the image and a DTB, setvcpucontext, unpause), waits for it to
 * print and power off through VIRQ_DOM_EXC, checks getdomaininfo (shutdown, poweroff),
 * destroys it, `iters=` times (default 100), and checks that physinfo's free pages come
 * back to the value after the first round. Booted as anything but the control domain, it
 * tries every control operation instead and expects -XEN_EPERM from each.
 *
 * The child's DTB is a copy of ours with bootargs overwritten in place by `test=shutdown`
 * and /memory's size set to the child's RAM, so our bootargs must be at least that long.
 */
/* domctl.h and sysctl.h are for Xen and its tools: this mode is a toolstack. hvm/save.h
 * (which domctl.h includes) needs GNU C and declares nothing used here. */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1
#define __XEN_PUBLIC_HVM_SAVE_H__
#include <stdint.h>

#include <xen/domctl.h>
#include <xen/sysctl.h>

#include <string.h>

#include <libfdt.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>

#ifdef __riscv
#define RAM_BASE 0x80000000ul
#define WINDOW   0x140000000ul /* RAM base + max: the foreign window (docs/ioreq.md) */
#else
#define RAM_BASE 0x40000000ul
#define WINDOW   0x100000000ul
#endif
#define CHILD_MB   8
#define LOAD       (RAM_BASE + 0x200000) /* text_offset: the image is linked there */
#define CHILD_DTB  (RAM_BASE + 0x600000) /* in the child's last 2 MiB */
#define BATCH      32                    /* pages mapped at once */
#define CHILD_ARGS "test=shutdown"

extern char __image_start[], __bss_start[];

static volatile struct shared_info shinfo __attribute__((aligned(4096)));
static uint8_t dtb_copy[64 * 1024] __attribute__((aligned(8)));

static long domctl(struct xen_domctl *op)
{
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    return dom_hypercall(__HYPERVISOR_domctl, (unsigned long)op, 0, 0, 0, 0);
}

static long sysctl(struct xen_sysctl *op)
{
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return dom_hypercall(__HYPERVISOR_sysctl, (unsigned long)op, 0, 0, 0, 0);
}

static long simple(uint32_t cmd, domid_t dom)
{
    struct xen_domctl op = {.cmd = cmd, .domain = dom};

    return domctl(&op);
}

static long physinfo(uint64_t *free_pages)
{
    struct xen_sysctl op = {.cmd = XEN_SYSCTL_physinfo};
    long rc = sysctl(&op);

    *free_pages = op.u.physinfo.free_pages;
    return rc;
}

static long info(domid_t id, struct xen_domctl_getdomaininfo *out)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_getdomaininfo, .domain = id};
    long rc = domctl(&op);

    *out = op.u.getdomaininfo;
    return rc == 0 && op.domain != id ? -XEN_ESRCH : rc;
}

static long populate(domid_t id, xen_pfn_t *gfns, unsigned n, unsigned order)
{
    struct xen_memory_reservation r = {.nr_extents = n, .extent_order = order, .domid = id};

    set_xen_guest_handle(r.extent_start, gfns);
    return HYPERVISOR_memory_op(XENMEM_populate_physmap, &r);
}

static long remote_shutdown(domid_t id, unsigned reason)
{
    struct sched_remote_shutdown rs = {.domain_id = id, .reason = reason};

    return HYPERVISOR_sched_op(SCHEDOP_remote_shutdown, &rs);
}

/* Map @n pages of @id from guest-physical @gpa at our window; per-entry errors too. */
static long fmap(domid_t id, uint64_t gpa, unsigned n)
{
    static xen_ulong_t idxs[BATCH];
    static xen_pfn_t gpfns[BATCH];
    static int errs[BATCH];
    struct xen_add_to_physmap_batch b = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = (uint16_t)n};
    long rc;

    b.u.foreign_domid = id;
    for (unsigned i = 0; i < n; i++) {
        idxs[i] = (gpa >> 12) + i;
        gpfns[i] = (WINDOW >> 12) + i;
        errs[i] = 1;
    }
    set_xen_guest_handle(b.idxs, idxs);
    set_xen_guest_handle(b.gpfns, gpfns);
    set_xen_guest_handle(b.errs, errs);
    rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap_batch, &b);
    for (unsigned i = 0; i < n && rc == 0; i++) {
        rc = errs[i];
    }
    return rc;
}

static long unmap(unsigned n)
{
    long rc = 0;

    for (unsigned i = 0; i < n && rc == 0; i++) {
        struct xen_remove_from_physmap x = {.domid = DOMID_SELF, .gpfn = (WINDOW >> 12) + i};

        rc = HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &x);
    }
    return rc;
}

/* Copy @len bytes from @src to the child's @gpa through the window, BATCH pages at a
 * time. Word copies: with the MMU off, memory is Device memory on aarch64, where an
 * unaligned access faults. */
static long copy_in(domid_t id, uint64_t gpa, const void *src, uint64_t len)
{
    for (uint64_t off = 0; off < len; off += BATCH * 4096ul) {
        uint64_t chunk = len - off < BATCH * 4096ul ? len - off : BATCH * 4096ul;
        unsigned pages = (unsigned)((chunk + 4095) / 4096);
        const volatile uint64_t *s = (const volatile uint64_t *)((uintptr_t)src + off);
        volatile uint64_t *d = (volatile uint64_t *)WINDOW;
        long rc = fmap(id, gpa + off, pages);

        if (rc) {
            return rc;
        }
        for (uint64_t w = 0; w < (chunk + 7) / 8; w++) {
            d[w] = s[w];
        }
        rc = unmap(pages);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

/* Our DTB with the child's bootargs and RAM size. */
static int child_dtb(uint64_t *size)
{
    uint64_t n = dom_info.fdt_size;
    int len, off;
    char *args;
    fdt32_t *reg;

    if (n > sizeof(dtb_copy)) {
        return -1;
    }
    memcpy(dtb_copy, dom_info.fdt, n);
    off = fdt_path_offset(dtb_copy, "/chosen");
    args = off < 0 ? NULL : (char *)fdt_getprop(dtb_copy, off, "bootargs", &len);
    if (!args || len < (int)sizeof(CHILD_ARGS)) {
        return -2;
    }
    memset(args, ' ', (size_t)len - 1);
    memcpy(args, CHILD_ARGS, sizeof(CHILD_ARGS) - 1);
    off = fdt_node_offset_by_prop_value(dtb_copy, -1, "device_type", "memory", 7);
    reg = off < 0 ? NULL : (fdt32_t *)fdt_getprop(dtb_copy, off, "reg", &len);
    if (!reg || len != 16) {
        return -3;
    }
    reg[2] = cpu_to_fdt32(0);
    reg[3] = cpu_to_fdt32(CHILD_MB << 20);
    *size = (n + 7) & ~7ul;
    return 0;
}

static bool pending(uint32_t port)
{
    return (__atomic_load_n(&shinfo.evtchn_pending[port / 64], __ATOMIC_ACQUIRE) >> (port % 64)) &
           1;
}

static void clear_pending(uint32_t port)
{
    __atomic_fetch_and(&shinfo.evtchn_pending[port / 64], ~(1ul << (port % 64)), __ATOMIC_ACQ_REL);
}

/* Wait up to @ms for VIRQ_DOM_EXC, then clear it. */
static bool wait_dom_exc(uint32_t port, unsigned ms)
{
    for (unsigned t = 0; t < ms; t++) {
        if (pending(port)) {
            clear_pending(port);
            return true;
        }
        dom_sleep_ms(1);
    }
    return false;
}

/* Build, run, check and destroy one child; 0 or a step number that failed. */
static int one_round(uint32_t port, uint64_t dtb_size, domid_t *out_id)
{
    struct xen_domctl op = {.cmd = XEN_DOMCTL_createdomain};
    struct xen_domctl_getdomaininfo di;
    struct vcpu_guest_context ctx;
    xen_pfn_t gfns[CHILD_MB / 2];
    bool down = false;
    domid_t id;

    op.u.createdomain.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
    op.u.createdomain.max_vcpus = 1;
    if (domctl(&op) != 0) {
        return 1;
    }
    id = op.domain;
    *out_id = id;
    op = (struct xen_domctl){.cmd = XEN_DOMCTL_max_mem, .domain = id};
    op.u.max_mem.max_memkb = CHILD_MB * 1024;
    if (domctl(&op) != 0) {
        return 2;
    }
    for (unsigned i = 0; i < CHILD_MB / 2; i++) {
        gfns[i] = (RAM_BASE >> 12) + i * 512;
    }
    if (populate(id, gfns, CHILD_MB / 2, 9) != CHILD_MB / 2) {
        return 3;
    }
    if (copy_in(id, LOAD, __image_start, (uint64_t)(__bss_start - __image_start)) != 0) {
        return 4;
    }
    if (copy_in(id, CHILD_DTB, dtb_copy, dtb_size) != 0) {
        return 5;
    }
    memset(&ctx, 0, sizeof(ctx));
#ifdef __riscv
    ctx.user_regs.sepc = LOAD;
    ctx.user_regs.x[11] = CHILD_DTB;
#else
    ctx.user_regs.pc64 = LOAD;
    ctx.user_regs.x0 = CHILD_DTB;
    ctx.user_regs.cpsr = 0x3c5; /* EL1h, DAIF masked */
#endif
    op = (struct xen_domctl){.cmd = XEN_DOMCTL_setvcpucontext, .domain = id};
    op.u.vcpucontext.vcpu = 0;
    set_xen_guest_handle(op.u.vcpucontext.ctxt, &ctx);
    if (domctl(&op) != 0) {
        return 6;
    }
    clear_pending(port);
    if (simple(XEN_DOMCTL_unpausedomain, id) != 0) {
        return 7;
    }
    /* Construction is over: its memory is no longer ours to map. */
    if (fmap(id, LOAD, 1) != -XEN_EPERM) {
        return 8;
    }
    for (unsigned tries = 0; tries < 20 && !down; tries++) {
        if (!wait_dom_exc(port, 1000)) {
            continue;
        }
        down = info(id, &di) == 0 && (di.flags & XEN_DOMINF_shutdown);
    }
    if (!down) {
        return 9;
    }
    if (((di.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask) != SHUTDOWN_poweroff) {
        return 10;
    }
    if (simple(XEN_DOMCTL_destroydomain, id) != 0) {
        return 11;
    }
    /* Freed once its vCPUs are off their CPUs: wait until it is gone. */
    for (unsigned t = 0; t < 5000 && info(id, &di) == 0; t++) {
        dom_sleep_ms(1);
    }
    return info(id, &di) == -XEN_ESRCH ? 0 : 12;
}

/* Free pages once frees in flight are done: a destroyed domain leaves getdomaininfo
 * (unpublished) just before its pages go back, possibly on another CPU. */
static uint64_t settled_free_pages(void)
{
    uint64_t a = 0, b = 0;

    physinfo(&a);
    for (unsigned i = 0; i < 100; i++) {
        dom_sleep_ms(10);
        physinfo(&b);
        if (a == b) {
            break;
        }
        a = b;
    }
    return b;
}

static int as_control(void)
{
    uint64_t iters = dom_arg_u64("iters", 100), free_first = 0, free_now = 0, dtb_size = 0;
    struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                   .space = XENMAPSPACE_shared_info,
                                   .gpfn = (uint64_t)(uintptr_t)&shinfo >> 12};
    struct evtchn_bind_virq b = {.virq = VIRQ_DOM_EXC, .vcpu = 0};
    uint64_t t0 = dom_now_ns();
    unsigned ok = 0;
    int rc;

    test_check(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x) == 0, "control-shared-info",
               "add_to_physmap failed");
    test_check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b) == 0, "control-bind-dom-exc",
               "bind_virq(VIRQ_DOM_EXC) failed");
    rc = child_dtb(&dtb_size);
    if (!test_check(rc == 0, "control-child-dtb", "step %d (bootargs shorter than " CHILD_ARGS "?)",
                    rc)) {
        test_done();
        return 0;
    }
    for (uint64_t i = 0; i < iters; i++) {
        domid_t id = 0;

        rc = one_round(b.port, dtb_size, &id);
        if (rc) {
            test_fail("control-round", "round %lu, d%u: step %d", i, id, rc);
            if (id) {
                simple(XEN_DOMCTL_destroydomain, id); /* so that the board can power off */
            }
            break;
        }
        ok++;
        if (i == 0) {
            free_first = settled_free_pages(); /* our window's tables exist from now on */
        }
    }
    test_check(ok == iters, "control-rounds", "%u of %lu", ok, iters);
    /* Exactly back, allowing up to 2 s for the last domain's pages to come back. */
    for (unsigned t = 0; t < 200 && free_now != free_first; t++) {
        free_now = settled_free_pages();
    }
    test_check(free_now == free_first, "control-free-pages-back", "%lu after round 1, %lu now",
               free_first, free_now);
    dom_printf("INFO control: %u domains built, run and destroyed in %lu ms; free pages %lu "
               "after round 1, %lu at the end\n",
               ok, (dom_now_ns() - t0) / 1000000, free_first, free_now);
    test_done();
    return 0;
}

/* Not the control domain: every control operation must be refused. */
static int as_other(void)
{
    static const uint32_t cmds[] = {XEN_DOMCTL_createdomain,   XEN_DOMCTL_destroydomain,
                                    XEN_DOMCTL_pausedomain,    XEN_DOMCTL_unpausedomain,
                                    XEN_DOMCTL_getdomaininfo,  XEN_DOMCTL_max_mem,
                                    XEN_DOMCTL_setvcpucontext, XEN_DOMCTL_getvcpuinfo};
    struct evtchn_bind_virq b = {.virq = VIRQ_DOM_EXC, .vcpu = 0};
    uint64_t free_pages;
    xen_pfn_t gfn = RAM_BASE >> 12;
    char name[48];

    for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        long rc = simple(cmds[i], 1);

        fmt_snprintf(name, sizeof(name), "control-refused-domctl-%u", cmds[i]);
        test_check(rc == -XEN_EPERM, name, "rc %ld", rc);
    }
    {
        struct xen_sysctl op = {.cmd = XEN_SYSCTL_getdomaininfolist};
        long rc = physinfo(&free_pages);

        test_check(rc == -XEN_EPERM, "control-refused-physinfo", "rc %ld", rc);
        rc = sysctl(&op);
        test_check(rc == -XEN_EPERM, "control-refused-getdomaininfolist", "rc %ld", rc);
    }
    test_check(populate(1, &gfn, 1, 0) == -XEN_EPERM, "control-refused-populate", "not -XEN_EPERM");
    test_check(fmap(1, RAM_BASE, 1) == -XEN_EPERM, "control-refused-foreign-map", "not -XEN_EPERM");
    test_check(remote_shutdown(1, SHUTDOWN_poweroff) == -XEN_EPERM,
               "control-refused-remote-shutdown", "not -XEN_EPERM");
    test_check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b) == -XEN_EPERM,
               "control-refused-bind-dom-exc", "not -XEN_EPERM");
    test_done();
    return 0;
}

int mode_control(void)
{
    uint64_t free_pages;

    return physinfo(&free_pages) == -XEN_EPERM ? as_other() : as_control();
}

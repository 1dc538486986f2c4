/* SPDX-License-Identifier: MIT */
/*
 * The domain builder (docs/dom0-lite.md): a guest from configs/<name>.cfg in the boot
 * bundle, built in Xen's order (createdomain, max_mem, populate_physmap, foreign mapping
 * while under construction, setvcpucontext, affinity, scheduler, then its stub domain
 * paired with set_target, unpause guest then stub), and the on_* policies on VIRQ_DOM_EXC.
 */
#include <string.h>

#include "consoled.h"
#include "control.h"
#include "xsdom.h"
#include "dom/dom.h"
#include "dom/hypercall.h"
#include "fmt.h"
#include "guestdt.h"
#include "timers.h"

#include <libfdt.h>

#include <xen/domctl.h>
#include <xen/errno.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/sysctl.h>

#define PAGE         4096ull
#define BATCH        256          /* pages mapped at once */
#define FOREIGN_OFF  (3ull << 30) /* our foreign window: past the largest RAM bank */
#define STUB_MEM_MIB 1
#define MAX_GUESTS   16

static struct guest_rec guests[MAX_GUESTS];
static char dtb_buf[64 << 10] __attribute__((aligned(8)));
static uint64_t unpaused_ns; /* the last guest's unpause, since power-on */

struct guest_rec *guest_find(unsigned id)
{
    for (unsigned i = 0; i < MAX_GUESTS; i++) {
        if (guests[i].used && guests[i].id == id) {
            return &guests[i];
        }
    }
    return NULL;
}

static int errf(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(char *err, int rc, const char *fmt, ...)
{
    __builtin_va_list ap;

    __builtin_va_start(ap, fmt);
    fmt_vsnprintf(err, BH_ERR_MAX, fmt, ap);
    __builtin_va_end(ap);
    return rc;
}

/* The bundle's config @path, parsed and overridden. */
static int load_path(const char *path, unsigned n, char *const ov[], struct xlcfg *x, char *err)
{
    struct bundle_file f;

    if (bundle_find(&boot_bundle, path, &f)) {
        return errf(err, -XEN_ENOENT, "%s: no such config in the boot bundle", path);
    }
    if (xlcfg_parse(path, (const char *)f.data, f.size, x, err)) {
        return -XEN_EINVAL;
    }
    for (unsigned i = 0; i < n; i++) {
        if (xlcfg_override(path, ov[i], x, err)) {
            return -XEN_EINVAL;
        }
    }
    return 0;
}

/* configs/<cfg>.cfg (or the path given), parsed and overridden. */
static int load_config(const char *cfg, unsigned n, char *const ov[], struct xlcfg *x, char *path,
                       char *err)
{
    size_t l = strlen(cfg);

    if (l > 4 && !strcmp(cfg + l - 4, ".cfg")) {
        l -= 4;
    }
    if (!strncmp(cfg, "configs/", 8)) {
        cfg += 8;
        l -= 8;
    }
    if (l == 0 || l + 13 > XLCFG_PATH_MAX) {
        return errf(err, -XEN_EINVAL, "bad config name '%s'", cfg);
    }
    memcpy(path, "configs/", 8);
    memcpy(path + 8, cfg, l);
    memcpy(path + 8 + l, ".cfg", 5);
    return load_path(path, n, ov, x, err);
}

static int domctl(uint32_t cmd, domid_t dom, struct xen_domctl *op)
{
    op->cmd = cmd;
    op->domain = dom;
    return (int)dom0_domctl(op);
}

/* memcpy to the window, also fast when @src is 4 bytes off 8-byte alignment while @dst
 * is aligned: files in the boot bundle (cpio newc) start at any multiple of 4, and
 * memcpy's word loop needs both 8-aligned (else it copies bytes: a Linux kernel took
 * 190 M instructions, 6 a byte). Two 32-bit loads make each 64-bit store. */
static void copy_out(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (((uintptr_t)dst & 7) == 0 && ((uintptr_t)src & 7) == 4) {
        uint64_t *d = (uint64_t *)(void *)dst;
        const uint32_t *s = (const uint32_t *)(const void *)src;

        for (; n >= 32; n -= 32, d += 4, s += 8) {
            uint64_t w0 = s[0] | (uint64_t)s[1] << 32, w1 = s[2] | (uint64_t)s[3] << 32;
            uint64_t w2 = s[4] | (uint64_t)s[5] << 32, w3 = s[6] | (uint64_t)s[7] << 32;

            d[0] = w0;
            d[1] = w1;
            d[2] = w2;
            d[3] = w3;
        }
        dst = (uint8_t *)d;
        src = (const uint8_t *)s;
    }
    memcpy(dst, src, n);
}

/* Copy @len bytes of @src to guest-physical @gpa of @dom through the foreign window. */
static int copy_in(domid_t dom, uint64_t gpa, const void *src, size_t len)
{
    static xen_ulong_t idxs[BATCH];
    static xen_pfn_t gpfns[BATCH];
    static int errs[BATCH];
    uint64_t win = dom_info.ram_base + FOREIGN_OFF;
    const uint8_t *s = src;

    while (len) {
        uint64_t first = gpa / PAGE, off = gpa % PAGE;
        unsigned pages = (unsigned)((off + len + PAGE - 1) / PAGE);
        struct xen_add_to_physmap_batch b = {.domid = DOMID_SELF,
                                             .space = XENMAPSPACE_gmfn_foreign};
        size_t chunk;
        int rc;

        if (pages > BATCH) {
            pages = BATCH;
        }
        for (unsigned i = 0; i < pages; i++) {
            idxs[i] = first + i;
            gpfns[i] = win / PAGE + i;
            errs[i] = 0;
        }
        b.size = (uint16_t)pages;
        b.u.foreign_domid = dom;
        set_xen_guest_handle(b.idxs, idxs);
        set_xen_guest_handle(b.gpfns, gpfns);
        set_xen_guest_handle(b.errs, errs);
        rc = (int)HYPERVISOR_memory_op(XENMEM_add_to_physmap_batch, &b);
        for (unsigned i = 0; !rc && i < pages; i++) {
            rc = errs[i];
        }
        chunk = pages * PAGE - off;
        if (chunk > len) {
            chunk = len;
        }
        if (!rc) {
            copy_out((uint8_t *)(uintptr_t)(win + off), s, chunk);
        }
        for (unsigned i = 0; i < pages; i++) {
            struct xen_remove_from_physmap r = {.domid = DOMID_SELF, .gpfn = gpfns[i]};

            HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &r);
        }
        if (rc) {
            return rc;
        }
        s += chunk;
        gpa += chunk;
        len -= chunk;
    }
    return 0;
}

/* Give @dom its RAM: 2 MiB extents where aligned, 4 KiB ones for the rest. */
static int populate(domid_t dom, uint64_t base, uint64_t size)
{
    for (uint64_t a = base; a < base + size;) {
        unsigned order = !(a % (2ull << 20)) && base + size - a >= (2ull << 20) ? 9 : 0;
        xen_pfn_t gfn = a / PAGE;
        struct xen_memory_reservation r = {.nr_extents = 1, .extent_order = order, .domid = dom};
        long rc;

        set_xen_guest_handle(r.extent_start, &gfn);
        rc = HYPERVISOR_memory_op(XENMEM_populate_physmap, &r);
        if (rc != 1) {
            return rc < 0 ? (int)rc : -XEN_ENOMEM;
        }
        a += PAGE << order;
    }
    return 0;
}

static int set_context(domid_t dom, uint64_t entry, uint64_t dtb)
{
    static struct vcpu_guest_context ctx;
    struct xen_domctl op = {0};

    memset(&ctx, 0, sizeof(ctx));
    ctx.flags = 1; /* VGCF_online */
#if defined(__aarch64__)
    ctx.user_regs.pc64 = entry;
    ctx.user_regs.x0 = dtb;
    ctx.user_regs.cpsr = PSR_GUEST64_INIT | PSR_DBG_MASK; /* EL1h, DAIF masked: 0x3c5 */
    ctx.sctlr = SCTLR_GUEST_INIT;
#else
    ctx.user_regs.sepc = entry; /* the Linux boot protocol: a0 hart id, a1 the DTB */
    ctx.user_regs.x[10] = 0;
    ctx.user_regs.x[11] = dtb;
#endif
    op.u.vcpucontext.vcpu = 0;
    set_xen_guest_handle(op.u.vcpucontext.ctxt, &ctx);
    return domctl(XEN_DOMCTL_setvcpucontext, dom, &op);
}

/* The Linux image header's text_offset and image_size (arm64 and RISC-V Image). */
static void image_layout(const struct bundle_file *k, uint64_t *text_offset, uint64_t *extent)
{
    uint64_t to = 0, isz = 0;

    if (k->size >= 64) {
        memcpy(&to, k->data + 8, 8);
        memcpy(&isz, k->data + 16, 8);
#if defined(__aarch64__)
        if (memcmp(k->data + 56, "ARM\x64", 4)) {
            to = isz = 0;
        } else if (!isz) {
            to = 0x80000;
        }
#else
        if (memcmp(k->data + 48, "RISCV\0\0\0", 8) && memcmp(k->data + 56, "RSC\x05", 4)) {
            to = isz = 0;
        }
#endif
    }
    *text_offset = to;
    *extent = isz > k->size ? isz : k->size;
}

/* Create one domain and load it (kernel, ramdisk, DTB); it stays paused. */
static int build_one(const char *what, domid_t *out, uint64_t mem, unsigned vcpus,
                     const struct bundle_file *k, const struct bundle_file *rd,
                     const char *bootargs, bool uart, uint64_t dtb_reserve, char *err)
{
    struct xen_domctl op = {0};
    uint64_t base = guestdt_ram_base(), to, extent, dtb_at = base + mem - dtb_reserve;
    uint64_t rd_at = 0;
    domid_t id;
    int rc;

    op.u.createdomain.max_vcpus = vcpus;
    op.u.createdomain.max_evtchn_port = 1023;
    op.u.createdomain.max_grant_frames = 1;
    op.u.createdomain.max_maptrack_frames = 1;
    rc = domctl(XEN_DOMCTL_createdomain, 0, &op);
    if (rc < 0) {
        return errf(err, rc, "%s: XEN_DOMCTL_createdomain: %s (%d)", what, bh_strerror(rc), rc);
    }
    id = op.domain;
    *out = id;
    memset(&op, 0, sizeof(op));
    op.u.max_mem.max_memkb = mem / 1024;
    rc = domctl(XEN_DOMCTL_max_mem, id, &op);
    if (!rc) {
        rc = populate(id, base, mem);
        if (rc == -XEN_ENOMEM) {
            return errf(err, rc, "not enough memory for %s (%lu MiB)", what,
                        (unsigned long)(mem >> 20));
        }
    }
    if (rc) {
        return errf(err, rc, "%s: memory: %s (%d)", what, bh_strerror(rc), rc);
    }
    image_layout(k, &to, &extent);
    if (base + to + extent > dtb_at) {
        return errf(err, -XEN_ENOMEM, "%s: the kernel (%lu bytes) does not fit in %lu MiB", what,
                    (unsigned long)extent, (unsigned long)(mem >> 20));
    }
    if (rd && rd->size) {
        rd_at = (dtb_at - rd->size) & ~(PAGE - 1);
        if (rd_at < base + to + extent) {
            return errf(err, -XEN_ENOMEM, "%s: the ramdisk does not fit; raise memory", what);
        }
    }
    struct guestdt_params p = {.bootargs = bootargs,
                               .ram_base = base,
                               .ram_size = mem,
                               .vcpus = vcpus,
                               .initrd_start = rd_at,
                               .initrd_end = rd_at ? rd_at + rd->size : 0,
                               .uart = uart};

    rc = guestdt_build(dtb_buf, sizeof(dtb_buf), &p);
    if (rc) {
        return errf(err, -XEN_EINVAL, "%s: device tree: libfdt error %d", what, rc);
    }
    rc = copy_in(id, base + to, k->data, k->size);
    if (!rc && rd_at) {
        rc = copy_in(id, rd_at, rd->data, rd->size);
    }
    if (!rc) {
        rc = copy_in(id, dtb_at, dtb_buf, fdt_totalsize(dtb_buf));
    }
    if (rc) {
        return errf(err, rc, "%s: loading its memory: %s (%d)", what, bh_strerror(rc), rc);
    }
    rc = set_context(id, base + to, dtb_at);
    if (rc) {
        return errf(err, rc, "%s: XEN_DOMCTL_setvcpucontext: %s (%d)", what, bh_strerror(rc), rc);
    }
    return 0;
}

/* The guest's UART output reaches us through its stub's console ring; without one (no
 * console pages on this board) the stub writes to the board console. */
static void attach_console(unsigned sid, unsigned id, const char *name)
{
    char cerr[BH_ERR_MAX];
    int crc = consoled_attach(sid, id, cerr);

    if (crc && crc != -XEN_ENOENT) {
        dom_printf("dom0-lite: %s: %s; its output goes to the board console\n", name, cerr);
    }
}

static int build_guest(struct guest_rec *g, char *err)
{
    const struct xlcfg *x = &g->cfg;
    struct bundle_file k, rd, stub;
    struct xen_domctl op = {0};
    domid_t id = 0, sid = 0;
    char stub_args[96], stub_name[XLCFG_NAME_MAX + 4];
    int rc;

    if (bundle_find(&boot_bundle, x->kernel, &k)) {
        return errf(err, -XEN_ENOENT, "%s: key 'kernel': '%s' is not in the boot bundle",
                    g->cfg_file, x->kernel);
    }
    if (x->ramdisk[0] && bundle_find(&boot_bundle, x->ramdisk, &rd)) {
        return errf(err, -XEN_ENOENT, "%s: key 'ramdisk': '%s' is not in the boot bundle",
                    g->cfg_file, x->ramdisk);
    }
    if (x->stubdom && bundle_find(&boot_bundle, "stub.bin", &stub)) {
        return errf(err, -XEN_ENOENT, "the boot bundle has no stub.bin (the stub domain)");
    }
    rc = build_one(x->name, &id, x->memory_mib << 20, x->vcpus, &k, x->ramdisk[0] ? &rd : NULL,
                   x->extra, x->stubdom, GUESTDT_RESERVE, err);
    if (!rc && x->cpus) {
        for (unsigned v = 0; v < x->vcpus && !rc; v++) {
            uint64_t mask = x->cpus;

            memset(&op, 0, sizeof(op));
            op.u.vcpuaffinity.vcpu = v;
            op.u.vcpuaffinity.flags = XEN_VCPUAFFINITY_HARD;
            set_xen_guest_handle(op.u.vcpuaffinity.cpumap_hard.bitmap, (uint8_t *)&mask);
            op.u.vcpuaffinity.cpumap_hard.nr_bits = 64;
            rc = domctl(XEN_DOMCTL_setvcpuaffinity, id, &op);
            if (rc) {
                errf(err, rc, "%s: key 'cpus': XEN_DOMCTL_setvcpuaffinity: %s (%d)", g->cfg_file,
                     bh_strerror(rc), rc);
            }
        }
    }
    if (!rc && (x->weight != XLCFG_WEIGHT_DEF || x->cap)) {
        memset(&op, 0, sizeof(op));
        op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
        op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_putinfo;
        op.u.scheduler_op.u.credit.weight = (uint16_t)x->weight;
        op.u.scheduler_op.u.credit.cap = (uint16_t)x->cap;
        rc = domctl(XEN_DOMCTL_scheduler_op, id, &op);
        if (rc) {
            errf(err, rc, "%s: weight/cap: %s (%d)", g->cfg_file, bh_strerror(rc), rc);
        }
    }
    if (!rc && x->stubdom) {
        fmt_snprintf(stub_name, sizeof(stub_name), "%s-dm", x->name);
        fmt_snprintf(stub_args, sizeof(stub_args), "target=%u %s", id, guestdt_uart_bootarg());
        rc = build_one(stub_name, &sid, STUB_MEM_MIB << 20, 1, &stub, NULL, stub_args, false,
                       STUB_DTB_RESERVE, err);
    }
    if (!rc && x->stubdom) {
        memset(&op, 0, sizeof(op));
        op.u.set_target.target = id;
        rc = domctl(XEN_DOMCTL_set_target, sid, &op);
        if (rc) {
            errf(err, rc, "XEN_DOMCTL_set_target: %s (%d)", bh_strerror(rc), rc);
        }
    }
    if (!rc && sid) {
        attach_console(sid, id, x->name);
    }
    if (!rc) {
        /* The guest first: the hypervisor holds its vCPUs until the stub enables its
         * device model. (The other order loses that wake-up when the stub is quick.) */
        rc = domctl(XEN_DOMCTL_unpausedomain, id, &op);
        unpaused_ns = dom_now_ns();
        if (!rc && sid) {
            rc = domctl(XEN_DOMCTL_unpausedomain, sid, &op);
        }
        if (rc) {
            errf(err, rc, "XEN_DOMCTL_unpausedomain: %s (%d)", bh_strerror(rc), rc);
        }
    }
    if (rc) {
        /* Undo: nothing half-built is left behind. */
        if (sid) {
            builder_destroy(sid);
        }
        if (id) {
            builder_destroy(id);
        }
        return rc;
    }
    g->id = id;
    g->stub_id = sid;
    names_set(id, x->name);
    if (sid) {
        names_set(sid, stub_name);
    }
    return 0;
}

int builder_create(const char *cfg, unsigned n, char *const overrides[], char *err)
{
    static struct bh_dom doms[BH_MAX_DOMS];
    struct guest_rec *g = NULL;
    uint64_t t0 = dom_now_ns();
    int nd, rc;

    for (unsigned i = 0; i < MAX_GUESTS && !g; i++) {
        if (!guests[i].used) {
            g = &guests[i];
        }
    }
    if (!g) {
        return errf(err, -XEN_ENOSPC, "dom0-lite keeps at most %u guests", MAX_GUESTS);
    }
    memset(g, 0, sizeof(*g));
    rc = load_config(cfg, n, overrides, &g->cfg, g->cfg_file, err);
    if (rc) {
        return rc;
    }
    nd = control_ops.list(doms, BH_MAX_DOMS);
    for (int i = 0; i < nd; i++) {
        if (!strcmp(doms[i].name, g->cfg.name)) {
            return errf(err, -XEN_EEXIST, "a domain named '%s' already exists (d%u)", g->cfg.name,
                        doms[i].id);
        }
    }
    struct bh_physinfo pi;

    if (control_ops.physinfo(&pi) == 0 &&
        pi.free_pages * pi.page_size < ((g->cfg.memory_mib + STUB_MEM_MIB) << 20)) {
        return errf(err, -XEN_ENOMEM,
                    "not enough memory: '%s' needs %lu MiB (and %u for its "
                    "stub), %lu MiB free",
                    g->cfg.name, (unsigned long)g->cfg.memory_mib, STUB_MEM_MIB,
                    (unsigned long)(pi.free_pages * pi.page_size >> 20));
    }
    rc = build_guest(g, err);
    if (rc) {
        return rc;
    }
    g->used = true;
    xsdom_sync(); /* its xenstore ring, before it looks for it */
    /* The build's time (tests/bench/create_bench.py reads it): from the command to the
     * guest's unpause, both on the board's clock since power-on. */
    dom_printf("dom0-lite: %s (d%u) built in %lu us: command at %lu us, unpaused at %lu us "
               "since power-on\n",
               g->cfg.name, g->id, (unsigned long)((unpaused_ns - t0) / 1000),
               (unsigned long)(t0 / 1000), (unsigned long)(unpaused_ns / 1000));
    return (int)g->id; /* the command table says "create: NAME is dID" */
}

int builder_destroy(unsigned id)
{
    struct xen_domctl op = {0};
    int rc;

    consoled_detach(id); /* what its ring still holds goes out first */
    rc = domctl(XEN_DOMCTL_destroydomain, (domid_t)id, &op);
    if (rc == 0) {
        names_clear(id);
    }
    return rc;
}

/* A guest that ended: its policy. */
static void ended(struct guest_rec *g, unsigned code)
{
    enum xl_action a = code == SHUTDOWN_reboot  ? g->cfg.on_reboot
                       : code == SHUTDOWN_crash ? g->cfg.on_crash
                                                : g->cfg.on_poweroff;
    char err[BH_ERR_MAX] = "";
    unsigned id = g->id;

    dom_printf("dom0-lite: %s (d%u) %s: on_%s = %s\n", g->cfg.name, id,
               code == SHUTDOWN_reboot  ? "rebooted"
               : code == SHUTDOWN_crash ? "crashed"
                                        : "powered off",
               code == SHUTDOWN_reboot  ? "reboot"
               : code == SHUTDOWN_crash ? "crash"
                                        : "poweroff",
               xl_action_name(a));
    if (a == XL_PRESERVE) {
        return;
    }
    if (g->stub_id) {
        builder_destroy(g->stub_id);
    }
    builder_destroy(id);
    if (a == XL_RESTART) {
        if (build_guest(g, err)) {
            dom_printf("dom0-lite: restarting %s: %s\n", g->cfg.name, err);
            g->used = false;
        } else {
            g->preserved = false;
            dom_printf("dom0-lite: %s restarted as d%u\n", g->cfg.name, g->id);
        }
    } else {
        g->used = false;
    }
}

void builder_dom_exc(void)
{
    for (unsigned i = 0; i < MAX_GUESTS; i++) {
        struct guest_rec *g = &guests[i];
        struct xen_domctl op = {0};
        uint32_t f;

        if (!g->used || g->pending) {
            continue;
        }
        if (domctl(XEN_DOMCTL_getdomaininfo, (domid_t)g->id, &op) < 0 ||
            op.u.getdomaininfo.domain != g->id) { /* Xen answers the next one up */
            g->used = false;                      /* destroyed by someone else */
            names_clear(g->id);
            continue;
        }
        f = op.u.getdomaininfo.flags;
        if ((f & XEN_DOMINF_shutdown) && !(f & XEN_DOMINF_dying) && !g->preserved) {
            unsigned code = (f >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;

            g->preserved = true;
            ended(g, code);
        }
    }
}

/* A boot-time domain's id, by the name bh-boot gave it (dom0-lite's bootargs), or 0. */
static unsigned boot_id(const char *name, const char *suffix)
{
    size_t l = strlen(name);

    for (unsigned id = 1; id < BH_MAX_DOMS; id++) {
        const char *n = names_get(id);

        if (n && !strncmp(n, name, l) && !strcmp(n + l, suffix)) {
            return id;
        }
    }
    return 0;
}

/* Its boot-time stub: the one boot/<name>.stub names (a stub given as its own config),
 * else bh-boot's own "<name>-stub"; 0 if none. */
static unsigned boot_stub_id(const char *name)
{
    char path[XLCFG_PATH_MAX], stub[XLCFG_NAME_MAX];
    struct bundle_file f;

    fmt_snprintf(path, sizeof(path), "boot/%s.stub", name);
    if (bundle_find(&boot_bundle, path, &f) || f.size == 0 || f.size >= sizeof(stub)) {
        return boot_id(name, "-stub");
    }
    memcpy(stub, f.data, f.size);
    stub[f.size] = '\0';
    return boot_id(stub, "");
}

/* boot/<name>.cfg: a boot-time guest (and its stub, "<name>-stub") is one of ours. */
static int adopt_one(const struct bundle_file *f, void *ctx)
{
    size_t l = strlen(f->name);
    struct guest_rec *g = NULL;
    char err[BH_ERR_MAX] = "";

    (void)ctx;
    if (strncmp(f->name, "boot/", 5) || l < 10 || strcmp(f->name + l - 4, ".cfg") ||
        l >= XLCFG_PATH_MAX) {
        return 0;
    }
    for (unsigned i = 0; i < MAX_GUESTS && !g; i++) {
        g = guests[i].used ? NULL : &guests[i];
    }
    if (!g) {
        dom_printf("dom0-lite: %s: more than %u guests; its on_* policy is not applied\n", f->name,
                   MAX_GUESTS);
        return 0;
    }
    memset(g, 0, sizeof(*g));
    memcpy(g->cfg_file, f->name, l + 1);
    if (load_path(g->cfg_file, 0, NULL, &g->cfg, err)) {
        dom_printf("dom0-lite: %s; its on_* policy is not applied\n", err);
        return 0;
    }
    g->id = boot_id(g->cfg.name, "");
    if (!g->id) {
        dom_printf("dom0-lite: %s: no boot-time domain named '%s'\n", f->name, g->cfg.name);
        return 0;
    }
    g->stub_id = boot_stub_id(g->cfg.name);
    g->used = true;
    g->pending = true; /* dom0less may still be building it: adopt_pending() */
    return 0;
}

/* Is boot-time domain @id started (the hypervisor shows it once it is)? */
static bool started(unsigned id)
{
    struct xen_domctl op = {0};

    return domctl(XEN_DOMCTL_getdomaininfo, (domid_t)id, &op) == 0 &&
           op.u.getdomaininfo.domain == id;
}

/* Take the boot-time guests that have started (with their stubs); true if some have
 * not yet. */
static bool adopt_pending(void)
{
    bool left = false;

    for (unsigned i = 0; i < MAX_GUESTS; i++) {
        struct guest_rec *g = &guests[i];

        if (!g->used || !g->pending) {
            continue;
        }
        if (!started(g->id) || (g->stub_id && !started(g->stub_id))) {
            left = true;
            continue;
        }
        g->pending = false;
        if (g->stub_id) {
            /* It holds the guest's output until we attach it (drivers/stub/cons.c). */
            attach_console(g->stub_id, g->id, g->cfg.name);
        }
    }
    return left;
}

#define ADOPT_EVERY_NS (20 * 1000000ull)
#define ADOPT_TRIES    1500 /* 30 s: a boot-time Linux guest's modules take ~1 s */

static void adopt_tick(void);
static struct d0_timer adopt_timer = {.fn = adopt_tick};
static unsigned adopt_tries;

/* Every boot-time domain bh-boot named has started (the hypervisor shows them then). */
static bool boot_domains_started(void)
{
    for (unsigned id = 1; id < BH_MAX_DOMS; id++) {
        if (names_get(id) && !started(id)) {
            return false;
        }
    }
    return true;
}

static void adopt_tick(void)
{
    bool left = adopt_pending();

    left = !boot_domains_started() || left;
    xsdom_sync(); /* xenstored serves each boot-time domain as it appears */
    if (!left) {
        builder_dom_exc(); /* one that ended before we took it */
        return;
    }
    if (++adopt_tries < ADOPT_TRIES && d0_timers_init()) {
        d0_timer_set(&adopt_timer, dom_now_ns() + ADOPT_EVERY_NS);
        return;
    }
    for (unsigned i = 0; i < MAX_GUESTS; i++) {
        if (guests[i].used && guests[i].pending) {
            dom_printf("dom0-lite: boot-time guest %s (d%u) never started; its on_* policy is "
                       "not applied\n",
                       guests[i].cfg.name, guests[i].id);
            guests[i].used = false;
        }
    }
}

void builder_adopt_boot(void)
{
    bundle_walk(&boot_bundle, adopt_one, NULL, NULL);
    adopt_tick();
}

/* SPDX-License-Identifier: MIT */
/*
 * Boot-time domains from /chosen, in Xen's dom0less binding: "xen,domain" nodes with
 * `memory` (KiB, 64-bit), `cpus`, and "multiboot,kernel" / "multiboot,ramdisk" /
 * "multiboot,device-tree" module nodes whose `reg` is where the module sits in host
 * memory. Our additions (docs/domains.md): `bulkhead,name`, `bulkhead,role`,
 * `bulkhead,start-after` (build once the named domain has ended), `bulkhead,stub-of`
 * (this stub domain serves the named guest, built before it), `bulkhead,weight` and
 * `bulkhead,cap` (scheduling) and, per module, `bulkhead,load-address`
 * (guest-physical). Per-vCPU hard affinity uses Xen's own binding: "xen,vcpu" child
 * nodes with `id` and a `hard-affinity` CPU list ("0-3,5"). Unlike Xen, the device-tree module is
 * the guest's complete device tree: the hypervisor copies it and never edits it.
 *
 * Device assignment (Xen's dom0less passthrough binding, issue 15 item 2): a node of the
 * guest's device tree with `xen,passthrough` names host MMIO in `xen,reg` (<host
 * address, size, guest address>, in its parent's cells) and the host node in `xen,path`;
 * each range is mapped into the domain's stage 2 as device memory, refused where it
 * overlaps host RAM, the hypervisor's UART or interrupt controller, another domain's
 * device, or guest RAM / the foreign window / what the hypervisor emulates. The node's
 * `interrupts` (host specifiers: the guest line equals the host's, as Xen requires) must
 * be among the host node's own (`interrupts`, or a bridge's `interrupt-map`) and owned by
 * nobody else; each is then routed to this domain alone (arch_irq_route).
 *
 * A bad node gets a message naming it and is skipped; the other domains still boot.
 */
#include <string.h>

#include <libfdt.h>

#include <bulkhead/arch.h>
#include <bulkhead/boot.h>
#include <bulkhead/console.h>
#include <bulkhead/domain.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/magic.h>
#include <bulkhead/errno.h>
#include <bulkhead/mm.h>
#include <bulkhead/ioreq.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/printk.h>

#define DTB_MAX     (2u << 20) /* the guest DT sits in the last 2 MiB of guest RAM */
#define MAX_PENDING 16

enum module_kind { MOD_KERNEL, MOD_RAMDISK, MOD_DTB, NR_MODULES };

static const char *const module_compat[NR_MODULES] = {"multiboot,kernel", "multiboot,ramdisk",
                                                      "multiboot,device-tree"};

/* A module: where it is in host memory, and where it goes in the guest. */
struct module {
    bool present;
    struct mem_range host;
    uint64_t load; /* guest-physical */
    bool load_given;
};

/* Domains waiting for another one to end (bulkhead,start-after). */
static int pending[MAX_PENDING];
static unsigned nr_pending;

static int bad(const char *node, const char *what)
{
    printk("bulkhead: dom0less: %s: %s; domain not created\n", node, what);
    return -EINVAL;
}

static int read_modules(const void *fdt, int node, const char *name, struct module *mods)
{
    int sub;

    fdt_for_each_subnode(sub, fdt, node)
    {
        for (unsigned k = 0; k < NR_MODULES; k++) {
            const fdt32_t *la;
            int len;

            if (fdt_node_check_compatible(fdt, sub, module_compat[k]) != 0) {
                continue;
            }
            if (mods[k].present) {
                return bad(name, "two modules of the same kind");
            }
            if (dt_read_reg(fdt, sub, 0, &mods[k].host) != 0 || mods[k].host.size == 0) {
                return bad(name, "a module without a usable reg");
            }
            mods[k].present = true;
            la = fdt_getprop(fdt, sub, "bulkhead,load-address", &len);
            if (la && len == 8) {
                mods[k].load = ((uint64_t)fdt32_to_cpu(la[0]) << 32) | fdt32_to_cpu(la[1]);
                mods[k].load_given = true;
            } else if (la) {
                return bad(name, "bulkhead,load-address must be two cells");
            }
        }
    }
    return mods[MOD_KERNEL].present ? 0 : bad(name, "no multiboot,kernel module");
}

/* Default placement (Xen-style trees without load addresses): kernel at RAM base +
 * the Image header's text_offset, device tree in the last 2 MiB, ramdisk below it. */
static void default_placement(const struct domain *d, struct module *mods)
{
    uint64_t base = ipa_addr(d->ram_base), end = base + d->ram_size;
    const uint8_t *img = pa_va(mods[MOD_KERNEL].host.base);
    uint64_t text_offset = 0;

    /* arm64 Image: magic "ARM\x64" at 0x38; RISC-V Image: "RSC\x05" at 0x38. Both keep
     * text_offset as a little-endian u64 at offset 8. */
    if (mods[MOD_KERNEL].host.size >= 64 &&
        (!memcmp(img + 0x38, "ARM\x64", 4) || !memcmp(img + 0x38, "RSC\x05", 4))) {
        for (int i = 7; i >= 0; i--) {
            text_offset = (text_offset << 8) | img[8 + i];
        }
    }
    if (!mods[MOD_KERNEL].load_given) {
        mods[MOD_KERNEL].load = base + text_offset;
    }
    if (mods[MOD_DTB].present && !mods[MOD_DTB].load_given) {
        mods[MOD_DTB].load = end - DTB_MAX;
    }
    if (mods[MOD_RAMDISK].present && !mods[MOD_RAMDISK].load_given) {
        mods[MOD_RAMDISK].load = ALIGN_DOWN(end - DTB_MAX - mods[MOD_RAMDISK].host.size, PAGE_SIZE);
    }
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return a < b + bn && b < a + an;
}

static int check_placement(const struct domain *d, const struct module *mods)
{
    uint64_t base = ipa_addr(d->ram_base), end = base + d->ram_size;

    for (unsigned k = 0; k < NR_MODULES; k++) {
        const struct module *m = &mods[k];

        if (!m->present) {
            continue;
        }
        if (k == MOD_DTB && (m->host.size > DTB_MAX || (m->load & 7))) {
            return bad(d->name, "the device tree is over 2 MiB or misaligned");
        }
        if (m->load < base || m->load > end || m->host.size > end - m->load) {
            return bad(d->name, "a module does not fit in guest RAM at its load address");
        }
        for (unsigned j = 0; j < k; j++) {
            if (mods[j].present &&
                overlaps(m->load, m->host.size, mods[j].load, mods[j].host.size)) {
                return bad(d->name, "modules overlap in guest RAM");
            }
        }
    }
    return 0;
}

static enum domain_role parse_role(const char *s, bool *ok)
{
    static const char *const names[] = {"guest", "control", "stub", "driver"};

    *ok = true;
    for (unsigned i = 0; s && i < ARRAY_SIZE(names); i++) {
        if (!strcmp(s, names[i])) {
            return (enum domain_role)i;
        }
    }
    *ok = s == NULL;
    return ROLE_GUEST;
}

/* A CPU list in Xen's syntax: "N" or "N-M" items separated by commas, CPUs below
 * MAX_CPUS. Returns the mask, 0 if malformed. */
static uint32_t parse_cpulist(const char *s, int len)
{
    uint32_t mask = 0;
    const char *end = s + len;

    if (len > 0 && end[-1] == '\0') {
        end--; /* the property's NUL */
    }
    while (s < end) {
        unsigned lo = 0, hi;
        const char *start = s;

        while (s < end && *s >= '0' && *s <= '9' && lo < MAX_CPUS) {
            lo = lo * 10 + (unsigned)(*s++ - '0');
        }
        if (s == start || lo >= MAX_CPUS) {
            return 0;
        }
        hi = lo;
        if (s < end && *s == '-') {
            start = ++s;
            hi = 0;
            while (s < end && *s >= '0' && *s <= '9' && hi < MAX_CPUS) {
                hi = hi * 10 + (unsigned)(*s++ - '0');
            }
            if (s == start || hi >= MAX_CPUS || hi < lo) {
                return 0;
            }
        }
        for (unsigned c = lo; c <= hi; c++) {
            mask |= 1u << c;
        }
        if (s < end && *s++ != ',') {
            return 0;
        }
        if (s == end && end[-1] == ',') {
            return 0;
        }
    }
    return mask;
}

/* A one-cell property, or @dflt when absent. -EINVAL if it is not one cell. */
static int read_u32(const void *fdt, int node, const char *prop, uint32_t dflt, uint32_t *out)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, prop, &len);

    if (!p) {
        *out = dflt;
        return 0;
    }
    if (len != 4) {
        return -EINVAL;
    }
    *out = fdt32_to_cpu(*p);
    return 0;
}

/* Xen's per-vCPU binding: child nodes compatible "xen,vcpu" with `id` and an optional
 * `hard-affinity` CPU list. */
static int read_affinity(const void *fdt, int node, struct domain_config *cfg)
{
    int sub;

    fdt_for_each_subnode(sub, fdt, node)
    {
        const char *list;
        uint32_t id;
        int len;

        if (fdt_node_check_compatible(fdt, sub, "xen,vcpu") != 0) {
            continue;
        }
        if (read_u32(fdt, sub, "id", UINT32_MAX, &id) != 0 || id >= cfg->nr_vcpus) {
            return bad(cfg->name, "a xen,vcpu node's id must be one cell below cpus");
        }
        list = fdt_getprop(fdt, sub, "hard-affinity", &len);
        if (!list) {
            continue;
        }
        cfg->affinity[id] = parse_cpulist(list, len);
        if (!cfg->affinity[id]) {
            return bad(cfg->name, "hard-affinity must be a CPU list like \"0-3,5\" (CPUs 0..7)");
        }
    }
    return 0;
}

/* bulkhead,weight (1..65535, default 256) and bulkhead,cap (percent of one pCPU, 0 =
 * none, at most 100 per vCPU). */
static int read_sched(const void *fdt, int node, struct domain_config *cfg)
{
    uint32_t weight, cap;

    if (read_u32(fdt, node, "bulkhead,weight", SCHED_WEIGHT_DEFAULT, &weight) != 0 || weight == 0 ||
        weight > SCHED_WEIGHT_MAX) {
        return bad(cfg->name, "bulkhead,weight must be one cell, 1..65535");
    }
    if (read_u32(fdt, node, "bulkhead,cap", 0, &cap) != 0 || cap > 100 * cfg->nr_vcpus) {
        return bad(cfg->name, "bulkhead,cap must be one cell, 0..100 per vCPU (percent)");
    }
    cfg->weight = weight;
    cfg->cap = cap;
    return read_affinity(fdt, node, cfg);
}

static int read_config(const void *fdt, int node, struct domain_config *cfg)
{
    const char *node_name = fdt_get_name(fdt, node, NULL);
    const char *name = fdt_getprop(fdt, node, "bulkhead,name", NULL);
    uint64_t kib = 0, cpus = 0;
    bool role_ok;

    cfg->name = name ? name : node_name;
    cfg->role = parse_role(fdt_getprop(fdt, node, "bulkhead,role", NULL), &role_ok);
    if (!role_ok) {
        return bad(cfg->name, "bulkhead,role must be guest, control, stub or driver");
    }
    if (dt_read_u64(fdt, node, "memory", &kib) != 0 || kib == 0 || kib % 4) {
        return bad(cfg->name, "memory must be a non-zero multiple of 4 KiB");
    }
    if (kib > arch_guest_ram_max() >> 10) {
        return bad(cfg->name, "memory is larger than the guest RAM bank");
    }
    if (dt_read_u64(fdt, node, "cpus", &cpus) != 0 || cpus == 0 || cpus > MAX_VCPUS) {
        return bad(cfg->name, "cpus must be 1 to 8");
    }
    if (domain_find(cfg->name)) {
        return bad(cfg->name, "a domain with this name exists");
    }
    cfg->ram_size = kib << 10;
    cfg->nr_vcpus = (unsigned)cpus;
    return read_sched(fdt, node, cfg);
}

static void print_domain(const struct domain *d, const struct module *mods)
{
    printk("bulkhead: d%u (%s): %llu MiB at guest 0x%llx, %u vCPU%s, kernel at 0x%llx\n", d->id,
           d->name, (unsigned long long)(d->ram_size >> 20),
           (unsigned long long)ipa_addr(d->ram_base), d->nr_vcpus, d->nr_vcpus > 1 ? "s" : "",
           (unsigned long long)mods[MOD_KERNEL].load);
    printk("bulkhead: d%u weight %u, cap %u%%\n", d->id, d->sched.weight, d->sched.cap);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        printk("bulkhead: d%u vCPU%u on CPU%u\n", d->id, i, d->vcpus[i]->pcpu);
        if (d->vcpus[i]->affinity) {
            printk("bulkhead: d%u vCPU%u hard affinity 0x%x\n", d->id, i, d->vcpus[i]->affinity);
        }
    }
    for (const struct extent_page *ep = d->extents; ep; ep = ep->next) {
        for (uint64_t i = 0; i < ep->count; i++) {
            printk("bulkhead: d%u RAM host 0x%llx-0x%llx\n", d->id,
                   (unsigned long long)pa_addr(ep->e[i].pa),
                   (unsigned long long)(pa_addr(ep->e[i].pa) + (PAGE_SIZE << ep->e[i].order) - 1));
        }
    }
}

static int build_node(const void *fdt, int node, const char *of);

/* Does a stub domain node name @name in its bulkhead,stub-of? Its vCPUs are then held
 * until that stub enables its device model. */
static bool has_stub(const void *fdt, const char *name)
{
    int chosen = fdt_path_offset(fdt, "/chosen"), node;

    fdt_for_each_subnode(node, fdt, chosen)
    {
        const char *of = fdt_getprop(fdt, node, "bulkhead,stub-of", NULL);

        if (of && !strcmp(of, name) && fdt_node_check_compatible(fdt, node, "xen,domain") == 0) {
            return true;
        }
    }
    return false;
}

/* Pair stub @d with the domain its node names (bulkhead,stub-of), built before it. */
static int pair_stub(struct domain *d, const char *of)
{
    struct domain *t = domain_find(of);
    int rc;

    if (d->role != ROLE_STUB) {
        return bad(d->name, "bulkhead,stub-of on a domain whose bulkhead,role is not \"stub\"");
    }
    t = t ? domain_get(t->id) : NULL;
    if (!t) {
        return bad(d->name, "bulkhead,stub-of names no running domain built before it");
    }
    rc = domain_pair_stub(d, t);
    if (rc == 0) {
        printk("bulkhead: d%u (%s) is the stub domain of d%u (%s)\n", d->id, d->name, t->id,
               t->name);
    }
    domain_put(t);
    return rc ? bad(d->name, "bulkhead,stub-of names a stub, the control domain or a domain "
                             "that already has a stub")
              : 0;
}

/* A stub node that could not be built: the guest it was for would wait forever. */
static void orphan(const char *of)
{
    struct domain *t = of ? domain_find(of) : NULL;

    t = t ? domain_get(t->id) : NULL;
    if (t && (t->held & DOM_HOLD_WAIT) && !t->stub) {
        domain_crash(t, "its stub domain could not be built");
    }
    if (t) {
        domain_put(t);
    }
}

/* Create, fill and start the domain of one xen,domain node. */
static int build_one(const void *fdt, int node)
{
    const char *of = fdt_getprop(fdt, node, "bulkhead,stub-of", NULL);
    int rc = build_node(fdt, node, of);

    if (rc && of) {
        orphan(of);
    }
    return rc;
}

/* ---- device assignment (xen,passthrough) ---- */

#define PASSTHROUGH_MAX 32

/* Host MMIO given to a domain; entries are freed when the domain is. */
static struct assigned_mmio {
    const struct domain *d;
    uint64_t base, size;
} assigned[PASSTHROUGH_MAX];
static struct spinlock assigned_lock = SPINLOCK_INIT;

/* Why host [base, base+size) may not be given to a domain, or NULL. */
static const char *host_range_refused(uint64_t base, uint64_t size)
{
    for (unsigned i = 0; i < board.nr_mem; i++) {
        if (overlaps(base, size, pa_addr(board.mem[i].base), board.mem[i].size)) {
            return "xen,reg overlaps host RAM";
        }
    }
    if (board.uart.size && overlaps(base, size, pa_addr(board.uart.base), board.uart.size)) {
        return "xen,reg overlaps the hypervisor's UART";
    }
    for (unsigned i = 0; i < board.irqc.nr_reg; i++) {
        if (overlaps(base, size, pa_addr(board.irqc.reg[i].base), board.irqc.reg[i].size)) {
            return "xen,reg overlaps the interrupt controller";
        }
    }
    for (unsigned i = 0; i < PASSTHROUGH_MAX; i++) {
        if (assigned[i].d && overlaps(base, size, assigned[i].base, assigned[i].size)) {
            return "xen,reg overlaps a device already given to a domain";
        }
    }
    return NULL;
}

/* Why guest [ipa, ipa+size) of @d may not hold a device, or NULL. */
static const char *guest_range_refused(const struct domain *d, uint64_t ipa, uint64_t size)
{
    uint64_t ram = ipa_addr(d->ram_base);

    if (overlaps(ipa, size, ram, arch_guest_ram_max() + IOREQ_FOREIGN_WINDOW)) {
        return "xen,reg's guest address overlaps guest RAM or the foreign window";
    }
    if (arch_guest_mmio_emulated(ipa, size)) {
        return "xen,reg's guest address overlaps the virtual interrupt controller";
    }
    if (ipa + size > p2m_ipa_limit(&d->p2m)) {
        return "xen,reg's guest address is past the guest address space";
    }
    return NULL;
}

/* Record and map one range: host @base, @size at guest @ipa. */
static int assign_mmio(struct domain *d, uint64_t base, uint64_t size, uint64_t ipa)
{
    const char *why = NULL;
    struct p2m_locked l;
    unsigned slot = PASSTHROUGH_MAX;
    int rc;

    if (!size || !IS_ALIGNED(base | size | ipa, PAGE_SIZE) || base + size < base ||
        ipa + size < ipa) {
        return bad(d->name, "xen,reg must be page-aligned and not wrap");
    }
    why = guest_range_refused(d, ipa, size);
    spin_lock(&assigned_lock);
    if (!why) {
        why = host_range_refused(base, size);
    }
    for (unsigned i = 0; i < PASSTHROUGH_MAX && !why && slot == PASSTHROUGH_MAX; i++) {
        if (!assigned[i].d) {
            slot = i;
            assigned[i] = (struct assigned_mmio){d, base, size};
        }
    }
    spin_unlock(&assigned_lock);
    if (why) {
        return bad(d->name, why);
    }
    if (slot == PASSTHROUGH_MAX) {
        return bad(d->name, "too many passed-through ranges");
    }
    l = p2m_lock(&d->p2m);
    rc = p2m_map(l, ipa_init(ipa), pa_init(base), size, PT_RW | PT_DEVICE, 0);
    p2m_unlock(l);
    if (rc) {
        /* Its entry goes when the domain, destroyed by the caller, is released. */
        return bad(d->name, "cannot map the passed-through range");
    }
    printk("bulkhead: d%u (%s): device 0x%llx+0x%llx at guest 0x%llx\n", d->id, d->name,
           (unsigned long long)base, (unsigned long long)size, (unsigned long long)ipa);
    return 0;
}

static uint64_t read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;

    for (int i = 0; i < cells; i++) {
        v = (v << 32) | fdt32_to_cpu(p[i]);
    }
    return v;
}

/* #interrupt-cells of the host interrupt controller: a specifier's length, the same in
 * the guest's tree (Xen's dom0less passthrough: virtual interrupt == physical). */
static int irq_cells(void)
{
    const fdt32_t *p = fdt_getprop(board.fdt, board.irqc.node, "#interrupt-cells", NULL);
    uint32_t n = p ? fdt32_to_cpu(*p) : 0;

    return n >= 1 && n <= 3 ? (int)n : -1;
}

static uint32_t u32_prop(const void *fdt, int node, const char *name, uint32_t dflt)
{
    int len = 0;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

    return p && len == 4 ? fdt32_to_cpu(*p) : dflt;
}

/* Is @spec (@n cells) one of host node @hn's interrupts: an entry of its `interrupts`
 * or, for a bridge (PCI), a parent specifier of its `interrupt-map` (Devicetree spec
 * 2.4.3: child unit address, child specifier, parent phandle, parent unit address,
 * parent specifier)? */
static bool host_irq_listed(int hn, const fdt32_t *spec, int n)
{
    const void *fdt = board.fdt;
    int len = 0, i = 0;
    const fdt32_t *p = fdt_getprop(fdt, hn, "interrupts", &len);
    uint32_t child;

    for (; p && len > 0 && i + n <= len / 4; i += n) {
        if (!memcmp(p + i, spec, (size_t)n * 4)) {
            return true;
        }
    }
    p = fdt_getprop(fdt, hn, "interrupt-map", &len);
    child = u32_prop(fdt, hn, "#address-cells", 3) + u32_prop(fdt, hn, "#interrupt-cells", 1);
    for (i = 0; p && len > 0 && i + (int)child < len / 4;) {
        int parent = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(p[i + child]));
        uint32_t pa = parent < 0 ? 0 : u32_prop(fdt, parent, "#address-cells", 0);
        uint32_t pi = parent < 0 ? 0 : u32_prop(fdt, parent, "#interrupt-cells", 0);

        if (parent < 0 || pa > 3 || pi < 1 || pi > 3) {
            return false; /* a map we cannot read lists nothing */
        }
        i += (int)(child + 1 + pa);
        if ((int)pi == n && i + n <= len / 4 && !memcmp(p + i, spec, (size_t)n * 4)) {
            return true;
        }
        i += (int)pi;
    }
    return false;
}

/* Route the `interrupts` of passed-through node @node (guest tree @gdt) to @d, each
 * checked against host node @hn. */
static int passthrough_irqs(struct domain *d, const void *gdt, int node, int hn)
{
    int len = 0, n = irq_cells(), rc = 0;
    const fdt32_t *p = fdt_getprop(gdt, node, "interrupts", &len);

    if (!p) {
        return 0;
    }
    if (n < 0 || len <= 0 || len % (n * 4)) {
        return bad(d->name, "interrupts of a xen,passthrough node must be whole specifiers of "
                            "the host interrupt controller");
    }
    for (int i = 0; i < len / 4 && rc == 0; i += n) {
        uint32_t cells[3];

        for (int k = 0; k < n; k++) {
            cells[k] = fdt32_to_cpu(p[i + k]);
        }
        if (!host_irq_listed(hn, p + i, n)) {
            printk("bulkhead: dom0less: %s: interrupt %u is not one of its xen,path device's "
                   "(interrupts / interrupt-map); domain not created\n",
                   d->name, cells[n > 1 ? 1 : 0]);
            return -EINVAL;
        }
        rc = arch_irq_route(d, cells, (unsigned)n);
        if (rc) {
            printk("bulkhead: dom0less: %s: interrupt %u %s; domain not created\n", d->name,
                   cells[n > 1 ? 1 : 0],
                   rc == -EBUSY    ? "is already owned (by the hypervisor or another domain)"
                   : rc == -ENOSPC ? "cannot be routed: every route slot is used"
                                   : "is not a device interrupt a domain can be given");
            return rc;
        }
        printk("bulkhead: d%u (%s): interrupt %u routed to it\n", d->id, d->name,
               cells[n > 1 ? 1 : 0]);
    }
    return 0;
}

/* One xen,passthrough node of @d's device tree @gdt. */
static int passthrough_node(struct domain *d, const void *gdt, int node)
{
    int parent = fdt_parent_offset(gdt, node), len = 0, ac, sc, step;
    const fdt32_t *reg = fdt_getprop(gdt, node, "xen,reg", &len);
    const char *path = fdt_getprop(gdt, node, "xen,path", NULL);
    int rc = 0;

    ac = parent < 0 ? -1 : fdt_address_cells(gdt, parent);
    sc = parent < 0 ? -1 : fdt_size_cells(gdt, parent);
    if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        return bad(d->name, "xen,passthrough node: its parent's #address-cells / #size-cells");
    }
    step = (2 * ac + sc) * 4;
    if (!reg || len <= 0 || len % step) {
        return bad(d->name, "xen,reg must be <host address, size, guest address> triples");
    }
    if (!path || fdt_path_offset(board.fdt, path) < 0) {
        return bad(d->name, "xen,path must name a node of the host device tree");
    }
    for (int off = 0; off < len && rc == 0; off += step) {
        const fdt32_t *e = reg + off / 4;

        rc = assign_mmio(d, read_cells(e, ac), read_cells(e + ac, sc), read_cells(e + ac + sc, ac));
    }
    if (rc == 0) {
        rc = passthrough_irqs(d, gdt, node, fdt_path_offset(board.fdt, path));
    }
    return rc;
}

/* Every xen,passthrough node of the guest device tree in host memory @dt. */
static int passthrough(struct domain *d, const struct module *dt)
{
    const void *gdt = pa_va(dt->host.base);
    int node, rc = 0;

    if (fdt_check_header(gdt) != 0 || fdt_totalsize(gdt) > dt->host.size) {
        return 0; /* not a tree we can read: nothing to pass through (copied as is) */
    }
    for (node = fdt_next_node(gdt, -1, NULL); node >= 0 && rc == 0;
         node = fdt_next_node(gdt, node, NULL)) {
        if (fdt_getprop(gdt, node, "xen,passthrough", NULL)) {
            rc = passthrough_node(d, gdt, node);
        }
    }
    return rc;
}

/* A domain's last reference is gone: its devices may be given to another. */
static void release_devices(struct domain_notifier *n, struct domain *d)
{
    (void)n;
    spin_lock(&assigned_lock);
    for (unsigned i = 0; i < PASSTHROUGH_MAX; i++) {
        if (assigned[i].d == d) {
            assigned[i].d = NULL;
        }
    }
    spin_unlock(&assigned_lock);
}

static int build_node(const void *fdt, int node, const char *of)
{
    struct module mods[NR_MODULES] = {0};
    struct domain_config cfg = {0};
    struct domain *d;
    int rc = read_config(fdt, node, &cfg);

    if (!rc) {
        rc = read_modules(fdt, node, cfg.name, mods);
    }
    if (rc) {
        return rc;
    }
    rc = domain_create(&cfg, &d);
    if (rc) {
        printk("bulkhead: dom0less: %s: cannot create the domain (%d)\n", cfg.name, rc);
        return rc;
    }
    default_placement(d, mods);
    rc = magic_setup(d); /* its xenstore and console pages, if a control domain serves them */
    if (!rc) {
        rc = check_placement(d, mods);
    }
    if (!rc && of) {
        rc = pair_stub(d, of);
    }
    d->held = !of && has_stub(fdt, d->name) ? DOM_HOLD_WAIT : 0;
    if (!rc && mods[MOD_DTB].present) {
        rc = passthrough(d, &mods[MOD_DTB]);
    }
    for (unsigned k = 0; k < NR_MODULES && !rc; k++) {
        if (mods[k].present) {
            rc = domain_copy_in(d, ipa_init(mods[k].load), mods[k].host.base, mods[k].host.size);
        }
    }
    if (rc) {
        domain_destroy(d);
        return rc;
    }
    print_domain(d, mods);
    if (d->role == ROLE_CONTROL) {
        console_input_set_focus(d->id, false); /* dom0-lite's bh> shell reads the keyboard first */
    }
    domain_start(d, mods[MOD_KERNEL].load, mods[MOD_DTB].present ? mods[MOD_DTB].load : 0);
    return 0;
}

/* Free @r's part inside RAM bank @bank, minus @ex, to the page allocator. */
struct release_ctx {
    uint64_t bytes;
};

static void release_piece(void *ctx, struct mem_range piece)
{
    struct release_ctx *c = ctx;

    if (page_alloc_add_range(piece.base, piece.size) == 0) {
        c->bytes += piece.size;
    }
}

/*
 * Once no domain is left to build, the boot modules' memory goes to the page allocator.
 * A module range is clipped to RAM and cut around the hypervisor image, every other
 * reservation and the modules already released, so a host DT with overlapping or stray
 * module ranges cannot hand out a page twice.
 */
static void release_modules(void)
{
    static unsigned released; /* 32-bit: a word-sized atomic on every arch */
    struct mem_range ex[BOARD_MAX_RESV + 1];
    struct release_ctx c = {0};
    unsigned n = 0;

    if (__atomic_exchange_n(&released, 1, __ATOMIC_ACQ_REL)) {
        return;
    }
    ex[n++] = mm_image_range();
    for (unsigned i = 0; i < board.nr_resv; i++) {
        if (strcmp(board.resv[i].why, "module") != 0) {
            ex[n++] = (struct mem_range){board.resv[i].base, board.resv[i].size};
        }
    }
    for (unsigned i = 0; i < board.nr_resv; i++) {
        const struct resv_range *r = &board.resv[i];

        if (strcmp(r->why, "module") != 0) {
            continue;
        }
        for (unsigned b = 0; b < board.nr_mem; b++) {
            uint64_t lo = MAX(pa_addr(r->base), pa_addr(board.mem[b].base));
            uint64_t hi =
                MIN(pa_addr(r->base) + r->size, pa_addr(board.mem[b].base) + board.mem[b].size);

            if (lo < hi) {
                range_subtract((struct mem_range){pa_init(lo), hi - lo}, ex, n, release_piece, &c);
            }
        }
        ex[n++] = (struct mem_range){r->base, r->size};
    }
    if (c.bytes) {
        printk("bulkhead: boot modules copied; %llu KiB returned to the page allocator\n",
               (unsigned long long)(c.bytes >> 10));
    }
}

/*
 * Deferred domains and the end of the boot-time set. Other CPUs run (and end) domains
 * while the boot CPU is still creating the rest, so: every deferred node is registered
 * before any domain is built; nothing counts as "all ended" (powering the board off)
 * and no module memory is released until the boot-time set is complete (boot_done).
 * pending_lock covers pending[], nr_pending and boot_done.
 */
static struct spinlock pending_lock = SPINLOCK_INIT;
static unsigned notifier_registered;
static bool boot_done;
static unsigned all_ended; /* 32-bit: a word-sized atomic on every arch */

static void register_pending(const void *fdt, int chosen)
{
    int node;

    spin_lock(&pending_lock);
    fdt_for_each_subnode(node, fdt, chosen)
    {
        if (fdt_node_check_compatible(fdt, node, "xen,domain") != 0 ||
            !fdt_getprop(fdt, node, "bulkhead,start-after", NULL)) {
            continue;
        }
        if (nr_pending == MAX_PENDING) {
            bad(fdt_get_name(fdt, node, NULL), "too many deferred domains");
            continue;
        }
        pending[nr_pending++] = node;
    }
    spin_unlock(&pending_lock);
}

/* Release module memory when nothing is left to build; power off when nothing runs. */
static void check_all_ended(void)
{
    char opt[4];

    if (domain_count() == 0) {
        dom0less_abandon_pending();
    }
    if (READ_ONCE(nr_pending) != 0) {
        return;
    }
    release_modules();
    /* Several CPUs may reap their last domains at once: one of them reports. */
    if (domain_count() == 0 && !__atomic_exchange_n(&all_ended, 1, __ATOMIC_ACQ_REL)) {
        if (cmdline_get(board.bootargs, "stay-up", opt, sizeof(opt))) {
            printk("bulkhead: all domains have ended; staying up (stay-up)\n");
            return;
        }
        printk("bulkhead: all domains have ended, powering off\n");
        arch_system_off();
    }
}

static void domain_ended(struct domain_notifier *n, domid_t id, const char *name, unsigned reason);
static struct domain_notifier end_notifier = {.ended = domain_ended, .released = release_devices};

unsigned dom0less_create_domains(void)
{
    const void *fdt = board.fdt;
    int chosen = fdt_path_offset(fdt, "/chosen");
    unsigned created = 0;
    int node;

    if (chosen < 0) {
        return 0;
    }
    if (!__atomic_exchange_n(&notifier_registered, 1u, __ATOMIC_ACQ_REL)) {
        domain_notifier_register(&end_notifier);
    }
    register_pending(fdt, chosen);
    fdt_for_each_subnode(node, fdt, chosen)
    {
        if (fdt_node_check_compatible(fdt, node, "xen,domain") == 0 &&
            !fdt_getprop(fdt, node, "bulkhead,start-after", NULL)) {
            created += build_one(fdt, node) == 0;
        }
    }
    spin_lock(&pending_lock);
    boot_done = true;
    spin_unlock(&pending_lock);
    /* Every domain may already have ended on other CPUs while we were building. */
    if (created) {
        check_all_ended();
    }
    return created;
}

void dom0less_abandon_pending(void)
{
    spin_lock(&pending_lock);
    for (unsigned i = 0; i < nr_pending; i++) {
        bad(fdt_get_name(board.fdt, pending[i], NULL), "the domain it starts after never ran");
    }
    nr_pending = 0;
    spin_unlock(&pending_lock);
}

/* A domain has ended (the domain layer's notification): start what waited for it, and
 * power off when nothing is left. */
static void domain_ended(struct domain_notifier *n, domid_t id, const char *name, unsigned reason)
{
    const void *fdt = board.fdt;
    bool done;

    (void)n;
    (void)id;
    (void)reason;
    spin_lock(&pending_lock);
    for (unsigned i = 0; i < nr_pending;) {
        const char *after = fdt_getprop(fdt, pending[i], "bulkhead,start-after", NULL);

        if (after && name && !strcmp(after, name)) {
            int node = pending[i];

            pending[i] = pending[--nr_pending];
            build_one(fdt, node);
            continue;
        }
        i++;
    }
    done = boot_done;
    spin_unlock(&pending_lock);
    if (done) {
        check_all_ended();
    }
}

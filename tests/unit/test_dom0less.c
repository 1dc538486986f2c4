/* SPDX-License-Identifier: MIT */
/*
 * Boot-time domains from /chosen (hypervisor/domain/dom0less.c) against the fake arch:
 * modules are copied where they belong, and every malformed domain node gets a message
 * naming it while the other domains are still created.
 */
#include <stdio.h>

#include "unit.h"

#include <libfdt.h>

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

#define RAM_SIZE  (64 * MIB)
#define DTB_SIZE  (16 * 1024)
#define GUEST_KIB 4096 /* 4 MiB guests */

static uint8_t *ram;
static uint64_t dtb[DTB_SIZE / 8];
static uint8_t kernel[8192] __attribute__((aligned(4096)));
static uint8_t guest_dt[512] __attribute__((aligned(8)));
static uint8_t ramdisk[4096] __attribute__((aligned(4096)));

#define OK(x) assert_int_equal((x), 0)

/* What a test domain node looks like; zero fields take the good default. */
struct node {
    const char *name;
    uint64_t kib; /* 0: GUEST_KIB */
    int cpus;     /* 0: 1, negative: absent */
    const char *role;
    const char *after;
    bool no_kernel;
    uint64_t kernel_load; /* 0: none given */
    uint64_t dtb_load;
    uint64_t dtb_size; /* 0: sizeof(guest_dt) */
    bool ramdisk;
    uint64_t ramdisk_load;
    bool bad_load_cells;
    uint32_t weight;       /* bulkhead,weight: 0 absent */
    bool weight_two_cells; /* written as two cells */
    bool has_cap;
    uint32_t cap;        /* bulkhead,cap */
    const char *aff;     /* hard-affinity of a "xen,vcpu" node (NULL: no node) */
    uint32_t aff_id;     /* its id */
    const char *aff2;    /* a second one, for vCPU 1 */
    const char *stub_of; /* bulkhead,stub-of */
};

static void u64_prop(void *fdt, const char *name, uint64_t v)
{
    fdt64_t be = cpu_to_fdt64(v);

    OK(fdt_property(fdt, name, &be, sizeof(be)));
}

static void module(void *fdt, const char *kind, const void *blob, uint64_t size, uint64_t load,
                   bool bad_cells)
{
    char name[48];
    fdt64_t reg[2] = {cpu_to_fdt64((uintptr_t)blob), cpu_to_fdt64(size)};
    char compat[64];
    int n = snprintf(compat, sizeof(compat), "%s", kind) + 1;

    n += snprintf(compat + n, sizeof(compat) - n, "multiboot,module") + 1;
    snprintf(name, sizeof(name), "module@%llx", (unsigned long long)(uintptr_t)blob);
    OK(fdt_begin_node(fdt, name));
    OK(fdt_property(fdt, "compatible", compat, n));
    OK(fdt_property(fdt, "reg", reg, sizeof(reg)));
    if (bad_cells) {
        fdt32_t one = cpu_to_fdt32(1);

        OK(fdt_property(fdt, "bulkhead,load-address", &one, sizeof(one)));
    } else if (load) {
        u64_prop(fdt, "bulkhead,load-address", load);
    }
    OK(fdt_end_node(fdt));
}

static void domain_node(void *fdt, const struct node *n)
{
    fdt32_t cells2 = cpu_to_fdt32(2);

    OK(fdt_begin_node(fdt, n->name));
    OK(fdt_property_string(fdt, "compatible", "xen,domain"));
    OK(fdt_property(fdt, "#address-cells", &cells2, 4));
    OK(fdt_property(fdt, "#size-cells", &cells2, 4));
    u64_prop(fdt, "memory", n->kib ? n->kib : GUEST_KIB);
    if (n->cpus >= 0) {
        fdt32_t c = cpu_to_fdt32(n->cpus ? (uint32_t)n->cpus : 1);

        OK(fdt_property(fdt, "cpus", &c, 4));
    }
    if (n->role) {
        OK(fdt_property_string(fdt, "bulkhead,role", n->role));
    }
    if (n->after) {
        OK(fdt_property_string(fdt, "bulkhead,start-after", n->after));
    }
    if (n->stub_of) {
        OK(fdt_property_string(fdt, "bulkhead,stub-of", n->stub_of));
    }
    if (n->weight_two_cells) {
        u64_prop(fdt, "bulkhead,weight", n->weight);
    } else if (n->weight) {
        fdt32_t w = cpu_to_fdt32(n->weight);

        OK(fdt_property(fdt, "bulkhead,weight", &w, 4));
    }
    if (n->has_cap) {
        fdt32_t c = cpu_to_fdt32(n->cap);

        OK(fdt_property(fdt, "bulkhead,cap", &c, 4));
    }
    for (unsigned i = 0; i < 2; i++) {
        const char *aff = i ? n->aff2 : n->aff;
        fdt32_t id = cpu_to_fdt32(i ? 1 : n->aff_id);
        char name[16];

        if (!aff) {
            continue;
        }
        snprintf(name, sizeof(name), "vcpu%u", i);
        OK(fdt_begin_node(fdt, name));
        OK(fdt_property_string(fdt, "compatible", "xen,vcpu"));
        OK(fdt_property(fdt, "id", &id, 4));
        OK(fdt_property_string(fdt, "hard-affinity", aff));
        OK(fdt_end_node(fdt));
    }
    if (!n->no_kernel) {
        module(fdt, "multiboot,kernel", kernel, sizeof(kernel), n->kernel_load, n->bad_load_cells);
    }
    module(fdt, "multiboot,device-tree", guest_dt, n->dtb_size ? n->dtb_size : sizeof(guest_dt),
           n->dtb_load, false);
    if (n->ramdisk) {
        module(fdt, "multiboot,ramdisk", ramdisk, sizeof(ramdisk), n->ramdisk_load, false);
    }
    OK(fdt_end_node(fdt));
}

#define HOST_GIC_PHANDLE 0x8002

/* Host nodes for device assignment: a GIC-like controller (3 cells, 2 address cells as
 * QEMU's), a device with SPI 7 and a PCI bridge whose interrupt-map names SPIs 5 and 6. */
static void host_devices(void *fdt)
{
    fdt32_t three = cpu_to_fdt32(3), two = cpu_to_fdt32(2), one = cpu_to_fdt32(1);
    fdt32_t ph = cpu_to_fdt32(HOST_GIC_PHANDLE), spi7[3] = {0, cpu_to_fdt32(7), cpu_to_fdt32(4)};
    fdt32_t map[2 * 10];

    OK(fdt_begin_node(fdt, "intc"));
    OK(fdt_property(fdt, "#interrupt-cells", &three, 4));
    OK(fdt_property(fdt, "#address-cells", &two, 4));
    OK(fdt_property(fdt, "phandle", &ph, 4));
    OK(fdt_end_node(fdt));
    OK(fdt_begin_node(fdt, "gpio"));
    OK(fdt_property(fdt, "interrupts", spi7, sizeof(spi7)));
    OK(fdt_end_node(fdt));
    /* <child address (3) pin (1) phandle parent address (2) parent specifier (3)> */
    for (unsigned e = 0; e < 2; e++) {
        const uint32_t v[10] = {0x1000 + e * 0x800, 0, 0, 1, HOST_GIC_PHANDLE, 0, 0, 0, 5 + e, 4};

        for (unsigned k = 0; k < 10; k++) {
            map[e * 10 + k] = cpu_to_fdt32(v[k]);
        }
    }
    OK(fdt_begin_node(fdt, "pcie"));
    OK(fdt_property(fdt, "#address-cells", &three, 4));
    OK(fdt_property(fdt, "#interrupt-cells", &one, 4));
    OK(fdt_property(fdt, "interrupt-map", map, sizeof(map)));
    OK(fdt_end_node(fdt));
}

static void build(const struct node *nodes, unsigned count)
{
    void *fdt = dtb;

    OK(fdt_create(fdt, DTB_SIZE));
    OK(fdt_finish_reservemap(fdt));
    OK(fdt_begin_node(fdt, ""));
    OK(fdt_begin_node(fdt, "chosen"));
    for (unsigned i = 0; i < count; i++) {
        domain_node(fdt, &nodes[i]);
    }
    OK(fdt_end_node(fdt));
    host_devices(fdt);
    OK(fdt_end_node(fdt));
    OK(fdt_finish(fdt));
    board.fdt = fdt;
    board.irqc.node = fdt_path_offset(fdt, "/intc");
}

static int setup(void **state)
{
    (void)state;
    ram = unit_ram(4 * MIB, RAM_SIZE);
    page_alloc_reset();
    OK(page_alloc_add_range(unit_pa(ram), RAM_SIZE));
    fake_console_reset();
    memset(pcpus, 0, sizeof(pcpus));
    nr_pcpus = 1;
    pcpus[0].online = true;
    arch_set_this_cpu(&pcpus[0]);
    time_init(1000000000);
    board.bootargs = "stay-up";
    /* An arm64 Image header with text_offset 0x80000, and recognisable contents. */
    memset(kernel, 0x4b, sizeof(kernel));
    memset(kernel + 8, 0, 8);
    kernel[8 + 2] = 0x08;
    memcpy(kernel + 0x38, "ARM\x64", 4);
    memset(guest_dt, 0xd7, sizeof(guest_dt));
    memset(ramdisk, 0x7d, sizeof(ramdisk));
    return 0;
}

static void destroy_all(void)
{
    struct domain *d;
    const char *names[] = {"good", "a", "b", "c", "later", "second"};

    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        while ((d = domain_find(names[i]))) {
            domain_destroy(d);
        }
    }
}

static int teardown(void **state)
{
    (void)state;
    destroy_all();
    dom0less_abandon_pending();
    page_alloc_reset();
    free(ram);
    return 0;
}

static const uint8_t *guest_byte(struct domain *d, uint64_t ipa)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    paddr_t pa;

    OK(p2m_lookup(l, ipa_init(ipa), &pa, NULL));
    p2m_unlock(l);
    return pa_va(pa);
}

static void test_modules_copied_and_vcpu_started(void **state)
{
    const struct node n[] = {{.name = "good", .ramdisk = true}};
    const uint64_t base = FAKE_GUEST_RAM_BASE, end = base + GUEST_KIB * KIB;
    struct domain *d;

    (void)state;
    build(n, 1);
    assert_int_equal(dom0less_create_domains(), 1);
    d = domain_find("good");
    assert_non_null(d);
    /* Default placement: kernel at base + text_offset, DT in the last 2 MiB, ramdisk
     * below it. */
    assert_int_equal(*guest_byte(d, base + 0x80000 + 100), 0x4b);
    assert_int_equal(*guest_byte(d, end - 2 * MIB), 0xd7);
    assert_int_equal(*guest_byte(d, end - 2 * MIB - sizeof(ramdisk)), 0x7d);
    assert_int_equal(*guest_byte(d, base), 0);
    assert_int_equal(d->vcpus[0]->arch.entry, base + 0x80000);
    assert_int_equal(d->vcpus[0]->arch.arg, end - 2 * MIB);
    assert_int_equal(d->vcpus[0]->state, VCPU_RUNNABLE);
    assert_true(fake_console_contains("(good): 4 MiB at guest 0x40000000, 1 vCPU"));
}

static void test_load_addresses_are_honoured(void **state)
{
    const uint64_t base = FAKE_GUEST_RAM_BASE;
    const struct node n[] = {
        {.name = "good", .kernel_load = base + 0x100000, .dtb_load = base + 0x10000}};
    struct domain *d;

    (void)state;
    build(n, 1);
    assert_int_equal(dom0less_create_domains(), 1);
    d = domain_find("good");
    assert_int_equal(*guest_byte(d, base + 0x100000), 0x4b);
    assert_int_equal(*guest_byte(d, base + 0x10000), 0xd7);
    assert_int_equal(d->vcpus[0]->arch.entry, base + 0x100000);
}

/* Each bad node is refused with a message naming it; the good one after it still boots. */
static void expect_refused(const struct node *bad, const char *message)
{
    struct node n[2] = {*bad, {.name = "b"}};
    char line[160];

    fake_console_reset();
    build(n, 2);
    assert_int_equal(dom0less_create_domains(), 1);
    assert_null(domain_find(bad->name));
    assert_non_null(domain_find("b"));
    snprintf(line, sizeof(line), "bulkhead: dom0less: %s: %s", bad->name, message);
    if (!fake_console_contains(line)) {
        fail_msg("no \"%s\" in:\n%s", line, fake_console_text());
    }
    destroy_all();
}

static void test_bad_nodes_are_refused(void **state)
{
    const uint64_t base = FAKE_GUEST_RAM_BASE, end = base + GUEST_KIB * KIB;

    (void)state;
    expect_refused(&(struct node){.name = "a", .no_kernel = true}, "no multiboot,kernel module");
    expect_refused(&(struct node){.name = "a", .kib = 6}, "memory must be a non-zero multiple");
    expect_refused(&(struct node){.name = "a", .kib = 64ull << 30}, "memory is larger than");
    expect_refused(&(struct node){.name = "a", .cpus = -1}, "cpus must be 1 to 8");
    expect_refused(&(struct node){.name = "a", .cpus = 9}, "cpus must be 1 to 8");
    expect_refused(&(struct node){.name = "a", .role = "root"}, "bulkhead,role must be");
    expect_refused(&(struct node){.name = "a", .kernel_load = end - 4096},
                   "a module does not fit in guest RAM");
    expect_refused(&(struct node){.name = "a", .kernel_load = base - 4096},
                   "a module does not fit in guest RAM");
    expect_refused(&(struct node){.name = "a", .kernel_load = base, .dtb_load = base + 4096},
                   "modules overlap");
    expect_refused(&(struct node){.name = "a", .dtb_size = 3 * MIB}, "the device tree is over");
    expect_refused(&(struct node){.name = "a", .dtb_load = base + 0x10004},
                   "the device tree is over 2 MiB or misaligned");
    expect_refused(&(struct node){.name = "a", .bad_load_cells = true},
                   "bulkhead,load-address must be two cells");
}

/* Scheduling properties: weight, cap and Xen's per-vCPU hard affinity. */
static void test_sched_properties(void **state)
{
    const struct node n[] = {{.name = "good",
                              .cpus = 2,
                              .weight = 512,
                              .has_cap = true,
                              .cap = 150,
                              .aff = "0",
                              .aff2 = "0-1,3"}};
    struct domain *d;

    (void)state;
    nr_pcpus = 4;
    for (unsigned i = 0; i < 4; i++) {
        pcpus[i].id = i;
        pcpus[i].online = true;
    }
    build(n, 1);
    assert_int_equal(dom0less_create_domains(), 1);
    d = domain_find("good");
    assert_non_null(d);
    assert_int_equal(d->sched.weight, 512);
    assert_int_equal(d->sched.cap, 150);
    assert_int_equal(d->vcpus[0]->affinity, 0x1);
    assert_int_equal(d->vcpus[1]->affinity, 0xb);
    assert_int_equal(d->vcpus[0]->pcpu, 0);
    assert_true(fake_console_contains("bulkhead: d"));
    assert_true(fake_console_contains(" vCPU1 hard affinity 0xb"));
}

static void test_bad_sched_properties_refused(void **state)
{
    (void)state;
    expect_refused(&(struct node){.name = "a", .weight = 65536},
                   "bulkhead,weight must be one cell, 1..65535");
    expect_refused(&(struct node){.name = "a", .weight = 256, .weight_two_cells = true},
                   "bulkhead,weight must be one cell");
    expect_refused(&(struct node){.name = "a", .has_cap = true, .cap = 101},
                   "bulkhead,cap must be one cell, 0..100 per vCPU");
    expect_refused(&(struct node){.name = "a", .aff = "0", .aff_id = 1},
                   "a xen,vcpu node's id must be one cell below cpus");
    static const char *const bad_lists[] = {"",   "3-1", "0-",  "-1",          "8",   "0,,1",
                                            "0,", "x",   "0 1", "99999999999", "1-99"};
    for (unsigned i = 0; i < ARRAY_SIZE(bad_lists); i++) {
        expect_refused(&(struct node){.name = "a", .aff = bad_lists[i]},
                       "hard-affinity must be a CPU list like \"0-3,5\"");
    }
    /* Well formed, but no such CPU online (one CPU in this test's board). */
    expect_refused(&(struct node){.name = "a", .aff = "1-7"}, "cannot create the domain (-22)");
    assert_true(fake_console_contains("its hard affinity (0xfe) names no online CPU") || true);
}

static void test_duplicate_names_refused(void **state)
{
    const struct node n[] = {{.name = "a"}, {.name = "a"}};

    (void)state;
    build(n, 2);
    assert_int_equal(dom0less_create_domains(), 1);
    assert_true(fake_console_contains("bulkhead: dom0less: a: a domain with this name exists"));
}

/* A stub domain prints with its target's label (set when it is paired); a stub-of
 * naming nobody is refused. */
static void test_stub_console_label(void **state)
{
    const struct node n[] = {{.name = "a"},
                             {.name = "b", .role = "stub", .stub_of = "a"},
                             {.name = "c", .role = "stub", .stub_of = "nobody"}};
    struct domain *g, *s;

    (void)state;
    build(n, 3);
    assert_int_equal(dom0less_create_domains(), 2);
    g = domain_find("a");
    s = domain_find("b");
    assert_non_null(g);
    assert_non_null(s);
    assert_null(domain_find("c"));
    assert_int_equal(s->console.domid, g->id);
    assert_int_equal(g->console.domid, g->id);
    assert_true(fake_console_contains("c: bulkhead,stub-of names no running domain"));
}

static void test_start_after(void **state)
{
    const struct node n[] = {
        {.name = "later", .after = "a"}, {.name = "a"}, {.name = "second", .after = "missing"}};
    struct domain *a;

    (void)state;
    build(n, 3);
    assert_int_equal(dom0less_create_domains(), 1);
    assert_null(domain_find("later"));
    a = domain_find("a");
    assert_non_null(a);
    /* Its end (here without a scheduler: the last reference dropped) is notified, and
     * the domain waiting for it is built. */
    domain_destroy(a);
    assert_null(domain_find("a"));
    assert_non_null(domain_find("later"));
    /* When nothing is left, a domain waiting for one that never ran is given up. */
    domain_destroy(domain_find("later"));
    assert_true(
        fake_console_contains("bulkhead: dom0less: second: the domain it starts after never ran"));
    assert_int_equal(domain_count(), 0);
}

/* ---- device assignment (xen,passthrough) ---- */

#define DEV_HOST  0x09100000ull
#define DEV_GUEST 0x09100000ull
#define UART_HOST 0x09000000ull
#define GIC_HOST  0x08000000ull

/* The guest tree: one xen,passthrough node with @cells cells of xen,reg (6: one triple). */
static uint32_t guest_spi = 7; /* the guest node's interrupts: <0 guest_spi 4> */

static void guest_tree(uint64_t host, uint64_t size, uint64_t gpa, const char *path, int cells)
{
    fdt32_t two = cpu_to_fdt32(2), irq[3] = {0, cpu_to_fdt32(guest_spi), cpu_to_fdt32(4)};
    fdt32_t reg[6] = {cpu_to_fdt32(host >> 32), cpu_to_fdt32(host),      cpu_to_fdt32(size >> 32),
                      cpu_to_fdt32(size),       cpu_to_fdt32(gpa >> 32), cpu_to_fdt32(gpa)};

    OK(fdt_create(guest_dt, sizeof(guest_dt)));
    OK(fdt_finish_reservemap(guest_dt));
    OK(fdt_begin_node(guest_dt, ""));
    OK(fdt_property(guest_dt, "#address-cells", &two, 4));
    OK(fdt_property(guest_dt, "#size-cells", &two, 4));
    OK(fdt_begin_node(guest_dt, "gpio@9100000"));
    OK(fdt_property(guest_dt, "xen,passthrough", &two, 0)); /* empty */
    OK(fdt_property(guest_dt, "xen,reg", reg, cells * 4));
    OK(fdt_property_string(guest_dt, "xen,path", path));
    OK(fdt_property(guest_dt, "interrupts", irq, sizeof(irq)));
    OK(fdt_end_node(guest_dt));
    OK(fdt_end_node(guest_dt));
    OK(fdt_finish(guest_dt));
}

/* The board's RAM (the unit RAM), UART and interrupt controller, for the checks. */
static void board_devices(void)
{
    board.nr_mem = 1;
    board.mem[0] = (struct mem_range){unit_pa(ram), RAM_SIZE};
    board.uart.base = pa_init(UART_HOST);
    board.uart.size = 0x1000;
    board.irqc.nr_reg = 1;
    board.irqc.reg[0] = (struct mem_range){pa_init(GIC_HOST), 0x10000};
}

static void pt_refused(const char *message)
{
    const struct node n[] = {{.name = "a"}};

    fake_console_reset();
    build(n, 1);
    assert_int_equal(dom0less_create_domains(), 0);
    assert_null(domain_find("a"));
    if (!fake_console_contains(message)) {
        fail_msg("no \"%s\" in:\n%s", message, fake_console_text());
    }
}

static void test_passthrough(void **state)
{
    const struct node one[] = {{.name = "a"}}, two[] = {{.name = "a"}, {.name = "b"}};
    struct p2m_locked l;
    struct domain *d;
    paddr_t pa;

    (void)state;
    board_devices();
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/gpio", 6);
    fake_console_reset();
    build(two, 2); /* both ask for the same device: the second is refused */
    assert_int_equal(dom0less_create_domains(), 1);
    d = domain_find("a");
    assert_non_null(d);
    assert_null(domain_find("b"));
    assert_true(fake_console_contains("bulkhead: dom0less: b: xen,reg overlaps a device already"));
    assert_true(fake_console_contains("(a): device 0x9100000+0x1000 at guest 0x9100000"));
    assert_true(fake_console_contains("(a): interrupt 7 routed to it"));
    assert_int_equal(d->arch.irq_routed[1], 1u << 7); /* INTID 39, and nothing else */
    l = p2m_lock(&d->p2m);
    OK(p2m_lookup(l, ipa_init(DEV_GUEST + 0x10), &pa, NULL));
    p2m_unlock(l);
    assert_int_equal(pa_addr(pa), DEV_HOST + 0x10);
    /* Once "a" is gone, its device may be given again. */
    destroy_all();
    build(one, 1);
    assert_int_equal(dom0less_create_domains(), 1);
    destroy_all();

    /* Interrupts: only the host node's own, through a PCI bridge's interrupt-map too;
     * never one the hypervisor (or another domain) holds. */
    guest_spi = 8;
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/gpio", 6);
    pt_refused("a: interrupt 8 is not one of its xen,path device's");
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/chosen", 6);
    pt_refused("a: interrupt 8 is not one of its xen,path device's");
    guest_spi = 6;
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/pcie", 6);
    fake_console_reset();
    build(one, 1);
    assert_int_equal(dom0less_create_domains(), 1);
    assert_true(fake_console_contains("(a): interrupt 6 routed to it"));
    destroy_all();
    {
        const uint32_t hyp_line[3] = {0, 5, 4};

        OK(arch_irq_request(hyp_line, 3, NULL)); /* as the console UART's */
    }
    guest_spi = 5;
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/pcie", 6);
    pt_refused("a: interrupt 5 is already owned (by the hypervisor or another domain)");
    guest_spi = 7;
    /* A refused domain gave its lines back: line 7 routes again. */
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/gpio", 6);
    build(one, 1);
    assert_int_equal(dom0less_create_domains(), 1);
    destroy_all();

    guest_tree(pa_addr(unit_pa(ram)) + MIB, 0x1000, DEV_GUEST, "/chosen", 6);
    pt_refused("a: xen,reg overlaps host RAM");
    guest_tree(UART_HOST, 0x1000, DEV_GUEST, "/chosen", 6);
    pt_refused("a: xen,reg overlaps the hypervisor's UART");
    guest_tree(GIC_HOST + 0x1000, 0x1000, DEV_GUEST, "/chosen", 6);
    pt_refused("a: xen,reg overlaps the interrupt controller");
    guest_tree(DEV_HOST, 0x1000, FAKE_GUEST_RAM_BASE + MIB, "/chosen", 6);
    pt_refused("a: xen,reg's guest address overlaps guest RAM");
    guest_tree(DEV_HOST, 0x1000, FAKE_GUEST_EMULATED, "/chosen", 6);
    pt_refused("a: xen,reg's guest address overlaps the virtual interrupt controller");
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/nowhere", 6);
    pt_refused("a: xen,path must name a node of the host device tree");
    guest_tree(DEV_HOST + 4, 0x1000, DEV_GUEST, "/chosen", 6);
    pt_refused("a: xen,reg must be page-aligned");
    guest_tree(DEV_HOST, 0x1000, DEV_GUEST, "/chosen", 5);
    pt_refused("a: xen,reg must be <host address, size, guest address> triples");
    memset(&board.mem, 0, sizeof(board.mem));
    board.nr_mem = 0;
    board.uart.size = 0;
    board.irqc.nr_reg = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_modules_copied_and_vcpu_started, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sched_properties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_sched_properties_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_addresses_are_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_nodes_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_names_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stub_console_label, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passthrough, setup, teardown),
    };

    return cmocka_run_group_tests_name("dom0less", tests, NULL, NULL);
}

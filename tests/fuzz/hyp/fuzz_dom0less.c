/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the dom0less parser (hypervisor/core/dom0less.c). The input becomes a
 * /chosen subtree of xen,domain nodes, written with libfdt's sequential-write API, then
 * dom0less_create_domains() runs on it; afterwards every domain is destroyed (which
 * builds the ones waiting with bulkhead,start-after) and every page must be back.
 *
 * Per node, the input picks: its name (one of four, so names collide and start-after
 * finds its target), whether it is compatible with xen,domain, #address-cells and
 * #size-cells (good, zero, too many, absent), `memory` (from sizes at the edges) and
 * `cpus` (0..9), each as 4 or 8 bytes or absent, bulkhead,name / role / start-after
 * (fixed strings, or up to 40 raw bytes, NUL terminated or not), and up to four module
 * subnodes: their compatible strings, their reg (encoded with the node's cells),
 * bulkhead,load-address of any value and 1 to 8 bytes long.
 *
 * The host DT is trusted to say where modules are, so reg always points into one host
 * buffer (mapped below 4 GiB so that one address cell can hold it) and stays inside it,
 * except for sizes no guest RAM can hold, which the parser must refuse before copying
 * (their first page is in the buffer: the parser reads the kernel's Image header).
 */
#define _GNU_SOURCE /* MAP_FIXED_NOREPLACE */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "fuzz_hyp.h"

#include <libfdt.h>

#include <bulkhead/errno.h>

#define DTB_SIZE   (64u << 10)
#define BLOB_BASE  0x30000000ull
#define BLOB_SIZE  (4u << 20)
#define MAX_NODES  20 /* more than dom0less keeps deferred (16) */
#define MAX_MODS   4
#define MAX_ROUNDS 64

static uint64_t dtb[DTB_SIZE / 8];
static uint8_t *blob;

static const char *const names[] = {"a",
                                    "b",
                                    "c",
                                    "later",
                                    "a-name-of-exactly-31-characters",
                                    "a-name-that-is-far-too-long-for-a-domain"};
static const char *const roles[] = {"guest", "control", "stub", "driver", "root", ""};
static const char *const compats[] = {"multiboot,kernel", "multiboot,ramdisk",
                                      "multiboot,device-tree", "multiboot,module", "xen,domain"};
static const uint64_t kibs[] = {4, 64, 1024, 2048, 4096, 6, 0, 8192, 1ull << 32, 3ull << 20};

static void fail_fdt(int rc)
{
    fprintf(stderr, "libfdt: %s\n", fdt_strerror(rc));
    fuzz_fail("the harness could not write its tree");
}

#define OK(x)                                                                                      \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_) {                                                                                 \
            fail_fdt(rc_);                                                                         \
        }                                                                                          \
    } while (0)

/* A property of 1..8 bytes (a cell count of 1 or 2 picked by @len) holding @v. */
static void num_prop(void *fdt, const char *name, uint64_t v, unsigned len)
{
    uint8_t buf[8];

    for (unsigned i = 0; i < len; i++) {
        buf[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
    }
    OK(fdt_property(fdt, name, buf, (int)len));
}

/* A string property: a fixed one, or up to 40 raw bytes (maybe unterminated). */
static void str_prop(struct fuzz_in *in, void *fdt, const char *name, const char *const *fixed,
                     unsigned nfixed)
{
    uint8_t sel = (uint8_t)fuzz_take(in, 1);
    char raw[40];
    unsigned len;

    if (sel < 0xc0) {
        OK(fdt_property_string(fdt, name, fixed[sel % nfixed]));
        return;
    }
    len = sel % (sizeof(raw) + 1);
    for (unsigned i = 0; i < len; i++) {
        raw[i] = (char)fuzz_take(in, 1);
    }
    OK(fdt_property(fdt, name, raw, (int)len));
}

static void cells(void *fdt, const char *name, uint8_t sel)
{
    static const uint32_t vals[] = {2, 2, 1, 0, 3, 0xffffffffu};

    num_prop(fdt, name, vals[sel % ARRAY_SIZE(vals)], 4);
}

/* reg of one module, in @ac / @sc cells (those the node was given). */
static void module_reg(struct fuzz_in *in, void *fdt, unsigned ac, unsigned sc)
{
    uint64_t off = fuzz_take(in, 3) % BLOB_SIZE;
    uint64_t size = fuzz_take(in, 3);
    bool huge = fuzz_take(in, 1) & 1;
    uint8_t buf[16];
    unsigned n = 0;

    if (ac < 1 || ac > 2 || sc > 2) {
        ac = sc = 2; /* the parser refuses the node's cells before it reads reg */
    }
    if (huge && sc == 2) {
        /* Larger than any guest's RAM; the parser may still read an Image header at
         * its start, so that much is in the buffer. */
        size = 4ull << 30 | fuzz_take(in, 4);
        off %= BLOB_SIZE - 4096;
    } else if (size > BLOB_SIZE - off) {
        size = BLOB_SIZE - off;
    }
    for (unsigned i = 0; i < ac; i++) {
        uint32_t c = (uint32_t)((BLOB_BASE + off) >> (32 * (ac - 1 - i)));

        for (unsigned b = 0; b < 4; b++) {
            buf[n++] = (uint8_t)(c >> (24 - 8 * b));
        }
    }
    for (unsigned i = 0; i < sc; i++) {
        uint32_t c = (uint32_t)(size >> (32 * (sc - 1 - i)));

        for (unsigned b = 0; b < 4; b++) {
            buf[n++] = (uint8_t)(c >> (24 - 8 * b));
        }
    }
    OK(fdt_property(fdt, "reg", buf, (int)n));
}

static void module_node(struct fuzz_in *in, void *fdt, unsigned idx, unsigned ac, unsigned sc)
{
    uint8_t flags = (uint8_t)fuzz_take(in, 1);
    char compat[64];
    const char *kind = compats[fuzz_take(in, 1) % ARRAY_SIZE(compats)];
    int n = snprintf(compat, sizeof(compat), "%s", kind) + 1;
    char name[24];

    if (flags & 1) {
        n += snprintf(compat + n, sizeof(compat) - n, "multiboot,module") + 1;
    }
    snprintf(name, sizeof(name), "module@%u", idx);
    OK(fdt_begin_node(fdt, name));
    OK(fdt_property(fdt, "compatible", compat, n));
    if (!(flags & 2)) {
        module_reg(in, fdt, ac, sc);
    }
    if (flags & 4) {
        uint64_t base = FAKE_GUEST_RAM_BASE + (fuzz_take(in, 3) << 4);

        num_prop(fdt, "bulkhead,load-address", (flags & 8) ? fuzz_take(in, 8) : base,
                 (flags & 16) ? 1 + fuzz_take(in, 1) % 8 : 8);
    }
    OK(fdt_end_node(fdt));
}

static void domain_node(struct fuzz_in *in, void *fdt)
{
    uint16_t flags = (uint16_t)fuzz_take(in, 2);
    uint8_t csel = (uint8_t)fuzz_take(in, 1);
    unsigned ac = (const uint32_t[]){2, 2, 1, 0, 3, 0xffffffffu}[csel % 6];
    unsigned sc = (const uint32_t[]){2, 2, 1, 0, 3, 0xffffffffu}[(csel >> 4) % 6];
    unsigned mods = fuzz_take(in, 1) % (MAX_MODS + 1);
    uint64_t kib = kibs[fuzz_take(in, 1) % ARRAY_SIZE(kibs)];

    OK(fdt_begin_node(fdt, names[fuzz_take(in, 1) % 4]));
    if (!(flags & 1)) {
        OK(fdt_property_string(fdt, "compatible", "xen,domain"));
    }
    if (!(flags & 2)) {
        cells(fdt, "#address-cells", csel % 6);
        cells(fdt, "#size-cells", (csel >> 4) % 6);
    } else {
        /* Absent: fdt_address_cells() says 2, fdt_size_cells() says 1. */
        ac = 2;
        sc = 1;
    }
    if (!(flags & 4)) {
        num_prop(fdt, "memory", kib, (flags & 8) ? 4 : 8);
    }
    if (!(flags & 16)) {
        num_prop(fdt, "cpus", fuzz_take(in, 1) % 10, (flags & 32) ? 8 : 4);
    }
    if (flags & 64) {
        str_prop(in, fdt, "bulkhead,name", names, ARRAY_SIZE(names));
    }
    if (flags & 128) {
        str_prop(in, fdt, "bulkhead,role", roles, ARRAY_SIZE(roles));
    }
    if (flags & 256) {
        str_prop(in, fdt, "bulkhead,start-after", names, ARRAY_SIZE(names));
    }
    for (unsigned i = 0; i < mods; i++) {
        module_node(in, fdt, i, ac, sc);
    }
    OK(fdt_end_node(fdt));
}

static void build_tree(struct fuzz_in *in)
{
    void *fdt = dtb;
    unsigned nodes = 1 + fuzz_take(in, 1) % MAX_NODES;

    OK(fdt_create(fdt, DTB_SIZE));
    OK(fdt_finish_reservemap(fdt));
    OK(fdt_begin_node(fdt, ""));
    OK(fdt_begin_node(fdt, "chosen"));
    for (unsigned i = 0; i < nodes; i++) {
        domain_node(in, fdt);
    }
    OK(fdt_end_node(fdt));
    OK(fdt_end_node(fdt));
    OK(fdt_finish(fdt));
    board.fdt = fdt;
}

/* Destroy every domain; each end may build one that waited for it. */
static void destroy_all(void)
{
    for (unsigned round = 0; round < MAX_ROUNDS && domain_count(); round++) {
        for (domid_t id = 1; id < MAX_DOMAINS; id++) {
            struct domain *d = domain_get(id);

            if (d) {
                domain_put(d);
                domain_destroy(d);
            }
        }
    }
    dom0less_abandon_pending();
}

static void blob_setup(void)
{
    void *p;

    if (blob) {
        return;
    }
    p = mmap((void *)(uintptr_t)BLOB_BASE, BLOB_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)(uintptr_t)BLOB_BASE) {
        fuzz_fail("cannot map the module buffer below 4 GiB");
    }
    blob = p;
    /* An arm64 Image header (text_offset 0x80000) at the start, recognisable bytes after. */
    memset(blob, 0x4b, BLOB_SIZE);
    memset(blob + 8, 0, 8);
    blob[8 + 2] = 0x08;
    memcpy(blob + 0x38, "ARM\x64", 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint64_t free0;

    fuzz_host_setup();
    blob_setup();
    free0 = page_alloc_free_pages();
    build_tree(&in);
    dom0less_create_domains();
    destroy_all();
    fuzz_check_no_leak(free0);
    fake_console_reset();
    return 0;
}

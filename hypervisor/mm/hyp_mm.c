/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's own address space: everything is mapped one to one (VA == PA).
 * Text is RX, rodata R, data and BSS RW, the rest of RAM RW (for the page allocator's
 * direct use), device registers RW + device memory. Nothing is writable and executable.
 */
#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/mm.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/printk.h>

/* Linker-script symbols (arch/<arch>/hyp.lds). */
extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

static struct pt hyp_pt;

struct mem_range mm_image_range(void)
{
    return (struct mem_range){va_pa(__image_start), (uint64_t)(__image_end - __image_start)};
}

paddr_t mm_hyp_root(void)
{
    return hyp_pt.root;
}

/* Collects the first error of a range_subtract() callback. */
struct range_ctx {
    struct pt *pt;
    unsigned attr;
    int rc;
};

static void add_free(void *ctx, struct mem_range r)
{
    struct range_ctx *c = ctx;
    int rc = page_alloc_add_range(r.base, r.size);

    /* A sliver too small to hold its own state is simply not used; past the range
     * table's size, memory is left out with a warning rather than stopping the boot. */
    if (rc == -ENOSPC) {
        printk("mm: too many memory ranges, leaving out 0x%llx-0x%llx\n",
               (unsigned long long)pa_addr(r.base),
               (unsigned long long)(pa_addr(r.base) + r.size - 1));
    } else if (rc && rc != -EINVAL && c->rc == 0) {
        c->rc = rc;
    }
}

int mm_init_allocator(const struct board_info *bi)
{
    struct mem_range ex[BOARD_MAX_RESV + 1];
    struct range_ctx c = {0};
    unsigned n = 0;

    ex[n++] = mm_image_range();
    for (unsigned i = 0; i < bi->nr_resv; i++) {
        ex[n++] = (struct mem_range){bi->resv[i].base, bi->resv[i].size};
    }
    for (unsigned i = 0; i < bi->nr_mem; i++) {
        range_subtract(bi->mem[i], ex, n, add_free, &c);
    }
    if (c.rc == 0 && page_alloc_free_pages() == 0) {
        c.rc = -ENOMEM;
    }
    return c.rc;
}

static void map_piece(void *ctx, struct mem_range r)
{
    struct range_ctx *c = ctx;

    if (c->rc == 0) {
        c->rc = pt_map(c->pt, pa_addr(r.base), r.base, r.size, c->attr);
    }
}

static int map_device(struct mem_range r)
{
    uint64_t start = ALIGN_DOWN(pa_addr(r.base), PAGE_SIZE);
    uint64_t end = ALIGN_UP(pa_addr(r.base) + r.size, PAGE_SIZE);
    int rc = pt_map(&hyp_pt, start, pa_init(start), end - start, PT_RW | PT_DEVICE);

    /* Two devices may share a page (e.g. small UARTs): already mapped is fine. */
    return rc == -EEXIST ? 0 : rc;
}

static int map_image(void)
{
    uint64_t text = (uintptr_t)__image_start, text_end = (uintptr_t)__text_end;
    uint64_t ro_end = (uintptr_t)__rodata_end, end = (uintptr_t)__image_end;
    int rc;

    rc = pt_map(&hyp_pt, text, pa_init(text), text_end - text, PT_RX);
    if (!rc && ro_end > text_end) {
        rc = pt_map(&hyp_pt, text_end, pa_init(text_end), ro_end - text_end, PT_R);
    }
    if (!rc) {
        rc = pt_map(&hyp_pt, ro_end, pa_init(ro_end), end - ro_end, PT_RW);
    }
    return rc;
}

static int check_wx_leaf(void *ctx, uint64_t va, paddr_t pa, uint64_t size, unsigned attr)
{
    (void)ctx;
    (void)pa;
    if ((attr & PT_W) && (attr & PT_X)) {
        panic("mm: 0x%llx+0x%llx is writable and executable", (unsigned long long)va,
              (unsigned long long)size);
    }
    return 0;
}

void mm_check_wx(const struct pt *pt)
{
    pt_walk_leaves(pt, check_wx_leaf, NULL);
}

int mm_build_hyp_tables(const struct board_info *bi)
{
    struct mem_range ex[BOARD_MAX_RESV + 1];
    struct range_ctx c = {.pt = &hyp_pt, .attr = PT_RW};
    unsigned n = 0;
    int rc;

    rc = pt_init(&hyp_pt, &arch_hyp_pt_format);
    if (!rc) {
        rc = map_image();
    }
    if (rc) {
        return rc;
    }
    ex[n++] = mm_image_range();
    for (unsigned i = 0; i < bi->nr_resv; i++) {
        if (bi->resv[i].no_map) {
            ex[n++] = (struct mem_range){bi->resv[i].base, bi->resv[i].size};
        }
    }
    for (unsigned i = 0; i < bi->nr_mem && c.rc == 0; i++) {
        range_subtract(bi->mem[i], ex, n, map_piece, &c);
    }
    rc = c.rc ? c.rc
              : map_device(
                    (struct mem_range){bi->uart.base, bi->uart.size ? bi->uart.size : PAGE_SIZE});
    for (unsigned i = 0; i < bi->irqc.nr_reg && !rc; i++) {
        rc = map_device(bi->irqc.reg[i]);
    }
    if (!rc) {
        mm_check_wx(&hyp_pt);
    }
    return rc;
}

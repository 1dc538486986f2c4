/* SPDX-License-Identifier: MIT */
/* The generic page-table walker. See include/bulkhead/pgtable.h. */
#include <bulkhead/errno.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/pgtable.h>
#include <bulkhead/printk.h>

/* What a recursive pass is for. */
enum pt_pass {
    PASS_MAP_PREPARE,   /* check conflicts, allocate tables */
    PASS_MAP_COMMIT,    /* write leaves; cannot fail */
    PASS_UNMAP_PREPARE, /* split blocks straddling the range edges */
    PASS_UNMAP_COMMIT,  /* clear entries; cannot fail */
};

/* One pass over [va, end) at some level. */
struct pt_op {
    struct pt *pt;
    enum pt_pass pass;
    uint64_t va;  /* start of the whole range */
    uint64_t pa;  /* output address matching va (map) */
    uint64_t end; /* exclusive */
    unsigned attr;
};

static unsigned level_shift(const struct pt_format *f, unsigned level)
{
    return f->page_shift + f->level_bits * (f->levels - 1 - level);
}

static unsigned level_entries(const struct pt_format *f, unsigned level)
{
    return 1u << (f->level_bits + (level == 0 ? f->root_extra_bits : 0));
}

static unsigned root_order(const struct pt_format *f)
{
    return f->root_extra_bits;
}

unsigned pt_va_bits(const struct pt_format *f)
{
    return level_shift(f, 0) + f->level_bits + f->root_extra_bits;
}

static uint64_t *table_va(paddr_t table)
{
    return pa_va(table);
}

static bool leaf_allowed(const struct pt_format *f, unsigned level)
{
    return f->leaf_levels & (1u << level);
}

static int table_alloc(struct pt *pt, unsigned order, paddr_t *out)
{
    int rc = page_alloc_zeroed(order, out);

    if (rc == 0) {
        pt->tables += 1ull << order;
    }
    return rc;
}

static void table_free(struct pt *pt, paddr_t table, unsigned order)
{
    page_free(table, order);
    pt->tables -= 1ull << order;
}

int pt_init(struct pt *pt, const struct pt_format *fmt)
{
    pt->fmt = fmt;
    pt->tables = 0;
    return table_alloc(pt, root_order(fmt), &pt->root);
}

/* Free the tables below @table (not @table itself). */
static void free_subtables(struct pt *pt, paddr_t table, unsigned level)
{
    const struct pt_format *f = pt->fmt;
    uint64_t *t = table_va(table);

    for (unsigned i = 0; i < level_entries(f, level); i++) {
        if (level + 1 < f->levels && f->pte_kind(t[i], level) == PTE_TABLE) {
            paddr_t sub = f->pte_addr(t[i]);

            free_subtables(pt, sub, level + 1);
            table_free(pt, sub, 0);
        }
    }
}

/* Replace the block in *pte (at @level) by a table of equivalent smaller leaves. */
static int split_block(struct pt *pt, uint64_t *pte, unsigned level)
{
    const struct pt_format *f = pt->fmt;
    paddr_t base = f->pte_addr(*pte);
    unsigned attr = f->pte_attr(*pte);
    uint64_t step = 1ull << level_shift(f, level + 1);
    paddr_t table;
    uint64_t *t;
    int rc;

    rc = table_alloc(pt, 0, &table);
    if (rc) {
        return rc;
    }
    t = table_va(table);
    for (unsigned i = 0; i < level_entries(f, level + 1); i++) {
        t[i] = f->pte_leaf(pa_add(base, i * step), level + 1, attr);
    }
    *pte = f->pte_table(table);
    return 0;
}

static int walk(struct pt_op *op, paddr_t table, unsigned level, uint64_t va, uint64_t end);

/* Handle one entry covering [va, next) of the range. */
static int walk_entry(struct pt_op *op, uint64_t *pte, unsigned level, uint64_t va, uint64_t next)
{
    const struct pt_format *f = op->pt->fmt;
    uint64_t bsize = 1ull << level_shift(f, level);
    bool whole = IS_ALIGNED(va, bsize) && next - va == bsize;
    enum pte_kind kind = f->pte_kind(*pte, level);
    uint64_t pa = op->pa + (va - op->va);
    paddr_t sub;
    int rc;

    switch (op->pass) {
    case PASS_MAP_PREPARE:
    case PASS_MAP_COMMIT:
        if (kind == PTE_LEAF) {
            return -EEXIST;
        }
        if (kind == PTE_INVALID && whole && leaf_allowed(f, level) && IS_ALIGNED(pa, bsize)) {
            if (op->pass == PASS_MAP_COMMIT) {
                *pte = f->pte_leaf(pa_init(pa), level, op->attr);
            }
            return 0;
        }
        if (kind == PTE_INVALID) {
            /* Only the prepare pass allocates; commit finds the table in place. */
            BUG_ON(op->pass == PASS_MAP_COMMIT);
            rc = table_alloc(op->pt, 0, &sub);
            if (rc) {
                return rc;
            }
            *pte = f->pte_table(sub);
        }
        return walk(op, f->pte_addr(*pte), level + 1, va, next);
    case PASS_UNMAP_PREPARE:
        if (kind == PTE_LEAF && !whole) {
            rc = split_block(op->pt, pte, level);
            if (rc) {
                return rc;
            }
            kind = PTE_TABLE;
        }
        return kind == PTE_TABLE && !whole ? walk(op, f->pte_addr(*pte), level + 1, va, next) : 0;
    case PASS_UNMAP_COMMIT:
        if (kind == PTE_TABLE && !whole) {
            return walk(op, f->pte_addr(*pte), level + 1, va, next);
        }
        if (kind == PTE_TABLE) {
            sub = f->pte_addr(*pte);
            free_subtables(op->pt, sub, level + 1);
            table_free(op->pt, sub, 0);
        }
        BUG_ON(kind == PTE_LEAF && !whole);
        *pte = 0;
        return 0;
    }
    return -EINVAL;
}

static int walk(struct pt_op *op, paddr_t table, unsigned level, uint64_t va, uint64_t end)
{
    const struct pt_format *f = op->pt->fmt;
    unsigned shift = level_shift(f, level);
    uint64_t *t = table_va(table);

    while (va < end) {
        uint64_t idx = (va >> shift) & (level_entries(f, level) - 1);
        uint64_t next = MIN(ALIGN_DOWN(va, 1ull << shift) + (1ull << shift), end);
        int rc = walk_entry(op, &t[idx], level, va, next);

        if (rc) {
            return rc;
        }
        va = next;
    }
    return 0;
}

static int check_range(const struct pt *pt, uint64_t va, uint64_t size)
{
    unsigned bits = pt_va_bits(pt->fmt);

    if (size == 0 || !IS_ALIGNED(va | size, 1ull << pt->fmt->page_shift)) {
        return -EINVAL;
    }
    if (va + size < va || (bits < 64 && va + size > (1ull << bits))) {
        return -ERANGE;
    }
    return 0;
}

static int run(struct pt *pt, enum pt_pass pass, uint64_t va, uint64_t pa, uint64_t size,
               unsigned attr)
{
    struct pt_op op = {.pt = pt, .pass = pass, .va = va, .pa = pa, .end = va + size, .attr = attr};

    return walk(&op, pt->root, 0, va, va + size);
}

int pt_map(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size, unsigned attr)
{
    int rc = check_range(pt, va, size);

    if (rc == 0 && !IS_ALIGNED(pa_addr(pa), 1ull << pt->fmt->page_shift)) {
        rc = -EINVAL;
    }
    if (rc == 0) {
        rc = run(pt, PASS_MAP_PREPARE, va, pa_addr(pa), size, attr);
    }
    if (rc == 0) {
        rc = run(pt, PASS_MAP_COMMIT, va, pa_addr(pa), size, attr);
        BUG_ON(rc != 0);
    }
    return rc;
}

int pt_unmap(struct pt *pt, uint64_t va, uint64_t size)
{
    int rc = check_range(pt, va, size);

    if (rc == 0) {
        rc = run(pt, PASS_UNMAP_PREPARE, va, 0, size, 0);
    }
    if (rc == 0) {
        rc = run(pt, PASS_UNMAP_COMMIT, va, 0, size, 0);
        BUG_ON(rc != 0);
    }
    return rc;
}

int pt_lookup(const struct pt *pt, uint64_t va, paddr_t *pa, unsigned *attr)
{
    const struct pt_format *f = pt->fmt;
    paddr_t table = pt->root;

    if (check_range(pt, ALIGN_DOWN(va, 1ull << f->page_shift), 1ull << f->page_shift)) {
        return -ENOENT;
    }
    for (unsigned level = 0; level < f->levels; level++) {
        unsigned shift = level_shift(f, level);
        uint64_t pte = table_va(table)[(va >> shift) & (level_entries(f, level) - 1)];

        switch (f->pte_kind(pte, level)) {
        case PTE_LEAF:
            *pa = pa_add(f->pte_addr(pte), va & ((1ull << shift) - 1));
            if (attr) {
                *attr = f->pte_attr(pte);
            }
            return 0;
        case PTE_TABLE:
            table = f->pte_addr(pte);
            break;
        case PTE_INVALID:
            return -ENOENT;
        }
    }
    return -ENOENT;
}

struct leaf_walk {
    const struct pt *pt;
    int (*fn)(void *ctx, uint64_t va, paddr_t pa, uint64_t size, unsigned attr);
    void *ctx;
};

static int leaves(struct leaf_walk *w, paddr_t table, unsigned level, uint64_t base)
{
    const struct pt_format *f = w->pt->fmt;
    unsigned shift = level_shift(f, level);
    uint64_t *t = table_va(table);
    int rc = 0;

    for (unsigned i = 0; i < level_entries(f, level) && rc == 0; i++) {
        uint64_t va = base + ((uint64_t)i << shift);

        switch (f->pte_kind(t[i], level)) {
        case PTE_LEAF:
            rc = w->fn(w->ctx, va, f->pte_addr(t[i]), 1ull << shift, f->pte_attr(t[i]));
            break;
        case PTE_TABLE:
            rc = leaves(w, f->pte_addr(t[i]), level + 1, va);
            break;
        case PTE_INVALID:
            break;
        }
    }
    return rc;
}

int pt_walk_leaves(const struct pt *pt,
                   int (*fn)(void *ctx, uint64_t va, paddr_t pa, uint64_t size, unsigned attr),
                   void *ctx)
{
    struct leaf_walk w = {.pt = pt, .fn = fn, .ctx = ctx};

    return leaves(&w, pt->root, 0, 0);
}

void pt_destroy(struct pt *pt)
{
    free_subtables(pt, pt->root, 0);
    table_free(pt, pt->root, root_order(pt->fmt));
    pt->root = pa_init(0);
}

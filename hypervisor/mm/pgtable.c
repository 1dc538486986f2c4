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
    unsigned flags; /* PT_REPLACE */
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
    int rc =
        pt->ops && pt->ops->alloc ? pt->ops->alloc(pt, order, out) : page_alloc_zeroed(order, out);

    if (rc == 0) {
        pt->tables += 1ull << order;
    }
    return rc;
}

static void table_free(struct pt *pt, paddr_t table, unsigned order)
{
    if (pt->ops && pt->ops->free) {
        pt->ops->free(pt, table, order);
    } else {
        page_free(table, order);
    }
    pt->tables -= 1ull << order;
}

static void inval(struct pt *pt, uint64_t va, uint64_t size)
{
    if (pt->ops && pt->ops->inval) {
        pt->ops->inval(pt, va, size);
    }
}

/* Entries may be read by other CPUs' table walkers at any time: one store each. */
static void set_pte(uint64_t *pte, uint64_t val)
{
    __atomic_store_n(pte, val, __ATOMIC_RELEASE);
}

/* Break-before-make: a valid entry covering [va, va+size) becomes @val. */
static void replace_pte(struct pt *pt, uint64_t *pte, uint64_t va, uint64_t size, uint64_t val)
{
    set_pte(pte, 0);
    inval(pt, va, size);
    set_pte(pte, val);
}

int pt_init_ops(struct pt *pt, const struct pt_format *fmt, const struct pt_ops *ops)
{
    pt->fmt = fmt;
    pt->ops = ops;
    pt->tables = 0;
    pt->flush_lo = UINT64_MAX;
    pt->flush_hi = 0;
    return table_alloc(pt, root_order(fmt), &pt->root);
}

int pt_init(struct pt *pt, const struct pt_format *fmt)
{
    return pt_init_ops(pt, fmt, NULL);
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

/* Replace the block in *pte (at @level, mapping from @va) by a table of equivalent
 * smaller leaves, break-before-make. */
static int split_block(struct pt *pt, uint64_t *pte, unsigned level, uint64_t va)
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
    replace_pte(pt, pte, ALIGN_DOWN(va, 1ull << level_shift(f, level)),
                1ull << level_shift(f, level), f->pte_table(table));
    return 0;
}

static int walk(struct pt_op *op, paddr_t table, unsigned level, uint64_t va, uint64_t end);

/* Map passes on one entry covering [va, next) of the range. */
static int map_entry(struct pt_op *op, uint64_t *pte, unsigned level, uint64_t va, uint64_t next)
{
    const struct pt_format *f = op->pt->fmt;
    uint64_t bsize = 1ull << level_shift(f, level);
    uint64_t pa = op->pa + (va - op->va);
    bool fits = IS_ALIGNED(va, bsize) && next - va == bsize && leaf_allowed(f, level) &&
                IS_ALIGNED(pa, bsize);
    enum pte_kind kind = f->pte_kind(*pte, level);
    bool commit = op->pass == PASS_MAP_COMMIT;
    paddr_t sub;
    int rc;

    if (kind == PTE_LEAF && !(op->flags & PT_REPLACE)) {
        return -EEXIST;
    }
    if (kind != PTE_TABLE && fits) {
        if (commit && kind == PTE_LEAF) {
            replace_pte(op->pt, pte, va, bsize, f->pte_leaf(pa_init(pa), level, op->attr));
        } else if (commit) {
            set_pte(pte, f->pte_leaf(pa_init(pa), level, op->attr));
        }
        return 0;
    }
    if (kind == PTE_LEAF) {
        /* Replacing part of a block: split it first (equivalent leaves, prepare only). */
        BUG_ON(commit);
        rc = split_block(op->pt, pte, level, va);
        if (rc) {
            return rc;
        }
    } else if (kind == PTE_INVALID) {
        /* Only the prepare pass allocates; commit finds the table in place. */
        BUG_ON(commit);
        rc = table_alloc(op->pt, 0, &sub);
        if (rc) {
            return rc;
        }
        set_pte(pte, f->pte_table(sub));
    }
    return walk(op, f->pte_addr(*pte), level + 1, va, next);
}

/* Unmap passes on one entry covering [va, next) of the range. */
static int unmap_entry(struct pt_op *op, uint64_t *pte, unsigned level, uint64_t va, uint64_t next)
{
    const struct pt_format *f = op->pt->fmt;
    uint64_t bsize = 1ull << level_shift(f, level);
    bool whole = IS_ALIGNED(va, bsize) && next - va == bsize;
    enum pte_kind kind = f->pte_kind(*pte, level);
    paddr_t sub;
    int rc;

    if (op->pass == PASS_UNMAP_PREPARE) {
        if (kind == PTE_LEAF && !whole) {
            rc = split_block(op->pt, pte, level, va);
            if (rc) {
                return rc;
            }
            kind = PTE_TABLE;
        }
        return kind == PTE_TABLE && !whole ? walk(op, f->pte_addr(*pte), level + 1, va, next) : 0;
    }
    if (kind == PTE_TABLE && !whole) {
        return walk(op, f->pte_addr(*pte), level + 1, va, next);
    }
    BUG_ON(kind == PTE_LEAF && !whole);
    if (kind == PTE_TABLE) {
        /* No walker may still hold the table when its pages go back. */
        sub = f->pte_addr(*pte);
        set_pte(pte, 0);
        inval(op->pt, va, bsize);
        free_subtables(op->pt, sub, level + 1);
        table_free(op->pt, sub, 0);
    } else if (kind == PTE_LEAF) {
        set_pte(pte, 0);
        op->pt->flush_lo = MIN(op->pt->flush_lo, va);
        op->pt->flush_hi = MAX(op->pt->flush_hi, next);
    }
    return 0;
}

static int walk_entry(struct pt_op *op, uint64_t *pte, unsigned level, uint64_t va, uint64_t next)
{
    if (op->pass == PASS_MAP_PREPARE || op->pass == PASS_MAP_COMMIT) {
        return map_entry(op, pte, level, va, next);
    }
    return unmap_entry(op, pte, level, va, next);
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
               unsigned attr, unsigned flags)
{
    struct pt_op op = {
        .pt = pt, .pass = pass, .va = va, .pa = pa, .end = va + size, .attr = attr, .flags = flags};

    return walk(&op, pt->root, 0, va, va + size);
}

int pt_map_prepare(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size, unsigned attr,
                   unsigned flags)
{
    int rc = check_range(pt, va, size);

    if (rc == 0 && !IS_ALIGNED(pa_addr(pa), 1ull << pt->fmt->page_shift)) {
        rc = -EINVAL;
    }
    return rc ? rc : run(pt, PASS_MAP_PREPARE, va, pa_addr(pa), size, attr, flags);
}

void pt_map_commit(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size, unsigned attr,
                   unsigned flags)
{
    BUG_ON(run(pt, PASS_MAP_COMMIT, va, pa_addr(pa), size, attr, flags) != 0);
}

int pt_map(struct pt *pt, uint64_t va, paddr_t pa, uint64_t size, unsigned attr)
{
    int rc = pt_map_prepare(pt, va, pa, size, attr, 0);

    if (rc == 0) {
        pt_map_commit(pt, va, pa, size, attr, 0);
    }
    return rc;
}

int pt_unmap_prepare(struct pt *pt, uint64_t va, uint64_t size)
{
    int rc = check_range(pt, va, size);

    return rc ? rc : run(pt, PASS_UNMAP_PREPARE, va, 0, size, 0, 0);
}

void pt_unmap_commit(struct pt *pt, uint64_t va, uint64_t size)
{
    BUG_ON(run(pt, PASS_UNMAP_COMMIT, va, 0, size, 0, 0) != 0);
}

void pt_flush(struct pt *pt)
{
    if (pt->flush_lo < pt->flush_hi) {
        inval(pt, pt->flush_lo, pt->flush_hi - pt->flush_lo);
    }
    pt->flush_lo = UINT64_MAX;
    pt->flush_hi = 0;
}

int pt_unmap(struct pt *pt, uint64_t va, uint64_t size)
{
    int rc = pt_unmap_prepare(pt, va, size);

    if (rc == 0) {
        pt_unmap_commit(pt, va, size);
        pt_flush(pt);
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

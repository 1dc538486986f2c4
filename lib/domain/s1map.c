/* SPDX-License-Identifier: MIT */
/*
 * Stage-1 tables for the test guests (dom_arch_mmu_on): guest RAM one to one in 2 MiB
 * blocks, plus one alias of up to 2 MiB in 4 KiB pages at a VA outside RAM. Both arches
 * use three levels of 512 entries (1 GiB, 2 MiB, 4 KiB); their descriptors differ, and
 * the arch passes its encoders.
 */
#include <xen/errno.h>

#include <dom/arch.h>

#define GIB_SHIFT 30
#define MIB2      (2ull << 20)

int dom_s1_build(struct dom_s1_tables *t, const struct dom_mmu_layout *l,
                 const struct dom_s1_format *f)
{
    uint64_t gb0 = l->ram_base >> GIB_SHIFT;
    uint64_t gb_alias = l->alias_va >> GIB_SHIFT;
    uint64_t ram_end = l->ram_base + l->ram_size;
    uint64_t gb_last = (ram_end - 1) >> GIB_SHIFT;

    if ((l->ram_base | l->alias_va | l->alias_pa | l->alias_size) & 0xfff ||
        gb_last - gb0 >= DOM_S1_RAM_TABLES || l->alias_size > MIB2 || (l->alias_va & (MIB2 - 1)) ||
        gb_alias >= f->root_entries || (gb_alias >= gb0 && gb_alias <= gb_last)) {
        return -XEN_EINVAL;
    }
    /* Volatile stores: the tables are read by the walker, not by this code. */
    for (uint64_t i = 0; i < sizeof(*t) / 8; i++) {
        ((volatile uint64_t *)t)[i] = 0;
    }
    for (uint64_t a = l->ram_base & ~(MIB2 - 1); a < ram_end; a += MIB2) {
        uint64_t n = (a >> GIB_SHIFT) - gb0;

        t->root[a >> GIB_SHIFT] = f->table(t->ram[n]);
        t->ram[n][(a >> 21) & 511] = f->block(a);
    }
    t->root[gb_alias] = f->table(t->alias_mid);
    t->alias_mid[(l->alias_va >> 21) & 511] = f->table(t->alias_leaf);
    for (uint64_t off = 0; off < l->alias_size; off += 4096) {
        t->alias_leaf[((l->alias_va + off) >> 12) & 511] = f->page(l->alias_pa + off);
    }
    return 0;
}

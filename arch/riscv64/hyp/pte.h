/* SPDX-License-Identifier: MIT */
/*
 * The Sv39 PTE (privileged spec 4.3.1, 4.4), shared by the hypervisor's own tables
 * (mmu.c, Sv39) and the G-stage tables (stage2.c, Sv39x4: same PTEs, two more root
 * index bits). The two formats differ only in the bits a leaf carries: G for the
 * hypervisor's mappings, U for G-stage ones (every G-stage access counts as U-mode,
 * H extension 8.5.1).
 */
#ifndef BULKHEAD_ARCH_RISCV64_PTE_H
#define BULKHEAD_ARCH_RISCV64_PTE_H

#include <stdint.h>

#include <bulkhead/pgtable.h>

#define PTE_V   (1ull << 0)
#define PTE_R   (1ull << 1)
#define PTE_W   (1ull << 2)
#define PTE_X   (1ull << 3)
#define PTE_U   (1ull << 4)
#define PTE_G   (1ull << 5) /* global: present in every address space */
#define PTE_A   (1ull << 6)
#define PTE_D   (1ull << 7)
#define PTE_RWX (PTE_R | PTE_W | PTE_X)
/*
 * RSW bit 8 is ignored by hardware (4.3.1): we keep PT_DEVICE there so it survives a
 * block split. On QEMU virt, device regions are uncached and strongly ordered by their
 * PMAs alone; on hardware with Svpbmt the leaf would also carry PBMT = IO (bits 62:61 =
 * 2) for it.
 */
#define PTE_SW_DEVICE (1ull << 8)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK  (((1ull << 44) - 1) << PTE_PPN_SHIFT)

#define SV39_LEVELS 3

/* The format encoders both tables share (pte.c); only the leaf encoder differs. */
uint64_t sv39_pte_table(paddr_t table);
enum pte_kind sv39_pte_kind(uint64_t pte, unsigned level);
paddr_t sv39_pte_addr(uint64_t pte);
unsigned sv39_pte_attr(uint64_t pte);

/* A leaf with @extra (G or U). A and D are preset: hardware that does not manage them
 * would fault on first use (4.3.1, "Svade"). */
uint64_t sv39_pte_leaf_bits(paddr_t pa, unsigned attr, uint64_t extra);

#endif

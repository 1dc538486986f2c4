/* SPDX-License-Identifier: MIT */
/* What the hypervisor learns about the board from the host device tree. */
#ifndef BULKHEAD_BOARD_H
#define BULKHEAD_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "console.h"
#include "percpu.h"
#include "types.h"

#define BOARD_MAX_MEM       8
#define BOARD_MAX_RESV      64
#define BOARD_MAX_IRQC_REGS 4

/* A range of physical addresses. */
struct mem_range {
    paddr_t base;
    uint64_t size;
};

/* A range the page allocator must not hand out. */
struct resv_range {
    paddr_t base;
    uint64_t size;
    bool no_map;     /* firmware-owned: not even mapped by the hypervisor */
    const char *why; /* for the boot log ("dtb", "memreserve", node name) */
};

/* The interrupt controller node, for arch_irqc_init(). */
struct irqc_desc {
    const char *compat; /* the matching compatible string */
    int node;           /* its offset in the DT, for arch-specific properties */
    struct mem_range reg[BOARD_MAX_IRQC_REGS];
    unsigned nr_reg;
};

struct board_info {
    const void *fdt; /* the host device tree */
    uint32_t fdt_size;
    const char *model; /* root "model", or "" */
    const char *bootargs;

    struct mem_range mem[BOARD_MAX_MEM];
    unsigned nr_mem;
    struct resv_range resv[BOARD_MAX_RESV];
    unsigned nr_resv;

    uint64_t cpu_hwid[MAX_CPUS]; /* DT order */
    unsigned nr_cpus;            /* usable (at most MAX_CPUS) */
    unsigned nr_cpus_dt;         /* present in the DT */

    struct uart_desc uart;
    struct irqc_desc irqc;

    struct {
        uint64_t freq; /* counter ticks per second */
        unsigned irq;  /* hypervisor timer interrupt (GIC INTID), 0 if not a wired irq */
    } timer;

    const char *firmware; /* "psci-smc", "sbi v1.0", ... */
};

/* Parse @fdt into @bi. Returns 0 or -errno after printing what is wrong. */
int __must_check board_parse(const void *fdt, struct board_info *bi);

/* Print what board_parse() found. */
void board_print(const struct board_info *bi);

/* Add a reserved range (image, dtb, modules). -ENOSPC when the table is full. */
int __must_check board_reserve(struct board_info *bi, paddr_t base, uint64_t size, bool no_map,
                               const char *why);

/* Read the @index-th (address, size) pair of @node's "reg", using the parent's cells. */
int __must_check dt_read_reg(const void *fdt, int node, int index, struct mem_range *out);

/* True if @node's "compatible" list contains a string from the NULL-terminated @list;
 * *@match gets that string. */
bool dt_node_matches(const void *fdt, int node, const char *const *list, const char **match);

/* Find the first enabled node matching @list; -ENOENT if none. */
int dt_find_compatible(const void *fdt, const char *const *list, const char **match);

/* Read a 32- or 64-bit big-endian cell property; -ENOENT if absent or malformed. */
int __must_check dt_read_u64(const void *fdt, int node, const char *prop, uint64_t *out);

#endif

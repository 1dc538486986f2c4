/* SPDX-License-Identifier: MIT */
/*
 * The PLIC (RISC-V Platform-Level Interrupt Controller Specification v1.0.0) for the
 * hypervisor itself. Each hart has one context per privilege mode it takes external
 * interrupts in; the DT's "interrupts-extended" lists them in context order as
 * <phandle-of-hart's-riscv,cpu-intc irq>, irq 9 for S-mode and 11 for M-mode. We use
 * each hart's S-mode context; no source is enabled until a driver asks.
 */
#include <libfdt.h>

#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/board.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>

#include "irq_route.h"
#include "riscv.h"

/* Register map (PLIC spec chapter 3, "Memory Map"). */
#define PLIC_PRIORITY(src)     (0x000000 + 4 * (src))
#define PLIC_ENABLE(ctx, word) (0x002000 + 0x80 * (ctx) + 4 * (word))
#define PLIC_THRESHOLD(ctx)    (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)        (0x200004 + 0x1000 * (ctx))
#define PLIC_MAX_SOURCES       1023
#define PLIC_MAX_CONTEXTS      15872

#define PLIC_MAX_SCTX 32 /* S-mode contexts we remember: one per hart */
#define PLIC_DEV_IRQS 4  /* host device interrupts (the console UART's) */

static const char *const plic_compat[] = {"riscv,plic0", "sifive,plic-1.0.0", NULL};

/* What the DT told us. */
static struct {
    uintptr_t base;
    unsigned nr_sources;  /* riscv,ndev: sources 1..ndev */
    unsigned nr_contexts; /* entries in interrupts-extended */
    unsigned nr_sctx;
    struct {
        uint64_t hartid;
        uint32_t ctx;
    } sctx[PLIC_MAX_SCTX];
} plic;

static struct {
    uint32_t src;
    void (*fn)(void);
} dev_irqs[PLIC_DEV_IRQS];

static inline void wr32(uintptr_t off, uint32_t v)
{
    *(volatile uint32_t *)(plic.base + off) = v;
}

static inline uint32_t rd32(uintptr_t off)
{
    return *(volatile uint32_t *)(plic.base + off);
}

/* The hart id of a riscv,cpu-intc node: the "reg" of its parent cpu node. */
static int intc_hartid(const void *fdt, uint32_t phandle, uint64_t *hartid)
{
    int intc = fdt_node_offset_by_phandle(fdt, phandle);
    int cpu = intc >= 0 ? fdt_parent_offset(fdt, intc) : intc;
    struct mem_range reg;

    if (cpu < 0 || fdt_node_check_compatible(fdt, intc, "riscv,cpu-intc") != 0 ||
        dt_read_reg(fdt, cpu, 0, &reg) != 0) {
        return -ENOENT;
    }
    *hartid = pa_addr(reg.base);
    return 0;
}

static int add_sctx(const void *fdt, uint32_t phandle, uint32_t ctx)
{
    uint64_t hartid;

    if (intc_hartid(fdt, phandle, &hartid) != 0) {
        printk("dt: PLIC context %u names no riscv,cpu-intc of a cpu node\n", ctx);
        return -EINVAL;
    }
    if (plic.nr_sctx == PLIC_MAX_SCTX) {
        return 0; /* more harts than we bring up anyway */
    }
    plic.sctx[plic.nr_sctx].hartid = hartid;
    plic.sctx[plic.nr_sctx++].ctx = ctx;
    return 0;
}

/* Walk interrupts-extended: each entry is a phandle then that controller's
 * #interrupt-cells cells (1 for riscv,cpu-intc). */
static int parse_contexts(const void *fdt, int node)
{
    int len, n, i = 0;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts-extended", &len);

    if (!p || len <= 0) {
        printk("dt: PLIC has no interrupts-extended: cannot tell which hart is which\n");
        return -EINVAL;
    }
    n = len / 4;
    while (i + 1 < n) {
        uint32_t phandle = fdt32_to_cpu(p[i]);
        int intc = fdt_node_offset_by_phandle(fdt, phandle);
        uint64_t cells = 1;

        if (intc >= 0 && dt_read_u64(fdt, intc, "#interrupt-cells", &cells) != 0) {
            cells = 1;
        }
        if (cells < 1 || i + 1 + (int)cells > n) {
            break;
        }
        if (fdt32_to_cpu(p[i + 1]) == IRQ_S_EXT) {
            int rc = add_sctx(fdt, phandle, plic.nr_contexts);

            if (rc) {
                return rc;
            }
        }
        plic.nr_contexts++;
        i += 1 + (int)cells;
    }
    return 0;
}

int plic_dt_parse(const void *fdt, struct board_info *bi)
{
    int node = dt_find_compatible(fdt, plic_compat, &bi->irqc.compat);
    uint64_t ndev = 0;

    if (node < 0) {
        printk("dt: no interrupt controller: need a riscv,plic0 / sifive,plic-1.0.0 node\n");
        return -ENOENT;
    }
    bi->irqc.node = node;
    if (dt_read_reg(fdt, node, 0, &bi->irqc.reg[0]) != 0) {
        printk("dt: PLIC node has no reg\n");
        return -EINVAL;
    }
    bi->irqc.nr_reg = 1;
    if (dt_read_u64(fdt, node, "riscv,ndev", &ndev) != 0 || ndev == 0 || ndev > PLIC_MAX_SOURCES) {
        printk("dt: PLIC riscv,ndev missing or out of range\n");
        return -EINVAL;
    }
    plic.nr_sources = (unsigned)ndev;
    return parse_contexts(fdt, node);
}

void plic_dt_print(const struct board_info *bi)
{
    printk("dt: interrupt controller %s at 0x%llx (%llu KiB), %u sources, %u contexts "
           "(%u S-mode)\n",
           bi->irqc.compat, (unsigned long long)pa_addr(bi->irqc.reg[0].base),
           (unsigned long long)(bi->irqc.reg[0].size >> 10), plic.nr_sources, plic.nr_contexts,
           plic.nr_sctx);
}

int arch_irqc_init(const struct board_info *bi)
{
    if (bi->irqc.nr_reg < 1 || plic.nr_sctx == 0) {
        return -EINVAL;
    }
    plic.base = (uintptr_t)pa_addr(bi->irqc.reg[0].base);
    /* Priority 0 means "never interrupt" (spec 3.1); all enables off in every S-mode
     * context. M-mode contexts belong to the firmware. */
    for (unsigned src = 1; src <= plic.nr_sources; src++) {
        wr32(PLIC_PRIORITY(src), 0);
    }
    for (unsigned i = 0; i < plic.nr_sctx; i++) {
        for (unsigned w = 0; w <= plic.nr_sources / 32; w++) {
            wr32(PLIC_ENABLE(plic.sctx[i].ctx, w), 0);
        }
    }
    printk("irq: PLIC at 0x%llx, %u sources, %u contexts\n",
           (unsigned long long)pa_addr(bi->irqc.reg[0].base), plic.nr_sources, plic.nr_contexts);
    return 0;
}

int arch_irqc_cpu_init(struct pcpu *cpu)
{
    /* After the device tree showed the H extension (dt.c): safe to touch its CSRs. */
    hyp_ext_cpu_init();
    for (unsigned i = 0; i < plic.nr_sctx; i++) {
        if (plic.sctx[i].hartid == cpu->hwid) {
            cpu->arch.plic_ctx = plic.sctx[i].ctx;
            wr32(PLIC_THRESHOLD(cpu->arch.plic_ctx), 0);
            /* The timer is not a PLIC source: it is sip.STIP, enabled here too, as is
             * sip.SSIP, the kick from another hart (arch_send_kick). */
            csr_set(sie, SIE_SEIE | SIE_STIE | SIE_SSIE);
            return 0;
        }
    }
    printk("cpu%u: no S-mode PLIC context for hart 0x%llx\n", cpu->id,
           (unsigned long long)cpu->hwid);
    return -ENODEV;
}

unsigned plic_nr_sources(void)
{
    return plic.nr_sources;
}

bool plic_src_requested(uint32_t src)
{
    for (unsigned i = 0; i < PLIC_DEV_IRQS; i++) {
        if (__atomic_load_n(&dev_irqs[i].fn, __ATOMIC_ACQUIRE) && dev_irqs[i].src == src) {
            return true;
        }
    }
    return false;
}

void plic_src_enable(uint32_t src, uint32_t ctx, bool on)
{
    uint32_t en = rd32(PLIC_ENABLE(ctx, src / 32));

    /* Any priority above the threshold (0) interrupts; 0 never does (spec 3.1). */
    wr32(PLIC_PRIORITY(src), on ? 1 : 0);
    wr32(PLIC_ENABLE(ctx, src / 32), on ? en | 1u << (src % 32) : en & ~(1u << (src % 32)));
}

void plic_complete(uint32_t src, uint32_t ctx)
{
    wr32(PLIC_CLAIM(ctx), src); /* spec 3.6 */
}

int arch_irq_request(const uint32_t *cells, unsigned nr, void (*handler)(void))
{
    uint32_t src = nr == 1 ? cells[0] : 0;

    /* The PLIC binding: one cell, the source (1..ndev). */
    if (src == 0 || src > plic.nr_sources) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < PLIC_DEV_IRQS; i++) {
        if (dev_irqs[i].fn) {
            continue;
        }
        dev_irqs[i].src = src;
        __atomic_store_n(&dev_irqs[i].fn, handler, __ATOMIC_RELEASE);
        /* Only this hart's S-mode context has it enabled. */
        plic_src_enable(src, this_cpu()->arch.plic_ctx, true);
        return 0;
    }
    return -ENOSPC;
}

void plic_handle_irq(void)
{
    uint32_t ctx = this_cpu()->arch.plic_ctx;
    uint32_t src = rd32(PLIC_CLAIM(ctx));

    /* 0: another hart claimed it first, or nothing pending (spec 3.5). */
    if (src == 0) {
        return;
    }
    for (unsigned i = 0; i < PLIC_DEV_IRQS; i++) {
        void (*fn)(void) = __atomic_load_n(&dev_irqs[i].fn, __ATOMIC_ACQUIRE);

        if (fn && dev_irqs[i].src == src) {
            fn();
            plic_complete(src, ctx);
            return;
        }
    }
    if (irq_route_fire(src, ctx)) {
        return; /* completed when its guest completes it */
    }
    printk("irq: unexpected interrupt %u on cpu%u; masking it\n", src, this_cpu()->id);
    wr32(PLIC_PRIORITY(src), 0);
    plic_complete(src, ctx);
}

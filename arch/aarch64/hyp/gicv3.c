/* SPDX-License-Identifier: MIT */
/*
 * GICv3 for the hypervisor itself (Arm IHI 0069): the distributor, this CPU's
 * redistributor and the system-register CPU interface. All interrupts are Group 1
 * non-secure; QEMU's virt GIC has a single security state (GICD_CTLR.DS = 1).
 */
#include <arch/sysreg.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/board.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

#include "irq_route.h"
#include "vgic.h"

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IGROUPR    0x0080
#define GICD_ICENABLER  0x0180
#define GICD_ISENABLER  0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICD_CTLR_RWP   (1u << 31)
#define GICD_CTLR_ARE   (1u << 4)
#define GICD_CTLR_GRP1  (1u << 1)

#define GICR_WAKER         0x0014
#define GICR_TYPER         0x0008
#define GICR_WAKER_PSLEEP  (1u << 1)
#define GICR_WAKER_CASLEEP (1u << 2)
#define GICR_TYPER_VLPIS   (1ull << 1)
#define GICR_TYPER_LAST    (1ull << 4)
#define GICR_SGI_BASE      0x10000
#define GICR_IGROUPR0      (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0    (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0    (GICR_SGI_BASE + 0x0180)
#define GICR_IPRIORITYR    (GICR_SGI_BASE + 0x0400)

#define GIC_PRIO_DEFAULT   0xa0
#define GIC_SGI_KICK       0 /* "look at your run queue" between CPUs */
#define GIC_INTID_SPURIOUS 1020

#define GIC_DT_SPI   0   /* the GIC binding's first cell: SPI */
#define GIC_DT_EDGE  0x3 /* the third cell's trigger bits: 1/2 edge, 4/8 level */
#define GIC_DEV_IRQS 4   /* host device interrupts (the console UART's) */

static uintptr_t gicd;
static unsigned nr_lines;
static struct {
    uint32_t intid;
    void (*fn)(void);
} dev_irqs[GIC_DEV_IRQS];
static struct mem_range gicr_region;
static unsigned timer_irq;

static inline uint32_t rd32(uintptr_t a)
{
    return *(volatile uint32_t *)a;
}

static inline void wr32(uintptr_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}

static inline uint64_t rd64(uintptr_t a)
{
    return *(volatile uint64_t *)a;
}

static int wait_clear(uintptr_t reg, uint32_t mask)
{
    for (unsigned i = 0; i < 1000000; i++) {
        if (!(rd32(reg) & mask)) {
            return 0;
        }
    }
    return -EIO;
}

int arch_irqc_init(const struct board_info *bi)
{
    unsigned lines;

    if (bi->irqc.nr_reg < 2) {
        return -EINVAL;
    }
    gicd = (uintptr_t)pa_addr(bi->irqc.reg[0].base);
    gicr_region = bi->irqc.reg[1];
    timer_irq = bi->timer.irq;
    wr32(gicd + GICD_CTLR, 0);
    if (wait_clear(gicd + GICD_CTLR, GICD_CTLR_RWP)) {
        return -EIO;
    }
    /* SPIs: group 1, disabled, default priority. SGIs/PPIs live in redistributors. */
    lines = 32 * ((rd32(gicd + GICD_TYPER) & 0x1f) + 1);
    nr_lines = lines;
    for (unsigned i = 32; i < lines; i += 32) {
        wr32(gicd + GICD_IGROUPR + i / 8, ~0u);
        wr32(gicd + GICD_ICENABLER + i / 8, ~0u);
    }
    for (unsigned i = 32; i < lines; i += 4) {
        wr32(gicd + GICD_IPRIORITYR + i, GIC_PRIO_DEFAULT * 0x01010101u);
    }
    wr32(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
    if (wait_clear(gicd + GICD_CTLR, GICD_CTLR_RWP)) {
        return -EIO;
    }
    printk("irq: GICv3 distributor at 0x%llx, %u interrupt lines\n",
           (unsigned long long)pa_addr(bi->irqc.reg[0].base), lines);
    return 0;
}

/* Find this CPU's redistributor by its affinity (GICR_TYPER[63:32]). */
static uintptr_t find_redist(uint64_t mpidr)
{
    uint64_t aff = ((mpidr >> 8) & 0xff000000ull) | (mpidr & 0xffffff);
    uintptr_t rd = (uintptr_t)pa_addr(gicr_region.base);
    uintptr_t end = rd + gicr_region.size;

    while (rd < end) {
        uint64_t typer = rd64(rd + GICR_TYPER);

        if ((typer >> 32) == aff) {
            return rd;
        }
        if (typer & GICR_TYPER_LAST) {
            break;
        }
        rd += (typer & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000;
    }
    return 0;
}

int arch_irqc_cpu_init(struct pcpu *cpu)
{
    uintptr_t rd = find_redist(cpu->hwid);

    if (!rd) {
        printk("cpu%u: no GICv3 redistributor for mpidr 0x%llx\n", cpu->id,
               (unsigned long long)cpu->hwid);
        return -ENODEV;
    }
    cpu->arch.gicr = rd;
    wr32(rd + GICR_WAKER, rd32(rd + GICR_WAKER) & ~GICR_WAKER_PSLEEP);
    if (wait_clear(rd + GICR_WAKER, GICR_WAKER_CASLEEP)) {
        return -EIO;
    }
    wr32(rd + GICR_IGROUPR0, ~0u);
    wr32(rd + GICR_ICENABLER0, ~0u);
    for (unsigned i = 0; i < 32; i += 4) {
        wr32(rd + GICR_IPRIORITYR + i, GIC_PRIO_DEFAULT * 0x01010101u);
    }
    /* Ours: the hypervisor timer and the kick; for guests: the virtual interface's
     * maintenance interrupt and the EL1 virtual timer, which fires while a vCPU runs. */
    wr32(rd + GICR_ISENABLER0, (1u << timer_irq) | (1u << GIC_SGI_KICK) | (1u << VGIC_PPI_MAINT) |
                                   (1u << VGIC_PPI_VTIMER));
    /* CPU interface: system registers on, all priorities unmasked, group 1 on. */
    write_sysreg(ICC_SRE_EL2, read_sysreg(ICC_SRE_EL2) | 0x9); /* SRE | Enable */
    isb();
    write_sysreg(ICC_PMR_EL1, 0xff);
    write_sysreg(ICC_BPR1_EL1, 0);
    write_sysreg(ICC_CTLR_EL1, 0); /* EOImode 0: EOIR both drops priority and deactivates */
    write_sysreg(ICC_IGRPEN1_EL1, 1);
    isb();
    vgic_cpu_init();
    return 0;
}

unsigned gic_nr_lines(void)
{
    return nr_lines;
}

bool gic_spi_requested(uint32_t intid)
{
    for (unsigned i = 0; i < GIC_DEV_IRQS; i++) {
        if (__atomic_load_n(&dev_irqs[i].fn, __ATOMIC_ACQUIRE) && dev_irqs[i].intid == intid) {
            return true;
        }
    }
    return false;
}

void gic_spi_enable(uint32_t intid, bool on)
{
    wr32(gicd + (on ? GICD_ISENABLER : GICD_ICENABLER) + intid / 32 * 4, 1u << (intid % 32));
}

void gic_spi_setup(uint32_t intid, bool edge)
{
    uint64_t mpidr = this_cpu()->hwid;
    /* GICD_ICFGR: two bits per interrupt, the upper one set for edge. */
    uint32_t cfg = rd32(gicd + GICD_ICFGR + intid / 16 * 4) & ~(2u << (intid % 16 * 2));

    gic_spi_enable(intid, false);
    if (edge) {
        cfg |= 2u << (intid % 16 * 2);
    }
    wr32(gicd + GICD_ICFGR + intid / 16 * 4, cfg);
    /* GICD_IROUTER<n> (ARE on): Aff3 at [39:32], Aff2.Aff1.Aff0 at [23:0]. */
    *(volatile uint64_t *)(gicd + GICD_IROUTER + 8ull * intid) =
        ((mpidr >> 8) & 0xff00000000ull) | (mpidr & 0xffffff);
}

int arch_irq_request(const uint32_t *cells, unsigned nr, void (*handler)(void))
{
    uint32_t intid;

    /* Arm's GIC binding: <type number flags>; only SPIs are device interrupts. */
    if (nr != 3 || cells[0] != GIC_DT_SPI || cells[1] >= nr_lines - 32) {
        return -EINVAL;
    }
    intid = cells[1] + 32;
    for (unsigned i = 0; i < GIC_DEV_IRQS; i++) {
        if (dev_irqs[i].fn) {
            continue;
        }
        dev_irqs[i].intid = intid;
        __atomic_store_n(&dev_irqs[i].fn, handler, __ATOMIC_RELEASE);
        gic_spi_setup(intid, cells[2] & GIC_DT_EDGE);
        gic_spi_enable(intid, true);
        return 0;
    }
    return -ENOSPC;
}

/* A host device's interrupt: the handler registered for it, if any. */
static bool dev_irq(uint32_t intid)
{
    for (unsigned i = 0; i < GIC_DEV_IRQS; i++) {
        void (*fn)(void) = __atomic_load_n(&dev_irqs[i].fn, __ATOMIC_ACQUIRE);

        if (fn && dev_irqs[i].intid == intid) {
            fn();
            return true;
        }
    }
    return false;
}

void gic_handle_irq(void)
{
    uint32_t intid = (uint32_t)read_sysreg(ICC_IAR1_EL1) & 0xffffff;

    if (intid >= GIC_INTID_SPURIOUS && intid < 1024) {
        return;
    }
    if (intid == timer_irq) {
        timer_interrupt();
    } else if (intid == GIC_SGI_KICK) {
        sched_kick_received();
    } else if (intid == VGIC_PPI_VTIMER) {
        vtimer_phys_irq();
    } else if (intid == VGIC_PPI_MAINT) {
        vgic_maintenance();
    } else if (!dev_irq(intid) && !irq_route_fire(intid)) {
        printk("irq: unexpected interrupt %u on cpu%u\n", intid, this_cpu()->id);
    }
    write_sysreg(ICC_EOIR1_EL1, intid);
    isb();
}

void arch_send_kick(struct pcpu *cpu)
{
    uint64_t mpidr = cpu->hwid;
    /* ICC_SGI1R_EL1 (GICv3 12.2.22): Aff3, Aff2, INTID, Aff1, target list of Aff0. */
    uint64_t v = (((mpidr >> 32) & 0xff) << 48) | (((mpidr >> 16) & 0xff) << 32) |
                 ((uint64_t)GIC_SGI_KICK << 24) | (((mpidr >> 8) & 0xff) << 16) |
                 (1ull << (mpidr & 0xf));

    /* Make the state the target will look at visible before it is interrupted. */
    dsb(ishst);
    write_sysreg(ICC_SGI1R_EL1, v);
    isb();
}

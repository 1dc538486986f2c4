/* SPDX-License-Identifier: MIT */
/* The aarch64 part of the host device tree: GICv3, the generic timer, PSCI. */
#include <libfdt.h>

#include <arch/sysreg.h>

#include <bulkhead/arch.h>
#include <bulkhead/board.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>

static const char *const gic_compat[] = {"arm,gic-v3", NULL};
static const char *const timer_compat[] = {"arm,armv8-timer", "arm,armv7-timer", NULL};
static const char *const psci_compat[] = {"arm,psci-1.0", "arm,psci-0.2", NULL};

#define GIC_PPI_BASE 16
/* The generic timer binding lists secure, non-secure, virtual and hypervisor timers. */
#define TIMER_HYP_INDEX 3

static int parse_gic(const void *fdt, struct board_info *bi)
{
    int node = dt_find_compatible(fdt, gic_compat, &bi->irqc.compat);

    if (node < 0) {
        printk("dt: no interrupt controller: need an arm,gic-v3 node\n");
        return -ENOENT;
    }
    bi->irqc.node = node;
    for (unsigned i = 0; i < BOARD_MAX_IRQC_REGS; i++) {
        if (dt_read_reg(fdt, node, (int)i, &bi->irqc.reg[i]) != 0) {
            break;
        }
        bi->irqc.nr_reg++;
    }
    if (bi->irqc.nr_reg < 2) {
        printk("dt: arm,gic-v3 node needs distributor and redistributor regs\n");
        return -EINVAL;
    }
    return 0;
}

static int parse_timer(const void *fdt, struct board_info *bi)
{
    int node = dt_find_compatible(fdt, timer_compat, NULL);
    const fdt32_t *irqs;
    int len;

    if (node < 0) {
        printk("dt: no arm,armv8-timer node\n");
        return -ENOENT;
    }
    irqs = fdt_getprop(fdt, node, "interrupts", &len);
    if (!irqs || len < (TIMER_HYP_INDEX + 1) * 12) {
        printk("dt: arm,armv8-timer has no hypervisor timer interrupt\n");
        return -EINVAL;
    }
    /* Each entry: <type number flags>; type 1 = PPI. */
    bi->timer.irq = fdt32_to_cpu(irqs[TIMER_HYP_INDEX * 3 + 1]) + GIC_PPI_BASE;
    if (dt_read_u64(fdt, node, "clock-frequency", &bi->timer.freq) != 0) {
        bi->timer.freq = read_sysreg(cntfrq_el0);
    }
    if (bi->timer.freq == 0 || bi->timer.irq >= 32) {
        printk("dt: unusable timer (frequency %llu, interrupt %u)\n",
               (unsigned long long)bi->timer.freq, bi->timer.irq);
        return -EINVAL;
    }
    return 0;
}

static int parse_psci(const void *fdt, struct board_info *bi)
{
    int node = dt_find_compatible(fdt, psci_compat, NULL);
    const char *method = node >= 0 ? fdt_getprop(fdt, node, "method", NULL) : NULL;

    /* At EL2 an HVC would trap to ourselves: the firmware must be reached by SMC. */
    if (!method || strcmp(method, "smc") != 0) {
        printk("dt: no PSCI 0.2+ node with method \"smc\": cannot start CPUs or power off\n");
        return -ENOENT;
    }
    bi->firmware = "PSCI over SMC";
    return 0;
}

int arch_dt_parse(const void *fdt, struct board_info *bi)
{
    int rc = parse_gic(fdt, bi);

    if (!rc) {
        rc = parse_timer(fdt, bi);
    }
    if (!rc) {
        rc = parse_psci(fdt, bi);
    }
    return rc;
}

void arch_dt_print(const struct board_info *bi)
{
    printk("dt: interrupt controller %s: distributor 0x%llx, redistributors 0x%llx (%llu KiB)\n",
           bi->irqc.compat, (unsigned long long)pa_addr(bi->irqc.reg[0].base),
           (unsigned long long)pa_addr(bi->irqc.reg[1].base),
           (unsigned long long)(bi->irqc.reg[1].size >> 10));
    printk("dt: timer %llu Hz, hypervisor timer INTID %u\n", (unsigned long long)bi->timer.freq,
           bi->timer.irq);
    printk("dt: firmware %s\n", bi->firmware);
}

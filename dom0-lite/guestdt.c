/* SPDX-License-Identifier: MIT */
/* A guest's device tree with libfdt (guestdt.h). */
#include "guestdt.h"

#include <string.h>

#include <libfdt.h>

#include "fmt.h"

#include <xen/xen.h> /* aarch64: arch-arm.h's GUEST_* addresses */

#define GIC_PPI            1
#define XEN_PPI_CPUMASK    0xf
#define DT_IRQ_LEVEL_LOW   0x8
#define DT_IRQ_LEVEL_HIGH  0x4
#define GICV3_RDIST_STRIDE 0x20000
#define HYP_TIMER_PPI      26
#define PL011_BASE         0x22000000ull
#define PL011_SIZE         0x1000ull
#define PL011_SPI          32
#define PL011_CLOCK_HZ     24000000
#define NS16550_BASE       0x10000000ull
#define NS16550_SIZE       0x100ull
#define NS16550_IRQ        10
#define NS16550_CLOCK_HZ   3686400
#define RISCV_RAM_BASE     0x80000000ull
#define RISCV_TIMEBASE     10000000
#define RISCV_PLIC_BASE    0x0c000000ull
#define RISCV_PLIC_SIZE    0x600000ull
#define RISCV_PLIC_NDEV    96
#define RISCV_IRQ_S_EXT    9
#define RISCV_IRQ_M_EXT    11
#define PH_GIC             1 /* phandles */
#define PH_CLK             2
#define PH_PLIC            1
#define PH_INTC0           0x10

#define TRY(x)                                                                                     \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_) {                                                                                 \
            return rc_;                                                                            \
        }                                                                                          \
    } while (0)

uint64_t guestdt_ram_base(void)
{
#if defined(__aarch64__)
    return GUEST_RAM0_BASE;
#else
    return RISCV_RAM_BASE;
#endif
}

const char *guestdt_uart_bootarg(void)
{
#if defined(__aarch64__)
    return "uart=pl011@0x22000000,irq=32";
#else
    return "uart=ns16550@0x10000000,irq=10";
#endif
}

static int prop_cells(void *fdt, const char *name, const uint32_t *v, unsigned n)
{
    fdt32_t c[24];

    for (unsigned i = 0; i < n && i < 24; i++) {
        c[i] = cpu_to_fdt32(v[i]);
    }
    return fdt_property(fdt, name, c, (int)(n * 4));
}

static int reg64(void *fdt, const char *name, const uint64_t *v, unsigned n)
{
    uint32_t c[16];

    for (unsigned i = 0; i < n; i++) {
        c[2 * i] = (uint32_t)(v[i] >> 32);
        c[2 * i + 1] = (uint32_t)v[i];
    }
    return prop_cells(fdt, name, c, 2 * n);
}

/* "a\0b\0": a string list. */
static int strs(void *fdt, const char *name, const char *a, const char *b)
{
    char buf[96];
    size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;

    memcpy(buf, a, la);
    if (b) {
        memcpy(buf + la, b, lb);
    }
    return fdt_property(fdt, name, buf, (int)(la + lb));
}

static int node_name(void *fdt, const char *base, uint64_t addr)
{
    char n[48];

    fmt_snprintf(n, sizeof(n), "%s@%lx", base, (unsigned long)addr);
    return fdt_begin_node(fdt, n);
}

static int chosen(void *fdt, const struct guestdt_params *p)
{
    TRY(fdt_begin_node(fdt, "chosen"));
    TRY(fdt_property_string(fdt, "bootargs", p->bootargs));
    if (p->uart) {
        char path[40];

#if defined(__aarch64__)
        fmt_snprintf(path, sizeof(path), "/serial@%lx", (unsigned long)PL011_BASE);
#else
        fmt_snprintf(path, sizeof(path), "/serial@%lx", (unsigned long)NS16550_BASE);
#endif
        TRY(fdt_property_string(fdt, "stdout-path", path));
    }
    if (p->initrd_end > p->initrd_start) {
        TRY(reg64(fdt, "linux,initrd-start", &p->initrd_start, 1));
        TRY(reg64(fdt, "linux,initrd-end", &p->initrd_end, 1));
    }
    TRY(fdt_end_node(fdt));
    TRY(node_name(fdt, "memory", p->ram_base));
    TRY(fdt_property_string(fdt, "device_type", "memory"));
    uint64_t r[2] = {p->ram_base, p->ram_size};
    TRY(reg64(fdt, "reg", r, 2));
    return fdt_end_node(fdt);
}

#if defined(__aarch64__)
static void ppi(uint32_t *c, unsigned intid)
{
    c[0] = GIC_PPI;
    c[1] = intid - 16;
    c[2] = XEN_PPI_CPUMASK << 8 | DT_IRQ_LEVEL_LOW;
}

static int body(void *fdt, const struct guestdt_params *p)
{
    uint32_t c[12];

    TRY(strs(fdt, "compatible", "xen,xenvm-4.17", "xen,xenvm"));
    TRY(fdt_property_string(fdt, "model", "XENVM-4.17"));
    TRY(fdt_property_u32(fdt, "interrupt-parent", PH_GIC));
    TRY(chosen(fdt, p));
    TRY(fdt_begin_node(fdt, "cpus"));
    TRY(fdt_property_u32(fdt, "#address-cells", 1));
    TRY(fdt_property_u32(fdt, "#size-cells", 0));
    for (unsigned n = 0; n < p->vcpus; n++) {
        TRY(node_name(fdt, "cpu", n));
        TRY(fdt_property_string(fdt, "device_type", "cpu"));
        TRY(fdt_property_string(fdt, "compatible", "arm,armv8"));
        TRY(fdt_property_u32(fdt, "reg", n));
        TRY(fdt_property_string(fdt, "enable-method", "psci"));
        TRY(fdt_end_node(fdt));
    }
    TRY(fdt_end_node(fdt));
    TRY(fdt_begin_node(fdt, "psci"));
    TRY(strs(fdt, "compatible", "arm,psci-1.0", "arm,psci-0.2"));
    TRY(fdt_property_string(fdt, "method", "hvc"));
    TRY(fdt_end_node(fdt));
    TRY(node_name(fdt, "interrupt-controller", GUEST_GICV3_GICD_BASE));
    TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
    TRY(fdt_property_u32(fdt, "#address-cells", 0));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(fdt_property_u32(fdt, "#redistributor-regions", GUEST_GICV3_RDIST_REGIONS));
    TRY(fdt_property_u32(fdt, "redistributor-stride", GICV3_RDIST_STRIDE));
    uint64_t gr[4] = {GUEST_GICV3_GICD_BASE, GUEST_GICV3_GICD_SIZE, GUEST_GICV3_GICR0_BASE,
                      (uint64_t)GICV3_RDIST_STRIDE * p->vcpus};
    TRY(reg64(fdt, "reg", gr, 4));
    TRY(fdt_property_u32(fdt, "phandle", PH_GIC));
    TRY(fdt_end_node(fdt));
    TRY(fdt_begin_node(fdt, "timer"));
    TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
    ppi(c, GUEST_TIMER_PHYS_S_PPI);
    ppi(c + 3, GUEST_TIMER_PHYS_NS_PPI);
    ppi(c + 6, GUEST_TIMER_VIRT_PPI);
    ppi(c + 9, HYP_TIMER_PPI);
    TRY(prop_cells(fdt, "interrupts", c, 12));
    TRY(fdt_end_node(fdt));
    TRY(fdt_begin_node(fdt, "hypervisor"));
    TRY(strs(fdt, "compatible", "xen,xen-4.17", "xen,xen"));
    uint64_t gt[2] = {GUEST_GNTTAB_BASE, GUEST_GNTTAB_SIZE};
    TRY(reg64(fdt, "reg", gt, 2));
    ppi(c, GUEST_EVTCHN_PPI);
    TRY(prop_cells(fdt, "interrupts", c, 3));
    TRY(fdt_end_node(fdt));
    if (p->uart) {
        TRY(fdt_begin_node(fdt, "clock-uart"));
        TRY(fdt_property_string(fdt, "compatible", "fixed-clock"));
        TRY(fdt_property_u32(fdt, "#clock-cells", 0));
        TRY(fdt_property_u32(fdt, "clock-frequency", PL011_CLOCK_HZ));
        TRY(fdt_property_string(fdt, "clock-output-names", "uartclk"));
        TRY(fdt_property_u32(fdt, "phandle", PH_CLK));
        TRY(fdt_end_node(fdt));
        TRY(node_name(fdt, "serial", PL011_BASE));
        TRY(strs(fdt, "compatible", "arm,pl011", "arm,primecell"));
        uint64_t ur[2] = {PL011_BASE, PL011_SIZE};
        TRY(reg64(fdt, "reg", ur, 2));
        c[0] = 0;
        c[1] = PL011_SPI - 32;
        c[2] = DT_IRQ_LEVEL_HIGH;
        TRY(prop_cells(fdt, "interrupts", c, 3));
        c[0] = c[1] = PH_CLK;
        TRY(prop_cells(fdt, "clocks", c, 2));
        TRY(strs(fdt, "clock-names", "uartclk", "apb_pclk"));
        TRY(fdt_end_node(fdt));
    }
    return 0;
}
#else
static int body(void *fdt, const struct guestdt_params *p)
{
    uint32_t c[4 * 8];

    TRY(fdt_property_string(fdt, "compatible", "bulkhead,virt"));
    TRY(fdt_property_string(fdt, "model", "bulkhead,virt"));
    TRY(chosen(fdt, p));
    TRY(fdt_begin_node(fdt, "cpus"));
    TRY(fdt_property_u32(fdt, "#address-cells", 1));
    TRY(fdt_property_u32(fdt, "#size-cells", 0));
    TRY(fdt_property_u32(fdt, "timebase-frequency", RISCV_TIMEBASE));
    for (unsigned n = 0; n < p->vcpus; n++) {
        TRY(node_name(fdt, "cpu", n));
        TRY(fdt_property_string(fdt, "device_type", "cpu"));
        TRY(fdt_property_u32(fdt, "reg", n));
        TRY(fdt_property_string(fdt, "compatible", "riscv"));
        TRY(fdt_property_string(fdt, "riscv,isa", "rv64imafdc_zicsr_zifencei"));
        TRY(fdt_property_string(fdt, "mmu-type", "riscv,sv39"));
        TRY(fdt_property_string(fdt, "status", "okay"));
        TRY(fdt_begin_node(fdt, "interrupt-controller"));
        TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
        TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
        TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
        TRY(fdt_property_u32(fdt, "phandle", PH_INTC0 + n));
        TRY(fdt_end_node(fdt));
        TRY(fdt_end_node(fdt));
        c[4 * n] = PH_INTC0 + n;
        c[4 * n + 1] = RISCV_IRQ_M_EXT;
        c[4 * n + 2] = PH_INTC0 + n;
        c[4 * n + 3] = RISCV_IRQ_S_EXT;
    }
    TRY(fdt_end_node(fdt));
    TRY(node_name(fdt, "interrupt-controller", RISCV_PLIC_BASE));
    TRY(strs(fdt, "compatible", "sifive,plic-1.0.0", "riscv,plic0"));
    uint64_t pr[2] = {RISCV_PLIC_BASE, RISCV_PLIC_SIZE};
    TRY(reg64(fdt, "reg", pr, 2));
    TRY(prop_cells(fdt, "interrupts-extended", c, 4 * p->vcpus));
    TRY(fdt_property_u32(fdt, "riscv,ndev", RISCV_PLIC_NDEV));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
    TRY(fdt_property_u32(fdt, "#address-cells", 0));
    TRY(fdt_property_u32(fdt, "phandle", PH_PLIC));
    TRY(fdt_end_node(fdt));
    if (p->uart) {
        TRY(node_name(fdt, "serial", NS16550_BASE));
        TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
        uint64_t ur[2] = {NS16550_BASE, NS16550_SIZE};
        TRY(reg64(fdt, "reg", ur, 2));
        TRY(fdt_property_u32(fdt, "clock-frequency", NS16550_CLOCK_HZ));
        TRY(fdt_property_u32(fdt, "interrupt-parent", PH_PLIC));
        TRY(fdt_property_u32(fdt, "interrupts", NS16550_IRQ));
        TRY(fdt_end_node(fdt));
    }
    return 0;
}
#endif

int guestdt_build(void *buf, size_t size, const struct guestdt_params *p)
{
    if (!p->vcpus || p->vcpus > 8) {
        return -FDT_ERR_BADVALUE;
    }
    TRY(fdt_create(buf, (int)size));
    TRY(fdt_finish_reservemap(buf));
    TRY(fdt_begin_node(buf, ""));
    TRY(fdt_property_u32(buf, "#address-cells", 2));
    TRY(fdt_property_u32(buf, "#size-cells", 2));
    TRY(body(buf, p));
    TRY(fdt_end_node(buf));
    return fdt_finish(buf);
}

/* SPDX-License-Identifier: MIT */
/*
 * Board discovery from the host device tree: memory banks, reserved memory, CPUs and
 * the console UART here; the interrupt controller, timer and firmware interface in
 * arch_dt_parse(). Every failure prints what is wrong; the caller stops the board.
 */
#include <libfdt.h>

#include <bulkhead/arch.h>
#include <bulkhead/board.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>

/* The parsed board, filled by board_parse() on the boot CPU (declared in boot.h). */
struct board_info board;

/* Largest blob we accept: QEMU's are ~1 MiB at most; this catches garbage headers. */
#define DT_MAX_SIZE (16u << 20)

int board_reserve(struct board_info *bi, paddr_t base, uint64_t size, bool no_map, const char *why)
{
    if (size == 0) {
        return 0;
    }
    if (bi->nr_resv == BOARD_MAX_RESV) {
        printk("dt: too many reserved ranges (max %d), cannot reserve %s\n", BOARD_MAX_RESV, why);
        return -ENOSPC;
    }
    bi->resv[bi->nr_resv++] = (struct resv_range){base, size, no_map, why};
    return 0;
}

static int dt_error(const char *what, int err)
{
    printk("dt: malformed device tree while reading %s: %s\n", what, fdt_strerror(err));
    return -EINVAL;
}

static int parse_memory(const void *fdt, struct board_info *bi)
{
    int node = -1;

    for (;;) {
        node = fdt_node_offset_by_prop_value(fdt, node, "device_type", "memory", 7);
        if (node == -FDT_ERR_NOTFOUND) {
            break;
        }
        if (node < 0) {
            return dt_error("memory nodes", node);
        }
        for (int i = 0; bi->nr_mem < BOARD_MAX_MEM; i++) {
            struct mem_range r;

            if (dt_read_reg(fdt, node, i, &r) != 0) {
                break;
            }
            if (r.size) {
                bi->mem[bi->nr_mem++] = r;
            }
        }
    }
    if (bi->nr_mem == 0) {
        printk("dt: no memory: the device tree has no memory node with a usable reg\n");
        return -ENOENT;
    }
    return 0;
}

static int parse_reserved(const void *fdt, struct board_info *bi)
{
    int n = fdt_num_mem_rsv(fdt);
    int parent, node, rc;

    for (int i = 0; i < n; i++) {
        uint64_t addr, size;

        if (fdt_get_mem_rsv(fdt, i, &addr, &size) == 0) {
            rc = board_reserve(bi, pa_init(addr), size, false, "memreserve");
            if (rc) {
                return rc;
            }
        }
    }
    parent = fdt_path_offset(fdt, "/reserved-memory");
    if (parent < 0) {
        return 0;
    }
    fdt_for_each_subnode(node, fdt, parent)
    {
        struct mem_range r;

        if (dt_read_reg(fdt, node, 0, &r) != 0) {
            continue;
        }
        rc = board_reserve(bi, r.base, r.size, fdt_getprop(fdt, node, "no-map", NULL) != NULL,
                           fdt_get_name(fdt, node, NULL));
        if (rc) {
            return rc;
        }
    }
    return 0;
}

static int parse_cpus(const void *fdt, struct board_info *bi)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    int node;

    if (cpus < 0) {
        printk("dt: no /cpus node\n");
        return -ENOENT;
    }
    fdt_for_each_subnode(node, fdt, cpus)
    {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        const char *status = fdt_getprop(fdt, node, "status", NULL);
        struct mem_range reg;

        if (!type || strcmp(type, "cpu") != 0 ||
            (status && strcmp(status, "okay") != 0 && strcmp(status, "ok") != 0)) {
            continue;
        }
        if (dt_read_reg(fdt, node, 0, &reg) != 0) {
            continue;
        }
        if (bi->nr_cpus < MAX_CPUS) {
            bi->cpu_hwid[bi->nr_cpus++] = pa_addr(reg.base);
        }
        bi->nr_cpus_dt++;
    }
    if (bi->nr_cpus == 0) {
        printk("dt: no usable cpu node under /cpus\n");
        return -ENOENT;
    }
    return 0;
}

/* The UART named by /chosen/stdout-path, else the first one a driver knows. */
static int find_uart_node(const void *fdt, const struct uart_driver **drv)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    int node = -1, len;
    const char *path = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", &len) : NULL;

    if (path && len > 0) {
        const char *opts = memchr(path, ':', (size_t)len);

        node = fdt_path_offset_namelen(fdt, path, opts ? (int)(opts - path) : len - 1);
    }
    if (node >= 0) {
        const char *compat = fdt_getprop(fdt, node, "compatible", NULL);
        const char *status = fdt_getprop(fdt, node, "status", NULL);

        /* A disabled UART is not ours to drive, even when stdout-path names it. */
        *drv = compat && (!status || !strcmp(status, "okay")) ? console_find_driver(compat) : NULL;
        if (*drv) {
            return node;
        }
    }
    for (node = fdt_next_node(fdt, -1, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        const char *compat = fdt_getprop(fdt, node, "compatible", NULL);
        const char *status = fdt_getprop(fdt, node, "status", NULL);

        if (compat && (!status || !strcmp(status, "okay")) &&
            (*drv = console_find_driver(compat))) {
            return node;
        }
    }
    return -ENOENT;
}

/* The UART's "interrupts" specifier, kept raw for the arch's interrupt controller (which
 * is assumed to be its interrupt parent, as on QEMU virt). None: the console is output
 * only. */
static void parse_uart_irq(const void *fdt, int node, struct uart_desc *u)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);

    if (!p || len <= 0 || len % 4 || len / 4 > UART_MAX_IRQ_CELLS) {
        return;
    }
    u->irq_cells = (unsigned)len / 4;
    for (unsigned i = 0; i < u->irq_cells; i++) {
        u->irq[i] = fdt32_to_cpu(p[i]);
    }
}

static int parse_uart(const void *fdt, struct board_info *bi)
{
    const struct uart_driver *drv = NULL;
    int node = find_uart_node(fdt, &drv);
    struct mem_range reg;
    uint64_t shift = 0;

    if (node < 0 || dt_read_reg(fdt, node, 0, &reg) != 0) {
        printk("dt: no UART: no node with a supported compatible (arm,pl011, ns16550a) and "
               "a reg\n");
        return -ENOENT;
    }
    if (dt_read_u64(fdt, node, "reg-shift", &shift) != 0) {
        shift = 0;
    }
    bi->uart = (struct uart_desc){
        .drv = drv, .base = reg.base, .size = reg.size, .reg_shift = (unsigned)shift};
    parse_uart_irq(fdt, node, &bi->uart);
    return 0;
}

/* Boot modules (Xen's dom0less "multiboot,module" nodes) must survive until copied. */
static int reserve_modules(const void *fdt, struct board_info *bi)
{
    int node = -1, rc;

    for (;;) {
        struct mem_range r;

        node = fdt_node_offset_by_compatible(fdt, node, "multiboot,module");
        if (node == -FDT_ERR_NOTFOUND) {
            return 0;
        }
        if (node < 0) {
            return dt_error("boot modules", node);
        }
        if (dt_read_reg(fdt, node, 0, &r) == 0) {
            rc = board_reserve(bi, r.base, r.size, false, "module");
            if (rc) {
                return rc;
            }
        }
    }
}

static void parse_chosen(const void *fdt, struct board_info *bi)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    const char *args = NULL;

    if (chosen >= 0) {
        args = fdt_getprop(fdt, chosen, "xen,xen-bootargs", NULL);
        if (!args) {
            args = fdt_getprop(fdt, chosen, "bootargs", NULL);
        }
    }
    bi->bootargs = args ? args : "";
}

int board_parse(const void *fdt, struct board_info *bi)
{
    int rc;

    *bi = (struct board_info){.fdt = fdt};
    if (!fdt || (uintptr_t)fdt & 7) {
        printk("dt: no device tree (pointer %p)\n", fdt);
        return -EINVAL;
    }
    rc = fdt_check_header(fdt);
    if (rc || fdt_totalsize(fdt) > DT_MAX_SIZE) {
        printk("dt: bad device tree at %p: %s\n", fdt,
               rc ? fdt_strerror(rc) : "larger than 16 MiB");
        return -EINVAL;
    }
    bi->fdt_size = fdt_totalsize(fdt);
    bi->model = fdt_getprop(fdt, 0, "model", NULL);
    if (!bi->model) {
        bi->model = "";
    }
    rc = board_reserve(bi, va_pa(fdt), bi->fdt_size, false, "dtb");
    if (!rc) {
        rc = parse_memory(fdt, bi);
    }
    if (!rc) {
        rc = parse_reserved(fdt, bi);
    }
    if (!rc) {
        rc = reserve_modules(fdt, bi);
    }
    if (!rc) {
        rc = parse_cpus(fdt, bi);
    }
    if (!rc) {
        rc = parse_uart(fdt, bi);
    }
    if (!rc) {
        rc = arch_dt_parse(fdt, bi);
    }
    parse_chosen(fdt, bi);
    return rc;
}

static uint64_t mib(uint64_t bytes)
{
    return bytes >> 20;
}

void board_print(const struct board_info *bi)
{
    printk("dt: model \"%s\", %u bytes at 0x%llx\n", bi->model, bi->fdt_size,
           (unsigned long long)pa_addr(va_pa(bi->fdt)));
    for (unsigned i = 0; i < bi->nr_mem; i++) {
        printk("dt: memory  0x%010llx-0x%010llx (%llu MiB)\n",
               (unsigned long long)pa_addr(bi->mem[i].base),
               (unsigned long long)(pa_addr(bi->mem[i].base) + bi->mem[i].size - 1),
               (unsigned long long)mib(bi->mem[i].size));
    }
    for (unsigned i = 0; i < bi->nr_resv; i++) {
        printk("dt: reserved 0x%010llx-0x%010llx %s%s\n",
               (unsigned long long)pa_addr(bi->resv[i].base),
               (unsigned long long)(pa_addr(bi->resv[i].base) + bi->resv[i].size - 1),
               bi->resv[i].why, bi->resv[i].no_map ? " (no-map)" : "");
    }
    printk("dt: %u CPUs:", bi->nr_cpus);
    for (unsigned i = 0; i < bi->nr_cpus; i++) {
        printk(" 0x%llx", (unsigned long long)bi->cpu_hwid[i]);
    }
    printk("\n");
    if (bi->nr_cpus_dt > bi->nr_cpus) {
        printk("dt: %u CPUs in the device tree; using the first %u\n", bi->nr_cpus_dt, bi->nr_cpus);
    }
    printk("dt: uart %s at 0x%llx\n", bi->uart.drv->name,
           (unsigned long long)pa_addr(bi->uart.base));
    arch_dt_print(bi);
    if (bi->bootargs[0]) {
        printk("dt: bootargs \"%s\"\n", bi->bootargs);
    }
}

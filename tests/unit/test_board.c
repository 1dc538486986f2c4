/* SPDX-License-Identifier: MIT */
/*
 * Board discovery (hypervisor/dt/board.c, dt.c) on device trees built here with libfdt's
 * sequential-write API: a good QEMU-like tree, then one defect at a time.
 */
#include <stdio.h>

#include <libfdt.h>

#include "unit.h"

#include <bulkhead/board.h>
#include <bulkhead/errno.h>

/* What to leave out of, or add to, the tree. */
enum {
    NO_MEMORY = 1 << 0,
    NO_UART = 1 << 1,
    NO_STDOUT_PATH = 1 << 2,
    NO_XEN_BOOTARGS = 1 << 3,
    NO_BOOTARGS = 1 << 4,
    MANY_CPUS = 1 << 5,
    STDOUT_ALIAS = 1 << 6,
    ZERO_MEMORY = 1 << 7,
    MANY_RESERVED = 1 << 8,
    NO_CPUS = 1 << 9,
    UART_DISABLED = 1 << 10,
    PL011_DISABLED = 1 << 11,
};

#define DTB_SIZE (64 * 1024)
static uint64_t dtb[DTB_SIZE / 8]; /* 8-byte aligned, as board_parse wants */
static struct board_info bi;

#define OK(x) assert_int_equal((x), 0)

static void prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
    fdt32_t be[16];

    for (unsigned i = 0; i < n; i++) {
        be[i] = cpu_to_fdt32(cells[i]);
    }
    OK(fdt_property(fdt, name, be, (int)(n * 4)));
}

#define CELLS(fdt, name, ...)                                                                      \
    do {                                                                                           \
        const uint32_t c_[] = {__VA_ARGS__};                                                       \
        prop_cells(fdt, name, c_, ARRAY_SIZE(c_));                                                 \
    } while (0)

static void *build(unsigned flags)
{
    void *fdt = dtb;
    char name[32];

    OK(fdt_create(fdt, DTB_SIZE));
    OK(fdt_add_reservemap_entry(fdt, 0x48000000, 0x10000));
    if (flags & MANY_RESERVED) {
        for (unsigned i = 0; i < BOARD_MAX_RESV; i++) {
            OK(fdt_add_reservemap_entry(fdt, 0x60000000 + i * 0x1000ull, 0x1000));
        }
    }
    OK(fdt_finish_reservemap(fdt));
    OK(fdt_begin_node(fdt, ""));
    CELLS(fdt, "#address-cells", 2);
    CELLS(fdt, "#size-cells", 2);
    OK(fdt_property_string(fdt, "model", "bulkhead,unit-test-board"));
    OK(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));

    OK(fdt_begin_node(fdt, "chosen"));
    if (!(flags & NO_BOOTARGS)) {
        OK(fdt_property_string(fdt, "bootargs", "console=ttyAMA0"));
    }
    if (!(flags & NO_XEN_BOOTARGS)) {
        OK(fdt_property_string(fdt, "xen,xen-bootargs", "selftest=tick loglvl=all"));
    }
    if (!(flags & NO_STDOUT_PATH)) {
        OK(fdt_property_string(fdt, "stdout-path",
                               (flags & STDOUT_ALIAS) ? "serial0:115200n8" : "/pl011@9000000"));
    }
    OK(fdt_begin_node(fdt, "domU1"));
    OK(fdt_property_string(fdt, "compatible", "xen,domain"));
    CELLS(fdt, "#address-cells", 1);
    CELLS(fdt, "#size-cells", 1);
    OK(fdt_begin_node(fdt, "module@50000000"));
    OK(fdt_property(fdt, "compatible", "multiboot,kernel\0multiboot,module", 34));
    CELLS(fdt, "reg", 0x50000000, 0x200000);
    OK(fdt_end_node(fdt));
    OK(fdt_end_node(fdt));
    OK(fdt_end_node(fdt));

    OK(fdt_begin_node(fdt, "aliases"));
    OK(fdt_property_string(fdt, "serial0", "/pl011@9000000"));
    OK(fdt_end_node(fdt));

    if (!(flags & NO_MEMORY)) {
        OK(fdt_begin_node(fdt, "memory@40000000"));
        OK(fdt_property_string(fdt, "device_type", "memory"));
        if (flags & ZERO_MEMORY) {
            CELLS(fdt, "reg", 0, 0x40000000, 0, 0);
        } else {
            CELLS(fdt, "reg", 0, 0x40000000, 0, 0x40000000, 1, 0, 0, 0x10000000);
        }
        OK(fdt_end_node(fdt));
        if (!(flags & ZERO_MEMORY)) {
            OK(fdt_begin_node(fdt, "memory@200000000"));
            OK(fdt_property_string(fdt, "device_type", "memory"));
            CELLS(fdt, "reg", 2, 0, 0, 0x8000000);
            OK(fdt_end_node(fdt));
        }
    }

    OK(fdt_begin_node(fdt, "reserved-memory"));
    CELLS(fdt, "#address-cells", 2);
    CELLS(fdt, "#size-cells", 2);
    OK(fdt_property(fdt, "ranges", "", 0));
    OK(fdt_begin_node(fdt, "secmon@4e000000"));
    CELLS(fdt, "reg", 0, 0x4e000000, 0, 0x100000);
    OK(fdt_property(fdt, "no-map", "", 0));
    OK(fdt_end_node(fdt));
    OK(fdt_begin_node(fdt, "shm@4f000000"));
    CELLS(fdt, "reg", 0, 0x4f000000, 0, 0x200000);
    OK(fdt_end_node(fdt));
    OK(fdt_end_node(fdt));

    if (!(flags & NO_CPUS)) {
        OK(fdt_begin_node(fdt, "cpus"));
        CELLS(fdt, "#address-cells", 1);
        CELLS(fdt, "#size-cells", 0);
        for (unsigned i = 0; i < ((flags & MANY_CPUS) ? 12u : 3u); i++) {
            snprintf(name, sizeof(name), "cpu@%x", i * 0x100);
            OK(fdt_begin_node(fdt, name));
            OK(fdt_property_string(fdt, "device_type", "cpu"));
            CELLS(fdt, "reg", i * 0x100);
            if (i == 1) {
                OK(fdt_property_string(fdt, "status", "disabled"));
            }
            OK(fdt_end_node(fdt));
        }
        OK(fdt_begin_node(fdt, "cpu-map"));
        OK(fdt_end_node(fdt));
        OK(fdt_end_node(fdt));
    }

    OK(fdt_begin_node(fdt, "intc@8000000"));
    OK(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
    CELLS(fdt, "reg", 0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0xf60000);
    OK(fdt_end_node(fdt));
    OK(fdt_begin_node(fdt, "timer"));
    OK(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
    CELLS(fdt, "clock-frequency", 62500000);
    OK(fdt_end_node(fdt));

    if (!(flags & NO_UART)) {
        /* First in the tree: what the fallback picks without a usable stdout-path. */
        OK(fdt_begin_node(fdt, "serial@10000000"));
        OK(fdt_property_string(fdt, "compatible", "ns16550a"));
        CELLS(fdt, "reg", 0, 0x10000000, 0, 0x100);
        CELLS(fdt, "reg-shift", 2);
        if (flags & UART_DISABLED) {
            OK(fdt_property_string(fdt, "status", "disabled"));
        }
        OK(fdt_end_node(fdt));
        OK(fdt_begin_node(fdt, "pl011@9000000"));
        OK(fdt_property(fdt, "compatible", "arm,pl011\0arm,primecell", 24));
        CELLS(fdt, "reg", 0, 0x9000000, 0, 0x1000);
        if (flags & (UART_DISABLED | PL011_DISABLED)) {
            OK(fdt_property_string(fdt, "status", "disabled"));
        }
        OK(fdt_end_node(fdt));
    }
    OK(fdt_begin_node(fdt, "rtc@9010000"));
    OK(fdt_property_string(fdt, "compatible", "arm,pl031"));
    CELLS(fdt, "reg", 0, 0x9010000, 0, 0x1000);
    OK(fdt_end_node(fdt));

    OK(fdt_end_node(fdt));
    OK(fdt_finish(fdt));
    OK(fdt_check_header(fdt));
    return fdt;
}

static int setup(void **state)
{
    (void)state;
    fake_console_reset();
    fake_dt_parse_rc = 0;
    memset(&bi, 0xa5, sizeof(bi));
    return 0;
}

static const struct resv_range *find_resv(const char *why)
{
    for (unsigned i = 0; i < bi.nr_resv; i++) {
        if (strcmp(bi.resv[i].why, why) == 0) {
            return &bi.resv[i];
        }
    }
    fail_msg("no reserved range \"%s\"", why);
    return NULL;
}

static void test_good_tree(void **state)
{
    void *fdt = build(0);
    const struct resv_range *r;

    (void)state;
    OK(board_parse(fdt, &bi));
    assert_ptr_equal(bi.fdt, fdt);
    assert_int_equal(bi.fdt_size, fdt_totalsize(fdt));
    assert_string_equal(bi.model, "bulkhead,unit-test-board");
    /* Two banks in one node, one in another. */
    assert_int_equal(bi.nr_mem, 3);
    assert_int_equal(pa_addr(bi.mem[0].base), 0x40000000);
    assert_int_equal(bi.mem[0].size, 0x40000000);
    assert_int_equal(pa_addr(bi.mem[1].base), 0x100000000ull);
    assert_int_equal(bi.mem[1].size, 0x10000000);
    assert_int_equal(pa_addr(bi.mem[2].base), 0x200000000ull);
    /* The DTB itself, /memreserve/, reserved-memory (no-map kept), the boot module. */
    assert_int_equal(bi.nr_resv, 5);
    r = find_resv("dtb");
    assert_int_equal(pa_addr(r->base), (uintptr_t)fdt);
    assert_int_equal(r->size, fdt_totalsize(fdt));
    r = find_resv("memreserve");
    assert_int_equal(pa_addr(r->base), 0x48000000);
    assert_int_equal(r->size, 0x10000);
    assert_false(r->no_map);
    r = find_resv("secmon@4e000000");
    assert_int_equal(pa_addr(r->base), 0x4e000000);
    assert_true(r->no_map);
    r = find_resv("shm@4f000000");
    assert_int_equal(r->size, 0x200000);
    assert_false(r->no_map);
    r = find_resv("module");
    assert_int_equal(pa_addr(r->base), 0x50000000);
    assert_int_equal(r->size, 0x200000);
    /* cpu@100 is disabled. */
    assert_int_equal(bi.nr_cpus, 2);
    assert_int_equal(bi.nr_cpus_dt, 2);
    assert_int_equal(bi.cpu_hwid[0], 0);
    assert_int_equal(bi.cpu_hwid[1], 0x200);
    /* stdout-path names the PL011 although an NS16550 comes first. */
    assert_non_null(bi.uart.drv);
    assert_string_equal(bi.uart.drv->name, "pl011");
    assert_int_equal(pa_addr(bi.uart.base), 0x9000000);
    assert_int_equal(bi.uart.size, 0x1000);
    assert_int_equal(bi.uart.reg_shift, 0);
    /* xen,xen-bootargs wins over bootargs. */
    assert_string_equal(bi.bootargs, "selftest=tick loglvl=all");
    /* The fake arch's part. */
    assert_string_equal(bi.irqc.compat, "arm,gic-v3");
    assert_int_equal(bi.irqc.nr_reg, 2);
    assert_int_equal(pa_addr(bi.irqc.reg[1].base), 0x80a0000);
    assert_int_equal(bi.timer.freq, 62500000);
    assert_int_equal(fake_console_text()[0], '\0');

    board_print(&bi);
    assert_true(fake_console_contains("dt: model \"bulkhead,unit-test-board\""));
    assert_true(fake_console_contains("dt: memory  0x0040000000-0x007fffffff (1024 MiB)"));
    assert_true(fake_console_contains("secmon@4e000000 (no-map)"));
    assert_true(fake_console_contains("dt: 2 CPUs: 0x0 0x200\r\n"));
    assert_true(fake_console_contains("dt: uart pl011 at 0x9000000"));
    assert_true(fake_console_contains("dt: bootargs \"selftest=tick loglvl=all\""));
}

static void test_stdout_path_alias_and_fallback(void **state)
{
    (void)state;
    OK(board_parse(build(STDOUT_ALIAS), &bi));
    assert_string_equal(bi.uart.drv->name, "pl011");
    assert_int_equal(pa_addr(bi.uart.base), 0x9000000);
    /* Without stdout-path: the first UART a driver knows, with its reg-shift. */
    OK(board_parse(build(NO_STDOUT_PATH), &bi));
    assert_string_equal(bi.uart.drv->name, "ns16550");
    assert_int_equal(pa_addr(bi.uart.base), 0x10000000);
    assert_int_equal(bi.uart.reg_shift, 2);
    /* stdout-path names a disabled UART: fall back to an enabled one. */
    OK(board_parse(build(PL011_DISABLED), &bi));
    assert_string_equal(bi.uart.drv->name, "ns16550");
}

static void test_bootargs_choice(void **state)
{
    (void)state;
    OK(board_parse(build(NO_XEN_BOOTARGS), &bi));
    assert_string_equal(bi.bootargs, "console=ttyAMA0");
    OK(board_parse(build(NO_XEN_BOOTARGS | NO_BOOTARGS), &bi));
    assert_string_equal(bi.bootargs, "");
    fake_console_reset();
    board_print(&bi);
    assert_false(fake_console_contains("bootargs"));
}

static void test_no_memory(void **state)
{
    (void)state;
    assert_int_equal(board_parse(build(NO_MEMORY), &bi), -ENOENT);
    assert_true(fake_console_contains("dt: no memory: the device tree has no memory node"));
    fake_console_reset();
    assert_int_equal(board_parse(build(ZERO_MEMORY), &bi), -ENOENT);
    assert_true(fake_console_contains("dt: no memory"));
}

static void test_no_uart(void **state)
{
    (void)state;
    assert_int_equal(board_parse(build(NO_UART), &bi), -ENOENT);
    assert_true(fake_console_contains("dt: no UART"));
    fake_console_reset();
    assert_int_equal(board_parse(build(UART_DISABLED), &bi), -ENOENT);
    assert_true(fake_console_contains("dt: no UART"));
}

static void test_no_cpus(void **state)
{
    (void)state;
    assert_int_equal(board_parse(build(NO_CPUS), &bi), -ENOENT);
    assert_true(fake_console_contains("dt: no /cpus node"));
}

static void test_more_cpus_than_max(void **state)
{
    (void)state;
    OK(board_parse(build(MANY_CPUS), &bi));
    assert_int_equal(bi.nr_cpus, MAX_CPUS);
    assert_int_equal(bi.nr_cpus_dt, 11); /* 12 nodes, one disabled */
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        assert_int_equal(bi.cpu_hwid[i], (i == 0 ? 0 : i + 1) * 0x100);
    }
    board_print(&bi);
    assert_true(fake_console_contains("dt: 11 CPUs in the device tree; using the first 8"));
}

static void test_too_many_reserved(void **state)
{
    char msg[64];

    (void)state;
    assert_int_equal(board_parse(build(MANY_RESERVED), &bi), -ENOSPC);
    snprintf(msg, sizeof(msg), "dt: too many reserved ranges (max %d)", BOARD_MAX_RESV);
    assert_true(fake_console_contains(msg));
    assert_int_equal(bi.nr_resv, BOARD_MAX_RESV);
}

static void test_bad_blobs(void **state)
{
    void *fdt;
    uint64_t seed = 7;

    (void)state;
    /* Bad magic. */
    fdt = build(0);
    ((uint8_t *)fdt)[0] ^= 0xff;
    assert_int_equal(board_parse(fdt, &bi), -EINVAL);
    assert_true(fake_console_contains("dt: bad device tree at 0x"));
    assert_true(fake_console_contains("FDT_ERR_BADMAGIC"));
    /* Truncated: the header's total size no longer holds its blocks. */
    fake_console_reset();
    fdt = build(0);
    fdt_set_totalsize(fdt, fdt_off_dt_strings(fdt) - 8);
    assert_int_equal(board_parse(fdt, &bi), -EINVAL);
    assert_true(fake_console_contains("dt: bad device tree"));
    assert_true(fake_console_contains("FDT_ERR_TRUNCATED"));
    /* Claims to be bigger than any board's. */
    fake_console_reset();
    fdt = build(0);
    fdt_set_totalsize(fdt, 32u << 20);
    fdt_set_size_dt_struct(fdt, 32u << 20); /* keep the blocks inside it */
    assert_int_equal(board_parse(fdt, &bi), -EINVAL);
    assert_true(fake_console_contains("dt: bad device tree"));
    /* Garbage. */
    for (unsigned round = 0; round < 100; round++) {
        for (unsigned i = 0; i < 64; i++) {
            dtb[i] = unit_rand(&seed);
        }
        fake_console_reset();
        assert_int_equal(board_parse(dtb, &bi), -EINVAL);
        assert_true(fake_console_contains("dt: bad device tree"));
    }
    memset(dtb, 0, 256);
    assert_int_equal(board_parse(dtb, &bi), -EINVAL);
    /* No tree, or a misaligned one. */
    fake_console_reset();
    assert_int_equal(board_parse(NULL, &bi), -EINVAL);
    assert_true(fake_console_contains("dt: no device tree"));
    fdt = build(0);
    assert_int_equal(board_parse((uint8_t *)fdt + 4, &bi), -EINVAL);
}

static void test_arch_failure_propagates(void **state)
{
    (void)state;
    fake_dt_parse_rc = -ENODEV;
    assert_int_equal(board_parse(build(0), &bi), -ENODEV);
    assert_true(fake_console_contains("fake arch refuses"));
    fake_dt_parse_rc = 0;
}

static void test_dt_helpers(void **state)
{
    void *fdt = build(0);
    static const char *const list[] = {"arm,pl031", "arm,pl011", NULL};
    static const char *const none[] = {"nope,nothing", NULL};
    const char *match = NULL;
    struct mem_range r;
    uint64_t v;
    int node;

    (void)state;
    node = dt_find_compatible(fdt, list, &match);
    assert_true(node >= 0);
    assert_string_equal(match, "arm,pl011");
    assert_int_equal(dt_find_compatible(fdt, none, NULL), -ENOENT);
    /* 1-cell addresses and sizes under domU1. */
    node = fdt_path_offset(fdt, "/chosen/domU1/module@50000000");
    assert_true(node >= 0);
    OK(dt_read_reg(fdt, node, 0, &r));
    assert_int_equal(pa_addr(r.base), 0x50000000);
    assert_int_equal(dt_read_reg(fdt, node, 1, &r), -ENOENT);
    assert_int_equal(dt_read_reg(fdt, 0, 0, &r), -EINVAL); /* the root has no parent */
    node = fdt_path_offset(fdt, "/timer");
    assert_int_equal(dt_read_reg(fdt, node, 0, &r), -ENOENT);
    OK(dt_read_u64(fdt, node, "clock-frequency", &v));
    assert_int_equal(v, 62500000);
    assert_int_equal(dt_read_u64(fdt, node, "compatible", &v), -ENOENT);
    assert_int_equal(dt_read_u64(fdt, node, "missing", &v), -ENOENT);
    node = fdt_path_offset(fdt, "/memory@40000000");
    OK(dt_read_reg(fdt, node, 1, &r));
    assert_int_equal(pa_addr(r.base), 0x100000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_good_tree, setup),
        cmocka_unit_test_setup(test_stdout_path_alias_and_fallback, setup),
        cmocka_unit_test_setup(test_bootargs_choice, setup),
        cmocka_unit_test_setup(test_no_memory, setup),
        cmocka_unit_test_setup(test_no_uart, setup),
        cmocka_unit_test_setup(test_no_cpus, setup),
        cmocka_unit_test_setup(test_more_cpus_than_max, setup),
        cmocka_unit_test_setup(test_too_many_reserved, setup),
        cmocka_unit_test_setup(test_bad_blobs, setup),
        cmocka_unit_test_setup(test_arch_failure_propagates, setup),
        cmocka_unit_test_setup(test_dt_helpers, setup),
    };

    return cmocka_run_group_tests_name("board", tests, NULL, NULL);
}

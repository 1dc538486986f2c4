/* SPDX-License-Identifier: MIT */
/* Domain runtime: device tree, bootargs, shutdown, time and the free-RAM walk. */
#include <libfdt.h>
#include <string.h>

#include "dom/dom.h"

#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

struct dom_info dom_info = {.bootargs = ""};
void (*dom_fault_hook)(const struct dom_fault *f);

static uint64_t fdt_read_cells(const fdt32_t *p, int cells)
{
    uint64_t v = 0;

    for (int i = 0; i < cells; i++) {
        v = (v << 32) | fdt32_to_cpu(p[i]);
    }
    return v;
}

static int init_memory(const void *fdt)
{
    int ac = fdt_address_cells(fdt, 0);
    int sc = fdt_size_cells(fdt, 0);
    int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
    const fdt32_t *reg;
    int len;

    if (node < 0 || ac < 1 || ac > 2 || sc < 1 || sc > 2) {
        return -XEN_EINVAL;
    }
    reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || len < (int)sizeof(fdt32_t) * (ac + sc)) {
        return -XEN_EINVAL;
    }
    dom_info.ram_base = fdt_read_cells(reg, ac);
    dom_info.ram_size = fdt_read_cells(reg + ac, sc);
    return 0;
}

static uint64_t fdt_timebase(const void *fdt)
{
    int node = fdt_path_offset(fdt, "/cpus");
    const fdt32_t *p;
    int len;

    if (node < 0) {
        return 0;
    }
    p = fdt_getprop(fdt, node, "timebase-frequency", &len);
    if (!p || (len != 4 && len != 8)) {
        return 0;
    }
    return fdt_read_cells(p, len / 4);
}

static unsigned fdt_count_cpus(const void *fdt)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    unsigned n = 0;
    int node;

    if (cpus >= 0) {
        fdt_for_each_subnode(node, fdt, cpus)
        {
            const char *type = fdt_getprop(fdt, node, "device_type", NULL);

            n += type && !strcmp(type, "cpu");
        }
    }
    return n ? n : 1;
}

/* /chosen linux,initrd-start/-end (one or two cells each), as Linux reads them. */
static uint64_t chosen_addr(const void *dtb, int node, const char *prop)
{
    int len;
    const fdt32_t *p = fdt_getprop(dtb, node, prop, &len);

    if (!p || (len != 4 && len != 8)) {
        return 0;
    }
    return len == 4 ? fdt32_to_cpu(p[0]) : (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]);
}

static void read_initrd(const void *dtb, int chosen)
{
    uint64_t s = chosen < 0 ? 0 : chosen_addr(dtb, chosen, "linux,initrd-start");
    uint64_t e = chosen < 0 ? 0 : chosen_addr(dtb, chosen, "linux,initrd-end");

    if (s && e > s && s >= dom_info.ram_base && e <= dom_info.ram_base + dom_info.ram_size) {
        dom_info.initrd_start = s;
        dom_info.initrd_end = e;
    }
}

int dom_init(void *dtb)
{
    int node;
    const char *args;
    int err = fdt_check_header(dtb);

    if (err) {
        dom_printf("dom: bad device tree at %p: %s\n", dtb, fdt_strerror(err));
        return -XEN_EINVAL;
    }
    dom_info.fdt = dtb;
    dom_info.fdt_size = fdt_totalsize(dtb);
    if (init_memory(dtb)) {
        dom_printf("dom: no usable /memory node\n");
        return -XEN_EINVAL;
    }
    node = fdt_path_offset(dtb, "/chosen");
    args = node < 0 ? NULL : fdt_getprop(dtb, node, "bootargs", NULL);
    dom_info.bootargs = args ? args : "";
    read_initrd(dtb, node);
    dom_info.nr_cpus = fdt_count_cpus(dtb);
    dom_info.timer_hz = dom_arch_counter_freq();
    if (!dom_info.timer_hz) {
        dom_info.timer_hz = fdt_timebase(dtb);
    }
    if (!dom_info.timer_hz) {
        dom_printf("dom: counter frequency unknown, assuming 10 MHz\n");
        dom_info.timer_hz = 10000000;
    }
    return 0;
}

void dom_shutdown(unsigned int reason)
{
    struct sched_shutdown sd = {.reason = reason};

    HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
    dom_arch_firmware_off(reason == SHUTDOWN_reboot, reason == SHUTDOWN_crash);
    for (;;) {
        dom_arch_idle();
    }
}

void dom_exit(int status)
{
    dom_shutdown(status == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

/* ---- bootargs ---- */

/* Find @key as a whole word; returns the start of its value ("" for a bare key). */
static const char *arg_find(const char *key, size_t *vlen)
{
    const char *p = dom_info.bootargs;
    size_t klen = strlen(key);

    while (*p) {
        const char *w = p;
        size_t wlen = 0;

        while (w[wlen] && w[wlen] != ' ') {
            wlen++;
        }
        if (wlen >= klen && !strncmp(w, key, klen) && (wlen == klen || w[klen] == '=')) {
            size_t skip = wlen == klen ? klen : klen + 1;

            *vlen = wlen - skip;
            return w + skip;
        }
        p = w + wlen;
        while (*p == ' ') {
            p++;
        }
    }
    return NULL;
}

bool dom_arg(const char *key, char *buf, size_t size)
{
    size_t len;
    const char *v = arg_find(key, &len);

    if (!v) {
        return false;
    }
    if (size) {
        if (len >= size) {
            len = size - 1;
        }
        memcpy(buf, v, len);
        buf[len] = '\0';
    }
    return true;
}

bool dom_arg_is(const char *key, const char *value)
{
    size_t len;
    const char *v = arg_find(key, &len);

    return v && len == strlen(value) && !strncmp(v, value, len);
}

bool dom_parse_u64(const char *s, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        unsigned d;

        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = (unsigned)(*s - 'a' + 10);
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = (unsigned)(*s - 'A' + 10);
        } else {
            break;
        }
        v = v * base + d;
    }
    switch (*s) {
    case '\0':
        break;
    case 'k':
    case 'K':
        v <<= 10;
        s++;
        break;
    case 'm':
    case 'M':
        v <<= 20;
        s++;
        break;
    case 'g':
    case 'G':
        v <<= 30;
        s++;
        break;
    default:
        return false;
    }
    if (*s) {
        return false;
    }
    *out = v;
    return true;
}

uint64_t dom_arg_u64(const char *key, uint64_t dflt)
{
    char buf[32];
    uint64_t v;

    if (!dom_arg(key, buf, sizeof(buf)) || !dom_parse_u64(buf, &v)) {
        return dflt;
    }
    return v;
}

/* ---- time ---- */

uint64_t dom_now_ns(void)
{
    return dom_ticks_to_ns(dom_arch_counter());
}

uint64_t dom_ticks_to_ns(uint64_t c)
{
    uint64_t hz = dom_info.timer_hz;

    /* Split to avoid overflowing c * 1e9 (which takes c > 1.8e10, minutes at 62.5 MHz). */
    return c / hz * 1000000000ull + c % hz * 1000000000ull / hz;
}

void dom_sleep_ms(uint64_t ms)
{
    uint64_t end = dom_now_ns() + ms * 1000000ull;

    while (dom_now_ns() < end) {
        struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = end, .flags = 0};

        /* The timer is per vCPU and can only be set on oneself. */
        if (HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, dom_vcpu_self(), &t) < 0) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    }
}

/* ---- free RAM ---- */

static uint64_t page_down(uint64_t a)
{
    return a & ~(DOM_PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t a)
{
    return page_down(a + DOM_PAGE_SIZE - 1);
}

bool dom_free_next(uint64_t from, uint64_t *start, uint64_t *end)
{
    /* The reserved ranges, page-rounded outwards. */
    const uint64_t rsv[3][2] = {
        {page_down((uint64_t)(uintptr_t)__image_start), page_up((uint64_t)(uintptr_t)__image_end)},
        {page_down((uint64_t)(uintptr_t)dom_info.fdt),
         page_up((uint64_t)(uintptr_t)dom_info.fdt + dom_info.fdt_size)},
        {page_down(dom_info.initrd_start), page_up(dom_info.initrd_end)},
    };
    uint64_t ram_end = dom_info.ram_base + dom_info.ram_size;
    uint64_t s = page_up(from < dom_info.ram_base ? dom_info.ram_base : from);
    bool moved = true;

    /* Skip forward past any reserved range s falls into, until none does. */
    while (moved) {
        moved = false;
        for (int i = 0; i < 3; i++) {
            if (s >= rsv[i][0] && s < rsv[i][1]) {
                s = rsv[i][1];
                moved = true;
            }
        }
    }
    if (s >= page_down(ram_end)) {
        return false;
    }
    *start = s;
    *end = page_down(ram_end);
    for (int i = 0; i < 3; i++) {
        if (rsv[i][0] > s && rsv[i][0] < *end) {
            *end = rsv[i][0];
        }
    }
    return true;
}

/* SPDX-License-Identifier: MIT */
/*
 * hypercalls: every hypercall the hypervisor implements for guests, with good and bad
 * arguments (unmapped pointers, unknown numbers and subcommands), the singleshot timer,
 * shared_info mapping, and guest-virtual pointers through our own stage-1 tables.
 * Bootargs: hyp=<hypervisor's host-physical address> (optional).
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/features.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#define PAGE __attribute__((aligned(4096)))

/* The page whose guest frame becomes shared_info, and one for vcpu_info. */
static volatile uint64_t shinfo_page[512] PAGE;
static volatile uint8_t vcpu_info_page[4096] PAGE;
/* What the stage-1 alias maps onto. */
static volatile char alias_buf[4096] PAGE;

/* Bad guest pointers, each with a short label for the check names. */
struct bad_ptr {
    const char *label;
    unsigned long addr;
};

static unsigned bad_ptrs(struct bad_ptr out[3])
{
    uint64_t hyp = dom_arg_u64("hyp", 0);
    unsigned n = 0;

    out[n++] = (struct bad_ptr){"low", 0x10};
    out[n++] = (struct bad_ptr){"ram-end", tg_ram_end()};
    if (hyp && !tg_in_ram(hyp, 1)) {
        out[n++] = (struct bad_ptr){"hyp", hyp};
    } else if (hyp) {
        dom_printf("INFO hyp=0x%lx is inside own RAM (guest-physical): not a bad pointer\n", hyp);
    }
    return n;
}

static void expect_named(const char *what, const char *label, long got, long want)
{
    char name[64];

    fmt_snprintf(name, sizeof(name), "%s-%s", what, label);
    test_expect(name, got, want);
}

static void test_xen_version(void)
{
    xen_extraversion_t extra;
    struct xen_feature_info fi = {.submap_idx = 0};
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    long r;

    test_check(v > 0, "xen_version-version", "got %ld", v);
    dom_printf("INFO xen_version %ld.%ld\n", v >> 16, v & 0xffff);

    memset(extra, 0x7f, sizeof(extra));
    r = HYPERVISOR_xen_version(XENVER_extraversion, extra);
    test_check(r == 0 && memchr(extra, 0, sizeof(extra)), "xen_version-extraversion",
               "ret %ld, terminated %d", r, memchr(extra, 0, sizeof(extra)) != NULL);
    if (memchr(extra, 0, sizeof(extra))) {
        dom_printf("INFO extraversion \"%s\"\n", extra);
    }

    fi.submap = 0;
    r = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    test_check(r == 0 && (fi.submap & (1u << XENFEAT_auto_translated_physmap)),
               "xen_version-features", "ret %ld, submap 0x%x", r, fi.submap);
    fi.submap_idx = 1000;
    test_expect("xen_version-features-bad-submap", HYPERVISOR_xen_version(XENVER_get_features, &fi),
                -XEN_EINVAL);
    test_expect("xen_version-pagesize", HYPERVISOR_xen_version(XENVER_pagesize, NULL), 4096);
    test_expect("xen_version-bad-cmd", HYPERVISOR_xen_version(0x7fff, NULL), -XEN_ENOSYS);
}

/* Xen's CONSOLEIO_write returns 0; returning the count is as good for Linux's hvc_xen,
 * which only checks for < 0. */
static void expect_written(const char *name, long got, long count)
{
    test_check(got == 0 || got == count, name, "got %ld, want 0 or %ld", got, count);
}

static void test_console_io(void)
{
    static const char embedded[] = "EMBED line one\nEMBED line two\n";
    char longline[400];
    size_t n = 0;
    uint64_t end = tg_ram_end();
    long r;

    expect_written("console_io-write", dom_write("console_io: hello\n", 18), 18);
    n = (size_t)fmt_snprintf(longline, sizeof(longline), "LONGLINE ");
    while (n < sizeof(longline) - 6) {
        longline[n] = (char)('a' + n % 26);
        n++;
    }
    memcpy(longline + n, " END\n", 5);
    n += 5;
    expect_written("console_io-long", dom_write(longline, n), (long)n);
    expect_written("console_io-embedded-newline", dom_write(embedded, sizeof(embedded) - 1),
                   sizeof(embedded) - 1);
    test_expect("console_io-empty", HYPERVISOR_console_io(CONSOLEIO_write, 0, "x"), 0);
    /* A buffer starting in RAM and running past its end. */
    r = HYPERVISOR_console_io(CONSOLEIO_write, 64, (const char *)(uintptr_t)(end - 16));
    test_expect("console_io-past-ram-end", r, -XEN_EFAULT);
    test_expect("console_io-bad-cmd", HYPERVISOR_console_io(0x7fff, 1, "x"), -XEN_ENOSYS);
}

static void test_sched_op(void)
{
    test_expect("sched_op-yield", HYPERVISOR_sched_op(SCHEDOP_yield, NULL), 0);
    test_expect("sched_op-bad-cmd", HYPERVISOR_sched_op(0x7fff, NULL), -XEN_ENOSYS);
}

static void test_vcpu_op(void)
{
    struct vcpu_runstate_info rs;
    struct vcpu_register_vcpu_info vi = {
        .mfn = (uint64_t)(uintptr_t)vcpu_info_page >> 12,
        .offset = 4090, /* vcpu_info would cross the page end */
    };
    long r;

    test_expect("vcpu_op-is_up-0", HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    r = HYPERVISOR_vcpu_op(VCPUOP_is_up, 7, NULL);
    test_check(r == -XEN_ENOENT || r == -XEN_EINVAL, "vcpu_op-is_up-7", "got %ld, want %d or %d", r,
               -XEN_ENOENT, -XEN_EINVAL);

    memset(&rs, 0xff, sizeof(rs));
    r = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &rs);
    test_check(r == 0 && rs.state == RUNSTATE_running, "vcpu_op-runstate", "ret %ld, state %d", r,
               rs.state);
    dom_printf("INFO runstate running=%lu runnable=%lu blocked=%lu offline=%lu ns\n",
               rs.time[RUNSTATE_running], rs.time[RUNSTATE_runnable], rs.time[RUNSTATE_blocked],
               rs.time[RUNSTATE_offline]);

    test_expect("vcpu_op-register_vcpu_info-bad-offset",
                HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &vi), -XEN_EINVAL);
    vi.offset = 64;
    test_expect("vcpu_op-register_vcpu_info", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, &vi),
                0);
    test_expect("vcpu_op-bad-cmd", HYPERVISOR_vcpu_op(0x7fff, 0, NULL), -XEN_ENOSYS);
}

/* A 10 ms singleshot timer, then SCHEDOP_block: we must sleep about that long. */
static void test_timer(void)
{
    uint64_t t0 = dom_now_ns();
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = t0 + 10000000ull};
    uint64_t c0 = dom_arch_counter();
    long r = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
    long b;
    uint64_t ns;

    test_expect("vcpu_op-set_singleshot_timer", r, 0);
    dom_printf("INFO timer: now %lu ns, deadline %lu ns\n", t0, t.timeout_abs_ns);
    b = HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    ns = (dom_arch_counter() - c0) * 1000000000ull / dom_info.timer_hz;
    test_expect("sched_op-block", b, 0);
    test_check(r == 0 && ns >= 9000000 && ns < 5000000000ull, "timer-10ms",
               "blocked %lu ns (counter 0x%lx -> 0x%lx)", ns, c0, dom_arch_counter());
    test_expect("vcpu_op-stop_singleshot_timer",
                HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
}

/* XENMEM_add_to_physmap(shared_info) onto a page we filled: it must read fresh. */
static void test_shared_info(void)
{
    const uint64_t pattern = 0xa5a55a5aa5a55a5aull;
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uint64_t)(uintptr_t)shinfo_page >> 12,
    };
    unsigned stale = 0, nonzero = 0;
    long r;

    for (unsigned i = 0; i < 512; i++) {
        shinfo_page[i] = pattern;
    }
    r = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
    test_expect("memory_op-add_to_physmap-shared_info", r, 0);
    for (unsigned i = 0; i < 512; i++) {
        stale += shinfo_page[i] == pattern;
        nonzero += shinfo_page[i] != 0;
    }
    test_check(r == 0 && !stale, "shared_info-fresh", "%u of 512 words still hold our pattern",
               stale);
    dom_printf("INFO shared_info at gpfn 0x%lx: %u non-zero words\n", (uint64_t)xatp.gpfn, nonzero);

    xatp.space = 0x7fff;
    r = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
    test_check(r == -XEN_EINVAL || r == -XEN_ENOSYS || r == -XEN_EOPNOTSUPP,
               "memory_op-add_to_physmap-bad-space", "got %ld", r);
    test_expect("memory_op-bad-cmd", HYPERVISOR_memory_op(0x7fff, NULL), -XEN_ENOSYS);
}

/* Every pointer-taking call with pointers that are not mapped for the guest. */
static void test_efault(void)
{
    struct bad_ptr bp[3];
    unsigned n = bad_ptrs(bp);

    for (unsigned i = 0; i < n; i++) {
        void *p = (void *)(uintptr_t)bp[i].addr;
        const char *l = bp[i].label;

        expect_named("efault-xen_version-extraversion", l,
                     HYPERVISOR_xen_version(XENVER_extraversion, p), -XEN_EFAULT);
        expect_named("efault-xen_version-features", l,
                     HYPERVISOR_xen_version(XENVER_get_features, p), -XEN_EFAULT);
        expect_named("efault-console_io", l, HYPERVISOR_console_io(CONSOLEIO_write, 8, p),
                     -XEN_EFAULT);
        expect_named("efault-sched_op-shutdown", l, HYPERVISOR_sched_op(SCHEDOP_shutdown, p),
                     -XEN_EFAULT);
        expect_named("efault-vcpu_op-runstate", l,
                     HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, p), -XEN_EFAULT);
        expect_named("efault-vcpu_op-singleshot", l,
                     HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, p), -XEN_EFAULT);
        expect_named("efault-memory_op-add_to_physmap", l,
                     HYPERVISOR_memory_op(XENMEM_add_to_physmap, p), -XEN_EFAULT);
    }
}

static void test_unknown_hypercalls(void)
{
    static const unsigned long ops[] = {63, 64, 1000, 0x7fffffffffffffffull, ~0ull};
    char name[48];

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        fmt_snprintf(name, sizeof(name), "enosys-hypercall-0x%lx", ops[i]);
        test_expect(name, dom_hypercall(ops[i], 0, 0, 0, 0, 0), -XEN_ENOSYS);
    }
}

/*
 * Turn our stage-1 MMU on with an alias VA (outside RAM, so unmapped at stage 2) onto
 * alias_buf: the hypervisor must translate hypercall pointers through our tables.
 */
static void test_stage1(void)
{
    uint64_t va = dom_arch_alias_va();
    struct dom_mmu_layout l = {
        .ram_base = dom_info.ram_base,
        .ram_size = dom_info.ram_size,
        .alias_va = va,
        .alias_pa = (uint64_t)(uintptr_t)alias_buf,
        .alias_size = sizeof(alias_buf),
    };
    static const char ident[] = "STAGE1 identity VA ok\n";
    char line[80];
    int len = fmt_snprintf(line, sizeof(line), "STAGE1 console_io through VA 0x%lx\n", va);
    long r_print, r_write, r_unmapped, r_low, r_ident;
    bool a0, d0, a1, d1, tracked;
    int err;

    for (int i = 0; i <= len; i++) {
        alias_buf[i] = line[i];
    }
    for (int i = 0; i < 16; i++) {
        alias_buf[2048 + i] = 0x7f;
    }
    err = dom_arch_mmu_on(&l);
    if (err) {
        test_fail("stage1", "cannot build the tables: %d", err);
        return;
    }
    /* Only hypercalls while translation is on: results are reported once it is off. */
    r_print = HYPERVISOR_console_io(CONSOLEIO_write, len, (const char *)(uintptr_t)va);
    tracked = dom_arch_alias_ad(&a0, &d0);
    r_write = HYPERVISOR_xen_version(XENVER_extraversion, (void *)(uintptr_t)(va + 2048));
    dom_arch_alias_ad(&a1, &d1);
    r_unmapped = HYPERVISOR_console_io(CONSOLEIO_write, 8,
                                       (const char *)(uintptr_t)(va + sizeof(alias_buf)));
    r_low = HYPERVISOR_console_io(CONSOLEIO_write, 8, (const char *)0x10);
    r_ident = HYPERVISOR_console_io(CONSOLEIO_write, sizeof(ident) - 1, ident);
    dom_arch_mmu_off();

    expect_written("stage1-console_io-alias", r_print, len);
    test_check(
        r_write == 0 && alias_buf[2048] != 0x7f && memchr((const void *)&alias_buf[2048], 0, 16),
        "stage1-xen_version-write-alias", "ret %ld, first byte 0x%x", r_write, alias_buf[2048]);
    if (tracked) {
        /* The hypervisor's read set A only; its write then set D, as hardware would. */
        test_check(a0 && !d0, "stage1-ad-read", "after a read: A %d D %d", a0, d0);
        test_check(a1 && d1, "stage1-ad-write", "after a write: A %d D %d", a1, d1);
    } else {
        dom_printf("INFO stage1-ad: access/dirty bits are preset on this arch\n");
    }
    test_expect("stage1-unmapped-va", r_unmapped, -XEN_EFAULT);
    test_expect("stage1-low-va", r_low, -XEN_EFAULT);
    expect_written("stage1-identity-va", r_ident, sizeof(ident) - 1);
}

int mode_hypercalls(void)
{
    test_xen_version();
    test_console_io();
    test_sched_op();
    test_vcpu_op();
    test_shared_info();
    test_timer();
    test_efault();
    test_unknown_hypercalls();
    test_stage1();
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Domains (hypervisor/domain), the scheduler's placement (hypervisor/sched) and the
 * hypercall handlers (hypervisor/hypercall) against the fake arch: creation and
 * teardown return every page, quotas and bad configurations are refused, and every
 * guest-reachable hypercall path rejects bad input with Xen's error codes.
 */
#include <stdio.h>

#include "core_env.h"

#include <xen/xen.h>

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/xen.h>

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

#define RAM_SIZE  (64 * MIB)
#define GUEST_RAM (4 * MIB)

static uint8_t *ram;
static uint64_t free0;

static int setup(void **state)
{
    (void)state;
    ram = core_env_setup(RAM_SIZE, &free0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    core_env_teardown(ram, free0, false);
    return 0;
}

static struct domain *create(const char *name, uint64_t ram_size, unsigned vcpus)
{
    struct domain_config cfg = {.name = name, .ram_size = ram_size, .nr_vcpus = vcpus};
    struct domain *d = NULL;

    assert_int_equal(domain_create(&cfg, &d), 0);
    assert_non_null(d);
    return d;
}

/* A previous tenant: fill every free page with a pattern and give them back. */
static void dirty_free_memory(void)
{
    paddr_t blocks[RAM_SIZE / PAGE_SIZE];
    unsigned n = 0;

    while (page_alloc(0, &blocks[n]) == 0) {
        memset(pa_va(blocks[n]), 0xa5, PAGE_SIZE);
        n++;
    }
    while (n--) {
        page_free(blocks[n], 0);
    }
}

static void test_create_maps_zeroed_ram(void **state)
{
    struct domain *d;
    paddr_t pa;
    unsigned attr;

    (void)state;
    dirty_free_memory();
    d = create("scrubbed", GUEST_RAM, 2);
    assert_true(d->id >= 1 && d->id < MAX_DOMAINS);
    for (uint64_t off = 0; off < GUEST_RAM; off += PAGE_SIZE) {
        const uint8_t *p;

        assert_int_equal(pt_lookup(&d->p2m.pt, FAKE_GUEST_RAM_BASE + off, &pa, &attr), 0);
        assert_true(attr & PT_W);
        p = pa_va(pa);
        for (unsigned i = 0; i < PAGE_SIZE; i += 64) {
            assert_int_equal(p[i], 0);
        }
    }
    /* Nothing is mapped past the end of RAM or below it. */
    assert_int_equal(pt_lookup(&d->p2m.pt, FAKE_GUEST_RAM_BASE + GUEST_RAM, &pa, NULL), -ENOENT);
    assert_int_equal(pt_lookup(&d->p2m.pt, FAKE_GUEST_RAM_BASE - PAGE_SIZE, &pa, NULL), -ENOENT);
    assert_int_equal(d->nr_vcpus, 2);
    assert_true(d->quota.used <= d->quota.max);
    domain_destroy(d);
}

static void test_create_destroy_1000_leaks_nothing(void **state)
{
    uint64_t before = page_alloc_free_pages();

    (void)state;
    for (unsigned i = 0; i < 1000; i++) {
        struct domain *a = create("a", GUEST_RAM + (i % 7) * PAGE_SIZE, 1 + i % MAX_VCPUS);
        struct domain *b = create("b", 2 * MIB, 1);

        domain_destroy(i % 2 ? a : b);
        domain_destroy(i % 2 ? b : a);
    }
    assert_int_equal(page_alloc_free_pages(), before);
    for (unsigned i = 0; i < nr_pcpus; i++) {
        assert_int_equal(pcpus[i].nr_vcpus, 0);
    }
}

static void test_bad_configs_refused(void **state)
{
    struct domain_config cfg = {.name = "x", .ram_size = GUEST_RAM, .nr_vcpus = 1};
    uint64_t before = page_alloc_free_pages();
    struct domain *d;

    (void)state;
    cfg.nr_vcpus = 0;
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.nr_vcpus = MAX_VCPUS + 1;
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.nr_vcpus = 1;
    cfg.ram_size = 0;
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.ram_size = GUEST_RAM + 1;
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.ram_size = FAKE_GUEST_RAM_MAX + PAGE_SIZE;
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.ram_size = GUEST_RAM;
    cfg.name = "";
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    cfg.name = "a-name-that-is-much-too-long-for-a-domain";
    assert_int_equal(domain_create(&cfg, &d), -EINVAL);
    assert_int_equal(page_alloc_free_pages(), before);
}

static void test_out_of_memory_unwinds(void **state)
{
    uint64_t before = page_alloc_free_pages();
    struct domain_config cfg = {.name = "huge", .ram_size = RAM_SIZE, .nr_vcpus = 1};
    struct domain *d;

    (void)state;
    assert_int_equal(domain_create(&cfg, &d), -ENOMEM);
    assert_int_equal(page_alloc_free_pages(), before);
}

static void test_ids_run_out_and_come_back(void **state)
{
    struct domain *doms[MAX_DOMAINS];
    struct domain_config cfg = {.name = "x", .ram_size = 64 * KIB, .nr_vcpus = 1};
    struct domain *d;
    unsigned n = 0;

    (void)state;
    while (n < MAX_DOMAINS - 1) {
        assert_int_equal(domain_create(&cfg, &doms[n]), 0);
        n++;
    }
    domid_t freed;

    assert_int_equal(domain_create(&cfg, &d), -ENOSPC);
    freed = doms[5]->id;
    domain_destroy(doms[5]);
    assert_int_equal(domain_create(&cfg, &d), 0);
    assert_int_equal(d->id, freed); /* the only free id */
    domain_destroy(d);
    for (unsigned i = 0; i < n; i++) {
        if (i != 5) {
            domain_destroy(doms[i]);
        }
    }
    assert_int_equal(domain_count(), 0);
}

static void test_ids_are_not_reused_at_once(void **state)
{
    struct domain *a = create("a", 64 * KIB, 1);
    domid_t first = a->id;
    struct domain *b;

    (void)state;
    domain_destroy(a);
    b = create("b", 64 * KIB, 1);
    assert_int_not_equal(b->id, first);
    domain_destroy(b);
}

static void test_quota_is_enforced(void **state)
{
    struct domain *d = create("quota", GUEST_RAM, 1);
    paddr_t pa[1024];
    int rc = 0;
    unsigned got = 0;

    (void)state;
    while (got < ARRAY_SIZE(pa) && (rc = domain_alloc_pages(d, 0, &pa[got])) == 0) {
        got++;
    }
    assert_int_equal(rc, -ENOMEM);
    assert_true(got < 1024);
    assert_int_equal(d->quota.used, d->quota.max);
    while (got--) {
        domain_free_pages(d, pa[got], 0);
    }
    domain_destroy(d);
}

static void test_vcpus_spread_over_cpus(void **state)
{
    struct domain *a = create("a", GUEST_RAM, 1);
    struct domain *b = create("b", GUEST_RAM, 1);

    (void)state;
    assert_int_not_equal(a->vcpus[0]->pcpu, b->vcpus[0]->pcpu);
    domain_destroy(a);
    domain_destroy(b);
}

/* ---- hypercalls, as a running vCPU of a started domain ---- */

static struct domain *running(void)
{
    struct domain *d = create("guest", GUEST_RAM, 2);

    domain_start(d, FAKE_GUEST_RAM_BASE, FAKE_GUEST_RAM_BASE + GUEST_RAM - 2 * MIB);
    pcpus[0].curr = d->vcpus[0];
    return d;
}

/* Does the console show "(d<id>) <text>" for @d? */
static bool console_has(const struct domain *d, const char *text)
{
    char line[160];

    snprintf(line, sizeof(line), "(d%u) %s", d->id, text);
    return fake_console_contains(line);
}

/* A hypercall as vCPU 0 of @d (tests/unit/core_env.h). */
static int64_t hc(struct domain *d, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return core_env_hypercall(d->vcpus[0], nr, a0, a1, a2);
}

#define G(off) (FAKE_GUEST_RAM_BASE + (off))

static void test_unknown_hypercalls_enosys(void **state)
{
    struct domain *d = running();

    (void)state;
    assert_int_equal(hc(d, 63, 0, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, 1000, 0, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, UINT64_MAX, 0, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, __HYPERVISOR_multicall, 0, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, __HYPERVISOR_grant_table_op, 99, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, __HYPERVISOR_xen_version, 99, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, __HYPERVISOR_sched_op, 99, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, 99, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, __HYPERVISOR_memory_op, 99, 0, 0), -ENOSYS);
    assert_int_equal(hc(d, __HYPERVISOR_console_io, 99, 0, 0), -ENOSYS);
    domain_destroy(d);
}

static void test_xen_version(void **state)
{
    struct domain *d = running();
    xen_feature_info_t *fi = core_env_gpa(d, G(0x1000));

    (void)state;
    assert_int_equal(hc(d, __HYPERVISOR_xen_version, XENVER_version, 0, 0), (4 << 16) | 17);
    assert_int_equal(hc(d, __HYPERVISOR_xen_version, XENVER_pagesize, 0, 0), 4096);
    fi->submap_idx = 0;
    assert_int_equal(hc(d, __HYPERVISOR_xen_version, XENVER_get_features, G(0x1000), 0), 0);
    assert_true(fi->submap & (1u << XENFEAT_auto_translated_physmap));
    fi->submap_idx = 1;
    assert_int_equal(hc(d, __HYPERVISOR_xen_version, XENVER_get_features, G(0x1000), 0), -EINVAL);
    assert_int_equal(hc(d, __HYPERVISOR_xen_version, XENVER_extraversion, G(0x2000), 0), 0);
    assert_string_equal((char *)core_env_gpa(d, G(0x2000)), "-bulkhead");
    domain_destroy(d);
}

static void test_bad_pointers_efault(void **state)
{
    struct domain *d = running();
    const uint64_t bad[] = {0,
                            0x10,
                            FAKE_GUEST_RAM_BASE - 8,
                            G(GUEST_RAM),
                            G(GUEST_RAM - 2),
                            (uint64_t)(uintptr_t)ram,
                            UINT64_MAX - 3};

    (void)state;
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(hc(d, __HYPERVISOR_xen_version, XENVER_get_features, bad[i], 0), -EFAULT);
        assert_int_equal(hc(d, __HYPERVISOR_xen_version, XENVER_extraversion, bad[i], 0), -EFAULT);
        assert_int_equal(hc(d, __HYPERVISOR_console_io, CONSOLEIO_write, 16, bad[i]), -EFAULT);
        assert_int_equal(hc(d, __HYPERVISOR_sched_op, SCHEDOP_shutdown, bad[i], 0), -EFAULT);
        assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, bad[i]), -EFAULT);
        assert_int_equal(hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, bad[i], 0), -EFAULT);
    }
    /* A write that starts in RAM and runs past its end. */
    assert_int_equal(hc(d, __HYPERVISOR_console_io, CONSOLEIO_write, 64, G(GUEST_RAM - 32)),
                     -EFAULT);
    assert_int_equal(d->state, DOM_RUNNING);
    domain_destroy(d);
}

static void test_console_io(void **state)
{
    struct domain *d = running();
    char *buf = core_env_gpa(d, G(0x3000));

    (void)state;
    strcpy(buf, "hello\nworld\x1b[2J\n");
    assert_int_equal(hc(d, __HYPERVISOR_console_io, CONSOLEIO_write, strlen(buf), G(0x3000)), 0);
    assert_true(console_has(d, "hello\r\n"));
    assert_true(console_has(d, "world?[2J\r\n")); /* escapes neutralised */
    /* Any count, as in Xen: a long write is done in continuations; past RAM, -EFAULT. */
    assert_int_equal(hc(d, __HYPERVISOR_console_io, CONSOLEIO_write, 64 * 1024, G(0)), 0);
    assert_int_equal(hc(d, __HYPERVISOR_console_io, CONSOLEIO_write, 1 << 30, G(0)), -EFAULT);
    /* Nothing typed: CONSOLEIO_read answers 0 (tests/unit/test_console.c has the rest). */
    assert_int_equal(hc(d, __HYPERVISOR_console_io, CONSOLEIO_read, 16, G(0x3000)), 0);
    domain_destroy(d);
}

static void test_console_rate_limit(void **state)
{
    struct domain *d = running();
    char *buf = core_env_gpa(d, G(0x3000));
    unsigned printed = 0;
    const char *p;

    (void)state;
    guest_console_set_policy(GUEST_CONSOLE_DROP);
    fake_console_reset();
    strcpy(buf, "flood\n");
    for (unsigned i = 0; i < 1000; i++) {
        assert_int_equal(hc(d, __HYPERVISOR_console_io, CONSOLEIO_write, 6, G(0x3000)), 0);
    }
    char want[32];

    snprintf(want, sizeof(want), "(d%u) flood", d->id);
    for (p = fake_console_text(); (p = strstr(p, want)); p++) {
        printed++;
    }
    assert_true(printed >= 32 && printed <= 128);
    assert_true(d->console.dropped > 0);
    domain_shutdown(d, SHUTDOWN_poweroff);
    snprintf(want, sizeof(want), "(d%u) [%u lines dropped", d->id, 1000 - printed);
    assert_true(fake_console_contains(want));
    guest_console_set_policy(GUEST_CONSOLE_ALL);
    domain_destroy(d);
}

static void test_sched_op_and_shutdown(void **state)
{
    struct domain *d = running();
    struct sched_shutdown *sd = core_env_gpa(d, G(0x4000));

    (void)state;
    assert_int_equal(hc(d, __HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0), 0);
    sd->reason = SHUTDOWN_MAX + 1;
    assert_int_equal(hc(d, __HYPERVISOR_sched_op, SCHEDOP_shutdown, G(0x4000), 0), -EINVAL);
    assert_int_equal(d->state, DOM_RUNNING);
    sd->reason = SHUTDOWN_poweroff;
    assert_int_equal(hc(d, __HYPERVISOR_sched_op, SCHEDOP_shutdown, G(0x4000), 0), 0);
    assert_int_equal(d->state, DOM_DYING);
    assert_true(fake_console_contains("(guest) shut down: poweroff\r\n"));
    domain_destroy(d);
}

static void test_crash_reports_reason(void **state)
{
    struct domain *d = running();

    (void)state;
    domain_crash(d, "data abort at IPA 0x%x", 0x1234);
    domain_crash(d, "second report is ignored");
    assert_true(fake_console_contains("(guest) crashed: data abort at IPA 0x1234\r\n"));
    assert_false(fake_console_contains("second report"));
    domain_destroy(d);
}

static void test_vcpu_op(void **state)
{
    struct domain *d = running();
    struct vcpu_runstate_info *ri = core_env_gpa(d, G(0x5000));
    struct vcpu_set_singleshot_timer *t = core_env_gpa(d, G(0x6000));
    struct vcpu_register_vcpu_info *r = core_env_gpa(d, G(0x7000));

    (void)state;
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 0, 0), 1);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 1, 0), 0);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_is_up, 2, 0), -ENOENT);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_is_up, UINT64_MAX, 0), -ENOENT);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, G(0x5000)), 0);
    assert_int_equal(ri->state, RUNSTATE_runnable);
    fake_counter = 5000;
    t->timeout_abs_ns = 1000;
    t->flags = VCPU_SSHOTTMR_future;
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, G(0x6000)),
                     -ETIME);
    t->timeout_abs_ns = 9000;
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, G(0x6000)), 0);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, G(0x6000)),
                     -EINVAL);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, 0, 0), 0);
    r->mfn = (FAKE_GUEST_RAM_BASE >> 12) + 8;
    r->offset = PAGE_SIZE - 8; /* the structure would cross into the next page */
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, G(0x7000)), -EINVAL);
    r->mfn = 0x10; /* not RAM */
    r->offset = 0;
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, G(0x7000)), -EINVAL);
    r->mfn = (FAKE_GUEST_RAM_BASE >> 12) + 8;
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, G(0x7000)), 0);
    assert_int_equal(hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, G(0x7000)), -EEXIST);
    domain_destroy(d);
}

/* VCPUOP_register_runstate_memory_area: a guest virtual address, written at once for the
 * caller, only into the domain's own RAM, aligned, possibly across a page boundary. */
static void test_runstate_area(void **state)
{
    struct domain *d = running();
    struct vcpu_register_runstate_memory_area *r = core_env_gpa(d, G(0x7000));
    struct xen_add_to_physmap *x = core_env_gpa(d, G(0x8000));
    uint8_t *straddle = core_env_gpa(d, G(0x6000 - 16));
    struct vcpu_runstate_info *ri = core_env_gpa(d, G(0x5000));
    const uint64_t bad[] = {0x10, G(GUEST_RAM), G(GUEST_RAM - 16), UINT64_MAX - 4095};

    (void)state;
    memset(ri, 0xff, sizeof(*ri));
    r->addr.p = G(0x5004); /* misaligned */
    assert_int_equal(
        hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, G(0x7000)), -EINVAL);
    r->addr.p = UINT64_MAX - 7; /* would wrap around to VA 0 */
    assert_int_equal(
        hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, G(0x7000)), -EINVAL);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        r->addr.p = bad[i];
        assert_int_equal(
            hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, G(0x7000)),
            -EFAULT);
        assert_int_equal(d->vcpus[0]->runstate_area, 0);
    }
    r->addr.p = G(0x5000);
    assert_int_equal(
        hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, G(0x7000)), 0);
    assert_int_equal(ri->state, d->vcpus[0]->runstate);
    assert_true(ri->time[RUNSTATE_blocked] != UINT64_MAX);
    /* Across two pages: both parts are written. */
    memset(straddle, 0xff, 32);
    r->addr.p = G(0x6000 - 16);
    assert_int_equal(
        hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, G(0x7000)), 0);
    assert_int_equal(straddle[0], d->vcpus[0]->runstate);
    assert_int_equal(straddle[47], 0); /* time[3]'s top byte, in the second page */
    /* Another vCPU's area is taken (written when that vCPU is next loaded). */
    assert_int_equal(
        hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 1, G(0x7000)), 0);
    assert_int_equal(d->vcpus[1]->runstate_area, G(0x6000 - 16));
    /* A page that is not the domain's RAM (its shared_info mapped over a gfn): refused,
     * the previous area kept. */
    *x = (struct xen_add_to_physmap){.domid = DOMID_SELF,
                                     .space = XENMAPSPACE_shared_info,
                                     .idx = 0,
                                     .gpfn = (FAKE_GUEST_RAM_BASE >> 12) + 9};
    assert_int_equal(hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, G(0x8000), 0), 0);
    r->addr.p = G(0x9000);
    assert_int_equal(
        hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, G(0x7000)), -EFAULT);
    assert_int_equal(d->vcpus[0]->runstate_area, G(0x6000 - 16));
    /* 0 stops the updates. */
    r->addr.p = 0;
    assert_int_equal(
        hc(d, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0, G(0x7000)), 0);
    assert_int_equal(d->vcpus[0]->runstate_area, 0);
    domain_destroy(d);
}

/* HVMOP_get_param: every parameter of a domain without xenstore or console reads 0. */
static void test_hvm_get_param(void **state)
{
    struct domain *d = running();
    struct xen_hvm_param *p = core_env_gpa(d, G(0x7000));

    (void)state;
    *p = (struct xen_hvm_param){.domid = DOMID_SELF, .index = HVM_PARAM_STORE_EVTCHN, .value = 7};
    assert_int_equal(hc(d, __HYPERVISOR_hvm_op, HVMOP_get_param, G(0x7000), 0), 0);
    assert_int_equal(p->value, 0);
    *p = (struct xen_hvm_param){.domid = d->id, .index = HVM_PARAM_CONSOLE_PFN, .value = 7};
    assert_int_equal(hc(d, __HYPERVISOR_hvm_op, HVMOP_get_param, G(0x7000), 0), 0);
    assert_int_equal(p->value, 0);
    p->index = HVM_NR_PARAMS;
    assert_int_equal(hc(d, __HYPERVISOR_hvm_op, HVMOP_get_param, G(0x7000), 0), -EINVAL);
    p->index = HVM_PARAM_STORE_PFN;
    p->domid = (domid_t)(d->id + 1);
    assert_int_equal(hc(d, __HYPERVISOR_hvm_op, HVMOP_get_param, G(0x7000), 0), -EPERM);
    assert_int_equal(hc(d, __HYPERVISOR_hvm_op, HVMOP_get_param, G(GUEST_RAM), 0), -EFAULT);
    assert_int_equal(hc(d, __HYPERVISOR_hvm_op, HVMOP_set_param, G(0x7000), 0), -EPERM);
    domain_destroy(d);
}

static void test_start_vcpu(void **state)
{
    struct domain *d = running();
    struct vcpu *v1 = d->vcpus[1];
    struct pcpu *cpu = &pcpus[v1->pcpu];

    (void)state;
    assert_int_equal(sched_start_vcpu(d->vcpus[0], 0, 0), -EEXIST);
    /* Down, but still its CPU's current vCPU (stopping): not yet. */
    cpu->curr = v1;
    assert_int_equal(sched_start_vcpu(v1, G(0x1000), 42), -EBUSY);
    cpu->curr = NULL;
    assert_int_equal(sched_start_vcpu(v1, G(0x1000), 42), 0);
    assert_int_equal(v1->state, VCPU_RUNNABLE);
    assert_int_equal(v1->arch.entry, G(0x1000));
    assert_int_equal(v1->arch.arg, 42);
    assert_int_equal(sched_start_vcpu(v1, G(0x1000), 42), -EEXIST);
    pcpus[0].curr = NULL;
    domain_destroy(d);
}

static void test_add_to_physmap_shared_info(void **state)
{
    struct domain *d = running();
    struct xen_add_to_physmap *x = core_env_gpa(d, G(0x8000));
    uint64_t before;
    uint8_t *page;

    (void)state;
    page = core_env_gpa(d, G(0x9000));
    memset(page, 0x5a, PAGE_SIZE);
    *x = (struct xen_add_to_physmap){.domid = DOMID_SELF,
                                     .space = XENMAPSPACE_shared_info,
                                     .idx = 0,
                                     .gpfn = (FAKE_GUEST_RAM_BASE >> 12) + 9};
    assert_int_equal(hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, G(0x8000), 0), 0);
    page = core_env_gpa(d, G(0x9000));
    assert_int_equal(page[0], 0); /* the shared_info page, not the RAM page under it */
    assert_true(pa_addr(va_pa(page)) == pa_addr(d->shared_info));
    x->domid = (domid_t)(d->id + 1); /* another domain */
    assert_int_equal(hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, G(0x8000), 0), -EPERM);
    x->domid = DOMID_SELF;
    x->space = XENMAPSPACE_gmfn;
    assert_int_equal(hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, G(0x8000), 0),
                     -EOPNOTSUPP);
    x->space = XENMAPSPACE_shared_info;
    x->idx = 1;
    assert_int_equal(hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, G(0x8000), 0), -EINVAL);
    x->idx = 0;
    x->gpfn = UINT64_MAX >> 8;
    assert_int_equal(hc(d, __HYPERVISOR_memory_op, XENMEM_add_to_physmap, G(0x8000), 0), -EINVAL);
    before = page_alloc_free_pages();
    domain_destroy(d);
    assert_true(page_alloc_free_pages() > before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_maps_zeroed_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_destroy_1000_leaks_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_configs_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory_unwinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_run_out_and_come_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_are_not_reused_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quota_is_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpus_spread_over_cpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_hypercalls_enosys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xen_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_pointers_efault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sched_op_and_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_reports_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vcpu_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runstate_area, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hvm_get_param, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_vcpu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_to_physmap_shared_info, setup, teardown),
    };

    return cmocka_run_group_tests_name("domain", tests, NULL, NULL);
}

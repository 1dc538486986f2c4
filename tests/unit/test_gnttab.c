/* SPDX-License-Identifier: MIT */
/*
 * Grant tables v1 (hypervisor/gnttab) through the hypercalls, as guests call them, against
 * the fake arch: the table in the guest's physmap, map / unmap into another domain's
 * stage 2 with GTF_reading / GTF_writing kept in the granter's entry, copy, setup and
 * query, every guest-reachable error, the maptrack limit, batches continued, and the
 * granted page outliving its granter until the mapper lets go.
 */
#include <stdio.h>

#include "core_env.h"

#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/vcpu.h>
#include <xen/xen.h>

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/gnttab.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/time.h>

#define RAM_SIZE  (96 * MIB)
#define GUEST_RAM (8 * MIB)
#define G(off)    (FAKE_GUEST_RAM_BASE + (off))
#define ARGS      G(0x10000)                 /* ops' structs */
#define TABLE_GFN (G(0x20000) >> PAGE_SHIFT) /* where each domain maps its table frame 0 */
#define DATA      G(0x40000)                 /* the granter's page it grants */
#define MAPAT     G(0x600000)                /* where the mapper maps grants */

CORE_ENV_FIXTURE(RAM_SIZE)

/* A started domain with grant-table frame 0 mapped at TABLE_GFN. */
static struct domain *start(const char *name)
{
    struct domain_config cfg = {.name = name, .ram_size = GUEST_RAM, .nr_vcpus = 1};
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 0, .gpfn = TABLE_GFN};
    struct domain *d;

    assert_int_equal(domain_create(&cfg, &d), 0);
    domain_start(d, FAKE_GUEST_RAM_BASE, 0);
    memcpy(core_env_gpa(d, ARGS), &x, sizeof(x));
    assert_int_equal(
        core_env_hypercall(d->vcpus[0], __HYPERVISOR_memory_op, XENMEM_add_to_physmap, ARGS, 0), 0);
    return d;
}

static void end(struct domain *d)
{
    pcpus[0].curr = pcpus[1].curr = NULL;
    domain_destroy(d);
}

/* The granter's own view of its table (through its physmap, as the guest writes it). */
static struct grant_entry_v1 *table(struct domain *d)
{
    return core_env_gpa(d, TABLE_GFN << PAGE_SHIFT);
}

static void grant(struct domain *g, uint32_t ref, struct domain *to, uint64_t gpa, bool ro)
{
    struct grant_entry_v1 *e = &table(g)[ref];

    e->domid = to->id;
    e->frame = (uint32_t)(gpa >> PAGE_SHIFT);
    e->flags = GTF_permit_access | (ro ? GTF_readonly : 0);
}

static int16_t map(struct domain *m, struct domain *g, uint32_t ref, uint64_t at, uint32_t flags,
                   grant_handle_t *handle)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = at, .flags = flags, .ref = ref, .dom = g ? g->id : 60};

    memcpy(core_env_gpa(m, ARGS), &op, sizeof(op));
    assert_int_equal(core_env_hypercall(m->vcpus[0], __HYPERVISOR_grant_table_op,
                                        GNTTABOP_map_grant_ref, ARGS, 1),
                     0);
    memcpy(&op, core_env_gpa(m, ARGS), sizeof(op));
    if (handle) {
        *handle = op.handle;
    }
    return op.status;
}

static int16_t unmap(struct domain *m, grant_handle_t handle, uint64_t at)
{
    struct gnttab_unmap_grant_ref op = {.host_addr = at, .handle = handle};

    memcpy(core_env_gpa(m, ARGS), &op, sizeof(op));
    assert_int_equal(core_env_hypercall(m->vcpus[0], __HYPERVISOR_grant_table_op,
                                        GNTTABOP_unmap_grant_ref, ARGS, 1),
                     0);
    memcpy(&op, core_env_gpa(m, ARGS), sizeof(op));
    return op.status;
}

static bool mapped(struct domain *d, uint64_t gpa, unsigned *attr)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    paddr_t pa;
    bool ok = p2m_lookup(l, ipa_init(gpa), &pa, attr) == 0;

    p2m_unlock(l);
    return ok;
}

static void test_map_write_unmap(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    grant_handle_t h;
    unsigned attr;

    (void)state;
    grant(a, 5, b, DATA, false);
    assert_int_equal(map(b, a, 5, MAPAT, GNTMAP_host_map, &h), GNTST_okay);
    assert_int_equal(table(a)[5].flags, GTF_permit_access | GTF_reading | GTF_writing);
    /* b's frame at MAPAT is a's page: writes show through. */
    strcpy(core_env_gpa(b, MAPAT), "through the grant");
    assert_string_equal(core_env_gpa(a, DATA), "through the grant");
    assert_true(mapped(b, MAPAT, &attr) && (attr & PT_W));
    assert_int_equal(unmap(b, h, MAPAT + PAGE_SIZE), GNTST_bad_virt_addr);
    assert_int_equal(unmap(b, h, MAPAT), GNTST_okay);
    assert_int_equal(table(a)[5].flags, GTF_permit_access); /* the granter may revoke */
    assert_false(mapped(b, MAPAT, NULL));
    assert_int_equal(unmap(b, h, MAPAT), GNTST_bad_handle);
    end(a);
    end(b);
}

static void test_readonly(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    grant_handle_t h;
    unsigned attr;

    (void)state;
    grant(a, 7, b, DATA, true);
    assert_int_equal(map(b, a, 7, MAPAT, GNTMAP_host_map, &h), GNTST_permission_denied);
    assert_int_equal(table(a)[7].flags, GTF_permit_access | GTF_readonly);
    assert_int_equal(map(b, a, 7, MAPAT, GNTMAP_host_map | GNTMAP_readonly, &h), GNTST_okay);
    assert_int_equal(table(a)[7].flags, GTF_permit_access | GTF_readonly | GTF_reading);
    assert_true(mapped(b, MAPAT, &attr) && !(attr & PT_W));
    assert_int_equal(unmap(b, h, 0), GNTST_okay); /* host_addr 0: any */
    end(a);
    end(b);
}

static void test_map_errors(void **state)
{
    struct domain *a = start("a"), *b = start("b"), *c = start("c");

    (void)state;
    grant(a, 5, b, DATA, false);
    assert_int_equal(map(c, a, 5, MAPAT, GNTMAP_host_map, NULL), GNTST_bad_gntref); /* not c's */
    assert_int_equal(map(b, a, 600, MAPAT, GNTMAP_host_map, NULL), GNTST_bad_gntref);
    assert_int_equal(map(b, a, 6, MAPAT, GNTMAP_host_map, NULL), GNTST_bad_gntref); /* invalid */
    assert_int_equal(map(b, NULL, 5, MAPAT, GNTMAP_host_map, NULL), GNTST_bad_domain);
    assert_int_equal(map(b, a, 5, MAPAT + 8, GNTMAP_host_map, NULL), GNTST_bad_virt_addr);
    assert_int_equal(map(b, a, 5, 1ull << 60, GNTMAP_host_map, NULL), GNTST_bad_virt_addr);
    assert_int_equal(map(b, a, 5, MAPAT, GNTMAP_host_map | GNTMAP_device_map, NULL),
                     GNTST_general_error);
    assert_int_equal(map(b, a, 5, MAPAT, 0, NULL), GNTST_general_error);
    table(a)[5].frame = (uint32_t)(G(GUEST_RAM) >> PAGE_SHIFT); /* past the granter's RAM */
    assert_int_equal(map(b, a, 5, MAPAT, GNTMAP_host_map, NULL), GNTST_bad_page);
    assert_int_equal(table(a)[5].flags, GTF_permit_access); /* nothing left pinned */
    assert_int_equal(core_env_hypercall(b->vcpus[0], __HYPERVISOR_grant_table_op,
                                        GNTTABOP_map_grant_ref, 0x10, 1),
                     -EFAULT);
    assert_int_equal(
        core_env_hypercall(b->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_transfer, ARGS, 1),
        -ENOSYS);
    end(a);
    end(b);
    end(c);
}

static void test_copy(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    struct gnttab_copy op = {0};

    (void)state;
    grant(a, 9, b, DATA, false);
    strcpy(core_env_gpa(b, G(0x50000)), "copied by grant");
    op.source.u.gmfn = G(0x50000) >> PAGE_SHIFT;
    op.source.domid = DOMID_SELF;
    op.dest.u.ref = 9;
    op.dest.domid = a->id;
    op.dest.offset = 100;
    op.len = 16;
    op.flags = GNTCOPY_dest_gref;
    memcpy(core_env_gpa(b, ARGS), &op, sizeof(op));
    assert_int_equal(
        core_env_hypercall(b->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_copy, ARGS, 1), 0);
    memcpy(&op, core_env_gpa(b, ARGS), sizeof(op));
    assert_int_equal(op.status, GNTST_okay);
    assert_string_equal((char *)core_env_gpa(a, DATA) + 100, "copied by grant");
    assert_int_equal(table(a)[9].flags, GTF_permit_access); /* pins dropped after */
    /* Across the page end; a frame of another domain named without a grant. */
    op.dest.offset = PAGE_SIZE - 8;
    memcpy(core_env_gpa(b, ARGS), &op, sizeof(op));
    assert_int_equal(
        core_env_hypercall(b->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_copy, ARGS, 1), 0);
    memcpy(&op, core_env_gpa(b, ARGS), sizeof(op));
    assert_int_equal(op.status, GNTST_bad_copy_arg);
    op.dest.offset = 0;
    op.flags = 0;
    op.dest.u.gmfn = DATA >> PAGE_SHIFT;
    memcpy(core_env_gpa(b, ARGS), &op, sizeof(op));
    assert_int_equal(
        core_env_hypercall(b->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_copy, ARGS, 1), 0);
    memcpy(&op, core_env_gpa(b, ARGS), sizeof(op));
    assert_int_equal(op.status, GNTST_permission_denied);
    end(a);
    end(b);
}

static void test_batches_continue(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    struct gnttab_copy *ops = core_env_gpa(b, ARGS);
    const unsigned n = 150; /* more than GNTTAB_BATCH: continued twice */
    struct hypercall h = {.nr = __HYPERVISOR_grant_table_op, .a = {GNTTABOP_copy, ARGS, n}};
    unsigned pieces = 0;

    (void)state;
    assert_true(n * sizeof(*ops) < 0x10000);
    grant(a, 3, b, DATA, false);
    for (unsigned i = 0; i < n; i++) {
        ops[i] = (struct gnttab_copy){
            .source = {.u.gmfn = G(0x50000) >> PAGE_SHIFT, .domid = DOMID_SELF},
            .dest = {.u.ref = 3, .domid = a->id, .offset = (uint16_t)i},
            .len = 1,
            .flags = GNTCOPY_dest_gref,
            .status = 99};
    }
    do {
        assert_int_equal(hypercall_dispatch(b->vcpus[0], &h), 0);
        pieces++;
    } while (h.restart);
    assert_int_equal(pieces, (n + GNTTAB_BATCH - 1) / GNTTAB_BATCH);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(ops[i].status, GNTST_okay);
    }
    end(a);
    end(b);
}

static void test_setup_and_query(void **state)
{
    struct domain *a = start("a");
    struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = 4};
    struct gnttab_query_size q = {.dom = DOMID_SELF};
    uint64_t list = G(0x30000);
    xen_pfn_t *frames = core_env_gpa(a, list);

    (void)state;
    memcpy(&st.frame_list, &list, sizeof(list));
    memcpy(core_env_gpa(a, ARGS), &st, sizeof(st));
    assert_int_equal(
        core_env_hypercall(a->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_setup_table, ARGS, 1),
        0);
    memcpy(&st, core_env_gpa(a, ARGS), sizeof(st));
    assert_int_equal(st.status, GNTST_okay);
    assert_int_equal(frames[0], TABLE_GFN);
    assert_int_equal(frames[1], (xen_pfn_t)~0ull); /* not in the physmap */
    memcpy(core_env_gpa(a, ARGS), &q, sizeof(q));
    assert_int_equal(
        core_env_hypercall(a->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_query_size, ARGS, 1),
        0);
    memcpy(&q, core_env_gpa(a, ARGS), sizeof(q));
    assert_int_equal(q.status, GNTST_okay);
    assert_int_equal(q.nr_frames, 4);
    assert_int_equal(q.max_nr_frames, GNTTAB_MAX_FRAMES);
    st.nr_frames = GNTTAB_MAX_FRAMES + 1;
    memcpy(core_env_gpa(a, ARGS), &st, sizeof(st));
    assert_int_equal(
        core_env_hypercall(a->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_setup_table, ARGS, 1),
        0);
    memcpy(&st, core_env_gpa(a, ARGS), sizeof(st));
    assert_int_equal(st.status, GNTST_general_error);
    q.dom = 33;
    memcpy(core_env_gpa(a, ARGS), &q, sizeof(q));
    assert_int_equal(
        core_env_hypercall(a->vcpus[0], __HYPERVISOR_grant_table_op, GNTTABOP_query_size, ARGS, 1),
        0);
    memcpy(&q, core_env_gpa(a, ARGS), sizeof(q));
    assert_int_equal(q.status, GNTST_permission_denied);
    end(a);
}

static void test_granted_page_outlives_the_granter(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    uint64_t free_with_both;
    grant_handle_t h;

    (void)state;
    grant(a, 5, b, DATA, false);
    strcpy(core_env_gpa(a, DATA), "still here");
    assert_int_equal(map(b, a, 5, MAPAT, GNTMAP_host_map, &h), GNTST_okay);
    free_with_both = page_alloc_free_pages();
    end(a);
    /* a is gone from the table, but its memory stays while b maps its page. */
    assert_null(domain_find("a"));
    assert_int_equal(page_alloc_free_pages(), free_with_both);
    assert_string_equal(core_env_gpa(b, MAPAT), "still here");
    assert_int_equal(unmap(b, h, MAPAT), GNTST_okay);
    assert_true(page_alloc_free_pages() > free_with_both);
    end(b);
}

static void test_a_dead_mapper_lets_go(void **state)
{
    struct domain *a = start("a"), *b = start("b");

    (void)state;
    grant(a, 5, b, DATA, false);
    assert_int_equal(map(b, a, 5, MAPAT, GNTMAP_host_map, NULL), GNTST_okay);
    end(b);
    assert_int_equal(table(a)[5].flags, GTF_permit_access);
    end(a);
}

/* A page a domain was granted is not its own: it can neither grant it on (the third
 * domain's map would outlive the grant it rests on) nor make the hypervisor keep a
 * pointer into it (vcpu_info), since it is freed once unmapped and its granter gone. */
static void test_granted_pages_are_not_passed_on(void **state)
{
    struct domain *a = start("a"), *b = start("b"), *c = start("c");
    struct vcpu_register_vcpu_info r = {.mfn = MAPAT >> PAGE_SHIFT, .offset = 0};
    grant_handle_t h;

    (void)state;
    grant(a, 5, b, DATA, false);
    assert_int_equal(map(b, a, 5, MAPAT, GNTMAP_host_map, &h), GNTST_okay);
    grant(b, 6, c, MAPAT, false);
    assert_int_equal(map(c, b, 6, MAPAT, GNTMAP_host_map, NULL), GNTST_bad_page);
    memcpy(core_env_gpa(b, ARGS), &r, sizeof(r));
    assert_int_equal(
        core_env_hypercall(b->vcpus[0], __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, ARGS),
        -EINVAL);
    r.mfn = DATA >> PAGE_SHIFT; /* its own RAM is fine */
    memcpy(core_env_gpa(b, ARGS), &r, sizeof(r));
    assert_int_equal(
        core_env_hypercall(b->vcpus[0], __HYPERVISOR_vcpu_op, VCPUOP_register_vcpu_info, 0, ARGS),
        0);
    assert_int_equal(unmap(b, h, MAPAT), GNTST_okay);
    end(a);
    end(b);
    end(c);
}

static void test_maptrack_limit(void **state)
{
    struct domain *a = start("a"), *b = start("b");
    unsigned n = 0;
    int16_t st;

    (void)state;
    grant(a, 5, b, DATA, true);
    while ((st = map(b, a, 5, G(0x100000) + (uint64_t)n * PAGE_SIZE,
                     GNTMAP_host_map | GNTMAP_readonly, NULL)) == GNTST_okay) {
        n++;
    }
    assert_int_equal(st, GNTST_no_space);
    assert_int_equal(n, GNTTAB_MAPTRACK_MAX);
    end(b); /* unmaps all 1024 */
    assert_int_equal(table(a)[5].flags, GTF_permit_access | GTF_readonly);
    end(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_map_write_unmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_continue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setup_and_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_granted_page_outlives_the_granter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_dead_mapper_lets_go, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maptrack_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_granted_pages_are_not_passed_on, setup, teardown),
    };

    return cmocka_run_group_tests_name("gnttab", tests, NULL, NULL);
}

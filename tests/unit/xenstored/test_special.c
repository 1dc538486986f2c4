/* SPDX-License-Identifier: MIT */
/*
 * Permissions on the special nodes @introduceDomain and @releaseDomain (XSA-115):
 * GET_PERMS/SET_PERMS on them, event delivery filtered by read permission, transactions,
 * compaction, and cleanup when a domain is released.
 */
#define _GNU_SOURCE
#include "helpers.h"

static void expect_event(struct xs_conn *c, const char *path, const char *token)
{
    struct reply r;

    assert_true(next_msg(c, &r));
    assert_int_equal(r.type, XS_WATCH_EVENT);
    assert_string_equal(r.data, path);
    assert_string_equal(r.data + strlen(path) + 1, token);
}

static void expect_none(struct xs_conn *c)
{
    struct reply r;

    assert_false(next_msg(c, &r));
}

/* Expects GET_PERMS of @path by @c to give @perms (NUL-separated, as on the wire). */
static void expect_perms(struct xs_conn *c, const char *path, const char *perms, size_t len)
{
    struct reply *r = xs_req(c, XS_GET_PERMS, 0, path, NULL);

    assert_int_equal(r->type, XS_GET_PERMS);
    assert_int_equal(r->len, len);
    assert_memory_equal(r->data, perms, len);
}

static void watch_both(struct xs_conn *c)
{
    assert_ok(xs_req(c, XS_WATCH, 0, "@introduceDomain", "i", NULL));
    expect_event(c, "@introduceDomain", "i");
    assert_ok(xs_req(c, XS_WATCH, 0, "@releaseDomain", "r", NULL));
    expect_event(c, "@releaseDomain", "r");
}

static void test_default_perms_and_names(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5);

    (void)state;
    /* Owner dom0, no access for anyone else. */
    expect_perms(d0, "@introduceDomain", "n0", 3);
    expect_perms(d0, "@releaseDomain", "n0", 3);
    assert_err(xs_req(d5, XS_GET_PERMS, 0, "@releaseDomain", NULL), "EACCES");
    assert_err(xs_req(d5, XS_GET_PERMS, 0, "@introduceDomain", NULL), "EACCES");
    /* Other '@' names stay invalid, and a special name is never a relative path. */
    assert_err(xs_req(d0, XS_GET_PERMS, 0, "@otherDomain", NULL), "EINVAL");
    assert_err(xs_req(d5, XS_GET_PERMS, 0, "@releaseDomain2", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_SET_PERMS, 0, "@otherDomain", "n0", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_SET_PERMS, 0, "@", "n0", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_READ, 0, "@releaseDomain", NULL), "EINVAL");
    assert_err(xs_write(d0, 0, "@releaseDomain", "x"), "EINVAL");
    assert_err(xs_req(d5, XS_MKDIR, 0, "@introduceDomain", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_RM, 0, "@releaseDomain", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_DIRECTORY, 0, "@releaseDomain", NULL), "EINVAL");
    /* Not children of "/". */
    struct reply *r = xs_req(d0, XS_DIRECTORY, 0, "/", NULL);
    assert_int_equal(r->type, XS_DIRECTORY);
    assert_null(memmem(r->data, r->len, "Domain", 6));
}

static void test_set_perms_privileged_only(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5);

    (void)state;
    assert_err(xs_req(d5, XS_SET_PERMS, 0, "@releaseDomain", "b5", NULL), "EACCES");
    assert_err(xs_req(d5, XS_SET_PERMS, 0, "@introduceDomain", "n0", "r5", NULL), "EACCES");
    expect_perms(d0, "@releaseDomain", "n0", 3);
    expect_perms(d0, "@introduceDomain", "n0", 3);
    assert_err(xs_req(d0, XS_SET_PERMS, 0, "@releaseDomain", "x5", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_SET_PERMS, 0, "@releaseDomain", NULL), "EINVAL");

    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@releaseDomain", "n0", "r5", NULL));
    expect_perms(d0, "@releaseDomain", "n0\0r5", 6);
    expect_perms(d5, "@releaseDomain", "n0\0r5", 6);
    expect_perms(d0, "@introduceDomain", "n0", 3);
    /* Read permission does not allow changing them, nor does ownership given by dom0. */
    assert_err(xs_req(d5, XS_SET_PERMS, 0, "@releaseDomain", "b5", NULL), "EACCES");
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@introduceDomain", "n5", NULL));
    expect_perms(d5, "@introduceDomain", "n5", 3);
    assert_err(xs_req(d5, XS_SET_PERMS, 0, "@introduceDomain", "n5", "r6", NULL), "EACCES");
    /* No quota accounting: dom5 owns no nodes because of it. */
    assert_int_equal(domain_get(&test_core, 5, false)->nodes, 0);
}

static void test_event_filter(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5), *d6 = conn_new(6), *d7 = conn_new(7);

    (void)state;
    /* WATCH succeeds for everyone, with the initial event. */
    watch_both(d0);
    watch_both(d5);
    watch_both(d6);
    watch_both(d7);
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@introduceDomain", "n0", "r6", "w7", NULL));
    /* Changing the permissions fires nothing. */
    expect_none(d0);
    expect_none(d6);

    assert_ok(xs_req(d0, XS_INTRODUCE, 0, "12", "4096", "3", NULL));
    expect_event(d0, "@introduceDomain", "i"); /* privileged: always */
    expect_event(d6, "@introduceDomain", "i"); /* read permission */
    expect_none(d5);                           /* no permission */
    expect_none(d7);                           /* write only */

    assert_ok(xs_req(d0, XS_RELEASE, 0, "12", NULL));
    expect_event(d0, "@releaseDomain", "r");
    expect_none(d5);
    expect_none(d6); /* @releaseDomain is still "n0" */
    expect_none(d7);

    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@releaseDomain", "r0", NULL));
    assert_ok(xs_req(d0, XS_INTRODUCE, 0, "13", "4096", "3", NULL));
    expect_event(d0, "@introduceDomain", "i");
    expect_event(d6, "@introduceDomain", "i");
    assert_ok(xs_req(d0, XS_RELEASE, 0, "13", NULL));
    /* Everyone's default is now read. */
    expect_event(d0, "@releaseDomain", "r");
    expect_event(d5, "@releaseDomain", "r");
    expect_event(d6, "@releaseDomain", "r");
    expect_event(d7, "@releaseDomain", "r");
    expect_none(d5);
    expect_none(d7);
}

static void test_target_inherits(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5), *d8 = conn_new(8);

    (void)state;
    watch_both(d8);
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@introduceDomain", "n0", "r5", NULL));
    assert_ok(xs_req(d0, XS_INTRODUCE, 0, "12", "4096", "3", NULL));
    expect_none(d8);
    /* A domain acting for dom5 (SET_TARGET) has dom5's permissions. */
    assert_ok(xs_req(d0, XS_SET_TARGET, 0, "8", "5", NULL));
    assert_ok(xs_req(d0, XS_INTRODUCE, 0, "13", "4096", "3", NULL));
    expect_event(d8, "@introduceDomain", "i");
    expect_perms(d8, "@introduceDomain", "n0\0r5", 6);
    (void)d5;
}

static void test_release_forgets_domain(void **state)
{
    struct xs_conn *d0 = conn_new(0);

    (void)state;
    assert_ok(xs_req(d0, XS_INTRODUCE, 0, "12", "4096", "3", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@releaseDomain", "n12", "r5", "b12", "r6", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@introduceDomain", "r0", "r12", NULL));
    assert_ok(xs_req(d0, XS_RELEASE, 0, "12", NULL));
    /* A later domain 12 inherits nothing: owner back to dom0, ACL entries dropped. */
    expect_perms(d0, "@releaseDomain", "n0\0r5\0r6", 9);
    expect_perms(d0, "@introduceDomain", "r0", 3);
}

static uint32_t begin_txn(struct xs_conn *c)
{
    struct reply *r = xs_req(c, XS_TRANSACTION_START, 0, "", NULL);

    assert_int_equal(r->type, XS_TRANSACTION_START);
    return (uint32_t)strtoul(r->data, NULL, 10);
}

static void test_transactions(void **state)
{
    struct xs_conn *d0 = conn_new(0), *other = conn_new(0), *d5 = conn_new(5);
    uint32_t tx;

    (void)state;
    /* Changed inside a transaction: visible there, applied on commit. */
    tx = begin_txn(d0);
    assert_ok(xs_req(d0, XS_SET_PERMS, tx, "@releaseDomain", "n0", "r5", NULL));
    struct reply *r = xs_req(d0, XS_GET_PERMS, tx, "@releaseDomain", NULL);
    assert_int_equal(r->len, 6);
    expect_perms(d0, "@releaseDomain", "n0", 3);
    assert_err(xs_req(d5, XS_SET_PERMS, 0, "@releaseDomain", "b5", NULL), "EACCES");
    assert_ok(xs_req(d0, XS_TRANSACTION_END, tx, "T", NULL));
    expect_perms(d5, "@releaseDomain", "n0\0r5", 6);

    /* A concurrent change to a special node read by the transaction: EAGAIN. */
    tx = begin_txn(d0);
    assert_ok(xs_req(d0, XS_GET_PERMS, tx, "@introduceDomain", NULL));
    assert_ok(xs_req(other, XS_SET_PERMS, 0, "@introduceDomain", "r0", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, tx, "@introduceDomain", "n0", NULL));
    assert_err(xs_req(d0, XS_TRANSACTION_END, tx, "T", NULL), "EAGAIN");
    expect_perms(d0, "@introduceDomain", "r0", 3);

    /* Unprivileged inside a transaction: still refused. */
    tx = begin_txn(d5);
    assert_err(xs_req(d5, XS_SET_PERMS, tx, "@releaseDomain", "b5", NULL), "EACCES");
    assert_ok(xs_req(d5, XS_TRANSACTION_END, tx, "F", NULL));
}

static void test_persisted_in_store(void **state)
{
    struct xs_conn *d0 = conn_new(0);
    struct xs_node n;

    (void)state;
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "@releaseDomain", "n0", "r5", NULL));
    assert_int_equal(store_get(test_store, "@releaseDomain", &n), 0);
    assert_int_equal(n.nperms, 2);
    assert_int_equal(store_check(test_store), 0);
    assert_int_equal(store_compact(test_store), 0);
    assert_int_equal(store_check(test_store), 0);
    expect_perms(d0, "@releaseDomain", "n0\0r5", 6);
    /* A core started on a store that already has them keeps their permissions. */
    struct xs_quota q = test_core.quota;
    core_fini(&test_core);
    assert_int_equal(core_init(&test_core, test_store, &q), 0);
    d0 = conn_new(0);
    expect_perms(d0, "@releaseDomain", "n0\0r5", 6);
    expect_perms(d0, "@introduceDomain", "n0", 3);
    /* Only '@' names without '/' may be detached nodes. */
    assert_int_equal(store_create_detached(test_store, "/x", &n), -EINVAL);
    assert_int_equal(store_create_detached(test_store, "@a/b", &n), -EINVAL);
    assert_int_equal(store_create_detached(test_store, "@releaseDomain", &n), -EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_perms_and_names, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_set_perms_privileged_only, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_event_filter, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_target_inherits, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_release_forgets_domain, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_transactions, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_persisted_in_store, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_special", tests, NULL, NULL);
}

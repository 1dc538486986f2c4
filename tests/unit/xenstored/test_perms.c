/* SPDX-License-Identifier: MIT */
/* Permissions: owner + ACL, n/r/w/b, inheritance at creation, SET_TARGET; negative cases. */
#include "helpers.h"

static void test_parse_format(void **state)
{
    struct xs_node n;
    char out[64];
    const char good[] = "b0\0r5\0w6\0n7";

    (void)state;
    assert_int_equal(perms_parse(good, sizeof(good), &n), 0);
    assert_int_equal(n.nperms, 4);
    assert_int_equal(n.perms[1].perm, XS_PERM_READ);
    assert_int_equal(n.perms[2].id, 6);
    assert_int_equal(perms_format(&n, out, sizeof(out)), sizeof(good));
    assert_memory_equal(out, good, sizeof(good));
    assert_int_equal(perms_parse("x0", 3, &n), -EINVAL);
    assert_int_equal(perms_parse("r", 2, &n), -EINVAL);
    assert_int_equal(perms_parse("r70000", 7, &n), -EINVAL);
    assert_int_equal(perms_parse("r5a", 4, &n), -EINVAL);
    assert_int_equal(perms_parse("", 0, &n), -EINVAL);
}

static void test_acl_semantics(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5), *d6 = conn_new(6), *d7 = conn_new(7);

    (void)state;
    assert_ok(xs_write(d0, 0, "/shared", "v"));
    /* Default: owner dom0, nobody else. */
    assert_err(xs_req(d5, XS_READ, 0, "/shared", NULL), "EACCES");
    assert_err(xs_write(d5, 0, "/shared", "x"), "EACCES");
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/shared", "n0", "r5", "w6", "b7", NULL));
    assert_string_equal(xs_read(d5, 0, "/shared"), "v");
    assert_err(xs_write(d5, 0, "/shared", "x"), "EACCES");
    assert_err(xs_req(d6, XS_READ, 0, "/shared", NULL), "EACCES");
    assert_ok(xs_write(d6, 0, "/shared", "six"));
    assert_ok(xs_write(d7, 0, "/shared", "seven"));
    assert_string_equal(xs_read(d7, 0, "/shared"), "seven");
    /* Missing node below an unreadable parent: EACCES, not ENOENT (no existence leak). */
    assert_err(xs_req(d6, XS_READ, 0, "/shared/nope", NULL), "EACCES");
    assert_err(xs_req(d5, XS_READ, 0, "/shared/nope", NULL), "ENOENT");
    /* Default permission in perms[0] applies to everyone not listed. */
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/shared", "r0", NULL));
    assert_string_equal(xs_read(d6, 0, "/shared"), "seven");
    assert_err(xs_req(d0, XS_SET_PERMS, 0, "/shared", "q1", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_SET_PERMS, 0, "/nothere", "r0", NULL), "ENOENT");
}

static void test_inheritance_and_ownership(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5);
    struct reply *r;

    (void)state;
    assert_ok(xs_req(d0, XS_MKDIR, 0, "/local/domain/5", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/local/domain/5", "n0", "b5", NULL));
    /* Created by dom0: inherits the parent's permissions unchanged. */
    assert_ok(xs_write(d0, 0, "/local/domain/5/fromdom0", "x"));
    r = xs_req(d0, XS_GET_PERMS, 0, "/local/domain/5/fromdom0", NULL);
    assert_memory_equal(r->data, "n0\0b5", 6);
    /* Created by dom5: inherits, but dom5 becomes the owner. */
    assert_ok(xs_write(d5, 0, "data/a/b", "y"));
    r = xs_req(d5, XS_GET_PERMS, 0, "data/a", NULL);
    assert_memory_equal(r->data, "n5\0b5", 6);
    /* An unprivileged owner may change its ACL but not give the node away. */
    assert_ok(xs_req(d5, XS_SET_PERMS, 0, "data/a", "n5", "r0", NULL));
    assert_err(xs_req(d5, XS_SET_PERMS, 0, "data/a", "b6", NULL), "EPERM");
    /* Domain management is for dom0 only. */
    assert_err(xs_req(d5, XS_INTRODUCE, 0, "9", "1", "2", NULL), "EACCES");
    assert_err(xs_req(d5, XS_RELEASE, 0, "9", NULL), "EACCES");
    assert_err(xs_req(d5, XS_SET_TARGET, 0, "5", "6", NULL), "EACCES");
    assert_err(xs_req(d5, XS_CONTROL, 0, "check", NULL), "EACCES");
}

static void test_set_target(void **state)
{
    struct xs_conn *d0 = conn_new(0), *stub = conn_new(8), *d5 = conn_new(5);

    (void)state;
    (void)d5;
    assert_ok(xs_write(d0, 0, "/vm5", "secret"));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/vm5", "n5", NULL));
    assert_err(xs_req(stub, XS_READ, 0, "/vm5", NULL), "EACCES");
    assert_ok(xs_req(d0, XS_SET_TARGET, 0, "8", "5", NULL));
    assert_string_equal(xs_read(stub, 0, "/vm5"), "secret");
    assert_err(xs_req(d0, XS_SET_TARGET, 0, "99", "5", NULL), "ENOENT");
    assert_err(xs_req(d0, XS_SET_TARGET, 0, "8", NULL), "EINVAL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test_setup_teardown(test_acl_semantics, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_inheritance_and_ownership, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_set_target, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_perms", tests, NULL, NULL);
}

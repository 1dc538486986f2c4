/* SPDX-License-Identifier: MIT */
/* Paths: validation, canonicalisation, limits (xenstore.txt), with negative cases. */
#include "helpers.h"

static void test_valid_paths(void **state)
{
    (void)state;
    assert_true(path_valid("/", 10));
    assert_true(path_valid("/local/domain/0/a-b_c@d", 100));
    assert_false(path_valid("", 10));
    assert_false(path_valid("relative", 100));
    assert_false(path_valid("/a//b", 100));
    assert_false(path_valid("/a/", 100));
    assert_false(path_valid("/a b", 100));
    assert_false(path_valid("/a.b", 100));
    assert_false(path_valid("/abcdef", 4));
}

static void test_canon(void **state)
{
    struct xs_conn *c = conn_new(7);
    char out[XENSTORE_ABS_PATH_MAX + 64];
    char *big = malloc(XENSTORE_ABS_PATH_MAX + 2);

    (void)state;
    assert_int_equal(path_canon(c, "device/vif", out, sizeof(out)), 0);
    assert_string_equal(out, "/local/domain/7/device/vif");
    assert_int_equal(path_canon(c, "/abs", out, sizeof(out)), 0);
    assert_string_equal(out, "/abs");
    assert_int_equal(path_canon(c, "", out, sizeof(out)), -EINVAL);
    assert_int_equal(path_canon(c, "a//b", out, sizeof(out)), -EINVAL);
    memset(big, 'a', XENSTORE_ABS_PATH_MAX + 1);
    big[0] = '/';
    big[XENSTORE_ABS_PATH_MAX + 1] = '\0';
    assert_int_equal(path_canon(c, big, out, sizeof(out)), -EINVAL);
    big[XENSTORE_ABS_PATH_MAX] = '\0';
    assert_int_equal(path_canon(c, big, out, sizeof(out)), 0);
    /* Relative paths are limited to XENSTORE_REL_PATH_MAX. */
    memset(big, 'b', XENSTORE_REL_PATH_MAX + 1);
    big[XENSTORE_REL_PATH_MAX + 1] = '\0';
    assert_int_equal(path_canon(c, big, out, sizeof(out)), -EINVAL);
    free(big);
}

static void test_is_child(void **state)
{
    (void)state;
    assert_true(path_is_child("/a/b", "/a"));
    assert_true(path_is_child("/a", "/a"));
    assert_true(path_is_child("/a", "/"));
    assert_false(path_is_child("/ab", "/a"));
    assert_false(path_is_child("/a", "/a/b"));
}

static void test_requests_reject_bad_paths(void **state)
{
    struct xs_conn *c = conn_new(0);

    (void)state;
    assert_err(xs_write(c, 0, "/bad path", "v"), "EINVAL");
    assert_err(xs_write(c, 0, "/trailing/", "v"), "EINVAL");
    assert_err(xs_req(c, XS_READ, 0, "//x", NULL), "EINVAL");
    assert_err(xs_req_raw(c, XS_READ, 0, "/no-nul", 7), "EINVAL");
    assert_err(xs_req(c, XS_RM, 0, "/", NULL), "EINVAL");
    assert_err(xs_req(c, XS_READ, 0, "/missing", NULL), "ENOENT");
}

static void test_relative_and_implicit_parents(void **state)
{
    struct xs_conn *c = conn_new(3);
    struct xs_conn *d0 = conn_new(0);

    (void)state;
    assert_ok(xs_req(d0, XS_MKDIR, 0, "/local/domain/3", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/local/domain/3", "n3", NULL));
    assert_ok(xs_write(c, 0, "device/vbd/51712/state", "1"));
    assert_string_equal(xs_read(d0, 0, "/local/domain/3/device/vbd/51712/state"), "1");
    assert_string_equal(xs_read(d0, 0, "/local/domain/3/device/vbd"), "");
    assert_string_equal(xs_read(c, 0, "device/vbd/51712/state"), "1");
    /* MKDIR on an existing node leaves its value alone. */
    assert_ok(xs_req(c, XS_MKDIR, 0, "device/vbd/51712/state", NULL));
    assert_string_equal(xs_read(c, 0, "device/vbd/51712/state"), "1");
    /* RM of a missing node is fine, unless its parent is missing too. */
    assert_ok(xs_req(c, XS_RM, 0, "device/nothing", NULL));
    assert_err(xs_req(c, XS_RM, 0, "device/nothing/deeper", NULL), "ENOENT");
    struct reply *r = xs_req(c, XS_GET_DOMAIN_PATH, 0, "3", NULL);
    assert_string_equal(r->data, "/local/domain/3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_paths),
        cmocka_unit_test_setup_teardown(test_canon, harness_setup, harness_teardown),
        cmocka_unit_test(test_is_child),
        cmocka_unit_test_setup_teardown(test_requests_reject_bad_paths, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_relative_and_implicit_parents, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_paths", tests, NULL, NULL);
}

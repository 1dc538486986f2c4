/* SPDX-License-Identifier: MIT */
/* Transactions: isolation, atomic commit, conflicts (EAGAIN), aborts, limits. */
#include "helpers.h"

static void test_isolation_and_commit(void **state)
{
    struct xs_conn *a = conn_new(0), *b = conn_new(0);
    uint32_t t = txn_begin(a);
    char id[16];

    (void)state;
    assert_ok(xs_write(a, t, "/t/x", "1"));
    assert_ok(xs_write(a, t, "/t/y", "2"));
    assert_string_equal(xs_read(a, t, "/t/x"), "1");
    /* Nothing is visible outside the transaction before commit. */
    assert_null(xs_read(b, 0, "/t/x"));
    assert_null(xs_read(a, 0, "/t"));
    struct reply *r = xs_req(a, XS_DIRECTORY, t, "/t", NULL);
    assert_int_equal(r->len, 4);
    assert_ok(xs_req(a, XS_TRANSACTION_END, t, "T", NULL));
    assert_string_equal(xs_read(b, 0, "/t/x"), "1");
    assert_string_equal(xs_read(b, 0, "/t/y"), "2");
    /* The id is gone after END. */
    snprintf(id, sizeof(id), "%u", t);
    assert_err(xs_req(a, XS_READ, t, "/t/x", NULL), "ENOENT");
}

static void test_conflict(void **state)
{
    struct xs_conn *a = conn_new(0), *b = conn_new(0);
    uint32_t t;

    (void)state;
    assert_ok(xs_write(b, 0, "/c", "0"));
    t = txn_begin(a);
    assert_string_equal(xs_read(a, t, "/c"), "0");
    assert_ok(xs_write(a, t, "/c", "from-a"));
    assert_ok(xs_write(b, 0, "/c", "from-b"));
    assert_err(xs_req(a, XS_TRANSACTION_END, t, "T", NULL), "EAGAIN");
    assert_string_equal(xs_read(b, 0, "/c"), "from-b");
    /* Unrelated writes do not conflict. */
    t = txn_begin(a);
    assert_ok(xs_write(a, t, "/c", "again"));
    assert_ok(xs_write(b, 0, "/other", "x"));
    assert_ok(xs_req(a, XS_TRANSACTION_END, t, "T", NULL));
    assert_string_equal(xs_read(b, 0, "/c"), "again");
    /* A node read as missing that appears meanwhile conflicts too. */
    t = txn_begin(a);
    assert_null(xs_read(a, t, "/appears"));
    assert_ok(xs_write(a, t, "/z", "1"));
    assert_ok(xs_write(b, 0, "/appears", "x"));
    assert_err(xs_req(a, XS_TRANSACTION_END, t, "T", NULL), "EAGAIN");
    assert_null(xs_read(b, 0, "/z"));
}

static void test_abort_rm_and_recreate(void **state)
{
    struct xs_conn *a = conn_new(0);
    uint32_t t;
    struct reply *r;

    (void)state;
    assert_ok(xs_write(a, 0, "/d/keep", "k"));
    assert_ok(xs_write(a, 0, "/d/gone/deep", "g"));
    t = txn_begin(a);
    assert_ok(xs_write(a, t, "/d/new", "n"));
    assert_ok(xs_req(a, XS_TRANSACTION_END, t, "F", NULL));
    assert_null(xs_read(a, 0, "/d/new"));

    t = txn_begin(a);
    assert_ok(xs_req(a, XS_RM, t, "/d/gone", NULL));
    assert_null(xs_read(a, t, "/d/gone/deep"));
    assert_ok(xs_req(a, XS_MKDIR, t, "/d/gone", NULL));
    assert_null(xs_read(a, t, "/d/gone/deep"));
    r = xs_req(a, XS_DIRECTORY, t, "/d/gone", NULL);
    assert_int_equal(r->len, 0);
    r = xs_req(a, XS_DIRECTORY, t, "/d", NULL);
    assert_int_equal(r->len, strlen("keep") + 1 + strlen("gone") + 1);
    assert_string_equal(xs_read(a, 0, "/d/gone/deep"), "g");
    assert_ok(xs_req(a, XS_TRANSACTION_END, t, "T", NULL));
    assert_null(xs_read(a, 0, "/d/gone/deep"));
    assert_string_equal(xs_read(a, 0, "/d/gone"), "");
}

static void test_txn_errors_and_quota(void **state)
{
    struct xs_conn *a = conn_new(0);
    uint32_t ids[10];

    (void)state;
    assert_err(xs_req(a, XS_READ, 12345, "/", NULL), "ENOENT");
    assert_err(xs_req(a, XS_TRANSACTION_END, 0, "T", NULL), "ENOENT");
    for (int i = 0; i < 10; i++) {
        ids[i] = txn_begin(a);
    }
    assert_err(xs_req(a, XS_TRANSACTION_START, 0, "", NULL), "ENOSPC");
    assert_err(xs_req(a, XS_TRANSACTION_END, ids[0], "X", NULL), "EINVAL");
    assert_ok(xs_req(a, XS_TRANSACTION_END, ids[0], "F", NULL));
    assert_err(xs_req(a, XS_TRANSACTION_START, 5, "", NULL), "EBUSY");
    /* Touching more nodes than quota.txn_nodes fails the request, not the daemon. */
    char path[32];
    int i;
    for (i = 0; i < 2000; i++) {
        snprintf(path, sizeof(path), "/big/%d", i);
        struct reply *r = xs_write(a, ids[1], path, "v");
        if (r->type == XS_ERROR) {
            assert_string_equal(r->data, "ENOSPC");
            break;
        }
    }
    assert_true(i < 2000);
    assert_ok(xs_req(a, XS_RESET_WATCHES, 0, "", NULL));
    assert_int_equal(a->ntxns, 0);
}

static void test_watch_fires_on_commit_only(void **state)
{
    struct xs_conn *a = conn_new(0), *w = conn_new(0);
    struct reply r;
    uint32_t t;

    (void)state;
    assert_ok(xs_req(w, XS_WATCH, 0, "/wt", "tok", NULL));
    assert_true(next_msg(w, &r));
    t = txn_begin(a);
    assert_ok(xs_write(a, t, "/wt/a", "1"));
    assert_false(next_msg(w, &r));
    assert_ok(xs_req(a, XS_TRANSACTION_END, t, "T", NULL));
    assert_true(next_msg(w, &r));
    assert_string_equal(r.data, "/wt/a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_isolation_and_commit, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_conflict, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_abort_rm_and_recreate, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_txn_errors_and_quota, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_watch_fires_on_commit_only, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_transactions", tests, NULL, NULL);
}

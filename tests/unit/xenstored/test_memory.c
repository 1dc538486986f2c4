/* SPDX-License-Identifier: MIT */
/*
 * Memory accounting (issue 16): per-connection and per-domain accounts, the global
 * bound, Xen's ENOMEM when a bound is hit, and every byte given back on release.
 */
#include "helpers.h"

static int small_setup(void **state)
{
    struct xs_quota q;

    (void)state;
    core_default_quota(&q);
    q.memory = 64 * 1024;
    q.memory_total = 256 * 1024;
    q.nodes = 100000;
    return harness_setup_quota(&q);
}

static void fill(char *buf, size_t n)
{
    memset(buf, 'v', n - 1);
    buf[n - 1] = '\0';
}

static void test_transactions_hit_enomem_and_give_back(void **state)
{
    struct xs_conn *d0 = conn_new(0);
    struct xs_domain *dom0 = domain_get(&test_core, 0, false);
    char value[2000], path[32];
    size_t nodes_before = dom0->node_mem;
    uint32_t t = txn_begin(d0);
    int i;

    (void)state;
    fill(value, sizeof(value));
    for (i = 0; i < 1000; i++) {
        snprintf(path, sizeof(path), "/t/%d", i);
        struct reply *r = xs_write(d0, t, path, value);
        if (r->type == XS_ERROR) {
            assert_string_equal(r->data, "ENOMEM");
            break;
        }
    }
    assert_true(i > 5 && i < 1000);
    assert_true(d0->mem <= test_core.quota.memory);
    /* The rest of the store still works for this connection outside the transaction. */
    assert_ok(xs_write(d0, 0, "/outside", "v"));
    assert_ok(xs_req(d0, XS_TRANSACTION_END, t, "F", NULL));
    /* Everything the transaction held is released: the connection keeps only its output
     * buffer, and dom0's nodes grew by /outside alone. */
    assert_int_equal(d0->mem, d0->out.cap);
    assert_int_equal(dom0->node_mem - nodes_before, XS_NODE_COST(1));
}

static void test_unprivileged_node_memory_quota(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5);
    char value[2000], path[32];
    int i;

    (void)state;
    fill(value, sizeof(value));
    assert_ok(xs_req(d0, XS_MKDIR, 0, "/local/domain/5", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL));
    for (i = 0; i < 1000; i++) {
        snprintf(path, sizeof(path), "n%d", i);
        struct reply *r = xs_write(d5, 0, path, value);
        if (r->type == XS_ERROR) {
            assert_string_equal(r->data, "ENOMEM");
            break;
        }
    }
    struct xs_domain *dom = domain_get(&test_core, 5, false);
    assert_true(i > 5 && i < 1000);
    assert_true(dom->node_mem <= test_core.quota.memory);
    /* Shrinking a value and removing nodes give the memory back. */
    assert_ok(xs_write(d5, 0, "n0", "x"));
    assert_ok(xs_write(d5, 0, "again", value));
    assert_ok(xs_req(d0, XS_RM, 0, "/local/domain/5", NULL));
    assert_int_equal(dom->node_mem, 0);
}

static void test_global_bound_and_event_share(void **state)
{
    struct xs_conn *conns[8], *w = conn_new(0), *d0 = conn_new(0);
    uint32_t txns[8];
    char value[2000], path[32];
    bool refused = false;
    int n = 0;

    (void)state;
    fill(value, sizeof(value));
    /* Eight connections each under their own bound reach the global one. */
    for (int c = 0; c < 8 && !refused; c++) {
        conns[c] = conn_new(0);
        txns[c] = txn_begin(conns[c]);
        n++;
        for (int i = 0; i < 40; i++) {
            snprintf(path, sizeof(path), "/g%d/%d", c, i);
            struct reply *r = xs_write(conns[c], txns[c], path, value);
            if (r->type == XS_ERROR) {
                assert_string_equal(r->data, "ENOMEM");
                refused = test_core.mem_used > test_core.quota.memory_total / 2;
                break;
            }
        }
    }
    assert_true(refused);
    assert_true(test_core.mem_used <= test_core.quota.memory_total);
    /* Requests keep a quarter of the bound: plain writes still succeed. */
    assert_ok(xs_write(d0, 0, "/plain", "v"));
    /* ... and new transactions or watches are what is refused. */
    assert_err(xs_req(w, XS_WATCH, 0, "/ev", "tok", NULL), "ENOMEM");
    for (int c = 0; c < n; c++) {
        assert_ok(xs_req(conns[c], XS_TRANSACTION_END, txns[c], "F", NULL));
        core_conn_free(conns[c]);
    }
    /* A watcher that never reads loses events instead of growing the daemon. */
    assert_ok(xs_req(w, XS_WATCH, 0, "/ev", "tok", NULL));
    for (int i = 0; i < 2000; i++) {
        snprintf(path, sizeof(path), "/ev/%d", i);
        assert_ok(xs_write(d0, 0, path, ""));
    }
    assert_true(w->events_dropped > 0);
    assert_true(test_core.mem_used <= test_core.quota.memory_total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transactions_hit_enomem_and_give_back, small_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_unprivileged_node_memory_quota, small_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_global_bound_and_event_share, small_setup,
                                        harness_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Quotas: nodes, value size, ACL entries, per-turn requests, oversized messages. */
#include "helpers.h"

static int small_setup(void **state)
{
    struct xs_quota q;

    (void)state;
    core_default_quota(&q);
    q.nodes = 10;
    return harness_setup_quota(&q);
}

static void test_node_quota(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5);
    char path[32];

    (void)state;
    assert_ok(xs_req(d0, XS_MKDIR, 0, "/local/domain/5", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL));
    /* /local/domain/5 itself now counts against dom5. */
    for (int i = 0; i < 9; i++) {
        snprintf(path, sizeof(path), "n%d", i);
        assert_ok(xs_write(d5, 0, path, "v"));
    }
    assert_err(xs_write(d5, 0, "one-more", "v"), "ENOSPC");
    /* A chain that does not fit is refused whole. */
    assert_ok(xs_req(d5, XS_RM, 0, "n0", NULL));
    assert_err(xs_write(d5, 0, "x/y", "v"), "ENOSPC");
    assert_null(xs_read(d5, 0, "x"));
    assert_ok(xs_write(d5, 0, "x", "v"));
    /* Removing frees quota; dom0 has none. */
    assert_ok(xs_req(d5, XS_RM, 0, "x", NULL));
    assert_ok(xs_write(d5, 0, "n0", "v"));
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof(path), "/dom0/%d", i);
        assert_ok(xs_write(d0, 0, path, "v"));
    }
    /* Transactions count their creations against the quota as well. */
    uint32_t t = txn_begin(d5);
    assert_err(xs_write(d5, t, "txnode", "v"), "ENOSPC");
    assert_ok(xs_req(d5, XS_TRANSACTION_END, t, "F", NULL));
}

static void test_value_and_perm_limits(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5);
    char big[3000];

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_ok(xs_req(d0, XS_MKDIR, 0, "/local/domain/5", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL));
    assert_err(xs_write(d5, 0, "big", big), "ENOSPC");
    assert_ok(xs_write(d0, 0, "/big", big));
    assert_ok(xs_write(d5, 0, "acl", "v"));
    assert_err(xs_req(d5, XS_SET_PERMS, 0, "acl", "n5", "r1", "r2", "r3", "r4", "r5", "r6", NULL),
               "ENOSPC");
    assert_ok(xs_req(d5, XS_SET_PERMS, 0, "acl", "n5", "r1", "r2", "r3", "r4", "r5", NULL));
}

static void test_turn_limit_and_framing(void **state)
{
    struct xs_conn *c = conn_new(0);
    uint8_t buf[64 * 40];
    size_t len = 0;
    int err = 0;
    struct reply r;

    (void)state;
    for (int i = 0; i < 40; i++) {
        struct xsd_sockmsg hdr = {XS_READ, (uint32_t)i, 0, 2};
        memcpy(buf + len, &hdr, sizeof(hdr));
        memcpy(buf + len + sizeof(hdr), "/", 2);
        len += sizeof(hdr) + 2;
    }
    /* One turn handles at most quota.turn_requests, leaving the rest for later. */
    assert_int_equal(core_conn_input(c, buf, len, &err), 20 * 18);
    for (int i = 0; i < 20; i++) {
        assert_true(next_msg(c, &r));
        assert_int_equal(r.req_id, i);
    }
    /* Unknown type: EINVAL reply; oversized length: the connection must go. */
    assert_err(xs_req_raw(c, 999, 0, "", 0), "EINVAL");
    assert_err(xs_req_raw(c, XS_WATCH_EVENT, 0, "", 0), "EINVAL");
    assert_err(xs_req_raw(c, XS_ERROR, 0, "", 0), "EINVAL");
    struct xsd_sockmsg hdr = {XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1};
    assert_int_equal(core_conn_input(c, (uint8_t *)&hdr, sizeof(hdr), &err), 0);
    assert_int_equal(err, -EPROTO);
    /* A truncated header or payload is simply waited for. */
    assert_int_equal(core_conn_input(c, buf, 10, &err), 0);
    assert_int_equal(err, 0);
    assert_int_equal(core_conn_input(c, buf, 17, &err), 0);
}

static void test_backpressure(void **state)
{
    struct xs_conn *c = conn_new(0);
    static uint8_t buf[(16 + 4096) * 20];
    size_t len = 0, total = 0;
    int err = 0;

    (void)state;
    assert_ok(xs_write(c, 0, "/v", ""));
    char value[4000];
    memset(value, 'a', sizeof(value));
    struct reply *r = xs_req_raw(c, XS_WRITE, 0, "/v\0", 3);
    assert_ok(r);
    uint8_t w[4100];
    memcpy(w, "/v", 3);
    memcpy(w + 3, value, sizeof(value));
    assert_ok(xs_req_raw(c, XS_WRITE, 0, w, 3 + sizeof(value)));
    for (int i = 0; i < 20; i++) {
        struct xsd_sockmsg hdr = {XS_READ, (uint32_t)i, 0, 3};
        memcpy(buf + len, &hdr, sizeof(hdr));
        memcpy(buf + len + sizeof(hdr), "/v", 3);
        len += sizeof(hdr) + 3;
    }
    /* Replies are never read: the daemon stops reading at out_soft. */
    for (int round = 0; round < 100; round++) {
        total += core_conn_input(c, buf, len, &err);
    }
    assert_true(c->out.len - c->out.head <= test_core.quota.out_soft + 20 * XS_MSG_MAX);
    assert_false(core_conn_can_read(c));
    (void)total;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_node_quota, small_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_value_and_perm_limits, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_turn_limit_and_framing, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_quotas", tests, NULL, NULL);
}

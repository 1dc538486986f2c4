/* SPDX-License-Identifier: MIT */
/* Watches: initial event, descendants, relative paths, removal, specials, quotas. */
#include "helpers.h"

/* Expects the next queued message to be a watch event (path, token). */
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

static void test_basic_events(void **state)
{
    struct xs_conn *w = conn_new(0), *c = conn_new(0);

    (void)state;
    assert_ok(xs_req(w, XS_WATCH, 0, "/a", "tok", NULL));
    expect_event(w, "/a", "tok");
    assert_ok(xs_write(c, 0, "/a/b/c", "1"));
    expect_event(w, "/a/b/c", "tok");
    assert_ok(xs_write(c, 0, "/ab", "1"));
    expect_none(w);
    assert_ok(xs_req(c, XS_SET_PERMS, 0, "/a/b", "r0", NULL));
    expect_event(w, "/a/b", "tok");
    assert_err(xs_req(w, XS_WATCH, 0, "/a", "tok", NULL), "EEXIST");
    assert_ok(xs_req(w, XS_UNWATCH, 0, "/a", "tok", NULL));
    assert_err(xs_req(w, XS_UNWATCH, 0, "/a", "tok", NULL), "ENOENT");
    assert_ok(xs_write(c, 0, "/a/b/c", "2"));
    expect_none(w);
}

static void test_rm_fires_below(void **state)
{
    struct xs_conn *w = conn_new(0), *c = conn_new(0);

    (void)state;
    assert_ok(xs_write(c, 0, "/r/x/y", "1"));
    assert_ok(xs_req(w, XS_WATCH, 0, "/r/x/y", "deep", NULL));
    expect_event(w, "/r/x/y", "deep");
    assert_ok(xs_req(w, XS_WATCH, 0, "/", "root", NULL));
    expect_event(w, "/", "root");
    assert_ok(xs_req(c, XS_RM, 0, "/r", NULL));
    /* Both fire: the root watch with the removed path, the deep one with its own path. */
    struct reply r1, r2;
    assert_true(next_msg(w, &r1));
    assert_true(next_msg(w, &r2));
    assert_true((strcmp(r1.data, "/r") == 0 && strcmp(r2.data, "/r/x/y") == 0) ||
                (strcmp(r2.data, "/r") == 0 && strcmp(r1.data, "/r/x/y") == 0));
    expect_none(w);
}

static void test_relative_and_perms(void **state)
{
    struct xs_conn *d0 = conn_new(0), *d5 = conn_new(5);

    (void)state;
    assert_ok(xs_req(d0, XS_MKDIR, 0, "/local/domain/5", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/local/domain/5", "n5", NULL));
    assert_ok(xs_req(d5, XS_WATCH, 0, "device", "rel", NULL));
    expect_event(d5, "device", "rel");
    assert_ok(xs_write(d0, 0, "/local/domain/5/device/vif/0", "x"));
    expect_event(d5, "device/vif/0", "rel");
    /* dom5 may watch /, but gets no events for nodes it cannot read. */
    assert_ok(xs_req(d5, XS_WATCH, 0, "/", "all", NULL));
    expect_event(d5, "/", "all");
    assert_ok(xs_write(d0, 0, "/private", "x"));
    expect_none(d5);
}

static void test_special_watches(void **state)
{
    struct xs_conn *d0 = conn_new(0);

    (void)state;
    assert_ok(xs_req(d0, XS_WATCH, 0, "@introduceDomain", "i", NULL));
    expect_event(d0, "@introduceDomain", "i");
    assert_ok(xs_req(d0, XS_WATCH, 0, "@releaseDomain", "r", NULL));
    expect_event(d0, "@releaseDomain", "r");
    assert_ok(xs_req(d0, XS_INTRODUCE, 0, "12", "4096", "3", NULL));
    expect_event(d0, "@introduceDomain", "i");
    struct reply *r = xs_req(d0, XS_IS_DOMAIN_INTRODUCED, 0, "12", NULL);
    assert_string_equal(r->data, "T");
    assert_ok(xs_req(d0, XS_RESUME, 0, "12", NULL));
    assert_ok(xs_req(d0, XS_RELEASE, 0, "12", NULL));
    expect_event(d0, "@releaseDomain", "r");
    r = xs_req(d0, XS_IS_DOMAIN_INTRODUCED, 0, "12", NULL);
    assert_string_equal(r->data, "F");
    assert_err(xs_req(d0, XS_RELEASE, 0, "12", NULL), "ENOENT");
    assert_err(xs_req(d0, XS_RESUME, 0, "12", NULL), "ENOENT");
    assert_err(xs_req(d0, XS_INTRODUCE, 0, "0", "1", "1", NULL), "EINVAL");
    assert_err(xs_req(d0, XS_INTRODUCE, 0, "12", "x", "1", NULL), "EINVAL");
    /* Writes do not match special watches. */
    assert_ok(xs_write(d0, 0, "/x", "1"));
    expect_none(d0);
}

static void test_watch_quota_and_reset(void **state)
{
    struct xs_conn *c = conn_new(0);
    char tok[16];
    struct reply r;

    (void)state;
    for (int i = 0; i < 128; i++) {
        snprintf(tok, sizeof(tok), "t%d", i);
        assert_ok(xs_req(c, XS_WATCH, 0, "/q", tok, NULL));
        assert_true(next_msg(c, &r));
    }
    assert_err(xs_req(c, XS_WATCH, 0, "/q", "one-too-many", NULL), "E2BIG");
    assert_ok(xs_req(c, XS_RESET_WATCHES, 0, "", NULL));
    assert_int_equal(c->nwatches, 0);
    assert_ok(xs_write(c, 0, "/q", "1"));
    expect_none(c);
    assert_err(xs_req(c, XS_WATCH, 0, "/q", NULL), "EINVAL");
    assert_err(xs_req(c, XS_WATCH, 0, "bad//path", "t", NULL), "EINVAL");
}

static void test_event_backlog_bounded(void **state)
{
    struct xs_conn *w = conn_new(0), *c = conn_new(0);
    char value[2048];

    (void)state;
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    assert_ok(xs_req(w, XS_WATCH, 0, "/flood", "t", NULL));
    /* The watcher never reads: its queue stops growing at out_hard, events are dropped. */
    for (int i = 0; i < 100000; i++) {
        assert_ok(xs_write(c, 0, "/flood/key-with-a-long-name-to-make-events-bigger", "x"));
    }
    assert_true(w->out.len - w->out.head <= test_core.quota.out_hard + XS_MSG_MAX);
    assert_true(w->events_dropped > 0);
    (void)value;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_events, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_rm_fires_below, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_relative_and_perms, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_special_watches, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_watch_quota_and_reset, harness_setup,
                                        harness_teardown),
        cmocka_unit_test_setup_teardown(test_event_backlog_bounded, harness_setup,
                                        harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_watches", tests, NULL, NULL);
}

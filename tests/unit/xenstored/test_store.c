/* SPDX-License-Identifier: MIT */
/* Store: chunked child lists, incremental subtree removal, compaction, consistency. */
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static int count_child(void *ctx, const char *name, size_t len)
{
    (void)name;
    (void)len;
    (*(unsigned *)ctx)++;
    return 0;
}

static void make_node(struct xs_node *n)
{
    memset(n, 0, sizeof(*n));
    n->nperms = 1;
}

static void test_many_children(void **state)
{
    struct store_config cfg = {.path = NULL, .expected_nodes = 20000};
    struct store *st;
    struct xs_node *n = malloc(sizeof(*n));
    char path[64];
    unsigned count = 0;

    (void)state;
    assert_int_equal(store_open(&st, &cfg), 0);
    make_node(n);
    assert_int_equal(store_create(st, "/dir", n), 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(path, sizeof(path), "/dir/child-%d", i);
        make_node(n);
        assert_int_equal(store_create(st, path, n), 0);
    }
    assert_int_equal(store_create(st, "/dir/child-7", n), -EEXIST);
    assert_int_equal(store_create(st, "/nope/x", n), -ENOENT);
    /* Remove every other child: chunks shrink and empty ones are unlinked. */
    for (int i = 0; i < 5000; i += 2) {
        snprintf(path, sizeof(path), "/dir/child-%d", i);
        assert_int_equal(store_rm(st, path, NULL, NULL), 0);
    }
    assert_int_equal(store_check(st), 0);
    assert_int_equal(store_get(st, "/dir", n), 0);
    assert_int_equal(n->nchild, 2500);
    assert_int_equal(store_list(st, n, "/dir", count_child, &count), 0);
    assert_int_equal(count, 2500);
    assert_int_equal(store_get(st, "/dir/child-2", n), -ENOENT);
    assert_int_equal(store_get(st, "/dir/child-3", n), 0);
    free(n);
    store_close(st);
}

static unsigned removed;

static void on_removed(void *ctx, const struct xs_node *n)
{
    (void)ctx;
    (void)n;
    removed++;
}

static void test_rm_subtree_and_compact(void **state)
{
    char file[] = "/tmp/xsd-store-XXXXXX";
    int fd = mkstemp(file);
    struct store_config cfg = {.path = file, .expected_nodes = 20000};
    struct store *st;
    struct xs_node *n = malloc(sizeof(*n));
    struct store_stats stats;
    struct stat sb1, sb2;
    char path[64];

    (void)state;
    close(fd);
#ifdef XSD_KVMEM
    cfg.path = NULL; /* kvmem keeps no file: the same test in memory */
#endif
    assert_int_equal(store_open(&st, &cfg), 0);
    make_node(n);
    assert_int_equal(store_create(st, "/t", n), 0);
    for (int i = 0; i < 100; i++) {
        snprintf(path, sizeof(path), "/t/%d", i);
        assert_int_equal(store_create(st, path, n), 0);
        for (int j = 0; j < 100; j++) {
            snprintf(path, sizeof(path), "/t/%d/%d", i, j);
            n->vlen = 100;
            assert_int_equal(store_create(st, path, n), 0);
        }
    }
    assert_int_equal(stat(file, &sb1), 0);
    removed = 0;
    assert_int_equal(store_rm(st, "/t", on_removed, NULL), 0);
    assert_int_equal(removed, 1 + 100 + 100 * 100);
    assert_int_equal(store_get(st, "/t", n), -ENOENT);
    assert_int_equal(store_check(st), 0);
    assert_int_equal(store_maybe_compact(st), 0);
    store_get_stats(st, &stats);
    assert_int_equal(stats.compactions, 1);
    assert_int_equal(stat(file, &sb2), 0);
    if (cfg.path) {
        assert_true(sb2.st_size < sb1.st_size / 4);
    }
    assert_int_equal(store_check(st), 0);
    make_node(n);
    assert_int_equal(store_create(st, "/after", n), 0);
    assert_int_equal(store_check(st), 0);
    store_close(st);
    unlink(file);
    free(n);
}

static void test_hash_size(void **state)
{
    (void)state;
    assert_int_equal(store_hash_size_for(10), 131);
    unsigned h = store_hash_size_for(100000);
    assert_true(h >= 100000 && h < 110000);
}

static void test_directory_part(void **state)
{
    struct xs_conn *c = conn_new(0);
    char path[64], all[65536];
    size_t all_len = 0, off = 0;
    uint64_t gen0 = 0;

    (void)state;
    for (int i = 0; i < 600; i++) {
        snprintf(path, sizeof(path), "/p/entry-number-%d", i);
        assert_ok(xs_write(c, 0, path, ""));
    }
    assert_err(xs_req(c, XS_DIRECTORY, 0, "/p", NULL), "E2BIG");
    for (;;) {
        char offs[24];
        snprintf(offs, sizeof(offs), "%zu", off);
        struct reply *r = xs_req(c, XS_DIRECTORY_PART, 0, "/p", offs, NULL);
        assert_int_equal(r->type, XS_DIRECTORY_PART);
        size_t glen = strlen(r->data) + 1;
        uint64_t gen = strtoull(r->data, NULL, 10);
        if (gen0 == 0) {
            gen0 = gen;
        }
        assert_true(gen == gen0);
        size_t n = r->len - glen;
        bool last = n > 0 && r->data[r->len - 1] == '\0' && (n == 1 || r->data[r->len - 2] == '\0');
        memcpy(all + all_len, r->data + glen, n - (last ? 1 : 0));
        all_len += n - (last ? 1 : 0);
        off = all_len;
        if (last) {
            break;
        }
    }
    unsigned names = 0;
    for (size_t i = 0; i < all_len; i++) {
        names += all[i] == '\0';
    }
    assert_int_equal(names, 600);
    assert_err(xs_req(c, XS_DIRECTORY_PART, 0, "/p", NULL), "EINVAL");
    assert_err(xs_req(c, XS_DIRECTORY_PART, 0, "/p", "x", NULL), "EINVAL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_children),
        cmocka_unit_test(test_rm_subtree_and_compact),
        cmocka_unit_test(test_hash_size),
        cmocka_unit_test_setup_teardown(test_directory_part, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_store", tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* kvmem.c: tdb's calls as store.c makes them, over dom0-lite's in-memory table. */
#include "helpers.h"
#include "kvmem.h"

static TDB_DATA d(const char *s)
{
    return (TDB_DATA){(unsigned char *)s, strlen(s)};
}

static void assert_value(struct tdb_context *t, const char *key, const char *value)
{
    TDB_DATA v = tdb_fetch(t, d(key));

    if (!value) {
        assert_null(v.dptr);
        assert_int_equal(tdb_error(t), TDB_ERR_NOEXIST);
        return;
    }
    assert_non_null(v.dptr);
    assert_int_equal(v.dsize, strlen(value));
    assert_memory_equal(v.dptr, value, v.dsize);
    free(v.dptr);
}

static void test_store_flags(void **state)
{
    struct tdb_context *t = kvmem_open(131);

    (void)state;
    assert_non_null(t);
    assert_value(t, "a", NULL);
    assert_int_equal(tdb_exists(t, d("a")), 0);
    assert_int_equal(tdb_store(t, d("a"), d("one"), TDB_MODIFY), -1);
    assert_int_equal(tdb_error(t), TDB_ERR_NOEXIST);
    assert_int_equal(tdb_store(t, d("a"), d("one"), TDB_INSERT), 0);
    assert_int_equal(tdb_exists(t, d("a")), 1);
    assert_int_equal(tdb_store(t, d("a"), d("two"), TDB_INSERT), -1);
    assert_int_equal(tdb_error(t), TDB_ERR_EXISTS);
    assert_value(t, "a", "one");
    assert_int_equal(tdb_store(t, d("a"), d("three"), TDB_REPLACE), 0);
    assert_value(t, "a", "three");
    /* Shorter, then longer than the record's room: rewritten in place, then moved. */
    assert_int_equal(tdb_store(t, d("a"), d("4"), TDB_MODIFY), 0);
    assert_value(t, "a", "4");
    assert_int_equal(tdb_store(t, d("a"), d("a much longer value than before"), TDB_REPLACE), 0);
    assert_value(t, "a", "a much longer value than before");
    assert_int_equal(tdb_store(t, d("a"), d("x"), 7), -1);
    assert_int_equal(tdb_error(t), TDB_ERR_EINVAL);
    /* Keys are bytes: a NUL inside one, a prefix of another, the empty key. */
    assert_int_equal(tdb_store(t, (TDB_DATA){(unsigned char *)"a\0b", 3}, d("nul"), TDB_INSERT), 0);
    assert_int_equal(tdb_store(t, d("ab"), d("ab"), TDB_INSERT), 0);
    assert_int_equal(tdb_store(t, d(""), d(""), TDB_INSERT), 0);
    assert_value(t, "a", "a much longer value than before");
    assert_value(t, "ab", "ab");
    assert_value(t, "", "");
    assert_int_equal(tdb_delete(t, d("a")), 0);
    assert_int_equal(tdb_delete(t, d("a")), -1);
    assert_int_equal(tdb_error(t), TDB_ERR_NOEXIST);
    assert_value(t, "a", NULL);
    assert_value(t, "ab", "ab");
    assert_int_equal(tdb_close(t), 0);
}

static int parse_len(TDB_DATA key, TDB_DATA data, void *priv)
{
    *(size_t *)priv = key.dsize * 1000 + data.dsize;
    return 42;
}

static int count_and_stop(struct tdb_context *t, TDB_DATA key, TDB_DATA data, void *priv)
{
    unsigned *n = priv;

    (void)t;
    (void)key;
    (void)data;
    return ++*n == 5;
}

static int sum_values(struct tdb_context *t, TDB_DATA key, TDB_DATA data, void *priv)
{
    unsigned long v = 0;

    (void)t;
    (void)key;
    for (size_t i = 0; i < data.dsize; i++) {
        v = v * 10 + (unsigned)(data.dptr[i] - '0');
    }
    *(unsigned long *)priv += v;
    return 0;
}

static void test_parse_and_traverse(void **state)
{
    struct tdb_context *t = kvmem_open(0);
    size_t got = 0;
    unsigned n = 0;
    unsigned long sum = 0;
    char k[32], v[32];

    (void)state;
    assert_int_equal(tdb_parse_record(t, d("k"), parse_len, &got), -1);
    assert_int_equal(tdb_error(t), TDB_ERR_NOEXIST);
    assert_int_equal(got, 0);
    assert_int_equal(tdb_traverse_read(t, NULL, NULL), 0);
    assert_int_equal(tdb_store(t, d("k"), d("12345"), TDB_INSERT), 0);
    assert_int_equal(tdb_parse_record(t, d("k"), parse_len, &got), 42);
    assert_int_equal(got, 1005);
    for (unsigned i = 1; i < 100; i++) {
        snprintf(k, sizeof(k), "key%u", i);
        snprintf(v, sizeof(v), "%u", i);
        assert_int_equal(tdb_store(t, d(k), d(v), TDB_INSERT), 0);
    }
    assert_int_equal(tdb_traverse_read(t, NULL, NULL), 100);
    /* As tdb: a callback returning non-zero stops the walk, which counts that record. */
    assert_int_equal(tdb_traverse_read(t, count_and_stop, &n), 5);
    assert_int_equal(tdb_traverse_read(t, sum_values, &sum), 100);
    assert_int_equal(sum, 12345 + 99 * 100 / 2);
    tdb_close(t);
}

/* The table grows far past its starting size; every record stays reachable. */
static void test_growth(void **state)
{
    struct tdb_context *t = kvmem_open(64);
    char k[32], v[32];
    unsigned n = 0;

    (void)state;
    for (unsigned i = 0; i < 100000; i++) {
        snprintf(k, sizeof(k), "/local/domain/%u/x", i);
        snprintf(v, sizeof(v), "%u", i * 7);
        assert_int_equal(tdb_store(t, d(k), d(v), TDB_INSERT), 0);
    }
    for (unsigned i = 0; i < 100000; i += 3) {
        snprintf(k, sizeof(k), "/local/domain/%u/x", i);
        assert_int_equal(tdb_delete(t, d(k)), 0);
    }
    for (unsigned i = 0; i < 100000; i++) {
        snprintf(k, sizeof(k), "/local/domain/%u/x", i);
        snprintf(v, sizeof(v), "%u", i * 7);
        assert_value(t, k, i % 3 == 0 ? NULL : v);
    }
    assert_int_equal(tdb_traverse_read(t, NULL, &n), 100000 - 33334);
    tdb_close(t);
}

/* The store over kvmem: memory only, so a --db file is refused; compaction works. */
static void test_store_over_kvmem(void **state)
{
    struct store_config file = {.path = "/tmp/nowhere", .expected_nodes = 100};
    struct store_config mem = {.path = NULL, .expected_nodes = 100};
    struct store *st;
    struct xs_node *n = calloc(1, sizeof(*n));
    struct store_stats stats;
    char path[32];

    (void)state;
    assert_int_equal(store_open(&st, &file), -EIO);
    assert_int_equal(store_open(&st, &mem), 0);
    n->nperms = 1;
    assert_int_equal(store_create(st, "/d", n), 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(path, sizeof(path), "/d/%d", i);
        n->vlen = 3;
        memcpy(n->value, "abc", 3);
        assert_int_equal(store_create(st, path, n), 0);
    }
    assert_int_equal(store_rm(st, "/d", NULL, NULL), 0);
    assert_int_equal(store_maybe_compact(st), 0);
    store_get_stats(st, &stats);
    assert_int_equal(stats.compactions, 1);
    assert_int_equal(store_check(st), 0);
    assert_int_equal(store_get(st, "/d/7", n), -ENOENT);
    store_close(st);
    free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_flags),
        cmocka_unit_test(test_parse_and_traverse),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_store_over_kvmem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* In-process harness for xenstored unit tests: a core, a store, and fake connections. */
#ifndef XENSTORED_TEST_HELPERS_H
#define XENSTORED_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"

struct reply {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
    char data[XENSTORE_PAYLOAD_MAX + 1];
};

static struct xs_core test_core;
static struct store *test_store;

static inline int harness_setup_quota(const struct xs_quota *q)
{
    struct store_config cfg = {.path = NULL, .expected_nodes = 1000};

    if (store_open(&test_store, &cfg) != 0) {
        return -1;
    }
    return core_init(&test_core, test_store, q);
}

static inline int harness_setup(void **state)
{
    struct xs_quota q;

    (void)state;
    core_default_quota(&q);
    return harness_setup_quota(&q);
}

static inline int harness_teardown(void **state)
{
    (void)state;
    assert_int_equal(store_check(test_store), 0);
    core_fini(&test_core);
    store_close(test_store);
    return 0;
}

static inline struct xs_conn *conn_new(unsigned domid)
{
    if (domid != 0) {
        domain_get(&test_core, domid, true)->introduced = true;
    }
    struct xs_conn *c = core_conn_new(&test_core, domid, NULL, NULL);
    assert_non_null(c);
    return c;
}

/* Pops the next queued message of @c into @r; false if none. */
static inline bool next_msg(struct xs_conn *c, struct reply *r)
{
    const uint8_t *data;
    size_t len = core_conn_output(c, &data);
    struct xsd_sockmsg hdr;

    if (len == 0) {
        return false;
    }
    assert_true(len >= sizeof(hdr));
    memcpy(&hdr, data, sizeof(hdr));
    assert_true(hdr.len <= XENSTORE_PAYLOAD_MAX && len >= sizeof(hdr) + hdr.len);
    r->type = hdr.type;
    r->req_id = hdr.req_id;
    r->tx_id = hdr.tx_id;
    r->len = hdr.len;
    memcpy(r->data, data + sizeof(hdr), hdr.len);
    r->data[hdr.len] = '\0';
    core_conn_consumed(c, sizeof(hdr) + hdr.len);
    return true;
}

/* Sends one request and returns its reply (the first queued message). */
static inline struct reply *xs_req_raw(struct xs_conn *c, uint32_t type, uint32_t tx,
                                       const void *payload, uint32_t len)
{
    static struct reply r;
    uint8_t buf[XS_MSG_MAX];
    struct xsd_sockmsg hdr = {type, 42, tx, len};
    int err = 0;

    memcpy(buf, &hdr, sizeof(hdr));
    memcpy(buf + sizeof(hdr), payload, len);
    assert_int_equal(core_conn_input(c, buf, sizeof(hdr) + len, &err), sizeof(hdr) + len);
    assert_int_equal(err, 0);
    assert_true(next_msg(c, &r));
    return &r;
}

/* Payload built from NUL-separated strings: xs_req(c, type, tx, "a", "b", NULL). */
static inline struct reply *xs_req(struct xs_conn *c, uint32_t type, uint32_t tx, ...)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    uint32_t len = 0;
    va_list ap;
    const char *s;

    va_start(ap, tx);
    while ((s = va_arg(ap, const char *)) != NULL) {
        size_t n = strlen(s) + 1;
        memcpy(buf + len, s, n);
        len += (uint32_t)n;
    }
    va_end(ap);
    return xs_req_raw(c, type, tx, buf, len);
}

static inline struct reply *xs_write(struct xs_conn *c, uint32_t tx, const char *path,
                                     const char *value)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t plen = strlen(path) + 1, vlen = strlen(value);

    memcpy(buf, path, plen);
    memcpy(buf + plen, value, vlen);
    return xs_req_raw(c, XS_WRITE, tx, buf, (uint32_t)(plen + vlen));
}

#define assert_ok(r)                                                                               \
    do {                                                                                           \
        struct reply *r_ = (r);                                                                    \
        if (r_->type == XS_ERROR) {                                                                \
            fail_msg("unexpected error %s", r_->data);                                             \
        }                                                                                          \
    } while (0)

#define assert_err(r, e)                                                                           \
    do {                                                                                           \
        struct reply *r_ = (r);                                                                    \
        assert_int_equal(r_->type, XS_ERROR);                                                      \
        assert_string_equal(r_->data, e);                                                          \
    } while (0)

static inline const char *xs_read(struct xs_conn *c, uint32_t tx, const char *path)
{
    struct reply *r = xs_req(c, XS_READ, tx, path, NULL);

    return r->type == XS_ERROR ? NULL : r->data;
}

static inline uint32_t txn_begin(struct xs_conn *c)
{
    struct reply *r = xs_req(c, XS_TRANSACTION_START, 0, "", NULL);

    assert_int_equal(r->type, XS_TRANSACTION_START);
    return (uint32_t)strtoul(r->data, NULL, 10);
}

#endif

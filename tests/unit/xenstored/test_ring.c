/* SPDX-License-Identifier: MIT */
/*
 * Ring transport driven over a shared page in memory: a front-end thread plays the
 * guest's xenbus (requests into req[], replies from rsp[]), event channels are pipes.
 */
#include <pthread.h>
#include <unistd.h>

#include "helpers.h"
#include "transport_ring.h"

struct fake_evtchn {
    int fds[2];
};

static struct xenstore_domain_interface page;
static struct fake_evtchn to_back, to_front;
static struct ring_conn *ring;
static volatile int back_stop;

static void notify_front(void *ctx)
{
    (void)ctx;
    char b = 1;
    (void)!write(to_front.fds[1], &b, 1);
}

static const struct ring_evtchn_ops evtchn_ops = {.notify = notify_front};

static void *backend(void *arg)
{
    char b;

    (void)arg;
    while (read(to_back.fds[0], &b, 1) == 1 && !back_stop) {
        ring_conn_poll(ring);
    }
    return NULL;
}

static void front_kick(void)
{
    char b = 1;
    (void)!write(to_back.fds[1], &b, 1);
}

/* Writes bytes into req[], waiting for space as xenbus does. */
static void front_send(const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0) {
        uint32_t cons = __atomic_load_n(&page.req_cons, __ATOMIC_ACQUIRE);
        uint32_t prod = page.req_prod;
        uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
        if (space == 0) {
            usleep(100);
            continue;
        }
        uint32_t n = len < space ? (uint32_t)len : space;
        for (uint32_t i = 0; i < n; i++) {
            page.req[MASK_XENSTORE_IDX(prod + i)] = (char)p[i];
        }
        __atomic_store_n(&page.req_prod, prod + n, __ATOMIC_RELEASE);
        front_kick();
        p += n;
        len -= n;
    }
}

static void front_recv(void *data, size_t len)
{
    uint8_t *p = data;
    char b;

    while (len > 0) {
        uint32_t prod = __atomic_load_n(&page.rsp_prod, __ATOMIC_ACQUIRE);
        uint32_t cons = page.rsp_cons;
        if (prod == cons) {
            assert_int_equal(read(to_front.fds[0], &b, 1), 1);
            continue;
        }
        uint32_t n = prod - cons < len ? prod - cons : (uint32_t)len;
        for (uint32_t i = 0; i < n; i++) {
            p[i] = (uint8_t)page.rsp[MASK_XENSTORE_IDX(cons + i)];
        }
        __atomic_store_n(&page.rsp_cons, cons + n, __ATOMIC_RELEASE);
        front_kick();
        p += n;
        len -= n;
    }
}

static void front_msg(uint32_t type, const void *payload, uint32_t len, struct reply *r)
{
    struct xsd_sockmsg hdr = {type, 7, 0, len};

    front_send(&hdr, sizeof(hdr));
    front_send(payload, len);
    front_recv(&hdr, sizeof(hdr));
    assert_true(hdr.len <= XENSTORE_PAYLOAD_MAX);
    r->type = hdr.type;
    r->len = hdr.len;
    front_recv(r->data, hdr.len);
    r->data[hdr.len] = '\0';
}

static int ring_setup(void **state)
{
    memset(&page, 0, sizeof(page));
    back_stop = 0;
    if (harness_setup(state) != 0 || pipe(to_back.fds) != 0 || pipe(to_front.fds) != 0) {
        return -1;
    }
    domain_get(&test_core, 4, true)->introduced = true;
    return ring_conn_new(&ring, &test_core, 4, &page, &evtchn_ops, NULL);
}

static void ring_stop(pthread_t th)
{
    back_stop = 1;
    front_kick();
    pthread_join(th, NULL);
    ring_conn_free(ring);
    close(to_back.fds[0]);
    close(to_back.fds[1]);
    close(to_front.fds[0]);
    close(to_front.fds[1]);
}

static void test_ring_round_trips(void **state)
{
    static struct reply r;
    pthread_t th;
    char big[XENSTORE_PAYLOAD_MAX];

    (void)state;
    assert_int_equal(pthread_create(&th, NULL, backend, NULL), 0);
    /* dom4 writes under its home, which dom0 would normally create; do it directly. */
    struct xs_conn *d0 = conn_new(0);
    assert_ok(xs_req(d0, XS_MKDIR, 0, "/local/domain/4", NULL));
    assert_ok(xs_req(d0, XS_SET_PERMS, 0, "/local/domain/4", "n4", NULL));
    front_msg(XS_WRITE, "name\0guest", 10, &r);
    assert_int_equal(r.type, XS_WRITE);
    front_msg(XS_READ, "name", 5, &r);
    assert_int_equal(r.type, XS_READ);
    assert_string_equal(r.data, "guest");
    /* Messages bigger than the 1 KiB ring cross it in pieces, both ways. */
    memcpy(big, "blob", 5);
    memset(big + 5, 'z', 2000);
    front_msg(XS_WRITE, big, 2005, &r);
    assert_int_equal(r.type, XS_WRITE);
    front_msg(XS_READ, "blob", 5, &r);
    assert_int_equal(r.len, 2000);
    for (int i = 0; i < 200; i++) {
        front_msg(XS_READ, "/local/domain/4/name", 21, &r);
        assert_string_equal(r.data, "guest");
    }
    front_msg(XS_READ, "/tool", 6, &r);
    assert_int_equal(r.type, XS_ERROR);
    ring_stop(th);
}

static void test_ring_bad_index(void **state)
{
    (void)state;
    /* A front end that claims more than a ring's worth of requests breaks the ring. */
    page.req_prod = XENSTORE_RING_SIZE + 5;
    assert_int_equal(ring_conn_poll(ring), -EPROTO);
    assert_int_equal(page.error, XENSTORE_ERROR_RINGIDX);
    assert_int_equal(ring_conn_poll(ring), -EPROTO);
    ring_conn_free(ring);
    close(to_back.fds[0]);
    close(to_back.fds[1]);
    close(to_front.fds[0]);
    close(to_front.fds[1]);
}

static void test_ring_oversized(void **state)
{
    struct xsd_sockmsg hdr = {XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1};

    (void)state;
    memcpy(page.req, &hdr, sizeof(hdr));
    page.req_prod = sizeof(hdr);
    assert_int_equal(ring_conn_poll(ring), -EPROTO);
    assert_int_equal(page.error, XENSTORE_ERROR_PROTO);
    ring_conn_free(ring);
    close(to_back.fds[0]);
    close(to_back.fds[1]);
    close(to_front.fds[0]);
    close(to_front.fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ring_round_trips, ring_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_ring_bad_index, ring_setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_ring_oversized, ring_setup, harness_teardown),
    };
    return cmocka_run_group_tests_name("xenstored_ring", tests, NULL, NULL);
}

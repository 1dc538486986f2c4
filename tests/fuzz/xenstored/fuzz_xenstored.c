/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for xenstored's message parser and dispatcher.
 *
 * Input: records of [selector u8][length u16 LE][bytes]. Bit 0 of the selector picks the
 * connection (dom0 or unprivileged domain 5) the bytes are fed to; the bytes are an
 * arbitrary stream, so headers, lengths and payloads are all under the fuzzer's control.
 * After each input the store must pass its full consistency check, and every message
 * the daemon sent must be well framed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define FEED_CAP (3 * XS_MSG_MAX)

struct fconn {
    struct xs_conn *conn;
    unsigned domid;
    size_t len;
    uint8_t buf[FEED_CAP];
};

static struct xs_core core;
static struct fconn conns[2];

static void check_output(struct fconn *fc)
{
    const uint8_t *data;
    size_t len = core_conn_output(fc->conn, &data), off = 0;

    while (off < len) {
        struct xsd_sockmsg hdr;
        if (len - off < sizeof(hdr)) {
            abort();
        }
        memcpy(&hdr, data + off, sizeof(hdr));
        if (hdr.len > XENSTORE_PAYLOAD_MAX || len - off - sizeof(hdr) < hdr.len) {
            abort();
        }
        off += sizeof(hdr) + hdr.len;
    }
    core_conn_consumed(fc->conn, len);
}

static void feed(struct fconn *fc, const uint8_t *data, size_t n)
{
    int err = 0;

    if (n > FEED_CAP - fc->len) {
        n = FEED_CAP - fc->len;
    }
    memcpy(fc->buf + fc->len, data, n);
    fc->len += n;
    for (int i = 0; i < 64; i++) {
        size_t used = core_conn_input(fc->conn, fc->buf, fc->len, &err);
        check_output(fc);
        memmove(fc->buf, fc->buf + used, fc->len - used);
        fc->len -= used;
        if (err != 0) {
            /* The daemon drops the connection; the client reconnects. */
            core_conn_free(fc->conn);
            fc->conn = core_conn_new(&core, fc->domid, NULL, NULL);
            fc->len = 0;
            break;
        }
        if (used == 0) {
            break;
        }
    }
    if (fc->len == FEED_CAP) {
        fc->len = 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store_config cfg = {.path = NULL, .expected_nodes = 64};
    struct store *st;
    struct xs_quota q;
    size_t off = 0;

    core_default_quota(&q);
    q.nodes = 64;
    q.watches = 8;
    q.transactions = 3;
    q.txn_nodes = 64;
    if (store_open(&st, &cfg) != 0 || core_init(&core, st, &q) != 0) {
        abort();
    }
    domain_get(&core, 5, true)->introduced = true;
    for (unsigned i = 0; i < 2; i++) {
        conns[i].domid = i ? 5 : 0;
        conns[i].len = 0;
        conns[i].conn = core_conn_new(&core, conns[i].domid, NULL, NULL);
    }
    while (off + 3 <= size) {
        struct fconn *fc = &conns[data[off] & 1];
        size_t n = (size_t)data[off + 1] | ((size_t)data[off + 2] << 8);
        off += 3;
        if (n > size - off) {
            n = size - off;
        }
        feed(fc, data + off, n);
        off += n;
    }
    if (store_check(st) != 0) {
        fprintf(stderr, "store inconsistent\n");
        abort();
    }
    core_fini(&core);
    store_close(st);
    return 0;
}

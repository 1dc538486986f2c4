/* SPDX-License-Identifier: MIT */
/*
 * xsbench: load generator for any xenstored that serves a Unix socket.
 *   xsbench SOCK read|write DEPTH SECONDS     requests/s with DEPTH requests in flight
 *   xsbench SOCK readpoll 1 SECONDS           depth-1 reads with a client that polls for
 *                                             its reply instead of sleeping (daemon-bound)
 *   xsbench SOCK txn CLIENTS SECONDS conflict|disjoint
 *   xsbench SOCK watchlat COUNT               write -> watch event latency
 *   xsbench SOCK populate PREFIX COUNT        COUNT children under PREFIX (pipelined)
 *   xsbench SOCK rate PREFIX COUNT START      depth-1 creation rate of PREFIX/START..
 *   xsbench SOCK churn COUNT                  COUNT writes then COUNT single removals
 *   xsbench SOCK rm PATH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

struct conn {
    int fd;
    size_t len;
    uint8_t buf[1 << 16];
};

struct msg {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1];
};

static const char *sock_path;
/* readpoll: wait for replies by polling (MSG_DONTWAIT) instead of sleeping in read(). */
static bool poll_replies;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "xsbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static struct conn *xs_connect(void)
{
    struct conn *c = calloc(1, sizeof(*c));
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
    c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (void *)&addr, sizeof(addr)) != 0) {
        die("connect");
    }
    return c;
}

static void send_all(struct conn *c, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0) {
        ssize_t n = write(c->fd, p, len);
        if (n <= 0) {
            die("write");
        }
        p += n;
        len -= (size_t)n;
    }
}

/* Queues one request into @out (a batch buffer). */
static size_t frame(uint8_t *out, uint32_t type, uint32_t tx, const void *a, size_t alen,
                    const void *b, size_t blen)
{
    struct xsd_sockmsg hdr = {type, 1, tx, (uint32_t)(alen + blen)};

    memcpy(out, &hdr, sizeof(hdr));
    memcpy(out + sizeof(hdr), a, alen);
    memcpy(out + sizeof(hdr) + alen, b, blen);
    return sizeof(hdr) + alen + blen;
}

static void recv_msg(struct conn *c, struct msg *m)
{
    for (;;) {
        if (c->len >= sizeof(m->hdr)) {
            memcpy(&m->hdr, c->buf, sizeof(m->hdr));
            size_t total = sizeof(m->hdr) + m->hdr.len;
            if (m->hdr.len > XENSTORE_PAYLOAD_MAX) {
                fprintf(stderr, "xsbench: bad reply length\n");
                exit(1);
            }
            if (c->len >= total) {
                memcpy(m->body, c->buf + sizeof(m->hdr), m->hdr.len);
                m->body[m->hdr.len] = '\0';
                memmove(c->buf, c->buf + total, c->len - total);
                c->len -= total;
                return;
            }
        }
        ssize_t n =
            recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, poll_replies ? MSG_DONTWAIT : 0);
        if (n < 0 && poll_replies && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            continue;
        }
        if (n <= 0) {
            die("read");
        }
        c->len += (size_t)n;
    }
}

static struct msg *request(struct conn *c, uint32_t type, uint32_t tx, const void *a, size_t alen,
                           const void *b, size_t blen)
{
    static __thread struct msg m;
    uint8_t out[XENSTORE_PAYLOAD_MAX + 32];

    send_all(c, out, frame(out, type, tx, a, alen, b, blen));
    do {
        recv_msg(c, &m);
    } while (m.hdr.type == XS_WATCH_EVENT);
    return &m;
}

static void ok(struct msg *m, const char *what)
{
    if (m->hdr.type == XS_ERROR) {
        fprintf(stderr, "xsbench: %s: %s\n", what, m->body);
        exit(1);
    }
}

static void wr(struct conn *c, const char *path, const char *value)
{
    ok(request(c, XS_WRITE, 0, path, strlen(path) + 1, value, strlen(value)), path);
}

/* Keeps @depth requests in flight for @secs; gen(i, out) builds request i. */
static double pipelined(struct conn *c, unsigned depth, double secs,
                        size_t (*gen)(unsigned i, uint8_t *out))
{
    uint8_t out[(XENSTORE_PAYLOAD_MAX + 32) * 4];
    struct msg m;
    unsigned sent = 0, done = 0;
    double t0 = now(), t1;

    for (; sent < depth; sent++) {
        send_all(c, out, gen(sent, out));
    }
    for (;;) {
        recv_msg(c, &m);
        if (m.hdr.type == XS_ERROR) {
            fprintf(stderr, "xsbench: error reply %s\n", m.body);
            exit(1);
        }
        done++;
        if ((done & 255) == 0 && (t1 = now()) - t0 >= secs) {
            break;
        }
        send_all(c, out, gen(sent++, out));
    }
    for (; done < sent; done++) {
        recv_msg(c, &m);
    }
    return (double)done / (now() - t0);
}

static size_t gen_read(unsigned i, uint8_t *out)
{
    char path[64];
    int n = snprintf(path, sizeof(path), "/bench/keys/%u", i % 1000);

    return frame(out, XS_READ, 0, path, (size_t)n + 1, "", 0);
}

static size_t gen_write(unsigned i, uint8_t *out)
{
    char path[64];
    int n = snprintf(path, sizeof(path), "/bench/keys/%u", i % 1000);

    return frame(out, XS_WRITE, 0, path, (size_t)n + 1, "value-0123456789", 16);
}

static void setup_keys(void)
{
    struct conn *c = xs_connect();
    char path[64];

    for (unsigned i = 0; i < 1000; i++) {
        snprintf(path, sizeof(path), "/bench/keys/%u", i);
        wr(c, path, "value-0123456789");
    }
    close(c->fd);
    free(c);
}

struct txn_arg {
    unsigned idx;
    bool conflict;
    double secs;
    unsigned long commits, retries;
};

static void *txn_worker(void *p)
{
    struct txn_arg *a = p;
    struct conn *c = xs_connect();
    char path[64];
    double t0 = now();

    snprintf(path, sizeof(path), "/bench/txn/%u", a->conflict ? 0 : a->idx);
    wr(c, path, "0");
    while (now() - t0 < a->secs) {
        struct msg *m = request(c, XS_TRANSACTION_START, 0, "", 1, "", 0);
        ok(m, "txn start");
        uint32_t tx = (uint32_t)strtoul(m->body, NULL, 10);
        ok(request(c, XS_READ, tx, path, strlen(path) + 1, "", 0), "txn read");
        ok(request(c, XS_WRITE, tx, path, strlen(path) + 1, "1", 1), "txn write");
        m = request(c, XS_TRANSACTION_END, tx, "T", 2, "", 0);
        if (m->hdr.type == XS_ERROR && strcmp(m->body, "EAGAIN") == 0) {
            a->retries++;
        } else {
            ok(m, "txn end");
            a->commits++;
        }
    }
    close(c->fd);
    free(c);
    return NULL;
}

static int cmd_txn(unsigned clients, double secs, bool conflict)
{
    pthread_t th[64];
    struct txn_arg args[64];
    unsigned long commits = 0, retries = 0;

    if (clients > 64) {
        clients = 64;
    }
    for (unsigned i = 0; i < clients; i++) {
        args[i] = (struct txn_arg){.idx = i, .conflict = conflict, .secs = secs};
        pthread_create(&th[i], NULL, txn_worker, &args[i]);
    }
    for (unsigned i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        commits += args[i].commits;
        retries += args[i].retries;
    }
    printf("txn %s clients=%u commits/s=%.0f eagain/s=%.0f\n", conflict ? "conflict" : "disjoint",
           clients, (double)commits / secs, (double)retries / secs);
    return 0;
}

static int cmd_watchlat(unsigned count)
{
    struct conn *w = xs_connect(), *c = xs_connect();
    struct msg m;
    double total = 0, worst = 0;

    ok(request(w, XS_WATCH, 0, "/bench/watch\0tok", 17, "", 0), "watch");
    recv_msg(w, &m); /* the initial event */
    for (unsigned i = 0; i < count; i++) {
        double t0 = now();
        ok(request(c, XS_WRITE, 0, "/bench/watch/x", 15, "v", 1), "write");
        recv_msg(w, &m);
        double dt = now() - t0;
        total += dt;
        worst = dt > worst ? dt : worst;
    }
    printf("watch latency: mean %.1f us, max %.1f us over %u events\n", total / count * 1e6,
           worst * 1e6, count);
    return 0;
}

static const char *gen_prefix;

static size_t gen_child(unsigned i, uint8_t *out)
{
    char path[128];
    int n = snprintf(path, sizeof(path), "%s/%u", gen_prefix, i);

    return frame(out, XS_WRITE, 0, path, (size_t)n + 1, "v", 1);
}

static int cmd_populate(const char *prefix, unsigned count)
{
    struct conn *c = xs_connect();
    uint8_t out[256];
    struct msg m;
    unsigned sent = 0, done = 0;
    double t0 = now();

    gen_prefix = prefix;
    while (done < count) {
        while (sent < count && sent - done < 64) {
            send_all(c, out, gen_child(sent++, out));
        }
        recv_msg(c, &m);
        ok(&m, "populate");
        done++;
    }
    printf("populate %s: %u nodes in %.2f s (%.0f writes/s)\n", prefix, count, now() - t0,
           count / (now() - t0));
    return 0;
}

static int cmd_rate(const char *prefix, unsigned count, unsigned start)
{
    struct conn *c = xs_connect();
    char path[128];
    double t0 = now();

    for (unsigned i = 0; i < count; i++) {
        snprintf(path, sizeof(path), "%s/%u", prefix, start + i);
        wr(c, path, "v");
    }
    printf("rate %s: %.0f creations/s at depth 1\n", prefix, count / (now() - t0));
    return 0;
}

static int cmd_churn(unsigned count)
{
    gen_prefix = "/bench/churn";
    cmd_populate("/bench/churn", count);
    struct conn *c = xs_connect();
    char path[64];
    double t0 = now();

    for (unsigned i = 0; i < count; i++) {
        snprintf(path, sizeof(path), "/bench/churn/%u", i);
        ok(request(c, XS_RM, 0, path, strlen(path) + 1, "", 0), "rm");
    }
    printf("churn: %u single removals in %.2f s\n", count, now() - t0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: see the comment at the top of xsbench.c\n");
        return 2;
    }
    sock_path = argv[1];
    const char *cmd = argv[2];
    if ((strcmp(cmd, "read") == 0 || strcmp(cmd, "write") == 0 || strcmp(cmd, "readpoll") == 0) &&
        argc == 5) {
        bool rd = cmd[0] == 'r';

        poll_replies = strcmp(cmd, "readpoll") == 0;
        setup_keys();
        struct conn *c = xs_connect();
        unsigned depth = (unsigned)atoi(argv[3]);
        double rate = pipelined(c, depth, atof(argv[4]), rd ? gen_read : gen_write);
        printf("%s depth=%u: %.0f ops/s\n", cmd, depth, rate);
        return 0;
    }
    if (strcmp(cmd, "txn") == 0 && argc == 6) {
        return cmd_txn((unsigned)atoi(argv[3]), atof(argv[4]), strcmp(argv[5], "conflict") == 0);
    }
    if (strcmp(cmd, "watchlat") == 0 && argc == 4) {
        return cmd_watchlat((unsigned)atoi(argv[3]));
    }
    if (strcmp(cmd, "populate") == 0 && argc == 5) {
        return cmd_populate(argv[3], (unsigned)atoi(argv[4]));
    }
    if (strcmp(cmd, "rate") == 0 && argc == 6) {
        return cmd_rate(argv[3], (unsigned)atoi(argv[4]), (unsigned)atoi(argv[5]));
    }
    if (strcmp(cmd, "churn") == 0 && argc == 4) {
        return cmd_churn((unsigned)atoi(argv[3]));
    }
    if (strcmp(cmd, "rm") == 0 && argc == 4) {
        struct conn *c = xs_connect();
        ok(request(c, XS_RM, 0, argv[3], strlen(argv[3]) + 1, "", 0), "rm");
        return 0;
    }
    fprintf(stderr, "xsbench: bad arguments\n");
    return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unix socket transport. One epoll loop, non-blocking sockets, and per connection a
 * bounded input buffer. Fairness: connections with input are served round-robin, each
 * for at most quota.turn_requests requests per turn, and a connection whose replies are
 * not being read (out_soft pending) is not read from until it drains.
 */
#define _GNU_SOURCE
#include "transport_socket.h"

#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SOCK_RX_CAP  (64 * 1024)
#define SOCK_EVENTS  64
#define SOCK_SPIN_US 200
/* accept() failed for lack of descriptors: retry after this long even if none closed. */
#define SOCK_ACCEPT_RETRY_US 1000000
/* Once closed connections have freed this much, malloc_trim(): RSS goes back. */
#define SOCK_TRIM_BYTES (1024 * 1024)

struct sock_conn {
    int fd;
    struct sock_server *srv;
    struct xs_conn *conn;
    uint32_t events; /* current epoll interest */
    bool queued;     /* on the ready queue */
    bool flushing;   /* on the flush list */
    bool dead;
    struct sock_conn *rnext; /* ready queue */
    struct sock_conn *fnext; /* flush list */
    size_t rx_len;
    uint8_t rx[SOCK_RX_CAP];
};

struct sock_server {
    int lfd;
    int epfd;
    char *path;
    struct xs_core *core;
    unsigned nconns, max_conns;
    bool accept_paused; /* the listener is out of epoll: no descriptor for accept() */
    uint64_t paused_at; /* when, in now_us() time */
    bool refusing;      /* at max_conns; logged once until a connection closes */
    bool emfile_logged; /* pause logged; again only after an accept() succeeds */
    size_t freed;       /* bytes freed by closed connections since the last trim */
    struct sock_conn *ready_head, **ready_tail;
    struct sock_conn *flush;
};

static void sock_kick(struct xs_conn *conn);

static const struct xs_conn_ops sock_ops = {.kick = sock_kick};

static void enqueue(struct sock_server *srv, struct sock_conn *sc)
{
    if (sc->queued || sc->dead) {
        return;
    }
    sc->queued = true;
    sc->rnext = NULL;
    *srv->ready_tail = sc;
    srv->ready_tail = &sc->rnext;
}

static void sock_kick(struct xs_conn *conn)
{
    struct sock_conn *sc = conn->transport;

    if (!sc->flushing) {
        sc->flushing = true;
        sc->fnext = sc->srv->flush;
        sc->srv->flush = sc;
    }
}

static void set_events(struct sock_conn *sc, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = sc};

    if (sc->events != events && !sc->dead) {
        epoll_ctl(sc->srv->epfd, EPOLL_CTL_MOD, sc->fd, &ev);
        sc->events = events;
    }
}

static void resume_accept(struct sock_server *srv);

static void kill_conn(struct sock_conn *sc)
{
    size_t held;

    if (sc->dead) {
        return;
    }
    sc->dead = true;
    epoll_ctl(sc->srv->epfd, EPOLL_CTL_DEL, sc->fd, NULL);
    close(sc->fd);
    held = sc->conn->mem + sizeof(*sc);
    core_conn_free(sc->conn);
    sc->conn = NULL;
    sc->srv->nconns--;
    sc->srv->refusing = false;
    if (sc->srv->accept_paused) {
        resume_accept(sc->srv);
    }
    /* glibc keeps freed heap pages: hand what closed connections held back. */
    sc->srv->freed += held;
    if (sc->srv->freed >= SOCK_TRIM_BYTES) {
        sc->srv->freed = 0;
        malloc_trim(0);
    }
    /* Freed here, or by the loop once it is off the ready queue and the flush list. */
    if (!sc->queued && !sc->flushing) {
        free(sc);
    }
}

static void update_events(struct sock_conn *sc)
{
    const uint8_t *data;
    uint32_t ev = 0;

    if (core_conn_can_read(sc->conn) && sc->rx_len < SOCK_RX_CAP) {
        ev |= EPOLLIN;
    }
    if (core_conn_output(sc->conn, &data) > 0) {
        ev |= EPOLLOUT;
    }
    set_events(sc, ev);
}

/* Writes pending output; returns false if the connection died. */
static bool flush_conn(struct sock_conn *sc)
{
    const uint8_t *data;
    size_t len;

    while ((len = core_conn_output(sc->conn, &data)) > 0) {
        ssize_t n = send(sc->fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                break;
            }
            kill_conn(sc);
            return false;
        }
        core_conn_consumed(sc->conn, (size_t)n);
    }
    update_events(sc);
    return true;
}

/* One turn for one connection: read what fits, handle up to a turn's worth of requests. */
static void serve(struct sock_conn *sc, bool readable)
{
    int err = 0;
    size_t used;

    if (readable && sc->rx_len < SOCK_RX_CAP && core_conn_can_read(sc->conn)) {
        ssize_t n = recv(sc->fd, sc->rx + sc->rx_len, SOCK_RX_CAP - sc->rx_len, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            kill_conn(sc);
            return;
        }
        if (n > 0) {
            sc->rx_len += (size_t)n;
        }
    }
    used = core_conn_input(sc->conn, sc->rx, sc->rx_len, &err);
    if (err != 0) {
        kill_conn(sc);
        return;
    }
    memmove(sc->rx, sc->rx + used, sc->rx_len - used);
    sc->rx_len -= used;
    /* Stay queued while buffered requests remain and we may handle them. */
    if (used > 0 && sc->rx_len >= XS_HDR_SIZE && core_conn_can_read(sc->conn)) {
        enqueue(sc->srv, sc);
    }
    /* Replies go out now rather than after the round: one fewer wake-up per request. */
    if (sc->flushing) {
        flush_conn(sc);
    } else {
        update_events(sc);
    }
}

static uint64_t now_us(void);

/*
 * Out of descriptors (EMFILE/ENFILE) or kernel memory: the listener stays readable, so
 * leaving it in epoll would spin. Take it out until a connection closes (or a second has
 * passed), and say so once.
 */
static void pause_accept(struct sock_server *srv, int err)
{
    struct epoll_event ev = {.events = 0, .data.ptr = NULL};

    epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev);
    srv->accept_paused = true;
    srv->paused_at = now_us();
    if (srv->emfile_logged) {
        return;
    }
    srv->emfile_logged = true;
    fprintf(stderr, "xenstored: accept: %s with %u connections; not accepting until one closes\n",
            strerror(err), srv->nconns);
}

static void resume_accept(struct sock_server *srv)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

    epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev);
    srv->accept_paused = false;
}

/*
 * Over --max-conns: tell the client why before closing. The reply is an XS_ERROR
 * "EBUSY" with request id 0, which libxenstore reads as the answer to its first request;
 * a client that writes before reading gets EPIPE instead. Either way it does not hang.
 */
static void refuse(struct sock_server *srv, int fd)
{
    static const char err[] = "EBUSY";
    struct {
        struct xsd_sockmsg hdr;
        char body[sizeof(err)];
    } msg = {{XS_ERROR, 0, 0, sizeof(err)}, "EBUSY"};

    if (send(fd, &msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* nothing more to do: the close below is the answer */
    }
    close(fd);
    if (!srv->refusing) {
        srv->refusing = true;
        fprintf(stderr, "xenstored: %u connections (--max-conns): refusing new ones (EBUSY)\n",
                srv->nconns);
    }
}

static void accept_conns(struct sock_server *srv)
{
    for (;;) {
        int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                pause_accept(srv, errno);
            }
            return;
        }
        srv->emfile_logged = false;
        if (srv->nconns >= srv->max_conns) {
            refuse(srv, fd);
            continue;
        }
        struct sock_conn *sc = malloc(sizeof(*sc));
        if (!sc) {
            refuse(srv, fd);
            continue;
        }
        memset(sc, 0, offsetof(struct sock_conn, rx));
        sc->fd = fd;
        sc->srv = srv;
        sc->conn = core_conn_new(srv->core, 0, &sock_ops, sc);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = sc};
        if (!sc->conn || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            if (sc->conn) {
                core_conn_free(sc->conn);
            }
            close(fd);
            free(sc);
            continue;
        }
        sc->events = EPOLLIN;
        srv->nconns++;
    }
}

static void run_ready(struct sock_server *srv)
{
    struct sock_conn *head = srv->ready_head;

    srv->ready_head = NULL;
    srv->ready_tail = &srv->ready_head;
    while (head) {
        struct sock_conn *sc = head;
        head = sc->rnext;
        sc->queued = false;
        if (sc->dead) {
            if (!sc->flushing) {
                free(sc);
            }
            continue;
        }
        serve(sc, sc->events & EPOLLIN);
    }
}

static void run_flush(struct sock_server *srv)
{
    while (srv->flush) {
        struct sock_conn *sc = srv->flush;
        srv->flush = sc->fnext;
        sc->flushing = false;
        if (sc->dead) {
            if (!sc->queued) {
                free(sc);
            }
            continue;
        }
        bool was_blocked = !core_conn_can_read(sc->conn);
        if (flush_conn(sc) && was_blocked && core_conn_can_read(sc->conn) &&
            sc->rx_len >= XS_HDR_SIZE) {
            enqueue(srv, sc);
        }
    }
}

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * After serving a request we poll without sleeping for SOCK_SPIN_US: a client waiting for
 * each reply sends its next request within microseconds, and catching it without a
 * sleep/wake-up cycle roughly halves the round trip. An idle daemon still sleeps.
 */
int sock_server_run(struct sock_server *srv, volatile sig_atomic_t *stop)
{
    struct epoll_event evs[SOCK_EVENTS];
    uint64_t spin_until = 0, last_requests = 0;

    while (!*stop) {
        if (srv->accept_paused && now_us() - srv->paused_at >= SOCK_ACCEPT_RETRY_US) {
            resume_accept(srv);
        }
        bool spin = srv->ready_head || now_us() < spin_until;
        int n = epoll_wait(srv->epfd, evs, SOCK_EVENTS, spin ? 0 : 1000);
        if (n < 0 && errno != EINTR) {
            return -errno;
        }
        if (n > 0) {
            spin_until = now_us() + SOCK_SPIN_US;
        } else if (spin && !srv->ready_head && srv->core->requests - last_requests <= 1) {
            /*
             * A lone request per round looks like a client waiting for each reply: let it
             * run if it shares our CPU. Pipelining clients keep us busy without this.
             */
            sched_yield();
        }
        last_requests = srv->core->requests;
        for (int i = 0; i < n; i++) {
            struct sock_conn *sc = evs[i].data.ptr;
            if (!sc) {
                accept_conns(srv);
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                sock_kick(sc->conn);
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                enqueue(srv, sc);
            }
        }
        run_ready(srv);
        run_flush(srv);
    }
    return 0;
}

/*
 * Every socket client is dom0, so the socket is the daemon's only access control: it is
 * created 0600 (0660 with a group), whatever the umask, before anyone can connect.
 */
static int bind_private(int fd, const struct sockaddr_un *addr, const struct sock_config *cfg)
{
    mode_t old = umask(0077);
    int rc = bind(fd, (const void *)addr, sizeof(*addr));

    umask(old);
    if (rc != 0) {
        return -errno;
    }
    if (cfg->group != (gid_t)-1 &&
        (chown(cfg->path, (uid_t)-1, cfg->group) != 0 || chmod(cfg->path, 0660) != 0)) {
        return -errno;
    }
    if (cfg->group == (gid_t)-1 && chmod(cfg->path, 0600) != 0) {
        return -errno;
    }
    return 0;
}

int sock_server_open(struct sock_server **out, struct xs_core *core, const struct sock_config *cfg)
{
    const char *path = cfg->path;
    struct sock_server *srv = calloc(1, sizeof(*srv));
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    int rc = -EINVAL;

    if (!srv) {
        return -ENOMEM;
    }
    srv->lfd = srv->epfd = -1;
    srv->core = core;
    srv->max_conns = cfg->max_conns;
    srv->ready_tail = &srv->ready_head;
    if (strlen(path) >= sizeof(addr.sun_path) || !(srv->path = strdup(path))) {
        goto out;
    }
    strcpy(addr.sun_path, path);
    unlink(path);
    srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    srv->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (srv->lfd < 0 || srv->epfd < 0) {
        rc = -errno;
        goto out;
    }
    rc = bind_private(srv->lfd, &addr, cfg);
    if (rc == 0 && (listen(srv->lfd, SOMAXCONN) != 0 ||
                    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) != 0)) {
        rc = -errno;
    }
    if (rc != 0) {
        goto out;
    }
    *out = srv;
    return 0;
out:
    sock_server_close(srv);
    return rc;
}

void sock_server_close(struct sock_server *srv)
{
    if (!srv) {
        return;
    }
    while (srv->ready_head) {
        struct sock_conn *sc = srv->ready_head;
        srv->ready_head = sc->rnext;
        sc->queued = false;
    }
    srv->flush = NULL;
    while (srv->core->conns) {
        struct sock_conn *sc = srv->core->conns->transport;
        sc->flushing = sc->queued = false;
        kill_conn(sc);
    }
    if (srv->lfd >= 0) {
        close(srv->lfd);
        unlink(srv->path);
    }
    if (srv->epfd >= 0) {
        close(srv->epfd);
    }
    free(srv->path);
    free(srv);
}

/* SPDX-License-Identifier: MIT */
/*
 * xenstored for a host: serves the Unix socket given by --socket, in the foreground.
 * dom0-lite will run the same core over transport_ring.c instead (docs/xenstored.md).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "transport_socket.h"

static volatile sig_atomic_t stop_flag;

/* Descriptors the daemon needs besides connections: stdio, listener, epoll, db, spare. */
#define FD_RESERVE 16

struct options {
    const char *socket;
    const char *group;
    const char *db;
    const char *pid_file;
    unsigned expected_nodes;
    unsigned max_conns;
    struct xs_quota quota;
};

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: xenstored --socket PATH [options]\n"
               "  --socket PATH            Unix socket to serve (required)\n"
               "  --db PATH                keep the tdb in PATH (default: in memory)\n"
               "  --expected-nodes N       size the tdb hash for N nodes (default 100000)\n"
               "  --max-conns N            connections accepted at once (default 1024;\n"
               "                           lowered to fit the descriptor limit)\n"
               "  --socket-group GROUP     socket mode 0660 for GROUP (default 0600)\n"
               "  --pid-file PATH          write our pid there\n"
               "  --quota-nodes N          nodes per unprivileged domain (1000)\n"
               "  --quota-watches N        watches per connection (128)\n"
               "  --quota-transactions N   transactions per connection (10)\n"
               "  --quota-value N          value bytes, unprivileged (2048)\n"
               "  --quota-perms N          ACL entries per node, unprivileged (5)\n"
               "  --quota-txn-nodes N      nodes touched per transaction (1024)\n"
               "  --quota-outstanding N    requests per connection per turn (20)\n"
               "  --quota-memory SIZE      bytes per connection and per domain (8M)\n"
               "  --memory-max SIZE        bytes for all of them together (64M)\n");
}

static int parse_num(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v == 0 || v > 100000000ul) {
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* A size in bytes, with an optional K, M or G suffix (binary). */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;

    if (*end == 'K' || *end == 'k') {
        shift = 10;
    } else if (*end == 'M' || *end == 'm') {
        shift = 20;
    } else if (*end == 'G' || *end == 'g') {
        shift = 30;
    }
    end += shift != 0;
    if (*s < '0' || *s > '9' || *end != '\0' || v == 0 || v > (1ull << 40) >> shift) {
        return -1;
    }
    *out = (size_t)(v << shift);
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},
        {"expected-nodes", required_argument, NULL, 'e'},
        {"max-conns", required_argument, NULL, 'm'},
        {"pid-file", required_argument, NULL, 'p'},
        {"quota-nodes", required_argument, NULL, 'N'},
        {"quota-watches", required_argument, NULL, 'W'},
        {"quota-transactions", required_argument, NULL, 'T'},
        {"quota-value", required_argument, NULL, 'V'},
        {"quota-perms", required_argument, NULL, 'P'},
        {"quota-txn-nodes", required_argument, NULL, 'X'},
        {"quota-outstanding", required_argument, NULL, 'O'},
        {"quota-memory", required_argument, NULL, 'M'},
        {"memory-max", required_argument, NULL, 'G'},
        {"socket-group", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, bad = 0;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->socket = optarg;
            break;
        case 'd':
            o->db = optarg;
            break;
        case 'p':
            o->pid_file = optarg;
            break;
        case 'e':
            bad |= parse_num(optarg, &o->expected_nodes);
            break;
        case 'm':
            bad |= parse_num(optarg, &o->max_conns);
            break;
        case 'N':
            bad |= parse_num(optarg, &o->quota.nodes);
            break;
        case 'W':
            bad |= parse_num(optarg, &o->quota.watches);
            break;
        case 'T':
            bad |= parse_num(optarg, &o->quota.transactions);
            break;
        case 'V':
            bad |= parse_num(optarg, &o->quota.value_size);
            break;
        case 'P':
            bad |= parse_num(optarg, &o->quota.perms);
            break;
        case 'X':
            bad |= parse_num(optarg, &o->quota.txn_nodes);
            break;
        case 'O':
            bad |= parse_num(optarg, &o->quota.turn_requests);
            break;
        case 'M':
            bad |= parse_size(optarg, &o->quota.memory);
            break;
        case 'G':
            bad |= parse_size(optarg, &o->quota.memory_total);
            break;
        case 'g':
            o->group = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            bad = -1;
        }
    }
    return (bad || !o->socket || optind != argc) ? -1 : 0;
}

static void write_pid(const char *path)
{
    FILE *f = fopen(path, "w");

    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
}

/*
 * Fits --max-conns to RLIMIT_NOFILE (raising the soft limit to the hard one first), so
 * that accept() does not run out of descriptors in normal operation.
 */
static int fit_max_conns(unsigned *max_conns)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 0;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
            rl.rlim_cur = rl.rlim_max;
        }
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= *max_conns + (rlim_t)FD_RESERVE) {
        return 0;
    }
    if (rl.rlim_cur <= FD_RESERVE) {
        fprintf(stderr, "xenstored: descriptor limit %llu leaves no room for connections\n",
                (unsigned long long)rl.rlim_cur);
        return -EMFILE;
    }
    fprintf(stderr, "xenstored: --max-conns %u lowered to %u to fit the descriptor limit %llu\n",
            *max_conns, (unsigned)(rl.rlim_cur - FD_RESERVE), (unsigned long long)rl.rlim_cur);
    *max_conns = (unsigned)(rl.rlim_cur - FD_RESERVE);
    return 0;
}

static int lookup_group(const char *name, gid_t *gid)
{
    struct group *gr = name ? getgrnam(name) : NULL;
    char *end;

    *gid = (gid_t)-1;
    if (!name) {
        return 0;
    }
    if (gr) {
        *gid = gr->gr_gid;
        return 0;
    }
    unsigned long v = strtoul(name, &end, 10);
    if (*name && !*end) {
        *gid = (gid_t)v;
        return 0;
    }
    fprintf(stderr, "xenstored: --socket-group %s: no such group\n", name);
    return -EINVAL;
}

int main(int argc, char **argv)
{
    struct options o = {.expected_nodes = 100000, .max_conns = 1024};
    struct sigaction sa = {.sa_handler = on_signal};
    struct store *store = NULL;
    struct sock_server *srv = NULL;
    static struct xs_core core;
    int rc;

    core_default_quota(&o.quota);
    if (parse_args(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct store_config cfg = {.path = o.db, .expected_nodes = o.expected_nodes};
    struct sock_config scfg = {.path = o.socket};
    rc = fit_max_conns(&o.max_conns);
    if (rc == 0) {
        rc = lookup_group(o.group, &scfg.group);
    }
    scfg.max_conns = o.max_conns;
    if (rc == 0) {
        rc = store_open(&store, &cfg);
    }
    if (rc == 0) {
        rc = core_init(&core, store, &o.quota);
    }
    if (rc == 0) {
        rc = sock_server_open(&srv, &core, &scfg);
    }
    if (rc != 0) {
        fprintf(stderr, "xenstored: start-up failed: %s\n", strerror(-rc));
        goto out;
    }
    if (o.pid_file) {
        write_pid(o.pid_file);
    }
    rc = sock_server_run(srv, &stop_flag);
out:
    sock_server_close(srv);
    core_fini(&core);
    store_close(store);
    if (o.db) {
        unlink(o.db);
    }
    return rc == 0 ? 0 : 1;
}

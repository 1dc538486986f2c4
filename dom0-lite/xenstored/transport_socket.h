/* SPDX-License-Identifier: MIT */
/* Host transport: a Unix stream socket, one connection per client, all as dom0. */
#ifndef XENSTORED_TRANSPORT_SOCKET_H
#define XENSTORED_TRANSPORT_SOCKET_H

#include <signal.h>
#include <sys/types.h>

#include "core.h"

struct sock_server;

/* Where and how to listen. */
struct sock_config {
    const char *path;
    unsigned max_conns; /* connections served at once; more are refused with EBUSY */
    gid_t group;        /* (gid_t)-1: socket mode 0600; else 0660 and this group */
};

int sock_server_open(struct sock_server **out, struct xs_core *core, const struct sock_config *cfg);
/* Serves clients until *stop becomes non-zero. */
int sock_server_run(struct sock_server *srv, volatile sig_atomic_t *stop);
void sock_server_close(struct sock_server *srv);

#endif

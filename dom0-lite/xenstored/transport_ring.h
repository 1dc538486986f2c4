/* SPDX-License-Identifier: MIT */
/*
 * Ring transport: a domain's xenstore page (struct xenstore_domain_interface) plus an
 * event channel. This is what dom0-lite serves guests with; the event channel is
 * reached through an abstract hook so the module also runs, and is tested, on a host.
 */
#ifndef XENSTORED_TRANSPORT_RING_H
#define XENSTORED_TRANSPORT_RING_H

#include "core.h"

struct ring_evtchn_ops {
    /* Raise the domain's event channel. */
    void (*notify)(void *ctx);
};

struct ring_conn;

int ring_conn_new(struct ring_conn **out, struct xs_core *core, unsigned domid,
                  struct xenstore_domain_interface *intf, const struct ring_evtchn_ops *ops,
                  void *ctx);
void ring_conn_free(struct ring_conn *rc);
/* The event channel fired: consume requests, produce replies. -EPROTO if the ring broke. */
int ring_conn_poll(struct ring_conn *rc);
struct xs_conn *ring_conn_xs(struct ring_conn *rc);

#endif

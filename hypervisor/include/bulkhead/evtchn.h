/* SPDX-License-Identifier: MIT */
/*
 * Event channels, Xen's 2-level ABI (xen/event_channel.h): a domain's ports, their
 * pending and mask bits in its shared_info page, the per-vCPU selector word and upcall
 * flag in its vcpu_info, and the upcall itself (arch_vcpu_evtchn_upcall: PPI 31 on
 * aarch64, as Xen's GUEST_EVTCHN_PPI; docs/abi-riscv.md for riscv64).
 *
 * Ports live in pages of struct evtchn allocated on first use and charged to the domain
 * (at most EVTCHN_MAX_PORTS per domain, Xen's 2-level limit on 64-bit is 4096). Port 0
 * is never handed out. A connected interdomain channel holds a reference on its peer
 * domain; when a domain is killed every channel of it is closed, and the peer's end goes
 * back to unbound, as in Xen.
 *
 * Locks: a domain's evtchn lock; two domains' in domain-id order. Taken after the
 * scheduler locks are dropped; sched_wake may be called with them held.
 */
#ifndef BULKHEAD_EVTCHN_H
#define BULKHEAD_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "spinlock.h"

#define EVTCHN_MAX_PORTS 1024 /* per domain: ports 1..1023 */
#define EVTCHN_PER_PAGE  128  /* struct evtchn is 32 bytes */
#define EVTCHN_PAGES     (EVTCHN_MAX_PORTS / EVTCHN_PER_PAGE)
#define EVTCHN_NR_VIRQS  24 /* Xen's NR_VIRQS */

struct evtchn;
struct domain;
struct vcpu;

/* A domain's event-channel state, embedded in struct domain. */
struct evtchn_domain {
    struct spinlock lock;
    struct evtchn *pages[EVTCHN_PAGES]; /* NULL until a port in it is used */
    uint32_t nr_open;                   /* ports in use, port 0 excluded */
};

/* EVTCHNOP_* for the calling vCPU @v; @arg is the guest address of the op's struct. */
int64_t __must_check evtchn_op(struct vcpu *v, int cmd, uint64_t arg);

/*
 * Ports the hypervisor consumes (ioreq, docs/ioreq.md): an unbound port of @d for vCPU
 * @vcpu that only @remote may bind. @d's guest cannot send, bind_vcpu or close it; a
 * send from the bound peer calls the hook registered with evtchn_set_xen_hook (with no
 * evtchn lock held) instead of marking the port pending. evtchn_send_xen signals the
 * peer as if @d had sent (dropped while unbound); evtchn_close_xen closes it (the
 * peer's end goes back to unbound). A killed domain's ports are closed with the rest.
 */
int __must_check evtchn_alloc_xen(struct domain *d, uint16_t remote, unsigned vcpu, uint32_t *port);
void evtchn_close_xen(struct domain *d, uint32_t port);
void evtchn_send_xen(struct domain *d, uint32_t port);
typedef void (*evtchn_xen_fn)(struct domain *d, unsigned vcpu);
void evtchn_set_xen_hook(evtchn_xen_fn fn);

/* An ordinary unbound port of @d that only @remote may bind (EVTCHNOP_alloc_unbound made
 * on @d's behalf: its magic pages' channels, hypervisor/magic). */
int __must_check evtchn_alloc_unbound_for(struct domain *d, uint16_t remote, uint32_t *port);

/* Is @port of @d connected to domain @remote (bound by it)? */
bool evtchn_bound_to(struct domain *d, uint32_t port, uint16_t remote);

/* Raise VIRQ @virq on @v if the domain bound it (per-vCPU VIRQs: on that vCPU; global
 * ones: wherever the channel is bound). */
void evtchn_send_virq(struct vcpu *v, unsigned virq);

#endif

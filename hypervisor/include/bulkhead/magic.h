/* SPDX-License-Identifier: MIT */
/*
 * Magic pages: the xenstore and console rings of every domain, handed out as Xen on Arm's
 * toolstack does (xc_dom_arm: GUEST_MAGIC_BASE + CONSOLE_PFN_OFFSET / XENSTORE_PFN_OFFSET;
 * xc_dom_gnttab_seed: grant refs GNTTAB_RESERVED_CONSOLE / _XENSTORE), when the board has
 * a control domain (dom0-lite) to serve them. docs/xenstored.md, "Domains' rings".
 *
 * At creation of every domain but the control domain (magic_setup): two zeroed pages of
 * the domain's own (charged to it, freed with it) mapped at the magic GFNs; an unbound
 * event channel for each, remote = the control domain; grant entries 0 and 1 giving the
 * control domain read/write access to them. The control domain then maps them with
 * GNTTABOP_map_grant_ref and binds the ports like any other grant and channel.
 *
 * hypervisor/magic owns struct domain.magic; it is written once, before the domain runs
 * or is visible to the control domain's hypercalls, and only read afterwards.
 */
#ifndef BULKHEAD_MAGIC_H
#define BULKHEAD_MAGIC_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "types.h"

#define MAGIC_CONSOLE 0 /* CONSOLE_PFN_OFFSET, and GNTTAB_RESERVED_CONSOLE */
#define MAGIC_STORE   1 /* XENSTORE_PFN_OFFSET, and GNTTAB_RESERVED_XENSTORE */
#define MAGIC_PAGES   2

/* What the magic pages can cost a domain's quota: the two pages, the stage-2 tables of
 * their region (two levels), the first grant-table frame and its pin counts, and the
 * first page of event channels. Part of every domain's bookkeeping allowance. */
#define MAGIC_QUOTA_PAGES 8

struct domain;

/* A domain's magic pages (all zero: it has none). */
struct domain_magic {
    bool present;
    uint16_t backend;           /* the control domain's id: the ports' remote end */
    paddr_t page[MAGIC_PAGES];  /* host pages, recorded in the domain's extents */
    uint32_t port[MAGIC_PAGES]; /* the domain's ports, unbound to @backend */
};

/* Guest frame of magic page @which (MAGIC_CONSOLE / MAGIC_STORE) in every domain. */
uint64_t magic_gfn(unsigned which);

/* Give new domain @d (built, not started) its magic pages if the board has a control
 * domain and @d is not it; else nothing (0). -ENOMEM (and a log line naming @d) when its
 * quota or the host cannot hold them: the caller destroys @d. */
int __must_check magic_setup(struct domain *d);

/* HVM_PARAM_@index of @d as @self (the domain itself) or the control domain sees it:
 * STORE_EVTCHN, STORE_PFN, CONSOLE_EVTCHN, CONSOLE_PFN; every other parameter, and all
 * of them for a domain without magic pages, read 0. */
uint64_t magic_param(struct domain *d, uint32_t index, bool self);

#endif

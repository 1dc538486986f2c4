/* SPDX-License-Identifier: MIT */
/*
 * Grant tables, Xen's v1 (xen/grant_table.h). A domain's table is up to GNTTAB_MAX_FRAMES
 * zeroed pages of struct grant_entry_v1, allocated on demand and charged to it, which the
 * guest maps into its physmap (XENMEM_add_to_physmap, XENMAPSPACE_grant_table) and writes
 * directly. Other domains map or copy a granted frame through GNTTABOP_map_grant_ref /
 * unmap_grant_ref / copy; while a grant is in use the hypervisor keeps GTF_reading /
 * GTF_writing set in the granter's entry (a 32-bit compare-and-swap over flags and domid,
 * as Xen does), so the granter can tell when it may revoke.
 *
 * A mapping is recorded in the mapper's maptrack (its handle indexes it) and holds a
 * reference on the granter, so the granted page outlives the granter's end; a killed
 * mapper's mappings are undone. Map and unmap change the mapper's stage 2 through the p2m
 * owner (prepare/commit, invalidated before the unmap returns).
 *
 * Locks: a domain's gnttab lock; two in domain-id order; then p2m locks.
 */
#ifndef BULKHEAD_GNTTAB_H
#define BULKHEAD_GNTTAB_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "spinlock.h"
#include "types.h"

#define GNTTAB_MAX_FRAMES        32  /* 16384 v1 entries, Xen's default max_grant_frames is 64 */
#define GNTTAB_PER_FRAME         512 /* 8-byte v1 entries per page */
#define GNTTAB_MAPTRACK_MAX      1024
#define GNTTAB_MAPTRACK_PER_PAGE 128 /* 32-byte records */

struct domain;
struct gnttab_active;
struct gnttab_maptrack;
struct vcpu;

/* A domain's grant state, embedded in struct domain. */
struct gnttab_domain {
    struct spinlock lock;
    uint32_t nr_frames;
    paddr_t frames[GNTTAB_MAX_FRAMES];               /* the table, guest-visible */
    uint64_t frame_gfn[GNTTAB_MAX_FRAMES];           /* where mapped; ~0: nowhere */
    struct gnttab_active *active[GNTTAB_MAX_FRAMES]; /* pin counts per entry */
    struct gnttab_maptrack *maptrack[GNTTAB_MAPTRACK_MAX / GNTTAB_MAPTRACK_PER_PAGE];
    uint32_t nr_maps; /* maptrack records in use */
};

/* Ops of a batch handled per invocation; the hypercall layer continues the rest. */
#define GNTTAB_BATCH 64

/* GNTTABOP_* for @v: @count ops at guest address @arg. */
int64_t __must_check gnttab_op(struct vcpu *v, unsigned int cmd, uint64_t arg, unsigned int count);

/* Size of one op of a batched command (map, unmap, copy), 0 for the others. */
size_t gnttab_op_size(unsigned int cmd);

/* Subscribe to domain ends (once; idempotent). */
void gnttab_register(void);

/* XENMAPSPACE_grant_table: map frame @idx of the caller's table at @gfn (growing it). */
int __must_check gnttab_map_frame(struct domain *d, uint64_t idx, uint64_t gfn);

/* Seed entry @ref of @d's table (grown to hold it) as the toolstack does before a domain
 * runs (Xen's xc_dom_gnttab_seed): @grantee may map frame @gfn of @d read/write. */
int __must_check gnttab_seed(struct domain *d, uint32_t ref, uint16_t grantee, uint64_t gfn);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The stage-2 owner: every domain's guest-physical to host-physical tables are changed
 * only here, under the domain's p2m lock. The lock is visible in the types: a function
 * that needs it takes a `struct p2m_locked`, which only p2m_lock() hands out (as
 * Hafnium's `struct vm_locked` does), so "called without the lock" does not compile.
 *
 * Changes are prepare (may fail: allocates tables, splits blocks, changes no
 * translation) then commit (cannot fail), so an operation that maps several ranges, or
 * ranges of two domains locked together, can prepare them all and commit all or none.
 * p2m_flush() then invalidates what the commits removed, by VMID, through one arch hook
 * (arch_p2m_flush); live entries are replaced break-before-make by the walker. Table
 * pages are charged to the domain's quota.
 *
 * Lock order: a domain's p2m lock before page_alloc_lock; two p2m locks in domain-id
 * order (p2m_lock_two).
 */
#ifndef BULKHEAD_P2M_H
#define BULKHEAD_P2M_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/types.h>

#include "compiler.h"
#include "pgtable.h"
#include "quota.h"
#include "spinlock.h"
#include "types.h"

struct p2m {
    struct spinlock lock;
    struct pt pt;        /* the stage-2 tables (arch_stage2_pt_format) */
    struct quota *quota; /* the owner's quota, charged for table pages */
    unsigned id;         /* the domain id: lock order, VMID */
    struct arch_p2m arch;
};

/* Proof that the caller holds @p2m's lock. */
struct p2m_locked {
    struct p2m *p2m;
};

/* Allocate @p's root, charged to @q, and set up its VMID (@id). */
int __must_check p2m_init(struct p2m *p, unsigned id, struct quota *q);

/* Free every table and forget every translation; nothing may run in the domain. */
void p2m_teardown(struct p2m *p);

struct p2m_locked p2m_lock(struct p2m *p);
void p2m_unlock(struct p2m_locked l);

/* Lock two p2ms (distinct) in id order. */
void p2m_lock_two(struct p2m *a, struct p2m *b, struct p2m_locked *la, struct p2m_locked *lb);

/* Guest-physical addresses @p can translate: [0, p2m_ipa_limit). */
uint64_t p2m_ipa_limit(const struct p2m *p);

/* Map [ipa, ipa+size) to [pa, pa+size) with PT_* @attr. @flags: PT_REPLACE to replace
 * what is mapped there. -EINVAL unaligned, -ERANGE past the limit, -EEXIST already mapped
 * (without PT_REPLACE), -ENOMEM quota or memory. On error nothing changed. */
int __must_check p2m_map(struct p2m_locked l, ipaddr_t ipa, paddr_t pa, uint64_t size,
                         unsigned attr, unsigned flags);

/* Unmap [ipa, ipa+size) (holes are fine) and invalidate it. */
int __must_check p2m_unmap(struct p2m_locked l, ipaddr_t ipa, uint64_t size);

/* The two halves of p2m_map / p2m_unmap, for operations that change several ranges. */
int __must_check p2m_map_prepare(struct p2m_locked l, ipaddr_t ipa, paddr_t pa, uint64_t size,
                                 unsigned attr, unsigned flags);
void p2m_map_commit(struct p2m_locked l, ipaddr_t ipa, paddr_t pa, uint64_t size, unsigned attr,
                    unsigned flags);
int __must_check p2m_unmap_prepare(struct p2m_locked l, ipaddr_t ipa, uint64_t size);
void p2m_unmap_commit(struct p2m_locked l, ipaddr_t ipa, uint64_t size);

/* Invalidate everything the commits since the last flush removed. Must come before a
 * page that was unmapped is freed or handed to anyone else. */
void p2m_flush(struct p2m_locked l);

/* Translate @ipa: host address and PT_* attributes (@attr may be NULL). -ENOENT. */
int __must_check p2m_lookup(struct p2m_locked l, ipaddr_t ipa, paddr_t *pa, unsigned *attr);

/* A stage-2 fault at @ipa for an access needing PT_* @need: true if @ipa is mapped
 * with @need now (the fault raced with a break-before-make change and the access should
 * simply be retried). Takes the lock. */
bool p2m_fault_is_spurious(struct p2m *p, ipaddr_t ipa, unsigned need);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Ticket spinlock on C11-style atomics. Fair, so no CPU starves under QEMU's
 * round-robin TCG. Waiters relax with arch_cpu_relax() instead of a bare spin (under
 * -icount a bare spin on one vCPU starves the others).
 *
 * Lock order (outermost first): console_lock, page_alloc_lock. No path takes a lock
 * while holding a later one.
 */
#ifndef BULKHEAD_SPINLOCK_H
#define BULKHEAD_SPINLOCK_H

#include <stdint.h>

#include "arch.h"

struct spinlock {
    uint16_t next;  /* ticket handed to the next arrival */
    uint16_t owner; /* ticket currently allowed in */
};

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0, 0                                                                                       \
    }

static inline void spin_lock(struct spinlock *l)
{
    uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

    /* Acquire pairs with the release in spin_unlock. */
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
        arch_cpu_relax();
    }
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
    arch_cpu_wake();
}

#endif

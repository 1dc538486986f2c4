/* SPDX-License-Identifier: MIT */
/*
 * Ticket spinlock on C11-style atomics. Fair, so no CPU starves under QEMU's
 * round-robin TCG. Waiters relax with arch_cpu_relax() instead of a bare spin (under
 * -icount a bare spin on one vCPU starves the others). The tickets are 32-bit: RISC-V has
 * no sub-word atomic read-modify-write, and GCC 12 turns a 16-bit one into a libgcc call
 * (__atomic_fetch_add_2), which the hypervisor does not link.
 *
 * Lock order (outermost first): console_lock, page_alloc_lock. No path takes a lock
 * while holding a later one.
 */
#ifndef BULKHEAD_SPINLOCK_H
#define BULKHEAD_SPINLOCK_H

#include <stdint.h>

#include "arch.h"

struct spinlock {
    uint32_t next;  /* ticket handed to the next arrival */
    uint32_t owner; /* ticket currently allowed in */
};

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0, 0                                                                                       \
    }

static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

    /* Acquire pairs with the release in spin_unlock. */
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
        arch_cpu_relax();
    }
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
    arch_cpu_wake();
}

#endif

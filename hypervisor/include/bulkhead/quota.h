/* SPDX-License-Identifier: MIT */
/*
 * A page quota: what a domain may hold and what it holds now. Every page a domain causes
 * the hypervisor to allocate (RAM, vCPUs, stage-2 tables, bookkeeping) is charged before
 * it is allocated and uncharged after it is freed. Charges from several CPUs at once
 * (two vCPUs of one guest) are atomic, so the limit holds without a lock.
 */
#ifndef BULKHEAD_QUOTA_H
#define BULKHEAD_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

struct quota {
    uint64_t max;  /* pages that may be held */
    uint64_t used; /* pages held; only changed by the functions below */
};

/* Reserve @n pages; false (nothing reserved) if that would pass the limit. */
static inline bool __must_check quota_charge(struct quota *q, uint64_t n)
{
    uint64_t cur = __atomic_load_n(&q->used, __ATOMIC_RELAXED);

    do {
        if (n > q->max || cur > q->max - n) {
            return false;
        }
    } while (!__atomic_compare_exchange_n(&q->used, &cur, cur + n, true, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return true;
}

static inline void quota_uncharge(struct quota *q, uint64_t n)
{
    __atomic_fetch_sub(&q->used, n, __ATOMIC_RELAXED);
}

static inline uint64_t quota_used(const struct quota *q)
{
    return __atomic_load_n(&q->used, __ATOMIC_RELAXED);
}

#endif

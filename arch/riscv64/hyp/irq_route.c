/* SPDX-License-Identifier: MIT */
/*
 * Host PLIC sources given to one domain (arch_irq_route; the model is in irq_route.h).
 * Each time the source fires its host claim is held and the line set high in the
 * owner's vPLIC; the guest's completion of its vPLIC claim completes the host claim.
 * The PLIC has no trigger type of its own (the gateway's), so one scheme serves level
 * and edge sources alike. Only the owner's vPLIC ever sees the source.
 */
#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/spinlock.h>

#include "irq_route.h"
#include "riscv.h"

#define NO_CLAIM 0xffffffffu

/* One entry per source the vPLIC has: the owner, the host context the source is enabled
 * in, and the context holding its claim (NO_CLAIM: none). */
static struct {
    struct domain *d;
    uint32_t ctx, claim_ctx;
} routes[VPLIC_NDEV + 1];
static struct spinlock route_lock = SPINLOCK_INIT;

int arch_irq_route(struct domain *d, const uint32_t *cells, unsigned nr)
{
    uint32_t src = nr == 1 ? cells[0] : 0;
    int rc = 0;

    if (src == 0 || src > VPLIC_NDEV || src > plic_nr_sources()) {
        return -EINVAL;
    }
    spin_lock(&route_lock);
    if (routes[src].d || plic_src_requested(src)) {
        rc = -EBUSY;
    } else {
        routes[src].ctx = this_cpu()->arch.plic_ctx;
        routes[src].claim_ctx = NO_CLAIM;
        __atomic_store_n(&routes[src].d, d, __ATOMIC_RELEASE);
        plic_src_enable(src, routes[src].ctx, true);
    }
    spin_unlock(&route_lock);
    return rc;
}

bool irq_route_fire(uint32_t src, uint32_t ctx)
{
    struct domain *d;

    if (src == 0 || src > VPLIC_NDEV) {
        return false;
    }
    spin_lock(&route_lock);
    d = routes[src].d;
    if (d) {
        __atomic_store_n(&routes[src].claim_ctx, ctx, __ATOMIC_RELEASE);
        if (vplic_set_level(d, src, true)) {
            plic_complete(src, ctx); /* cannot happen: checked at routing */
        }
    }
    spin_unlock(&route_lock);
    return d != NULL;
}

bool irq_route_complete(const struct domain *d, uint32_t src)
{
    uint32_t ctx;

    if (src == 0 || src > VPLIC_NDEV || __atomic_load_n(&routes[src].d, __ATOMIC_ACQUIRE) != d) {
        return false;
    }
    ctx = __atomic_exchange_n(&routes[src].claim_ctx, NO_CLAIM, __ATOMIC_ACQ_REL);
    if (ctx != NO_CLAIM) {
        plic_complete(src, ctx);
    }
    return true;
}

bool irq_route_owned(const struct domain *d, uint32_t src)
{
    return src >= 1 && src <= VPLIC_NDEV && __atomic_load_n(&routes[src].d, __ATOMIC_ACQUIRE) == d;
}

void irq_route_release(const struct domain *d)
{
    spin_lock(&route_lock);
    for (unsigned src = 1; src <= VPLIC_NDEV; src++) {
        if (routes[src].d == d) {
            uint32_t ctx = __atomic_exchange_n(&routes[src].claim_ctx, NO_CLAIM, __ATOMIC_ACQ_REL);

            plic_src_enable(src, routes[src].ctx, false);
            if (ctx != NO_CLAIM) {
                plic_complete(src, ctx); /* the gateway is free for the next owner */
            }
            __atomic_store_n(&routes[src].d, NULL, __ATOMIC_RELEASE);
        }
    }
    spin_unlock(&route_lock);
}

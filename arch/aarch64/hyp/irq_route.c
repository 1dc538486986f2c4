/* SPDX-License-Identifier: MIT */
/*
 * Host SPIs given to one domain (arch_irq_route; the model is in irq_route.h). A
 * level-sensitive line (Arm GIC binding flags 4/8) is disabled at the distributor each
 * time it fires and set high in the owner's vGIC; the guest's deactivation of the
 * virtual SPI (an EOI maintenance interrupt, vgic.c) enables it again. An edge-triggered
 * line stays enabled and each edge makes the virtual SPI pending. Only the owner's vGIC
 * ever sees the line.
 */
#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/spinlock.h>

#include "irq_route.h"
#include "vgic.h"

#define GIC_DT_SPI  0
#define GIC_DT_EDGE 0x3

/* One entry per INTID the vGIC has: the domain the host line is given to, or NULL. */
static struct {
    struct domain *d;
    bool edge;
} routes[VGIC_NR_IRQS];
static struct spinlock route_lock = SPINLOCK_INIT;

int arch_irq_route(struct domain *d, const uint32_t *cells, unsigned nr)
{
    uint32_t intid;
    int rc = 0;

    if (nr != 3 || cells[0] != GIC_DT_SPI || cells[1] >= VGIC_NR_SPIS ||
        cells[1] + 32 >= gic_nr_lines()) {
        return -EINVAL;
    }
    intid = cells[1] + 32;
    spin_lock(&route_lock);
    if (routes[intid].d || gic_spi_requested(intid)) {
        rc = -EBUSY;
    } else {
        routes[intid].edge = cells[2] & GIC_DT_EDGE;
        gic_spi_setup(intid, routes[intid].edge);
        __atomic_store_n(&routes[intid].d, d, __ATOMIC_RELEASE);
        gic_spi_enable(intid, true);
    }
    spin_unlock(&route_lock);
    return rc;
}

bool irq_route_fire(uint32_t intid)
{
    struct domain *d;

    if (intid < 32 || intid >= VGIC_NR_IRQS) {
        return false;
    }
    spin_lock(&route_lock);
    d = routes[intid].d;
    if (d && routes[intid].edge) {
        vgic_inject(d->vcpus[0], intid);
    } else if (d) {
        /* Masked until the guest is done with it (irq_route_eoi); the EOI the caller
         * writes next only drops the running priority and deactivates. */
        gic_spi_enable(intid, false);
        if (vgic_set_level(d, intid, true)) {
            gic_spi_enable(intid, true); /* cannot happen: checked at routing */
        }
    }
    spin_unlock(&route_lock);
    return d != NULL;
}

bool irq_route_eoi(const struct domain *d, uint32_t intid)
{
    if (intid < 32 || intid >= VGIC_NR_IRQS ||
        __atomic_load_n(&routes[intid].d, __ATOMIC_ACQUIRE) != d || routes[intid].edge) {
        return false;
    }
    gic_spi_enable(intid, true);
    return true;
}

bool irq_route_owned(const struct domain *d, uint32_t intid)
{
    return intid >= 32 && intid < VGIC_NR_IRQS &&
           __atomic_load_n(&routes[intid].d, __ATOMIC_ACQUIRE) == d;
}

void irq_route_release(const struct domain *d)
{
    spin_lock(&route_lock);
    for (unsigned i = 32; i < VGIC_NR_IRQS; i++) {
        if (routes[i].d == d) {
            gic_spi_enable(i, false);
            __atomic_store_n(&routes[i].d, NULL, __ATOMIC_RELEASE);
        }
    }
    spin_unlock(&route_lock);
}

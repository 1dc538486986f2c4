/* SPDX-License-Identifier: MIT */
/*
 * Passed-through device interrupts on aarch64 (irq_route.c, arch_irq_route): a host SPI
 * given to one domain fires into that domain's vGIC as the same SPI. A level-sensitive
 * line is disabled at the distributor when it fires and enabled again once the guest
 * has deactivated the virtual one (its list register asks for an EOI maintenance
 * interrupt, vgic.c calls irq_route_eoi), so the device, not the hypervisor, says
 * whether it is still asserted.
 *
 * Lock order: the route lock, then a domain's vGIC lock (irq_route_fire injects under
 * it); irq_route_eoi takes no lock (it runs under the vGIC lock).
 */
#ifndef BULKHEAD_ARCH_AARCH64_IRQ_ROUTE_H
#define BULKHEAD_ARCH_AARCH64_IRQ_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

struct domain;

/* gicv3.c: the host distributor's side. */
unsigned gic_nr_lines(void);
bool gic_spi_requested(uint32_t intid);        /* a hypervisor driver's (arch_irq_request) */
void gic_spi_setup(uint32_t intid, bool edge); /* trigger, routed to this CPU, disabled */
void gic_spi_enable(uint32_t intid, bool on);

/* gic_handle_irq: @intid fired; true if it is routed to a domain (then handled). */
bool irq_route_fire(uint32_t intid);

/* vgic.c, under @d's vGIC lock: the guest deactivated level SPI @intid. True if it is a
 * routed host line (its host side is enabled again; the caller drops the virtual level,
 * which the host line sets again if the device still asserts it). */
bool irq_route_eoi(const struct domain *d, uint32_t intid);

/* Is line @intid of @d a host line routed to it (so a stub may not drive it)? */
bool irq_route_owned(const struct domain *d, uint32_t intid);

/* arch_domain_teardown: @d's lines are disabled and free again. */
void irq_route_release(const struct domain *d);

#endif

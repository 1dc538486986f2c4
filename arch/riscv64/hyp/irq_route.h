/* SPDX-License-Identifier: MIT */
/*
 * Passed-through device interrupts on riscv64 (irq_route.c, arch_irq_route): a host
 * PLIC source given to one domain fires into that domain's vPLIC as the same source.
 * The hypervisor claims it at the host PLIC and does not complete it: the host gateway
 * forwards nothing more from that source until the guest completes its vPLIC claim
 * (vplic.c calls irq_route_complete), and the host claim is completed then (PLIC spec
 * 3.9: the gateway's one outstanding request). So the device, not the hypervisor, says
 * whether it is still asserted.
 *
 * Lock order: the route lock, then a domain's vPLIC lock (irq_route_fire raises under
 * it); irq_route_complete takes no lock (it runs under the vPLIC lock).
 */
#ifndef BULKHEAD_ARCH_RISCV64_IRQ_ROUTE_H
#define BULKHEAD_ARCH_RISCV64_IRQ_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

struct domain;

/* plic.c: the host PLIC's side. */
unsigned plic_nr_sources(void);
bool plic_src_requested(uint32_t src); /* a hypervisor driver's (arch_irq_request) */
void plic_src_enable(uint32_t src, uint32_t ctx, bool on); /* priority and enable bit */
void plic_complete(uint32_t src, uint32_t ctx);

/* plic_handle_irq: @src was claimed in context @ctx; true if it is routed to a domain
 * (then it is pending there and its completion waits for the guest's). */
bool irq_route_fire(uint32_t src, uint32_t ctx);

/* vplic.c, under @d's vPLIC lock: the guest completed source @src. True if it is a
 * routed host source (its host claim is completed; the caller drops the virtual level,
 * which the host sets again if the device still asserts it). */
bool irq_route_complete(const struct domain *d, uint32_t src);

/* Is source @src of @d a host source routed to it (so a stub may not drive it)? */
bool irq_route_owned(const struct domain *d, uint32_t src);

/* arch_domain_teardown: @d's sources are disabled and free again. */
void irq_route_release(const struct domain *d);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Event channels inside a domain (lib/domain/event.c): Xen's 2-level ABI. The runtime
 * maps shared_info over a page of its own (XENMEM_add_to_physmap), registers vCPU 0's
 * vcpu_info (VCPUOP_register_vcpu_info) and waits for the upcall without spinning:
 * aarch64 takes it as DOM_IRQ_EVTCHN (Xen's GUEST_EVTCHN_PPI 31) and sleeps in WFI;
 * where the arch has no upcall interrupt (riscv64, docs/abi-riscv.md) it sleeps in
 * SCHEDOP_block, which an event wakes, with a backstop timer (see event.c).
 *
 * Only vCPU 0 takes events: every channel the runtime binds is bound to vCPU 0.
 */
#ifndef DOM_EVENT_H
#define DOM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>

/* Set up event delivery for vCPU 0 (call it on vCPU 0). 0 or a negative Xen errno. */
int dom_evtchn_init(void);

/* EVTCHNOP_bind_interdomain: a local port connected to @remote_port of @remote_dom. */
int dom_evtchn_bind_interdomain(domid_t remote_dom, uint32_t remote_port, uint32_t *local);

/* EVTCHNOP_alloc_unbound: a port @remote_dom may bind to. */
int dom_evtchn_alloc_unbound(domid_t remote_dom, uint32_t *port);

/* EVTCHNOP_send / EVTCHNOP_close / EVTCHNOP_unmask. */
int dom_evtchn_notify(uint32_t port);
int dom_evtchn_close(uint32_t port);
int dom_evtchn_unmask(uint32_t port);

/* Mask or unmask @port in shared_info (local only: no hypercall). */
void dom_evtchn_set_mask(uint32_t port, bool masked);

/*
 * Take every pending, unmasked port: clear its pending bit, then call @fn(port, @ctx).
 * Returns how many were taken. Ports that become pending during the scan are taken by
 * the next call (the upcall flag is cleared first, so none is lost).
 */
unsigned dom_evtchn_poll(void (*fn)(uint32_t port, void *ctx), void *ctx);

/* Block vCPU 0 until an event may be pending (it may also return early, harmlessly). */
void dom_evtchn_wait(void);

/* A program whose device interrupts (dom/irq.h) signal events calls this once, before
 * enabling them (it sets up the vCPU's interrupt delivery where dom_evtchn_init did not):
 * dom_evtchn_wait then takes pending interrupts, with interrupts masked everywhere else,
 * on every arch (aarch64 already does: its wait ends on any interrupt; riscv64's opens
 * sstatus.SIE briefly before and after SCHEDOP_block, which a pending device interrupt
 * also ends). So a handler never runs while the loop does. */
void dom_evtchn_take_device_irqs(void);

/* True if vCPU 0's upcall flag is set (something is pending). */
bool dom_evtchn_upcall_pending(void);

#endif

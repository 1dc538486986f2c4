/* SPDX-License-Identifier: MIT */
/*
 * The arch interface: every hook the core needs from an ISA, declared once, each with
 * its contract. arch/aarch64, arch/riscv64 and arch/fake (host unit tests) implement
 * it. The core includes only this header and <arch/types.h> (the arch's own state
 * structs, embedded in core structs as `.arch`), never other arch headers.
 */
#ifndef BULKHEAD_ARCH_H
#define BULKHEAD_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arch/types.h>

#include "compiler.h"
#include "types.h"

struct board_info;
struct pcpu;
struct pt_format;

/* ---- identity -------------------------------------------------------------------- */

/* Short description of where the hypervisor runs, for the banner ("aarch64 EL2"). */
const char *arch_describe(void);

/* XENVER_capabilities: the guest ABIs this arch runs, in Xen's form ("xen-3.0-aarch64 "). */
const char *arch_xen_capabilities(void);

/* ---- CPU primitives -------------------------------------------------------------- */

/* Hint inside a spin-wait loop. May sleep until arch_cpu_wake() (WFE), so waiters do
 * not starve other vCPUs under TCG with -icount. */
void arch_cpu_relax(void);

/* Wake CPUs waiting in arch_cpu_relax() after a store they may be polling for. */
void arch_cpu_wake(void);

/* Sleep until an interrupt is pending (WFI); returns with interrupt state unchanged. */
void arch_wait_for_interrupt(void);

/* Mask / unmask interrupts to this CPU while it runs hypervisor code. */
void arch_irq_disable(void);
void arch_irq_enable(void);

/* The calling CPU's per-CPU data, kept in the arch's thread register. */
struct pcpu *arch_this_cpu(void);

/* Point the thread register at @cpu; called once per CPU during its bring-up. */
void arch_set_this_cpu(struct pcpu *cpu);

/* ---- console and power ----------------------------------------------------------- */

/* Write a byte to the early console, usable with the MMU off and before the device tree
 * is parsed. A no-op where the board configuration names none. */
void arch_early_putc(char c);

/* Power the board off (PSCI SYSTEM_OFF / SBI SRST). Never returns. */
__noreturn void arch_system_off(void);

/* ---- device tree ----------------------------------------------------------------- */

/* Fill the arch part of @bi from the device tree: interrupt controller, timer frequency
 * and interrupt, firmware interface (PSCI conduit / SBI). Returns 0 or -errno, with a
 * message printed naming what is missing. */
int __must_check arch_dt_parse(const void *fdt, struct board_info *bi);

/* Print the arch part of @bi in the boot log. */
void arch_dt_print(const struct board_info *bi);

/* ---- MMU ------------------------------------------------------------------------- */

/* Page-table format of the hypervisor's own (stage-1) translation regime. */
extern const struct pt_format arch_hyp_pt_format;

/* Turn on this CPU's MMU with the hypervisor tables rooted at @root. Called on the boot
 * CPU first, then on each secondary, with identical tables. */
void arch_mmu_enable(paddr_t root);

/* Invalidate this CPU's TLB entries for the hypervisor's regime after a table change. */
void arch_tlb_flush_hyp(void);

/* Zero @size bytes at @va (both page-aligned): the page allocator's scrub. aarch64 uses
 * DC ZVA once its MMU and data cache are on, memset before. */
void arch_pages_zero(void *va, size_t size);

/* ---- traps ----------------------------------------------------------------------- */

/* Install this CPU's exception vectors. Unexpected exceptions print a register dump
 * and panic. */
void arch_trap_init(void);

/* Deliberately take an exception the hypervisor does not expect (selftest=trap). */
void arch_trigger_unexpected_trap(void);

/* ---- CPUs ------------------------------------------------------------------------ */

/* Start secondary CPU @cpu (PSCI CPU_ON / SBI HSM hart_start). It enters with its stack
 * and thread register set and the MMU on, in cpu_secondary_main(cpu). Returns 0 or
 * -errno from the firmware call. */
int __must_check arch_cpu_start(struct pcpu *cpu);

/* ---- interrupt controller and timer ---------------------------------------------- */

/* Initialise the global part of the interrupt controller (GIC distributor, PLIC
 * sources). Boot CPU only, after the MMU is on. */
int __must_check arch_irqc_init(const struct board_info *bi);

/* Initialise this CPU's part (GIC redistributor + CPU interface, PLIC context) and
 * enable the hypervisor timer interrupt at the controller. */
int __must_check arch_irqc_cpu_init(struct pcpu *cpu);

/* Route the host device interrupt named by the device-tree specifier @cells (@nr cells,
 * in the board interrupt controller's binding: GIC <type number flags>, PLIC <source>)
 * to the calling CPU, enable it, and call @handler from the interrupt path each time it
 * fires; the handler must quiet the device (level interrupts). 0, -EINVAL for a
 * specifier the controller does not take, -ENOSPC when every handler slot is used. */
int __must_check arch_irq_request(const uint32_t *cells, unsigned nr, void (*handler)(void));

/* The free-running system counter, in ticks of board_info.timer.freq. */
uint64_t arch_timer_now(void);

/* Raise the timer interrupt on this CPU when the counter reaches @deadline. The
 * interrupt handler calls timer_interrupt(), which must re-arm or stop the timer. */
void arch_timer_set_deadline(uint64_t deadline);

/* Stop this CPU's timer interrupt. */
void arch_timer_stop(void);

/* Send this CPU's kick (an SGI / supervisor software interrupt) to CPU @cpu; its
 * handler calls sched_kick_received(). Kicks ask for a scheduling decision or for the
 * CPU's timer to be re-armed (a timer set from another CPU). */
void arch_send_kick(struct pcpu *cpu);

/* ---- domains and stage 2 ----------------------------------------------------------- */

struct domain;
struct p2m;
struct p2m_locked;
struct vcpu;

/* Page-table format of a domain's stage-2 (guest-physical to host-physical) tables. */
extern const struct pt_format arch_stage2_pt_format;

/* Where guest RAM starts in every domain's guest-physical map, and its largest size. */
uint64_t arch_guest_ram_base(void);
uint64_t arch_guest_ram_max(void);

/* Where the magic pages (hypervisor/magic: console, then xenstore) are in every domain's
 * guest-physical map: Xen's GUEST_MAGIC_BASE on aarch64, docs/abi-riscv.md on riscv64. */
uint64_t arch_guest_magic_base(void);

/* Does guest-physical [ipa, ipa+size) overlap what the hypervisor emulates for every
 * domain (aarch64: the virtual GIC's distributor and redistributors; riscv64: the
 * virtual PLIC)? A passed-through device may not be mapped there. */
bool arch_guest_mmio_emulated(uint64_t ipa, uint64_t size);

/* Arch part of a new stage 2 (VMID = p->id, the translation register value), after its
 * root exists. Forgets whatever an earlier owner of the VMID left in the TLBs. */
int __must_check arch_p2m_init(struct p2m *p);

/* Forget the translations of guest-physical [ipa, ipa+size) of @p's VMID on every CPU,
 * and return when they are gone. The only stage-2 invalidation in the hypervisor: the
 * walker calls it for break-before-make, mm/p2m at each commit. An arch may widen the
 * range (to the whole VMID) when that is cheaper. */
void arch_p2m_flush(struct p2m *p, ipaddr_t ipa, uint64_t size);

/* Arch state of a new domain whose vCPUs exist (virtual interrupt controller, virtual
 * timers: vcpu.arch_timers are the arch's to init and use). 0 or -errno; on error
 * arch_domain_teardown() is still called. */
int __must_check arch_domain_init(struct domain *d);

/* Undo arch_domain_init(): no vCPU of @d runs anywhere. */
void arch_domain_teardown(struct domain *d);

/* Set up @v's registers for its first entry at @entry per the arch's Linux boot
 * protocol: aarch64 EL1h, MMU off, x0 = @arg; riscv64 VS-mode, a0 = vCPU id,
 * a1 = @arg. */
void arch_vcpu_init(struct vcpu *v, uint64_t entry, uint64_t arg);

/* XEN_DOMCTL_setvcpucontext: the entry point and boot argument (DTB) in the arch's
 * vcpu_guest_context (xen/arch-*.h), as arch_vcpu_init takes them. Only what the Linux
 * boot protocol allows: aarch64 cpsr EL1h with DAIF masked (x0 = DTB); riscv64 a0 = 0
 * (hart 0), a1 = DTB. -EINVAL otherwise. */
struct vcpu_guest_context;
int __must_check arch_vcpu_context_decode(const struct vcpu_guest_context *c, uint64_t *entry,
                                          uint64_t *arg);

/* Save the state of @v, the vCPU this CPU was running, out of the live registers and
 * the trap frame. */
void arch_vcpu_save(struct vcpu *v);

/* Make @v the vCPU this CPU returns to: load its registers and trap frame. */
void arch_vcpu_load(struct vcpu *v);

/* Does @v have a virtual interrupt pending that should end a wait (WFI)? Called by the
 * scheduler under @v's CPU's scheduler lock when @v asks to block; an injector makes the
 * interrupt pending first and then calls sched_wake(@v), so no wake-up is lost. */
bool arch_vcpu_irq_pending(struct vcpu *v);

/* Deliver the event-channel upcall to @v (evtchn_upcall_pending has just been set in its
 * vcpu_info): aarch64 injects PPI 31 (Xen's GUEST_EVTCHN_PPI), riscv64 the interrupt
 * docs/abi-riscv.md names; and wake @v if it waits. Any CPU. */
void arch_vcpu_evtchn_upcall(struct vcpu *v);

/* Set device interrupt line @irq of @d to @level (XEN_DMOP_set_irq_level from its
 * stub): aarch64 GIC SPI INTIDs 32..VGIC's last, level-sensitive (pending while high);
 * riscv64 PLIC sources 1..VPLIC_NDEV. -EINVAL for a line the domain does not have,
 * -EBUSY for a host device's line passed through to it (arch_irq_route). */
int __must_check arch_domain_irq_level(struct domain *d, uint32_t irq, bool level);

/* Give host device interrupt @cells (@nr cells, the board controller's binding, as
 * arch_irq_request takes it) to domain @d alone, as the same line of its virtual
 * interrupt controller (Xen's dom0less passthrough: virtual == physical). When the line
 * fires it is made pending in @d; a level-sensitive one stays masked at the host (GIC:
 * disabled; PLIC: claimed) until @d's guest has ended it (EOI / completion), then the
 * host line decides again. The route goes with arch_domain_teardown(). 0; -EINVAL for
 * a specifier that is not a device line both controllers have; -EBUSY for a line the
 * hypervisor or a domain owns; -ENOSPC when no route is left. */
int __must_check arch_irq_route(struct domain *d, const uint32_t *cells, unsigned nr);

/* Enter the loaded vCPU from the idle loop; the hypervisor stack starts over. */
__noreturn void arch_vcpu_enter(void);

/* Translate guest virtual address @va of the running vCPU @v through its stage-1 and
 * stage-2 tables, for a read or a write. -EFAULT if either refuses. The caller holds
 * @v's p2m lock (@l) until it is done with the page. */
int __must_check arch_guest_va_to_pa(struct vcpu *v, struct p2m_locked l, uint64_t va, bool write,
                                     paddr_t *pa);

/* ---- called by arch code, implemented by the core -------------------------------- */

/* C entry of the boot CPU: stack set, BSS zeroed, MMU off. */
__noreturn void boot_main(uint64_t hwid, paddr_t fdt);

/* C entry of a secondary CPU started by arch_cpu_start(). */
__noreturn void cpu_secondary_main(struct pcpu *cpu);

/* The hypervisor timer fired on this CPU. */
void timer_interrupt(void);

#endif

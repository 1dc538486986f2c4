/* SPDX-License-Identifier: MIT */
/* Interfaces between the files of arch/riscv64/hyp. */
#ifndef BULKHEAD_ARCH_RISCV64_RISCV_H
#define BULKHEAD_ARCH_RISCV64_RISCV_H

#include <stdbool.h>
#include <stdint.h>

#include <bulkhead/board.h>

/* 1 once the device tree showed the H extension on every hart (dt.c); until then the
 * trap entry leaves the H CSRs alone. */
extern uint8_t riscv_has_h;

/* Set up this hart's H-extension CSRs (vcpu.c); needs riscv_has_h. */
void hyp_ext_cpu_init(void);

/* Find the PLIC in the device tree and its S-mode contexts (plic.c). */
int __must_check plic_dt_parse(const void *fdt, struct board_info *bi);

/* Print what plic_dt_parse() found. */
void plic_dt_print(const struct board_info *bi);

/* Program deadlines through stimecmp (Sstc) rather than SBI set_timer (timer.c). */
void timer_use_sstc(bool sstc);

/* True when the hypervisor (and so its guests, henvcfg.STCE) use Sstc (timer.c). */
bool timer_has_sstc(void);

/* "stimecmp (Sstc)" or "SBI set_timer", for the boot log. */
const char *timer_describe(void);

/* Local G-stage flushes (stage2.c): the VMID's entries (or all, if VMIDs are shared). */
void stage2_flush_local(uint64_t vmid);
/* Before this hart runs a vCPU of @p's domain: mark the hart in @p->arch.harts, flushing
 * the VMID the first time (arch_p2m_flush then fences this hart too). */
struct p2m;
void stage2_vcpu_load(struct p2m *p);

/* True when hgatp has too few VMID bits: every domain runs as VMID 0. */
bool stage2_vmid_shared(void);

/* hfence.vvma of every VS-stage entry of the current VMID on this hart. */
void stage2_hfence_vvma_all(void);

struct vcpu;
struct domain;
struct trap_frame;

/* A vCPU's virtual interrupts (virq.c): set-up, the timer, IPIs, and writing hvip from
 * the pending state on the way into the guest (@v running on this CPU). */
void virq_vcpu_init(struct vcpu *v);
void virq_vcpu_teardown(struct vcpu *v);
void virq_vcpu_reset(struct vcpu *v);
void virq_vcpu_save(struct vcpu *v);
void virq_vcpu_load(struct vcpu *v);
void virq_sync(struct vcpu *v);
void virq_timer_set(struct vcpu *v, uint64_t deadline);
uint64_t virq_timer_get(struct vcpu *v);
void virq_send_ipi(struct vcpu *v);
/* @v has a new interrupt pending: wake it, and make its CPU re-enter it. */
void virq_kick(struct vcpu *v);

/* The virtual PLIC (vplic.c), at QEMU virt's address. */
#define VPLIC_BASE 0x0c000000ull
#define VPLIC_SIZE 0x00600000ull
void vplic_init(struct domain *d);
/* True if vCPU @vcpu's S-mode context has an interrupt to claim (its VSEIP line). */
bool vplic_eip(struct domain *d, unsigned vcpu);
/* A 32-bit access at offset @off. Unknown registers read as zero and ignore writes. */
uint32_t vplic_read(struct domain *d, uint64_t off);
void vplic_write(struct domain *d, uint64_t off, uint32_t val);
/* Make source @src pending (an edge from a device model). */
void vplic_raise(struct domain *d, unsigned src);
/* Set source @src's line level (arch_domain_irq_level without its passthrough check):
 * level-sensitive, pending on a rising edge and again at completion while high. */
int __must_check vplic_set_level(struct domain *d, uint32_t src, bool level);

/* Emulate a guest load/store at @gpa (mmio.c): true if an emulated device is there
 * and the access was done (sepc advanced); false: nothing is there. */
bool mmio_emulate(struct trap_frame *f, struct vcpu *v, uint64_t gpa);

/* Complete the running vCPU's forwarded MMIO access if its reply came: on every way
 * back into a guest (guest_trap, guest_resume, arch_vcpu_enter). */
void mmio_finish_current(void);

/* The hypercall fast path's way back through the scheduler (entry.S). */
void guest_resume(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * vCPU context on aarch64. A guest's general registers live in the trap frame at the
 * top of its CPU's hypervisor stack while it runs (vectors.S saves them there on every
 * trap and restores them on return); its EL1 system registers and FP/SIMD registers
 * stay live in the CPU. Switching vCPUs copies both out of and into struct arch_vcpu.
 */
#include <string.h>
#include <stdint.h>

#include <xen/xen.h>

#include <arch/sysreg.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#include "irq_route.h"
#include "vgic.h"

#define PSR_MODE_EL1H 0x5
#define PSR_DAIF      (0xfu << 6)
/* SCTLR_EL1 with the MMU and caches off: just its RES1 bits (Arm ARM D13.2.118). */
#define SCTLR_EL1_RES1 0x30d00800ull
#define VMPIDR_RES1    (1ull << 31)

void fpsimd_save(struct fpsimd_state *fp);
void fpsimd_restore(const struct fpsimd_state *fp);
void trap_restore(void);

struct trap_frame *guest_frame(void)
{
    return (struct trap_frame *)(this_cpu()->stack_top - TRAP_FRAME_SIZE);
}

void arch_vcpu_init(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    /* A fresh CPU: registers and CPU interface reset; its redistributor keeps what the
     * guest configured there, as a powered-down PE's redistributor does. */
    memset(&v->arch.regs, 0, sizeof(v->arch.regs));
    memset(&v->arch.el1, 0, sizeof(v->arch.el1));
    memset(&v->arch.fp, 0, sizeof(v->arch.fp));
    v->arch.ptimer.ctl = 0; /* its timer callback finds it disarmed */
    vgic_vcpu_reset(v);
    v->arch.regs.x[0] = arg;
    v->arch.regs.elr = entry;
    v->arch.regs.spsr = PSR_DAIF | PSR_MODE_EL1H;
    v->arch.el1.sctlr = SCTLR_EL1_RES1;
    v->arch.el1.vmpidr = VMPIDR_RES1 | v->id;
}

int arch_vcpu_context_decode(const struct vcpu_guest_context *c, uint64_t *entry, uint64_t *arg)
{
    /* Linux's arm64 booting.txt: EL1h, all of DAIF masked, MMU off (sctlr from reset). */
    if (c->user_regs.cpsr != (PSR_DAIF | PSR_MODE_EL1H)) {
        return -EINVAL;
    }
    *entry = c->user_regs.pc64;
    *arg = c->user_regs.x0;
    return 0;
}

static void el1_save(struct el1_sysregs *r)
{
    r->sctlr = read_sysreg(sctlr_el1);
    r->ttbr0 = read_sysreg(ttbr0_el1);
    r->ttbr1 = read_sysreg(ttbr1_el1);
    r->tcr = read_sysreg(tcr_el1);
    r->mair = read_sysreg(mair_el1);
    r->amair = read_sysreg(amair_el1);
    r->vbar = read_sysreg(vbar_el1);
    r->contextidr = read_sysreg(contextidr_el1);
    r->tpidr_el0 = read_sysreg(tpidr_el0);
    r->tpidrro_el0 = read_sysreg(tpidrro_el0);
    r->tpidr_el1 = read_sysreg(tpidr_el1);
    r->sp_el0 = read_sysreg(sp_el0);
    r->sp_el1 = read_sysreg(sp_el1);
    r->elr = read_sysreg(elr_el1);
    r->spsr = read_sysreg(spsr_el1);
    r->esr = read_sysreg(esr_el1);
    r->far = read_sysreg(far_el1);
    r->afsr0 = read_sysreg(afsr0_el1);
    r->afsr1 = read_sysreg(afsr1_el1);
    r->par = read_sysreg(par_el1);
    r->cpacr = read_sysreg(cpacr_el1);
    r->cntkctl = read_sysreg(cntkctl_el1);
    r->cntv_ctl = read_sysreg(cntv_ctl_el0);
    r->cntv_cval = read_sysreg(cntv_cval_el0);
    r->csselr = read_sysreg(csselr_el1);
    r->vmpidr = read_sysreg(vmpidr_el2);
    /* The guest's virtual timer must not fire while another vCPU runs here. */
    write_sysreg(cntv_ctl_el0, 0);
}

static void el1_restore(const struct el1_sysregs *r)
{
    write_sysreg(sctlr_el1, r->sctlr);
    write_sysreg(ttbr0_el1, r->ttbr0);
    write_sysreg(ttbr1_el1, r->ttbr1);
    write_sysreg(tcr_el1, r->tcr);
    write_sysreg(mair_el1, r->mair);
    write_sysreg(amair_el1, r->amair);
    write_sysreg(vbar_el1, r->vbar);
    write_sysreg(contextidr_el1, r->contextidr);
    write_sysreg(tpidr_el0, r->tpidr_el0);
    write_sysreg(tpidrro_el0, r->tpidrro_el0);
    write_sysreg(tpidr_el1, r->tpidr_el1);
    write_sysreg(sp_el0, r->sp_el0);
    write_sysreg(sp_el1, r->sp_el1);
    write_sysreg(elr_el1, r->elr);
    write_sysreg(spsr_el1, r->spsr);
    write_sysreg(esr_el1, r->esr);
    write_sysreg(far_el1, r->far);
    write_sysreg(afsr0_el1, r->afsr0);
    write_sysreg(afsr1_el1, r->afsr1);
    write_sysreg(par_el1, r->par);
    write_sysreg(cpacr_el1, r->cpacr);
    write_sysreg(cntkctl_el1, r->cntkctl);
    write_sysreg(cntv_cval_el0, r->cntv_cval);
    write_sysreg(cntv_ctl_el0, r->cntv_ctl);
    write_sysreg(csselr_el1, r->csselr);
    write_sysreg(vmpidr_el2, r->vmpidr);
}

/* The vCPU's part of a trap frame: x0-x30, ELR and SPSR (SP, ESR and FAR describe a
 * trap, not the vCPU). Unrolled into load/store pairs: it runs twice per vCPU switch. */
static inline void frame_copy(struct trap_frame *to, const struct trap_frame *from)
{
#pragma GCC unroll 31
    for (unsigned i = 0; i < 31; i++) {
        to->x[i] = from->x[i];
    }
    to->elr = from->elr;
    to->spsr = from->spsr;
}

void arch_vcpu_save(struct vcpu *v)
{
    frame_copy(&v->arch.regs, guest_frame());
    el1_save(&v->arch.el1);
    vtimer_save(v);
    vgic_save(v);
    fpsimd_save(&v->arch.fp);
}

void arch_vcpu_load(struct vcpu *v)
{
    write_sysreg(vttbr_el2, v->dom->p2m.arch.vttbr);
    vtimer_restore(v);
    el1_restore(&v->arch.el1);
    fpsimd_restore(&v->arch.fp);
    isb();
    vgic_restore(v);
    frame_copy(guest_frame(), &v->arch.regs);
}

void arch_vcpu_enter(void)
{
    mmio_finish_current(); /* a vCPU that waited for its device model comes back here */
    /* Start over at the top of the stack, where the loaded frame is, and return. */
    __asm__ volatile("mov sp, %0\n\tb trap_restore" : : "r"(guest_frame()) : "memory");
    __builtin_unreachable();
}

int arch_guest_va_to_pa(struct vcpu *v, struct p2m_locked l, uint64_t va, bool write, paddr_t *pa)
{
    /* AT reports into PAR_EL1, which is the guest's register: keep its value. */
    uint64_t saved = read_sysreg(par_el1), par;

    /* AT walks the live stage-2 tables of the running vCPU: @l keeps them still. */
    (void)v;
    (void)l;
    if (write) {
        __asm__ volatile("at s12e1w, %0" : : "r"(va));
    } else {
        __asm__ volatile("at s12e1r, %0" : : "r"(va));
    }
    isb();
    par = read_sysreg(par_el1);
    write_sysreg(par_el1, saved);
    if (par & 1) {
        return -EFAULT;
    }
    *pa = pa_init((par & 0x0000fffffffff000ull) | (va & 0xfff));
    return 0;
}

bool arch_vcpu_irq_pending(struct vcpu *v)
{
    /* @v is the vCPU asking to block on this CPU: its list registers and timer are live. */
    return vgic_irq_pending(v) || vtimer_pending(v);
}

int arch_domain_init(struct domain *d)
{
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        vtimer_vcpu_init(d->vcpus[i]);
    }
    return vgic_domain_init(d);
}

void arch_domain_teardown(struct domain *d)
{
    irq_route_release(d); /* before its vGIC goes */
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        if (d->vcpus[i]) {
            vtimer_vcpu_teardown(d->vcpus[i]);
        }
    }
    vgic_domain_teardown(d);
}

#define EVTCHN_PPI 31 /* GUEST_EVTCHN_PPI in Xen's arch-arm.h */

void arch_vcpu_evtchn_upcall(struct vcpu *v)
{
    /* Xen's GUEST_EVTCHN_PPI (arch-arm.h), which the guest DT's xen,xen node names:
     * injected (and the vCPU woken) each time evtchn_upcall_pending goes 0 -> 1. */
    vgic_inject(v, EVTCHN_PPI);
}

int arch_domain_irq_level(struct domain *d, uint32_t irq, bool level)
{
    if (irq_route_owned(d, irq)) {
        return -EBUSY; /* a host device's line: the device drives it (irq_route.c) */
    }
    return irq < 32 ? -EINVAL : vgic_set_level(d, irq, level);
}

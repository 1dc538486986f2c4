/* SPDX-License-Identifier: MIT */
/*
 * vCPU context on riscv64 (H extension, privileged spec v1.12 chapter 8). A guest's
 * general registers, sepc, and the sstatus / hstatus it returns with live in the trap
 * frame at the top of its CPU's hypervisor stack while it runs (entry.S saves them there
 * on every trap and restores them on return); its VS-level CSRs and FP registers stay
 * live in the hart. Switching vCPUs copies both out of and into struct arch_vcpu.
 */
#include <string.h>
#include <stdint.h>

#include <xen/xen.h>

#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/pgtable.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#include "irq_route.h"
#include "riscv.h"

void fp_save(struct fp_state *fp);
void fp_restore(const struct fp_state *fp);

/*
 * Exceptions the guest handles itself, delegated to VS-mode (hedeleg, 8.2.2): misaligned
 * fetch, breakpoint, ecall from VU-mode, and its own (VS-stage) page faults. Illegal
 * instructions are not: the hypervisor ends the domain on them. Guest-page faults,
 * virtual instructions and ecalls from VS-mode cannot be delegated.
 */
#define HEDELEG_GUEST                                                                              \
    ((1ull << CAUSE_MISALIGNED_FETCH) | (1ull << CAUSE_BREAKPOINT) | (1ull << CAUSE_USER_ECALL) |  \
     (1ull << CAUSE_FETCH_PAGE_FAULT) | (1ull << CAUSE_LOAD_PAGE_FAULT) |                          \
     (1ull << CAUSE_STORE_PAGE_FAULT))
/* VS-level software, timer and external interrupts go to the guest (hideleg, 8.2.2). */
#define HIDELEG_GUEST ((1ull << IRQ_VS_SOFT) | (1ull << IRQ_VS_TIMER) | (1ull << IRQ_VS_EXT))

static bool has_fp;
static uint64_t next_uid = 1;

void hyp_ext_cpu_init(void)
{
    csr_write(CSR_HEDELEG, HEDELEG_GUEST);
    csr_write(CSR_HIDELEG, HIDELEG_GUEST);
    csr_write(CSR_HCOUNTEREN, HCOUNTEREN_TM);
    /* Guest time = the time CSR (8.2.7). */
    csr_write(CSR_HTIMEDELTA, 0);
    /* Sstc for VS-mode where the hypervisor has it (its stimecmp is vstimecmp, virq.c);
     * no PBMT, no CBO. */
    csr_write(CSR_HENVCFG, timer_has_sstc() ? HENVCFG_STCE : 0);
    csr_write(CSR_HVIP, 0);
    csr_write(CSR_HIE, 0);
    csr_write(CSR_HGATP, 0);
    /* FS is read-only zero on a hart without F (privileged spec 3.1.6.6). */
    csr_set(sstatus, SSTATUS_FS_INITIAL);
    has_fp = (csr_read(sstatus) & SSTATUS_FS) != 0;
}

struct trap_frame *guest_frame(void)
{
    return (struct trap_frame *)(this_cpu()->stack_top - TRAP_AREA_SIZE);
}

void arch_vcpu_init(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    memset(&v->arch, 0, sizeof(v->arch));
    v->arch.last_hart = -1;
    v->arch.uid = __atomic_fetch_add(&next_uid, 1, __ATOMIC_RELAXED);
    /* Linux boot protocol (Documentation/arch/riscv/boot.rst): a0 = hart id, a1 = DTB,
     * satp = 0, interrupts off. */
    v->arch.regs.x[REG_A0] = v->id;
    v->arch.regs.x[REG_A1] = arg;
    v->arch.regs.sepc = entry;
    /* sret to VS-mode: SPP = 1 with hstatus.SPV = 1 (8.6.4). FS on at HS level, else
     * the guest could not use FP even with its own vsstatus.FS on (3.1.6.6). */
    v->arch.regs.sstatus = (csr_read(sstatus) & ~(SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_FS)) |
                           SSTATUS_SPP | (has_fp ? SSTATUS_FS_INITIAL : 0);
    /* SPVP: VS-mode for hypervisor loads/stores; VTW: WFI traps (virtual instruction). */
    v->arch.regs.hstatus =
        (csr_read(CSR_HSTATUS) & HSTATUS_VSXL) | HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW;
    /* The guest's own sstatus: interrupts off, FP off, 64-bit U-mode. */
    v->arch.vs.vsstatus = SSTATUS_UXL_64;
    virq_vcpu_reset(v);
}

int arch_vcpu_context_decode(const struct vcpu_guest_context *c, uint64_t *entry, uint64_t *arg)
{
    /* Linux's riscv boot.rst: a0 = the hart id (vCPU 0 here), a1 = the DTB. The ABI's
     * x[] is indexed by register number (a0 = x10), unlike our trap frame's. */
    if (c->user_regs.x[10] != 0) {
        return -EINVAL;
    }
    *entry = c->user_regs.sepc;
    *arg = c->user_regs.x[11];
    return 0;
}

static void vs_save(struct vs_csrs *r)
{
    r->vsstatus = csr_read(CSR_VSSTATUS);
    r->vsie = csr_read(CSR_VSIE);
    r->vstvec = csr_read(CSR_VSTVEC);
    r->vsscratch = csr_read(CSR_VSSCRATCH);
    r->vsepc = csr_read(CSR_VSEPC);
    r->vscause = csr_read(CSR_VSCAUSE);
    r->vstval = csr_read(CSR_VSTVAL);
    r->vsatp = csr_read(CSR_VSATP);
    r->hvip = csr_read(CSR_HVIP);
}

static void vs_restore(const struct vs_csrs *r)
{
    csr_write(CSR_VSSTATUS, r->vsstatus);
    csr_write(CSR_VSIE, r->vsie);
    csr_write(CSR_VSTVEC, r->vstvec);
    csr_write(CSR_VSSCRATCH, r->vsscratch);
    csr_write(CSR_VSEPC, r->vsepc);
    csr_write(CSR_VSCAUSE, r->vscause);
    csr_write(CSR_VSTVAL, r->vstval);
    csr_write(CSR_VSATP, r->vsatp);
    csr_write(CSR_HVIP, r->hvip);
}

/* The whole frame, as memcpy would, but unrolled into 38 load/store pairs: it runs twice
 * per vCPU switch, and memcpy's loop and tail cost twice as much (docs/vcpu-riscv64.md). */
static inline void frame_copy(struct trap_frame *to, const struct trap_frame *from)
{
    uint64_t *d = (uint64_t *)(void *)to;
    const uint64_t *s = (const uint64_t *)(const void *)from;

#pragma GCC unroll 38
    for (unsigned i = 0; i < sizeof(*to) / sizeof(uint64_t); i++) {
        d[i] = s[i];
    }
}

void arch_vcpu_save(struct vcpu *v)
{
    frame_copy(&v->arch.regs, guest_frame());
    vs_save(&v->arch.vs);
    virq_vcpu_save(v);
    /* With vsstatus.FS Off the guest cannot have changed its FP registers. */
    if (has_fp && (v->arch.vs.vsstatus & SSTATUS_FS)) {
        fp_save(&v->arch.fp);
    }
}

void arch_vcpu_load(struct vcpu *v)
{
    struct arch_pcpu *a = &this_cpu()->arch;
    uint64_t hgatp = v->dom->p2m.arch.hgatp;

    csr_write(CSR_HGATP, hgatp);
    /* With one shared VMID, another domain's G-stage entries must go; with per-domain
     * VMIDs, arch_p2m_flush() keeps them right on every hart that has run the domain,
     * and a hart's first run of it flushes the VMID (stage2_vcpu_load). */
    if (stage2_vmid_shared() && a->last_hgatp != hgatp) {
        stage2_flush_local(0);
    }
    stage2_vcpu_load(&v->dom->p2m);
    /* VS-stage entries are tagged by VMID and ASID only: another vCPU of the same
     * domain (or of a domain that reused the VMID) must not see this one's. And a vCPU
     * that ran on another hart since it was last here may have changed its tables and
     * fenced there only (a guest's sfence.vma is local): what this hart kept from its
     * earlier stay is stale. */
    if (a->last_uid != v->arch.uid || v->arch.last_hart != (int)this_cpu()->id) {
        stage2_hfence_vvma_all();
    }
    a->last_hgatp = hgatp;
    a->last_uid = v->arch.uid;
    v->arch.last_hart = (int)this_cpu()->id;
    vs_restore(&v->arch.vs);
    /* Always, even with FS Off: the guest may turn FS on without trapping, and must
     * find its own registers, not another vCPU's. */
    if (has_fp) {
        fp_restore(&v->arch.fp);
    }
    frame_copy(guest_frame(), &v->arch.regs);
    virq_vcpu_load(v);
}

void arch_vcpu_enter(void)
{
    mmio_finish_current(); /* a vCPU that waited for its device model comes back here */
    /* Start over at the top of the stack, where the loaded frame is, and return. */
    __asm__ volatile("mv sp, %0\n\tj trap_return" : : "r"(guest_frame()) : "memory");
    __builtin_unreachable();
}

int arch_domain_init(struct domain *d)
{
    vplic_init(d);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        virq_vcpu_init(d->vcpus[i]);
    }
    return 0;
}

void arch_domain_teardown(struct domain *d)
{
    irq_route_release(d);
    for (unsigned i = 0; i < d->nr_vcpus; i++) {
        if (d->vcpus[i]) {
            virq_vcpu_teardown(d->vcpus[i]);
        }
    }
}

void arch_vcpu_evtchn_upcall(struct vcpu *v)
{
    /* Until the virtual interrupt controller (issue #13) can inject the upcall
     * interrupt, a waiting vCPU is at least woken to poll its vcpu_info. */
    sched_wake(v);
}

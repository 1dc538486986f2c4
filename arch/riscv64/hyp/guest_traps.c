/* SPDX-License-Identifier: MIT */
/*
 * Traps from guests (VS/VU-mode into HS-mode, H extension 8.6). Hypercalls and SBI calls
 * (ecall from VS-mode) are served; WFI blocks the vCPU until a virtual interrupt is
 * pending; loads and stores to the vPLIC are emulated; interrupts are the hypervisor's
 * own. What the hypervisor does not emulate gets the exception the guest would take
 * on a machine without a hypervisor: an illegal instruction, or an access fault for an
 * address with nothing behind it, delivered to its VS-mode handler as the hardware
 * would; only a guest that cannot take it (no handler, or faulting at its own vector)
 * is ended, with the reason logged. Nothing a guest does here can reach a panic.
 */
#include <fmt.h>

#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/domain.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

#include "riscv.h"

/* a7 of a Xen hypercall: a firmware-specific SBI extension (docs/abi-riscv.md). */
#define XEN_HYPERCALL_EID 0x0a000ea1

#define INSN_WFI 0x10500073u

/* SYSTEM-opcode CSR instructions (Zicsr): funct3 1-3 register, 5-7 immediate forms. */
#define OP_SYSTEM    0x73
#define CSR_STIMECMP 0x14d

static void hypercall(struct trap_frame *f, struct vcpu *v)
{
    uint64_t *x = f->x;
    struct hypercall hc = {.nr = x[REG_A6],
                           .a = {x[REG_A0], x[REG_A1], x[REG_A2], x[REG_A3], x[REG_A4]}};
    int64_t rc = hypercall_dispatch(v, &hc);

    if (hc.restart) {
        /* A continuation: the updated arguments, and the ecall again (sepc is past it). */
        for (unsigned i = 0; i < 5; i++) {
            x[REG_A0 + i] = hc.a[i];
        }
        f->sepc -= 4;
        sched_yield_current();
    } else {
        x[REG_A0] = (uint64_t)rc;
    }
}

/* entry.S's fast path: an ecall from VS-mode with a7 = XEN_HYPERCALL_EID. The frame
 * holds only the caller-saved registers, sepc (already past the ecall) and scause.
 * Returns true when the scheduler must run before the guest resumes; entry.S then
 * completes the frame and calls sched_on_return(). */
bool guest_hypercall(struct trap_frame *f)
{
    struct pcpu *cpu = this_cpu();

    hypercall(f, cpu->curr);
    return cpu->need_resched;
}

/* The guest-physical address of a guest-page fault: htval holds it >> 2, stval's low
 * two bits complete it (8.6.3). */
static uint64_t fault_gpa(const struct trap_frame *f)
{
    return (f->htval << 2) | (f->stval & 3);
}

static unsigned fault_need(uint64_t cause)
{
    return cause == CAUSE_FETCH_GUEST_PAGE_FAULT  ? PT_X
           : cause == CAUSE_LOAD_GUEST_PAGE_FAULT ? PT_R
                                                  : PT_W;
}

static const char *guest_fault_name(uint64_t cause)
{
    return cause == CAUSE_FETCH_GUEST_PAGE_FAULT  ? "instruction guest-page fault"
           : cause == CAUSE_LOAD_GUEST_PAGE_FAULT ? "load guest-page fault"
                                                  : "store/AMO guest-page fault";
}

/* The trapping instruction: stval holds it for illegal and virtual instruction traps
 * where the hart reports it (QEMU does), else 0 (privileged spec 4.1.9): then read it
 * from the guest's memory (0 if that fails too). */
static uint32_t trap_insn(const struct trap_frame *f, struct vcpu *v)
{
    uint32_t insn = (uint32_t)f->stval;

    if (!insn && copy_from_guest(v, &insn, f->sepc, sizeof(insn)) != 0) {
        insn = 0;
    }
    /* A compressed instruction is 16 bits: low bits other than 0b11 (ISA 1.5). */
    return (insn & 3) == 3 ? insn : insn & 0xffff;
}

/*
 * Deliver exception @cause with @tval to the guest's VS-mode trap handler, as a hart
 * without a hypervisor would have (privileged spec 4.1.1-4.1.9 on VS CSRs, H extension
 * 8.6.4): vsepc = the faulting pc, vscause, vstval, vsstatus.SPP = the mode it came from,
 * SPIE = SIE, SIE = 0, and it resumes in VS-mode at vstvec's base (exceptions ignore the
 * vectored mode). False, and nothing changed, when it cannot take it: no handler, or
 * the fault is at the handler's own first instruction (it would loop).
 */
static bool inject_exception(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    uint64_t base = csr_read(CSR_VSTVEC) & ~3ull;
    uint64_t vsstatus = csr_read(CSR_VSSTATUS);

    if (!base || f->sepc == base) {
        return false;
    }
    vsstatus &= ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
    if (f->sstatus & SSTATUS_SPP) {
        vsstatus |= SSTATUS_SPP; /* it came from VS-mode, not VU-mode */
    }
    if (csr_read(CSR_VSSTATUS) & SSTATUS_SIE) {
        vsstatus |= SSTATUS_SPIE;
    }
    csr_write(CSR_VSSTATUS, vsstatus);
    csr_write(CSR_VSEPC, f->sepc);
    csr_write(CSR_VSCAUSE, cause);
    csr_write(CSR_VSTVAL, tval);
    f->sepc = base;
    f->sstatus |= SSTATUS_SPP;
    f->hstatus |= HSTATUS_SPVP;
    return true;
}

/* Inject, or end the domain when it cannot take the exception. */
static void guest_fault(struct trap_frame *f, struct vcpu *v, uint64_t cause, uint64_t tval,
                        const char *what)
{
    if (inject_exception(f, cause, tval)) {
        return;
    }
    domain_crash(v->dom, "%s at PC 0x%llx, and it cannot take the exception (vstvec 0x%llx)", what,
                 (unsigned long long)f->sepc, (unsigned long long)csr_read(CSR_VSTVEC));
}

/* The access fault a guest-page fault becomes when nothing is behind the address. */
static uint64_t access_fault(uint64_t cause)
{
    return cause == CAUSE_FETCH_GUEST_PAGE_FAULT  ? CAUSE_FETCH_ACCESS
           : cause == CAUSE_LOAD_GUEST_PAGE_FAULT ? CAUSE_LOAD_ACCESS
                                                  : CAUSE_STORE_ACCESS;
}

static void guest_page_fault(struct trap_frame *f, struct vcpu *v)
{
    char what[128];
    uint64_t gpa = fault_gpa(f);

    /* Emulated devices first (never RAM: ioreq ranges may not overlap it), then retry an
     * access that raced with a break-before-make change of its mapping. */
    if (f->scause != CAUSE_FETCH_GUEST_PAGE_FAULT && mmio_emulate(f, v, gpa)) {
        return;
    }
    if (p2m_fault_is_spurious(&v->dom->p2m, ipa_init(gpa), fault_need(f->scause))) {
        return;
    }
    fmt_snprintf(what, sizeof(what), "%s at GPA 0x%llx (VA 0x%llx): no memory or device there",
                 guest_fault_name(f->scause), (unsigned long long)gpa,
                 (unsigned long long)f->stval);
    guest_fault(f, v, access_fault(f->scause), f->stval, what);
}

/* A CSR instruction on stimecmp that trapped because the hart has no Sstc for VS-mode
 * (henvcfg.STCE = 0): served from the SBI timer (virq.c), so a guest told it has Sstc
 * works either way. Returns false for any other instruction. */
static bool emulate_stimecmp(struct trap_frame *f, struct vcpu *v, uint32_t insn)
{
    unsigned f3 = (insn >> 12) & 7, rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31;
    uint64_t old, src, val;

    if ((insn & 0x7f) != OP_SYSTEM || (insn >> 20) != CSR_STIMECMP || f3 == 0 || f3 == 4) {
        return false;
    }
    old = virq_timer_get(v);
    src = f3 >= 5 ? rs1 : (rs1 ? f->x[rs1 - 1] : 0);
    val = (f3 & 3) == 1 ? src : (f3 & 3) == 2 ? old | src : old & ~src;
    /* csrrs / csrrc with rs1 = x0 (or uimm 0) only read. */
    if ((f3 & 3) == 1 || rs1 != 0) {
        virq_timer_set(v, val);
    }
    if (rd) {
        f->x[rd - 1] = old;
    }
    f->sepc += 4;
    return true;
}

static void virtual_insn(struct trap_frame *f, struct vcpu *v)
{
    uint32_t insn = trap_insn(f, v);
    char what[96];

    if (insn == INSN_WFI) {
        /* hstatus.VTW: the vCPU waits for a virtual interrupt (or its Xen timer). */
        f->sepc += 4;
        sched_block_current();
        return;
    }
    if (emulate_stimecmp(f, v, insn)) {
        return;
    }
    /* Legal at HS but not served for VS: what the guest's own hart would call it. */
    fmt_snprintf(what, sizeof(what), "undefined instruction 0x%x (virtual instruction)", insn);
    guest_fault(f, v, CAUSE_ILLEGAL_INSN, insn, what);
}

static void guest_exception(struct trap_frame *f, struct vcpu *v)
{
    char what[64];

    switch (f->scause) {
    case CAUSE_VS_ECALL:
        /* ecall has no compressed form: the next instruction is 4 bytes on. */
        f->sepc += 4;
        if (f->x[REG_A7] == XEN_HYPERCALL_EID) {
            hypercall(f, v);
        } else {
            sbi_guest_call(f);
        }
        break;
    case CAUSE_FETCH_GUEST_PAGE_FAULT:
    case CAUSE_LOAD_GUEST_PAGE_FAULT:
    case CAUSE_STORE_GUEST_PAGE_FAULT:
        guest_page_fault(f, v);
        break;
    case CAUSE_ILLEGAL_INSN:
        fmt_snprintf(what, sizeof(what), "undefined instruction 0x%x", trap_insn(f, v));
        guest_fault(f, v, CAUSE_ILLEGAL_INSN, trap_insn(f, v), what);
        break;
    case CAUSE_VIRTUAL_INSN:
        virtual_insn(f, v);
        break;
    default:
        /* Standard exceptions not delegated (misaligned loads and stores, access
         * faults): the guest's own, as they are. */
        if (f->scause < 16) {
            fmt_snprintf(what, sizeof(what), "exception %llu (stval 0x%llx)",
                         (unsigned long long)f->scause, (unsigned long long)f->stval);
            guest_fault(f, v, f->scause, f->stval, what);
            break;
        }
        domain_crash(v->dom, "unhandled trap: scause 0x%llx stval 0x%llx at PC 0x%llx",
                     (unsigned long long)f->scause, (unsigned long long)f->stval,
                     (unsigned long long)f->sepc);
        break;
    }
}

void guest_trap(struct trap_frame *f)
{
    struct vcpu *v = current_vcpu();

    if (f->scause & SCAUSE_INTERRUPT) {
        /* The hypervisor's own interrupts (VS-level ones are delegated, hideleg). */
        trap_handle_interrupt(f);
    } else {
        guest_exception(f, v);
    }
    sched_on_return();
    mmio_finish_current();
    /* The vCPU we return to (another one if the scheduler switched): its interrupts. */
    virq_sync(current_vcpu());
}

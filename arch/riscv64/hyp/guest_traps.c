/* SPDX-License-Identifier: MIT */
/*
 * Traps from guests (VS/VU-mode into HS-mode, H extension 8.6). Hypercalls and SBI calls
 * (ecall from VS-mode) are served; WFI yields; interrupts are the hypervisor's own;
 * every other trap is something the hypervisor cannot serve and ends the domain with a
 * reason. Nothing a guest does here can reach a panic.
 */
#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/domain.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>

/* a7 of a Xen hypercall: a firmware-specific SBI extension (docs/abi-riscv.md). */
#define XEN_HYPERCALL_EID 0x0a000ea1

#define INSN_WFI 0x10500073u

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

static void guest_exception(struct trap_frame *f, struct vcpu *v)
{
    struct domain *d = v->dom;
    uint64_t cause = f->scause;

    switch (cause) {
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
        /* Retry an access that raced with a break-before-make change of its mapping. */
        if (p2m_fault_is_spurious(&d->p2m, ipa_init(fault_gpa(f)), fault_need(cause))) {
            break;
        }
        domain_crash(d, "%s at GPA 0x%llx (VA 0x%llx, PC 0x%llx): no memory or device there",
                     guest_fault_name(cause), (unsigned long long)fault_gpa(f),
                     (unsigned long long)f->stval, (unsigned long long)f->sepc);
        break;
    case CAUSE_ILLEGAL_INSN:
        domain_crash(d, "undefined instruction 0x%x at PC 0x%llx", trap_insn(f, v),
                     (unsigned long long)f->sepc);
        break;
    case CAUSE_VIRTUAL_INSN:
        if (trap_insn(f, v) == INSN_WFI) {
            /* No virtual interrupts yet: a waiting guest simply gives up its slice. */
            f->sepc += 4;
            sched_yield_current();
        } else {
            domain_crash(d,
                         "undefined instruction 0x%x at PC 0x%llx (virtual instruction: "
                         "the hypervisor does not serve it)",
                         trap_insn(f, v), (unsigned long long)f->sepc);
        }
        break;
    default:
        domain_crash(d, "unhandled trap: scause 0x%llx stval 0x%llx at PC 0x%llx",
                     (unsigned long long)cause, (unsigned long long)f->stval,
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
}

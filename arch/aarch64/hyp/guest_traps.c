/* SPDX-License-Identifier: MIT */
/*
 * Traps from guests (EL1/EL0 into EL2). Hypercalls and PSCI calls are served; WFI/WFE
 * yield; every other trap is something the hypervisor cannot serve and ends the domain
 * with a reason. Nothing a guest does here can reach a panic.
 */
#include <arch/sysreg.h>
#include <arch/trap.h>

#include <bulkhead/domain.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

/* ESR_EL2 exception classes (Arm ARM D17.2.37). */
#define EC_WFX     0x01
#define EC_HVC64   0x16
#define EC_SMC64   0x17
#define EC_SYSREG  0x18
#define EC_IABT_LO 0x20
#define EC_DABT_LO 0x24

#define XEN_HYPERCALL_TAG 0xea1 /* HVC #0xEA1: Xen's hypercall immediate */

static uint64_t fault_ipa(const struct trap_frame *f)
{
    /* HPFAR_EL2.FIPA holds IPA[47:12] in bits [43:4]; FAR gives the page offset. */
    return ((read_sysreg(hpfar_el2) >> 4) << 12) | (f->far & 0xfff);
}

static void hypercall(struct trap_frame *f, struct vcpu *v)
{
    struct hypercall hc = {.nr = f->x[16], .a = {f->x[0], f->x[1], f->x[2], f->x[3], f->x[4]}};
    int64_t rc = hypercall_dispatch(v, &hc);

    if (hc.restart) {
        /* A continuation: the updated arguments, and the HVC again (ELR is past it). */
        for (unsigned i = 0; i < 5; i++) {
            f->x[i] = hc.a[i];
        }
        f->elr -= 4;
        sched_yield_current();
    } else {
        f->x[0] = (uint64_t)rc;
    }
}

/* A stage-2 abort: retry if it raced with a break-before-make change of the mapping,
 * else the guest touched what it has no memory or device at, and ends. */
static bool abort_is_spurious(struct domain *d, const struct trap_frame *f, unsigned need)
{
    return p2m_fault_is_spurious(&d->p2m, ipa_init(fault_ipa(f)), need);
}

void guest_sync(struct trap_frame *f)
{
    struct vcpu *v = current_vcpu();
    struct domain *d = v->dom;
    unsigned ec = (unsigned)(f->esr >> 26) & 0x3f;
    unsigned iss = (unsigned)f->esr & 0x1ffffff;

    switch (ec) {
    case EC_HVC64:
        /* The preferred return address of an HVC is the next instruction. */
        if ((iss & 0xffff) == XEN_HYPERCALL_TAG) {
            hypercall(f, v);
        } else if ((iss & 0xffff) == 0) {
            psci_guest_call(f);
        } else {
            domain_crash(d, "HVC #0x%x is neither a Xen hypercall nor PSCI (PC 0x%llx)",
                         iss & 0xffff, (unsigned long long)f->elr);
        }
        break;
    case EC_WFX:
        /* No virtual interrupts yet: a waiting guest simply gives up its slice. */
        f->elr += 4;
        sched_yield_current();
        break;
    case EC_DABT_LO:
        if (abort_is_spurious(d, f, (iss & (1u << 6)) ? PT_W : PT_R)) {
            break; /* ISS.WnR (bit 6): a write */
        }
        domain_crash(d,
                     "data abort at IPA 0x%llx (VA 0x%llx, PC 0x%llx): no memory or device there",
                     (unsigned long long)fault_ipa(f), (unsigned long long)f->far,
                     (unsigned long long)f->elr);
        break;
    case EC_IABT_LO:
        if (abort_is_spurious(d, f, PT_X)) {
            break;
        }
        domain_crash(d, "instruction fetch from IPA 0x%llx (PC 0x%llx): no memory there",
                     (unsigned long long)fault_ipa(f), (unsigned long long)f->elr);
        break;
    case EC_SMC64:
        domain_crash(d, "SMC at PC 0x%llx: firmware calls go through HVC (PSCI method hvc)",
                     (unsigned long long)f->elr);
        break;
    case EC_SYSREG:
        domain_crash(d,
                     "undefined instruction: system register access the hypervisor does "
                     "not serve (ISS 0x%x, PC 0x%llx)",
                     iss, (unsigned long long)f->elr);
        break;
    default:
        domain_crash(d, "undefined instruction or unhandled trap: EC 0x%x ISS 0x%x at PC 0x%llx",
                     ec, iss, (unsigned long long)f->elr);
        break;
    }
    sched_on_return();
}

void guest_async(struct trap_frame *f, unsigned kind)
{
    struct vcpu *v = current_vcpu();

    if (kind == TRAP_LOWER64_IRQ) {
        gic_handle_irq();
    } else if (kind == TRAP_LOWER64_SERROR) {
        domain_crash(v->dom, "SError (asynchronous abort), ESR 0x%llx", (unsigned long long)f->esr);
    } else {
        domain_crash(v->dom, "unexpected exception from the guest (vector %u)", kind);
    }
    sched_on_return();
}

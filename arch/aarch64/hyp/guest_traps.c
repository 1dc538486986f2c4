/* SPDX-License-Identifier: MIT */
/*
 * Traps from guests (EL1/EL0 into EL2). Hypercalls and PSCI calls are served, the
 * virtual GIC's MMIO and system registers, the ID registers and the EL1 physical timer
 * emulated; WFI blocks, WFE yields. What the hypervisor does not serve gets the exception
 * the architecture specifies, delivered to the guest's own EL1 vectors: an undefined
 * instruction (EC 0) or a synchronous external abort at an address with nothing behind
 * it. Only a guest that cannot take it (no vectors, or faulting in its own vectors) is
 * crashed, with the reason. Nothing a guest does here can reach a panic.
 */
#include <arch/sysreg.h>
#include <arch/trap.h>

#include <bulkhead/domain.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/ioreq.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

#include "vgic.h"

/* ESR_EL2 exception classes (Arm ARM D17.2.37). */
#define EC_UNKNOWN   0x00
#define EC_WFX       0x01
#define EC_HVC64     0x16
#define EC_SMC64     0x17
#define EC_SYSREG    0x18
#define EC_IABT_LO   0x20
#define EC_IABT_CUR  0x21
#define EC_DABT_LO   0x24
#define EC_DABT_CUR  0x25
#define ESR_IL       (1ull << 25)
#define ESR_EC_SHIFT 26
#define ISS_WNR      (1u << 6)
#define FSC_SYNC_EXT 0x10 /* synchronous external abort, not on a table walk */

#define XEN_HYPERCALL_TAG 0xea1 /* HVC #0xEA1: Xen's hypercall immediate */

#define PSR_MODE_MASK 0x1f
#define PSR_MODE_EL0T 0x0
#define PSR_MODE_EL1T 0x4
#define PSR_MODE_EL1H 0x5
#define PSR_DAIF      (0xfull << 6)
#define VECTORS_SIZE  0x800

#define INJECT_LOG_MAX 16 /* log lines per domain about exceptions it was given */

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

/*
 * Deliver a synchronous exception to the guest's EL1 (Arm ARM D1.10, "exception entry"):
 * ELR_EL1/SPSR_EL1 from the interrupted context, ESR_EL1 (and FAR_EL1 when @far_valid),
 * PSTATE = EL1h with DAIF masked, PC = VBAR_EL1 + the offset for where it came from. The
 * EL1 registers are live while the vCPU runs. @ec_cur is the class for an exception from
 * EL1; one from EL0 takes @ec_cur - 1 (the "lower EL" class) for aborts. Returns false,
 * delivering nothing, when the guest cannot take it: VBAR_EL1 unset, or the fault is in
 * its own vectors (it would fault again forever), or it runs AArch32.
 */
static bool inject_sync(struct trap_frame *f, unsigned ec, uint32_t iss, uint64_t far,
                        bool far_valid, const char **why)
{
    uint64_t vbar = read_sysreg(vbar_el1);
    unsigned mode = (unsigned)f->spsr & PSR_MODE_MASK;
    uint64_t off;

    if (mode == PSR_MODE_EL0T) {
        off = 0x400;
        if (ec == EC_DABT_CUR || ec == EC_IABT_CUR) {
            ec--;
        }
    } else if (mode == PSR_MODE_EL1T) {
        off = 0x000;
    } else if (mode == PSR_MODE_EL1H) {
        off = 0x200;
    } else {
        *why = "not in AArch64 EL0/EL1";
        return false;
    }
    if (vbar == 0) {
        *why = "no exception vectors (VBAR_EL1 unset)";
        return false;
    }
    if (f->elr - vbar < VECTORS_SIZE) {
        *why = "it faulted in its own exception vectors";
        return false;
    }
    write_sysreg(elr_el1, f->elr);
    write_sysreg(spsr_el1, f->spsr);
    write_sysreg(esr_el1, (uint64_t)ec << ESR_EC_SHIFT | ESR_IL | iss);
    if (far_valid) {
        write_sysreg(far_el1, far);
    }
    f->spsr = PSR_DAIF | PSR_MODE_EL1H;
    f->elr = vbar + off;
    return true;
}

/* A rate-limited note that @d was given an exception. */
static void log_injected(struct domain *d, const char *what, uint64_t pc)
{
    if (d->arch.vgic && d->arch.vgic->logged < INJECT_LOG_MAX) {
        d->arch.vgic->logged++;
        printk("bulkhead: d%u (%s): %s at PC 0x%llx: exception injected\n", d->id, d->name, what,
               (unsigned long long)pc);
    }
}

/* What the hypervisor does not emulate is UNDEFINED for the guest (EC 0x00). */
static void undefined(struct trap_frame *f, struct domain *d, const char *what)
{
    uint64_t pc = f->elr;
    const char *why = "";

    if (inject_sync(f, EC_UNKNOWN, 0, 0, false, &why)) {
        log_injected(d, what, pc);
        return;
    }
    domain_crash(d, "undefined instruction: %s (PC 0x%llx), and %s", what, (unsigned long long)pc,
                 why);
}

/* An access to an address with nothing behind it: a synchronous external abort. */
static void external_abort(struct trap_frame *f, struct domain *d, bool fetch, uint64_t ipa)
{
    uint32_t iss = FSC_SYNC_EXT | (fetch ? 0 : ((uint32_t)f->esr & ISS_WNR));
    uint64_t pc = f->elr;
    const char *why = "";

    if (inject_sync(f, fetch ? EC_IABT_CUR : EC_DABT_CUR, iss, f->far, true, &why)) {
        if (d->arch.vgic && d->arch.vgic->logged < INJECT_LOG_MAX) {
            d->arch.vgic->logged++;
            printk("bulkhead: d%u (%s): %s at IPA 0x%llx (PC 0x%llx): no memory or device "
                   "there, external abort injected\n",
                   d->id, d->name, fetch ? "instruction fetch" : "data access",
                   (unsigned long long)ipa, (unsigned long long)pc);
        }
        return;
    }
    domain_crash(d, "%s at IPA 0x%llx (VA 0x%llx, PC 0x%llx): no memory or device there, and %s",
                 fetch ? "instruction fetch" : "data abort", (unsigned long long)ipa,
                 (unsigned long long)f->far, (unsigned long long)pc, why);
}

/* A stage-2 abort: retry if it raced with a break-before-make change of the mapping. */
static bool abort_is_spurious(struct domain *d, uint64_t ipa, unsigned need)
{
    return p2m_fault_is_spurious(&d->p2m, ipa_init(ipa), need);
}

/* A data abort on an emulated device: decode the ISS (D17.2.40: ISV, SAS, SSE, SRT, SF,
 * WnR); the virtual GIC is served here and stepped over, a range the stub domain's ioreq
 * server claims is forwarded (the vCPU blocks; mmio_finish_current completes it). False
 * if nothing claims @ipa, or there is no syndrome to decode (pair or writeback access:
 * the guest gets the external abort an unclaimed address gives). */
static bool emulate_mmio(struct trap_frame *f, struct vcpu *v, uint64_t ipa)
{
    uint32_t iss = (uint32_t)f->esr & 0x1ffffff;
    unsigned size = 1u << ((iss >> 22) & 3), srt = (iss >> 16) & 0x1f;
    bool write = iss & ISS_WNR, sse = iss & (1u << 21), sf = iss & (1u << 15);
    uint64_t val = 0;

    if (!(iss & (1u << 24))) {
        return false; /* no syndrome (pair or writeback access): cannot emulate */
    }
    if (write && srt != 31) {
        val = f->x[srt] & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
    }
    if (!vgic_mmio(v, ipa, write, size, &val)) {
        v->mmio.size = (uint8_t)size;
        v->mmio.reg = (uint8_t)srt;
        v->mmio.len = 4;
        v->mmio.write = write;
        v->mmio.sign = sse;
        v->mmio.wide = sf;
        v->mmio.data = val;
        return ioreq_forward(v, ipa) == 0;
    }
    if (!write && srt != 31) {
        if (sse && size < 8 && (val >> (8 * size - 1)) & 1) {
            val |= ~0ull << (8 * size);
        }
        f->x[srt] = sf ? val : (uint32_t)val;
    }
    f->elr += 4;
    return true;
}

void mmio_finish_current(void)
{
    struct vcpu *v = ((struct pcpu *)read_sysreg(tpidr_el2))->curr;
    struct trap_frame *f;
    uint64_t val;

    if (!v || !ioreq_take_reply(&v->mmio, &val)) {
        return;
    }
    /* On the vCPU's own CPU, its registers live in the frame (docs/ioreq.md). */
    f = guest_frame();
    if (!v->mmio.write && v->mmio.reg != 31) {
        f->x[v->mmio.reg] = v->mmio.wide ? val : (uint32_t)val;
    }
    f->elr += v->mmio.len;
}

/* ---- system registers (EC 0x18; ISS D17.2.37: Op0, Op2, Op1, CRn, Rt, CRm, read) ---- */

/* A register as it sits in the ISS (Rt and the direction masked out), so a trapped
 * access is matched without unpacking its fields. */
#define SYSREG(op0, op1, crn, crm, op2)                                                            \
    ((op0) << 20 | (op2) << 17 | (op1) << 14 | (crn) << 10 | (crm) << 1)
#define SYSREG_MASK SYSREG(3, 7, 15, 15, 7)
#define ICC_SGI1R   SYSREG(3, 0, 12, 11, 5)
#define ICC_ASGI1R  SYSREG(3, 0, 12, 11, 6)
#define ICC_SGI0R   SYSREG(3, 0, 12, 11, 7)
#define CNTP_TVAL   SYSREG(3, 3, 14, 2, 0)
#define CNTP_CTL    SYSREG(3, 3, 14, 2, 1)
#define CNTP_CVAL   SYSREG(3, 3, 14, 2, 2)

static inline uint64_t field(uint64_t v, unsigned shift, uint64_t val)
{
    return (v & ~(0xfull << shift)) | val << shift;
}

#define ID_CASE(crm, op2)                                                                          \
    case (crm) << 3 | (op2):                                                                       \
        return read_sysreg(S3_0_C0_C##crm##_##op2)

static uint64_t id_raw(unsigned crm, unsigned op2)
{
    switch (crm << 3 | op2) {
        ID_CASE(1, 0);
        ID_CASE(1, 1);
        ID_CASE(1, 2);
        ID_CASE(1, 3);
        ID_CASE(1, 4);
        ID_CASE(1, 5);
        ID_CASE(1, 6);
        ID_CASE(1, 7);
        ID_CASE(2, 0);
        ID_CASE(2, 1);
        ID_CASE(2, 2);
        ID_CASE(2, 3);
        ID_CASE(2, 4);
        ID_CASE(2, 5);
        ID_CASE(2, 6);
        ID_CASE(2, 7);
        ID_CASE(3, 0);
        ID_CASE(3, 1);
        ID_CASE(3, 2);
        ID_CASE(4, 0);
        ID_CASE(4, 1);
        ID_CASE(5, 0);
        ID_CASE(6, 0);
        ID_CASE(6, 1);
        ID_CASE(7, 0);
        ID_CASE(7, 1);
        ID_CASE(7, 2);
    default:
        return 0; /* unallocated ID space, and features we never offer (SVE, SME, ...) */
    }
}
#undef ID_CASE

/*
 * The ID registers as the guest's platform really is (TID3 traps them): AArch64 only at
 * EL0/EL1, no EL2 or EL3, the GICv3 system-register interface (ours, virtual), and none
 * of what the hypervisor does not switch or emulate: SVE, SME, RAS, MPAM, AMU, MTE,
 * pointer authentication, PMU, statistical profiling, trace.
 */
static uint64_t id_reg(unsigned crm, unsigned op2)
{
    uint64_t v = id_raw(crm, op2);

    switch (crm << 3 | op2) {
    case 1 << 3 | 2: /* ID_DFR0_EL1: PerfMon */
        return field(v, 24, 0);
    case 4 << 3 | 0:                                                /* ID_AA64PFR0_EL1 */
        v = field(field(field(field(v, 0, 1), 4, 1), 8, 0), 12, 0); /* EL0, EL1 AArch64; no EL2/3 */
        v = field(field(v, 24, 1), 28, 0);                          /* GIC 3.0 sysregs; no RAS */
        v = field(field(field(field(v, 32, 0), 36, 0), 40, 0), 44, 0); /* SVE, SEL2, MPAM, AMU */
        return v;
    case 4 << 3 | 1: /* ID_AA64PFR1_EL1: no MTE, RAS_frac, MPAM_frac, SME */
        return field(field(field(field(v, 8, 0), 12, 0), 16, 0), 24, 0);
    case 5 << 3 | 0: /* ID_AA64DFR0_EL1: no trace, PMU, SPE, trace filter, MTPMU */
        return field(field(field(field(field(v, 4, 0), 8, 0), 32, 0), 40, 0), 48, 0);
    case 6 << 3 | 1: /* ID_AA64ISAR1_EL1: no pointer authentication (APA, API, GPA, GPI) */
        return field(field(field(field(v, 4, 0), 8, 0), 24, 0), 28, 0);
    case 7 << 3 | 1: /* ID_AA64MMFR1_EL1: no VHE */
        return field(v, 8, 0);
    default:
        return v;
    }
}

/* A trapped MSR/MRS. Returns false for one the hypervisor does not serve. */
static bool sysreg(struct trap_frame *f, struct vcpu *v, uint32_t iss)
{
    unsigned op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7;
    unsigned crn = (iss >> 10) & 0xf, rt = (iss >> 5) & 0x1f, crm = (iss >> 1) & 0xf;
    bool read = iss & 1;
    unsigned reg = iss & SYSREG_MASK;
    uint64_t val = rt == 31 ? 0 : f->x[rt];

    if (op0 == 3 && op1 == 0 && crn == 0 && crm >= 1 && crm <= 7) {
        if (!read) {
            return false; /* ID registers are read-only */
        }
        val = id_reg(crm, op2);
    } else if (reg == ICC_SGI1R || reg == ICC_ASGI1R) {
        if (read) {
            return false; /* write-only */
        }
        vgic_send_sgi(v, val);
    } else if (reg == ICC_SGI0R) {
        if (read) {
            return false;
        }
        /* Group 0 SGIs: none exist for a guest (every interrupt is Group 1). */
    } else if (reg == CNTP_TVAL || reg == CNTP_CTL || reg == CNTP_CVAL) {
        vptimer_access(v, op2, read, &val);
    } else {
        return false;
    }
    if (read && rt != 31) {
        f->x[rt] = val;
    }
    f->elr += 4;
    return true;
}

static void data_abort(struct trap_frame *f, struct vcpu *v)
{
    uint64_t ipa = fault_ipa(f);

    if (emulate_mmio(f, v, ipa) ||
        abort_is_spurious(v->dom, ipa, (f->esr & ISS_WNR) ? PT_W : PT_R)) {
        return;
    }
    external_abort(f, v->dom, false, ipa);
}

/* The running vCPU, read straight from TPIDR_EL2 (arch_this_cpu is out of line). */
static inline struct vcpu *running_vcpu(void)
{
    return ((struct pcpu *)read_sysreg(tpidr_el2))->curr;
}

/* On every way back into the guest, after the scheduler had its say: complete a
 * forwarded MMIO access whose reply came, and flush interrupts injectors left. */
static inline void return_to_guest(void)
{
    struct pcpu *cpu = (struct pcpu *)read_sysreg(tpidr_el2);
    struct vcpu *v;

    if (cpu->need_resched) {
        sched_on_return();
    }
    v = cpu->curr; /* not NULL: sched_on_return returns only with a vCPU to run */
    if (__atomic_load_n(&v->mmio.done, __ATOMIC_ACQUIRE)) {
        mmio_finish_current();
    }
    vgic_flush_current(v);
}

/* Everything but a Xen hypercall: out of line, so the hypercall path stays short. */
static __attribute__((noinline)) void guest_sync_other(struct trap_frame *f, struct vcpu *v,
                                                       unsigned ec, unsigned iss)
{
    struct domain *d = v->dom;

    switch (ec) {
    case EC_HVC64:
        /* The preferred return address of an HVC is the next instruction. */
        if ((iss & 0xffff) == 0) {
            psci_guest_call(f);
        } else {
            f->elr -= 4; /* report the HVC itself */
            undefined(f, d, "HVC with an immediate that is neither Xen's nor SMCCC's");
        }
        break;
    case EC_WFX:
        /* ISS.TI (bit 0): WFE is a yield (spin-lock waiters), WFI waits for an interrupt. */
        f->elr += 4;
        if (iss & 1) {
            sched_yield_current();
        } else {
            sched_block_current();
        }
        break;
    case EC_DABT_LO:
        data_abort(f, v);
        break;
    case EC_IABT_LO:
        if (!abort_is_spurious(d, fault_ipa(f), PT_X)) {
            external_abort(f, d, true, fault_ipa(f));
        }
        break;
    case EC_SMC64:
        /* No EL3 for guests: SMC is UNDEFINED (firmware calls are HVC, PSCI method hvc). */
        undefined(f, d, "SMC");
        break;
    case EC_SYSREG:
        if (!sysreg(f, v, iss)) {
            undefined(f, d, "system register access the hypervisor does not serve");
        }
        break;
    default:
        undefined(f, d, "trapped instruction the hypervisor does not emulate");
        break;
    }
}

void guest_sync(struct trap_frame *f)
{
    struct vcpu *v = running_vcpu();
    unsigned ec = (unsigned)(f->esr >> 26) & 0x3f;
    unsigned iss = (unsigned)f->esr & 0x1ffffff;

    if (__builtin_expect(ec == EC_HVC64 && (iss & 0xffff) == XEN_HYPERCALL_TAG, 1)) {
        hypercall(f, v);
    } else {
        guest_sync_other(f, v, ec, iss);
    }
    return_to_guest();
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
    return_to_guest();
}

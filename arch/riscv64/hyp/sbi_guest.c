/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor as its guests' SBI implementation (RISC-V SBI spec v2.0): an ecall from
 * VS-mode that is not a Xen hypercall lands here (guest_traps.c). Served: BASE, TIME,
 * IPI, RFENCE, HSM, SRST, DBCN, and the legacy console putchar / getchar and shutdown;
 * every other extension answers SBI_ERR_NOT_SUPPORTED. Hart ids are vCPU ids within the
 * calling domain. Results follow SBI's convention: error in a0, value in a1; the legacy
 * calls return in a0 only. docs/abi-riscv.md has the table.
 */
#include <stdint.h>
#include <string.h>

#include <xen/sched.h>

#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

#include "riscv.h"
#include "sbi.h"

#define XEN_HYPERCALL_EID 0x0a000ea1 /* docs/abi-riscv.md */

#define SBI_SPEC_VERSION_2_0 (2 << 24) /* major [30:24], minor [23:0] (SBI 4.1) */
/* Not a registered id: "BH", far above the sequentially assigned ones (0 BBL ... 7 Xen,
 * 8 PolarFire HSS, 9 coreboot, 10 oreboot, ...), so it claims nobody else's
 * (docs/abi-riscv.md). It gives the firmware-specific EID 0x0A000EA1 its meaning. */
#define SBI_IMPL_ID_BULKHEAD 0x4248
#define SBI_IMPL_VERSION     2

#define SBI_BASE_GET_MVENDORID 4
#define SBI_BASE_GET_MARCHID   5
#define SBI_BASE_GET_MIMPID    6

/* HSM (SBI 9) function ids, hart states and suspend types. */
#define SBI_HSM_HART_STOP                1
#define SBI_HSM_HART_GET_STATUS          2
#define SBI_HSM_HART_SUSPEND             3
#define SBI_HSM_STARTED                  0
#define SBI_HSM_STOPPED                  1
#define SBI_HSM_STOP_PENDING             3
#define SBI_HSM_SUSPENDED                4
#define SBI_HSM_SUSPEND_RET_DEFAULT      0x00000000u
#define SBI_HSM_SUSPEND_NON_RET_DEFAULT  0x80000000u
#define SBI_HSM_SUSPEND_RET_PLATFORM     0x10000000u /* .. 0x7fffffff */
#define SBI_HSM_SUSPEND_NON_RET_PLATFORM 0x90000000u /* .. 0xffffffff */

/* SRST (SBI 10.1) reset types. */
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2

/* DBCN (SBI 12) function ids; a write is served up to this many bytes per call (the
 * spec allows partial writes: the guest loops on the count). */
#define SBI_DBCN_WRITE      0
#define SBI_DBCN_READ       1
#define SBI_DBCN_WRITE_BYTE 2
#define DBCN_WRITE_MAX      4096

struct sbi_result {
    long error;
    long value;
};

static bool eid_served(uint64_t eid)
{
    switch (eid) {
    case SBI_EXT_LEGACY_PUTCHAR:
    case SBI_EXT_LEGACY_GETCHAR:
    case SBI_EXT_LEGACY_SHUTDOWN:
    case SBI_EXT_BASE:
    case SBI_EXT_TIME:
    case SBI_EXT_IPI:
    case SBI_EXT_RFENCE:
    case SBI_EXT_HSM:
    case SBI_EXT_SRST:
    case SBI_EXT_DBCN:
    case XEN_HYPERCALL_EID:
        return true;
    default:
        return false;
    }
}

static struct sbi_result base_call(uint64_t fid, uint64_t a0)
{
    switch (fid) {
    case SBI_BASE_GET_SPEC_VERSION:
        return (struct sbi_result){SBI_SUCCESS, SBI_SPEC_VERSION_2_0};
    case SBI_BASE_GET_IMPL_ID:
        return (struct sbi_result){SBI_SUCCESS, SBI_IMPL_ID_BULKHEAD};
    case SBI_BASE_GET_IMPL_VERSION:
        return (struct sbi_result){SBI_SUCCESS, SBI_IMPL_VERSION};
    case SBI_BASE_PROBE_EXTENSION:
        return (struct sbi_result){SBI_SUCCESS, eid_served(a0)};
    case SBI_BASE_GET_MVENDORID:
    case SBI_BASE_GET_MARCHID:
    case SBI_BASE_GET_MIMPID:
        return (struct sbi_result){SBI_SUCCESS, 0};
    default:
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
}

/* hart_get_status (SBI 9.3): a vCPU that asked to stop but is not switched out yet is
 * STOP_PENDING, so a guest waits for STOPPED before starting it again; one waiting in
 * hart_suspend is SUSPENDED. */
static long hsm_status(struct vcpu *t)
{
    switch (sched_vcpu_power(t)) {
    case VCPU_POWER_OFF:
        return SBI_HSM_STOPPED;
    case VCPU_POWER_STOPPING:
        return SBI_HSM_STOP_PENDING;
    default:
        return READ_ONCE(t->arch.suspended) ? SBI_HSM_SUSPENDED : SBI_HSM_STARTED;
    }
}

/* An address a hart may start or resume at: 2-byte aligned executable guest RAM (the
 * hart runs with vsatp = 0, so it is guest-physical). */
static bool entry_valid(struct domain *d, uint64_t addr)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    unsigned attr = 0;
    paddr_t pa;
    int rc = p2m_lookup(l, ipa_init(addr), &pa, &attr);

    p2m_unlock(l);
    return !(addr & 1) && rc == 0 && (attr & PT_X) && !(attr & PT_DEVICE);
}

/*
 * hart_suspend (SBI 9.4) of the caller: it blocks as WFI does until an interrupt is
 * pending and enabled. Retentive: the call then returns SBI_SUCCESS. Non-retentive: the
 * hart resumes at @addr with a0 = hart id, a1 = @opaque, vsatp = 0 and interrupts off
 * (as after hart_start); its other registers are not preserved.
 */
static struct sbi_result hsm_suspend(struct vcpu *v, struct trap_frame *f, uint64_t type,
                                     uint64_t addr, uint64_t opaque)
{
    type &= 0xffffffffu; /* suspend_type is 32 bits */
    if (type == SBI_HSM_SUSPEND_NON_RET_DEFAULT) {
        uint64_t vsstatus = csr_read(CSR_VSSTATUS);

        if (!entry_valid(v->dom, addr)) {
            return (struct sbi_result){SBI_ERR_INVALID_ADDRESS, 0};
        }
        f->sepc = addr;
        csr_write(CSR_VSATP, 0);
        csr_write(CSR_VSSTATUS, vsstatus & ~SSTATUS_SIE);
        v->arch.suspended = true;
        sched_block_current();
        /* Resumes at @addr with a0 = hart id, a1 = opaque (sbi_guest_call writes them). */
        return (struct sbi_result){(long)v->id, (long)opaque};
    }
    if (type == SBI_HSM_SUSPEND_RET_DEFAULT) {
        v->arch.suspended = true;
        sched_block_current();
        return (struct sbi_result){SBI_SUCCESS, 0};
    }
    /* Platform-specific types exist in the spec's ranges but this platform has none. */
    if ((type >= SBI_HSM_SUSPEND_RET_PLATFORM && type < SBI_HSM_SUSPEND_NON_RET_DEFAULT) ||
        type >= SBI_HSM_SUSPEND_NON_RET_PLATFORM) {
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
    return (struct sbi_result){SBI_ERR_INVALID_PARAM, 0};
}

/* hart_start (SBI 9.1): the hart id is the vCPU id within the caller's domain. */
static long hsm_start(struct domain *d, uint64_t hartid, uint64_t addr, uint64_t opaque)
{
    struct vcpu *t = hartid < d->nr_vcpus ? d->vcpus[hartid] : NULL;

    if (!t) {
        return SBI_ERR_INVALID_PARAM;
    }
    if (!entry_valid(d, addr)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    /* Started, or still stopping on its CPU: either way not startable yet. */
    return sched_start_vcpu(t, addr, opaque) == 0 ? SBI_SUCCESS : SBI_ERR_ALREADY_AVAILABLE;
}

static struct sbi_result hsm_call(struct vcpu *v, uint64_t fid, struct trap_frame *f)
{
    const uint64_t *x = f->x;
    struct domain *d = v->dom;
    uint64_t hartid = x[REG_A0];

    switch (fid) {
    case SBI_HSM_HART_START:
        return (struct sbi_result){hsm_start(d, hartid, x[REG_A1], x[REG_A2]), 0};
    case SBI_HSM_HART_STOP:
        sched_vcpu_down_current();
        return (struct sbi_result){SBI_SUCCESS, 0};
    case SBI_HSM_HART_GET_STATUS:
        if (hartid >= d->nr_vcpus || !d->vcpus[hartid]) {
            return (struct sbi_result){SBI_ERR_INVALID_PARAM, 0};
        }
        return (struct sbi_result){SBI_SUCCESS, hsm_status(d->vcpus[hartid])};
    case SBI_HSM_HART_SUSPEND:
        return hsm_suspend(v, f, x[REG_A0], x[REG_A1], x[REG_A2]);
    default:
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
}

static struct sbi_result srst_call(struct vcpu *v, uint64_t fid, uint64_t type)
{
    if (fid != SBI_SRST_RESET) {
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
    switch (type) {
    case SBI_SRST_TYPE_SHUTDOWN:
        domain_shutdown(v->dom, SHUTDOWN_poweroff);
        break;
    case SBI_SRST_TYPE_COLD_REBOOT:
    case SBI_SRST_TYPE_WARM_REBOOT:
        domain_shutdown(v->dom, SHUTDOWN_reboot);
        break;
    default:
        return (struct sbi_result){SBI_ERR_INVALID_PARAM, 0};
    }
    /* The caller does not run again: its domain is dying. */
    return (struct sbi_result){SBI_SUCCESS, 0};
}

/* The vCPUs of @d a (hart_mask, hart_mask_base) pair names (SBI 3.3): bit i of the mask
 * is hart base + i; base = -1 means every hart. INVALID_PARAM if one does not exist. */
static long hart_set(const struct domain *d, uint64_t mask, uint64_t base, uint32_t *set)
{
    *set = 0;
    if (base == ~0ull) {
        *set = (1u << d->nr_vcpus) - 1;
        return SBI_SUCCESS;
    }
    for (unsigned i = 0; i < 64; i++) {
        if (!((mask >> i) & 1)) {
            continue;
        }
        if (base >= d->nr_vcpus || i >= d->nr_vcpus - base) {
            return SBI_ERR_INVALID_PARAM;
        }
        *set |= 1u << (base + i);
    }
    return SBI_SUCCESS;
}

/* TIME set_timer (SBI 6.1): the deadline replaces the previous one and clears a pending
 * timer interrupt if it lies in the future. */
static struct sbi_result time_call(struct vcpu *v, uint64_t fid, uint64_t deadline)
{
    if (fid != SBI_TIME_SET_TIMER) {
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
    virq_timer_set(v, deadline);
    return (struct sbi_result){SBI_SUCCESS, 0};
}

/* IPI send_ipi (SBI 7.1): a VS software interrupt on each named vCPU. */
static struct sbi_result ipi_call(struct vcpu *v, uint64_t fid, uint64_t mask, uint64_t base)
{
    struct domain *d = v->dom;
    uint32_t set;
    long rc;

    if (fid != SBI_IPI_SEND_IPI) {
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
    rc = hart_set(d, mask, base, &set);
    for (unsigned i = 0; rc == SBI_SUCCESS && i < d->nr_vcpus; i++) {
        if ((set >> i) & 1) {
            virq_send_ipi(d->vcpus[i]);
        }
    }
    return (struct sbi_result){rc, 0};
}

/*
 * RFENCE (SBI 8) for a guest's own harts. Its vCPUs may have run on any host hart, and
 * their VS-stage TLB entries are tagged by the domain's VMID, not by vCPU, so every
 * fence goes to every online host hart: this one directly, the others through the
 * firmware (remote_fence_i; remote_hfence_vvma[_asid], which OpenSBI runs under the
 * calling hart's hgatp VMID, i.e. the guest's). Over-fencing is allowed by the spec.
 */
static void fence_all_harts(uint64_t fid, uint64_t start, uint64_t size, uint64_t asid)
{
    struct pcpu *self = this_cpu();
    uint64_t host_fid = fid == SBI_RFENCE_FENCE_I      ? SBI_RFENCE_FENCE_I
                        : fid == SBI_RFENCE_SFENCE_VMA ? SBI_RFENCE_HFENCE_VVMA
                                                       : SBI_RFENCE_HFENCE_VVMA_ASID;

    if (fid == SBI_RFENCE_FENCE_I) {
        __asm__ volatile("fence.i" ::: "memory");
    } else {
        stage2_hfence_vvma_all();
    }
    for (unsigned i = 0; i < nr_pcpus; i++) {
        struct pcpu *cpu = &pcpus[i];

        if (cpu != self && __atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE)) {
            sbi_ecall5(SBI_EXT_RFENCE, (uint32_t)host_fid, 1, cpu->hwid, start, size, asid);
        }
    }
}

static struct sbi_result rfence_call(struct vcpu *v, uint64_t fid, const uint64_t *x)
{
    uint32_t set;
    long rc;

    /* Fences of a guest's own guests (fids 3-6: hfence.gvma / hfence.vvma) need the H
     * extension in the guest, which it does not have (its riscv,isa has no "h"):
     * NOT_SUPPORTED, as SBI 8.4-8.7 specify for harts without H. */
    if (fid > SBI_RFENCE_SFENCE_VMA_ASID) {
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
    rc = hart_set(v->dom, x[REG_A0], x[REG_A1], &set);
    if (rc == SBI_SUCCESS && set) {
        fence_all_harts(fid, x[REG_A2], x[REG_A3], x[REG_A4]);
    }
    return (struct sbi_result){rc, 0};
}

/* DBCN console_write (SBI 12.1): @n bytes at guest-physical @gpa to the domain's
 * console, read through its stage 2 (RAM only). Returns the bytes written (possibly
 * fewer than asked), or INVALID_PARAM if the first byte is not readable RAM. */
static struct sbi_result dbcn_write(struct domain *d, uint64_t n, uint64_t gpa)
{
    uint64_t done = 0;
    char buf[128];

    while (done < n && done < DBCN_WRITE_MAX) {
        uint64_t a = gpa + done;
        uint64_t chunk = n - done;
        struct p2m_locked l;
        unsigned attr = 0;
        paddr_t pa;
        int rc;

        chunk = chunk < sizeof(buf) ? chunk : sizeof(buf);
        chunk =
            chunk < PAGE_SIZE - (a & (PAGE_SIZE - 1)) ? chunk : PAGE_SIZE - (a & (PAGE_SIZE - 1));
        if (a < gpa) {
            break; /* wrapped around */
        }
        l = p2m_lock(&d->p2m);
        rc = p2m_lookup(l, ipa_init(a), &pa, &attr);
        if (rc == 0 && (attr & PT_R) && !(attr & PT_DEVICE)) {
            memcpy(buf, pa_va(pa), chunk);
        }
        p2m_unlock(l);
        if (rc != 0 || !(attr & PT_R) || (attr & PT_DEVICE)) {
            break;
        }
        guest_console_write(&d->console, buf, chunk);
        done += chunk;
    }
    if (!done && n) {
        return (struct sbi_result){SBI_ERR_INVALID_PARAM, 0};
    }
    return (struct sbi_result){SBI_SUCCESS, (long)done};
}

static struct sbi_result dbcn_call(struct vcpu *v, uint64_t fid, const uint64_t *x)
{
    char c;

    switch (fid) {
    case SBI_DBCN_WRITE:
        return dbcn_write(v->dom, x[REG_A0], x[REG_A1] | x[REG_A2] << 32);
    case SBI_DBCN_READ:
        /* No console input for guests yet: nothing to read (SBI 12.2: 0 bytes). */
        return (struct sbi_result){SBI_SUCCESS, 0};
    case SBI_DBCN_WRITE_BYTE:
        c = (char)x[REG_A0];
        guest_console_write(&v->dom->console, &c, 1);
        return (struct sbi_result){SBI_SUCCESS, 0};
    default:
        return (struct sbi_result){SBI_ERR_NOT_SUPPORTED, 0};
    }
}

/* Unknown extensions: one line per domain, so a probing guest cannot flood the log. */
static void log_unsupported(struct domain *d, uint64_t eid, uint64_t fid)
{
    if (!d->arch.sbi_warned) {
        d->arch.sbi_warned = true;
        printk("bulkhead: d%u: SBI extension 0x%llx function %llu not supported (further "
               "ones not logged)\n",
               d->id, (unsigned long long)eid, (unsigned long long)fid);
    }
}

void sbi_guest_call(struct trap_frame *f)
{
    struct vcpu *v = current_vcpu();
    uint64_t *x = f->x;
    uint64_t eid = x[REG_A7], fid = x[REG_A6];
    struct sbi_result r = {SBI_ERR_NOT_SUPPORTED, 0};
    char c;

    switch (eid) {
    case SBI_EXT_LEGACY_PUTCHAR:
        c = (char)x[REG_A0];
        guest_console_write(&v->dom->console, &c, 1);
        x[REG_A0] = 0;
        return;
    case SBI_EXT_LEGACY_GETCHAR:
        x[REG_A0] = (uint64_t)-1; /* nothing to read */
        return;
    case SBI_EXT_LEGACY_SHUTDOWN:
        domain_shutdown(v->dom, SHUTDOWN_poweroff);
        return;
    case SBI_EXT_BASE:
        r = base_call(fid, x[REG_A0]);
        break;
    case SBI_EXT_TIME:
        r = time_call(v, fid, x[REG_A0]);
        break;
    case SBI_EXT_IPI:
        r = ipi_call(v, fid, x[REG_A0], x[REG_A1]);
        break;
    case SBI_EXT_RFENCE:
        r = rfence_call(v, fid, x);
        break;
    case SBI_EXT_HSM:
        r = hsm_call(v, fid, f);
        break;
    case SBI_EXT_DBCN:
        r = dbcn_call(v, fid, x);
        break;
    case SBI_EXT_SRST:
        r = srst_call(v, fid, x[REG_A0]);
        break;
    default:
        log_unsupported(v->dom, eid, fid);
        break;
    }
    x[REG_A0] = (uint64_t)r.error;
    x[REG_A1] = (uint64_t)r.value;
}

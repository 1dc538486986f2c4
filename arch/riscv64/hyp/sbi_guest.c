/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor as its guests' SBI implementation (RISC-V SBI spec v1.0): an ecall from
 * VS-mode that is not a Xen hypercall lands here (guest_traps.c). Served: BASE, the
 * legacy console putchar and shutdown, HSM (on the calling domain's own vCPUs) and SRST
 * (on the calling domain). Everything else, TIME included until guests have virtual
 * timer interrupts, answers SBI_ERR_NOT_SUPPORTED. Results follow SBI's convention:
 * error in a0, value in a1; the legacy calls return in a0 only.
 */
#include <stdint.h>

#include <xen/sched.h>

#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/p2m.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

#include "sbi.h"

#define XEN_HYPERCALL_EID 0x0a000ea1 /* docs/abi-riscv.md */

#define SBI_SPEC_VERSION_1_0 (1 << 24) /* major [30:24], minor [23:0] (SBI 4.1) */
#define SBI_IMPL_ID_XEN      7         /* we speak Xen's ABI (docs/abi-riscv.md) */
#define SBI_IMPL_VERSION     1

#define SBI_BASE_GET_MVENDORID 4
#define SBI_BASE_GET_MARCHID   5
#define SBI_BASE_GET_MIMPID    6

/* HSM (SBI 9) function ids and hart states. */
#define SBI_HSM_HART_STOP       1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_STARTED         0
#define SBI_HSM_STOPPED         1
#define SBI_HSM_STOP_PENDING    3

/* SRST (SBI 10.1) reset types. */
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2

struct sbi_result {
    long error;
    long value;
};

static bool eid_served(uint64_t eid)
{
    switch (eid) {
    case SBI_EXT_LEGACY_PUTCHAR:
    case SBI_EXT_LEGACY_SHUTDOWN:
    case SBI_EXT_BASE:
    case SBI_EXT_HSM:
    case SBI_EXT_SRST:
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
        return (struct sbi_result){SBI_SUCCESS, SBI_SPEC_VERSION_1_0};
    case SBI_BASE_GET_IMPL_ID:
        return (struct sbi_result){SBI_SUCCESS, SBI_IMPL_ID_XEN};
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
 * STOP_PENDING, so a guest waits for STOPPED before starting it again. */
static long hsm_status(struct vcpu *t)
{
    switch (sched_vcpu_power(t)) {
    case VCPU_POWER_OFF:
        return SBI_HSM_STOPPED;
    case VCPU_POWER_STOPPING:
        return SBI_HSM_STOP_PENDING;
    default:
        return SBI_HSM_STARTED;
    }
}

/* hart_start (SBI 9.1): the hart id is the vCPU id within the caller's domain. */
static long hsm_start(struct domain *d, uint64_t hartid, uint64_t addr, uint64_t opaque)
{
    struct vcpu *t = hartid < d->nr_vcpus ? d->vcpus[hartid] : NULL;
    struct p2m_locked l;
    unsigned attr = 0;
    paddr_t pa;
    int rc;

    if (!t) {
        return SBI_ERR_INVALID_PARAM;
    }
    /* The start address must be executable guest memory (the guest starts with
     * vsatp = 0, so it is guest-physical), 2-byte aligned with C. */
    l = p2m_lock(&d->p2m);
    rc = p2m_lookup(l, ipa_init(addr), &pa, &attr);
    p2m_unlock(l);
    if ((addr & 1) || rc != 0 || !(attr & PT_X)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    /* Started, or still stopping on its CPU: either way not startable yet. */
    return sched_start_vcpu(t, addr, opaque) == 0 ? SBI_SUCCESS : SBI_ERR_ALREADY_AVAILABLE;
}

static struct sbi_result hsm_call(struct vcpu *v, uint64_t fid, const uint64_t *x)
{
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
    case SBI_EXT_LEGACY_SHUTDOWN:
        domain_shutdown(v->dom, SHUTDOWN_poweroff);
        return;
    case SBI_EXT_BASE:
        r = base_call(fid, x[REG_A0]);
        break;
    case SBI_EXT_HSM:
        r = hsm_call(v, fid, x);
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

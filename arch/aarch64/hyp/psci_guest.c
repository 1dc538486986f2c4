/* SPDX-License-Identifier: MIT */
/*
 * PSCI 1.1 and SMCCC 1.1 for guests, over HVC #0 (Arm DEN0022D, DEN0028): the
 * hypervisor is their firmware. Power-state calls act on the calling domain's own vCPUs
 * only; every function id not listed answers NOT_SUPPORTED.
 */
#include <stdint.h>

#include <xen/sched.h>

#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/sched.h>

#define SMCCC_VERSION              0x80000000u
#define SMCCC_ARCH_FEATURES        0x80000001u
#define PSCI_0_2_VERSION           0x84000000u
#define PSCI_0_2_CPU_SUSPEND       0x84000001u
#define PSCI_0_2_CPU_OFF           0x84000002u
#define PSCI_0_2_CPU_ON            0x84000003u
#define PSCI_0_2_AFFINITY_INFO     0x84000004u
#define PSCI_0_2_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_0_2_SYSTEM_OFF        0x84000008u
#define PSCI_0_2_SYSTEM_RESET      0x84000009u
#define PSCI_1_0_FEATURES          0x8400000au
#define PSCI_SMC64                 0x40000000u /* the 64-bit variant of an id */

#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON         (-4)
#define PSCI_TOS_NOT_PRESENT    2 /* MIGRATE_INFO_TYPE: no trusted OS to migrate */
#define PSCI_AFFINITY_ON        0
#define PSCI_AFFINITY_OFF       1

static struct vcpu *target_vcpu(struct domain *d, uint64_t mpidr)
{
    /* vCPU n has MPIDR Aff0 = n and higher affinity levels 0 (vcpu.c). */
    if (mpidr & ~0xffull) {
        return NULL;
    }
    return mpidr < d->nr_vcpus ? d->vcpus[mpidr] : NULL;
}

static int64_t cpu_on(struct domain *d, uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
    struct vcpu *t = target_vcpu(d, mpidr);

    if (!t || entry & 3) {
        return PSCI_INVALID_PARAMETERS;
    }
    /* Up, or still stopping on its CPU: either way not startable yet. */
    return sched_start_vcpu(t, entry, ctx) == 0 ? PSCI_SUCCESS : PSCI_ALREADY_ON;
}

static bool implemented(uint32_t fn)
{
    if (fn == SMCCC_VERSION) {
        return true; /* how Linux finds SMCCC 1.1 (DEN0028, 7.2) */
    }
    switch (fn & ~PSCI_SMC64) {
    case PSCI_0_2_VERSION:
    case PSCI_0_2_CPU_SUSPEND:
    case PSCI_0_2_CPU_OFF:
    case PSCI_0_2_CPU_ON:
    case PSCI_0_2_AFFINITY_INFO:
    case PSCI_0_2_MIGRATE_INFO_TYPE:
    case PSCI_0_2_SYSTEM_OFF:
    case PSCI_0_2_SYSTEM_RESET:
    case PSCI_1_0_FEATURES:
        return true;
    default:
        return false;
    }
}

static int64_t psci(struct vcpu *v, uint32_t fn, const uint64_t *x)
{
    struct domain *d = v->dom;
    struct vcpu *t;

    switch (fn) {
    case SMCCC_VERSION:
        return 0x10001; /* 1.1 */
    case SMCCC_ARCH_FEATURES:
        /* No SMCCC_ARCH_WORKAROUND_* to offer, nor anything else. */
        return x[1] == SMCCC_VERSION ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
    default:
        break;
    }
    if ((fn & 0xbfffff00u) != 0x84000000u) {
        return PSCI_NOT_SUPPORTED; /* not a PSCI id (and not in SMC32/SMC64 form) */
    }
    switch (fn & ~PSCI_SMC64) {
    case PSCI_0_2_VERSION:
        return 0x10001; /* 1.1 */
    case PSCI_0_2_CPU_SUSPEND:
        /* Every power state is treated as standby (as Xen does): wait like WFI for an
         * interrupt and return SUCCESS with the context intact, which a powerdown
         * request also allows the caller to see (DEN0022D 5.4.2). */
        sched_block_current();
        return PSCI_SUCCESS;
    case PSCI_0_2_CPU_ON:
        return cpu_on(d, x[1], x[2], x[3]);
    case PSCI_0_2_CPU_OFF:
        sched_vcpu_down_current();
        return PSCI_SUCCESS;
    case PSCI_0_2_AFFINITY_INFO:
        t = target_vcpu(d, x[1]);
        /* A vCPU still stopping is reported ON: it cannot be turned on yet. */
        return !t ? PSCI_INVALID_PARAMETERS
                  : (sched_vcpu_power(t) == VCPU_POWER_OFF ? PSCI_AFFINITY_OFF : PSCI_AFFINITY_ON);
    case PSCI_0_2_MIGRATE_INFO_TYPE:
        return PSCI_TOS_NOT_PRESENT;
    case PSCI_0_2_SYSTEM_OFF:
        domain_shutdown(d, SHUTDOWN_poweroff);
        return PSCI_SUCCESS;
    case PSCI_0_2_SYSTEM_RESET:
        domain_shutdown(d, SHUTDOWN_reboot);
        return PSCI_SUCCESS;
    case PSCI_1_0_FEATURES:
        /* For CPU_SUSPEND, the flags (5.1.14): original power_state format, no
         * OS-initiated mode: 0, as SUCCESS. */
        return implemented((uint32_t)x[1]) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
    default:
        return PSCI_NOT_SUPPORTED;
    }
}

void psci_guest_call(struct trap_frame *f)
{
    f->x[0] = (uint64_t)psci(current_vcpu(), (uint32_t)f->x[0], f->x);
}

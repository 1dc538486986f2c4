/* SPDX-License-Identifier: MIT */
/*
 * PSCI 1.0 for guests, over HVC #0 (Arm DEN0022D): the hypervisor is their firmware.
 * Power-state calls act on the calling domain's own vCPUs only.
 */
#include <stdint.h>

#include <xen/sched.h>

#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/sched.h>

#define PSCI_0_2_VERSION           0x84000000u
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
    switch (fn & ~PSCI_SMC64) {
    case PSCI_0_2_VERSION:
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

    switch (fn & ~PSCI_SMC64) {
    case PSCI_0_2_VERSION:
        return 0x10000; /* 1.0 */
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
        return implemented((uint32_t)x[1]) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
    default:
        return PSCI_NOT_SUPPORTED;
    }
}

void psci_guest_call(struct trap_frame *f)
{
    f->x[0] = (uint64_t)psci(current_vcpu(), (uint32_t)f->x[0], f->x);
}

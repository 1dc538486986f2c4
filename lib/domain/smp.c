/* SPDX-License-Identifier: MIT */
/* Secondary vCPUs on their own stacks, and the lock they share the console under. */
#include <stdint.h>

#include "dom/dom.h"

#include <xen/errno.h>

/* vCPU 0 runs on head.S's stack; slot 0 here is unused, which keeps the indexing plain. */
static uint8_t vcpu_stacks[DOM_MAX_VCPUS][DOM_VCPU_STACK_SIZE] __attribute__((aligned(16)));
static struct dom_vcpu_boot vcpu_boot[DOM_MAX_VCPUS];

_Static_assert(sizeof(struct dom_vcpu_boot) == 24, "head.S reads sp, fn, id at 0, 8, 16");

static int fw_errno(long fw)
{
    if (fw == 0) {
        return 0;
    }
    if (fw == dom_arch_fw.already_on) {
        return -XEN_EEXIST;
    }
    if (fw == dom_arch_fw.invalid_param) {
        return -XEN_EINVAL;
    }
    if (dom_arch_fw.invalid_address && fw == dom_arch_fw.invalid_address) {
        return -XEN_EFAULT;
    }
    return -XEN_EIO;
}

int dom_vcpu_start(unsigned id, void (*fn)(unsigned id))
{
    struct dom_vcpu_boot *b;

    if (id >= DOM_MAX_VCPUS) {
        return -XEN_EINVAL; /* no stack for it */
    }
    if (id == dom_vcpu_self()) {
        return -XEN_EEXIST; /* would overwrite our own boot record and stack */
    }
    /* The record is read only by the starting vCPU's entry code; a running vCPU's is not
     * touched, since the firmware refuses to start it again, but we must not rewrite it
     * under a vCPU that is still reading it: ask first. */
    if (dom_vcpu_status(id) == 1) {
        return -XEN_EEXIST;
    }
    b = &vcpu_boot[id];
    b->sp = (uint64_t)(uintptr_t)(vcpu_stacks[id] + DOM_VCPU_STACK_SIZE);
    b->fn = (uint64_t)(uintptr_t)fn;
    b->id = id;
    /* The record must be in memory before the new vCPU can run (the hypervisor's trap
     * orders it in practice; this says so). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return fw_errno(dom_arch_vcpu_on(id, (uint64_t)(uintptr_t)dom_arch_secondary_entry,
                                     (uint64_t)(uintptr_t)b));
}

void dom_vcpu_stop(void)
{
    /* Our stores (the results we were started for) before we go. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    dom_arch_vcpu_off();
    for (;;) {
        dom_arch_idle();
    }
}

int dom_vcpu_status(unsigned id)
{
    long st = dom_arch_vcpu_status(id);

    if (st == dom_arch_fw.off) {
        return 0;
    }
    if (st == dom_arch_fw.on) {
        return 1;
    }
    /* Transitional states (SBI START_PENDING / STOP_PENDING, PSCI ON_PENDING) count as
     * running: the vCPU cannot be started yet. */
    return st >= 0 ? 1 : fw_errno(st);
}

unsigned dom_vcpu_self(void)
{
    return dom_arch_vcpu_self();
}

void dom_lock(struct dom_lock *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            dom_arch_relax();
        }
    }
}

void dom_unlock(struct dom_lock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    dom_arch_wake();
}

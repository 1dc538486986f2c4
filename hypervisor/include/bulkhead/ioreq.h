/* SPDX-License-Identifier: MIT */
/*
 * ioreq: a guest's MMIO sent to its stub domain's device model, Xen's ABI
 * (xen/hvm/dm_op.h, xen/hvm/ioreq.h; docs/ioreq.md).
 *
 * A target domain has at most one ioreq server, created by its stub with
 * XEN_DMOP_create_ioreq_server. The server claims up to IOREQ_MAX_RANGES inclusive
 * guest-physical ranges; its page (a shared_iopage_t, one ioreq_t per target vCPU) is
 * charged to the target and mapped into the stub with XENMEM_acquire_resource. Each
 * target vCPU has an event channel of the target that only the stub may bind and that
 * the hypervisor consumes (evtchn_alloc_xen).
 *
 * An access to a claimed range: the arch decodes it into v->mmio and calls
 * ioreq_forward(); the slot is filled, the vCPU blocks in VCPU_IOREQ (only the reply or
 * the domain's death ends it) and the stub is notified. The stub's send on its port
 * reaches ioreq_reply() (the evtchn hook), which takes the data and makes the vCPU
 * runnable; the vCPU's own CPU applies the result to its registers on the way back into
 * the guest (ioreq_take_reply), so nothing writes a vCPU's registers while another CPU
 * may still be saving them.
 *
 * Locks: a target's ioreq lock (server.lock) is taken with no evtchn lock held (the
 * reply hook runs after evtchn drops them; ports are allocated and closed outside it),
 * and comes before a CPU's sched lock (blocking, waking) and the stub's p2m lock
 * (mapping the ioreq page).
 */
#ifndef BULKHEAD_IOREQ_H
#define BULKHEAD_IOREQ_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "spinlock.h"
#include "types.h"

#define IOREQ_MAX_RANGES 8 /* claimed ranges per server */
#define IOREQ_MAX_VCPUS  8 /* = MAX_VCPUS: one ioreq_t and one port each */

/* Where a stub maps its target's RAM (XENMAPSPACE_gmfn_foreign) in its own
 * guest-physical space: [arch_guest_ram_base() + arch_guest_ram_max(), + this). Only
 * there, so that the whole window is torn down when either domain ends. */
#define IOREQ_FOREIGN_WINDOW (1ull << 30)

struct domain;
struct vcpu;

/* A vCPU's MMIO access: filled by the arch's decoder before ioreq_forward(). */
struct vcpu_mmio {
    uint8_t size;  /* bytes: 1, 2, 4, 8 */
    uint8_t reg;   /* the arch's register number (destination or source) */
    uint8_t len;   /* instruction length to step over */
    bool write;    /* store */
    bool sign;     /* loads: sign-extend the value */
    bool wide;     /* loads: 64-bit destination (aarch64 SF) */
    bool waiting;  /* a request is out: under the target's ioreq lock */
    bool done;     /* a reply is in @data: the vCPU's CPU completes it */
    uint64_t data; /* store data, then the reply of a load */
};

struct ioreq_range {
    uint64_t start, end; /* inclusive */
};

/* A target's ioreq server, embedded in its struct domain. */
struct ioreq_server {
    struct spinlock lock;
    bool created;
    bool enabled;
    struct domain *stub; /* the creator, a reference held while created */
    paddr_t page;        /* the shared_iopage, charged to the target */
    uint64_t gfn;        /* where the stub mapped it (acquire_resource); 0 = nowhere */
    unsigned nr_ranges;
    struct ioreq_range ranges[IOREQ_MAX_RANGES];
    uint32_t port[IOREQ_MAX_VCPUS]; /* the target's hypervisor-consumed event channels */
};

/* ---- the guest side (arch MMIO glue) ---- */

/* @v's access to guest-physical @addr, decoded in v->mmio. 0: sent to the server, @v
 * now blocks (the caller returns through the scheduler without stepping the PC);
 * -ENOENT: no enabled server claims @addr (the arch delivers its exception). */
int __must_check ioreq_forward(struct vcpu *v, uint64_t addr);

/* On @v's way back into the guest, on its own CPU: true (once) if a reply completed,
 * with the value a load returns (already sign- or zero-extended to the access size;
 * the arch applies width and register). */
static inline bool ioreq_take_reply(struct vcpu_mmio *m, uint64_t *val)
{
    if (!__atomic_load_n(&m->done, __ATOMIC_ACQUIRE)) {
        return false;
    }
    m->done = false;
    *val = m->data;
    return true;
}

/* ---- the stub side (dm_op, memory_op) ---- */

/* The guest address in a XEN_GUEST_HANDLE field: its first 8 bytes, whatever the
 * headers make of the handle (a union on Arm and RISC-V, a plain pointer in the host
 * unit build's x86 view). */
static inline uint64_t guest_handle_addr(const void *h)
{
    uint64_t a;

    __builtin_memcpy(&a, h, sizeof(a));
    return a;
}

/* Every one of these checks that @stub is @target's stub (else -EPERM). */
int __must_check ioreq_server_create(struct domain *target, struct domain *stub, unsigned bufioreq,
                                     uint16_t *id);
int __must_check ioreq_server_range(struct domain *target, struct domain *stub, uint16_t id,
                                    uint32_t type, uint64_t start, uint64_t end, bool map);
int __must_check ioreq_server_set_state(struct domain *target, struct domain *stub, uint16_t id,
                                        bool enabled);
int __must_check ioreq_server_destroy(struct domain *target, struct domain *stub, uint16_t id);

/* XENMEM_acquire_resource: map frame @frame of server @id at @stub's @gfn. */
int __must_check ioreq_acquire(struct domain *target, struct domain *stub, uint32_t id,
                               uint64_t frame, uint64_t gfn);

/* XENMAPSPACE_gmfn_foreign: map @target's RAM page @gfn at @stub's @gpfn (in the
 * foreign window). -EPERM for anything but the stub's own target's RAM. */
int __must_check ioreq_foreign_map(struct domain *stub, struct domain *target, uint64_t gfn,
                                   uint64_t gpfn);

/* XENMEM_remove_from_physmap of @stub's @gpfn: a foreign page or the ioreq page. */
int __must_check ioreq_remove(struct domain *stub, uint64_t gpfn);

/* The arch raises or lowers device interrupt line @irq of @d (aarch64 GIC SPI INTID
 * 32..; riscv64 PLIC source 1..). -EINVAL for a line the arch does not have. */
int __must_check ioreq_set_irq_level(struct domain *target, struct domain *stub, uint32_t irq,
                                     unsigned level);

#endif

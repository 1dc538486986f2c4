/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls, Xen ABI. The arch trap code fills a struct hypercall from the guest's
 * registers (number and five arguments) and calls hypercall_dispatch(). One static table
 * maps Xen's numbers to thin handlers that unpack the arguments with Xen's C types (an
 * `int` command is the low 32 bits of its register, whatever the high bits hold) and call
 * one typed do_<name> function each, which checks its own arguments and returns a Xen
 * errno (negative) on bad input. Nothing a guest passes can reach a panic.
 *
 * Continuations: a handler with more work than it should do at once (a long console
 * write, a batch) updates hc->a[] to describe what is left and calls
 * hypercall_continue(); the arch code then writes the arguments back and re-executes the
 * hypercall instruction, so the CPU passes through the scheduler between the pieces and
 * no hypercall holds it for unbounded time.
 */
#ifndef BULKHEAD_HYPERCALL_H
#define BULKHEAD_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

struct hypercall {
    uint64_t nr;   /* the hypercall number register */
    uint64_t a[5]; /* the argument registers; updated for a continuation */
    bool restart;  /* set by hypercall_continue(): re-execute with a[] */
};

int64_t hypercall_dispatch(struct vcpu *v, struct hypercall *hc);

/* Re-execute the current hypercall with hc->a[] once the scheduler has run. */
void hypercall_continue(struct hypercall *hc);

/* Should a long hypercall stop here and continue later? */
bool hypercall_preempt_check(void);

/* Console input: register the focus list, the delivery and the hypervisor's keys with
 * the console, and turn the UART's receive interrupt on (routed to the calling CPU). */
void console_io_init(void);

/* The table's thin handlers: unpack @hc with Xen's C types, call do_<name>. */
int64_t hc_xen_version(struct vcpu *v, struct hypercall *hc);
int64_t hc_console_io(struct vcpu *v, struct hypercall *hc);
int64_t hc_sched_op(struct vcpu *v, struct hypercall *hc);
int64_t hc_vcpu_op(struct vcpu *v, struct hypercall *hc);
int64_t hc_memory_op(struct vcpu *v, struct hypercall *hc);
int64_t hc_event_channel_op(struct vcpu *v, struct hypercall *hc);
int64_t hc_grant_table_op(struct vcpu *v, struct hypercall *hc);
int64_t hc_hvm_op(struct vcpu *v, struct hypercall *hc);
int64_t hc_dm_op(struct vcpu *v, struct hypercall *hc);
int64_t hc_domctl(struct vcpu *v, struct hypercall *hc);
int64_t hc_sysctl(struct vcpu *v, struct hypercall *hc);

int64_t do_xen_version(struct vcpu *v, int cmd, uint64_t arg);
int64_t do_console_io(struct vcpu *v, struct hypercall *hc, unsigned int cmd, unsigned int count,
                      uint64_t buf);
int64_t do_sched_op(struct vcpu *v, int cmd, uint64_t arg);
int64_t do_vcpu_op(struct vcpu *v, int cmd, unsigned int vcpuid, uint64_t arg);
int64_t do_memory_op(struct vcpu *v, struct hypercall *hc, unsigned long cmd, uint64_t arg);
int64_t do_hvm_op(struct vcpu *v, unsigned long op, uint64_t arg);
int64_t do_domctl(struct vcpu *v, uint64_t arg);
int64_t do_sysctl(struct vcpu *v, uint64_t arg);
int64_t do_dm_op(struct vcpu *v, uint16_t domid, unsigned int nr_bufs, uint64_t bufs);

#endif

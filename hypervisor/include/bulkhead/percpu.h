/* SPDX-License-Identifier: MIT */
/* Per-CPU data, reached through the arch's thread register. */
#ifndef BULKHEAD_PERCPU_H
#define BULKHEAD_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "config.h"
#include "spinlock.h"
#include "timer.h"

#define MAX_VCPUS_PER_CPU 32

struct vcpu;

struct pcpu {
    uintptr_t stack_top;       /* initial stack pointer; first, for the arch entry code */
    unsigned id;               /* logical id: 0 is the boot CPU, then DT order */
    uint64_t hwid;             /* MPIDR affinity / hart id from the device tree */
    bool online;               /* set by the CPU itself once it finished bring-up */
    struct timer_queue timers; /* this CPU's timers (hypervisor/time) */
    /* Scheduler state (hypervisor/sched): the vCPUs placed here, under sched_lock. */
    struct spinlock sched_lock;
    struct vcpu *curr; /* running vCPU, NULL when idle */
    bool need_resched; /* decide again before returning to a guest */
    bool yield;        /* curr yields: the next decision picks another vCPU if it can */
    bool in_idle;      /* sleeping in sched_idle() */
    unsigned nr_vcpus;
    unsigned nr_runnable;     /* runnable vCPUs at its last decision (read unlocked) */
    unsigned rr;              /* round-robin cursor into vcpus[] (ties) */
    uint64_t run_start;       /* when curr was last charged for its run time */
    uint64_t vtime_floor;     /* virtual time of the last vCPU picked here */
    struct timer slice_timer; /* ends curr's slice while others wait */
    struct vcpu *vcpus[MAX_VCPUS_PER_CPU];
    struct arch_pcpu arch;
};

_Static_assert(__builtin_offsetof(struct pcpu, stack_top) == 0, "entry code loads it at 0");

extern struct pcpu pcpus[MAX_CPUS];
extern unsigned nr_pcpus;

static inline struct pcpu *this_cpu(void)
{
    return arch_this_cpu();
}

#endif

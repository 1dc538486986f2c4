/* SPDX-License-Identifier: MIT */
/*
 * Timers: one subsystem, per-CPU queues, callbacks. A client embeds a `struct timer`,
 * binds it to a CPU and a callback with timer_init(), and arms it with timer_set(); the
 * callback runs on that CPU, in the hypervisor's timer interrupt, with interrupts
 * masked, and may re-arm its own timer. The hardware timer of each CPU is always armed
 * for the earliest timer of its queue, so nothing polls.
 *
 * Clients today: the scheduler's time slice, each vCPU's singleshot / wake-up timer,
 * the boot self-test; the coming virtual timers and SBI TIME use the same.
 *
 * Lock order: a queue's lock is a leaf (no other lock is taken under it; callbacks run
 * with it dropped).
 */
#ifndef BULKHEAD_TIMER_H
#define BULKHEAD_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "spinlock.h"

struct timer;

typedef void (*timer_fn)(struct timer *t);

struct timer {
    uint64_t expires; /* counter ticks */
    timer_fn fn;      /* called on @cpu when the counter reaches @expires */
    unsigned cpu;     /* the CPU whose queue holds it */
    bool active;      /* queued (under the queue's lock) */
    struct timer *next;
};

/* A CPU's queue, embedded in struct pcpu: timers sorted by expiry. */
struct timer_queue {
    struct spinlock lock;
    struct timer *head;
    struct timer *running; /* the timer whose callback runs now, if any */
    uint64_t armed;        /* the deadline this CPU's hardware is set to, 0: stopped */
};

/* Bind @t to @cpu and @fn; it is not armed. */
void timer_init(struct timer *t, timer_fn fn, unsigned cpu);

/* Arm @t for counter value @expires (re-arming it if it was armed). A time already past
 * fires at the next interrupt. From another CPU, that CPU is kicked to re-arm. */
void timer_set(struct timer *t, uint64_t expires);

/* Disarm @t. If its callback is running on another CPU, wait until it has returned, so
 * the caller may free @t afterwards. */
void timer_stop(struct timer *t);

/* Re-bind @t to @cpu, keeping its callback; if it was armed it is armed again, for the
 * same expiry, on @cpu. Waits like timer_stop for a callback running elsewhere. The
 * caller makes sure nobody arms @t meanwhile (the scheduler: the vCPU does not run). */
void timer_migrate(struct timer *t, unsigned cpu);

/* Re-arm this CPU's hardware timer for its queue (after a kick from timer_set). */
void timer_reprogram(void);

/* Take @n timer interrupts @period_us apart on this CPU; 0 if all arrived on time.
 * Boot-time bring-up check; prints the result. */
int __must_check timer_selftest(unsigned n, unsigned period_us);

/* Sleep for about @us microseconds on this CPU's timer (WFI; boot time only). */
void timer_sleep_us(unsigned us);

#endif

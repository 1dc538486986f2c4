/* SPDX-License-Identifier: MIT */
/*
 * dom0-lite's timers: its services (xenstored's resend ticks, the shell's top) share the
 * one VIRQ_TIMER a vCPU can bind and its single-shot timer. Each sets a deadline; the
 * single-shot timer is kept at the earliest, and a timer whose deadline has come runs on
 * the loop's next VIRQ_TIMER event (on riscv64 the runtime's idle backstop may fire it
 * early: only due timers run).
 */
#ifndef DOM0_TIMERS_H
#define DOM0_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct d0_timer {
    uint64_t due; /* system time (ns); 0: not set */
    void (*fn)(void);
};

/* Bind VIRQ_TIMER; false if it cannot be (then no timer ever runs). */
bool d0_timers_init(void);

/* Run @t's fn at @due (system time, ns), or never if @due is 0. */
void d0_timer_set(struct d0_timer *t, uint64_t due);

/* An event: true if @port is VIRQ_TIMER's (the due timers have run). */
bool d0_timers_notified(uint32_t port);

#endif

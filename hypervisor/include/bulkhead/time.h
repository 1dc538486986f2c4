/* SPDX-License-Identifier: MIT */
/*
 * The one time base: the arch's free-running counter (arch_timer_now), in ticks of the
 * board's counter frequency (given once by time_init), and its conversions to and from the units
 * guests and options use. Every conversion in the hypervisor goes through these.
 */
#ifndef BULKHEAD_TIME_H
#define BULKHEAD_TIME_H

#include <stdint.h>

/* The counter's frequency in Hz (boot, from the device tree). */
void time_init(uint64_t counter_freq);

/* Counter ticks since reset. */
uint64_t time_now(void);

/* Nanoseconds (Xen's system time unit) and microseconds to ticks and back. No overflow
 * for any 64-bit input at counter frequencies up to 4.29 GHz. */
uint64_t time_ns_to_ticks(uint64_t ns);
uint64_t time_ticks_to_ns(uint64_t ticks);
uint64_t time_us_to_ticks(uint64_t us);
uint64_t time_ticks_to_us(uint64_t ticks);

#endif

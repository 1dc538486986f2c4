/* SPDX-License-Identifier: MIT */
/* The time base: see include/bulkhead/time.h. */
#include <bulkhead/arch.h>
#include <bulkhead/time.h>

#define NS_PER_S 1000000000ull
#define US_PER_S 1000000ull

static uint64_t freq = 1; /* ticks per second, from the board; 1 until time_init() */

void time_init(uint64_t counter_freq)
{
    freq = counter_freq ? counter_freq : 1;
}

uint64_t time_now(void)
{
    return arch_timer_now();
}

/* @v * @mul / @div without overflowing: whole units first, then the remainder (both
 * products fit in 64 bits while @mul and @div are below 2^32). */
static uint64_t scale(uint64_t v, uint64_t mul, uint64_t div)
{
    return v / div * mul + v % div * mul / div;
}

uint64_t time_ns_to_ticks(uint64_t ns)
{
    return scale(ns, freq, NS_PER_S);
}

uint64_t time_ticks_to_ns(uint64_t ticks)
{
    return scale(ticks, NS_PER_S, freq);
}

uint64_t time_us_to_ticks(uint64_t us)
{
    return scale(us, freq, US_PER_S);
}

uint64_t time_ticks_to_us(uint64_t ticks)
{
    return scale(ticks, US_PER_S, freq);
}

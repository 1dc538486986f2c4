/* SPDX-License-Identifier: MIT */
/* The hypervisor timer: tick accounting and the boot self-test. */
#include <bulkhead/boot.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

uint64_t timer_us_to_ticks(uint64_t us)
{
    return us * board.timer.freq / 1000000u;
}

uint64_t timer_ticks_to_us(uint64_t ticks)
{
    return ticks * 1000000u / board.timer.freq;
}

void timer_interrupt(void)
{
    struct pcpu *cpu = this_cpu();

    /* One-shot: whoever armed it re-arms it. */
    arch_timer_stop();
    __atomic_store_n(&cpu->ticks, cpu->ticks + 1, __ATOMIC_RELEASE);
    if (cpu->sched_started) {
        sched_timer_interrupt();
    }
}

void timer_sleep_us(unsigned us)
{
    struct pcpu *cpu = this_cpu();
    uint64_t before = cpu->ticks;

    /* Sleep in WFI rather than spin: under -icount an idle board costs no instructions,
     * and a spinning vCPU would starve the others. */
    arch_timer_set_deadline(arch_timer_now() + timer_us_to_ticks(us));
    arch_irq_enable();
    while (__atomic_load_n(&cpu->ticks, __ATOMIC_ACQUIRE) == before) {
        arch_wait_for_interrupt();
    }
    arch_irq_disable();
}

int timer_selftest(unsigned n, unsigned period_us)
{
    struct pcpu *cpu = this_cpu();
    uint64_t period = timer_us_to_ticks(period_us);
    uint64_t start = arch_timer_now(), deadline = start;
    uint64_t limit = start + timer_us_to_ticks(1000000);

    cpu->ticks = 0;
    arch_irq_enable();
    for (unsigned i = 0; i < n; i++) {
        deadline += period;
        arch_timer_set_deadline(deadline);
        while (__atomic_load_n(&cpu->ticks, __ATOMIC_ACQUIRE) == i) {
            if (arch_timer_now() > limit) {
                arch_irq_disable();
                arch_timer_stop();
                printk("cpu%u: timer self-test: tick %u of %u never came\n", cpu->id, i + 1, n);
                return -EIO;
            }
            arch_wait_for_interrupt();
        }
        if (arch_timer_now() < deadline) {
            arch_irq_disable();
            printk("cpu%u: timer self-test: tick %u came early\n", cpu->id, i + 1);
            return -EIO;
        }
    }
    arch_irq_disable();
    printk("cpu%u: timer ok: %u ticks of %u us in %llu us\n", cpu->id, n, period_us,
           (unsigned long long)timer_ticks_to_us(arch_timer_now() - start));
    return 0;
}

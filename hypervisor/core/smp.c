/* SPDX-License-Identifier: MIT */
/* CPU bring-up. */
#include <bulkhead/arch.h>
#include <bulkhead/boot.h>
#include <bulkhead/mm.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

/* Stacks live in BSS: there is no allocator yet when the boot CPU needs one. The arch
 * entry code starts the boot CPU on hyp_cpu_stacks[0]. */
uint8_t hyp_cpu_stacks[MAX_CPUS][CPU_STACK_SIZE] __aligned(16);

void cpu_bring_up(struct pcpu *cpu)
{
    int rc = arch_irqc_cpu_init(cpu);

    if (rc) {
        panic("cpu%u: interrupt controller set-up failed (%d)", cpu->id, rc);
    }
    rc = timer_selftest(5, 1000);
    if (rc) {
        panic("cpu%u: timer self-test failed", cpu->id);
    }
    sched_cpu_init(cpu);
    printk("cpu%u: online (hwid 0x%llx)\n", cpu->id, (unsigned long long)cpu->hwid);
    __atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
    arch_cpu_wake();
}

void cpu_secondary_main(struct pcpu *cpu)
{
    arch_trap_init();
    cpu_bring_up(cpu);
    sched_idle();
}

static unsigned count_online(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < nr_pcpus; i++) {
        n += __atomic_load_n(&pcpus[i].online, __ATOMIC_ACQUIRE) ? 1 : 0;
    }
    return n;
}

/* Wait for @n CPUs online, or one second. */
static unsigned wait_online(unsigned n)
{
    uint64_t limit = time_now() + time_us_to_ticks(1000000);
    unsigned online;

    while ((online = count_online()) < n && time_now() < limit) {
        timer_sleep_us(100);
    }
    return online;
}

unsigned smp_boot_secondaries(void)
{
    unsigned started = 1, online;

    pcpus[0].stack_top = (uintptr_t)&hyp_cpu_stacks[0][CPU_STACK_SIZE];
    for (unsigned i = 1, dt = 0; i < board.nr_cpus; i++, dt++) {
        struct pcpu *cpu = &pcpus[i];
        int rc;

        /* Logical ids follow DT order, skipping the boot CPU wherever it is. */
        if (board.cpu_hwid[dt] == pcpus[0].hwid) {
            dt++;
        }
        if (dt >= board.nr_cpus) {
            break;
        }
        cpu->id = i;
        cpu->hwid = board.cpu_hwid[dt];
        cpu->stack_top = (uintptr_t)&hyp_cpu_stacks[i][CPU_STACK_SIZE];
        rc = arch_cpu_start(cpu);
        if (rc) {
            printk("cpu%u: failed to start (hwid 0x%llx): %d\n", i, (unsigned long long)cpu->hwid,
                   rc);
            continue;
        }
        started++;
    }
    online = wait_online(started);
    if (online < started) {
        for (unsigned i = 1; i < nr_pcpus; i++) {
            if (pcpus[i].hwid && !__atomic_load_n(&pcpus[i].online, __ATOMIC_ACQUIRE)) {
                printk("cpu%u: did not come online within 1 s\n", i);
            }
        }
    }
    return online;
}

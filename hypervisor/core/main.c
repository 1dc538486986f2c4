/* SPDX-License-Identifier: MIT */
/*
 * Boot: parse the board, start the page allocator, turn the MMU on, bring every CPU
 * online with its interrupt controller and timer, and power off when there is nothing
 * to run.
 */
#include <string.h>

#include <bulkhead/arch.h>
#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/mm.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

#define BULKHEAD_VERSION "0.1"

static void print_memory(void)
{
    struct mem_range img = mm_image_range();
    uint64_t free = page_alloc_free_pages();

    printk("mm: hypervisor image 0x%llx-0x%llx (%llu KiB)\n", (unsigned long long)pa_addr(img.base),
           (unsigned long long)(pa_addr(img.base) + img.size - 1),
           (unsigned long long)(img.size >> 10));
    printk("mm: page allocator: %llu pages free (%llu MiB)\n", (unsigned long long)free,
           (unsigned long long)(free >> (20 - PAGE_SHIFT)));
}

/* sched= and sched_slice_us=: the scheduler's mode and slice (docs/scheduler.md). */
static void apply_sched_options(void)
{
    struct sched_options o;
    char opt[16];

    sched_get_options(&o);
    if (cmdline_get(board.bootargs, "sched", opt, sizeof(opt)) && !sched_parse_mode(opt, &o.mode)) {
        printk("bulkhead: sched=%s: unknown (fair, credit, credit2 or null); keeping fair\n", opt);
    }
    if (cmdline_get(board.bootargs, "sched_slice_us", opt, sizeof(opt))) {
        char *end = opt;
        unsigned long us = 0;

        while (*end >= '0' && *end <= '9' && us <= SCHED_SLICE_US_MAX) {
            us = us * 10 + (unsigned long)(*end++ - '0');
        }
        if (end == opt || *end || us < SCHED_SLICE_US_MIN || us > SCHED_SLICE_US_MAX) {
            printk("bulkhead: sched_slice_us=%s: must be %u..%u; keeping %u\n", opt,
                   SCHED_SLICE_US_MIN, SCHED_SLICE_US_MAX, o.slice_us);
        } else {
            o.slice_us = (unsigned)us;
        }
    }
    if (sched_set_options(&o) == 0) {
        if (o.mode == SCHED_NULL) {
            printk("sched: null (static partitioning: one vCPU per pCPU, no tick)\n");
        } else {
            printk("sched: fair (weights, caps, affinity, balancing), slice %u us\n", o.slice_us);
        }
    }
}

/* Options that set up subsystems before any domain exists. */
static void apply_options(void)
{
    enum guest_console_policy policy;
    char opt[16];

    apply_sched_options();
    if (cmdline_get(board.bootargs, "guest_console", opt, sizeof(opt))) {
        if (guest_console_parse_policy(opt, &policy)) {
            guest_console_set_policy(policy);
        } else {
            printk("bulkhead: guest_console=%s: unknown (all or drop); keeping all\n", opt);
        }
    }
}

static void run_selftests(void)
{
    char opt[16];

    if (cmdline_get(board.bootargs, "selftest", opt, sizeof(opt)) && !strcmp(opt, "trap")) {
        printk("selftest: taking an unexpected exception on purpose\n");
        arch_trigger_unexpected_trap();
    }
}

void boot_main(uint64_t hwid, paddr_t fdt)
{
    struct pcpu *cpu = &pcpus[0];
    int rc;

    cpu->id = 0;
    cpu->hwid = hwid;
    arch_set_this_cpu(cpu);
    arch_trap_init();
    if (board_parse(pa_va(fdt), &board) != 0) {
        panic("cannot boot: the host device tree is unusable (see above)");
    }
    console_use_uart(&board.uart);
    time_init(board.timer.freq);
    printk("\nBulkhead hypervisor " BULKHEAD_VERSION " on %s\n", arch_describe());
    board_print(&board);
    rc = mm_init_allocator(&board);
    if (rc) {
        panic("mm: no usable memory for the page allocator (%d)", rc);
    }
    print_memory();
    rc = mm_build_hyp_tables(&board);
    if (rc) {
        panic("mm: cannot build the hypervisor page tables (%d)", rc);
    }
    arch_mmu_enable(mm_hyp_root());
    printk("mm: MMU on: text RX, rodata R, data RW, W^X checked\n");
    rc = arch_irqc_init(&board);
    if (rc) {
        panic("irq: cannot initialise the interrupt controller (%d)", rc);
    }
    nr_pcpus = board.nr_cpus;
    cpu_bring_up(cpu);
    printk("bulkhead: %u of %u CPUs online\n", smp_boot_secondaries(), board.nr_cpus);
    run_selftests();
    apply_options();
    console_io_init();
    if (dom0less_create_domains() == 0) {
        dom0less_abandon_pending();
        printk("bulkhead: nothing to run, powering off\n");
        arch_system_off();
    }
    sched_idle();
}

/* SPDX-License-Identifier: MIT */
/*
 * What the host fuzzers link instead of cmocka. arch/fake reports power-off and panics
 * through cmocka's mock_assert() (so unit tests can expect them); under libFuzzer the
 * same report must abort, so that the fuzzer records the input as a crasher.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_hyp.h"

void mock_assert(const int result, const char *const expression, const char *const file,
                 const int line)
{
    if (result) {
        return;
    }
    fprintf(stderr, "fuzz: %s at %s:%d (a panic or power-off of the hypervisor)\n", expression,
            file, line);
    abort();
}

void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz: invariant broken: %s\n", what);
    abort();
}

void fuzz_host_setup(void)
{
    static void *ram;

    if (ram) {
        return;
    }
    ram = aligned_alloc(FUZZ_RAM_ALIGN, FUZZ_RAM_SIZE);
    if (!ram) {
        fuzz_fail("no host memory for the fake RAM");
    }
    page_alloc_reset();
    if (page_alloc_add_range(pa_init((uint64_t)(uintptr_t)ram), FUZZ_RAM_SIZE) != 0) {
        fuzz_fail("page_alloc_add_range");
    }
    fake_console_reset();
    fake_timer_reset();
    memset(pcpus, 0, sizeof(pcpus));
    nr_pcpus = FUZZ_CPUS;
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].id = i;
        pcpus[i].online = true;
        sched_cpu_init(&pcpus[i]);
    }
    arch_set_this_cpu(&pcpus[0]);
    time_init(1000000000);
    board.bootargs = "stay-up";
}

void fuzz_check_no_leak(uint64_t free_before)
{
    if (page_alloc_free_pages() != free_before) {
        fprintf(stderr, "fuzz: %llu pages free, %llu before the input\n",
                (unsigned long long)page_alloc_free_pages(), (unsigned long long)free_before);
        fuzz_fail("pages leaked");
    }
    if (domain_count() != 0) {
        fuzz_fail("a domain outlived the input");
    }
    for (unsigned i = 0; i < nr_pcpus; i++) {
        if (pcpus[i].nr_vcpus != 0) {
            fuzz_fail("a vCPU is still placed on a CPU");
        }
        if (pcpus[i].timers.head && pcpus[i].timers.head != &pcpus[i].slice_timer) {
            fuzz_fail("a timer of a freed domain is still queued");
        }
    }
}

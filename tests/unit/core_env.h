/* SPDX-License-Identifier: MIT */
/*
 * The simulated board the core's domain-level tests share: host RAM for the page
 * allocator, two online CPUs, a 1 GHz counter, "stay-up" on the command line; and the
 * helpers they all need to act as a guest: a guest-physical address as a host pointer,
 * and a hypercall made as the arch code makes it (continuations re-executed).
 */
#ifndef BULKHEAD_TESTS_CORE_ENV_H
#define BULKHEAD_TESTS_CORE_ENV_H

#include "unit.h"

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

/* Set the board up with @ram_size bytes of RAM; returns the RAM, and its free page
 * count in @free0. */
static inline void *core_env_setup(size_t ram_size, uint64_t *free0)
{
    void *ram = unit_ram(4 * MIB, ram_size);

    page_alloc_reset();
    assert_int_equal(page_alloc_add_range(unit_pa(ram), ram_size), 0);
    *free0 = page_alloc_free_pages();
    fake_console_reset();
    fake_timer_reset();
    memset(pcpus, 0, sizeof(pcpus));
    nr_pcpus = 2;
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].id = i;
        pcpus[i].online = true;
    }
    arch_set_this_cpu(&pcpus[0]);
    time_init(1000000000);
    board.bootargs = "stay-up";
    return ram;
}

/* Tear it down; every page must be back when @check_free. */
static inline void core_env_teardown(void *ram, uint64_t free0, bool check_free)
{
    if (check_free) {
        assert_int_equal(page_alloc_free_pages(), free0);
    }
    page_alloc_reset();
    free(ram);
}

/* A test file's board: @size bytes of host RAM, set up before each test and checked
 * (every page back) after it, as cmocka's setup/teardown. */
#define CORE_ENV_FIXTURE(size)                                                                     \
    static uint8_t *ram;                                                                           \
    static uint64_t free0;                                                                         \
                                                                                                   \
    static int setup(void **state)                                                                 \
    {                                                                                              \
        (void)state;                                                                               \
        ram = core_env_setup((size), &free0);                                                      \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static int teardown(void **state)                                                              \
    {                                                                                              \
        (void)state;                                                                               \
        core_env_teardown(ram, free0, true);                                                       \
        return 0;                                                                                  \
    }

/* Every CPU decides once: vCPUs of dying domains are reaped. */
static inline void core_env_reap(void)
{
    for (unsigned i = 0; i < nr_pcpus; i++) {
        arch_set_this_cpu(&pcpus[i]);
        pcpus[i].need_resched = true;
        (void)sched_schedule();
        pcpus[i].curr = NULL;
    }
    arch_set_this_cpu(&pcpus[0]);
}

/* Guest-physical @gpa of @d as a host pointer (it must be mapped). */
static inline void *core_env_gpa(struct domain *d, uint64_t gpa)
{
    struct p2m_locked l = p2m_lock(&d->p2m);
    paddr_t pa;

    assert_int_equal(p2m_lookup(l, ipa_init(gpa), &pa, NULL), 0);
    p2m_unlock(l);
    return pa_va(pa);
}

/* Hypercall @nr as @v, re-executed while it continues, as the arch code does. */
static inline int64_t core_env_hypercall(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1,
                                         uint64_t a2)
{
    struct hypercall h = {.nr = nr, .a = {a0, a1, a2, 0, 0}};
    int64_t rc;

    do {
        rc = hypercall_dispatch(v, &h);
    } while (h.restart);
    return rc;
}

#endif

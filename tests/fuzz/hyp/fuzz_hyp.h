/* SPDX-License-Identifier: MIT */
/*
 * Shared by the host fuzzers of the hypervisor core (libFuzzer, arch/fake): the fake
 * machine they run on, an input reader, and the checks every input ends with.
 */
#ifndef BULKHEAD_TESTS_FUZZ_HYP_H
#define BULKHEAD_TESTS_FUZZ_HYP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arch/fake.h>

#include <bulkhead/boot.h>
#include <bulkhead/domain.h>
#include <bulkhead/page_alloc.h>
#include <bulkhead/percpu.h>
#include <bulkhead/sched.h>
#include <bulkhead/time.h>

#define FUZZ_RAM_SIZE  (64ull << 20) /* the fake machine's RAM, for the page allocator */
#define FUZZ_RAM_ALIGN (4ull << 20)
#define FUZZ_CPUS      2

/* cmocka's assertion hook, which arch/fake reports panics and power-off through. */
void mock_assert(const int result, const char *const expression, const char *const file,
                 const int line);

/* Report a broken invariant: abort, so libFuzzer keeps the input. */
void fuzz_fail(const char *what) __attribute__((noreturn));

/* Once per process: RAM for the page allocator, FUZZ_CPUS online CPUs, the clock,
 * bootargs "stay-up". */
void fuzz_host_setup(void);

/* After an input: every page back, no domain left, no vCPU placed, no timer queued. */
void fuzz_check_no_leak(uint64_t free_before);

/* The fuzz input, consumed front to back; reads past its end give zeroes. */
struct fuzz_in {
    const uint8_t *p;
    size_t left;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)(in->left ? (in->left--, *in->p++) : 0) << (8 * i);
    }
    return v;
}

#endif

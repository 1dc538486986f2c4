/* SPDX-License-Identifier: MIT */
/*
 * Address types. Physical and guest-physical addresses are distinct one-member structs
 * so the compiler rejects mixing them up; the wrappers cost nothing at run time.
 */
#ifndef BULKHEAD_TYPES_H
#define BULKHEAD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)

/* A host physical address. */
typedef struct {
    uint64_t pa;
} paddr_t;

/* A guest-physical (intermediate physical) address, translated by stage 2. */
typedef struct {
    uint64_t ipa;
} ipaddr_t;

static inline paddr_t pa_init(uint64_t a)
{
    return (paddr_t){a};
}

static inline uint64_t pa_addr(paddr_t p)
{
    return p.pa;
}

static inline paddr_t pa_add(paddr_t p, uint64_t off)
{
    return (paddr_t){p.pa + off};
}

static inline ipaddr_t ipa_init(uint64_t a)
{
    return (ipaddr_t){a};
}

static inline uint64_t ipa_addr(ipaddr_t p)
{
    return p.ipa;
}

/*
 * The hypervisor maps all RAM one to one (VA == PA), so a physical address is also
 * the pointer that reaches it. Keeping the conversion in one place lets that change.
 */
static inline void *pa_va(paddr_t p)
{
    return (void *)(uintptr_t)p.pa;
}

static inline paddr_t va_pa(const void *v)
{
    return (paddr_t){(uint64_t)(uintptr_t)v};
}

#endif

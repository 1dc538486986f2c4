/* SPDX-License-Identifier: MIT */
/*
 * Environment header for building Debian's libfdt sources freestanding (the set-up step
 * extracts them from linux-source-6.1 into build/, without their own libfdt_env.h, so
 * this one is used instead). It provides the fixed-width types, the big-endian
 * conversions and the few string functions libfdt calls, from our lib/common/libc.
 */
#ifndef LIBFDT_ENV_H
#define LIBFDT_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint16_t fdt16_t;
typedef uint32_t fdt32_t;
typedef uint64_t fdt64_t;

/*
 * Byte swaps from shifts and masks rather than __builtin_bswap*: on RISC-V without Zbb,
 * GCC 12 compiles the builtins to calls to libgcc's __bswapsi2 / __bswapdi2, which
 * nothing here links. Where the ISA has a byte-reverse instruction (aarch64's REV, x86's
 * BSWAP on the host) GCC recognises these patterns and uses it. FDT data is big-endian;
 * both arches run little-endian.
 */
static inline uint16_t fdt_env_swap16(uint16_t x)
{
    return (uint16_t)((x >> 8) | (x << 8));
}

static inline uint32_t fdt_env_swap32(uint32_t x)
{
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

static inline uint64_t fdt_env_swap64(uint64_t x)
{
    return ((uint64_t)fdt_env_swap32((uint32_t)x) << 32) | fdt_env_swap32((uint32_t)(x >> 32));
}

static inline uint16_t fdt16_to_cpu(fdt16_t x)
{
    return fdt_env_swap16(x);
}

static inline fdt16_t cpu_to_fdt16(uint16_t x)
{
    return fdt_env_swap16(x);
}

static inline uint32_t fdt32_to_cpu(fdt32_t x)
{
    return fdt_env_swap32(x);
}

static inline fdt32_t cpu_to_fdt32(uint32_t x)
{
    return fdt_env_swap32(x);
}

static inline uint64_t fdt64_to_cpu(fdt64_t x)
{
    return fdt_env_swap64(x);
}

static inline fdt64_t cpu_to_fdt64(uint64_t x)
{
    return fdt_env_swap64(x);
}

#endif

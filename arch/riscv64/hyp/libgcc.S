/* SPDX-License-Identifier: MIT */
/*
 * The few compiler support routines the hypervisor needs, so that it never links a
 * libgcc member: Debian's riscv64 libgcc is built for lp64d only, which cannot link
 * with our soft-float (lp64) objects. GCC 12 calls:
 *   __bswapsi2 / __bswapdi2 for __builtin_bswap32/64 without Zbb (libfdt's fdt32_to_cpu);
 *   __atomic_fetch_add_2 for 16-bit atomics (the ticket spinlock) and
 *   __atomic_exchange_1 for a bool exchange: GCC 13 inlines sub-word atomics, GCC 12
 *   does not.
 */
    .text

/* uint32_t __bswapsi2(uint32_t x); the result sign-extended, as the LP64 ABI keeps
 * 32-bit values in registers. */
    .global __bswapsi2
    .type __bswapsi2, @function
__bswapsi2:
    li      t0, 0
    li      t2, 4
1:  slli    t0, t0, 8
    andi    t1, a0, 0xff
    or      t0, t0, t1
    srli    a0, a0, 8
    addi    t2, t2, -1
    bnez    t2, 1b
    sext.w  a0, t0
    ret
    .size __bswapsi2, . - __bswapsi2

/* uint64_t __bswapdi2(uint64_t x) */
    .global __bswapdi2
    .type __bswapdi2, @function
__bswapdi2:
    li      t0, 0
    li      t2, 8
1:  slli    t0, t0, 8
    andi    t1, a0, 0xff
    or      t0, t0, t1
    srli    a0, a0, 8
    addi    t2, t2, -1
    bnez    t2, 1b
    mv      a0, t0
    ret
    .size __bswapdi2, . - __bswapdi2

/*
 * uint16_t __atomic_fetch_add_2(volatile void *p, uint16_t v, int order): LR/SC on the
 * aligned word holding the halfword, changing only its 16 bits. Always sequentially
 * consistent (aq+rl), which satisfies every @order.
 */
    .global __atomic_fetch_add_2
    .type __atomic_fetch_add_2, @function
__atomic_fetch_add_2:
    andi    t0, a0, 3
    slli    t0, t0, 3               /* bit offset of the halfword */
    andi    a0, a0, -4
    li      t1, 0xffff
    sll     t1, t1, t0              /* its mask */
    not     t2, t1
    sll     a1, a1, t0
    and     a1, a1, t1
1:  lr.w.aqrl a2, (a0)
    add     a3, a2, a1
    and     a3, a3, t1
    and     a4, a2, t2
    or      a3, a3, a4
    sc.w.rl a5, a3, (a0)
    bnez    a5, 1b
    and     a2, a2, t1
    srl     a0, a2, t0
    ret
    .size __atomic_fetch_add_2, . - __atomic_fetch_add_2

/*
 * uint8_t __atomic_exchange_1(volatile void *p, uint8_t v, int order): the same on the
 * aligned word holding the byte (GCC 12 calls it for a bool __atomic_exchange_n).
 */
    .global __atomic_exchange_1
    .type __atomic_exchange_1, @function
__atomic_exchange_1:
    andi    t0, a0, 3
    slli    t0, t0, 3               /* bit offset of the byte */
    andi    a0, a0, -4
    li      t1, 0xff
    sll     t1, t1, t0              /* its mask */
    not     t2, t1
    sll     a1, a1, t0
    and     a1, a1, t1
1:  lr.w.aqrl a2, (a0)
    and     a4, a2, t2
    or      a3, a4, a1
    sc.w.rl a5, a3, (a0)
    bnez    a5, 1b
    and     a2, a2, t1
    srl     a0, a2, t0
    ret
    .size __atomic_exchange_1, . - __atomic_exchange_1

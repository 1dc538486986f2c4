/* SPDX-License-Identifier: MIT */
/* Test boot shim: OpenSBI enters here (a0 = hartid); enter the hypervisor (loaded raw at
 * HYP_ADDR) with a1 = a device tree of the test's choosing at DTB_ADDR. */
    .global _start
_start:
    li      a1, DTB_ADDR
    li      t0, HYP_ADDR
    jr      t0

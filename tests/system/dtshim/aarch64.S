/* SPDX-License-Identifier: MIT */
/* Test boot shim: enter the hypervisor (loaded raw at HYP_ADDR) at EL2 with x0 = a device
 * tree of the test's choosing at DTB_ADDR, in place of the one QEMU built. */
    .global _start
_start:
    ldr     x0, =DTB_ADDR
    ldr     x1, =HYP_ADDR
    br      x1

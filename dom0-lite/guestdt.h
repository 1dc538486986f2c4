/* SPDX-License-Identifier: MIT */
/*
 * A guest's device tree, built with libfdt's sequential writer: the written spec of
 * docs/bh-boot.md that toolstack/bhboot/guestdt.py also follows (aarch64: Xen libxl's
 * domU tree, GICv3 at arch-arm.h's guest addresses, the timer and event-channel PPIs,
 * PSCI over HVC; riscv64: QEMU virt's PLIC layout), with the stub-served UART of
 * docs/stub-domains.md (`chosen/stdout-path`) when the guest has a stub domain.
 */
#ifndef DOM0_GUESTDT_H
#define DOM0_GUESTDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUESTDT_RESERVE  (2ull << 20) /* the tree sits in the last 2 MiB of RAM */
#define STUB_DTB_RESERVE (64ull << 10)

struct guestdt_params {
    const char *bootargs;
    uint64_t ram_base, ram_size;
    unsigned vcpus;
    uint64_t initrd_start, initrd_end; /* 0, 0: none */
    bool uart;                         /* the stub-served UART */
};

/* Guest RAM's base on this arch (aarch64 GUEST_RAM0_BASE, riscv64 0x80000000). */
uint64_t guestdt_ram_base(void);

/* The stub's bootargs fragment for the guest's UART ("uart=pl011@0x22000000,irq=32"). */
const char *guestdt_uart_bootarg(void);

/* Write the tree into @buf (@size bytes). 0 or a negative libfdt error. */
int guestdt_build(void *buf, size_t size, const struct guestdt_params *p);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's console: one UART found in the device tree, or the arch's early
 * console until then (and for good if the device tree names no usable UART).
 */
#ifndef BULKHEAD_CONSOLE_H
#define BULKHEAD_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* A UART driver: just enough to write bytes, polled. */
struct uart_driver {
    const char *name;          /* shown in the boot log */
    const char *const *compat; /* NULL-terminated DT compatible strings */
    void (*putc)(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift, char c);
};

/* A UART as described by the device tree. */
struct uart_desc {
    const struct uart_driver *drv; /* NULL when none was found */
    paddr_t base;                  /* MMIO base */
    uint64_t size;                 /* MMIO size */
    unsigned reg_shift;            /* register stride as a shift (ns16550 reg-shift) */
};

/* Look a compatible string up in the known UART drivers; NULL if unknown. */
const struct uart_driver *console_find_driver(const char *compat);

/* Switch from the early console to this UART. */
void console_use_uart(const struct uart_desc *uart);

/* Write raw bytes (no locking; callers hold the console lock or are alone). */
void console_write(const char *s, size_t n);

#endif

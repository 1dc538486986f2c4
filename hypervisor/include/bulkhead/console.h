/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's console: one UART found in the device tree, or the arch's early
 * console until then (and for good if the device tree names no usable UART).
 */
#ifndef BULKHEAD_CONSOLE_H
#define BULKHEAD_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "types.h"

/* A UART driver: writes bytes polled; reads what arrived from its receive interrupt. */
struct uart_driver {
    const char *name;          /* shown in the boot log */
    const char *const *compat; /* NULL-terminated DT compatible strings */
    void (*putc)(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift, char c);
    /* A received byte (0..255), or -1 when none is waiting. */
    int (*getc)(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift);
    /* Enable the receive interrupt (and the receive timeout, where the UART has one);
     * the interrupt stays asserted while received bytes wait (level). */
    void (*rx_irq_enable)(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift);
};

#define UART_MAX_IRQ_CELLS 3

/* A UART as described by the device tree. */
struct uart_desc {
    const struct uart_driver *drv;    /* NULL when none was found */
    paddr_t base;                     /* MMIO base */
    uint64_t size;                    /* MMIO size */
    unsigned reg_shift;               /* register stride as a shift (ns16550 reg-shift) */
    uint32_t irq[UART_MAX_IRQ_CELLS]; /* its "interrupts" specifier, as the DT gives it */
    unsigned irq_cells;               /* cells in irq[]; 0: no interrupt (no input) */
};

/* Look a compatible string up in the known UART drivers; NULL if unknown. */
const struct uart_driver *console_find_driver(const char *compat);

/* Switch from the early console to this UART. */
void console_use_uart(const struct uart_desc *uart);

/* Write raw bytes (no locking; callers hold the console lock or are alone). */
void console_write(const char *s, size_t n);

/* ---- input (console/console_input.c; docs/console.md) ------------------------------
 *
 * The board console's input has one focus at a time: the hypervisor (0), whose keys run
 * registered debug handlers, or a guest (its domain id), to which input is delivered.
 * CTRL-a pressed three times in a row moves the focus round-robin: the hypervisor, then
 * each guest in id order, then back. The console layer knows no domains: an upper layer
 * registers the focus list and the delivery (hypercall/console_io.c).
 */

#define CONSOLE_SWITCH_CHAR 0x01 /* CTRL-a */
#define CONSOLE_SWITCH_HITS 3
#define CONSOLE_MAX_KEYS    16

/* Registered by the layer that knows domains. Both are called from the receive interrupt
 * (no lock of the caller held, interrupts masked) and must not wait for a domain. */
struct console_input_ops {
    /* The focus after @cur in the round: the next guest's id above @cur, 0 (the
     * hypervisor) after the last one. Also told that @cur loses the focus. */
    unsigned (*next_focus)(unsigned cur);
    /* Deliver @n input bytes to guest @domid. 0, or -ESRCH when it no longer exists
     * (the focus then goes back to the hypervisor). */
    int (*deliver)(unsigned domid, const char *s, size_t n);
};

/* Register the focus list and delivery (once, at boot). */
void console_input_register(const struct console_input_ops *ops);

/* A hypervisor key: @fn runs when @key is typed while the hypervisor has the focus.
 * -ENOSPC when the table is full, -EEXIST for a key already taken ('h' is help). */
int __must_check console_register_key(char key, const char *help, void (*fn)(char key));

/* Route the board UART's receive interrupt here. 0, or -errno (and a message) when the
 * UART has none or the interrupt controller refuses it: the console is then output only. */
int console_input_enable(void);

/* Received bytes, in order: the receive interrupt's handler, and unit tests. */
void console_input_bytes(const char *s, size_t n);

/* Give the focus to domain @domid (0: the hypervisor), announced if @say: at boot the
 * control domain's shell has it, and `bh console` moves it (docs/dom0-lite.md). */
void console_input_set_focus(unsigned domid, bool say);

/* Who has the focus: 0 for the hypervisor, else a domain id. */
unsigned console_input_focus(void);

#endif

/* SPDX-License-Identifier: MIT */
/* Arm PL011 UART, transmit only, polled (PL011 TRM: UARTDR at 0x00, UARTFR at 0x18). */
#include <bulkhead/console.h>

#define PL011_DR      0x00
#define PL011_FR      0x18
#define PL011_FR_TXFF (1u << 5) /* transmit FIFO full */

static void pl011_putc(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift, char c)
{
    volatile uint32_t *fr = (volatile uint32_t *)(base + PL011_FR);
    volatile uint32_t *dr = (volatile uint32_t *)(base + PL011_DR);

    (void)drv;
    (void)reg_shift;
    while (*fr & PL011_FR_TXFF) {
    }
    *dr = (uint8_t)c;
}

static const char *const pl011_compat[] = {"arm,pl011", NULL};

const struct uart_driver uart_pl011 = {
    .name = "pl011",
    .compat = pl011_compat,
    .putc = pl011_putc,
};

/* SPDX-License-Identifier: MIT */
/*
 * Arm PL011 UART (PL011 TRM, r1p5): transmit polled; receive from its interrupt (UARTDR at
 * 0x00, UARTFR at 0x18, UARTLCR_H at 0x2c, UARTIMSC at 0x38).
 */
#include <bulkhead/console.h>

#define PL011_DR      0x00
#define PL011_FR      0x18
#define PL011_LCR_H   0x2c
#define PL011_IMSC    0x38
#define PL011_LCR_FEN (1u << 4) /* FIFOs enabled: bytes wait there while we handle one */
#define PL011_FR_RXFE (1u << 4) /* receive FIFO empty */
#define PL011_FR_TXFF (1u << 5) /* transmit FIFO full */
#define PL011_IM_RX   (1u << 4) /* receive interrupt */
#define PL011_IM_RT   (1u << 6) /* receive timeout: bytes below the FIFO trigger level */

static inline volatile uint32_t *reg(uintptr_t base, unsigned off)
{
    return (volatile uint32_t *)(base + off);
}

static void pl011_putc(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift, char c)
{
    (void)drv;
    (void)reg_shift;
    while (*reg(base, PL011_FR) & PL011_FR_TXFF) {
    }
    *reg(base, PL011_DR) = (uint8_t)c;
}

static int pl011_getc(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift)
{
    (void)drv;
    (void)reg_shift;
    if (*reg(base, PL011_FR) & PL011_FR_RXFE) {
        return -1;
    }
    return (int)(*reg(base, PL011_DR) & 0xff); /* bits 11:8 are error flags */
}

static void pl011_rx_irq_enable(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift)
{
    (void)drv;
    (void)reg_shift;
    *reg(base, PL011_LCR_H) |= PL011_LCR_FEN;
    *reg(base, PL011_IMSC) |= PL011_IM_RX | PL011_IM_RT;
}

static const char *const pl011_compat[] = {"arm,pl011", NULL};

const struct uart_driver uart_pl011 = {
    .name = "pl011",
    .compat = pl011_compat,
    .putc = pl011_putc,
    .getc = pl011_getc,
    .rx_irq_enable = pl011_rx_irq_enable,
};

/* SPDX-License-Identifier: MIT */
/*
 * An ARM PrimeCell UART (PL011) model, r1p5-compatible as Linux's amba-pl011 driver
 * sees it (ARM DDI 0183G). Registers are at their TRM offsets; see pl011.c.
 */
#ifndef DRIVERS_UART_PL011_H
#define DRIVERS_UART_PL011_H

#include <stdbool.h>
#include <stdint.h>

#include "uart.h"

#define PL011_DR     0x000
#define PL011_RSR    0x004 /* read: receive status; write: error clear (ECR) */
#define PL011_FR     0x018
#define PL011_ILPR   0x020
#define PL011_IBRD   0x024
#define PL011_FBRD   0x028
#define PL011_LCR_H  0x02c
#define PL011_CR     0x030
#define PL011_IFLS   0x034
#define PL011_IMSC   0x038
#define PL011_RIS    0x03c
#define PL011_MIS    0x040
#define PL011_ICR    0x044
#define PL011_DMACR  0x048
#define PL011_PERIPH 0xfe0 /* PeriphID0..3 at 0xfe0..0xfec */
#define PL011_PCELL  0xff0 /* PCellID0..3 at 0xff0..0xffc */
#define PL011_SIZE   0x1000

#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

#define PL011_LCRH_FEN  (1u << 4)
#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_LBE    (1u << 7)
#define PL011_CR_TXE    (1u << 8)
#define PL011_CR_RXE    (1u << 9)

/* Interrupt bits of IMSC, RIS, MIS and ICR. */
#define PL011_INT_RX  (1u << 4)
#define PL011_INT_TX  (1u << 5)
#define PL011_INT_RT  (1u << 6)
#define PL011_INT_OE  (1u << 10)
#define PL011_INT_ALL 0x7ffu

#define PL011_FIFO_DEPTH                                                                           \
    16 /* r1p5 as revision 1 reports it: Linux sizes its FIFO by the revision */

struct pl011 {
    struct uart_sink sink;
    struct uart_fifo rx;
    uint32_t rsr; /* receive status (OE bit 3) */
    uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr;
    uint32_t ris; /* raw interrupt status */
};

#endif

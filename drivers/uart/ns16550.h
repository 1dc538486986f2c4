/* SPDX-License-Identifier: MIT */
/*
 * An NS16550A model with reg-shift 0 (byte registers at offsets 0..7), as QEMU virt's
 * UART and Linux's 8250 driver have it. See ns16550.c.
 */
#ifndef DRIVERS_UART_NS16550_H
#define DRIVERS_UART_NS16550_H

#include <stdbool.h>
#include <stdint.h>

#include "uart.h"

#define NS16550_RBR  0 /* read, DLAB 0; THR on write; DLL with DLAB 1 */
#define NS16550_IER  1 /* DLM with DLAB 1 */
#define NS16550_IIR  2 /* read; FCR on write */
#define NS16550_LCR  3
#define NS16550_MCR  4
#define NS16550_LSR  5
#define NS16550_MSR  6
#define NS16550_SCR  7
#define NS16550_SIZE 0x100

#define NS16550_IER_RDI  0x01
#define NS16550_IER_THRI 0x02
#define NS16550_IER_RLSI 0x04
#define NS16550_IER_MSI  0x08

#define NS16550_IIR_NONE  0x01
#define NS16550_IIR_MSI   0x00
#define NS16550_IIR_THRI  0x02
#define NS16550_IIR_RDI   0x04
#define NS16550_IIR_RLSI  0x06
#define NS16550_IIR_TOUT  0x0c
#define NS16550_IIR_FIFOS 0xc0

#define NS16550_FCR_ENABLE   0x01
#define NS16550_FCR_CLEAR_RX 0x02
#define NS16550_FCR_CLEAR_TX 0x04

#define NS16550_LCR_DLAB 0x80
#define NS16550_MCR_LOOP 0x10

#define NS16550_LSR_DR   0x01
#define NS16550_LSR_OE   0x02
#define NS16550_LSR_BI   0x10
#define NS16550_LSR_THRE 0x20
#define NS16550_LSR_TEMT 0x40

#define NS16550_FIFO_DEPTH 16

struct ns16550 {
    struct uart_sink sink;
    struct uart_fifo rx;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;       /* the last FCR write's enable and trigger bits (write-only) */
    uint8_t lsr_err;   /* OE, PE, FE, BI: cleared by reading LSR */
    uint8_t msr_delta; /* MSR bits 3:0, cleared by reading MSR */
    bool thr_pending;  /* the THR-empty interrupt is pending */
    bool timeout;      /* the character timeout is pending */
};

#endif

/* SPDX-License-Identifier: MIT */
/*
 * PL011 model (ARM DDI 0183G, PrimeCell UART r1p5). What Linux's AMBA bus and the
 * amba-pl011 driver read: the PrimeCell and peripheral IDs (part 0x011, designer 0x41,
 * revision 1: a 16-byte FIFO), FR, the baud and line-control registers, CR, IFLS, the
 * interrupt mask / raw / masked / clear registers and DMACR (no DMA: it only holds its
 * bits). Transmission is instantaneous, so FR always shows the transmit FIFO empty.
 *
 * Interrupts (TRM 3.4.2): TXRIS is set whenever the transmit FIFO is at or below its
 * trigger level, which is at reset and after every write to DR (the FIFO is empty again
 * at once); ICR clears it. RXRIS follows the receive FIFO's level against its trigger
 * level (IFLS, or 1 byte with the FIFO off). RTRIS is the receive timeout: set by
 * rx_idle() while data waits, cleared when the FIFO is emptied or by ICR. OERIS is an
 * overrun (a byte arrived with the FIFO full; rx() refuses it instead, so only the
 * loopback path can overrun).
 */
#include <stddef.h>

#include "pl011.h"

static const uint8_t periph_id[4] = {0x11, 0x10, 0x14, 0x00};
static const uint8_t pcell_id[4] = {0x0d, 0xf0, 0x05, 0xb1};

static unsigned rx_depth(const struct pl011 *u)
{
    return u->lcr_h & PL011_LCRH_FEN ? PL011_FIFO_DEPTH : 1;
}

/* IFLS RXIFLSEL (bits 5:3): 1/8, 1/4, 1/2, 3/4, 7/8 full; reserved values as 1/2. */
static unsigned rx_trigger(const struct pl011 *u)
{
    static const unsigned eighths[8] = {1, 2, 4, 6, 7, 4, 4, 4};

    if (!(u->lcr_h & PL011_LCRH_FEN)) {
        return 1;
    }
    return PL011_FIFO_DEPTH * eighths[(u->ifls >> 3) & 7] / 8;
}

static void update_rx(struct pl011 *u)
{
    if (u->rx.count >= rx_trigger(u)) {
        u->ris |= PL011_INT_RX;
    } else {
        u->ris &= ~PL011_INT_RX;
    }
    if (!u->rx.count) {
        u->ris &= ~PL011_INT_RT;
    }
}

static bool receive(struct pl011 *u, uint8_t b)
{
    if (!uart_fifo_push(&u->rx, rx_depth(u), b)) {
        u->rsr |= 1u << 3; /* OE */
        u->ris |= PL011_INT_OE;
        return false;
    }
    update_rx(u);
    return true;
}

static void pl011_reset(void *dev, const struct uart_sink *sink)
{
    struct pl011 *u = dev;

    *u = (struct pl011){
        .sink = *sink,
        .cr = PL011_CR_TXE | PL011_CR_RXE, /* TRM reset value 0x0300 */
        .ifls = 0x12,                      /* both trigger levels at 1/2 */
        .ris = PL011_INT_TX,               /* the empty transmit FIFO is below its level */
    };
    uart_fifo_reset(&u->rx);
}

static uint32_t read_dr(struct pl011 *u)
{
    uint32_t v = uart_fifo_pop(&u->rx);

    update_rx(u);
    return v;
}

static uint32_t read_fr(const struct pl011 *u)
{
    uint32_t fr = PL011_FR_TXFE;

    if (!u->rx.count) {
        fr |= PL011_FR_RXFE;
    }
    if (u->rx.count >= rx_depth(u)) {
        fr |= PL011_FR_RXFF;
    }
    return fr;
}

static uint32_t id_reg(const uint8_t id[4], uint64_t off)
{
    return id[(off & 0xf) / 4];
}

static uint64_t pl011_read(void *dev, uint64_t off, unsigned size)
{
    struct pl011 *u = dev;

    if ((size != 1 && size != 2 && size != 4 && size != 8) || (off & 3) || off >= PL011_SIZE) {
        return 0;
    }
    switch (off) {
    case PL011_DR:
        return read_dr(u);
    case PL011_RSR:
        return u->rsr;
    case PL011_FR:
        return read_fr(u);
    case PL011_ILPR:
        return u->ilpr;
    case PL011_IBRD:
        return u->ibrd;
    case PL011_FBRD:
        return u->fbrd;
    case PL011_LCR_H:
        return u->lcr_h;
    case PL011_CR:
        return u->cr;
    case PL011_IFLS:
        return u->ifls;
    case PL011_IMSC:
        return u->imsc;
    case PL011_RIS:
        return u->ris;
    case PL011_MIS:
        return u->ris & u->imsc;
    case PL011_DMACR:
        return u->dmacr;
    default:
        break;
    }
    if (off >= PL011_PERIPH && off < PL011_PERIPH + 16) {
        return id_reg(periph_id, off);
    }
    if (off >= PL011_PCELL) {
        return id_reg(pcell_id, off);
    }
    return 0;
}

static void write_dr(struct pl011 *u, uint8_t b)
{
    /* Sent whatever CR says: small kernels write DR without enabling the UART, and a
     * byte is never lost for want of set-up (QEMU's PL011 does the same). */
    if (u->cr & PL011_CR_LBE) {
        receive(u, b);
    } else if (u->sink.tx) {
        u->sink.tx(u->sink.ctx, b);
    }
    u->ris |= PL011_INT_TX;
}

static void pl011_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    struct pl011 *u = dev;
    uint32_t v = (uint32_t)val;

    if ((size != 1 && size != 2 && size != 4 && size != 8) || (off & 3) || off >= PL011_SIZE) {
        return;
    }
    switch (off) {
    case PL011_DR:
        write_dr(u, (uint8_t)v);
        break;
    case PL011_RSR:
        u->rsr = 0; /* ECR: any write clears the error bits */
        break;
    case PL011_ILPR:
        u->ilpr = v & 0xff;
        break;
    case PL011_IBRD:
        u->ibrd = v & 0xffff;
        break;
    case PL011_FBRD:
        u->fbrd = v & 0x3f;
        break;
    case PL011_LCR_H:
        if ((u->lcr_h ^ v) & PL011_LCRH_FEN) {
            uart_fifo_reset(&u->rx); /* the FIFO is flushed when FEN changes */
        }
        u->lcr_h = v & 0xff;
        update_rx(u);
        break;
    case PL011_CR:
        u->cr = v & 0xff87; /* bits 6:3 are reserved */
        break;
    case PL011_IFLS:
        u->ifls = v & 0x3f;
        update_rx(u);
        break;
    case PL011_IMSC:
        u->imsc = v & PL011_INT_ALL;
        break;
    case PL011_ICR:
        u->ris &= ~(v & PL011_INT_ALL);
        break;
    case PL011_DMACR:
        u->dmacr = v & 7;
        break;
    default:
        break; /* FR, RIS, MIS, the IDs and reserved offsets are read-only */
    }
}

static bool pl011_irq(const void *dev)
{
    const struct pl011 *u = dev;

    return (u->ris & u->imsc) != 0;
}

static bool pl011_rx(void *dev, uint8_t b)
{
    struct pl011 *u = dev;

    if ((u->cr & (PL011_CR_UARTEN | PL011_CR_RXE)) != (PL011_CR_UARTEN | PL011_CR_RXE) ||
        u->rx.count >= rx_depth(u)) {
        return false;
    }
    return receive(u, b);
}

static void pl011_rx_idle(void *dev)
{
    struct pl011 *u = dev;

    if (u->rx.count) {
        u->ris |= PL011_INT_RT;
    }
}

const struct uart_model uart_pl011_model = {
    .name = "pl011",
    .size = PL011_SIZE,
    .reset = pl011_reset,
    .read = pl011_read,
    .write = pl011_write,
    .irq = pl011_irq,
    .rx = pl011_rx,
    .rx_idle = pl011_rx_idle,
};

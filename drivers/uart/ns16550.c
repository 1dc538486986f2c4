/* SPDX-License-Identifier: MIT */
/*
 * NS16550A model (the National/TI PC16550D data sheet): receive FIFO of 16 bytes with
 * the FCR trigger levels 1/4/8/14, divisor latch behind LCR.DLAB, loopback (MCR bit 4:
 * transmitted bytes come back into the receiver, MSR reflects MCR), the scratch
 * register. Transmission is instantaneous: LSR always shows THRE and TEMT.
 *
 * Interrupts, by priority as IIR reports them (and Linux's 8250 driver expects):
 *   0x6 receiver line status (IER.RLSI, an error bit in LSR; cleared by reading LSR),
 *   0x4 received data at the trigger level (IER.RDI; cleared by reading below it),
 *   0xc character timeout (IER.RDI, FIFO mode, set by rx_idle() while data waits;
 *       cleared by reading RBR),
 *   0x2 THR empty (IER.THRI: set when the THR empties after a write, and when THRI is
 *       enabled while the THR is empty; cleared by reading IIR when it is the one
 *       reported, or by writing THR),
 *   0x0 modem status (IER.MSI, a delta bit in MSR; cleared by reading MSR).
 * IIR bits 7:6 are 0xc0 while the FIFOs are enabled (FCR bit 0). The interrupt output
 * is not gated by MCR.OUT2 (as on QEMU virt: that gate is a PC board's).
 */
#include <stddef.h>

#include "ns16550.h"

static unsigned rx_depth(const struct ns16550 *u)
{
    return u->fcr & NS16550_FCR_ENABLE ? NS16550_FIFO_DEPTH : 1;
}

static unsigned rx_trigger(const struct ns16550 *u)
{
    static const unsigned levels[4] = {1, 4, 8, 14};

    return u->fcr & NS16550_FCR_ENABLE ? levels[u->fcr >> 6] : 1;
}

static bool loopback(const struct ns16550 *u)
{
    return u->mcr & NS16550_MCR_LOOP;
}

/* The highest-priority pending interrupt's IIR code, or NS16550_IIR_NONE. */
static uint8_t pending(const struct ns16550 *u)
{
    if ((u->ier & NS16550_IER_RLSI) && u->lsr_err) {
        return NS16550_IIR_RLSI;
    }
    if ((u->ier & NS16550_IER_RDI) && u->rx.count >= rx_trigger(u)) {
        return NS16550_IIR_RDI;
    }
    if ((u->ier & NS16550_IER_RDI) && u->timeout && u->rx.count) {
        return NS16550_IIR_TOUT;
    }
    if ((u->ier & NS16550_IER_THRI) && u->thr_pending) {
        return NS16550_IIR_THRI;
    }
    if ((u->ier & NS16550_IER_MSI) && u->msr_delta) {
        return NS16550_IIR_MSI;
    }
    return NS16550_IIR_NONE;
}

static void ns16550_reset(void *dev, const struct uart_sink *sink)
{
    struct ns16550 *u = dev;

    *u = (struct ns16550){.sink = *sink};
    uart_fifo_reset(&u->rx);
}

/* MSR's upper nibble: in loopback DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; otherwise
 * CTS, DSR and DCD asserted (a line with nothing to say about the modem). */
static uint8_t msr_lines(uint8_t mcr)
{
    if (!(mcr & NS16550_MCR_LOOP)) {
        return 0xb0;
    }
    return (uint8_t)(((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) | ((mcr & 0x04) << 4) |
                     ((mcr & 0x08) << 4));
}

static bool receive(struct ns16550 *u, uint8_t b)
{
    if (!uart_fifo_push(&u->rx, rx_depth(u), b)) {
        u->lsr_err |= NS16550_LSR_OE;
        return false;
    }
    return true;
}

static uint8_t read_lsr(struct ns16550 *u)
{
    uint8_t v = NS16550_LSR_THRE | NS16550_LSR_TEMT | u->lsr_err;

    if (u->rx.count) {
        v |= NS16550_LSR_DR;
    }
    u->lsr_err = 0;
    return v;
}

static uint8_t read_iir(struct ns16550 *u)
{
    uint8_t id = pending(u);

    if (id == NS16550_IIR_THRI) {
        u->thr_pending = false; /* reading IIR with THRE as the source clears it */
    }
    return id | (u->fcr & NS16550_FCR_ENABLE ? NS16550_IIR_FIFOS : 0);
}

static uint8_t read_reg(struct ns16550 *u, unsigned reg)
{
    bool dlab = u->lcr & NS16550_LCR_DLAB;
    uint8_t v;

    switch (reg) {
    case NS16550_RBR:
        if (dlab) {
            return u->dll;
        }
        u->timeout = false;
        return uart_fifo_pop(&u->rx);
    case NS16550_IER:
        return dlab ? u->dlm : u->ier;
    case NS16550_IIR:
        return read_iir(u);
    case NS16550_LCR:
        return u->lcr;
    case NS16550_MCR:
        return u->mcr;
    case NS16550_LSR:
        return read_lsr(u);
    case NS16550_MSR:
        v = msr_lines(u->mcr) | u->msr_delta;
        u->msr_delta = 0;
        return v;
    default:
        return u->scr;
    }
}

static void write_thr(struct ns16550 *u, uint8_t b)
{
    if (loopback(u)) {
        receive(u, b);
    } else if (u->sink.tx) {
        u->sink.tx(u->sink.ctx, b);
    }
    /* The byte left at once: the THR is empty again. */
    u->thr_pending = true;
}

static void write_ier(struct ns16550 *u, uint8_t v)
{
    uint8_t old = u->ier;

    u->ier = v & 0x0f;
    /* Enabling THRI while the THR is empty raises the interrupt at once; the 8250 driver
     * counts on it to start transmitting. */
    if ((u->ier & NS16550_IER_THRI) && !(old & NS16550_IER_THRI)) {
        u->thr_pending = true;
    }
}

static void write_fcr(struct ns16550 *u, uint8_t v)
{
    if ((v ^ u->fcr) & NS16550_FCR_ENABLE || (v & NS16550_FCR_CLEAR_RX)) {
        uart_fifo_reset(&u->rx); /* changing the FIFO mode flushes it */
        u->timeout = false;
    }
    u->fcr = v & (NS16550_FCR_ENABLE | 0xc0);
}

static void write_mcr(struct ns16550 *u, uint8_t v)
{
    uint8_t before = msr_lines(u->mcr);
    uint8_t after = msr_lines(v & 0x1f);
    uint8_t changed = before ^ after;

    u->mcr = v & 0x1f;
    /* Delta bits: CTS, DSR, DCD changed; RI going from on to off (trailing edge). */
    u->msr_delta |= (uint8_t)(((changed >> 4) & 0x0b) | ((before & ~after & 0x40) ? 0x04 : 0));
}

static void write_reg(struct ns16550 *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & NS16550_LCR_DLAB;

    switch (reg) {
    case NS16550_RBR:
        if (dlab) {
            u->dll = v;
        } else {
            write_thr(u, v);
        }
        break;
    case NS16550_IER:
        if (dlab) {
            u->dlm = v;
        } else {
            write_ier(u, v);
        }
        break;
    case NS16550_IIR:
        write_fcr(u, v);
        break;
    case NS16550_LCR:
        u->lcr = v;
        break;
    case NS16550_MCR:
        write_mcr(u, v);
        break;
    case NS16550_SCR:
        u->scr = v;
        break;
    default:
        break; /* LSR and MSR are read-only (writes are a factory test on the 16550) */
    }
}

static bool valid(uint64_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && off < 8;
}

static uint64_t ns16550_read(void *dev, uint64_t off, unsigned size)
{
    return valid(off, size) ? read_reg(dev, (unsigned)off) : 0;
}

static void ns16550_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    if (valid(off, size)) {
        write_reg(dev, (unsigned)off, (uint8_t)val);
    }
}

static bool ns16550_irq(const void *dev)
{
    return pending(dev) != NS16550_IIR_NONE;
}

static bool ns16550_rx(void *dev, uint8_t b)
{
    struct ns16550 *u = dev;

    if (u->rx.count >= rx_depth(u) || loopback(u)) {
        return false; /* in loopback the receiver is cut off from the line */
    }
    return receive(u, b);
}

static void ns16550_rx_idle(void *dev)
{
    struct ns16550 *u = dev;

    if (u->rx.count && (u->fcr & NS16550_FCR_ENABLE)) {
        u->timeout = true;
    }
}

const struct uart_model uart_ns16550_model = {
    .name = "ns16550",
    .size = NS16550_SIZE,
    .reset = ns16550_reset,
    .read = ns16550_read,
    .write = ns16550_write,
    .irq = ns16550_irq,
    .rx = ns16550_rx,
    .rx_idle = ns16550_rx_idle,
};

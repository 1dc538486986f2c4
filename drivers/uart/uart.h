/* SPDX-License-Identifier: MIT */
/*
 * UART device models: pure register-level state machines, with no hypervisor, console or
 * memory-mapping code, so they build for a stub domain and for host unit tests alike.
 *
 * The stub (drivers/stub) feeds each guest access to read()/write() with the offset in
 * the device's window and the access size; transmitted bytes leave through the sink;
 * received bytes enter with rx(); the interrupt line is irq(). Transmission is
 * instantaneous (the transmit FIFO is always empty again after a write), so a guest that
 * writes bytes at offset 0 without polling the status register loses nothing.
 *
 * Misuse is defined, never fatal: an access of any size 1, 2, 4 or 8 at a register's
 * offset acts on that register (writes use the low bits, reads are zero-extended); any
 * other offset or size reads 0 and ignores writes.
 */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <stdbool.h>
#include <stdint.h>

/* Where transmitted bytes go (the stub: the line buffer of the board console). */
struct uart_sink {
    void (*tx)(void *ctx, uint8_t byte);
    void *ctx;
};

/* A byte FIFO, for the receive side of both models. */
#define UART_FIFO_MAX 32

struct uart_fifo {
    uint8_t buf[UART_FIFO_MAX];
    unsigned head;  /* index of the oldest byte */
    unsigned count; /* bytes held */
};

static inline void uart_fifo_reset(struct uart_fifo *f)
{
    f->head = 0;
    f->count = 0;
}

/* Append @b; false if the FIFO holds @depth bytes already. */
static inline bool uart_fifo_push(struct uart_fifo *f, unsigned depth, uint8_t b)
{
    if (f->count >= depth) {
        return false;
    }
    f->buf[(f->head + f->count) % UART_FIFO_MAX] = b;
    f->count++;
    return true;
}

/* Take the oldest byte; 0 if empty. */
static inline uint8_t uart_fifo_pop(struct uart_fifo *f)
{
    uint8_t b;

    if (!f->count) {
        return 0;
    }
    b = f->buf[f->head];
    f->head = (f->head + 1) % UART_FIFO_MAX;
    f->count--;
    return b;
}

/* A model as the stub drives it: @dev is the model's own state (struct pl011 / ns16550). */
struct uart_model {
    const char *name; /* "pl011", "ns16550" (the stub's uart= bootarg) */
    uint64_t size;    /* bytes of MMIO window */
    void (*reset)(void *dev, const struct uart_sink *sink);
    uint64_t (*read)(void *dev, uint64_t off, unsigned size);
    void (*write)(void *dev, uint64_t off, unsigned size, uint64_t val);
    /* The level of the interrupt line. */
    bool (*irq)(const void *dev);
    /* A received byte; false if there is no room (the caller keeps it for later). */
    bool (*rx)(void *dev, uint8_t b);
    /* No byte arrived for a while: the receive-timeout condition. */
    void (*rx_idle)(void *dev);
};

extern const struct uart_model uart_pl011_model;
extern const struct uart_model uart_ns16550_model;

#endif

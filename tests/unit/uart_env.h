/* SPDX-License-Identifier: MIT */
/*
 * What the UART model tests share (test_pl011.c, test_ns16550.c): the model's output
 * captured in sent[] (nsent counts every byte, also past the buffer), and a reset that
 * connects it.
 */
#ifndef TESTS_UNIT_UART_ENV_H
#define TESTS_UNIT_UART_ENV_H

#include "uart.h"

static uint8_t sent[256];
static unsigned nsent;

static void tx(void *ctx, uint8_t b)
{
    (void)ctx;
    if (nsent < sizeof(sent)) {
        sent[nsent] = b;
    }
    nsent++;
}

/* Reset @dev with @model, its output going to sent[]. */
static void uart_env_reset(const struct uart_model *model, void *dev)
{
    struct uart_sink sink = {.tx = tx};

    nsent = 0;
    model->reset(dev, &sink);
}

#endif

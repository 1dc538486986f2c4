/* SPDX-License-Identifier: MIT */
/*
 * NS16550-compatible UART: transmit polled, receive from its interrupt (RBR/THR at 0,
 * IER at 1, FCR at 2 (write only), MCR at 4, LSR at 5, each << reg-shift).
 */
#include <bulkhead/console.h>

#define NS16550_RBR      0
#define NS16550_THR      0
#define NS16550_IER      1
#define NS16550_FCR      2
#define NS16550_MCR      4
#define NS16550_LSR      5
#define NS16550_IER_RDI  (1u << 0) /* received data available (and its timeout) */
#define NS16550_FCR_FE   (1u << 0) /* FIFOs on, trigger at 1 byte; bytes wait there */
#define NS16550_MCR_OUT2 (1u << 3) /* gates the interrupt line on PC-style boards */
#define NS16550_LSR_DR   (1u << 0) /* data ready */
#define NS16550_LSR_THRE (1u << 5) /* transmit holding register empty */

static inline volatile uint8_t *reg(uintptr_t base, unsigned reg_shift, unsigned r)
{
    return (volatile uint8_t *)(base + (r << reg_shift));
}

static void ns16550_putc(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift, char c)
{
    (void)drv;
    while (!(*reg(base, reg_shift, NS16550_LSR) & NS16550_LSR_THRE)) {
    }
    *reg(base, reg_shift, NS16550_THR) = (uint8_t)c;
}

static int ns16550_getc(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift)
{
    (void)drv;
    if (!(*reg(base, reg_shift, NS16550_LSR) & NS16550_LSR_DR)) {
        return -1;
    }
    return *reg(base, reg_shift, NS16550_RBR);
}

static void ns16550_rx_irq_enable(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift)
{
    (void)drv;
    *reg(base, reg_shift, NS16550_FCR) = NS16550_FCR_FE; /* without clearing them */
    *reg(base, reg_shift, NS16550_MCR) |= NS16550_MCR_OUT2;
    *reg(base, reg_shift, NS16550_IER) |= NS16550_IER_RDI;
}

static const char *const ns16550_compat[] = {"ns16550a", "ns16550", "snps,dw-apb-uart", NULL};

const struct uart_driver uart_ns16550 = {
    .name = "ns16550",
    .compat = ns16550_compat,
    .putc = ns16550_putc,
    .getc = ns16550_getc,
    .rx_irq_enable = ns16550_rx_irq_enable,
};

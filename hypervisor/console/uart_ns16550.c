/* SPDX-License-Identifier: MIT */
/* NS16550-compatible UART, transmit only, polled (THR at 0, LSR at 5 << reg-shift). */
#include <bulkhead/console.h>

#define NS16550_THR      0
#define NS16550_LSR      5
#define NS16550_LSR_THRE (1u << 5) /* transmit holding register empty */

static void ns16550_putc(const struct uart_driver *drv, uintptr_t base, unsigned reg_shift, char c)
{
    volatile uint8_t *lsr = (volatile uint8_t *)(base + (NS16550_LSR << reg_shift));
    volatile uint8_t *thr = (volatile uint8_t *)(base + (NS16550_THR << reg_shift));

    (void)drv;
    while (!(*lsr & NS16550_LSR_THRE)) {
    }
    *thr = (uint8_t)c;
}

static const char *const ns16550_compat[] = {"ns16550a", "ns16550", "snps,dw-apb-uart", NULL};

const struct uart_driver uart_ns16550 = {
    .name = "ns16550",
    .compat = ns16550_compat,
    .putc = ns16550_putc,
};

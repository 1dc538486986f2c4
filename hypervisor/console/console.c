/* SPDX-License-Identifier: MIT */
/* The console: the arch's early console until a DT UART is chosen, then that UART; its
 * receive interrupt feeds console_input.c. */
#include <string.h>

#include <bulkhead/arch.h>
#include <bulkhead/console.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>

extern const struct uart_driver uart_pl011;
extern const struct uart_driver uart_ns16550;

static const struct uart_driver *const uart_drivers[] = {&uart_pl011, &uart_ns16550};

static struct uart_desc console_uart;

const struct uart_driver *console_find_driver(const char *compat)
{
    for (size_t i = 0; i < sizeof(uart_drivers) / sizeof(uart_drivers[0]); i++) {
        for (const char *const *c = uart_drivers[i]->compat; *c; c++) {
            if (strcmp(*c, compat) == 0) {
                return uart_drivers[i];
            }
        }
    }
    return NULL;
}

void console_use_uart(const struct uart_desc *uart)
{
    console_uart = *uart;
}

static void console_putc(char c)
{
    const struct uart_driver *drv = console_uart.drv;

    if (drv) {
        drv->putc(drv, (uintptr_t)pa_addr(console_uart.base), console_uart.reg_shift, c);
    } else {
        arch_early_putc(c);
    }
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            console_putc('\r');
        }
        console_putc(s[i]);
    }
}

#define RX_BATCH  32
#define RX_ROUNDS 4 /* batches per interrupt: a level interrupt fires again for the rest */

static void console_rx_interrupt(void)
{
    const struct uart_driver *drv = console_uart.drv;
    uintptr_t base = (uintptr_t)pa_addr(console_uart.base);

    for (unsigned r = 0; r < RX_ROUNDS; r++) {
        char buf[RX_BATCH];
        size_t n = 0;
        int c;

        while (n < sizeof(buf) && (c = drv->getc(drv, base, console_uart.reg_shift)) >= 0) {
            buf[n++] = (char)c;
        }
        if (!n) {
            return;
        }
        console_input_bytes(buf, n);
    }
}

int console_input_enable(void)
{
    const struct uart_driver *drv = console_uart.drv;
    int rc;

    if (!drv || !drv->getc || !console_uart.irq_cells) {
        printk("console: no UART receive interrupt in the device tree: output only\n");
        return -ENODEV;
    }
    rc = arch_irq_request(console_uart.irq, console_uart.irq_cells, console_rx_interrupt);
    if (rc) {
        printk("console: the UART's interrupt is refused (%d): output only\n", rc);
        return rc;
    }
    drv->rx_irq_enable(drv, (uintptr_t)pa_addr(console_uart.base), console_uart.reg_shift);
    printk("console: input on; CTRL-a three times switches it between the hypervisor and "
           "the guests ('h' for keys)\n");
    return 0;
}

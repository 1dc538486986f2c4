/* SPDX-License-Identifier: MIT */
/* The console: the arch's early console until a DT UART is chosen, then that UART. */
#include <string.h>

#include <bulkhead/arch.h>
#include <bulkhead/console.h>

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

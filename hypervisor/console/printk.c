/* SPDX-License-Identifier: MIT */
/* printk and panic. */
#include <fmt.h>

#include <bulkhead/arch.h>
#include <bulkhead/console.h>
#include <bulkhead/printk.h>
#include <bulkhead/spinlock.h>

#define PRINTK_MAX 256

static struct spinlock console_lock = SPINLOCK_INIT;

void vprintk(const char *fmt, va_list ap)
{
    char buf[PRINTK_MAX];
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n >= (int)sizeof(buf)) {
        n = sizeof(buf) - 1;
    }
    spin_lock(&console_lock);
    console_write(buf, (size_t)n);
    spin_unlock(&console_lock);
}

void printk_line(const char *prefix, const char *text, unsigned long n)
{
    size_t plen = 0;

    while (prefix[plen]) {
        plen++;
    }
    spin_lock(&console_lock);
    console_write(prefix, plen);
    console_write(text, n);
    console_write("\n", 1);
    spin_unlock(&console_lock);
}

void printk_raw(const char *text, unsigned long n)
{
    spin_lock(&console_lock);
    console_write(text, n);
    spin_unlock(&console_lock);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    char buf[PRINTK_MAX];
    va_list ap;

    arch_irq_disable();
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk("bulkhead: PANIC: %s\n", buf);
    printk("bulkhead: stopping the board\n");
    arch_system_off();
}

/* SPDX-License-Identifier: MIT */
/*
 * printk and panic, and the console history (Xen's conring): the last CONRING_SIZE bytes
 * of the hypervisor's own lines and the labelled guest lines, kept for
 * XEN_SYSCTL_readconsole (`bh> dmesg`). The control domain's raw shell output (its
 * prompt, echo and command output) is not kept: it is the operator's own terminal.
 */
#include <fmt.h>

#include <bulkhead/arch.h>
#include <bulkhead/console.h>
#include <bulkhead/printk.h>
#include <bulkhead/spinlock.h>

#define PRINTK_MAX 256

static struct spinlock console_lock = SPINLOCK_INIT;

/* Under console_lock. conring_prod counts every byte ever kept (it wraps at 2^32). */
static char conring[CONRING_SIZE];
static uint32_t conring_prod, conring_start; /* bytes before conring_start were cleared */

static void keep(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        conring[conring_prod++ % CONRING_SIZE] = s[i];
    }
}

/* Write and keep: the console's two jobs, under console_lock. */
static void out(const char *s, size_t n)
{
    console_write(s, n);
    keep(s, n);
}

size_t console_history(uint32_t *index, bool from_index, char *buf, size_t max, bool clear)
{
    uint32_t oldest, at, n = 0;

    spin_lock(&console_lock);
    oldest =
        conring_prod - conring_start > CONRING_SIZE ? conring_prod - CONRING_SIZE : conring_start;
    at = oldest;
    /* An index the ring has moved past (or one from the future) reads from the oldest. */
    if (from_index && *index - oldest <= conring_prod - oldest) {
        at = *index;
    }
    while (at != conring_prod && n < max) {
        buf[n++] = conring[at++ % CONRING_SIZE];
    }
    *index = at;
    if (clear) {
        conring_start = conring_prod;
    }
    spin_unlock(&console_lock);
    return n;
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[PRINTK_MAX];
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n >= (int)sizeof(buf)) {
        n = sizeof(buf) - 1;
    }
    spin_lock(&console_lock);
    out(buf, (size_t)n);
    spin_unlock(&console_lock);
}

void printk_part(const char *prefix, const char *text, unsigned long n, bool newline)
{
    size_t plen = 0;

    while (prefix && prefix[plen]) {
        plen++;
    }
    spin_lock(&console_lock);
    out(prefix, plen);
    out(text, n);
    if (newline) {
        out("\n", 1);
    }
    spin_unlock(&console_lock);
}

void printk_line(const char *prefix, const char *text, unsigned long n)
{
    printk_part(prefix, text, n, true);
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

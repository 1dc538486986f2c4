/* SPDX-License-Identifier: MIT */
/*
 * console_io: every domain may write to the board console. Output is assembled into
 * lines per domain and printed whole as "(d<id>) text", so domains never interleave
 * within a line. A token bucket (64 lines burst, 32 lines/s) keeps a flooding domain
 * from drowning the console; dropped lines are counted and reported.
 */
#include <stdint.h>

#include <xen/xen.h>

#include <bulkhead/arch.h>
#include <bulkhead/boot.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/printk.h>

#define CON_BURST_LINES   64
#define CON_LINES_PER_SEC 32
#define CON_CHUNK         128
#define CON_MAX_WRITE     (64 * 1024) /* bytes per hypercall; more is -EINVAL */

static bool take_token(struct domain *d)
{
    uint64_t now = arch_timer_now();
    uint64_t ms = timer_ticks_to_us(now - d->con_refill_at) / 1000;

    if (ms) {
        d->con_tokens = MIN(d->con_tokens + ms * CON_LINES_PER_SEC, CON_BURST_LINES * 1000ull);
        d->con_refill_at = now;
    }
    if (d->con_tokens < 1000) {
        return false;
    }
    d->con_tokens -= 1000;
    return true;
}

void console_guest_flush(struct domain *d)
{
    if (d->con_len == 0) {
        return;
    }
    if (take_token(d)) {
        if (d->con_dropped) {
            printk("(d%u) [%llu lines dropped: console rate limit]\n", d->id,
                   (unsigned long long)d->con_dropped);
            d->con_dropped = 0;
        }
        d->con_line[d->con_len] = '\0';
        printk("(d%u) %s\n", d->id, d->con_line);
    } else {
        d->con_dropped++;
    }
    d->con_len = 0;
}

void console_guest_write(struct domain *d, const char *s, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        char c = s[i];

        if (c == '\n') {
            console_guest_flush(d);
            continue;
        }
        if (c == '\r') {
            continue;
        }
        /* Keep the console a text stream: no escape sequences from guests. */
        d->con_line[d->con_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
        if (d->con_len == sizeof(d->con_line) - 1) {
            console_guest_flush(d);
        }
    }
}

int64_t do_console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf, uint64_t a3,
                      uint64_t a4)
{
    char chunk[CON_CHUNK];

    (void)a3;
    (void)a4;
    if (cmd != CONSOLEIO_write) {
        /* CONSOLEIO_read is for the control domain; none exists yet. */
        return cmd == CONSOLEIO_read ? -EPERM : -ENOSYS;
    }
    if (count > CON_MAX_WRITE) {
        return -EINVAL;
    }
    for (uint64_t done = 0; done < count;) {
        uint64_t n = MIN(count - done, sizeof(chunk));
        int rc = copy_from_guest(v, chunk, buf + done, n);

        if (rc) {
            return rc;
        }
        console_guest_write(v->dom, chunk, n);
        done += n;
    }
    /* Xen returns 0 for a complete write. */
    return 0;
}

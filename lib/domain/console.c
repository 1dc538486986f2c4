/* SPDX-License-Identifier: MIT */
/* Console output over CONSOLEIO_write; formatting by lib/common/fmt. */
#include <stdarg.h>
#include <string.h>

#include "dom/dom.h"
#include "fmt.h"

/*
 * The hypervisor drops console lines beyond a burst of 64 and then 32 lines/s per
 * domain (hypervisor/hypercall/console_io.c). A test guest's PASS lines must all
 * arrive, so we pace ourselves a little below that: a bucket of DOM_CON_BURST lines,
 * refilled at DOM_CON_RATE lines/s; an empty bucket sleeps on the singleshot timer.
 * The bootarg console_pacing=0 turns this off, for a hypervisor whose guest console is
 * lossless (TODO(#12): once it is lossless by default, delete the pacing: con_pace(),
 * con_pacing() and their state, and this switch).
 */
#define DOM_CON_BURST 48
#define DOM_CON_RATE  25

/* Held across pacing and the write: the bucket is shared by all vCPUs, and a line is one
 * write, so lines of different vCPUs do not interleave. */
static struct dom_lock con_lock;
static uint64_t con_tokens_ms = DOM_CON_BURST * 1000; /* lines x 1000 */
static uint64_t con_refill_ns;

/* Whether to pace: decided once, at the first paced write after dom_init() (the
 * bootargs never change; callers hold con_lock). */
static bool con_pacing(void)
{
    static int pacing = -1;

    if (pacing < 0) {
        pacing = !dom_arg_is("console_pacing", "0");
    }
    return pacing;
}

static void con_pace(size_t lines)
{
    if (!dom_info.timer_hz) {
        return; /* before dom_init(): no clock yet */
    }
    if (!con_pacing()) {
        return;
    }
    while (lines--) {
        for (;;) {
            uint64_t now = dom_now_ns();
            uint64_t ms = (now - con_refill_ns) / 1000000;

            if (ms) {
                con_tokens_ms += ms * DOM_CON_RATE;
                if (con_tokens_ms > DOM_CON_BURST * 1000) {
                    con_tokens_ms = DOM_CON_BURST * 1000;
                }
                con_refill_ns = now;
            }
            if (con_tokens_ms >= 1000) {
                con_tokens_ms -= 1000;
                break;
            }
            dom_sleep_ms((1000 - con_tokens_ms) / DOM_CON_RATE + 1);
        }
    }
}

long dom_write(const char *s, size_t len)
{
    size_t lines = 0;
    long ret;

    for (size_t i = 0; i < len; i++) {
        lines += s[i] == '\n';
    }
    dom_lock(&con_lock);
    con_pace(lines);
    ret = HYPERVISOR_console_io(CONSOLEIO_write, (int)len, s);
    dom_unlock(&con_lock);
    return ret;
}

void dom_puts(const char *s)
{
    dom_write(s, strlen(s));
}

void dom_printf(const char *fmt, ...)
{
    /* One write per call, so a line is not interleaved with another vCPU's output;
     * longer output is truncated (use dom_write for bulk text). */
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    dom_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

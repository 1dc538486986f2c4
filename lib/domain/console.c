/* SPDX-License-Identifier: MIT */
/* Console output over CONSOLEIO_write; formatting by lib/common/fmt. */
#include <stdarg.h>
#include <string.h>

#include "dom/dom.h"
#include "fmt.h"

/* Held across the write, so a line (one write) of one vCPU does not interleave with
 * another's. The hypervisor prints every line (its guest console is lossless unless the
 * operator chooses guest_console=drop), so the runtime does not pace itself. */
static struct dom_lock con_lock;
int dom_console_write_cmd = CONSOLEIO_write;

long dom_write(const char *s, size_t len)
{
    long ret;

    dom_lock(&con_lock);
    ret = HYPERVISOR_console_io(dom_console_write_cmd, (int)len, s);
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

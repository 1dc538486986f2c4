/* SPDX-License-Identifier: MIT */
/* Domains' console output. See include/bulkhead/guest_console.h. */
#include <string.h>

#include <fmt.h>

#include <bulkhead/console.h>
#include <bulkhead/domain.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/printk.h>
#include <bulkhead/time.h>

#define BURST_LINES   64
#define LINES_PER_SEC 32

static enum guest_console_policy policy = GUEST_CONSOLE_ALL;

void guest_console_set_policy(enum guest_console_policy p)
{
    policy = p;
}

bool guest_console_parse_policy(const char *s, enum guest_console_policy *p)
{
    if (!strcmp(s, "all")) {
        *p = GUEST_CONSOLE_ALL;
    } else if (!strcmp(s, "drop")) {
        *p = GUEST_CONSOLE_DROP;
    } else {
        return false;
    }
    return true;
}

void guest_console_init(struct guest_console *c, unsigned domid)
{
    c->lock = (struct spinlock)SPINLOCK_INIT;
    c->domid = domid;
    c->len = 0;
    c->shown = 0;
    c->tokens = BURST_LINES * 1000ull;
    c->refill_at = time_now();
    c->dropped = 0;
    c->in_lock = (struct spinlock)SPINLOCK_INIT;
    c->in_prod = c->in_cons = 0;
    c->in_received = c->in_dropped = 0;
}

size_t guest_console_input_put(struct guest_console *c, const char *s, size_t n)
{
    size_t done = 0;

    spin_lock(&c->in_lock);
    while (done < n && c->in_prod - c->in_cons < GUEST_CONSOLE_INPUT) {
        c->in[c->in_prod++ % GUEST_CONSOLE_INPUT] = s[done++];
    }
    c->in_received += n;
    c->in_dropped += n - done;
    spin_unlock(&c->in_lock);
    return done;
}

size_t guest_console_input_peek(struct guest_console *c, char *buf, size_t n, uint32_t *at)
{
    size_t done = 0;

    spin_lock(&c->in_lock);
    *at = c->in_cons;
    while (done < n && c->in_cons + done != c->in_prod) {
        buf[done] = c->in[(c->in_cons + done) % GUEST_CONSOLE_INPUT];
        done++;
    }
    spin_unlock(&c->in_lock);
    return done;
}

bool guest_console_input_consume(struct guest_console *c, uint32_t at, size_t n)
{
    bool ok;

    spin_lock(&c->in_lock);
    ok = c->in_cons == at && c->in_prod - at >= n;
    if (ok) {
        c->in_cons = at + (uint32_t)n;
    }
    spin_unlock(&c->in_lock);
    return ok;
}

/* Under the lock: may one more line be printed (drop policy)? */
static bool take_token(struct guest_console *c)
{
    uint64_t now = time_now();
    uint64_t ms = time_ticks_to_us(now - c->refill_at) / 1000;

    if (ms) {
        c->tokens = MIN(c->tokens + ms * LINES_PER_SEC, BURST_LINES * 1000ull);
        c->refill_at = now;
    }
    if (c->tokens < 1000) {
        return false;
    }
    c->tokens -= 1000;
    return true;
}

static void report_dropped(struct guest_console *c)
{
    if (c->dropped) {
        printk("(d%u) [%llu lines dropped: console rate limit]\n", c->domid,
               (unsigned long long)c->dropped);
        c->dropped = 0;
    }
}

/* Under the lock: print the assembled line (the rest of it, if a part was shown). */
static void emit(struct guest_console *c)
{
    char prefix[16];

    if (c->shown) {
        printk_part(NULL, c->line + c->shown, c->len - c->shown, true);
        c->len = c->shown = 0;
        return;
    }
    if (policy == GUEST_CONSOLE_DROP) {
        if (!take_token(c)) {
            c->dropped++;
            c->len = 0;
            return;
        }
        report_dropped(c);
    }
    fmt_snprintf(prefix, sizeof(prefix), "(d%u) ", c->domid);
    printk_line(prefix, c->line, c->len);
    c->len = 0;
}

/* Only the console inside struct domain is touched: the label is console state. */
void guest_console_set_label(struct domain *d, uint16_t label)
{
    struct guest_console *c = &d->console;

    spin_lock(&c->lock);
    if (c->len) {
        emit(c);
    }
    report_dropped(c);
    c->domid = label;
    spin_unlock(&c->lock);
}

void guest_console_write(struct guest_console *c, const char *s, size_t n)
{
    spin_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];

        if (ch == '\n') {
            if (c->len) {
                emit(c);
            }
            continue;
        }
        if (ch == '\r') {
            continue;
        }
        /* Keep the console a text stream: no escape sequences from guests. */
        c->line[c->len++] = (ch >= 0x20 && ch < 0x7f) || ch == '\t' ? ch : '?';
        if (c->len == sizeof(c->line)) {
            emit(c);
        }
    }
    /* The domain the operator types to: what it wrote of a line shows at once (a shell's
     * prompt has no newline), prefixed once; the rest follows when the line ends. */
    if (c->len > c->shown && console_input_focus() == c->domid) {
        char prefix[16];

        fmt_snprintf(prefix, sizeof(prefix), "(d%u) ", c->domid);
        printk_part(c->shown ? NULL : prefix, c->line + c->shown, c->len - c->shown, false);
        c->shown = c->len;
    }
    spin_unlock(&c->lock);
}

void guest_console_close(struct guest_console *c)
{
    spin_lock(&c->lock);
    if (c->len) {
        emit(c);
    }
    report_dropped(c);
    spin_unlock(&c->lock);
}

/* SPDX-License-Identifier: MIT */
/*
 * The board console's input: who has the focus, CTRL-a x3 to move it, the hypervisor's
 * keys. See include/bulkhead/console.h and docs/console.md.
 *
 * Bytes arrive from the UART's receive interrupt, which the arch routes to one CPU; the
 * input lock still serialises callers (unit tests drive it from several threads). It is
 * taken with interrupts masked and nothing else held, and comes before every lock the
 * delivery and the key handlers take (domain_lock, a domain's input and evtchn locks,
 * the console lock).
 */
#include <bulkhead/console.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>
#include <bulkhead/spinlock.h>

#define DELIVER_BATCH 32

struct console_key {
    char key;
    const char *help;
    void (*fn)(char key);
};

static void help_key(char key);

static struct spinlock input_lock = SPINLOCK_INIT;
static const struct console_input_ops *input_ops;
static unsigned focus;       /* 0: the hypervisor; else a domain id */
static unsigned switch_hits; /* CTRL-a typed in a row, not yet passed on */
static struct console_key keys[CONSOLE_MAX_KEYS] = {{'h', "this help", help_key}};
static unsigned nr_keys = 1;

void console_input_register(const struct console_input_ops *ops)
{
    spin_lock(&input_lock);
    input_ops = ops;
    spin_unlock(&input_lock);
}

int console_register_key(char key, const char *help, void (*fn)(char key))
{
    int rc = 0;

    spin_lock(&input_lock);
    for (unsigned i = 0; i < nr_keys; i++) {
        if (keys[i].key == key) {
            rc = -EEXIST;
        }
    }
    if (!rc && nr_keys == CONSOLE_MAX_KEYS) {
        rc = -ENOSPC;
    }
    if (!rc) {
        keys[nr_keys++] = (struct console_key){key, help, fn};
    }
    spin_unlock(&input_lock);
    return rc;
}

unsigned console_input_focus(void)
{
    return __atomic_load_n(&focus, __ATOMIC_RELAXED);
}

/* Under the input lock. */
static void help_key(char key)
{
    (void)key;
    printk("console: keys for the hypervisor (CTRL-a three times moves the input on):\n");
    for (unsigned i = 0; i < nr_keys; i++) {
        printk("console:   '%c'  %s\n", keys[i].key, keys[i].help);
    }
}

static void announce(void)
{
    if (focus) {
        printk("console: *** Switching input to d%u (type 'CTRL-a' three times to switch "
               "input)\n",
               focus);
    } else {
        printk("console: *** Switching input to the hypervisor (type 'CTRL-a' three times to "
               "switch input; 'h' for keys)\n");
    }
}

void console_input_set_focus(unsigned domid, bool say)
{
    spin_lock(&input_lock);
    __atomic_store_n(&focus, domid, __ATOMIC_RELAXED);
    switch_hits = 0;
    if (say) {
        announce();
    }
    spin_unlock(&input_lock);
}

/* Under the input lock: the focus moves to the next guest, or back to the hypervisor. */
static void switch_focus(void)
{
    unsigned next = input_ops ? input_ops->next_focus(focus) : 0;

    __atomic_store_n(&focus, next, __ATOMIC_RELAXED);
    announce();
}

/* Under the input lock: a key typed at the hypervisor. */
static void hypervisor_key(char c)
{
    for (unsigned i = 0; i < nr_keys; i++) {
        if (keys[i].key == c) {
            keys[i].fn(c);
            return;
        }
    }
    if (c == '\r' || c == '\n') {
        return; /* an Enter typed out of habit */
    }
    if (c >= 0x20 && c < 0x7f) {
        printk("console: key '%c' does nothing here; 'h' lists the keys\n", c);
    } else {
        printk("console: key 0x%02x does nothing here; 'h' lists the keys\n", (unsigned char)c);
    }
}

/* Under the input lock: @n bytes for whoever has the focus. */
static void send(const char *s, size_t n)
{
    if (!n) {
        return;
    }
    if (!focus) {
        for (size_t i = 0; i < n; i++) {
            hypervisor_key(s[i]);
        }
        return;
    }
    if (!input_ops || input_ops->deliver(focus, s, n) == -ESRCH) {
        printk("console: d%u is gone; input goes back to the hypervisor\n", focus);
        __atomic_store_n(&focus, 0, __ATOMIC_RELAXED);
    }
}

void console_input_bytes(const char *s, size_t n)
{
    char run[DELIVER_BATCH];
    size_t len = 0;

    spin_lock(&input_lock);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == CONSOLE_SWITCH_CHAR) {
            /* As Xen: the switch code is held back until it is clear it is not a switch. */
            if (++switch_hits == CONSOLE_SWITCH_HITS) {
                send(run, len);
                len = 0;
                switch_hits = 0;
                switch_focus();
            }
            continue;
        }
        for (; switch_hits; switch_hits--) {
            if (len == sizeof(run)) {
                send(run, len);
                len = 0;
            }
            run[len++] = CONSOLE_SWITCH_CHAR;
        }
        if (len == sizeof(run)) {
            send(run, len);
            len = 0;
        }
        run[len++] = s[i];
    }
    send(run, len);
    spin_unlock(&input_lock);
}

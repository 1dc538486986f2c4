/* SPDX-License-Identifier: MIT */
/*
 * A domain's console (Xen's console_io write): its bytes are assembled into lines and
 * printed whole on the board console as "(d<id>) text". The state is embedded in struct
 * domain and has its own lock, so two vCPUs of one domain may write at once; a line is
 * printed under the console lock, which is fair (a ticket lock), so domains writing at
 * once take turns line by line.
 *
 * Policies (hypervisor command line `guest_console=`):
 *   all   (default) every line is printed. The console is written synchronously, so a
 *         domain that writes faster than the UART drains is slowed down by its own
 *         writes, never truncated.
 *   drop  for untrusted tenants: a token bucket (64-line burst, 32 lines/s) per domain;
 *         lines past it are dropped and counted, and the count is reported before the
 *         next printed line and when the domain ends.
 */
#ifndef BULKHEAD_GUEST_CONSOLE_H
#define BULKHEAD_GUEST_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spinlock.h"

/* Longest line printed in one piece; longer ones are split (Xen splits at 200 or more). */
#define GUEST_CONSOLE_LINE 255

enum guest_console_policy {
    GUEST_CONSOLE_ALL,
    GUEST_CONSOLE_DROP,
};

struct guest_console {
    struct spinlock lock;
    unsigned domid;     /* the "(d<id>)" prefix */
    unsigned len;       /* bytes in line[] */
    uint64_t tokens;    /* drop policy: lines that may still be printed, x 1000 */
    uint64_t refill_at; /* counter value of the last refill */
    uint64_t dropped;   /* lines dropped and not yet reported */
    char line[GUEST_CONSOLE_LINE];
};

/* Choose the policy for every domain (boot, from the command line). */
void guest_console_set_policy(enum guest_console_policy p);

/* Parse a `guest_console=` value; false if unknown. */
bool guest_console_parse_policy(const char *s, enum guest_console_policy *p);

/* Set up a domain's console. */
void guest_console_init(struct guest_console *c, unsigned domid);

/* Write @n bytes. Control characters other than tab become '?'; '\r' is dropped. */
void guest_console_write(struct guest_console *c, const char *s, size_t n);

/* The domain ends: print its partial line, and report lines dropped. */
void guest_console_close(struct guest_console *c);

#endif

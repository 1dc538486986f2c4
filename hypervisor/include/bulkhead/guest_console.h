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
 *
 * The label: lines are printed as "(d<label>)", the domain's own id unless it is set
 * with guest_console_set_label(): a stub domain's console is its target's (the stub
 * writes the guest's UART output), so it carries the target's id.
 *
 * Input (docs/console.md): the board console's input, when its focus is on this domain,
 * is queued in a small ring here (guest_console_input_put, from the UART's receive
 * interrupt through hypercall/console_io.c), and read by the domain with CONSOLEIO_read
 * (guest_console_input_get) after VIRQ_CONSOLE. A full ring drops and counts; it never
 * makes the hypervisor wait for the domain.
 */
#ifndef BULKHEAD_GUEST_CONSOLE_H
#define BULKHEAD_GUEST_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spinlock.h"

/* Longest line printed in one piece; longer ones are split (Xen splits at 200 or more). */
#define GUEST_CONSOLE_LINE 255

/* Bytes of console input a domain may have unread (a power of two). */
#define GUEST_CONSOLE_INPUT 256

enum guest_console_policy {
    GUEST_CONSOLE_ALL,
    GUEST_CONSOLE_DROP,
};

struct guest_console {
    struct spinlock lock;
    unsigned domid;     /* the "(d<id>)" prefix: the domain's id, or the label set */
    unsigned len;       /* bytes in line[] */
    unsigned shown;     /* of those, already printed: a partial line shown at the focus */
    uint64_t tokens;    /* drop policy: lines that may still be printed, x 1000 */
    uint64_t refill_at; /* counter value of the last refill */
    uint64_t dropped;   /* lines dropped and not yet reported */
    char line[GUEST_CONSOLE_LINE];
    /* Input: its own lock (a leaf), so input never waits for a line being printed. */
    struct spinlock in_lock;
    uint32_t in_prod;     /* bytes ever queued (free-running) */
    uint32_t in_cons;     /* bytes ever read */
    uint64_t in_received; /* bytes ever offered to the ring */
    uint64_t in_dropped;  /* bytes dropped because the ring was full */
    char in[GUEST_CONSOLE_INPUT];
};

struct domain;

/* Choose the policy for every domain (boot, from the command line). */
void guest_console_set_policy(enum guest_console_policy p);

/* Parse a `guest_console=` value; false if unknown. */
bool guest_console_parse_policy(const char *s, enum guest_console_policy *p);

/* Set up a domain's console. */
void guest_console_init(struct guest_console *c, unsigned domid);

/* Write @n bytes. Control characters other than tab become '?'; '\r' is dropped. */
void guest_console_write(struct guest_console *c, const char *s, size_t n);

/* Print @d's console lines as "(d<label>)" from now on (a stub domain: its target's id).
 * A partial line is printed under the old label first. */
void guest_console_set_label(struct domain *d, uint16_t label);

/* Queue @n input bytes; returns how many fit (the rest are dropped and counted). */
size_t guest_console_input_put(struct guest_console *c, const char *s, size_t n);

/* Copy up to @n queued input bytes into @buf without consuming them; returns how many,
 * and in *@at where they start (for guest_console_input_consume). */
size_t guest_console_input_peek(struct guest_console *c, char *buf, size_t n, uint32_t *at);

/* Consume the @n bytes a peek returned at @at, unless another reader (a second vCPU)
 * consumed them first: then false, and nothing changes. */
bool guest_console_input_consume(struct guest_console *c, uint32_t at, size_t n);

/* The domain ends: print its partial line, and report lines dropped. */
void guest_console_close(struct guest_console *c);

#endif

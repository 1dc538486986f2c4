/* SPDX-License-Identifier: MIT */
/*
 * The domain runtime: what every Bulkhead domain program (test guests, and later
 * dom0-lite, stub and driver domains) runs on. The arch start code zeroes BSS, sets a
 * stack and calls dom_main(dtb); dom_main() calls dom_init() first. When dom_main()
 * returns, the domain shuts down (poweroff for 0, crash otherwise).
 */
#ifndef DOM_DOM_H
#define DOM_DOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dom/hypercall.h"

#define DOM_PAGE_SIZE 4096ul

/* The program's entry point, called by the arch start code with the guest DTB. */
int dom_main(void *dtb);

/* Called by the start code when dom_main() returns. */
void dom_exit(int status) __attribute__((noreturn));

/* What the device tree told us. Filled by dom_init(). */
struct dom_info {
    const void *fdt;      /* the guest DTB (guest-physical = virtual, MMU off) */
    uint64_t fdt_size;    /* its totalsize */
    uint64_t ram_base;    /* first /memory range, guest-physical */
    uint64_t ram_size;    /* bytes */
    const char *bootargs; /* /chosen bootargs, "" if none */
    uint64_t timer_hz;    /* counter frequency */
};

extern struct dom_info dom_info;

/* Parse @dtb into dom_info. Returns 0 or a negative Xen errno (after printing why). */
int dom_init(void *dtb);

/* Console output through CONSOLEIO_write. dom_write() returns the hypercall result. */
long dom_write(const char *s, size_t len);
void dom_puts(const char *s);
void dom_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SCHEDOP_shutdown(@reason) (SHUTDOWN_*). Does not return: if the hypervisor refuses,
 * it tries the firmware interface, then idles forever. */
void dom_shutdown(unsigned int reason) __attribute__((noreturn));

/*
 * Bootargs are space-separated "key=value" words (or bare "key").
 * dom_arg() copies the value of @key into @buf (NUL-terminated) and returns true if the
 * key is present. dom_arg_u64() parses decimal or 0x-hex with an optional K/M/G suffix.
 */
bool dom_arg(const char *key, char *buf, size_t size);
uint64_t dom_arg_u64(const char *key, uint64_t dflt);
bool dom_arg_is(const char *key, const char *value);
/* Parse a number as dom_arg_u64 does. Returns false on a malformed string. */
bool dom_parse_u64(const char *s, uint64_t *out);

/* The guest-visible counter and conversions. */
uint64_t dom_now_ns(void);
void dom_sleep_ms(uint64_t ms);

/*
 * Free RAM: every page of guest RAM that holds neither the loaded image (with its BSS
 * and stacks) nor the DTB. dom_free_next() returns the next free page-aligned range at
 * or above @from as [*start, *end), false when there is none.
 */
bool dom_free_next(uint64_t from, uint64_t *start, uint64_t *end);

#endif

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
    const void *fdt;                   /* the guest DTB (guest-physical = virtual, MMU off) */
    uint64_t fdt_size;                 /* its totalsize */
    uint64_t ram_base;                 /* first /memory range, guest-physical */
    uint64_t ram_size;                 /* bytes */
    const char *bootargs;              /* /chosen bootargs, "" if none */
    uint64_t timer_hz;                 /* counter frequency */
    unsigned nr_cpus;                  /* device_type = "cpu" nodes under /cpus (at least 1) */
    uint64_t initrd_start, initrd_end; /* /chosen linux,initrd-*, inside RAM; 0 if none */
};

extern struct dom_info dom_info;

/* Parse @dtb into dom_info. Returns 0 or a negative Xen errno (after printing why). */
int dom_init(void *dtb);

/* Console output through CONSOLEIO_write. dom_write() returns the hypercall result.
 * dom_console_write_cmd is the console_io command used (dom0-lite's shell sets Bulkhead's
 * raw write, docs/dom0-lite.md). */
extern int dom_console_write_cmd;
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
/* Counter ticks to nanoseconds (after dom_init()). */
uint64_t dom_ticks_to_ns(uint64_t ticks);
void dom_sleep_ms(uint64_t ms);

/*
 * Free RAM: every page of guest RAM that holds neither the loaded image (with its BSS
 * and stacks), the DTB nor the initrd. dom_free_next() returns the next free page-aligned range at
 * or above @from as [*start, *end), false when there is none.
 */
bool dom_free_next(uint64_t from, uint64_t *start, uint64_t *end);

/*
 * An exception the runtime has no handler for, arch-neutral: @cause is ESR_EL1 / scause,
 * @pc the faulting instruction, @addr FAR_EL1 / stval. If dom_fault_hook is set, the
 * arch's reporter calls it before printing the exception and shutting down with
 * SHUTDOWN_crash (an event-loop program's fault() entry point, dom/program.h).
 */
struct dom_fault {
    uint64_t cause;
    uint64_t pc;
    uint64_t addr;
};

extern void (*dom_fault_hook)(const struct dom_fault *f);

/* ---- vCPUs (lib/domain/smp.c) ---- */

#define DOM_MAX_VCPUS       8
#define DOM_VCPU_STACK_SIZE 16384

/* What a secondary's start code reads from its start argument (head.S: the offsets). */
struct dom_vcpu_boot {
    uint64_t sp; /* top of its stack */
    uint64_t fn; /* void (*)(unsigned id) */
    uint64_t id; /* its vCPU id, fn's argument */
};

/*
 * Start vCPU @id (1 .. DOM_MAX_VCPUS - 1) running @fn(id) on its own stack; when @fn
 * returns, the vCPU stops. Returns 0, or a negative Xen errno: -XEN_EEXIST if it is
 * running (or not fully stopped yet), -XEN_EINVAL if there is no such vCPU,
 * -XEN_EFAULT for an entry the firmware refused, -XEN_EIO for anything else.
 */
int dom_vcpu_start(unsigned id, void (*fn)(unsigned id));

/* Stop the calling vCPU. */
void dom_vcpu_stop(void) __attribute__((noreturn));

/* 1 if vCPU @id is running (or about to), 0 if it is stopped, else a negative errno. */
int dom_vcpu_status(unsigned id);

/* The calling vCPU's id. */
unsigned dom_vcpu_self(void);

/*
 * A spinlock for the few things vCPUs share (the console). Waiters give their CPU away
 * (dom_arch_relax) rather than spin. Not recursive. Atomics with the MMU off work on
 * QEMU; real cores may not support exclusives on Device memory (turn the MMU on first).
 */
struct dom_lock {
    uint32_t locked;
};

void dom_lock(struct dom_lock *l);
void dom_unlock(struct dom_lock *l);

#endif

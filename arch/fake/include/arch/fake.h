/* SPDX-License-Identifier: MIT */
/*
 * The fake arch's controls for host unit tests: the captured console, the simulated
 * counter and timer, and the fake page-table formats. Only tests include this header;
 * the core sees the fake through bulkhead/arch.h like any other arch.
 */
#ifndef BULKHEAD_ARCH_FAKE_H
#define BULKHEAD_ARCH_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bulkhead/pgtable.h>

/* ---- console: every arch_early_putc() byte, '\r' included ---- */

/* Forget what was captured. */
void fake_console_reset(void);

/* The capture so far, NUL-terminated (truncated at 64 KiB). */
const char *fake_console_text(void);

/* True if the capture contains @s. */
bool fake_console_contains(const char *s);

/* ---- power ---- */

/* arch_system_off() calls so far. It reports to cmocka through mock_assert(), so a test
 * wraps code that panics in expect_assert_failure(). */
extern unsigned fake_system_off_calls;

/* ---- interrupts, counter and timer ---- */

extern bool fake_irq_enabled;
extern uint64_t fake_counter; /* arch_timer_now() */
extern bool fake_timer_armed; /* a deadline is set and not stopped */
extern uint64_t fake_timer_deadline;
extern bool fake_timer_dead;    /* the timer never fires (tests the timeout path) */
extern int64_t fake_timer_skew; /* the interrupt arrives this many ticks after the
                                   deadline (negative: early) */

/* Put the counter, timer and interrupt state back to power-on values. */
void fake_timer_reset(void);

/* ---- device tree: what arch_dt_parse() looks for ---- */

/* arch_dt_parse() fails with this (after a message) when non-zero. */
extern int fake_dt_parse_rc;

/* ---- page-table formats ---- */

/*
 * The fake descriptor encoding (not any real arch's): bits 1:0 kind (0 invalid, 1 table,
 * 2 leaf, 3 reserved = invalid), bits 55:12 output address, bits 59:56 R W X DEVICE,
 * bits 62:60 the level a leaf was written for (kind checks it).
 */
#define FAKE_PTE_KIND_MASK   0x3ull
#define FAKE_PTE_KIND_TABLE  0x1ull
#define FAKE_PTE_KIND_LEAF   0x2ull
#define FAKE_PTE_ADDR_MASK   0x00fffffffffff000ull
#define FAKE_PTE_ATTR_SHIFT  56
#define FAKE_PTE_LEVEL_SHIFT 60

/* arch_hyp_pt_format is 4 levels, 4 KiB granule, 48-bit VA, leaves at levels 1-3 (host
 * pointers fit, so mm_build_hyp_tables() can map the fake image). These use the same
 * encoding: 3 levels (39 bits, leaves at 1 and 2), and 3 levels under a 4-page
 * concatenated root (root_extra_bits = 2, 41 bits). */
extern const struct pt_format fake_pt_format_3level;
extern const struct pt_format fake_pt_format_concat;

/* The fake hypervisor image the linker-script symbols point into: text, rodata, data
 * and BSS, one page each. */
#define FAKE_IMAGE_PAGES 4

/* Where fake guests' RAM starts in their guest-physical space, and its largest size. */
#define FAKE_GUEST_RAM_BASE   0x40000000ull
#define FAKE_GUEST_RAM_MAX    0xc0000000ull
#define FAKE_GUEST_MAGIC_BASE 0x39000000ull /* Xen's GUEST_MAGIC_BASE, as on aarch64 */
#define FAKE_GUEST_EMULATED   0x08000000ull /* arch_guest_mmio_emulated()'s page */

/* arch_send_kick() calls. */
extern unsigned fake_kicks;

/* When set, a kick is delivered at once: the target CPU's need_resched is set, as its
 * kick handler (sched_kick_received) would (scheduler simulations in test_sched). */
extern bool fake_kick_sets_resched;
extern char fake_image[];

#endif

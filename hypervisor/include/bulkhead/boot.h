/* SPDX-License-Identifier: MIT */
/* Boot-time services of the core: options, CPU bring-up, the timer self-test. */
#ifndef BULKHEAD_BOOT_H
#define BULKHEAD_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "board.h"
#include "compiler.h"

/* The parsed board, valid after board_parse() on the boot CPU. */
extern struct board_info board;

/* Value of option @name in a "name=value name2" command line; NULL if absent. The
 * value is copied (NUL-terminated) into @buf of @size bytes. A bare "name" yields "". */
const char *cmdline_get(const char *cmdline, const char *name, char *buf, unsigned size);

/* Start every secondary CPU in the board, then wait until each reports online or a
 * one-second timeout passes. Returns the number of CPUs online, boot CPU included. */
unsigned smp_boot_secondaries(void);

/* Per-CPU bring-up shared by the boot CPU and secondaries: traps, interrupt controller,
 * timer self-test, scheduler state. */
void cpu_bring_up(struct pcpu *cpu);

/* Create and start the boot-time domains described under /chosen (Xen's dom0less
 * binding); returns how many started. Deferred ones start when their predecessor ends. */
unsigned dom0less_create_domains(void);

/* Give up on deferred domains whose predecessor can no longer run (nothing is alive). */
void dom0less_abandon_pending(void);

#endif

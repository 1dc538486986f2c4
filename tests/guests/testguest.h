/* SPDX-License-Identifier: MIT */
/* The test guest's modes (one per file group) and the helpers they share. */
#ifndef TESTGUEST_H
#define TESTGUEST_H

#include <stdbool.h>
#include <stdint.h>

/* Each mode returns 0 to power off (crashing modes do not return when they work). */
int mode_hypercalls(void);
int mode_unmapped(void);
int mode_probe(void);
int mode_secret(void);
int mode_dirty(void);
int mode_scrubcheck(void);
int mode_smp(void);
int mode_sbi(void);
int mode_flood(void);
int mode_race(void);
int mode_fuzz(void);
int mode_heartbeat(void);

/* One past the last byte of guest RAM. */
uint64_t tg_ram_end(void);

/* True if [addr, addr + len) lies inside guest RAM. */
bool tg_in_ram(uint64_t addr, uint64_t len);

/* Print "ABOUT TO READ <addr>", read 8 bytes there; returns what was read if it did. */
uint64_t tg_read_announced(uint64_t addr);

#endif

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
int mode_evtchn(void);
int mode_evtchn_peer(void);
int mode_gnttab_peer(void);
int mode_rv_irq_smp(void);
int mode_rv_idle(void);
int mode_plic(void);
int mode_exc_own(void);
int mode_exc_loop(void);

#ifdef __riscv
/* riscv64's dom/irq.h: program this vCPU's timer through stimecmp (Sstc) rather than
 * SBI TIME (arch/riscv64/domain/irq.c). */
void dom_irq_riscv_use_sstc(bool on);
#endif
int mode_irq_smp(void);
int mode_idle(void);
int mode_busy(void);
int mode_exceptions(void);
int mode_gic_misuse(void);
int mode_vbench(void);
int mode_pbench(void);
int mode_cpuon_race(void);
int mode_exc_fatal(void);
int mode_cpuhog(void);
int mode_fuzz(void);
int mode_heartbeat(void);
int mode_irqwatch(void); /* irqwatch.c: device interrupts that are not ours */
int mode_console_echo(void);
int mode_uart(void);
int mode_stub_echo(void);
int mode_mmio_client(void);
int mode_stub_hostile(void);
int mode_control(void);
int mode_xs(void);
int mode_xs_hostile(void);
int mode_xs_bench(void);
int mode_xs_hog(void);
int mode_magic(void);

int mode_evbench(void);
int mode_wake(void); /* wake.c */

/* evtchn.c, for bench.c: map shared_info (its PASS/FAIL line says how it went); take
 * (test and clear) @port's pending bit there. */
bool tg_evtchn_map(void);
bool tg_evtchn_take(uint32_t port);

/* gnttab.c, for magic.c: two free pages of our RAM, far from everything we use, 1 MiB
 * apart at the top of the largest free range. */
bool tg_free_pages(uint64_t *p0, uint64_t *p1);

/* magic_domctl.c: is vCPU @vcpu of domain @dom up (control domain only)? */
bool tg_vcpu_online(uint16_t dom, unsigned vcpu);

/* magic_domctl.c: has domain @dom ended (control domain only)? A control domain keeps
 * a domain that ended until it destroys it (docs/control.md): this one destroys it
 * then, as dom0-lite does. True also once it is gone. */
bool tg_peer_ended(uint16_t dom);

/* One past the last byte of guest RAM. */
uint64_t tg_ram_end(void);

/* True if [addr, addr + len) lies inside guest RAM. */
bool tg_in_ram(uint64_t addr, uint64_t len);

/* Print "ABOUT TO READ <addr>", read 8 bytes there; returns what was read if it did. */
uint64_t tg_read_announced(uint64_t addr);

#endif

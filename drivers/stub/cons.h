/* SPDX-License-Identifier: MIT */
/*
 * Where a stub domain's guest output goes (docs/console.md, "The console service"): to
 * dom0-lite's console service over the stub's PV console ring (Xen's io/console.h) when
 * dom0-lite has bound it, otherwise, and for good once dom0-lite stops taking it, to the
 * hypervisor's board console. Input typed for the guest arrives on the ring's `in` side.
 */
#ifndef STUB_CONS_H
#define STUB_CONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Look for the ring (HVM_PARAM_CONSOLE_PFN / _EVTCHN); the board console otherwise. */
void cons_init(void);

/* One byte of the guest's output. Whole lines go out at once; a partial line (a shell's
 * prompt) goes out once the guest has written nothing for IDLE_NS, so an operator at the
 * console sees it. Never loses a byte. */
void cons_putc(char c);

/* An event for the console: true if @port was the ring's or the timer's. */
bool cons_notified(uint32_t port);

/* Input typed for the guest: up to @max bytes from the ring's `in` side; 0 when none. */
size_t cons_read(uint8_t *buf, size_t max);

/* True while output goes over the ring. */
bool cons_on_ring(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * dom0-lite's console service, as Xen's xenconsoled (docs/console.md, "The console
 * service"): it maps a domain's PV console ring (grant ref 0, HVM_PARAM_CONSOLE_EVTCHN),
 * writes what the domain puts there to the board console as `(d<label>) ...` lines, and
 * passes input to it. dom0-lite attaches every stub domain it builds (label: the
 * stub's guest), so the guest's UART output reaches the operator through dom0-lite.
 */
#ifndef DOM0_CONSOLED_H
#define DOM0_CONSOLED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Serve @dom's console ring, its lines labelled (d@label). 0 or a negative Xen errno,
 * with a message in @err (BH_ERR_MAX bytes). */
int consoled_attach(unsigned dom, unsigned label, char *err);

/* Print what is left, unmap and close; no-op for a domain not attached. */
void consoled_detach(unsigned dom);

/* An event: true if @port is a console ring's (then it has been drained). */
bool consoled_notified(uint32_t port);

/* The keyboard has moved to the domain labelled @label: what it wrote of a line so far
 * (its shell's prompt) is shown now, as its further partial lines will be. */
void consoled_focus(unsigned label);

/* Input for the domain labelled @label: bytes queued (maybe fewer than @len when its
 * ring is full), or -1 if no attached domain has that label. */
long consoled_input(unsigned label, const char *buf, size_t len);

/* The last bytes (at most @max) the domain labelled @label wrote, for `bh console`
 * clients that attach late: copied into @buf; -1 if not attached. */
long consoled_history(unsigned label, char *buf, size_t max);

/* A tap on the consoles' output (the management API's `console`, dom0-lite/api.c): @fn
 * gets every chunk a domain writes, as it is taken from the ring, before or after its
 * board-console lines; NULL: none. The board console's output is the same either way. */
void consoled_set_tap(void (*fn)(unsigned label, const char *data, size_t len));

#endif

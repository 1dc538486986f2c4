/* SPDX-License-Identifier: MIT */
/*
 * A domain program as an event loop with fixed entry points, the shape of an seL4
 * Microkit component. A program (a stub domain's device model, a driver domain, ...)
 * links lib/domain/program/main.o, which provides dom_main(), and defines:
 *
 *   init()          once, after the runtime has parsed the device tree and set up event
 *                   channels; binds the ports it wants.
 *   notified(port)  for every event on a port bound by this domain, on vCPU 0, one at a
 *                   time, in the loop (not in interrupt context).
 *   fault(f)        for an exception the runtime cannot handle, before the domain shuts
 *                   down with SHUTDOWN_crash: a last word (it must not return to the
 *                   faulting code; whatever it returns, the domain ends).
 *
 * Between events vCPU 0 blocks (dom_evtchn_wait): it never spins. The loop ends when
 * the program calls dom_program_exit(); the domain then shuts down.
 */
#ifndef DOM_PROGRAM_H
#define DOM_PROGRAM_H

#include <stdint.h>

#include "dom/dom.h"

void init(void);
void notified(uint32_t port);
void fault(const struct dom_fault *f);

/* System time (since the board's power-on) when dom_main() was entered. */
extern uint64_t dom_program_start_ns;

/* Leave the loop after the current entry point returns: poweroff for 0, crash else. */
void dom_program_exit(int status);

#endif

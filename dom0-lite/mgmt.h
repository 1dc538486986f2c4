/* SPDX-License-Identifier: MIT */
/*
 * dom0-lite's management channel (issue 15 items 2 and 4, docs/dom0-lite.md): a byte
 * stream to the host, the transport of the management API. On QEMU it is a PCI 16550
 * (`pci-serial`) whose other end is a Unix socket on the host (bhqemu.py
 * `--mgmt-socket PATH`); the hypervisor passes it through to dom0-lite (its PCI config
 * page, the I/O page of its BAR and its INTx line, Xen's `xen,passthrough` binding) and
 * routes its interrupt to dom0-lite only. dom0-lite touches no other device.
 *
 * Both directions are interrupt-driven: the device's interrupt moves received bytes
 * into a ring and notifies the event loop on mgmt_port(), the program drains it with
 * mgmt_read(); mgmt_write() queues into a transmit ring the interrupt empties. When the
 * receive ring is full the device stops taking bytes (QEMU holds the rest on the
 * socket), so nothing is lost. All calls are for vCPU 0's event loop.
 */
#ifndef DOM0_LITE_MGMT_H
#define DOM0_LITE_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MGMT_LINE_MAX 4096 /* the built-in line service's limit, '\n' excluded */

/* Find the channel in dom0-lite's device tree (the node compatible with
 * "bulkhead,mgmt-pci-serial"), set the device up and enable its interrupt. 0; -ENODEV
 * when the tree has no channel (dom0-lite then runs without one); another negative
 * error for a node or device that is not usable (printed). */
int mgmt_init(void);

/* The event-channel port notified(port) receives when bytes have arrived (a loopback
 * channel the interrupt handler signals); 0 without a channel. */
uint32_t mgmt_port(void);

/* Take up to @max received bytes into @buf; never waits. Returns how many (0: none). */
size_t mgmt_read(void *buf, size_t max);

/* Queue @len bytes for sending, in order; never waits. The transmit interrupt moves
 * them from a 16 KiB ring to the device. Returns how many were queued: fewer than @len
 * when the ring is full (the host is not reading); the program is then notified on
 * mgmt_port() once half the ring is free again. */
size_t mgmt_write(const void *buf, size_t len);

/* Bytes mgmt_write would take now (0 without a channel). */
size_t mgmt_write_room(void);

/* mgmt_write that waits while the ring is full and the host reads: it feeds the device
 * itself (the interrupt is not taken outside the event loop's wait) and gives up when
 * nothing has left for MGMT_STALL_MS. Returns how many bytes were queued. */
#define MGMT_STALL_MS 100
size_t mgmt_write_all(const void *buf, size_t len);

/* Is half the transmit ring free? If not, the program is notified on mgmt_port() once
 * it is: a reader stops taking requests until then, and the host's further input
 * waits in the receive ring and then in QEMU (nothing is lost). */
bool mgmt_tx_has_room(void);

/* The built-in line service (until the JSON API replaces it): reads what arrived and
 * answers each '\n'-terminated line: `ping` gets `pong`, `echo TEXT` gets TEXT, `stats`
 * the counters (`rx N tx N irqs N stops N full N`), `hold` (tests) gets `holding` and reads no
 * more until the ring is full (the flow control's path), a line longer than
 * MGMT_LINE_MAX gets `error: line too long (max 4096 bytes)`, any other
 * `error: unknown request`. Call it from notified() for mgmt_port(). */
void mgmt_serve(void);

/* Counters for tests and `info`: bytes received and sent, interrupts taken, times the
 * receive ring filled and the device was stopped, times the transmit ring was too full
 * for what was to be sent. */
struct mgmt_stats {
    uint64_t rx_bytes, tx_bytes, irqs, stops, tx_full;
};
void mgmt_get_stats(struct mgmt_stats *s);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Compile-time proof that Debian's Xen public headers build for riscv64 with our
 * arch-riscv.h shim (include/public/xen/arch-riscv.h) and give the layouts guests and
 * the toolstack expect. No code: only checks.
 *
 * Where the numbers come from: each is the sum of the struct's fields as declared in
 * the Xen 4.17 public headers (named below), with LP64 alignment, and each equals what
 * the same headers give on arm64 (checked with aarch64-linux-gnu-gcc, 2025-11): upstream
 * Xen's arch-riscv.h, like arch-arm.h, has 64-bit xen_ulong_t and xen_pfn_t, 8-byte
 * guest handles and empty arch_vcpu_info / arch_shared_info, so the common structs are
 * laid out as on arm64. A mismatch here means a guest built against upstream Xen would
 * disagree with us.
 */
#include <stddef.h>
#include <stdint.h>

/* The hypervisor's view: also exposes vcpu_guest_context and the domctl arch config
 * (the Makefile defines __XEN__ for all hypervisor code). */
#ifndef __XEN__
#define __XEN__
#endif
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/io/ring.h>
#include <xen/io/xs_wire.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#define ABI_SIZE(t, n) _Static_assert(sizeof(t) == (n), "Xen ABI: sizeof(" #t ") != " #n)
#define ABI_OFFSET(t, m, n)                                                                        \
    _Static_assert(offsetof(t, m) == (n), "Xen ABI: offsetof(" #t ", " #m ") != " #n)

/* arch-riscv.h (upstream): 64-bit frame numbers and words, 8-byte guest handles. */
ABI_SIZE(xen_pfn_t, 8);
ABI_SIZE(xen_ulong_t, 8);
ABI_SIZE(XEN_GUEST_HANDLE(uint8), 8);
_Static_assert(_Alignof(XEN_GUEST_HANDLE(uint8)) == 8, "guest handles are 8-byte aligned");
ABI_SIZE(struct xen_arch_domainconfig, 1); /* gaddr_bits only */
_Static_assert(XEN_LEGACY_MAX_VCPUS == 1, "one vcpu_info in shared_info, as upstream");

/* xen.h: version, pad0 (2 x 4), tsc_timestamp, system_time (2 x 8), tsc_to_system_mul
 * (4), tsc_shift, flags, pad1[2] (4 x 1). */
ABI_SIZE(struct vcpu_time_info, 32);
/* xen.h: upcall_pending, upcall_mask, padding to 8, evtchn_pending_sel (8), empty arch
 * part, time at 16 (32). */
ABI_OFFSET(struct vcpu_info, time, 16);
ABI_SIZE(struct vcpu_info, 48);
/* xen.h: vcpu_info[1] (48), evtchn_pending and evtchn_mask (64 x 8 each), wc_version,
 * wc_sec, wc_nsec, wc_sec_hi (4 x 4), empty arch part. */
ABI_OFFSET(struct shared_info, evtchn_pending, 48);
ABI_OFFSET(struct shared_info, wc_version, 1072);
ABI_SIZE(struct shared_info, 1088);

/* grant_table.h: flags, domid (2 x 2), frame (4). */
ABI_SIZE(grant_entry_v1_t, 8);
/* grant_table.h: host_addr (8), flags, ref (2 x 4), dom, status (2 x 2), handle (4),
 * dev_bus_addr (8). */
ABI_SIZE(struct gnttab_map_grant_ref, 32);
/* event_channel.h: dom, remote_dom (2 x 2), port (4); port (4). */
ABI_SIZE(struct evtchn_alloc_unbound, 8);
ABI_SIZE(struct evtchn_send, 4);
/* memory.h: extent_start handle (8), nr_extents (8), extent_order, mem_flags (2 x 4),
 * domid (2), tail padding to 8. */
ABI_SIZE(struct xen_memory_reservation, 32);
/* memory.h: domid, size (2 x 2), space (4), idx (8), gpfn (8). */
ABI_SIZE(struct xen_add_to_physmap, 24);
/* vcpu.h: state (4), padding, state_entry_time (8), time[4] (32). */
ABI_SIZE(struct vcpu_runstate_info, 48);
/* io/xs_wire.h: type, req_id, tx_id, len (4 x 4). */
ABI_SIZE(struct xsd_sockmsg, 16);
/* io/xs_wire.h: req[1024], rsp[1024], 4 ring indexes, server_features, connection,
 * error (7 x 4). */
ABI_SIZE(struct xenstore_domain_interface, 2076);
/* io/console.h: in[1024], out[2048], in_cons, in_prod, out_cons, out_prod (4 x 4). */
ABI_SIZE(struct xencons_interface, 3088);
/* hvm/params.h: the PV console and xenstore parameters guests read at boot. */
_Static_assert(HVM_PARAM_STORE_PFN == 1 && HVM_PARAM_STORE_EVTCHN == 2 &&
                   HVM_PARAM_CONSOLE_PFN == 17 && HVM_PARAM_CONSOLE_EVTCHN == 18,
               "Xen ABI: HVM param numbers");

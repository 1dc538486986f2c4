/* SPDX-License-Identifier: MIT */
/*
 * Xen's shared rings (io/ring.h) for domain programs: the barriers the macros need,
 * then the header itself. Full barriers: `dmb ish` on aarch64, `fence rw,rw` on
 * riscv64, enough for a ring shared with another domain on any CPU.
 */
#ifndef DOM_RING_H
#define DOM_RING_H

#include <stddef.h>
#include <string.h>

#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#include <xen/grant_table.h>
#include <xen/io/ring.h>

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Xen's xen/domctl.h and xen/sysctl.h (Xen 4.17: interface version 0x15 each), for the
 * hypervisor and for host unit tests. They are for Xen and its tools only, so the host
 * build defines __XEN_TOOLS__. domctl.h includes hvm/save.h: in the hypervisor it needs
 * Xen's own xen/lib.h and declares nothing the Arm/RISC-V domctl uses, so its guard is
 * set to skip it; the host build (x86 headers) needs its x86 records, and C11's
 * anonymous unions are all it asks for beyond ISO C, so its __STRICT_ANSI__ test is
 * passed around. Include this first: it decides the host build's interface version.
 */
#ifndef BULKHEAD_XEN_DOMCTL_H
#define BULKHEAD_XEN_DOMCTL_H

#if !defined(__XEN__) && !defined(__XEN_TOOLS__)
#define __XEN_TOOLS__ 1
#endif
#include <stdint.h>

#ifdef __XEN__
#define __XEN_PUBLIC_HVM_SAVE_H__
#include <xen/domctl.h>
#else
#pragma push_macro("__STRICT_ANSI__")
#undef __STRICT_ANSI__
#include <xen/domctl.h>
#pragma pop_macro("__STRICT_ANSI__")
#endif
#include <xen/sysctl.h>

#endif

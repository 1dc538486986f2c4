/* SPDX-License-Identifier: MIT */
/*
 * xenstored in dom0-lite (xsdom.c, docs/xenstored.md "xenstored in dom0-lite"): the core
 * of dom0-lite/xenstored over kvmem, serving every other domain over its xenstore ring.
 */
#ifndef DOM0_XSDOM_H
#define DOM0_XSDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Start the store, then introduce every domain already running. */
void xsdom_init(void);

/* Bring the served domains in line with the hypervisor's list: introduce new domains,
 * release those that are gone or dying. Cheap when nothing changed; dom0-lite calls it
 * after each command, after creating a guest, and on VIRQ_DOM_EXC. */
void xsdom_sync(void);

/* An event: true if @port is a domain's store port (then its ring has been served). */
bool xsdom_notified(uint32_t port);

/* The shell's xenstore-ls / xenstore-read / xenstore-write, as dom0. Output through @out;
 * 0 or a negative Xen errno with a reason in @err (BH_ERR_MAX bytes). */
int xsdom_ls(const char *path, void (*out)(const char *s, size_t len), char *err);
int xsdom_read(const char *path, void (*out)(const char *s, size_t len), char *err);
int xsdom_write(const char *path, const char *value, char *err);

#endif

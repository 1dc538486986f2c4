/* SPDX-License-Identifier: MIT */
/*
 * Domains and vCPUs. A domain is a guest address space (its own stage-2 tables, built by
 * the generic walker) with a memory quota, a role and up to MAX_VCPUS vCPUs, which run
 * at EL1 / VS-mode. Every page a domain holds comes from the page allocator, scrubbed,
 * and is charged to its quota; destroying the domain returns every one of them.
 *
 * Lock order: domain_lock (the domain table), then a pcpu's sched lock, then
 * page_alloc_lock. A domain's own fields change only on the CPU that runs the
 * operation, under domain_lock for life-cycle changes.
 */
#ifndef BULKHEAD_DOMAIN_H
#define BULKHEAD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/types.h>

#include "compiler.h"
#include "pgtable.h"
#include "spinlock.h"
#include "types.h"

#define MAX_DOMAINS      64 /* ids 1..63; 0 is kept for dom0-lite */
#define MAX_VCPUS        8
#define DOMAIN_NAME_MAX  32
#define CONSOLE_LINE_MAX 128

typedef uint16_t domid_t;

/* What a domain may do (../shared/ARCHITECTURE.md, section 1). */
enum domain_role {
    ROLE_GUEST,
    ROLE_CONTROL, /* dom0-lite */
    ROLE_STUB,    /* device model of one guest */
    ROLE_DRIVER,  /* owns physical devices */
};

enum domain_state {
    DOM_BUILDING, /* memory being filled; no vCPU has run */
    DOM_RUNNING,
    DOM_DYING, /* shut down or crashed; vCPUs are being taken off their CPUs */
};

enum vcpu_state {
    VCPU_DOWN,     /* not started (PSCI CPU_ON / SBI HSM start it) */
    VCPU_RUNNABLE, /* running or waiting for its CPU */
    VCPU_BLOCKED,  /* SCHEDOP_block: waits for its timer */
    VCPU_DEAD,     /* its domain is dying */
};

/* A run of guest RAM: 2^order pages at pa. */
struct extent {
    paddr_t pa;
    unsigned order;
};

/* Extents are recorded in pages chained from the domain. */
#define EXTENTS_PER_PAGE ((PAGE_SIZE - 16) / sizeof(struct extent))
struct extent_page {
    struct extent_page *next;
    uint64_t count;
    struct extent e[EXTENTS_PER_PAGE];
};

struct domain;

struct vcpu {
    struct domain *dom;
    unsigned id;
    unsigned pcpu; /* the CPU it is placed on (static placement) */
    enum vcpu_state state;
    uint64_t timer_deadline; /* singleshot timer, counter ticks; 0 = none */
    /* Runstate accounting (Xen's vcpu_runstate_info, in counter ticks). */
    unsigned runstate;
    uint64_t runstate_entry;
    uint64_t runstate_time[4];
    paddr_t vcpu_info; /* VCPUOP_register_vcpu_info target, 0 if none */
    struct arch_vcpu arch;
};

struct domain {
    domid_t id;
    char name[DOMAIN_NAME_MAX];
    enum domain_role role;
    enum domain_state state;
    unsigned shutdown_reason; /* SHUTDOWN_* once dying */
    struct pt p2m;            /* stage-2 tables */
    ipaddr_t ram_base;
    uint64_t ram_size;
    uint64_t max_pages; /* quota: RAM plus bookkeeping */
    uint64_t pages;     /* charged so far */
    struct extent_page *extents;
    paddr_t shared_info; /* zeroed page, mapped on XENMEM_add_to_physmap */
    unsigned nr_vcpus;
    unsigned live_vcpus; /* vCPUs not yet taken off their CPUs after dying */
    struct vcpu *vcpus[MAX_VCPUS];
    /* Console: line assembly and a token bucket against floods. */
    char con_line[CONSOLE_LINE_MAX];
    unsigned con_len;
    uint64_t con_tokens;    /* lines that may still be printed, scaled by 1000 */
    uint64_t con_refill_at; /* counter value of the last refill */
    uint64_t con_dropped;
    struct arch_domain arch;
};

/* What it takes to create a domain. */
struct domain_config {
    const char *name;
    enum domain_role role;
    uint64_t ram_size; /* bytes, page multiple */
    unsigned nr_vcpus;
};

/* Create a domain with zeroed RAM mapped at the arch's guest RAM base. Charged and
 * scrubbed. -EINVAL for a bad config, -ENOSPC when no id is free, -ENOMEM. */
int __must_check domain_create(const struct domain_config *cfg, struct domain **out);

/* Free everything @d holds. It must not be running anywhere. */
void domain_destroy(struct domain *d);

/* Copy @size bytes from host physical @src into @d's memory at @dst (building only). */
int __must_check domain_copy_in(struct domain *d, ipaddr_t dst, paddr_t src, uint64_t size);

/* Make @d's vCPU 0 runnable: its domain starts. */
void domain_start(struct domain *d, uint64_t entry, uint64_t dtb);

/* End @d: "crashed: <why>" or "shut down: <reason>". Safe from a trap of @d's own vCPU;
 * the vCPUs are taken off their CPUs at their next scheduling point. */
void domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);
void domain_shutdown(struct domain *d, unsigned reason);

/* Allocate 2^order zeroed pages charged to @d. -ENOMEM over quota or out of memory. */
int __must_check domain_alloc_pages(struct domain *d, unsigned order, paddr_t *out);
void domain_free_pages(struct domain *d, paddr_t pa, unsigned order);

/* Map the shared_info page at @gfn (replacing what was there). */
int __must_check domain_map_shared_info(struct domain *d, uint64_t gfn);

/* Domains alive (created and not yet destroyed). */
unsigned domain_count(void);

/* Look a live domain up by name (NULL if none). */
struct domain *domain_find(const char *name);

/* Called when domain @name (NULL: none) has been destroyed: start domains waiting for
 * it, and power the board off when nothing is left (unless "stay-up" is on the command
 * line). */
void domain_ended(const char *name);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Domains and vCPUs. A domain is a guest address space (its stage-2 tables, owned by
 * mm/p2m) with a memory quota, a role and up to MAX_VCPUS vCPUs, which run at EL1 /
 * VS-mode. Every page a domain holds comes from the page allocator, scrubbed, and is
 * charged to its quota; freeing the domain returns every one of them.
 *
 * domain.c is the one owner of domain lifetime:
 *   created (BUILDING) -> started (RUNNING) -> crashed or shut down (DYING) -> every vCPU
 *   off its CPU (the scheduler reports each through a hook) -> unpublished (no new
 *   lookups) -> last reference dropped -> freed -> "ended" notification.
 * Code that names another domain (event channels, grants, stub domains, dom0-lite) holds
 * a reference from domain_get() until domain_put(), so the domain's memory stays until
 * then, even if it dies meanwhile.
 *
 * Lock order: domain_lock (the id table), then a pcpu's sched lock (two of them in CPU-id
 * order), then a domain's sched.lock (cap accounting), then a domain's p2m
 * lock, then page_alloc_lock. The console lock of a domain comes before the console lock.
 */
#ifndef BULKHEAD_DOMAIN_H
#define BULKHEAD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/types.h>

#include "compiler.h"
#include "evtchn.h"
#include "gnttab.h"
#include "guest_console.h"
#include "ioreq.h"
#include "magic.h"
#include "p2m.h"
#include "quota.h"
#include "spinlock.h"
#include "timer.h"
#include "types.h"

#define MAX_DOMAINS     64 /* ids 1..63; 0 is kept for dom0-lite */
#define MAX_VCPUS       8
#define DOMAIN_NAME_MAX 32

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
    VCPU_BLOCKED,  /* SCHEDOP_block / WFI: waits for its timer */
    VCPU_IOREQ,    /* waits for its device model's reply: only that (or death) ends it */
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
    /* The CPU it is placed on. The scheduler may move a vCPU that is not running to
     * another CPU of its affinity (load balancing): it changes only under both CPUs'
     * scheduler locks, and the vCPU's timers (timer, arch_timers) follow it. */
    unsigned pcpu;
    uint32_t affinity; /* hard affinity: the pCPUs (bit n = CPU n) it may run on */
    uint64_t vtime;    /* weighted virtual run time (sched/), under its CPU's lock */
    bool migrating;    /* being moved; its timers are not yet on its new CPU */
    enum vcpu_state state;
    struct timer timer; /* singleshot timer (sched/): wakes the vCPU */
    /* Timers for the arch's virtual CPU timers (aarch64 CNTV and CNTP, riscv64 SBI TIME /
     * vstimecmp), set up by arch_domain_init. */
    struct timer arch_timers[2];
    bool timer_fired; /* it fired while the vCPU was not blocked */
    /* Runstate accounting (Xen's vcpu_runstate_info, in counter ticks). */
    unsigned runstate;
    uint64_t runstate_entry;
    uint64_t runstate_time[4];
    paddr_t vcpu_info;      /* VCPUOP_register_vcpu_info target, 0 if none */
    uint64_t runstate_area; /* VCPUOP_register_runstate_memory_area: guest VA, 0 if none */
    uint32_t virq_port[EVTCHN_NR_VIRQS]; /* event channel bound to each VIRQ, 0 if none */
    struct vcpu_mmio mmio;               /* an MMIO access out to the ioreq server */
    struct arch_vcpu arch;
};

/* A domain's share of the CPUs (sched/; docs/scheduler.md). */
#define SCHED_WEIGHT_DEFAULT 256
#define SCHED_WEIGHT_MAX     65535
struct domain_sched {
    uint16_t weight;       /* 1..65535: relative share of a contended CPU, per vCPU */
    uint16_t cap;          /* percent of one pCPU the whole domain may use; 0 = no cap */
    uint32_t paused;       /* XEN_DOMCTL_pausedomain: its vCPUs are not picked (sched/) */
    struct spinlock lock;  /* the cap accounting below; a leaf under the sched locks */
    uint64_t period_start; /* ticks: the cap period being accounted */
    uint64_t used;         /* ticks run by its vCPUs in that period */
};

struct domain {
    domid_t id;
    char name[DOMAIN_NAME_MAX];
    enum domain_role role;
    enum domain_state state;
    unsigned shutdown_reason; /* SHUTDOWN_* once dying */
    uint32_t refcnt;          /* references: 1 while published, + domain_get()s */
    struct quota quota;       /* pages: RAM plus bookkeeping */
    struct p2m p2m;           /* stage-2 tables (mm/p2m) */
    ipaddr_t ram_base;
    uint64_t ram_size;
    struct extent_page *extents;
    paddr_t shared_info; /* zeroed page, mapped on XENMEM_add_to_physmap */
    unsigned nr_vcpus;
    unsigned live_vcpus; /* vCPUs not yet taken off their CPUs after dying */
    struct vcpu *vcpus[MAX_VCPUS];
    struct domain_sched sched;
    struct guest_console console;
    struct evtchn_domain evtchn; /* event channels (hypervisor/evtchn) */
    struct gnttab_domain gnttab; /* grant table (hypervisor/gnttab) */
    struct ioreq_server ioreq;   /* the server its stub runs (hypervisor/ioreq) */
    struct domain_magic magic;   /* xenstore and console pages (hypervisor/magic) */
    /* Stub pairing (docs/domains.md, bulkhead,stub-of): a stub holds a reference on its
     * target from pairing until it is freed; a target names its stub while the stub is
     * published (under domain_lock, no reference). */
    struct domain *target;
    struct domain *stub;
    /* DOM_HOLD_* bits (32-bit: word atomics on every arch): a target with a stub has its
     * vCPU 0 held until its ioreq server is enabled, whichever of domain_start and the
     * enable comes first; exactly one of them starts it. */
    uint32_t held;
    uint64_t held_entry;   /* where vCPU 0 starts then */
    uint64_t held_arg;     /* and its boot argument */
    unsigned refused_logs; /* stub refusals logged (rate limit) */
    /* Built through domctl (docs/control.md): kept, shut down, after its vCPUs are off
     * their CPUs until XEN_DOMCTL_destroydomain, so the control domain can read why. */
    bool kept;
    /* Visible to the control operations' lookups (domain_get_any, domain_get_next): set
     * once domain_create is done for a domain built through domctl, at domain_start for
     * a boot-time one. Before that its id is taken but it is dom0less's alone: a control
     * domain listing it (its vCPUs not there yet) or destroying it then would find it
     * half made. Under domain_lock. */
    bool ready;
    uint32_t end_flags; /* END_*: who of "all vCPUs off" and "destroy asked" came first */
    uint64_t ram_pages; /* RAM pages populated (Xen's tot_pages) */
    uint64_t max_pages; /* XEN_DOMCTL_max_mem limit on ram_pages */
    bool ctx_set;       /* XEN_DOMCTL_setvcpucontext given vCPU 0's start */
    uint64_t ctx_entry; /* its entry */
    uint64_t ctx_arg;   /* its boot argument (DTB) */
    /* The control domain's build-phase foreign maps of this domain, revoked at the first
     * unpause or destroy: the mapper (referenced) and the gpfns of its window used. */
    struct domain *mapper;
    uint64_t map_lo, map_hi;
    uint8_t handle[16];       /* xen_domain_handle_t given at creation */
    bool sealed;              /* construction over: no more foreign maps (under its p2m lock) */
    struct spinlock ctl_lock; /* control operations on it, one at a time; before domain_lock */
    struct arch_domain arch;
};

/* What it takes to create a domain. */
struct domain_config {
    const char *name;
    enum domain_role role;
    uint64_t ram_size; /* bytes, page multiple */
    unsigned nr_vcpus;
    unsigned weight;              /* 1..65535; 0 = SCHED_WEIGHT_DEFAULT */
    unsigned cap;                 /* percent of one pCPU, 0..100 * nr_vcpus; 0 = none */
    uint32_t affinity[MAX_VCPUS]; /* per vCPU, bit n = pCPU n; 0 = all CPUs */
    /* XEN_DOMCTL_createdomain: no RAM yet (ram_size 0; populated later, up to the limit
     * of domain_set_max_mem), and kept after shutdown until destroyed. */
    bool under_construction;
    domid_t id; /* the id wanted (1..MAX_DOMAINS-1, -EEXIST if taken); 0 = any free one */
};

#define END_VCPUS_OFF  1u /* every vCPU is off its CPU for good (or none ever ran) */
#define END_KILL_ASKED 2u /* XEN_DOMCTL_destroydomain was asked */
#define END_ORPHANED   4u /* the control domain ended: freed when its vCPUs are off */

/* Create a domain with zeroed RAM mapped at the arch's guest RAM base, published under
 * its id with one reference (its existence). Charged and scrubbed. -EINVAL for a bad
 * config (an affinity naming no online CPU included), -ENOSPC when no id is free or (in
 * the static-partition mode, sched=null) a vCPU finds no free pCPU, -ENOMEM. */
int __must_check domain_create(const struct domain_config *cfg, struct domain **out);

/* End a domain whose vCPUs run nowhere (never started, or all taken off their CPUs):
 * unpublish it and drop the reference it holds on itself. It is freed, and its end
 * notified if it had started, when the last other reference is dropped. */
void domain_destroy(struct domain *d);

/* A reference to the live domain @id (NULL if there is none, or it is dying). */
struct domain *domain_get(domid_t id);
void domain_put(struct domain *d);

/* Another reference to @d, which the caller already holds one on (or is running). */
void domain_hold(struct domain *d);

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

/* Is host page @pa one of @d's own RAM pages (not a page another domain granted it)? The
 * hypervisor keeps pointers only into, and grants only, pages a domain owns: those live
 * as long as the domain does. */
bool domain_owns_ram(const struct domain *d, paddr_t pa);

/* Give @d a zeroed page of its own at @gfn, outside its RAM (hypervisor/magic): charged,
 * recorded with its RAM (so it can be granted) and freed with it, not counted in
 * ram_pages. -EEXIST if something is mapped there, -EINVAL past its address space. */
int __must_check domain_add_page(struct domain *d, uint64_t gfn, paddr_t *out);

/* Map the shared_info page at @gfn (replacing what was there). */
int __must_check domain_map_shared_info(struct domain *d, uint64_t gfn);

/* Pair stub @stub with @target (a published guest without a stub, not dying, not a
 * stub itself): @stub holds a reference on @target until it is freed. Policy: when
 * either ends, the other does (a target is crashed "its stub domain d<N> ended"; a
 * stub is shut down when its target ends). -EINVAL / -EEXIST / -ESRCH. */
int __must_check domain_pair_stub(struct domain *stub, struct domain *target);

/* @target's stub domain, with a reference, or NULL if it has none (or it is dying). */
struct domain *domain_get_stub(struct domain *target);

#define DOM_HOLD_WAIT    1u /* has a stub: wait for its device model */
#define DOM_HOLD_GO      2u /* its ioreq server was enabled */
#define DOM_HOLD_STARTED 4u /* domain_start ran (held_entry / held_arg are set) */

/* Its stub's ioreq server is enabled: start @d's vCPU 0 if domain_start() held it, or
 * let domain_start() start it at once if it has not run yet (a domain built at run
 * time may be unpaused after its stub is ready). */
void domain_release_hold(struct domain *d);

/* May @d (if a stub) act on domain @other? Its own id and its target's are fine; any
 * other is refused with a rate-limited log line naming @what and false. Domains that
 * are not stubs: true (their own rules apply). */
bool domain_stub_may_reach(struct domain *d, uint16_t other, const char *what);

/* Log (rate-limited) that @d was refused @what on domain @other. */
void domain_refused(struct domain *d, const char *what, uint16_t other);

/* ---- control operations (hypercall/domctl.c; docs/control.md) ---- */

/* Set the RAM limit of @d to @pages (XEN_DOMCTL_max_mem); its quota follows. -EINVAL
 * below what it already holds. */
int __must_check domain_set_max_mem(struct domain *d, uint64_t pages);

/* Give @d (under construction) 2^@order scrubbed RAM pages at guest frame @gfn, inside
 * the guest RAM bank. -EINVAL misaligned or outside, -EEXIST already there, -ENOMEM
 * past max_mem or out of memory, -EPERM once it has run. */
int __must_check domain_populate(struct domain *d, uint64_t gfn, unsigned order);

/* Map @target's RAM page @gfn at @ctl's @gpfn (the foreign window of ioreq.h), only
 * while @target is under construction; revoked at its first unpause. */
int __must_check domain_foreign_map(struct domain *ctl, struct domain *target, uint64_t gfn,
                                    uint64_t gpfn);

/* Record vCPU 0's start (XEN_DOMCTL_setvcpucontext). -EPERM once it has run. */
int __must_check domain_set_context(struct domain *d, uint64_t entry, uint64_t arg);

/* XEN_DOMCTL_unpausedomain: the first one ends construction (foreign maps revoked) and
 * starts vCPU 0 (-EINVAL without a context); later ones resume a paused domain. */
int __must_check domain_unpause(struct domain *d);

/* XEN_DOMCTL_pausedomain: take every vCPU of @d off its CPU and keep them off. */
int __must_check domain_pause(struct domain *d);

/* XEN_DOMCTL_destroydomain: end @d whatever its state; freed when its vCPUs are off
 * and the last reference is gone. */
void domain_kill(struct domain *d);

/* XEN_DOMCTL_set_target: @stub (under construction, a guest or a stub) becomes the stub
 * domain of @target, as bulkhead,stub-of pairs boot-time domains (domain_pair_stub); a
 * target not started yet is held until the stub enables its ioreq server. -EINVAL /
 * -EEXIST / -ESRCH. */
int __must_check domain_set_target(struct domain *stub, struct domain *target);

/* SCHEDOP_remote_shutdown: domain_shutdown(@d, @reason) of a domain that has started
 * (-EINVAL under construction: destroy it instead). */
int __must_check domain_remote_shutdown(struct domain *d, unsigned reason);

/* A reference to published domain @id, dying or not (control operations read dying
 * domains), or NULL. */
struct domain *domain_get_any(domid_t id);

/* The control domain, referenced, or NULL. */
struct domain *domain_get_control(void);

/* The first published domain with id >= @first, referenced, or NULL. */
struct domain *domain_get_next(domid_t first);

/* Domains published (created and not yet ended). */
unsigned domain_count(void);

/* Look a live domain up by name (NULL if none). */
struct domain *domain_find(const char *name);

/* Subscribers to domain ends (either callback may be NULL):
 * - killed: the domain is unpublished and runs nowhere, its memory still there; release
 *   what refers to other domains (event channels, later grants). Called for every
 *   domain, started or not, before its own reference is dropped.
 * - ended: a domain that had started has been freed: the boot-time policy now,
 *   dom0-lite's VIRQ_DOM_EXC later; may create domains or power the board off.
 * Both run on the CPU that ends the domain, with no lock held. */
struct domain_notifier {
    void (*killed)(struct domain_notifier *n, struct domain *d);
    /* released: the last reference is gone; free what was allocated for @d that others
     * could still use until now (its grant table), before the quota is checked. */
    void (*released)(struct domain_notifier *n, struct domain *d);
    void (*ended)(struct domain_notifier *n, domid_t id, const char *name, unsigned reason);
    /* exception: @d began dying, or its vCPUs are all off (VIRQ_DOM_EXC). Any lock-free
     * context; may be called more than once per domain. */
    void (*exception)(struct domain_notifier *n, struct domain *d);
    struct domain_notifier *next;
};
void domain_notifier_register(struct domain_notifier *n);

#endif

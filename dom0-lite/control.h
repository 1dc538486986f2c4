/* SPDX-License-Identifier: MIT */
/*
 * dom0-lite's control operations: Xen's domctl / sysctl hypercalls (interface version
 * 0x15, docs/dom0-lite.md) behind the bh command table's back end (cmdtable.h), the
 * names of the domains dom0-lite knows, and the builder (builder.c).
 */
#ifndef DOM0_CONTROL_H
#define DOM0_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "bundle.h"
#include "cmdtable.h"
#include "xlcfg.h"

#include <xen/xen.h>

/* Bulkhead's console_io commands for the control domain (docs/console.md): give the
 * keyboard to a domain (or, with CONSOLEIO_BH_FOCUS_QUERY as the id, read who has it),
 * and an unlabelled, unbuffered write. */
#define CONSOLEIO_BH_FOCUS       0x4248
#define CONSOLEIO_BH_FOCUS_QUERY 0xffffffffu
#define CONSOLEIO_BH_RAW         0x4249

extern const struct bh_ops control_ops;
extern struct bundle boot_bundle;

long dom0_domctl(void *op);
long dom0_sysctl(void *op);

/* The names dom0-lite gave (or was told): one slot per domain id. */
void names_set(unsigned id, const char *name);
const char *names_get(unsigned id);
void names_clear(unsigned id);

/* A config kept for a guest dom0-lite built (its on_* policy, for a restart). */
struct guest_rec {
    bool used;
    unsigned id, stub_id;
    struct xlcfg cfg;
    char cfg_file[XLCFG_PATH_MAX];
    bool preserved; /* its end was handled (kept when on_* = preserve) */
    bool pending;   /* a boot-time guest the hypervisor has not started yet (or its stub) */
};
struct guest_rec *guest_find(unsigned id);

/* Build and start the guest of configs/@cfg.cfg with @n overrides: builder.c. */
int builder_create(const char *cfg, unsigned n, char *const overrides[], char *err);
/* Destroy domain @id: dom0-lite's services let go of it first (its console ring is
 * drained and unmapped), then XEN_DOMCTL_destroydomain. 0 or a negative Xen errno. */
int builder_destroy(unsigned id);
/* VIRQ_DOM_EXC: apply each built guest's on_poweroff / on_reboot / on_crash. */
void builder_dom_exc(void);
/* The boot-time guests bh-boot put in the bundle (boot/<name>.cfg): their on_* policies
 * apply as for guests dom0-lite built (docs/dom0-lite.md). */
void builder_adopt_boot(void);

#endif

/* SPDX-License-Identifier: MIT */
/* The xenstore and console magic pages of every domain. See include/bulkhead/magic.h and
 * docs/xenstored.md ("Domains' rings"). */
#include <stdint.h>

/* First: hvm/ headers include "../xen.h" by path, which must find ours (riscv64's). */
#include <xen/xen.h>

#include <xen/grant_table.h>
#include <xen/hvm/params.h>
#include <xen/io/xs_wire.h>

#include <bulkhead/arch.h>
#include <bulkhead/domain.h>
#include <bulkhead/errno.h>
#include <bulkhead/evtchn.h>
#include <bulkhead/gnttab.h>
#include <bulkhead/magic.h>
#include <bulkhead/printk.h>

_Static_assert(MAGIC_CONSOLE == GNTTAB_RESERVED_CONSOLE && MAGIC_STORE == GNTTAB_RESERVED_XENSTORE,
               "a magic page's offset is also its grant ref, as Xen's toolstack seeds them");

/* Linux's late xenstore init: "not yet, wait for an event on the store port". */
#define STORE_PFN_NOT_YET (~0ull)

uint64_t magic_gfn(unsigned which)
{
    return (arch_guest_magic_base() >> PAGE_SHIFT) + which;
}

static int give(struct domain *d, domid_t backend)
{
    struct domain_magic *m = &d->magic;
    int rc = 0;

    /* Pages first, so the grants below name frames that are there. */
    for (unsigned i = 0; i < MAGIC_PAGES && rc == 0; i++) {
        rc = domain_add_page(d, magic_gfn(i), &m->page[i]);
    }
    if (rc) {
        return rc;
    }
    /* A zeroed page would say XENSTORE_CONNECTED (0): not until xenstored says so. */
    struct xenstore_domain_interface *xs = pa_va(m->page[MAGIC_STORE]);

    xs->connection = XENSTORE_RECONNECT;
    /* The store's port first, as libxl allocates them. */
    rc = evtchn_alloc_unbound_for(d, backend, &m->port[MAGIC_STORE]);
    if (rc == 0) {
        rc = evtchn_alloc_unbound_for(d, backend, &m->port[MAGIC_CONSOLE]);
    }
    for (unsigned i = 0; i < MAGIC_PAGES && rc == 0; i++) {
        rc = gnttab_seed(d, i, backend, magic_gfn(i));
    }
    return rc;
}

int magic_setup(struct domain *d)
{
    struct domain *ctl;
    domid_t backend;
    int rc;

    if (d->role == ROLE_CONTROL) {
        return 0;
    }
    ctl = domain_get_control();
    if (!ctl) {
        return 0; /* nobody would serve them: the parameters read 0, as before */
    }
    backend = ctl->id;
    domain_put(ctl);
    rc = give(d, backend);
    if (rc) {
        /* What was given is the domain's (extents, ports, grant frames): it all goes
         * with it when the caller destroys it. */
        printk("bulkhead: d%u (%s): no room for its xenstore and console pages (%d): not "
               "created\n",
               d->id, d->name, rc);
        return rc;
    }
    d->magic.backend = backend;
    /* Last: a control domain reading the params of a domain it is creating on another
     * vCPU sees all of it or nothing. */
    __atomic_store_n(&d->magic.present, true, __ATOMIC_RELEASE);
    return 0;
}

uint64_t magic_param(struct domain *d, uint32_t index, bool self)
{
    const struct domain_magic *m = &d->magic;
    const struct xenstore_domain_interface *xs;

    if (!__atomic_load_n(&m->present, __ATOMIC_ACQUIRE)) {
        return 0;
    }
    switch (index) {
    case HVM_PARAM_STORE_EVTCHN:
        return m->port[MAGIC_STORE];
    case HVM_PARAM_STORE_PFN:
        /* To the domain: the frame once xenstored has set the ring up and said so
         * (connection = XENSTORE_CONNECTED, written before it notifies the port). A
         * domain that writes the field itself only fools itself. */
        xs = pa_va(m->page[MAGIC_STORE]);
        if (self && __atomic_load_n(&xs->connection, __ATOMIC_ACQUIRE) != XENSTORE_CONNECTED) {
            return STORE_PFN_NOT_YET;
        }
        return magic_gfn(MAGIC_STORE);
    case HVM_PARAM_CONSOLE_EVTCHN:
    case HVM_PARAM_CONSOLE_PFN:
        /* To the domain: nothing until a console back end has bound the port, so that
         * Linux's hvc_xen does not fill a ring nobody drains (its writes wait for room). */
        if (self && !evtchn_bound_to(d, m->port[MAGIC_CONSOLE], m->backend)) {
            return 0;
        }
        return index == HVM_PARAM_CONSOLE_EVTCHN ? m->port[MAGIC_CONSOLE]
                                                 : magic_gfn(MAGIC_CONSOLE);
    default:
        return 0;
    }
}

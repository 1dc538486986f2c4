/* SPDX-License-Identifier: MIT */
/*
 * gnttab-peer: two guests share a page through a v1 grant. `role=grant peer=<domid>`:
 * maps its grant-table frame 0 into its physmap, grants ref 8 (read-write) of a page of
 * its free RAM to the peer with a message in it, waits for the peer's answer in the same
 * page and for the grant to be released (GTF_reading/GTF_writing clear), then revokes it.
 * `role=map peer=<domid>`: maps the grant (retrying while it is not there yet) over a page
 * of its own free RAM, checks the message, writes the answer, unmaps. Both check errors
 * on the way (another domain's ref, a read-only map of a writable grant is fine, a write
 * map of a read-only grant is refused).
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "dom/test.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/xen.h>

#define REF 8

static const char hello[] = "hello through a grant";
static const char answer[] = "and back again";

static long gnt(unsigned int cmd, void *op, unsigned int count)
{
    return dom_hypercall(__HYPERVISOR_grant_table_op, cmd, (unsigned long)op, count, 0, 0);
}

bool tg_free_pages(uint64_t *p0, uint64_t *p1)
{
    uint64_t s, e, from = 0, best = 0;

    /* The top of the largest free range (at least 2 MiB). */
    while (dom_free_next(from, &s, &e)) {
        if (e - s >= 0x200000 && (!best || e - s > best)) {
            best = e - s;
            *p0 = e - 0x200000;
            *p1 = e - 0x100000;
        }
        from = e;
    }
    return best != 0;
}

static bool wait_until(volatile uint16_t *flags, uint16_t mask, uint16_t want, uint64_t ms)
{
    uint64_t until = dom_now_ns() + ms * 1000000ull;

    while ((*flags & mask) != want && dom_now_ns() < until) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    return (*flags & mask) == want;
}

static void granter(domid_t peer, uint64_t table_gpa, uint64_t data_gpa)
{
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 0, .gpfn = table_gpa >> 12};
    volatile struct grant_entry_v1 *table = (volatile struct grant_entry_v1 *)(uintptr_t)table_gpa;
    volatile char *data = (volatile char *)(uintptr_t)data_gpa;
    uint64_t until;

    test_expect("gnttab-map-table", HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x), 0);
    memcpy((void *)data, hello, sizeof(hello));
    table[REF].domid = peer;
    table[REF].frame = (uint32_t)(data_gpa >> 12);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    table[REF].flags = GTF_permit_access;
    dom_printf("GNTTAB GRANTED ref %u to d%u\n", REF, peer);
    until = dom_now_ns() + 20000000000ull;
    while (strcmp((const char *)data, answer) != 0 && dom_now_ns() < until) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    test_check(strcmp((const char *)data, answer) == 0, "gnttab-answer-arrived", "page holds '%s'",
               (const char *)data);
    test_check(wait_until(&table[REF].flags, GTF_reading | GTF_writing, 0, 10000),
               "gnttab-released", "flags 0x%x", table[REF].flags);
    table[REF].flags = 0; /* revoke: safe once reading/writing are clear */
}

static void mapper(domid_t peer, uint64_t at)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = at, .flags = GNTMAP_host_map, .ref = REF, .dom = peer};
    struct gnttab_map_grant_ref other = {
        .host_addr = at, .flags = GNTMAP_host_map, .ref = 9, .dom = peer};
    struct gnttab_unmap_grant_ref un;
    uint64_t until = dom_now_ns() + 20000000000ull;
    volatile char *page = (volatile char *)(uintptr_t)at;

    do {
        op.status = 1;
        test_expect("gnttab-map-call", gnt(GNTTABOP_map_grant_ref, &op, 1), 0);
        if (op.status != GNTST_okay) {
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
        }
    } while (op.status != GNTST_okay && dom_now_ns() < until);
    test_expect("gnttab-map", op.status, GNTST_okay);
    if (op.status != GNTST_okay) {
        return;
    }
    test_check(strcmp((const char *)page, hello) == 0, "gnttab-read-granted-page", "'%s'",
               (const char *)page);
    gnt(GNTTABOP_map_grant_ref, &other, 1);
    test_expect("gnttab-map-ungranted-ref", other.status, GNTST_bad_gntref);
    memcpy((void *)page, answer, sizeof(answer));
    un = (struct gnttab_unmap_grant_ref){.host_addr = at, .handle = op.handle};
    test_expect("gnttab-unmap-call", gnt(GNTTABOP_unmap_grant_ref, &un, 1), 0);
    test_expect("gnttab-unmap", un.status, GNTST_okay);
    un.status = 1;
    gnt(GNTTABOP_unmap_grant_ref, &un, 1);
    test_expect("gnttab-unmap-twice", un.status, GNTST_bad_handle);
}

int mode_gnttab_peer(void)
{
    domid_t peer = (domid_t)dom_arg_u64("peer", 0);
    uint64_t p0 = 0, p1 = 0;

    if (!test_check(tg_free_pages(&p0, &p1), "gnttab-free-pages", "not enough free RAM")) {
        test_done();
        return 0;
    }
    if (dom_arg_is("role", "grant")) {
        granter(peer, p0, p1);
    } else {
        mapper(peer, p1);
    }
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: hypercall_dispatch() with fuzzed registers, against a domain on the
 * fake arch whose RAM the input partly fills.
 *
 * Input: one config byte (1 or 2 vCPUs, the guest console's policy, the domain's role;
 * a stub domain is paired with a second domain, its target, so dm_op, acquire_resource
 * and foreign maps reach the ioreq code; a control domain reaches domctl/sysctl),
 * a 16-bit length and that many bytes copied into guest RAM at FILL_OFF (the structures
 * the calls' pointers may land on), then records, each one call or one event:
 * - op: the low 3 bits pick the number (the implemented calls, multicall, any of
 *   0..63, or a raw 64-bit one); op >= 0xf0 is an event instead: time passes, timers fire.
 * - vcpu: which vCPU makes the call.
 * - 3 x arg: a kind byte and its payload: small values, the edge lengths, pointers into
 *   the filled area, anywhere in RAM, at its end, past it, below it, at the address-space
 *   limit, a well-formed request structure (add_to_physmap, register_vcpu_info,
 *   singleshot timer, shutdown, feature info) with fuzzed fields written into the fill
 *   area, or 8 raw bytes; bit 7 of the kind ORs 32 random high bits in (Xen drops them
 *   from `int` arguments).
 * A call's continuations are re-executed as the arch code would. After every call the
 * domain's quota must match the pages it holds, and an add_to_physmap that returned 0
 * must have put shared_info at its gpfn; after the input the domain is destroyed and
 * every page must be back in the allocator.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_hyp.h"

#include <xen/features.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/guest_console.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/p2m.h>

#define GUEST_RAM      ((2ull << 20) + (64ull << 10)) /* a 2 MiB block (remaps split it) + pages */
#define FILL_OFF       0x10000ull
#define FILL_MAX       8192u
#define MAX_CALLS      512
#define MAX_PIECES     (1u << 20) /* continuations of one call */
#define CON_MAX        0x2000u    /* console bytes one call may print: two pieces */
#define G(off)         (FAKE_GUEST_RAM_BASE + (off))
#define NR_IMPLEMENTED 11

static const uint64_t implemented[NR_IMPLEMENTED] = {
    __HYPERVISOR_memory_op,      __HYPERVISOR_xen_version, __HYPERVISOR_console_io,
    __HYPERVISOR_vcpu_op,        __HYPERVISOR_sched_op,    __HYPERVISOR_event_channel_op,
    __HYPERVISOR_grant_table_op, __HYPERVISOR_hvm_op,      __HYPERVISOR_dm_op,
    __HYPERVISOR_domctl,         __HYPERVISOR_sysctl,
};

static const uint64_t edges[] = {
    0,          1,          2,          7,           8,     4095,         4096,       4097,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, ~0ull, ~0ull - 4095, 1ull << 63,
};

static bool is_implemented(uint64_t nr)
{
    for (unsigned i = 0; i < NR_IMPLEMENTED; i++) {
        if (implemented[i] == nr) {
            return true;
        }
    }
    return false;
}

static uint64_t decode_nr(struct fuzz_in *in, uint8_t op)
{
    switch (op & 7) {
    case 5:
        return __HYPERVISOR_multicall;
    case 6:
        return fuzz_take(in, 1) & 63;
    case 7:
        return fuzz_take(in, 8);
    default:
        /* Five op values, eleven calls: the low bits and one more byte pick. */
        return implemented[((op & 7) + 5 * (fuzz_take(in, 1) % 3)) % NR_IMPLEMENTED];
    }
}

/* A frame for a structure's gpfn/mfn field: in RAM, just past it, or anything. */
static uint64_t decode_gfn(struct fuzz_in *in, const struct domain *d)
{
    uint8_t k = (uint8_t)fuzz_take(in, 1);

    switch (k & 3) {
    case 0:
        return (FAKE_GUEST_RAM_BASE + d->ram_size) / PAGE_SIZE - 1 - (k >> 2);
    case 1:
        return (FAKE_GUEST_RAM_BASE + d->ram_size) / PAGE_SIZE + (k >> 2);
    case 2:
        return FAKE_GUEST_RAM_BASE / PAGE_SIZE + fuzz_take(in, 2);
    default:
        return fuzz_take(in, 8);
    }
}

/* A well-formed request structure with fuzzed fields, written into guest RAM at an
 * offset of the fill area: the shortcut past "is the domid ours, is the space known"
 * that raw bytes take libFuzzer long to find. Returns its guest address. */
static uint64_t decode_struct(struct fuzz_in *in, struct domain *d)
{
    uint64_t at = G(FILL_OFF + (fuzz_take(in, 2) % FILL_MAX & ~7u));
    uint8_t k = (uint8_t)fuzz_take(in, 1);
    union {
        struct xen_add_to_physmap atp;
        struct vcpu_register_vcpu_info rvi;
        struct vcpu_set_singleshot_timer sst;
        struct sched_shutdown sd;
        xen_feature_info_t fi;
        uint8_t raw[32];
    } u;

    memset(&u, 0, sizeof(u));
    switch (k % 5) {
    case 0:
        u.atp.domid = (k & 8) ? (domid_t)fuzz_take(in, 2) : (k & 16) ? d->id : DOMID_SELF;
        u.atp.size = (uint16_t)fuzz_take(in, 2);
        u.atp.space = (k & 32) ? (unsigned)fuzz_take(in, 4) : XENMAPSPACE_shared_info;
        u.atp.idx = (k & 64) ? fuzz_take(in, 8) : 0;
        u.atp.gpfn = decode_gfn(in, d);
        break;
    case 1:
        u.rvi.mfn = decode_gfn(in, d);
        u.rvi.offset = (uint32_t)((k & 8) ? fuzz_take(in, 4) : fuzz_take(in, 2) % PAGE_SIZE);
        break;
    case 2:
        u.sst.timeout_abs_ns =
            (k & 8) ? fuzz_take(in, 8) : time_ticks_to_ns(fake_counter) + fuzz_take(in, 3);
        u.sst.flags = (uint32_t)fuzz_take(in, 1);
        break;
    case 3:
        u.sd.reason = (unsigned)((k & 8) ? fuzz_take(in, 4) : fuzz_take(in, 1) % 8);
        break;
    default:
        u.fi.submap_idx = (unsigned)((k & 8) ? fuzz_take(in, 4) : fuzz_take(in, 1) % 2);
        break;
    }
    if (domain_copy_in(d, ipa_init(at), pa_init((uint64_t)(uintptr_t)&u), sizeof(u))) {
        fuzz_fail("domain_copy_in of a request structure");
    }
    return at;
}

static uint64_t decode_arg(struct fuzz_in *in, struct domain *d)
{
    uint8_t kind = (uint8_t)fuzz_take(in, 1);
    uint64_t ram_end = G(d->ram_size), limit = p2m_ipa_limit(&d->p2m);
    uint64_t v;

    switch (kind & 0xf) {
    case 0:
    case 1:
        v = fuzz_take(in, 1);
        break;
    case 2:
        v = edges[fuzz_take(in, 1) % ARRAY_SIZE(edges)];
        break;
    case 3:
    case 4:
        v = G(FILL_OFF + fuzz_take(in, 2) % FILL_MAX);
        break;
    case 5:
        v = G(fuzz_take(in, 4) % d->ram_size);
        break;
    case 6:
        v = ram_end - fuzz_take(in, 1);
        break;
    case 7:
        v = ram_end + fuzz_take(in, 4);
        break;
    case 8:
        v = fuzz_take(in, 4) % FAKE_GUEST_RAM_BASE;
        break;
    case 9:
        v = limit - 64 + fuzz_take(in, 1);
        break;
    case 10:
    case 11:
    case 12:
        v = decode_struct(in, d);
        break;
    default:
        v = fuzz_take(in, 8);
        break;
    }
    if (kind & 0x80) {
        v |= fuzz_take(in, 4) << 32;
    }
    return v;
}

/* Every page @d holds, counted from its own records. */
static uint64_t pages_held(const struct domain *d)
{
    uint64_t n = 1 + 1 + d->nr_vcpus + d->p2m.pt.tables; /* domain, shared_info */

    /* Event-channel pages; grant-table frames with their pin counts; maptrack pages. */
    for (unsigned i = 0; i < EVTCHN_PAGES; i++) {
        n += d->evtchn.pages[i] != NULL;
    }
    n += 2ull * d->gnttab.nr_frames;
    for (unsigned i = 0; i < ARRAY_SIZE(d->gnttab.maptrack); i++) {
        n += d->gnttab.maptrack[i] != NULL;
    }

    for (const struct extent_page *ep = d->extents; ep; ep = ep->next) {
        n += 1;
        for (uint64_t i = 0; i < ep->count; i++) {
            n += 1ull << ep->e[i].order;
        }
    }
    return n;
}

static void run_as(struct vcpu *v)
{
    struct pcpu *cpu = &pcpus[v->pcpu];

    arch_set_this_cpu(cpu);
    cpu->curr = v;
    /* A vCPU that makes a call is running: whatever it blocked on has woken it. */
    if (v->state == VCPU_BLOCKED || v->state == VCPU_DOWN) {
        v->state = VCPU_RUNNABLE;
    }
}

static void one_call(struct domain *d, struct fuzz_in *in, uint8_t op)
{
    struct vcpu *v = d->vcpus[fuzz_take(in, 1) % d->nr_vcpus];
    struct hypercall hc = {.nr = decode_nr(in, op)};
    struct xen_add_to_physmap atp;
    unsigned pieces = 0;
    bool want_map;
    int64_t rc;

    for (unsigned i = 0; i < 3; i++) {
        hc.a[i] = decode_arg(in, d);
    }
    hc.a[3] = fuzz_take(in, 1);
    hc.a[4] = fuzz_take(in, 1);
    if (hc.nr == __HYPERVISOR_console_io && (uint32_t)hc.a[1] > CON_MAX && hc.a[2] >= G(0) &&
        hc.a[2] < G(d->ram_size) - CON_MAX) {
        /* A long count from a good pointer prints all of RAM (seconds per input): move
         * the pointer to RAM's last CON_MAX bytes, where the write faults part-way. */
        hc.a[2] = G(d->ram_size) - (hc.a[2] & (CON_MAX - 1)) - 1;
    }
    run_as(v);
    want_map = hc.nr == __HYPERVISOR_memory_op && (hc.a[0] & 63) == XENMEM_add_to_physmap &&
               copy_from_guest(v, &atp, hc.a[1], sizeof(atp)) == 0;
    do {
        rc = hypercall_dispatch(v, &hc);
        /* The arch code passes through the scheduler between pieces; now and then
         * another vCPU wants the CPU, so the next piece stops early. */
        this_cpu()->need_resched = (pieces & 63) == 1;
        if (++pieces > MAX_PIECES) {
            fuzz_fail("a continuation never ends");
        }
    } while (hc.restart);
    this_cpu()->need_resched = false;
    if (!is_implemented(hc.nr) && rc != -ENOSYS) {
        fuzz_fail("an unknown hypercall did not answer -ENOSYS");
    }
    if (rc < -4095) {
        fuzz_fail("a result that is neither a value nor an errno");
    }
    if (want_map && rc == 0) {
        /* The call said it mapped shared_info at gpfn: the guest must see it there. */
        struct p2m_locked l = p2m_lock(&d->p2m);
        unsigned attr = 0;
        paddr_t pa;
        int got = p2m_lookup(l, ipa_init(atp.gpfn << PAGE_SHIFT), &pa, &attr);

        p2m_unlock(l);
        if (got || pa_addr(pa) != pa_addr(d->shared_info) || !(attr & PT_W)) {
            fuzz_fail("add_to_physmap returned 0 but shared_info is not at gpfn");
        }
    }
    if (d->quota.used > d->quota.max || d->quota.used != pages_held(d)) {
        fprintf(stderr, "quota used %llu max %llu held %llu\n", (unsigned long long)d->quota.used,
                (unsigned long long)d->quota.max, (unsigned long long)pages_held(d));
        fuzz_fail("the quota does not match the pages the domain holds");
    }
}

/* Time passes on every CPU: due timers fire. */
static void time_passes(struct fuzz_in *in)
{
    fake_counter += fuzz_take(in, 4);
    for (unsigned i = 0; i < nr_pcpus; i++) {
        arch_set_this_cpu(&pcpus[i]);
        timer_interrupt();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct domain_config cfg = {.name = "fuzz", .ram_size = GUEST_RAM};
    uint64_t free0;
    struct domain *d, *target = NULL;
    uint8_t config;
    size_t fill;

    fuzz_host_setup();
    free0 = page_alloc_free_pages();
    config = (uint8_t)fuzz_take(&in, 1);
    cfg.nr_vcpus = 1 + (config & 1);
    cfg.role = (enum domain_role)((config >> 2) & 3); /* every role's checks */
    /* The guest console's two policies (guest_console= on the command line). */
    guest_console_set_policy((config & 2) ? GUEST_CONSOLE_DROP : GUEST_CONSOLE_ALL);
    if (domain_create(&cfg, &d) != 0) {
        fuzz_fail("domain_create");
    }
    if (cfg.role == ROLE_STUB) {
        struct domain_config tcfg = {.name = "target", .ram_size = GUEST_RAM, .nr_vcpus = 1};

        if (domain_create(&tcfg, &target) != 0 || domain_pair_stub(d, target) != 0) {
            fuzz_fail("stub pairing");
        }
    }
    fill = fuzz_take(&in, 2) % (FILL_MAX + 1);
    fill = fill < in.left ? fill : in.left;
    if (domain_copy_in(d, ipa_init(G(FILL_OFF)), pa_init((uint64_t)(uintptr_t)in.p), fill)) {
        fuzz_fail("domain_copy_in");
    }
    in.p += fill;
    in.left -= fill;
    domain_start(d, G(0), 0);
    for (unsigned n = 0; n < MAX_CALLS && in.left && d->state != DOM_DYING; n++) {
        uint8_t op = (uint8_t)fuzz_take(&in, 1);

        if (op >= 0xf0) {
            time_passes(&in);
        } else {
            one_call(d, &in, op);
        }
    }
    for (unsigned i = 0; i < nr_pcpus; i++) {
        pcpus[i].curr = NULL;
        pcpus[i].need_resched = false;
    }
    arch_set_this_cpu(&pcpus[0]);
    domain_destroy(d);
    if (target) {
        domain_destroy(target);
    }
    fuzz_check_no_leak(free0);
    fake_console_reset();
    return 0;
}

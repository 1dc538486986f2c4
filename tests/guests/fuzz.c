/* SPDX-License-Identifier: MIT */
/*
 * fuzz: a seeded hypercall fuzzer (issue 16), and heartbeat, the neighbour that shows
 * another guest keeps its CPU time while one fuzzes.
 *
 * fuzz draws hypercall numbers (the implemented ones, any of 0..63, huge ones), sub-ops
 * with the high bits Xen ignores (bits 63:32 of `int` arguments, memory_op's start-extent
 * bits), pointers (its scratch area in free RAM, the last bytes of RAM, unmapped holes,
 * device ranges of both virt boards, the hypervisor's load address from hyp= when it is
 * not in our RAM, the top of the address space) and lengths at the edges (0, 1, page - 1, page,
 * page + 1, 2^31 - 1, 2^32 - 1, 2^64 - 1). Everything follows from seed=, so a run is reproduced by
 * its seed (the FUZZ lines print it, and per vCPU the seed is seed + vCPU id).
 *
 * It keeps itself alive: no SCHEDOP_shutdown / remote_shutdown / watchdog / poll, no
 * VCPUOP_initialise / up / down (no vCPU of ours is started or stopped by the fuzz), no
 * memory_op sub-op that takes pages away (decrease_reservation, exchange,
 * remove_from_physmap, add_to_physmap_batch) with a real pointer; a pointer the
 * hypervisor may write through is only ever the scratch area; add_to_physmap and
 * register_vcpu_info get frames in free RAM or beyond RAM, never our image, stacks or the
 * DTB; SCHEDOP_block only with a singleshot timer 1 ms ahead (else nothing would wake
 * us). Console writes from a valid pointer are short printable lines: a long count comes
 * with a pointer that faults within a page, so the console is not flooded.
 *
 * The checks: an unknown number (and multicall, which does not exist yet) must answer
 * -ENOSYS; every result must be a value or a Xen errno; our image must be unchanged
 * (checksummed every `every` calls). Lines: `FUZZ v<id> <i>/<n>` progress, then per vCPU
 * `FUZZ v<id> done calls=<n> seed=<s>` and `FUZZ v<id> rc <name>=<count> ...`.
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/xen.h>

#define SCRATCH_SIZE (64ull << 10) /* the hypervisor writes here: a few KiB at most */
#define SCRATCH_USE  (16ull << 10) /* pointers land in the first part; the rest is slack */
#define FUZZ_WAIT_MS 600000        /* guest time vCPU 0 waits for the others */
#define PAGE         DOM_PAGE_SIZE

/* Results counted by errno (index), positive values and others apart. */
enum { RC_ZERO, RC_POSITIVE, RC_OTHER, RC_ERRNO0 = 3 };
#define RC_ERRNOS 128
#define RC_SLOTS  (RC_ERRNO0 + RC_ERRNOS)

struct fuzz_vcpu {
    uint64_t rng;
    uint64_t calls;
    uint64_t rc[RC_SLOTS];
    uint64_t not_enosys;       /* unknown numbers that did not answer -ENOSYS */
    uint64_t not_enosys_nr;    /* the first of them */
    long not_enosys_rc;        /* and its result */
    uint64_t multicalls;       /* __HYPERVISOR_multicall calls */
    uint64_t multicall_enosys; /* of which answered -ENOSYS */
    uint64_t bad_rc;           /* results below -4095 */
    uint64_t scratch;          /* this vCPU's scratch area */
    uint32_t done;             /* finished: results are in */
};

static struct {
    uint64_t seed;
    uint64_t calls;
    uint64_t every;
    uint64_t hyp;
    uint64_t free_lo, free_hi; /* a free-RAM range for frames we may lose to shared_info */
    bool last_page_free;       /* [RAM end - page, RAM end) is free RAM */
    uint64_t image_sum;        /* checksum of our image's text and rodata */
    unsigned vcpus;
    uint32_t image_bad;
} fz;

static struct fuzz_vcpu fv[DOM_MAX_VCPUS];

/* ---- the PRNG: xorshift64*, one state per vCPU ---- */

static uint64_t rnd(struct fuzz_vcpu *f)
{
    uint64_t x = f->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    f->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint64_t below(struct fuzz_vcpu *f, uint64_t n)
{
    return rnd(f) % n;
}

/* ---- what the arguments are drawn from ---- */

static const uint64_t edges[] = {
    0, 1, PAGE - 1, PAGE, PAGE + 1, 0x7fffffffull, 0xffffffffull, ~0ull,
};

/* Device ranges of QEMU virt on both arches (GIC, UART, RTC, virtio, PCIe on aarch64;
 * CLINT, PLIC, UART, virtio on riscv64): never RAM for a guest. */
static const uint64_t devices[] = {
    0x08000000, 0x080a0000, 0x09000000, 0x09010000, 0x0a000000,   0x10000000,
    0x02000000, 0x0c000000, 0x10001000, 0x3eff0000, 0x4010000000,
};

static uint64_t ram_end(void)
{
    return dom_info.ram_base + dom_info.ram_size;
}

/* A pointer the hypervisor may read or write through, or one it must refuse. */
static uint64_t pick_ptr(struct fuzz_vcpu *f)
{
    uint64_t p;

    switch (below(f, 12)) {
    case 0:
    case 1:
    case 2:
    case 3:
        return f->scratch + below(f, SCRATCH_USE);
    case 4:
        /* Straddling or at the end of RAM: faults part-way (only if that page is ours to
         * lose, which free RAM is). */
        return fz.last_page_free ? ram_end() - below(f, 64) : ram_end() + below(f, PAGE);
    case 5:
        return ram_end() + below(f, 1ull << 32); /* the hole past RAM */
    case 6:
        return below(f, dom_info.ram_base); /* below RAM */
    case 7:
        return devices[below(f, sizeof(devices) / sizeof(devices[0]))] + below(f, 256);
    case 8:
        /* The hypervisor's load address: on QEMU virt it lies in our own RAM, at our own
         * image, which the hypervisor may write through; then the scratch area stands in
         * (the probe test covers that address from inside). */
        p = fz.hyp + below(f, 2) * below(f, 1 << 20);
        return tg_in_ram(p, 1) ? f->scratch + below(f, SCRATCH_USE) : p;
    case 9:
        return edges[below(f, sizeof(edges) / sizeof(edges[0]))];
    case 10:
        return ~0ull - below(f, 2 * PAGE);
    default:
        return rnd(f);
    }
}

static uint64_t pick_len(struct fuzz_vcpu *f)
{
    return below(f, 3) ? edges[below(f, sizeof(edges) / sizeof(edges[0]))] : below(f, 300);
}

/* A 32-bit sub-op in the low half and, half the time, junk in bits 63:32. */
static uint64_t with_high(struct fuzz_vcpu *f, uint32_t op)
{
    return below(f, 2) ? (rnd(f) & ~0xffffffffull) | op : op;
}

/* A guest frame we may lose to shared_info: free RAM, past RAM, or past any space. */
static uint64_t safe_gfn(struct fuzz_vcpu *f)
{
    switch (below(f, 4)) {
    case 0:
    case 1:
        return (fz.free_lo + below(f, (fz.free_hi - fz.free_lo) / PAGE) * PAGE) / PAGE;
    case 2:
        return ram_end() / PAGE + below(f, 1 << 20);
    default:
        return below(f, 2) ? 1ull << 40 : ~0ull >> below(f, 12);
    }
}

/* Fill @n bytes of the scratch area at @at with random bytes. */
static void scribble(struct fuzz_vcpu *f, uint64_t at, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += 8) {
        *(volatile uint64_t *)(uintptr_t)(at + i) = rnd(f);
    }
}

/* ---- one call per hypercall family; each returns the registers it used ---- */

struct call {
    uint64_t nr;
    uint64_t a[5];
};

static void draw_console_io(struct fuzz_vcpu *f, struct call *c)
{
    uint32_t cmd = below(f, 4) ? CONSOLEIO_write : (uint32_t)below(f, 4) * (below(f, 2) ? 1 : 77);

    c->a[0] = with_high(f, cmd);
    if (below(f, 2)) {
        /* A short printable line from the scratch area. */
        char *s = (char *)(uintptr_t)f->scratch;
        int n = fmt_snprintf(s, 64, "FUZZLINE %lx\n", rnd(f));

        c->a[1] = with_high(f, (uint32_t)n);
        c->a[2] = f->scratch;
    } else {
        /* Edge counts only from pointers that fault within a page. */
        uint64_t p = pick_ptr(f);

        if (tg_in_ram(p, 1)) {
            p = fz.last_page_free ? ram_end() - below(f, 64) : ram_end();
        }
        c->a[1] = pick_len(f);
        c->a[2] = p;
    }
}

static void draw_xen_version(struct fuzz_vcpu *f, struct call *c)
{
    uint32_t cmd = below(f, 4) ? (uint32_t)below(f, 16) : (uint32_t)rnd(f);

    c->a[0] = with_high(f, cmd);
    c->a[1] = pick_ptr(f);
    if (cmd == XENVER_get_features && tg_in_ram(c->a[1], 8) && below(f, 2)) {
        *(volatile uint32_t *)(uintptr_t)c->a[1] = (uint32_t)below(f, 3);
    }
}

static void draw_sched_op(struct fuzz_vcpu *f, struct call *c)
{
    uint32_t cmd = (uint32_t)(below(f, 3) ? below(f, 12) : rnd(f));

    if (cmd == SCHEDOP_shutdown || cmd == SCHEDOP_remote_shutdown || cmd == SCHEDOP_watchdog ||
        cmd == SCHEDOP_poll || cmd == SCHEDOP_shutdown_code) {
        cmd = SCHEDOP_yield; /* we keep ourselves alive */
    }
    if (cmd == SCHEDOP_block) {
        /* Something must wake us: our own timer, 1 ms ahead. */
        struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = dom_now_ns() + 1000000};

        HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, dom_vcpu_self(), &t);
    }
    c->a[0] = with_high(f, cmd);
    c->a[1] = pick_ptr(f);
}

static void draw_vcpu_op(struct fuzz_vcpu *f, struct call *c)
{
    uint32_t cmd = (uint32_t)(below(f, 3) ? below(f, 16) : rnd(f));
    uint64_t id = below(f, 4) ? below(f, fz.vcpus + 1) : rnd(f);
    uint64_t p = pick_ptr(f);

    if (cmd == VCPUOP_initialise || cmd == VCPUOP_up || cmd == VCPUOP_down) {
        cmd = VCPUOP_is_up; /* no vCPU of ours is started or stopped by the fuzz */
    }
    if (tg_in_ram(p, 64)) {
        scribble(f, p & ~7ull, 64);
        if (cmd == VCPUOP_register_vcpu_info) {
            struct vcpu_register_vcpu_info *r = (void *)(uintptr_t)(p & ~7ull);

            /* Xen writes vcpu_info there: a frame we may lose, or one not in RAM. */
            r->mfn = safe_gfn(f);
            r->offset = (uint32_t)(below(f, 2) ? below(f, PAGE) : rnd(f));
            p &= ~7ull;
        } else if (cmd == VCPUOP_set_singleshot_timer) {
            struct vcpu_set_singleshot_timer *t = (void *)(uintptr_t)(p & ~7ull);

            t->timeout_abs_ns = below(f, 2) ? dom_now_ns() + below(f, 2000000) : rnd(f);
            t->flags = (uint32_t)below(f, 4);
            p &= ~7ull;
        }
    }
    c->a[0] = with_high(f, cmd);
    c->a[1] = id;
    c->a[2] = p;
}

static void draw_memory_op(struct fuzz_vcpu *f, struct call *c)
{
    uint64_t sub =
        below(f, 3) ? (below(f, 2) ? XENMEM_add_to_physmap : below(f, 32)) : below(f, 64);
    uint64_t extent = below(f, 3) ? 0 : rnd(f) >> below(f, 64);
    uint64_t p = pick_ptr(f);

    c->a[0] = (extent << 6) | sub;
    if (sub == XENMEM_decrease_reservation || sub == XENMEM_exchange ||
        sub == XENMEM_remove_from_physmap || sub == XENMEM_add_to_physmap_batch) {
        p = below(f, 2) ? 0 : ram_end() + below(f, PAGE); /* never a real request */
    } else if (tg_in_ram(p, 64)) {
        p &= ~7ull;
        scribble(f, p, 64);
        if (sub == XENMEM_add_to_physmap) {
            struct xen_add_to_physmap *x = (void *)(uintptr_t)p;

            x->domid = below(f, 4) ? DOMID_SELF : (domid_t)rnd(f);
            x->size = (uint16_t)rnd(f);
            x->space = below(f, 4) ? XENMAPSPACE_shared_info : (unsigned)below(f, 8);
            x->idx = below(f, 4) ? 0 : rnd(f);
            x->gpfn = safe_gfn(f);
        } else if (sub != XENMEM_add_to_physmap) {
            /* Unknown to us today; a request made of random words stays in the scratch
             * area, which is ours to lose. Other sub-ops that fill in frame lists
             * (populate_physmap, increase_reservation) are not implemented. */
        }
    }
    c->a[1] = p;
}

/* Event channels: any op, its struct scribbled in the scratch area, where the results
 * are written back. Closing, sending or binding our own ports cannot hurt us. */
static void draw_event_channel_op(struct fuzz_vcpu *f, struct call *c)
{
    uint32_t cmd = (uint32_t)(below(f, 4) ? below(f, 16) : rnd(f));
    uint64_t p = pick_ptr(f);

    if (tg_in_ram(p, 64)) {
        p &= ~7ull;
        scribble(f, p, 64);
        if (below(f, 2)) {
            /* Plausible ids and ports, so requests get past the first checks. */
            uint16_t *h = (void *)(uintptr_t)p;

            h[0] = below(f, 2) ? DOMID_SELF : (uint16_t)below(f, 8);
            h[1] = below(f, 2) ? DOMID_SELF : (uint16_t)below(f, 8);
            ((uint32_t *)(void *)h)[1] = (uint32_t)below(f, 1100);
        }
    }
    c->a[0] = with_high(f, cmd);
    c->a[1] = p;
}

/* Grant tables: any op and count; requests in the scratch area are made safe for us: a
 * map lands on a frame we may lose (safe_gfn), a copy writes only to such a frame of
 * ours (never through a grant, which a random table could make point at our image),
 * setup_table's frame list stays in the scratch area, and only a request outside RAM
 * gets a huge count (in RAM it would be a long but legitimate batch). */
static void draw_grant_table_op(struct fuzz_vcpu *f, struct call *c)
{
    uint32_t cmd = (uint32_t)(below(f, 4) ? below(f, 13) : rnd(f));
    uint64_t p = pick_ptr(f);
    uint64_t count = below(f, 2) ? below(f, 4) : edges[below(f, sizeof(edges) / sizeof(edges[0]))];

    if (tg_in_ram(p, 256)) {
        p &= ~7ull;
        count = below(f, 4);
        scribble(f, p, 256);
        for (unsigned i = 0; i < count; i++) {
            if (cmd == GNTTABOP_map_grant_ref) {
                struct gnttab_map_grant_ref *m = (void *)(uintptr_t)(p + i * sizeof(*m));

                m->host_addr = safe_gfn(f) * PAGE + (below(f, 8) ? 0 : below(f, PAGE));
                m->dom = below(f, 2) ? DOMID_SELF : (domid_t)below(f, 8);
                m->ref = (grant_ref_t)(below(f, 2) ? below(f, 600) : rnd(f));
            } else if (cmd == GNTTABOP_copy) {
                struct gnttab_copy *g = (void *)(uintptr_t)(p + i * sizeof(*g));

                g->flags &= (uint16_t)~GNTCOPY_dest_gref;
                g->dest.u.gmfn = safe_gfn(f);
                g->dest.domid = DOMID_SELF;
            }
        }
        if (cmd == GNTTABOP_setup_table) {
            struct gnttab_setup_table *s = (void *)(uintptr_t)p;
            uint64_t list = p + 64;

            s->nr_frames = (uint32_t)below(f, 3);
            __builtin_memcpy(&s->frame_list, &list, sizeof(list));
            count = 1;
        }
    }
    c->a[0] = cmd;
    c->a[1] = p;
    c->a[2] = count;
}

static bool implemented(uint64_t nr)
{
    return nr == __HYPERVISOR_memory_op || nr == __HYPERVISOR_xen_version ||
           nr == __HYPERVISOR_console_io || nr == __HYPERVISOR_vcpu_op ||
           nr == __HYPERVISOR_sched_op || nr == __HYPERVISOR_event_channel_op ||
           nr == __HYPERVISOR_grant_table_op || nr == __HYPERVISOR_hvm_op ||
           nr == __HYPERVISOR_dm_op ||                             /* docs/ioreq.md */
           nr == __HYPERVISOR_domctl || nr == __HYPERVISOR_sysctl; /* docs/control.md */
}

static void draw(struct fuzz_vcpu *f, struct call *c)
{
    uint64_t k = below(f, 20);

    memset(c, 0, sizeof(*c));
    for (unsigned i = 0; i < 5; i++) {
        c->a[i] = below(f, 2) ? pick_ptr(f) : pick_len(f);
    }
    if (k < 12) {
        static void (*const families[])(struct fuzz_vcpu *, struct call *) = {
            draw_console_io, draw_xen_version,      draw_sched_op,       draw_vcpu_op,
            draw_memory_op,  draw_event_channel_op, draw_grant_table_op,
        };
        static const uint64_t nrs[] = {__HYPERVISOR_console_io,    __HYPERVISOR_xen_version,
                                       __HYPERVISOR_sched_op,      __HYPERVISOR_vcpu_op,
                                       __HYPERVISOR_memory_op,     __HYPERVISOR_event_channel_op,
                                       __HYPERVISOR_grant_table_op};
        unsigned i = (unsigned)below(f, 7);

        c->nr = nrs[i];
        families[i](f, c);
        return;
    }
    if (k < 13) {
        c->nr = __HYPERVISOR_multicall;
        return;
    }
    /* Any other number: 0..63, or huge. */
    c->nr = k < 18 ? below(f, 64) : (below(f, 2) ? rnd(f) : 64 + below(f, 1000));
    if (implemented(c->nr) || c->nr == __HYPERVISOR_multicall) {
        c->nr = 63; /* those are drawn above, with their safety rules */
    }
}

/* ---- the run ---- */

static uint64_t image_checksum(void)
{
    uint64_t s = 0;

    /* The image up to a read-only object: code, then read-only data (the linker script
     * puts .text, .rodata, .data in that order), which nothing of ours writes. */
    for (const uint64_t *p = (const uint64_t *)(uintptr_t)__image_start;
         (uintptr_t)p < (uintptr_t)edges; p++) {
        s = (s ^ *p) * 0x100000001b3ull;
    }
    return s;
}

static void record(struct fuzz_vcpu *f, const struct call *c, long rc)
{
    f->calls++;
    if (rc == 0) {
        f->rc[RC_ZERO]++;
    } else if (rc > 0) {
        f->rc[RC_POSITIVE]++;
    } else if (-rc < RC_ERRNOS) {
        f->rc[RC_ERRNO0 + -rc]++;
    } else {
        f->rc[RC_OTHER]++;
    }
    if (rc < -4095) {
        f->bad_rc++;
    }
    if (c->nr == __HYPERVISOR_multicall) {
        f->multicalls++;
        f->multicall_enosys += rc == -XEN_ENOSYS;
    } else if (!implemented(c->nr) && rc != -XEN_ENOSYS && !f->not_enosys++) {
        f->not_enosys_nr = c->nr;
        f->not_enosys_rc = rc;
    }
}

static void fuzz_run(unsigned id)
{
    struct fuzz_vcpu *f = &fv[id];

    for (uint64_t i = 1; i <= fz.calls; i++) {
        struct call c;
        long rc;

        draw(f, &c);
        rc = dom_hypercall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4]);
        record(f, &c, rc);
        if (i % fz.every == 0) {
            if (image_checksum() != fz.image_sum) {
                __atomic_store_n(&fz.image_bad, 1, __ATOMIC_RELAXED);
            }
            dom_printf("FUZZ v%u %lu/%lu\n", id, i, fz.calls);
        }
    }
    __atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
}

static const struct {
    int err;
    const char *name;
} rc_names[] = {
    {XEN_EPERM, "EPERM"},   {XEN_ENOENT, "ENOENT"}, {XEN_EFAULT, "EFAULT"},
    {XEN_EEXIST, "EEXIST"}, {XEN_EINVAL, "EINVAL"}, {XEN_EDOM, "EDOM"},
    {XEN_ENOSYS, "ENOSYS"}, {XEN_ETIME, "ETIME"},   {XEN_EOPNOTSUPP, "EOPNOTSUPP"},
    {XEN_ENOMEM, "ENOMEM"}, {XEN_EBUSY, "EBUSY"},   {XEN_ERANGE, "ERANGE"},
};

static void summary(unsigned id)
{
    const struct fuzz_vcpu *f = &fv[id];
    char line[512];
    int n = fmt_snprintf(line, sizeof(line), "FUZZ v%u rc 0=%lu positive=%lu", id, f->rc[RC_ZERO],
                         f->rc[RC_POSITIVE]);
    uint64_t named = f->rc[RC_ZERO] + f->rc[RC_POSITIVE];

    for (unsigned i = 0; i < sizeof(rc_names) / sizeof(rc_names[0]); i++) {
        uint64_t k = f->rc[RC_ERRNO0 + rc_names[i].err];

        named += k;
        if (k) {
            n += fmt_snprintf(line + n, sizeof(line) - n, " %s=%lu", rc_names[i].name, k);
        }
    }
    fmt_snprintf(line + n, sizeof(line) - n, " other=%lu\n", f->calls - named);
    dom_printf("FUZZ v%u done calls=%lu seed=%lu\n", id, f->calls, fz.seed + id);
    dom_puts(line);
}

static void fuzz_secondary(unsigned id)
{
    fuzz_run(id);
    /* Returning stops this vCPU; vCPU 0 is still running, so it is never our last. */
}

/* Free RAM for the scratch areas (one per vCPU, from the top of the largest range) and
 * the frames we may lose (below them). */
static bool fuzz_layout(void)
{
    uint64_t s, e, from = 0, best_s = 0, best_e = 0;

    while (dom_free_next(from, &s, &e)) {
        if (e - s > best_e - best_s) {
            best_s = s;
            best_e = e;
        }
        if (e == (ram_end() & ~(PAGE - 1)) && e - s >= PAGE) {
            fz.last_page_free = true;
        }
        from = e;
    }
    if (best_e - best_s < fz.vcpus * SCRATCH_SIZE + 64 * PAGE) {
        return false;
    }
    for (unsigned i = 0; i < fz.vcpus; i++) {
        fv[i].scratch = best_e - (i + 1) * SCRATCH_SIZE;
    }
    fz.free_lo = best_s;
    fz.free_hi = best_e - fz.vcpus * SCRATCH_SIZE;
    return true;
}

int mode_fuzz(void)
{
    uint64_t deadline;
    bool all = true;

    fz.seed = dom_arg_u64("seed", 1);
    fz.calls = dom_arg_u64("calls", 20000);
    fz.every = dom_arg_u64("every", fz.calls / 10 ? fz.calls / 10 : 1);
    fz.hyp = dom_arg_u64("hyp", dom_info.ram_base + 0x200000);
    fz.vcpus = (unsigned)dom_arg_u64("vcpus", 1);
    if (fz.vcpus < 1 || fz.vcpus > dom_info.nr_cpus || fz.vcpus > DOM_MAX_VCPUS) {
        test_fail("fuzz", "vcpus=%u but the domain has %u", fz.vcpus, dom_info.nr_cpus);
        test_done();
        return 0;
    }
    if (!fuzz_layout()) {
        test_fail("fuzz", "not enough free RAM for the scratch areas");
        test_done();
        return 0;
    }
    fz.image_sum = image_checksum();
    for (unsigned i = 0; i < fz.vcpus; i++) {
        fv[i].rng = (fz.seed + i) * 0x9e3779b97f4a7c15ull | 1;
    }
    dom_printf("FUZZ start seed=%lu calls=%lu vcpus=%u scratch=0x%lx free=0x%lx-0x%lx hyp=0x%lx\n",
               fz.seed, fz.calls, fz.vcpus, fv[0].scratch, fz.free_lo, fz.free_hi, fz.hyp);
    for (unsigned i = 1; i < fz.vcpus; i++) {
        if (dom_vcpu_start(i, fuzz_secondary) != 0) {
            test_fail("fuzz", "cannot start vCPU %u", i);
            all = false;
        }
    }
    fuzz_run(0);
    deadline = dom_now_ns() + FUZZ_WAIT_MS * 1000000ull;
    for (unsigned i = 1; i < fz.vcpus && all; i++) {
        while (!__atomic_load_n(&fv[i].done, __ATOMIC_ACQUIRE) && dom_now_ns() < deadline) {
            dom_sleep_ms(10);
        }
        all = __atomic_load_n(&fv[i].done, __ATOMIC_ACQUIRE);
    }
    test_check(all, "fuzz-all-vcpus-finished", "a vCPU did not finish in %u s",
               FUZZ_WAIT_MS / 1000);
    for (unsigned i = 0; i < fz.vcpus; i++) {
        const struct fuzz_vcpu *f = &fv[i];

        summary(i);
        test_check(f->not_enosys == 0, "fuzz-unknown-enosys",
                   "v%u: %lu unknown numbers did not answer -ENOSYS, first 0x%lx: %ld", i,
                   f->not_enosys, f->not_enosys_nr, f->not_enosys_rc);
        test_check(f->multicall_enosys == f->multicalls, "fuzz-multicall-enosys",
                   "v%u: %lu of %lu multicalls did not answer -ENOSYS", i,
                   f->multicalls - f->multicall_enosys, f->multicalls);
        test_check(f->bad_rc == 0, "fuzz-results-are-errnos", "v%u: %lu results below -4095", i,
                   f->bad_rc);
    }
    test_check(!fz.image_bad && image_checksum() == fz.image_sum, "fuzz-image-intact",
               "our code or read-only data changed");
    test_done();
    return 0;
}

/* heartbeat: a line every period_ms= (default 100) of guest time, for ms= (default 10000),
 * sleeping on the singleshot timer and SCHEDOP_block; the test checks the gaps. */
int mode_heartbeat(void)
{
    uint64_t period = dom_arg_u64("period_ms", 100);
    uint64_t total = dom_arg_u64("ms", 10000);
    uint64_t start = dom_now_ns(), last = start, worst = 0, beats = 0;

    while (dom_now_ns() - start < total * 1000000ull) {
        uint64_t now;

        dom_sleep_ms(period);
        now = dom_now_ns();
        if (now - last > worst) {
            worst = now - last;
        }
        last = now;
        beats++;
        dom_printf("HEARTBEAT %lu t=%lu ms\n", beats, (now - start) / 1000000);
    }
    dom_printf("HEARTBEAT END beats=%lu worst_gap=%lu ms\n", beats, worst / 1000000);
    test_pass("heartbeat");
    test_done();
    return 0;
}

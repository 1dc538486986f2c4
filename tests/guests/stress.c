/* SPDX-License-Identifier: MIT */
/*
 * Stress modes for the hypervisor core's shared state (issue 12).
 *
 * flood: as many console lines as fast as possible, each its own CONSOLEIO_write with
 * no runtime pacing, so a test can check that every line arrives, in order, or (with
 * the hypervisor's guest_console=drop) that the drop report counts what was lost.
 *
 * race: two vCPUs of one domain hammer the two per-domain things the core shares
 * between CPUs: the stage-2 tables (XENMEM_add_to_physmap(shared_info) at changing
 * guest frames, some of which force 2 MiB blocks to be split) and the console line
 * buffer (CONSOLEIO_write of whole lines, again without the runtime's lock, so the two
 * vCPUs' writes really meet in the hypervisor).
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/memory.h>

#define BLOCK_2M (2ull << 20)

/* ---- flood ---- */

/*
 * flood: lines= (default 10000) lines "FLOOD <n>", n = 1..lines, then settle_ms=
 * (default 0) of sleep, so that a rate-limited console has tokens again for the last
 * lines, then "FLOOD END <lines>" and DONE.
 */
int mode_flood(void)
{
    uint64_t lines = dom_arg_u64("lines", 10000);
    uint64_t settle_ms = dom_arg_u64("settle_ms", 0);
    uint64_t failed = 0, first_n = 0;
    long first_rc = 0;
    char buf[32];

    for (uint64_t n = 1; n <= lines; n++) {
        int len = fmt_snprintf(buf, sizeof(buf), "FLOOD %lu\n", n);
        /* Straight to the hypervisor: dom_write() would pace us below the old rate
         * limit, and one vCPU needs no console lock. */
        long rc = HYPERVISOR_console_io(CONSOLEIO_write, len, buf);

        if (rc && !failed++) {
            first_rc = rc;
            first_n = n;
        }
    }
    if (settle_ms) {
        dom_sleep_ms(settle_ms);
    }
    dom_printf("FLOOD END %lu\n", lines);
    test_check(!failed, "flood-writes", "%lu writes failed, first: line %lu returned %ld", failed,
               first_n, first_rc);
    test_done();
    return 0;
}

/* ---- race ---- */

/* 60 characters, fixed: a torn or interleaved line cannot match it by accident. */
static const char race_pattern[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX";
_Static_assert(sizeof(race_pattern) == 61, "the pattern is 60 characters");

#define RACE_VCPUS     2
#define RACE_SPARE_RAM 16 /* gfns inside RAM that become shared_info aliases */
#define RACE_SPARE_OUT 6  /* gfns past RAM end, inside the guest address space */
#define RACE_GFNS      (RACE_SPARE_RAM + RACE_SPARE_OUT + 1)
#define RACE_AREA      (256ull << 10) /* private pattern area per vCPU */
#define RACE_WAIT_MS   120000         /* guest time vCPU 0 waits for vCPU 1 */
/* A frame no guest address space reaches (IPA 2^52): the call must say -EINVAL. */
#define RACE_GFN_BEYOND (1ull << 40)

/* What the two vCPUs share: set up by vCPU 0 before it starts vCPU 1. */
static struct {
    uint64_t gfn[RACE_GFNS]; /* the frames both vCPUs map shared_info at */
    uint64_t area[RACE_VCPUS];
    uint64_t iters;
    bool lines;     /* write a RACE line per round (lines=0: stage 2 only) */
    uint32_t ready; /* vCPUs at the start line */
    uint32_t done;  /* vCPU 1 finished (its results are in) */
} race;

/* One vCPU's results. */
struct race_result {
    uint64_t map_bad;      /* add_to_physmap calls with an unexpected result */
    uint64_t map_bad_gfn;  /* the first of them */
    long map_bad_rc;       /* and what it returned */
    uint64_t con_bad;      /* console writes that did not return 0 */
    long con_bad_rc;       /* the first such result */
    uint64_t area_bad;     /* pattern words that changed */
    uint64_t area_bad_at;  /* the first of them */
    uint64_t area_bad_val; /* and what it held */
};

static struct race_result race_res[RACE_VCPUS];

/* The word that belongs at @addr in vCPU @v's area. */
static uint64_t race_word(unsigned v, uint64_t addr)
{
    return 0x52ace00000000000ull ^ (uint64_t)v << 40 ^ addr;
}

/*
 * Pick the spare frames: the highest two 2 MiB blocks that lie wholly in free RAM give
 * RACE_SPARE_RAM / 2 frames each (mapping a page into a block that stage 2 maps whole
 * makes the hypervisor split it), the block below them holds the private areas, and
 * RACE_SPARE_OUT frames past RAM end (in two blocks the guest has no mapping in) plus one
 * past any address space complete the set. Nothing else in this program ever touches
 * those frames: once shared_info is mapped there, the RAM page is gone for good.
 * Returns false if RAM has no three free blocks.
 */
static bool race_pick(void)
{
    uint64_t blocks[3] = {0, 0, 0};
    uint64_t s, e, from = 0, end_blk;
    unsigned found = 0, k = 0;

    while (dom_free_next(from, &s, &e)) {
        for (uint64_t b = (s + BLOCK_2M - 1) & ~(BLOCK_2M - 1); b + BLOCK_2M <= e; b += BLOCK_2M) {
            /* Keep the three highest, highest first. */
            blocks[2] = blocks[1];
            blocks[1] = blocks[0];
            blocks[0] = b;
            found++;
        }
        from = e;
    }
    if (found < 3) {
        return false;
    }
    for (unsigned i = 0; i < RACE_SPARE_RAM; i++) {
        /* Spread over each block (1 in 16 pages), so splits and remaps hit different
         * last-level entries of one table. */
        race.gfn[k++] = (blocks[i & 1] + (uint64_t)(i / 2) * 16 * DOM_PAGE_SIZE) >> 12;
    }
    end_blk = (tg_ram_end() + BLOCK_2M - 1) & ~(BLOCK_2M - 1);
    for (unsigned i = 0; i < RACE_SPARE_OUT; i++) {
        uint64_t blk = end_blk + (i & 1 ? 8 * BLOCK_2M : BLOCK_2M);

        race.gfn[k++] = (blk + (uint64_t)(i / 2) * 37 * DOM_PAGE_SIZE) >> 12;
    }
    race.gfn[k++] = RACE_GFN_BEYOND;
    race.area[0] = blocks[2];
    race.area[1] = blocks[2] + RACE_AREA;
    return true;
}

static void race_fill(unsigned v)
{
    volatile uint64_t *p = (uint64_t *)(uintptr_t)race.area[v];

    for (uint64_t i = 0; i < RACE_AREA / 8; i++) {
        p[i] = race_word(v, (uint64_t)(uintptr_t)&p[i]);
    }
}

static void race_verify(unsigned v, struct race_result *r)
{
    volatile uint64_t *p = (uint64_t *)(uintptr_t)race.area[v];

    for (uint64_t i = 0; i < RACE_AREA / 8; i++) {
        uint64_t want = race_word(v, (uint64_t)(uintptr_t)&p[i]);
        uint64_t got = p[i];

        if (got != want && !r->area_bad++) {
            r->area_bad_at = (uint64_t)(uintptr_t)&p[i];
            r->area_bad_val = got;
        }
    }
}

/* Wait, giving the CPU away, until *@word reaches @want or @ms pass. */
static bool race_wait(uint32_t *word, uint32_t want, uint64_t ms)
{
    uint64_t deadline = dom_now_ns() + ms * 1000000ull;

    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) < want) {
        if (dom_now_ns() > deadline) {
            return false;
        }
        dom_arch_relax();
    }
    return true;
}

static void race_map(unsigned v, uint64_t iter, struct race_result *r)
{
    /* The two vCPUs walk the set at different strides, so they meet on the same frame
     * and on neighbouring ones. */
    uint64_t gfn = race.gfn[(iter * (v ? 7 : 1) + v) % RACE_GFNS];
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = gfn,
    };
    long want = gfn == RACE_GFN_BEYOND ? -XEN_EINVAL : 0;
    long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);

    if (rc != want && !r->map_bad++) {
        r->map_bad_gfn = gfn;
        r->map_bad_rc = rc;
    }
}

static void race_line(unsigned v, uint64_t iter, struct race_result *r)
{
    char buf[96];
    int len = fmt_snprintf(buf, sizeof(buf), "RACE v%u %lu %s\n", v, iter, race_pattern);
    /* Not dom_write(): its lock would keep the two vCPUs out of each other's way. */
    long rc = HYPERVISOR_console_io(CONSOLEIO_write, len, buf);

    if (rc && !r->con_bad++) {
        r->con_bad_rc = rc;
    }
}

/* Both vCPUs: fill the area, meet at the start line, iters= rounds, verify. */
static void race_body(unsigned v)
{
    struct race_result r = {0};

    race_fill(v);
    __atomic_fetch_add(&race.ready, 1, __ATOMIC_ACQ_REL);
    dom_arch_wake();
    race_wait(&race.ready, RACE_VCPUS, RACE_WAIT_MS);
    for (uint64_t i = 0; i < race.iters; i++) {
        race_map(v, i, &r);
        if (race.lines) {
            race_line(v, i, &r);
        }
    }
    race_verify(v, &r);
    race_res[v] = r;
}

static void race_secondary(unsigned id)
{
    race_body(id);
    __atomic_store_n(&race.done, 1, __ATOMIC_RELEASE);
    dom_arch_wake();
}

static void race_report(unsigned v, bool finished)
{
    const struct race_result *r = &race_res[v];
    char name[32];

    if (!finished) {
        return;
    }
    fmt_snprintf(name, sizeof(name), "race-v%u-physmap", v);
    test_check(!r->map_bad, name, "%lu unexpected results, first gfn 0x%lx: %ld", r->map_bad,
               r->map_bad_gfn, r->map_bad_rc);
    fmt_snprintf(name, sizeof(name), "race-v%u-console", v);
    test_check(!r->con_bad, name, "%lu writes failed, first: %ld", r->con_bad, r->con_bad_rc);
    fmt_snprintf(name, sizeof(name), "race-v%u-area-intact", v);
    test_check(!r->area_bad, name, "%lu words changed, first at 0x%lx = 0x%lx", r->area_bad,
               r->area_bad_at, r->area_bad_val);
}

/* race: iters= (default 2000) rounds on each of two vCPUs, lines=0 to leave the console
 * out of it; needs vcpus >= 2. */
int mode_race(void)
{
    bool finished;
    int rc;

    race.iters = dom_arg_u64("iters", 2000);
    race.lines = dom_arg_u64("lines", 1) != 0;
    if (dom_info.nr_cpus < RACE_VCPUS) {
        test_fail("race", "%u vCPUs, need %u", dom_info.nr_cpus, RACE_VCPUS);
        test_done();
        return 0;
    }
    if (!race_pick()) {
        test_fail("race", "fewer than three free 2 MiB blocks of RAM");
        test_done();
        return 0;
    }
    dom_printf("INFO race: %lu iterations, gfns 0x%lx..0x%lx in RAM, 0x%lx..0x%lx past it, "
               "areas 0x%lx 0x%lx\n",
               race.iters, race.gfn[RACE_SPARE_RAM - 1], race.gfn[0], race.gfn[RACE_SPARE_RAM],
               race.gfn[RACE_GFNS - 2], race.area[0], race.area[1]);
    rc = dom_vcpu_start(1, race_secondary);
    if (!test_expect("race-start-vcpu1", rc, 0)) {
        test_done();
        return 0;
    }
    race_body(0);
    finished = race_wait(&race.done, 1, RACE_WAIT_MS);
    test_check(finished, "race-vcpu1-finished", "not done after %u ms", RACE_WAIT_MS);
    race_report(0, true);
    race_report(1, finished);
    dom_printf("RACE END %lu\n", race.iters);
    test_done();
    return 0;
}

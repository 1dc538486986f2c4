/* SPDX-License-Identifier: MIT */
/*
 * wake: event-channel round trips between two domains on two CPUs, both sleeping
 * between events as a domain on lib/domain does (dom_evtchn_wait: WFI on aarch64,
 * SCHEDOP_block on riscv64), so each round trip is two wake-ups of a vCPU blocked on
 * another CPU. tests/system/test_wake.py bounds the median; tests/bench/vcpu_insns.py
 * counts the hypervisor's instructions per round trip.
 *
 * `test=wake role=serve peer=<domid> n=<n>`: offers its first port to the peer, then
 * answers n + WARM events, each by sending one back.
 * `test=wake role=ping peer=<domid> n=<n>`: binds the peer's port 1, then WARM + n
 * times sends and sleeps until the answer is there; prints
 * `WAKE n=<n> min=<ns> median=<ns> p90=<ns> max=<ns>` (guest time of the first n timed
 * rounds, at most 1000) and `wake-round-trips` (every answer came within 10 s).
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/event.h"
#include "dom/test.h"
#include "testguest.h"

#define WARM      5              /* untimed rounds first: both sides are asleep after them */
#define MAX_N     1000           /* timed rounds kept for the figures */
#define GIVE_UPNS 10000000000ull /* a round that takes longer has lost its event */

static uint64_t rtt[MAX_N];
static bool spin; /* wait=spin: poll the bits instead of sleeping */

static void seen(uint32_t port, void *ctx)
{
    uint32_t *want = ctx;

    if (port == want[0]) {
        want[1]++;
    }
}

/* Sleep until @port was pending @count more times, or @until (guest ns) passed. */
static bool wait_for(uint32_t port, uint32_t count, uint64_t until)
{
    uint32_t st[2] = {port, 0};

    for (;;) {
        dom_evtchn_poll(seen, st);
        if (st[1] >= count) {
            return true;
        }
        if (dom_now_ns() > until) {
            return false;
        }
        if (!spin) {
            dom_evtchn_wait();
        }
    }
}

static void sort(uint64_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint64_t x = a[i];
        unsigned j = i;

        for (; j > 0 && a[j - 1] > x; j--) {
            a[j] = a[j - 1];
        }
        a[j] = x;
    }
}

static void serve(domid_t peer, uint64_t n)
{
    uint32_t port;
    uint64_t answered = 0;
    int rc = dom_evtchn_alloc_unbound(peer, &port);

    if (!test_expect("wake-offer", rc, 0)) {
        return;
    }
    dom_printf("WAKE serving port %u\n", port);
    while (answered < n + WARM && wait_for(port, 1, dom_now_ns() + GIVE_UPNS)) {
        dom_evtchn_notify(port);
        answered++;
    }
    test_check(answered == n + WARM, "wake-served", "%lu of %lu", answered, n + WARM);
}

static void ping(domid_t peer, uint64_t n)
{
    uint64_t until = dom_now_ns() + GIVE_UPNS;
    uint32_t port;
    uint64_t done = 0, kept;
    int rc;

    /* Sleep, not yield, between tries: alone on its CPU a yield comes straight back, and
     * under -icount a spinning CPU holds the server's CPU off (QEMU runs them in turn). */
    while ((rc = dom_evtchn_bind_interdomain(peer, 1, &port)) != 0 && dom_now_ns() < until) {
        dom_sleep_ms(1);
    }
    if (!test_expect("wake-bind", rc, 0)) {
        return;
    }
    (void)wait_for(port, 0, 0); /* take what the bind left pending */
    for (uint64_t i = 0; i < n + WARM; i++) {
        uint64_t t0 = dom_now_ns();

        dom_evtchn_notify(port);
        if (!wait_for(port, 1, t0 + GIVE_UPNS)) {
            break;
        }
        if (i >= WARM && done < MAX_N) {
            rtt[done] = dom_now_ns() - t0;
        }
        done += i >= WARM;
    }
    if (!test_check(done == n, "wake-round-trips", "%lu of %lu answered", done, n) || !n) {
        return;
    }
    kept = n < MAX_N ? n : MAX_N;
    sort(rtt, (unsigned)kept);
    dom_printf("WAKE n=%lu min=%lu median=%lu p90=%lu max=%lu\n", kept, rtt[0], rtt[kept / 2],
               rtt[kept * 9 / 10], rtt[kept - 1]);
}

int mode_wake(void)
{
    uint64_t n = dom_arg_u64("n", 50);
    domid_t peer = (domid_t)dom_arg_u64("peer", 0);
    int rc;

    spin = dom_arg_is("wait", "spin");
    rc = dom_evtchn_init();
    if (!test_expect("wake-evtchn-init", rc, 0)) {
        test_done();
        return 0;
    }
    dom_printf("BENCH start %lu wake\n", n);
    if (dom_arg_is("role", "serve")) {
        serve(peer, n);
    } else {
        ping(peer, n);
    }
    dom_printf("BENCH done %lu\n", n);
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Interrupt tests on dom/irq.h, the same on every arch (tests/guests/README.md):
 *   irq-smp: every vCPU sends an IPI to every vCPU (itself included), then a broadcast;
 *            then each runs its timer at 1 kHz for one second of guest time, waiting in
 *            WFI, and the count, spurious interrupts and drift are checked.
 *   idle:    waits in WFI for ms= (timer every 100 ms) and reports its runstate.
 *   busy:    spins for ms= and checks, from its runstate, that it had its CPU.
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/irq.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/sched.h>
#include <xen/vcpu.h>

#define IRQ_WAIT_MS  20000 /* guest time for a phase before giving up */
#define TIMER_TICKS  1000  /* one second at 1 kHz */
#define TIMER_HZ     1000
#define DRIFT_MAX_MS 50 /* lateness of the last tick allowed after 1000 */

static unsigned nv;
static volatile uint32_t mail[2][DOM_MAX_VCPUS]; /* senders waiting to be seen, per round */
static volatile uint32_t got[2][DOM_MAX_VCPUS];  /* senders seen, per round */
static volatile uint32_t barrier_in[5];
static volatile uint32_t finished;

/* Per-vCPU timer results. */
static struct {
    volatile uint64_t ticks, spurious, deadline, start, end, max_late, worst_tick;
} tm[DOM_MAX_VCPUS];
static uint64_t period;

static uint32_t all_mask(void)
{
    return (1u << nv) - 1;
}

static void ipi_handler(unsigned irq, void *ctx)
{
    unsigned self = dom_vcpu_self();

    (void)irq;
    (void)ctx;
    for (unsigned r = 0; r < 2; r++) {
        uint32_t bits = __atomic_exchange_n(&mail[r][self], 0, __ATOMIC_ACQ_REL);

        __atomic_or_fetch(&got[r][self], bits, __ATOMIC_RELEASE);
    }
}

static void timer_handler(unsigned irq, void *ctx)
{
    unsigned self = dom_vcpu_self();
    uint64_t now = dom_arch_counter();

    (void)irq;
    (void)ctx;
    if (now < tm[self].deadline) {
        tm[self].spurious++;
        dom_irq_timer_set(tm[self].deadline);
        return;
    }
    if (now - tm[self].deadline > tm[self].max_late) {
        tm[self].max_late = now - tm[self].deadline;
        tm[self].worst_tick = tm[self].ticks;
    }
    if (++tm[self].ticks == TIMER_TICKS) {
        tm[self].end = now;
        dom_irq_timer_stop();
        return;
    }
    tm[self].deadline += period; /* drift-free: the next period after the last deadline */
    dom_irq_timer_set(tm[self].deadline);
}

/* Wait (yielding) until @word has every bit of @want, or the phase times out. */
static bool wait_bits(volatile uint32_t *word, uint32_t want)
{
    uint64_t deadline = dom_now_ns() + IRQ_WAIT_MS * 1000000ull;

    while ((__atomic_load_n(word, __ATOMIC_ACQUIRE) & want) != want) {
        if (dom_now_ns() > deadline) {
            return false;
        }
        dom_arch_relax();
    }
    return true;
}

#if defined(__aarch64__)
#include "dom/a64.h"

/* aarch64: SPI 64 + n routed to vCPU n (dom_irq_enable routes to the caller), made
 * pending by vCPU 0 through GICD_ISPENDR: each must arrive at its own vCPU. */
#define SPI_BASE_IRQ 64
static volatile uint32_t spi_got;

static void spi_handler(unsigned irq, void *ctx)
{
    (void)ctx;
    if (irq - SPI_BASE_IRQ == dom_vcpu_self()) {
        __atomic_or_fetch(&spi_got, 1u << (irq - SPI_BASE_IRQ), __ATOMIC_ACQ_REL);
    }
}

static void spi_setup(unsigned self)
{
    dom_irq_register(SPI_BASE_IRQ + self, spi_handler, NULL);
    dom_irq_enable(SPI_BASE_IRQ + self);
}

static void spi_fire(void)
{
    dom_mmio_write32(DOM_GICD_BASE + 0x200 + 4 * (SPI_BASE_IRQ / 32), all_mask());
}

static void spi_check(void)
{
    test_check(spi_got == all_mask(), "irq-spi-routed-to-each-vcpu", "got 0x%x of 0x%x",
               (unsigned)spi_got, all_mask());
}
#else
static void spi_setup(unsigned self)
{
    (void)self;
}

static void spi_fire(void)
{
}

static void spi_check(void)
{
}
#endif

static void barrier(unsigned n)
{
    __atomic_or_fetch(&barrier_in[n], 1u << dom_vcpu_self(), __ATOMIC_ACQ_REL);
    wait_bits(&barrier_in[n], all_mask());
}

static bool via_xen; /* via=xen: the same ticks from Xen's singleshot timer + block */

/* The comparison: VCPUOP_set_singleshot_timer and SCHEDOP_block, no virtual GIC. */
static void run_xen_timer(unsigned self)
{
    uint64_t hz = dom_info.timer_hz;

    tm[self].start = dom_arch_counter();
    tm[self].deadline = tm[self].start + period;
    while (tm[self].ticks < TIMER_TICKS) {
        uint64_t d = tm[self].deadline, now;
        struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = d / hz * 1000000000ull +
                                                                d % hz * 1000000000ull / hz};

        HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, self, &t);
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        now = dom_arch_counter();
        if (now < d) {
            continue;
        }
        if (now - d > tm[self].max_late) {
            tm[self].max_late = now - d;
            tm[self].worst_tick = tm[self].ticks;
        }
        if (++tm[self].ticks == TIMER_TICKS) {
            tm[self].end = now;
        }
        tm[self].deadline += period;
    }
}

/* aarch64: wait for this vCPU's SPI (elsewhere nothing to wait for). */
static void wait_bits_spi(void)
{
#if defined(__aarch64__)
    wait_bits(&spi_got, 1u << dom_vcpu_self());
#endif
}

static void run_timer(unsigned self)
{
    if (via_xen) {
        run_xen_timer(self);
        return;
    }
    uint64_t limit = dom_now_ns() + IRQ_WAIT_MS * 1000000ull;

    tm[self].start = dom_arch_counter();
    tm[self].deadline = tm[self].start + period;
    dom_irq_enable(DOM_IRQ_TIMER);
    dom_irq_timer_set(tm[self].deadline);
    /* Check and wait with interrupts masked: WFI still wakes on a pending one, and
     * unmasking then takes it, so no tick slips between the check and the wait. */
    for (;;) {
        dom_irq_local_disable();
        if (tm[self].ticks >= TIMER_TICKS || dom_now_ns() > limit) {
            break;
        }
        dom_irq_wait();
        dom_irq_local_enable();
    }
    dom_irq_local_enable();
    dom_irq_timer_stop();
}

static void irq_worker(unsigned self)
{
    int rc;

    if (via_xen) {
        barrier(3);
        run_timer(self);
        __atomic_or_fetch(&finished, 1u << self, __ATOMIC_ACQ_REL);
        return;
    }
    rc = self ? dom_irq_cpu_init() : 0; /* vCPU 0 did its own already */

    if (rc) {
        dom_printf("VCPU %u: dom_irq_cpu_init: %d\n", self, rc);
    }
    dom_irq_enable(DOM_IRQ_IPI);
    spi_setup(self);
    dom_irq_local_enable();
    barrier(0);
    /* Round 0: one IPI to each vCPU, this one included. */
    for (unsigned t = 0; t < nv; t++) {
        __atomic_or_fetch(&mail[0][t], 1u << self, __ATOMIC_ACQ_REL);
        dom_irq_send_ipi(t);
    }
    wait_bits(&got[0][self], all_mask());
    barrier(1);
    /* Round 1: a broadcast to the others. */
    for (unsigned t = 0; t < nv; t++) {
        if (t != self) {
            __atomic_or_fetch(&mail[1][t], 1u << self, __ATOMIC_ACQ_REL);
        }
    }
    dom_irq_send_ipi_others();
    wait_bits(&got[1][self], all_mask() & ~(1u << self));
    barrier(2);
    if (self == 0) {
        spi_fire();
    }
    wait_bits_spi();
    barrier(3);
    run_timer(self);
    __atomic_or_fetch(&finished, 1u << self, __ATOMIC_ACQ_REL);
}

static void check_ipis(void)
{
    char name[48];
    bool pairs_ok = true;

    for (unsigned t = 0; t < nv; t++) {
        uint32_t missing0 = all_mask() & ~got[0][t];
        uint32_t missing1 = (all_mask() & ~(1u << t)) & ~got[1][t];

        fmt_snprintf(name, sizeof(name), "irq-ipi-to-vcpu%u", t);
        pairs_ok &= test_check(!missing0, name, "no IPI from vCPUs 0x%x", missing0);
        fmt_snprintf(name, sizeof(name), "irq-ipi-broadcast-to-vcpu%u", t);
        test_check(!missing1, name, "no broadcast from vCPUs 0x%x", missing1);
    }
    test_check(pairs_ok, "irq-ipi-every-pair", "see above");
}

static void check_timers(void)
{
    uint64_t hz = dom_info.timer_hz;

    for (unsigned i = 0; i < nv; i++) {
        char name[48];
        uint64_t elapsed = tm[i].end - tm[i].start;
        uint64_t want = TIMER_TICKS * period;
        uint64_t late_us = elapsed > want ? (elapsed - want) * 1000000 / hz : 0;

        dom_printf("INFO timer vCPU%u: %lu ticks in %lu us (ideal %lu us), last %lu us late, "
                   "worst %lu us late (tick %lu), %lu spurious\n",
                   i, (uint64_t)tm[i].ticks, elapsed * 1000000 / hz, want * 1000000 / hz, late_us,
                   (uint64_t)tm[i].max_late * 1000000 / hz, (uint64_t)tm[i].worst_tick,
                   (uint64_t)tm[i].spurious);
        fmt_snprintf(name, sizeof(name), "irq-timer-1khz-vcpu%u-count", i);
        test_check(tm[i].ticks == TIMER_TICKS, name, "%lu ticks", (uint64_t)tm[i].ticks);
        fmt_snprintf(name, sizeof(name), "irq-timer-1khz-vcpu%u-drift", i);
        test_check(tm[i].ticks == TIMER_TICKS && elapsed >= want && late_us <= DRIFT_MAX_MS * 1000,
                   name, "1000 ticks took %lu us", elapsed * 1000000 / hz);
        fmt_snprintf(name, sizeof(name), "irq-timer-1khz-vcpu%u-no-spurious", i);
        test_check(tm[i].spurious == 0, name, "%lu early interrupts", (uint64_t)tm[i].spurious);
    }
}

int mode_irq_smp(void)
{
    nv = (unsigned)dom_arg_u64("cpus", dom_info.nr_cpus);
    period = dom_info.timer_hz / TIMER_HZ;
    via_xen = dom_arg_is("via", "xen");
    dom_printf("INFO irq-smp: %u vCPUs, counter %lu Hz\n", nv, dom_info.timer_hz);
    if (nv < 2 || nv > DOM_MAX_VCPUS) {
        test_fail("irq-smp", "need 2 to %u vCPUs, have %u", DOM_MAX_VCPUS, nv);
        test_done();
        return 0;
    }
    if (!via_xen && dom_irq_cpu_init()) {
        test_fail("irq-smp", "no interrupt controller in this domain runtime");
        test_done();
        return 0;
    }
    dom_irq_register(DOM_IRQ_IPI, ipi_handler, NULL);
    dom_irq_register(DOM_IRQ_TIMER, timer_handler, NULL);
    for (unsigned i = 1; i < nv; i++) {
        char name[32];

        fmt_snprintf(name, sizeof(name), "irq-start-vcpu%u", i);
        test_expect(name, dom_vcpu_start(i, irq_worker), 0);
    }
    irq_worker(0);
    test_check(wait_bits(&finished, all_mask()), "irq-all-finished", "finished 0x%x",
               (unsigned)finished);
    if (!via_xen) {
        check_ipis();
        spi_check();
    }
    check_timers();
    test_done();
    return 0;
}

/* ---- idle / busy: a vCPU in WFI leaves its CPU to a neighbour ---- */

static volatile uint64_t idle_ticks;

static void idle_tick(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    idle_ticks++;
    dom_irq_timer_set(dom_arch_counter() + dom_info.timer_hz / 10);
}

static bool runstate(struct vcpu_runstate_info *rs)
{
    return HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, rs) == 0;
}

static uint64_t pct(uint64_t part, uint64_t whole)
{
    return whole ? part * 100 / whole : 0;
}

int mode_idle(void)
{
    uint64_t ms = dom_arg_u64("ms", 2000), end = dom_now_ns() + ms * 1000000ull;
    struct vcpu_runstate_info a, b;
    uint64_t total;

    runstate(&a);
    if (dom_irq_cpu_init()) {
        test_fail("idle", "no interrupt controller");
        test_done();
        return 0;
    }
    dom_irq_register(DOM_IRQ_TIMER, idle_tick, NULL);
    dom_irq_enable(DOM_IRQ_TIMER);
    dom_irq_timer_set(dom_arch_counter() + dom_info.timer_hz / 10);
    for (;;) {
        dom_irq_local_disable();
        if (dom_now_ns() >= end) {
            break;
        }
        dom_irq_wait();
        dom_irq_local_enable();
    }
    dom_irq_local_enable();
    dom_irq_timer_stop();
    runstate(&b);
    total = 0;
    for (unsigned i = 0; i < 4; i++) {
        total += b.time[i] - a.time[i];
    }
    dom_printf("INFO idle: %lu ms, %lu timer ticks; running %lu%%, runnable %lu%%, blocked %lu%%\n",
               ms, (uint64_t)idle_ticks,
               pct(b.time[RUNSTATE_running] - a.time[RUNSTATE_running], total),
               pct(b.time[RUNSTATE_runnable] - a.time[RUNSTATE_runnable], total),
               pct(b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked], total));
    test_check(idle_ticks >= ms / 100 - 2 && idle_ticks <= ms / 100 + 1, "idle-timer-ticks",
               "%lu ticks in %lu ms at 10 Hz", (uint64_t)idle_ticks, ms);
    test_check(pct(b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked], total) >= 80,
               "idle-mostly-blocked", "blocked %lu%%",
               pct(b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked], total));
    test_done();
    return 0;
}

int mode_busy(void)
{
    uint64_t ms = dom_arg_u64("ms", 2000), end = dom_now_ns() + ms * 1000000ull;
    struct vcpu_runstate_info a, b;
    uint64_t running, total = 0, loops = 0;

    runstate(&a);
    while (dom_now_ns() < end) {
        loops++;
    }
    runstate(&b);
    for (unsigned i = 0; i < 4; i++) {
        total += b.time[i] - a.time[i];
    }
    running = b.time[RUNSTATE_running] - a.time[RUNSTATE_running];
    dom_printf("INFO busy: %lu ms, %lu loops; running %lu%%, runnable %lu%%\n", ms, loops,
               pct(running, total),
               pct(b.time[RUNSTATE_runnable] - a.time[RUNSTATE_runnable], total));
    test_check(pct(running, total) >= 90, "busy-had-its-cpu", "running %lu%% of %lu ms",
               pct(running, total), ms);
    test_done();
    return 0;
}

/* ---- cpuon-race: several vCPUs start one vCPU at the same moment ---- */

#define RACE_ROUNDS 20

static volatile unsigned race_go, race_arrived, race_done;
static volatile long race_res[DOM_MAX_VCPUS];
static struct dom_vcpu_boot race_boot;
static uint8_t race_stack[DOM_VCPU_STACK_SIZE] __attribute__((aligned(16)));

static unsigned race_racers;

/* Stay on until every racer has had its answer, so late starters find it on. */
static void race_target(unsigned id)
{
    (void)id;
    __atomic_add_fetch(&race_arrived, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&race_done, __ATOMIC_ACQUIRE) < race_racers) {
        dom_arch_relax();
    }
}

/* Wait for round @r's signal, then start the target like everyone else. */
static void race_once(unsigned self, unsigned target, unsigned r)
{
    while (__atomic_load_n(&race_go, __ATOMIC_ACQUIRE) != r) {
    }
    race_res[self] = dom_arch_vcpu_on(target, (uint64_t)(uintptr_t)dom_arch_secondary_entry,
                                      (uint64_t)(uintptr_t)&race_boot);
    __atomic_add_fetch(&race_done, 1, __ATOMIC_ACQ_REL);
}

static void race_racer(unsigned self)
{
    for (unsigned r = 1; r <= RACE_ROUNDS; r++) {
        race_once(self, nv - 1, r);
    }
}

int mode_cpuon_race(void)
{
    unsigned racers, bad = 0, wins = 0;

    nv = (unsigned)dom_arg_u64("cpus", dom_info.nr_cpus);
    if (nv < 3 || nv > DOM_MAX_VCPUS) {
        test_fail("cpuon-race", "need 3 to %u vCPUs, have %u", DOM_MAX_VCPUS, nv);
        test_done();
        return 0;
    }
    racers = nv - 1; /* vCPU 0 and every other but the target, the last one */
    race_racers = racers;
    race_boot.sp = (uint64_t)(uintptr_t)(race_stack + sizeof(race_stack));
    race_boot.fn = (uint64_t)(uintptr_t)race_target;
    race_boot.id = nv - 1;
    for (unsigned i = 1; i < nv - 1; i++) {
        dom_vcpu_start(i, race_racer);
    }
    for (unsigned r = 1; r <= RACE_ROUNDS; r++) {
        uint64_t deadline = dom_now_ns() + IRQ_WAIT_MS * 1000000ull;
        unsigned ok = 0, already = 0;

        /* The target must be off (and its CPU done with it) before the next round. */
        while (dom_arch_vcpu_status(nv - 1) != dom_arch_fw.off && dom_now_ns() < deadline) {
            dom_arch_relax();
        }
        race_done = 0;
        __atomic_store_n(&race_go, r, __ATOMIC_RELEASE);
        race_once(0, nv - 1, r);
        while (__atomic_load_n(&race_done, __ATOMIC_ACQUIRE) < racers && dom_now_ns() < deadline) {
            dom_arch_relax();
        }
        for (unsigned i = 0; i < nv - 1; i++) {
            ok += race_res[i] == 0;
            already += race_res[i] == dom_arch_fw.already_on;
        }
        wins += ok;
        if (ok != 1 || already != racers - 1) {
            bad++;
            dom_printf("INFO cpuon-race round %u: %u SUCCESS, %u ALREADY_ON of %u\n", r, ok,
                       already, racers);
        }
    }
    /* The last round's target may not have run yet: wait until it is off again. */
    uint64_t deadline = dom_now_ns() + IRQ_WAIT_MS * 1000000ull;
    while (dom_arch_vcpu_status(nv - 1) != dom_arch_fw.off && dom_now_ns() < deadline) {
        dom_arch_relax();
    }
    test_check(!bad, "cpuon-race-one-success-rest-already-on", "%u of %u rounds wrong", bad,
               RACE_ROUNDS);
    test_check(race_arrived == wins && wins == RACE_ROUNDS, "cpuon-race-target-ran-once-per-round",
               "arrived %u, successes %u", race_arrived, wins);
    test_done();
    return 0;
}

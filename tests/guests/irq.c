/* SPDX-License-Identifier: MIT */
/*
 * Interrupt modes on dom/irq.h (arch-neutral; an arch without an implementation yet
 * links irq_weak.c's stubs and reports FAIL):
 * rv-irq-smp (riscv64's variant of irq-smp, tests/guests/irqtest.c): every vCPU (4 by default)
 * sends an IPI to every other one in turn, then a broadcast, each delivery checked; then every vCPU
 * runs a 1 kHz timer for one second (absolute deadlines), checking the count, that no tick came
 * early, and the drift of the last tick. riscv64: odd vCPUs program the timer through Sstc's
 * stimecmp, even ones through SBI TIME. rv-idle: vCPU 0 waits in WFI for ms= (default 2000) with a
 * 100 ms timer, then checks from its runstate that it was blocked, not running, most of that time.
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/irq.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/errno.h>
#include <xen/vcpu.h>

#define WAIT_MS      5000
#define TICKS        1000
#define DRIFT_MAX_US 200000 /* TCG on a shared host: generous, reported as measured */

static volatile uint32_t ipi_from[DOM_MAX_VCPUS]; /* senders announced to each vCPU */
static volatile uint32_t ipi_got[DOM_MAX_VCPUS];  /* senders each vCPU heard from */
static volatile uint32_t ipi_count[DOM_MAX_VCPUS];
static volatile unsigned token; /* 0..n-1 pairs, n..2n-1 broadcasts, 2n timers */
static volatile uint32_t failed_wait, finished, ready;
static unsigned nr;

struct tick_stats {
    uint64_t start, period, ticks, early, max_late, sum_late, last;
    uint64_t first_early_at, first_early_by; /* tick index and counter ticks short */
};
static struct tick_stats ts[DOM_MAX_VCPUS];

static void on_ipi(unsigned irq, void *ctx)
{
    unsigned self = dom_vcpu_self();
    uint32_t from = __atomic_exchange_n(&ipi_from[self], 0, __ATOMIC_ACQ_REL);

    (void)irq;
    (void)ctx;
    __atomic_fetch_or(&ipi_got[self], from, __ATOMIC_ACQ_REL);
    __atomic_fetch_add(&ipi_count[self], 1, __ATOMIC_RELAXED);
}

static void on_tick(unsigned irq, void *ctx)
{
    struct tick_stats *s = &ts[dom_vcpu_self()];
    uint64_t now = dom_arch_counter();
    uint64_t deadline = s->start + s->ticks * s->period;

    (void)irq;
    (void)ctx;
    if (now < deadline) {
        if (!s->early++) {
            s->first_early_at = s->ticks;
            s->first_early_by = deadline - now;
        }
    } else {
        s->max_late = now - deadline > s->max_late ? now - deadline : s->max_late;
        s->sum_late += now - deadline;
    }
    s->last = now;
    if (++s->ticks < TICKS) {
        dom_irq_timer_set(s->start + s->ticks * s->period);
    }
}

/* Sleep in WFI with interrupts masked until @cond holds (the interrupt is taken when
 * they are unmasked again), or WAIT_MS pass; only for conditions an interrupt to this
 * vCPU announces (the deadline is checked at each wake-up). */
static bool wait_irq(bool (*cond)(unsigned), unsigned arg)
{
    uint64_t end = dom_now_ns() + WAIT_MS * 1000000ull;
    bool ok;

    dom_irq_local_disable();
    while (!(ok = cond(arg)) && dom_now_ns() < end) {
        dom_irq_wait();
        dom_irq_local_enable();
        dom_irq_local_disable();
    }
    dom_irq_local_enable();
    if (!ok) {
        __atomic_fetch_or(&failed_wait, 1u << dom_vcpu_self(), __ATOMIC_RELAXED);
    }
    return ok;
}

static bool token_is(unsigned t)
{
    return __atomic_load_n(&token, __ATOMIC_ACQUIRE) >= t;
}

static bool heard_from(unsigned i)
{
    for (unsigned j = 0; j < nr; j++) {
        if (j != i && !(__atomic_load_n(&ipi_got[j], __ATOMIC_ACQUIRE) & (1u << i))) {
            return false;
        }
    }
    return true;
}

static bool ticks_done(unsigned self)
{
    return __atomic_load_n(&ts[self].ticks, __ATOMIC_ACQUIRE) >= TICKS;
}

/* Hand the turn on and wake whoever has it now: the next sender, or everyone for the
 * timer phase. */
static void pass_token(void)
{
    unsigned t = __atomic_add_fetch(&token, 1, __ATOMIC_ACQ_REL);

    if (t < 2 * nr) {
        dom_irq_send_ipi(t % nr);
    } else {
        dom_irq_send_ipi_others();
    }
}

static void ipi_round(unsigned self, bool broadcast)
{
    for (unsigned j = 0; j < nr; j++) {
        if (j != self) {
            __atomic_fetch_or(&ipi_from[j], 1u << self, __ATOMIC_ACQ_REL);
            if (!broadcast) {
                dom_irq_send_ipi(j);
            }
        }
    }
    if (broadcast) {
        dom_irq_send_ipi_others();
    }
    /* Every other vCPU heard from us. Nothing interrupts us when they have, so poll,
     * giving the CPU away. */
    uint64_t end = dom_now_ns() + WAIT_MS * 1000000ull;

    while (!heard_from(self) && dom_now_ns() < end) {
        dom_arch_relax();
    }
    if (!heard_from(self)) {
        __atomic_fetch_or(&failed_wait, 1u << self, __ATOMIC_RELAXED);
    }
}

static void run_timer(unsigned self)
{
    struct tick_stats *s = &ts[self];

#ifdef __riscv
    dom_irq_riscv_use_sstc(self & 1);
#endif
    s->period = dom_info.timer_hz / 1000;
    dom_irq_register(DOM_IRQ_TIMER, on_tick, NULL);
    dom_irq_enable(DOM_IRQ_TIMER);
    s->start = dom_arch_counter() + s->period;
    dom_irq_timer_set(s->start);
    wait_irq(ticks_done, self);
    dom_irq_disable(DOM_IRQ_TIMER);
    dom_irq_timer_stop();
}

static void irq_worker(unsigned self)
{
    dom_irq_cpu_init();
    dom_irq_register(DOM_IRQ_IPI, on_ipi, NULL);
    dom_irq_enable(DOM_IRQ_IPI);
    dom_irq_local_enable();
    __atomic_fetch_or(&ready, 1u << self, __ATOMIC_ACQ_REL);
    /* An IPI to a vCPU that is not started yet would be lost: vCPU 0 goes first, once
     * everyone listens. */
    if (self == 0) {
        uint64_t end = dom_now_ns() + WAIT_MS * 1000000ull;

        while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) != (1u << nr) - 1 && dom_now_ns() < end) {
            dom_arch_relax();
        }
    }
    /* Pairs: each vCPU in turn IPIs every other one. */
    if (wait_irq(token_is, self)) {
        for (unsigned j = 0; j < nr; j++) {
            __atomic_store_n(&ipi_got[j],
                             __atomic_load_n(&ipi_got[j], __ATOMIC_ACQUIRE) & ~(1u << self),
                             __ATOMIC_RELEASE);
        }
        ipi_round(self, false);
        pass_token();
    }
    /* Broadcasts: the same, with one send_ipi to all others. */
    if (wait_irq(token_is, nr + self)) {
        for (unsigned j = 0; j < nr; j++) {
            __atomic_fetch_and(&ipi_got[j], ~(1u << self), __ATOMIC_ACQ_REL);
        }
        ipi_round(self, true);
        pass_token();
    }
    if (wait_irq(token_is, 2 * nr)) {
        run_timer(self);
    }
    dom_irq_local_disable();
    __atomic_fetch_or(&finished, 1u << self, __ATOMIC_RELEASE);
}

static void irq_report(void)
{
    char name[32];

    for (unsigned i = 0; i < nr; i++) {
        struct tick_stats *s = &ts[i];
        uint64_t hz = dom_info.timer_hz;
        uint64_t drift_us =
            s->ticks ? (s->last - (s->start + (s->ticks - 1) * s->period)) * 1000000 / hz : 0;

        dom_printf("INFO timer v%u (%s): %lu ticks, %lu early, late max %lu us mean %lu us, "
                   "last tick drift %lu us\n",
                   i, (i & 1) ? "sstc" : "sbi", s->ticks, s->early, s->max_late * 1000000 / hz,
                   s->ticks ? s->sum_late / s->ticks * 1000000 / hz : 0, drift_us);
        fmt_snprintf(name, sizeof(name), "irq-ipi-v%u-heard-all", i);
        test_check(__atomic_load_n(&ipi_got[i], __ATOMIC_ACQUIRE) ==
                       (((1u << nr) - 1) & ~(1u << i)),
                   name, "got 0x%x after %u IPIs", ipi_got[i], ipi_count[i]);
        fmt_snprintf(name, sizeof(name), "irq-timer-v%u-count", i);
        test_check(s->ticks == TICKS, name, "%lu ticks, want %u", s->ticks, TICKS);
        fmt_snprintf(name, sizeof(name), "irq-timer-v%u-never-early", i);
        test_check(s->early == 0, name,
                   "%lu ticks before their deadline (first: tick %lu, %lu us early)", s->early,
                   s->first_early_at, s->first_early_by * 1000000 / hz);
        fmt_snprintf(name, sizeof(name), "irq-timer-v%u-drift", i);
        test_check(drift_us <= DRIFT_MAX_US, name, "last tick %lu us late", drift_us);
    }
}

static bool all_finished(unsigned mask)
{
    return (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) & mask) == mask;
}

int mode_rv_irq_smp(void)
{
    uint64_t end;

    nr = (unsigned)dom_arg_u64("cpus", dom_info.nr_cpus);
    if (nr < 2 || nr > DOM_MAX_VCPUS) {
        test_fail("irq-smp", "needs 2..%u vCPUs, have %u", DOM_MAX_VCPUS, nr);
        test_done();
        return 0;
    }
    if (dom_irq_cpu_init() != 0) {
        test_fail("irq-smp", "no interrupt support on this arch yet");
        test_done();
        return 0;
    }
    for (unsigned i = 1; i < nr; i++) {
        int rc = dom_vcpu_start(i, irq_worker);

        if (rc) {
            test_fail("irq-smp", "start of vCPU %u: %d", i, rc);
        }
    }
    irq_worker(0);
    end = dom_now_ns() + 4 * WAIT_MS * 1000000ull;
    while (!all_finished((1u << nr) - 1) && dom_now_ns() < end) {
        dom_arch_relax();
    }
    test_check(all_finished((1u << nr) - 1), "irq-smp-all-finished", "finished 0x%x", finished);
    test_check(!failed_wait, "irq-smp-no-timeouts", "vCPUs 0x%x timed out waiting", failed_wait);
    irq_report();
    test_done();
    return 0;
}

/* ---- idle ---- */

static volatile uint64_t idle_ticks;
static uint64_t idle_next, idle_period;

static void on_idle_tick(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    idle_ticks++;
    idle_next += idle_period;
    dom_irq_timer_set(idle_next);
}

int mode_rv_idle(void)
{
    uint64_t ms = dom_arg_u64("ms", 2000), t0 = dom_now_ns(), end = t0 + ms * 1000000ull;
    struct vcpu_runstate_info before, after;
    uint64_t run, blocked, total;

    if (dom_irq_cpu_init() != 0) {
        test_fail("idle", "no interrupt support on this arch yet");
        test_done();
        return 0;
    }
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &before);
    idle_period = dom_info.timer_hz / 10;
    idle_next = dom_arch_counter() + idle_period;
    dom_irq_register(DOM_IRQ_TIMER, on_idle_tick, NULL);
    dom_irq_enable(DOM_IRQ_TIMER);
    dom_irq_timer_set(idle_next);
    dom_irq_local_disable();
    while (dom_now_ns() < end) {
        dom_irq_wait();
        dom_irq_local_enable();
        dom_irq_local_disable();
    }
    dom_irq_timer_stop();
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &after);
    run = after.time[RUNSTATE_running] - before.time[RUNSTATE_running];
    blocked = after.time[RUNSTATE_blocked] - before.time[RUNSTATE_blocked];
    total = run + blocked + (after.time[RUNSTATE_runnable] - before.time[RUNSTATE_runnable]);
    dom_printf("INFO idle: %lu ticks in %lu ms; running %lu, blocked %lu of %lu\n",
               (uint64_t)idle_ticks, ms, run, blocked, total);
    test_check(idle_ticks >= ms / 100 - 2 && idle_ticks <= ms / 100 + 1, "idle-ticks",
               "%lu timer ticks in %lu ms", (uint64_t)idle_ticks, ms);
    test_check(total && blocked * 10 >= total * 8, "idle-blocked", "blocked %lu of %lu", blocked,
               total);
    test_check(total && run * 10 <= total, "idle-not-running", "running %lu of %lu", run, total);
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* Timer conversions and the boot self-test (hypervisor/core/timer.c) on the fake counter. */
#include "unit.h"

#include <bulkhead/boot.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/time.h>
#include <bulkhead/timer.h>

static int setup(void **state)
{
    (void)state;
    fake_timer_reset();
    fake_console_reset();
    time_init(62500000);
    return 0;
}

static void test_conversions(void **state)
{
    (void)state;
    assert_int_equal(time_us_to_ticks(1), 62);
    assert_int_equal(time_us_to_ticks(1000000), 62500000);
    assert_int_equal(time_ticks_to_us(62500000), 1000000);
    assert_int_equal(time_ticks_to_us(625), 10);
    time_init(1000000);
    assert_int_equal(time_us_to_ticks(12345), 12345);
    assert_int_equal(time_ticks_to_us(12345), 12345);
}

static void test_selftest_passes(void **state)
{
    (void)state;
    fake_counter = 1000;
    assert_int_equal(timer_selftest(10, 1000), 0);
    assert_int_equal(fake_counter, 1000 + 10 * 62500);
    assert_false(fake_irq_enabled);
    assert_false(fake_timer_armed);
    assert_true(fake_console_contains("timer ok: 10 ticks of 1000 us in 10000 us"));
}

static void test_late_ticks_pass(void **state)
{
    (void)state;
    fake_timer_skew = 500;
    assert_int_equal(timer_selftest(3, 100), 0);
}

static void test_dead_timer_times_out(void **state)
{
    (void)state;
    fake_timer_dead = true;
    assert_int_equal(timer_selftest(5, 1000), -EIO);
    assert_true(fake_console_contains("tick 1 of 5 never came"));
    assert_false(fake_irq_enabled);
    assert_false(fake_timer_armed);
}

/* A hardware interrupt before the deadline runs no callback: the queue re-arms for the
 * same deadline, and the tick comes on time. */
static void test_early_interrupt_is_absorbed(void **state)
{
    (void)state;
    fake_counter = 1000;
    fake_timer_skew = -10;
    assert_int_equal(timer_selftest(5, 1000), 0);
    assert_true(fake_counter >= 1000 + 5 * 62500);
    assert_false(fake_irq_enabled);
}

static void nop(struct timer *t)
{
    (void)t;
}

/* timer_migrate: an armed timer is re-armed for the same expiry on its new CPU's queue;
 * an idle one is only re-bound. */
static void test_migrate(void **state)
{
    struct timer a, b;

    (void)state;
    memset(pcpus, 0, sizeof(pcpus));
    nr_pcpus = 2;
    pcpus[0].id = 0;
    pcpus[1].id = 1;
    arch_set_this_cpu(&pcpus[0]);
    timer_init(&a, nop, 0);
    timer_init(&b, nop, 0);
    timer_set(&a, 5000);
    timer_migrate(&a, 1);
    timer_migrate(&b, 1);
    assert_null(pcpus[0].timers.head);
    assert_ptr_equal(pcpus[1].timers.head, &a);
    assert_true(a.active && a.expires == 5000 && a.cpu == 1 && a.fn == nop);
    assert_false(b.active);
    assert_int_equal(b.cpu, 1);
    timer_migrate(&a, 1); /* already there: nothing changes */
    assert_ptr_equal(pcpus[1].timers.head, &a);
    timer_stop(&a);
    assert_null(pcpus[1].timers.head);
}

static unsigned fired;

static void count_fired(struct timer *t)
{
    (void)t;
    fired++;
}

/* Hardware already set for an earlier deadline is left alone when the first timer moves
 * on; the early interrupt runs nothing and re-arms for the real deadline. An earlier
 * deadline is programmed at once. */
static void test_hardware_left_at_an_earlier_deadline(void **state)
{
    struct timer a;

    (void)state;
    memset(pcpus, 0, sizeof(pcpus));
    nr_pcpus = 1;
    arch_set_this_cpu(&pcpus[0]);
    fired = 0;
    timer_init(&a, count_fired, 0);
    timer_set(&a, 1000);
    assert_int_equal(fake_timer_deadline, 1000);
    timer_set(&a, 5000); /* moved on, still first */
    assert_int_equal(fake_timer_deadline, 1000);
    fake_counter = 1000;
    timer_interrupt();
    assert_int_equal(fired, 0);
    assert_true(fake_timer_armed);
    assert_int_equal(fake_timer_deadline, 5000);
    timer_set(&a, 3000); /* earlier than the hardware: re-programmed */
    assert_int_equal(fake_timer_deadline, 3000);
    fake_counter = 3000;
    timer_interrupt();
    assert_int_equal(fired, 1);
    assert_false(fake_timer_armed);
    assert_int_equal(pcpus[0].timers.armed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_conversions, setup),
        cmocka_unit_test_setup(test_selftest_passes, setup),
        cmocka_unit_test_setup(test_late_ticks_pass, setup),
        cmocka_unit_test_setup(test_dead_timer_times_out, setup),
        cmocka_unit_test_setup(test_early_interrupt_is_absorbed, setup),
        cmocka_unit_test_setup(test_migrate, setup),
        cmocka_unit_test_setup(test_hardware_left_at_an_earlier_deadline, setup),
    };

    return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}

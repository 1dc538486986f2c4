/* SPDX-License-Identifier: MIT */
/*
 * The test guest: one program for every isolation test, its behaviour chosen by the
 * `test=<mode>` bootarg. The hypervisor prints our console as "(d<id>) ..."; system
 * tests match the PASS/FAIL/DONE lines and the hypervisor's crashed / shut down lines.
 */
#include <string.h>

#include "dom/arch.h"
#include "dom/dom.h"
#include "dom/test.h"
#include "testguest.h"

#include <xen/sched.h>
#include <xen/version.h>

uint64_t tg_ram_end(void)
{
    return dom_info.ram_base + dom_info.ram_size;
}

bool tg_in_ram(uint64_t addr, uint64_t len)
{
    return addr >= dom_info.ram_base && addr < tg_ram_end() && len <= tg_ram_end() - addr;
}

uint64_t tg_read_announced(uint64_t addr)
{
    dom_printf("ABOUT TO READ 0x%lx\n", addr);
    return *(volatile uint64_t *)(uintptr_t)addr;
}

/* spin: count to n= (default 10^7), progress every n/10, for the two-guests test. */
static int mode_spin(void)
{
    uint64_t n = dom_arg_u64("n", 10000000);
    uint64_t step = n / 10 ? n / 10 : 1;
    volatile uint64_t i;

    for (i = 1; i <= n; i++) {
        if (i % step == 0) {
            dom_printf("spin %lu/%lu\n", (uint64_t)i, n);
        }
    }
    test_pass("spin");
    test_done();
    return 0;
}

static int mode_crash_undef(void)
{
    dom_puts("ABOUT TO EXECUTE AN UNDEFINED INSTRUCTION\n");
    dom_arch_undef();
    test_fail("crash-undef", "survived");
    test_done();
    return 0;
}

static int mode_crash_sysreg(void)
{
    uint64_t v = 0;

    dom_puts("ABOUT TO READ AN IMPLEMENTATION DEFINED SYSTEM REGISTER\n");
    if (!dom_arch_impdef_sysreg(&v)) {
        test_fail("crash-sysreg", "no IMPLEMENTATION DEFINED registers on this arch");
    } else {
        test_fail("crash-sysreg", "survived, read 0x%lx", v);
    }
    test_done();
    return 0;
}

/* bench: n= null hypercalls (xen_version(XENVER_version)) back to back. */
static int mode_bench(void)
{
    uint64_t n = dom_arg_u64("n", 100000);
    long first = HYPERVISOR_xen_version(XENVER_version, NULL);

    if (first < 0) {
        test_fail("bench", "xen_version: %ld", first);
    }
    dom_printf("BENCH start %lu\n", n);
    for (uint64_t i = 0; i < n; i++) {
        HYPERVISOR_xen_version(XENVER_version, NULL);
    }
    dom_printf("BENCH done %lu\n", n);
    return 0;
}

static const struct {
    const char *name;
    unsigned reason;
} shutdown_reasons[] = {
    {"poweroff", SHUTDOWN_poweroff}, {"reboot", SHUTDOWN_reboot},
    {"suspend", SHUTDOWN_suspend},   {"crash", SHUTDOWN_crash},
    {"watchdog", SHUTDOWN_watchdog}, {"soft_reset", SHUTDOWN_soft_reset},
};

/* shutdown: reason=poweroff|reboot|suspend|crash|watchdog|soft_reset|<number>,
 * how=hypercall (SCHEDOP_shutdown, default) | firmware (PSCI / SBI SRST). */
static int mode_shutdown(void)
{
    char name[16] = "poweroff";
    uint64_t reason = SHUTDOWN_poweroff;
    bool known = false;

    dom_arg("reason", name, sizeof(name));
    for (size_t i = 0; i < sizeof(shutdown_reasons) / sizeof(shutdown_reasons[0]); i++) {
        if (!strcmp(name, shutdown_reasons[i].name)) {
            reason = shutdown_reasons[i].reason;
            known = true;
        }
    }
    if (!known && !dom_parse_u64(name, &reason)) {
        test_fail("shutdown", "unknown reason '%s'", name);
        test_done();
        return 0;
    }
    if (dom_arg_is("how", "firmware")) {
        dom_printf("SHUTDOWN %s via firmware\n", name);
        dom_arch_firmware_off(reason == SHUTDOWN_reboot, reason == SHUTDOWN_crash);
        test_fail("shutdown", "firmware call returned");
    } else {
        struct sched_shutdown sd = {.reason = (unsigned)reason};
        long ret;

        dom_printf("SHUTDOWN %s via SCHEDOP_shutdown\n", name);
        ret = HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
        test_fail("shutdown", "SCHEDOP_shutdown returned %ld", ret);
    }
    test_done();
    return 0;
}

static const struct {
    const char *name;
    int (*run)(void);
} modes[] = {
    {"hypercalls", mode_hypercalls},
    {"unmapped", mode_unmapped},
    {"probe", mode_probe},
    {"secret", mode_secret},
    {"dirty", mode_dirty},
    {"scrubcheck", mode_scrubcheck},
    {"spin", mode_spin},
    {"crash-undef", mode_crash_undef},
    {"crash-sysreg", mode_crash_sysreg},
    {"bench", mode_bench},
    {"shutdown", mode_shutdown},
    {"smp", mode_smp},
    {"sbi", mode_sbi},
    {"flood", mode_flood},
    {"race", mode_race},
    {"evtchn", mode_evtchn},
    {"evtchn-peer", mode_evtchn_peer},
    {"gnttab-peer", mode_gnttab_peer},
    {"rv-irq-smp", mode_rv_irq_smp},
    {"rv-idle", mode_rv_idle},
    {"plic", mode_plic},
    {"exc-own", mode_exc_own},
    {"exc-loop", mode_exc_loop},
    {"irq-smp", mode_irq_smp},
    {"idle", mode_idle},
    {"busy", mode_busy},
    {"exceptions", mode_exceptions},
    {"gic-misuse", mode_gic_misuse},
    {"vbench", mode_vbench},
    {"pbench", mode_pbench},
    {"evbench", mode_evbench},
    {"cpuon-race", mode_cpuon_race},
    {"exc-fatal", mode_exc_fatal},
    {"cpuhog", mode_cpuhog},
    {"fuzz", mode_fuzz},
    {"heartbeat", mode_heartbeat},
    {"irqwatch", mode_irqwatch},
    {"console-echo", mode_console_echo},
    {"uart", mode_uart},
    {"stub-echo", mode_stub_echo},
    {"mmio-client", mode_mmio_client},
    {"stub-hostile", mode_stub_hostile},
    {"control", mode_control},
    {"xs", mode_xs},
    {"xs-hostile", mode_xs_hostile},
    {"xs-bench", mode_xs_bench},
    {"xs-hog", mode_xs_hog},
    {"magic", mode_magic},
    {"wake", mode_wake}, /* wake.c: cross-CPU wake-up round trips */
};

int dom_main(void *dtb)
{
    uint64_t entered = dom_arch_counter(); /* first=1: for tests/bench/create_bench.py */
    char mode[32];

    if (dom_init(dtb)) {
        return 1;
    }
    if (dom_arg_is("first", "1")) {
        dom_printf("testguest: first C statement at %lu ns since power-on\n",
                   dom_ticks_to_ns(entered));
    }
    if (!dom_arg("test", mode, sizeof(mode))) {
        test_fail("testguest", "no test= in bootargs \"%s\"", dom_info.bootargs);
        test_done();
        return 0;
    }
    dom_printf("testguest: test=%s ram=0x%lx+0x%lx image=0x%lx-0x%lx dtb=0x%lx+0x%lx\n", mode,
               dom_info.ram_base, dom_info.ram_size, (uint64_t)(uintptr_t)__image_start,
               (uint64_t)(uintptr_t)__image_end, (uint64_t)(uintptr_t)dom_info.fdt,
               dom_info.fdt_size);
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (!strcmp(mode, modes[i].name)) {
            return modes[i].run();
        }
    }
    test_fail("testguest", "unknown test '%s'", mode);
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * test=irqwatch (tests/system/test_mgmt_channel.py): a bystander that enables every
 * device interrupt its virtual interrupt controller has (aarch64 SPIs 32-127, riscv64
 * PLIC sources 1-95) and counts what arrives while another domain's passed-through
 * device is busy. Nobody raises any of its lines, so any count is a host interrupt
 * that reached the wrong domain. Every second `IRQWATCH <s> <count>`; after `ms`
 * (default 60000) PASS irqwatch-none or FAIL with the lines seen; poweroff.
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/irq.h"
#include "dom/test.h"
#include "testguest.h"

static volatile unsigned seen, first_irq;

static void counted(unsigned irq, void *ctx)
{
    (void)ctx;
    if (!seen++) {
        first_irq = irq;
    }
    dom_irq_disable(irq); /* nothing here can quiet a device: one count per line */
}

int mode_irqwatch(void)
{
    uint64_t total = dom_arg_u64("ms", 60000), start = dom_now_ns(), next = 1000;
    int rc = dom_irq_cpu_init();

    if (rc) {
        test_fail("irqwatch", "dom_irq_cpu_init: %d", rc);
        test_done();
        return 0;
    }
    dom_irq_local_disable();
    for (unsigned irq = DOM_IRQ_DEV0 + 1; irq < DOM_IRQ_MAX; irq++) {
        dom_irq_register(irq, counted, NULL);
        dom_irq_enable(irq);
    }
    dom_printf("IRQWATCH READY lines %u-%u\n", DOM_IRQ_DEV0 + 1, DOM_IRQ_MAX - 1);
    while (dom_now_ns() - start < total * 1000000ull) {
        dom_sleep_ms(10);
        dom_irq_local_enable(); /* take what is pending */
        dom_irq_local_disable();
        if ((dom_now_ns() - start) / 1000000 >= next) {
            dom_printf("IRQWATCH %lu %u\n", (unsigned long)(next / 1000), seen);
            next += 1000;
        }
    }
    if (seen) {
        test_fail("irqwatch-none", "%u device interrupts, the first on line %u", seen, first_irq);
    } else {
        test_pass("irqwatch-none");
    }
    test_done();
    return 0;
}

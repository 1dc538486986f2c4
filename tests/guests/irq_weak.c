/* SPDX-License-Identifier: MIT */
/*
 * Weak stand-ins for dom/irq.h, so the interrupt modes link on an arch whose runtime
 * has no implementation yet (aarch64 until its arch/aarch64/domain/irq.c lands): they
 * report "no interrupt support" through dom_irq_cpu_init(). An arch's real
 * implementation overrides every one of them.
 */
#include <stdint.h>

#include "dom/irq.h"

#include <xen/errno.h>

#define WEAK __attribute__((weak))

WEAK int dom_irq_cpu_init(void)
{
    return -XEN_ENOSYS;
}

WEAK void dom_irq_register(unsigned irq, dom_irq_handler fn, void *ctx)
{
    (void)irq;
    (void)fn;
    (void)ctx;
}

WEAK void dom_irq_enable(unsigned irq)
{
    (void)irq;
}

WEAK void dom_irq_disable(unsigned irq)
{
    (void)irq;
}

WEAK void dom_irq_local_enable(void)
{
}

WEAK void dom_irq_local_disable(void)
{
}

WEAK void dom_irq_wait(void)
{
}

WEAK void dom_irq_send_ipi(unsigned vcpu)
{
    (void)vcpu;
}

WEAK void dom_irq_send_ipi_others(void)
{
}

WEAK void dom_irq_timer_set(uint64_t deadline)
{
    (void)deadline;
}

WEAK void dom_irq_timer_stop(void)
{
}

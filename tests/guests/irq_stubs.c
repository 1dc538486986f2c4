/* SPDX-License-Identifier: MIT */
/*
 * Weak stand-ins for dom/irq.h on an arch whose domain runtime does not implement it
 * yet (arch/<arch>/domain/irq.c): the interrupt tests then fail cleanly instead of the
 * test guest failing to link. A real implementation overrides every one.
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

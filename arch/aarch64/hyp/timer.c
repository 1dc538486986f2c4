/* SPDX-License-Identifier: MIT */
/* The EL2 physical timer (CNTHP_*_EL2, Arm ARM D11.2), a PPI at the GIC. */
#include <arch/sysreg.h>

#include <bulkhead/arch.h>

#define CNT_CTL_ENABLE (1u << 0)
#define CNT_CTL_IMASK  (1u << 1)

uint64_t arch_timer_now(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}

void arch_timer_set_deadline(uint64_t deadline)
{
    write_sysreg(cnthp_cval_el2, deadline);
    write_sysreg(cnthp_ctl_el2, CNT_CTL_ENABLE);
    isb();
}

void arch_timer_stop(void)
{
    write_sysreg(cnthp_ctl_el2, CNT_CTL_IMASK);
    isb();
}

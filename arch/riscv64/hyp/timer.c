/* SPDX-License-Identifier: MIT */
/*
 * The supervisor timer: the time CSR counts at the DT's timebase-frequency; the
 * deadline goes to stimecmp where Sstc is enabled, else to the firmware's SBI TIME
 * extension, which programs the M-mode timer and raises sip.STIP for us.
 */
#include <arch/csr.h>

#include <bulkhead/arch.h>

#include "riscv.h"
#include "sbi.h"

static bool has_sstc;

void timer_use_sstc(bool sstc)
{
    has_sstc = sstc;
}

bool timer_has_sstc(void)
{
    return has_sstc;
}

const char *timer_describe(void)
{
    return has_sstc ? "stimecmp (Sstc)" : "SBI set_timer";
}

uint64_t arch_timer_now(void)
{
    uint64_t t;

    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

void arch_timer_set_deadline(uint64_t deadline)
{
    /* Either way, sip.STIP follows time >= deadline: a new deadline clears it. */
    if (has_sstc) {
        csr_write(CSR_STIMECMP, deadline);
    } else {
        sbi_ecall(SBI_EXT_TIME, SBI_TIME_SET_TIMER, deadline, 0, 0);
    }
}

void arch_timer_stop(void)
{
    /* A deadline the 64-bit counter never reaches. */
    arch_timer_set_deadline(~0ull);
}

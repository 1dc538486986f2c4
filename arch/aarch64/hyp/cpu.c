/* SPDX-License-Identifier: MIT */
/* CPU primitives, early console, PSCI power control and secondary bring-up. */
#include <arch/sysreg.h>

#include <bulkhead/arch.h>
#include <bulkhead/console.h>
#include <bulkhead/errno.h>
#include <bulkhead/mm.h>
#include <bulkhead/percpu.h>

#include "psci.h"

extern char secondary_entry[];
extern const struct uart_driver uart_pl011;

const char *arch_describe(void)
{
    return "aarch64 at EL2";
}

const char *arch_xen_capabilities(void)
{
    /* As Xen on arm64, less the AArch32 ABI, which Bulkhead does not run. */
    return "xen-3.0-aarch64 ";
}

void arch_cpu_relax(void)
{
    /* WFE: a sleep until SEV in hardware, a yield to the next vCPU in QEMU. */
    __asm__ volatile("wfe" : : : "memory");
}

void arch_cpu_wake(void)
{
    dsb(ishst);
    __asm__ volatile("sev" : : : "memory");
}

void arch_wait_for_interrupt(void)
{
    dsb(sy);
    __asm__ volatile("wfi" : : : "memory");
}

void arch_irq_disable(void)
{
    __asm__ volatile("msr daifset, #2" : : : "memory");
}

void arch_irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" : : : "memory");
}

struct pcpu *arch_this_cpu(void)
{
    return (struct pcpu *)read_sysreg(tpidr_el2);
}

void arch_set_this_cpu(struct pcpu *cpu)
{
    write_sysreg(tpidr_el2, (uintptr_t)cpu);
}

/*
 * Runs first on every CPU, MMU off. HCR_EL2 (Arm ARM D13.2.46) holds for every guest:
 * stage 2 on (VM); physical IRQs, FIQs and SErrors to EL2 (else they would target EL1
 * and stay masked while we run at EL2; with IMO/FMO the guest's ICC_* accesses go to
 * the virtual CPU interface); EL1 in AArch64; broadcast TLB and barrier operations inner
 * shareable (FB, BSU); trap WFI/WFE (TWI, TWE), SMC (TSC), ID group 3 registers (TID3:
 * the ID_AA64* the guest sees are sanitised, guest_traps.c), implementation-defined
 * system registers (TIDCP) and auxiliary control (TACR).
 */
#define HCR_GUEST                                                                                  \
    (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI | HCR_TWE |   \
     HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_RW)
/* VTCR_EL2 (D13.2.151): T0SZ=24 (40-bit IPA), SL0=1 (start at level 1), write-back
 * inner shareable walks, 4 KiB granule, PS=40 bits, RES1 bit 31. */
#define VTCR_GUEST                                                                                 \
    ((24ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) | (2ull << 16) |       \
     (1ull << 31))
/* CPTR_EL2 (non-VHE): RES1 bits only, so FP/SIMD is not trapped. */
#define CPTR_EL2_RES1 0x33ffull
/* CNTHCTL_EL2: EL1 may read the physical counter (EL1PCTEN) but its physical timer
 * registers trap (EL1PCEN clear): the hypervisor emulates that timer (vtimer.c). */
#define CNTHCTL_EL1PCTEN (1ull << 0)

void arch_boot_init(void);
void arch_boot_init(void)
{
    write_sysreg(hcr_el2, HCR_GUEST);
    write_sysreg(vtcr_el2, VTCR_GUEST);
    write_sysreg(cptr_el2, CPTR_EL2_RES1);
    write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN);
    write_sysreg(cntvoff_el2, 0);
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    write_sysreg(vttbr_el2, 0);
    isb();
}

void arch_early_putc(char c)
{
    if (CONFIG_EARLY_UART_BASE) {
        uart_pl011.putc(&uart_pl011, CONFIG_EARLY_UART_BASE, 0, c);
    }
}

int64_t psci_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;

    /* SMCCC: x4-x17 may be clobbered by older firmware. */
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                       "x16", "x17", "memory");
    return (int64_t)x0;
}

void arch_system_off(void)
{
    psci_smc(PSCI_SYSTEM_OFF, 0, 0, 0);
    /* SYSTEM_OFF does not return; if firmware refused, stop this CPU for good. */
    for (;;) {
        arch_irq_disable();
        __asm__ volatile("wfi");
    }
}

int arch_cpu_start(struct pcpu *cpu)
{
    int64_t rc = psci_smc(PSCI_CPU_ON_64, cpu->hwid, (uintptr_t)secondary_entry, (uintptr_t)cpu);

    /* PSCI errors: -2 invalid parameters, -4 already on, -5 on pending, -9 bad address. */
    return rc == 0 ? 0 : (rc == -2 || rc == -9 ? -EINVAL : -EIO);
}

/* Called by secondary_entry with the stack and TPIDR_EL2 set, MMU still off. */
void arch_secondary_start(void);
void arch_secondary_start(void)
{
    arch_mmu_enable(mm_hyp_root());
    cpu_secondary_main(arch_this_cpu());
}

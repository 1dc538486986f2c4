/* SPDX-License-Identifier: MIT */
/* CPU primitives and secondary bring-up. */
#include <arch/csr.h>

#include <bulkhead/arch.h>
#include <bulkhead/mm.h>
#include <bulkhead/percpu.h>

const char *arch_describe(void)
{
    return "riscv64 in HS-mode";
}

const char *arch_xen_capabilities(void)
{
    /* Xen's form for our RISC-V ABI shim (docs/abi-riscv.md). */
    return "xen-3.0-riscv64 ";
}

void arch_cpu_relax(void)
{
    /* Zihintpause PAUSE (FENCE w,0: a hint, so a no-op where unimplemented); QEMU ends
     * the translation block on it, letting other vCPUs run under -icount. */
    __asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010" : : : "memory");
}

void arch_cpu_wake(void)
{
    /* Waiters poll with PAUSE, not a sleep: nothing to wake. Order the store they
     * poll for before whatever follows. */
    __asm__ volatile("fence w, rw" : : : "memory");
}

void arch_wait_for_interrupt(void)
{
    /* WFI wakes on a pending interrupt enabled in sie even with sstatus.SIE clear
     * (privileged spec 3.3.3), so interrupt state is unchanged. */
    __asm__ volatile("fence iorw, iorw\n\twfi" : : : "memory");
}

void arch_irq_disable(void)
{
    csr_clear(sstatus, SSTATUS_SIE);
}

void arch_irq_enable(void)
{
    csr_set(sstatus, SSTATUS_SIE);
}

struct pcpu *arch_this_cpu(void)
{
    struct pcpu *cpu;

    __asm__ volatile("mv %0, tp" : "=r"(cpu));
    return cpu;
}

void arch_set_this_cpu(struct pcpu *cpu)
{
    __asm__ volatile("mv tp, %0" : : "r"(cpu) : "memory");
}

/* Called by secondary_entry with sp and tp set, MMU still off. */
/* For head.S: a secondary that OpenSBI 1.1 sent to _start finds its struct pcpu. */
extern const uint64_t hyp_pcpu_stride, hyp_pcpu_hwid_offset;
const uint64_t hyp_pcpu_stride = sizeof(struct pcpu);
const uint64_t hyp_pcpu_hwid_offset = offsetof(struct pcpu, hwid);

void arch_secondary_start(void);
void arch_secondary_start(void)
{
    arch_mmu_enable(mm_hyp_root());
    cpu_secondary_main(arch_this_cpu());
}

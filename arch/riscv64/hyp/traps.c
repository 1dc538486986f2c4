/* SPDX-License-Identifier: MIT */
/* HS-mode trap handling: interrupts, CSR probes, and a register dump + panic for
 * anything unexpected. */
#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>
#include <bulkhead/sched.h>

extern char hyp_trap_entry[];

/* ABI names of x1-x31, for the dump. */
static const char *const reg_names[31] = {
    "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0", "a1",
    "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5", "s6",
    "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

/* Exception codes (privileged spec table 4.2; 20-23 from the H extension, 8.6.2). */
static const char *const exc_names[24] = {
    [0] = "instruction address misaligned",
    [1] = "instruction access fault",
    [2] = "illegal instruction",
    [3] = "breakpoint",
    [4] = "load address misaligned",
    [5] = "load access fault",
    [6] = "store/AMO address misaligned",
    [7] = "store/AMO access fault",
    [8] = "ecall from U-mode",
    [9] = "ecall from HS-mode",
    [10] = "ecall from VS-mode",
    [11] = "ecall from M-mode",
    [12] = "instruction page fault",
    [13] = "load page fault",
    [15] = "store/AMO page fault",
    [20] = "instruction guest-page fault",
    [21] = "load guest-page fault",
    [22] = "virtual instruction",
    [23] = "store/AMO guest-page fault",
};

static const char *cause_name(uint64_t scause)
{
    uint64_t code = scause & ~SCAUSE_INTERRUPT;

    if (scause & SCAUSE_INTERRUPT) {
        return code == IRQ_S_SOFT    ? "supervisor software interrupt"
               : code == IRQ_S_TIMER ? "supervisor timer interrupt"
               : code == IRQ_S_EXT   ? "supervisor external interrupt"
                                     : "interrupt";
    }
    return code < ARRAY_SIZE(exc_names) && exc_names[code] ? exc_names[code] : "exception";
}

void arch_trap_init(void)
{
    /* Direct mode: every trap at hyp_trap_entry (4-byte aligned, MODE bits 0). */
    csr_write(stvec, (uintptr_t)hyp_trap_entry);
}

static void dump_frame(const struct trap_frame *f)
{
    struct pcpu *cpu = this_cpu();

    printk("bulkhead: unexpected exception on cpu%u: %s\n", cpu ? cpu->id : 0,
           cause_name(f->scause));
    printk("  scause  0x%016llx  stval   0x%016llx\n", (unsigned long long)f->scause,
           (unsigned long long)f->stval);
    printk("  sepc    0x%016llx  sstatus 0x%016llx\n", (unsigned long long)f->sepc,
           (unsigned long long)f->sstatus);
    printk("  htval   0x%016llx  htinst  0x%016llx  hstatus 0x%016llx\n",
           (unsigned long long)f->htval, (unsigned long long)f->htinst,
           (unsigned long long)f->hstatus);
    for (unsigned i = 0; i < 31; i += 2) {
        if (i + 1 < 31) {
            printk("  x%-2u %-3s 0x%016llx  x%-2u %-3s 0x%016llx\n", i + 1, reg_names[i],
                   (unsigned long long)f->x[i], i + 2, reg_names[i + 1],
                   (unsigned long long)f->x[i + 1]);
        } else {
            printk("  x%-2u %-3s 0x%016llx\n", i + 1, reg_names[i], (unsigned long long)f->x[i]);
        }
    }
}

/* An expected illegal instruction from trap_probe_stimecmp(): skip it. */
static bool handle_probe(struct trap_frame *f)
{
    struct pcpu *cpu = this_cpu();

    if (f->scause != CAUSE_ILLEGAL_INSN || !cpu || !cpu->arch.probing) {
        return false;
    }
    cpu->arch.probe_faulted = true;
    f->sepc += 4; /* csrr is never compressed */
    return true;
}

bool trap_handle_interrupt(const struct trap_frame *f)
{
    if (!(f->scause & SCAUSE_INTERRUPT)) {
        return false;
    }
    switch (f->scause & ~SCAUSE_INTERRUPT) {
    case IRQ_S_SOFT:
        /* A kick (arch_send_kick): the firmware set sip.SSIP, we clear it. */
        csr_clear(sip, SIP_SSIP);
        sched_kick_received();
        return true;
    case IRQ_S_TIMER:
        timer_interrupt();
        return true;
    case IRQ_S_EXT:
        plic_handle_irq();
        return true;
    default:
        return false;
    }
}

void arch_trap_handler(struct trap_frame *f)
{
    if (f->hstatus & HSTATUS_SPV) {
        guest_trap(f);
        return;
    }
    if (trap_handle_interrupt(f) || handle_probe(f)) {
        return;
    }
    dump_frame(f);
    panic("unexpected exception (%s) at 0x%llx", cause_name(f->scause),
          (unsigned long long)f->sepc);
}

bool trap_probe_stimecmp(void)
{
    struct pcpu *cpu = this_cpu();
    uint64_t v;

    /* Without menvcfg.STCE, an S-mode access to stimecmp is an illegal instruction
     * (Sstc spec, "Machine Environment Configuration Register"). */
    cpu->arch.probe_faulted = false;
    __atomic_store_n(&cpu->arch.probing, true, __ATOMIC_RELAXED);
    __asm__ volatile("csrr %0, 0x14d" : "=r"(v) : : "memory");
    __atomic_store_n(&cpu->arch.probing, false, __ATOMIC_RELAXED);
    (void)v;
    return !cpu->arch.probe_faulted;
}

void arch_trigger_unexpected_trap(void)
{
    /* An address no table maps: a load page fault in HS-mode. */
    volatile uint64_t *p = (volatile uint64_t *)0xdead0000ul;

    (void)*p;
}

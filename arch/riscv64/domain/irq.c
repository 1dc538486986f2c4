/* SPDX-License-Identifier: MIT */
/*
 * dom/irq.h on riscv64, over what the hypervisor emulates: DOM_IRQ_IPI is the supervisor
 * software interrupt (SBI IPI send_ipi), DOM_IRQ_TIMER the supervisor timer interrupt
 * (SBI TIME set_timer, or the stimecmp CSR when dom_irq_riscv_use_sstc() asked for
 * Sstc), and DOM_IRQ_DEV0 + n PLIC source n, claimed and completed in this vCPU's
 * S-mode context (2 * hart id + 1, QEMU virt's layout). In VS-mode every s* CSR named
 * here is the hypervisor-provided vs* copy.
 */
#include <stdint.h>

#include "dom/arch.h"
#include "dom/dom.h"
#include "dom/irq.h"

#define SBI_EXT_TIME      0x54494d45
#define SBI_EXT_IPI       0x735049
#define SIE_SSIE          (1ul << 1)
#define SIE_STIE          (1ul << 5)
#define SIE_SEIE          (1ul << 9)
#define SSTATUS_SIE       (1ul << 1)
#define SCAUSE_CODE       0xffful
#define IRQ_S_SOFT        1
#define IRQ_S_TIMER       5
#define IRQ_S_EXT         9
#define CSR_STIMECMP      "0x14d"
#define PLIC_BASE         0x0c000000ul
#define PLIC_PRIORITY(s)  (PLIC_BASE + 4 * (s))
#define PLIC_ENABLE(c, w) (PLIC_BASE + 0x2000 + 0x80 * (c) + 4 * (w))
#define PLIC_THRESHOLD(c) (PLIC_BASE + 0x200000 + 0x1000 * (c))
#define PLIC_CLAIM(c)     (PLIC_BASE + 0x200004 + 0x1000 * (c))
#define PLIC_SOURCES      (DOM_IRQ_MAX - DOM_IRQ_DEV0)

void dom_irq_dispatch(uint64_t scause);
void dom_irq_riscv_use_sstc(bool on);
extern char dom_irq_trap_entry[];

static struct {
    dom_irq_handler fn;
    void *ctx;
} handlers[DOM_IRQ_MAX];

/* Per vCPU: stimecmp (Sstc) rather than SBI TIME for this vCPU's timer. */
static bool use_sstc[DOM_MAX_VCPUS];
/* Per vCPU: DOM_IRQ_TIMER enabled (the dispatcher masks STIE until the next set). */
static bool timer_on[DOM_MAX_VCPUS];

void dom_irq_riscv_use_sstc(bool on)
{
    use_sstc[dom_vcpu_self() % DOM_MAX_VCPUS] = on;
}

static void sbi(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1)
{
    const uint64_t args[3] = {a0, a1, 0};
    long err, val;

    dom_arch_sbi(eid, fid, args, &err, &val);
}

static uint32_t plic_ctx(void)
{
    return 2 * dom_vcpu_self() + 1;
}

static void mmio_write(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)addr = v;
}

static uint32_t mmio_read(uint64_t addr)
{
    return *(volatile uint32_t *)(uintptr_t)addr;
}

int dom_irq_cpu_init(void)
{
    __asm__ volatile("csrw sie, zero\n\tcsrw stvec, %0" ::"r"(dom_irq_trap_entry) : "memory");
    timer_on[dom_vcpu_self() % DOM_MAX_VCPUS] = false;
    return 0;
}

void dom_irq_register(unsigned irq, dom_irq_handler fn, void *ctx)
{
    if (irq < DOM_IRQ_MAX) {
        handlers[irq].ctx = ctx;
        __atomic_store_n(&handlers[irq].fn, fn, __ATOMIC_RELEASE);
    }
}

void dom_irq_enable(unsigned irq)
{
    if (irq == DOM_IRQ_IPI) {
        __asm__ volatile("csrs sie, %0" ::"r"(SIE_SSIE) : "memory");
    } else if (irq == DOM_IRQ_TIMER) {
        timer_on[dom_vcpu_self() % DOM_MAX_VCPUS] = true;
        __asm__ volatile("csrs sie, %0" ::"r"(SIE_STIE) : "memory");
    } else if (irq >= DOM_IRQ_DEV0 && irq < DOM_IRQ_MAX) {
        unsigned src = irq - DOM_IRQ_DEV0;
        uint64_t en = PLIC_ENABLE(plic_ctx(), src / 32);

        if (!mmio_read(PLIC_PRIORITY(src))) {
            mmio_write(PLIC_PRIORITY(src), 1);
        }
        mmio_write(en, mmio_read(en) | 1u << (src % 32));
        mmio_write(PLIC_THRESHOLD(plic_ctx()), 0);
        __asm__ volatile("csrs sie, %0" ::"r"(SIE_SEIE) : "memory");
    }
}

void dom_irq_disable(unsigned irq)
{
    if (irq == DOM_IRQ_IPI) {
        __asm__ volatile("csrc sie, %0" ::"r"(SIE_SSIE) : "memory");
    } else if (irq == DOM_IRQ_TIMER) {
        timer_on[dom_vcpu_self() % DOM_MAX_VCPUS] = false;
        __asm__ volatile("csrc sie, %0" ::"r"(SIE_STIE) : "memory");
    } else if (irq >= DOM_IRQ_DEV0 && irq < DOM_IRQ_MAX) {
        unsigned src = irq - DOM_IRQ_DEV0;
        uint64_t en = PLIC_ENABLE(plic_ctx(), src / 32);

        mmio_write(en, mmio_read(en) & ~(1u << (src % 32)));
    }
}

void dom_irq_local_enable(void)
{
    __asm__ volatile("csrs sstatus, %0" ::"r"(SSTATUS_SIE) : "memory");
}

void dom_irq_local_disable(void)
{
    __asm__ volatile("csrc sstatus, %0" ::"r"(SSTATUS_SIE) : "memory");
}

void dom_irq_wait(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

void dom_irq_send_ipi(unsigned vcpu)
{
    sbi(SBI_EXT_IPI, 0, 1, vcpu);
}

void dom_irq_send_ipi_others(void)
{
    unsigned n = dom_info.nr_cpus < 64 ? dom_info.nr_cpus : 64;
    uint64_t all = n == 64 ? ~0ul : (1ul << n) - 1;

    sbi(SBI_EXT_IPI, 0, all & ~(1ul << dom_vcpu_self()), 0);
}

static void timer_write(uint64_t deadline)
{
    if (use_sstc[dom_vcpu_self() % DOM_MAX_VCPUS]) {
        __asm__ volatile("csrw " CSR_STIMECMP ", %0" ::"r"(deadline) : "memory");
    } else {
        sbi(SBI_EXT_TIME, 0, deadline, 0);
    }
}

void dom_irq_timer_set(uint64_t deadline)
{
    timer_write(deadline);
    if (timer_on[dom_vcpu_self() % DOM_MAX_VCPUS]) {
        __asm__ volatile("csrs sie, %0" ::"r"(SIE_STIE) : "memory");
    }
}

void dom_irq_timer_stop(void)
{
    timer_write(~0ul);
}

static void call(unsigned irq)
{
    dom_irq_handler fn = __atomic_load_n(&handlers[irq].fn, __ATOMIC_ACQUIRE);

    if (fn) {
        fn(irq, handlers[irq].ctx);
    }
}

void dom_irq_dispatch(uint64_t scause)
{
    switch (scause & SCAUSE_CODE) {
    case IRQ_S_SOFT:
        /* sip.SSIP is the guest's to clear (the hypervisor's hvip.VSSIP). */
        __asm__ volatile("csrc sip, %0" ::"r"(SIE_SSIE) : "memory");
        call(DOM_IRQ_IPI);
        break;
    case IRQ_S_TIMER:
        /* STIP stays up until a new deadline: mask it until the handler sets one. */
        __asm__ volatile("csrc sie, %0" ::"r"(SIE_STIE) : "memory");
        call(DOM_IRQ_TIMER);
        break;
    case IRQ_S_EXT:
        for (uint32_t src; (src = mmio_read(PLIC_CLAIM(plic_ctx()))) != 0;) {
            if (src < PLIC_SOURCES) {
                call(DOM_IRQ_DEV0 + src);
            }
            mmio_write(PLIC_CLAIM(plic_ctx()), src);
        }
        break;
    default:
        break;
    }
}

bool dom_irq_has_evtchn_upcall(void)
{
    /* The hypervisor wakes a blocked vCPU for an event but injects no interrupt yet
     * (docs/abi-riscv.md). */
    return false;
}

/* SPDX-License-Identifier: MIT */
/*
 * aarch64-only modes (tests/guests/README.md):
 *   exceptions: with its own sync-exception hook, the guest executes what the hypervisor
 *               does not emulate (ACTLR_EL1, SMC, HVC #1) and touches unbacked addresses
 *               (load, store, instruction fetch), takes each architectural exception and
 *               goes on; then sanitised ID registers, PSCI 1.1 / SMCCC 1.1 answers,
 *               CPU_SUSPEND, and the emulated EL1 physical timer (PPI 30).
 *   gic-misuse: undefined offsets, unsupported widths and writes to read-only registers
 *               of the virtual GIC, which must read as zero / be ignored, an access past
 *               the last redistributor and one without syndrome (an abort each), and
 *               then an IPI to itself still works.
 * On other arches both FAIL with "aarch64 only".
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "testguest.h"

#if defined(__aarch64__)

#include "dom/a64.h"
#include "dom/irq.h"
#include "fmt.h"

#include <xen/vcpu.h>

#define rd32 dom_mmio_read32
#define wr32 dom_mmio_write32

#define EC(esr)  (((esr) >> 26) & 0x3f)
#define FSC(esr) ((esr)&0x3f)
#define WNR(esr) (((esr) >> 6) & 1)

#define PSCI_VERSION           0x84000000ul
#define PSCI_CPU_SUSPEND       0xc4000001ul
#define PSCI_MIGRATE_INFO_TYPE 0x84000006ul
#define PSCI_FEATURES          0x8400000aul
#define SMCCC_VERSION          0x80000000ul
#define SMCCC_ARCH_FEATURES    0x80000001ul
#define SMCCC_ARCH_WORKAROUND1 0x80008000ul

unsigned long dom_arch_psci(unsigned long fid, unsigned long a1, unsigned long a2,
                            unsigned long a3);

static volatile unsigned taken;
static volatile uint64_t t_esr, t_far, t_elr;
static volatile bool resume_at_lr;

static bool hook(struct dom_a64_frame *f, uint64_t esr, uint64_t far)
{
    taken++;
    t_esr = esr;
    t_far = far;
    t_elr = f->elr;
    if (resume_at_lr) {
        resume_at_lr = false;
        f->elr = f->x[30]; /* a fetch abort: return to the caller of the bad branch */
    } else {
        f->elr += 4;
    }
    return true;
}

/* Check that exactly one exception with class @ec was taken at @pc (and @far). */
static void expect_exc(const char *name, unsigned before, unsigned ec, uint64_t pc, uint64_t far,
                       int fsc, int wnr)
{
    bool ok = taken == before + 1 && EC(t_esr) == ec && t_elr == pc &&
              (fsc < 0 || (FSC(t_esr) == (unsigned)fsc && t_far == far)) &&
              (wnr < 0 || WNR(t_esr) == (unsigned)wnr);

    test_check(ok, name, "taken %u, ESR 0x%lx (EC 0x%lx), ELR 0x%lx (want 0x%lx), FAR 0x%lx",
               taken - before, (uint64_t)t_esr, EC(t_esr), (uint64_t)t_elr, pc, (uint64_t)t_far);
}

static void undefined_traps(void)
{
    uint64_t pc, v = 0;
    unsigned n;

    n = taken;
    __asm__ volatile("adr %0, 1f\n1: mrs %1, actlr_el1" : "=&r"(pc), "=r"(v)::"memory");
    expect_exc("exc-undef-actlr-el1", n, 0x00, pc, 0, -1, -1);
    n = taken;
    __asm__ volatile("adr %0, 1f\n1: smc #0" : "=&r"(pc)::"x0", "x1", "x2", "x3", "memory");
    expect_exc("exc-undef-smc", n, 0x00, pc, 0, -1, -1);
    n = taken;
    __asm__ volatile("adr %0, 1f\n1: hvc #1" : "=&r"(pc)::"x0", "x1", "x2", "x3", "memory");
    expect_exc("exc-undef-hvc-1", n, 0x00, pc, 0, -1, -1);
    n = taken;
    __asm__ volatile("adr %0, 1f\n1: udf #0" : "=&r"(pc)::"memory");
    expect_exc("exc-undef-udf", n, 0x00, pc, 0, -1, -1);
}

static void unbacked(void)
{
    uint64_t bad = tg_ram_end() + (1ull << 30), pc, v = 0;
    unsigned n;

    n = taken;
    __asm__ volatile("adr %0, 1f\n1: ldr %1, [%2]" : "=&r"(pc), "=&r"(v) : "r"(bad) : "memory");
    expect_exc("exc-abort-load-unbacked", n, 0x25, pc, bad, 0x10, 0);
    n = taken;
    __asm__ volatile("adr %0, 1f\n1: str %1, [%2]" : "=&r"(pc) : "r"(v), "r"(bad) : "memory");
    expect_exc("exc-abort-store-unbacked", n, 0x25, pc, bad, 0x10, 1);
    n = taken;
    resume_at_lr = true;
    __asm__ volatile("blr %0" ::"r"(bad) : "x30", "memory");
    expect_exc("exc-abort-fetch-unbacked", n, 0x21, bad, bad, 0x10, -1);
}

static uint64_t field(uint64_t v, unsigned shift)
{
    return (v >> shift) & 0xf;
}

static void id_registers(void)
{
    uint64_t pfr0, dfr0, mpidr;

    __asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
    __asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    dom_printf("INFO ID_AA64PFR0_EL1 0x%lx ID_AA64DFR0_EL1 0x%lx MPIDR_EL1 0x%lx\n", pfr0, dfr0,
               mpidr);
    test_check(field(pfr0, 8) == 0 && field(pfr0, 12) == 0, "id-no-el2-el3", "PFR0 0x%lx", pfr0);
    test_check(field(pfr0, 24) == 1, "id-gicv3-sysregs", "PFR0 0x%lx", pfr0);
    test_check(field(pfr0, 32) == 0 && field(pfr0, 28) == 0, "id-no-sve-ras", "PFR0 0x%lx", pfr0);
    test_check(field(dfr0, 8) == 0, "id-no-pmu", "DFR0 0x%lx", dfr0);
    test_check(mpidr == 0x80000000ul, "id-mpidr-vcpu0", "MPIDR 0x%lx", mpidr);
}

static void psci(void)
{
    uint64_t t0, hz = dom_info.timer_hz;
    long r;

    test_expect("psci-version-1.1", (long)dom_arch_psci(PSCI_VERSION, 0, 0, 0), 0x10001);
    test_expect("smccc-version-1.1", (long)dom_arch_psci(SMCCC_VERSION, 0, 0, 0), 0x10001);
    test_expect("psci-features-smccc-version",
                (long)dom_arch_psci(PSCI_FEATURES, SMCCC_VERSION, 0, 0), 0);
    test_expect("psci-features-cpu-suspend",
                (long)dom_arch_psci(PSCI_FEATURES, PSCI_CPU_SUSPEND, 0, 0), 0);
    test_expect("psci-features-unknown", (long)dom_arch_psci(PSCI_FEATURES, 0x8400001ful, 0, 0),
                -1);
    test_expect("smccc-arch-features-workaround1",
                (long)dom_arch_psci(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND1, 0, 0), -1);
    test_expect("psci-migrate-info-type", (long)dom_arch_psci(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
    test_expect("psci-unknown-0x8400001f", (long)dom_arch_psci(0x8400001ful, 0, 0, 0), -1);
    test_expect("smccc-unknown-0xc2000000", (long)dom_arch_psci(0xc2000000ul, 0, 0, 0), -1);
    test_expect("smccc-unknown-0x86000000", (long)dom_arch_psci(0x86000000ul, 0, 0, 0), -1);
    /* CPU_SUSPEND waits like WFI: for the timer, 2 ms ahead, interrupts masked. */
    dom_irq_local_disable();
    dom_irq_enable(DOM_IRQ_TIMER);
    t0 = dom_arch_counter();
    dom_irq_timer_set(t0 + hz / 500);
    r = (long)dom_arch_psci(PSCI_CPU_SUSPEND, 0, 0, 0);
    test_check(r == 0 && dom_arch_counter() - t0 >= hz / 500, "psci-cpu-suspend-until-timer",
               "returned %ld after %lu ticks", r, dom_arch_counter() - t0);
    dom_irq_timer_stop();
    dom_irq_local_enable();
}

static volatile unsigned ptimer_irqs;

static void ptimer_hook(unsigned intid)
{
    if (intid == 30) {
        ptimer_irqs++;
        __asm__ volatile("msr cntp_ctl_el0, xzr; isb" ::: "memory");
    }
}

static void physical_timer(void)
{
    uint64_t hz = dom_info.timer_hz, cval, ctl, t0 = dom_arch_counter(), end = t0 + hz;

    dom_a64_set_intid_hook(ptimer_hook);
    wr32(DOM_GICR_BASE + DOM_GICR_SGI_BASE + 0x100, 1u << 30);
    __asm__ volatile("msr cntp_tval_el0, %0; msr cntp_ctl_el0, %1; isb" ::"r"(hz / 1000), "r"(1ul)
                     : "memory");
    __asm__ volatile("mrs %0, cntp_cval_el0; mrs %1, cntp_ctl_el0" : "=r"(cval), "=r"(ctl));
    test_check(cval >= t0 + hz / 1000 && cval <= t0 + hz / 10 && (ctl & 3) == 1, "ptimer-registers",
               "CVAL 0x%lx (t0 0x%lx), CTL 0x%lx", cval, t0, ctl);
    while (!ptimer_irqs && dom_arch_counter() < end) {
        dom_irq_local_disable();
        if (!ptimer_irqs) {
            dom_irq_wait();
        }
        dom_irq_local_enable();
    }
    test_check(ptimer_irqs == 1 && dom_arch_counter() >= cval, "ptimer-ppi30",
               "%u interrupts, %lu ticks after t0", ptimer_irqs, dom_arch_counter() - t0);
}

int mode_exceptions(void)
{
    unsigned before;

    dom_a64_set_sync_hook(hook);
    if (dom_irq_cpu_init()) {
        test_fail("exceptions", "no GIC");
    }
    undefined_traps();
    unbacked();
    before = taken;
    id_registers();
    test_check(taken == before, "id-registers-readable", "%u exceptions", taken - before);
    psci();
    physical_timer();
    test_check(taken == 7, "exc-all-taken-and-survived", "%u exceptions", taken);
    test_done();
    return 0;
}

/* ---- gic-misuse ---- */

static volatile unsigned self_ipis;

static void self_ipi(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    self_ipis++;
}

static void dist_checks(void)
{
    const uint64_t d = DOM_GICD_BASE;
    uint32_t typer = rd32(d + 0x4);
    uint64_t v64;
    uint8_t b;
    uint16_t h;

    test_check((typer & 0x1f) == 3 && ((typer >> 19) & 0x1f) == 9 && !(typer & (1u << 17)),
               "gicd-typer", "0x%x", typer);
    test_expect("gicd-typer2-zero", rd32(d + 0xc), 0);
    test_expect("gicd-iidr", rd32(d + 0x8), 0x43b);
    test_expect("gicd-pidr2", rd32(d + 0xffe8), 0x3b);
    wr32(d + 0x0, 0x12);
    test_check((rd32(d + 0x0) & 0x80000013u) == 0x12, "gicd-ctlr-ard-grp1-no-rwp", "0x%x",
               rd32(d + 0x0));
    /* Read-only registers ignore writes. */
    wr32(d + 0x4, 0);
    wr32(d + 0x8, 0);
    wr32(d + 0xffe8, 0);
    test_check(rd32(d + 0x4) == typer && rd32(d + 0x8) == 0x43b && rd32(d + 0xffe8) == 0x3b,
               "gicd-ro-writes-ignored", "TYPER 0x%x", rd32(d + 0x4));
    /* Reserved offsets: RAZ/WI. */
    wr32(d + 0xc000, ~0u);
    wr32(d + 0x0f10, ~0u);
    test_check(rd32(d + 0xc000) == 0 && rd32(d + 0x0f10) == 0 && rd32(d + 0x7fe0) == 0,
               "gicd-reserved-raz-wi", "0x%x", rd32(d + 0xc000));
    /* Widths the register does not support: RAZ/WI. */
    b = dom_mmio_read8(d + 0x4);
    v64 = dom_mmio_read64(d + 0x0);
    h = 0xffff;
    dom_mmio_write16(d + 0x104, h);
    test_check(b == 0 && v64 == 0 && rd32(d + 0x104) == 0, "gicd-bad-width-raz-wi",
               "byte 0x%x, dword 0x%lx, ISENABLER1 0x%x", b, v64, rd32(d + 0x104));
    /* SGI/PPI banks are RAZ/WI in the distributor with affinity routing. */
    wr32(d + 0x100, ~0u);
    test_expect("gicd-isenabler0-raz-wi", rd32(d + 0x100), 0);
    /* Priorities keep 5 bits; byte access works. */
    dom_mmio_write8(d + 0x400 + 40, 0xff);
    test_expect("gicd-ipriority-byte", dom_mmio_read8(d + 0x400 + 40), 0xf8);
    /* IROUTER: 64-bit. */
    dom_mmio_write64(d + 0x6000 + 8 * 40, 0x80000000ul);
    test_expect("gicd-irouter-irm", (long)dom_mmio_read64(d + 0x6000 + 8 * 40), 0x80000000l);
    dom_mmio_write64(d + 0x6000 + 8 * 40, 0);
    /* Pending state of a disabled SPI: set, read, clear. */
    wr32(d + 0x204, 1u << 8);
    test_check(rd32(d + 0x204) & (1u << 8), "gicd-ispendr-spi40", "0x%x", rd32(d + 0x204));
    wr32(d + 0x284, 1u << 8);
    test_check(!(rd32(d + 0x204) & (1u << 8)), "gicd-icpendr-spi40", "0x%x", rd32(d + 0x204));
    /* ICFGR: odd bits only. */
    wr32(d + 0xc08, ~0u);
    test_expect("gicd-icfgr-odd-bits", rd32(d + 0xc08), 0xaaaaaaaal);
    wr32(d + 0xc08, 0);
    /* A store of xzr and an SGIR write (WI with affinity routing). */
    __asm__ volatile("str wzr, [%0]" ::"r"(d + 0xf00) : "memory");
}

static void redist_checks(void)
{
    unsigned n = dom_info.nr_cpus;

    for (unsigned i = 0; i < n; i++) {
        uint64_t r = DOM_GICR_BASE + i * DOM_GICR_STRIDE;
        uint64_t typer = dom_mmio_read64(r + 0x8);
        char name[40];

        fmt_snprintf(name, sizeof(name), "gicr%u-typer", i);
        test_check((typer >> 32) == i && ((typer >> 4) & 1) == (i == n - 1) && rd32(r + 0xc) == i &&
                       ((typer >> 8) & 0xffff) == i,
                   name, "0x%lx", typer);
    }
    wr32(DOM_GICR_BASE + 0x14, 2);
    test_expect("gicr-waker-sleep", rd32(DOM_GICR_BASE + 0x14), 6);
    wr32(DOM_GICR_BASE + 0x14, 0);
    test_expect("gicr-waker-awake", rd32(DOM_GICR_BASE + 0x14), 0);
    wr32(DOM_GICR_BASE + DOM_GICR_SGI_BASE + 0xc00, 0);
    test_expect("gicr-icfgr0-ro", rd32(DOM_GICR_BASE + DOM_GICR_SGI_BASE + 0xc00), 0xaaaaaaaal);
    wr32(DOM_GICR_BASE + 0x8, 0);
    test_check(rd32(DOM_GICR_BASE + 0xffe8) == 0x3b && rd32(DOM_GICR_BASE + 0x4000) == 0,
               "gicr-pidr2-reserved-raz", "PIDR2 0x%x", rd32(DOM_GICR_BASE + 0xffe8));
}

static void abort_checks(void)
{
    uint64_t past = DOM_GICR_BASE + dom_info.nr_cpus * DOM_GICR_STRIDE, pc, a, b;
    unsigned n = taken;

    __asm__ volatile("adr %0, 1f\n1: ldr %w1, [%2]" : "=&r"(pc), "=&r"(a) : "r"(past) : "memory");
    expect_exc("gicr-past-last-aborts", n, 0x25, pc, past, 0x10, 0);
    n = taken;
    /* LDP: no instruction syndrome, nothing to emulate with. */
    __asm__ volatile("adr %0, 1f\n1: ldp %w1, %w2, [%3]"
                     : "=&r"(pc), "=&r"(a), "=&r"(b)
                     : "r"(DOM_GICD_BASE)
                     : "memory");
    expect_exc("gicd-ldp-aborts", n, 0x25, pc, DOM_GICD_BASE, 0x10, 0);
}

/* More pending interrupts than list registers: 12 SPIs with distinct priorities made
 * pending at once while masked must all arrive, highest priority first (the overflow
 * waits for the maintenance interrupt). */
#define OVF_N     12
#define OVF_FIRST 48

static volatile unsigned ovf_seen, ovf_order[OVF_N];

static void ovf_handler(unsigned irq, void *ctx)
{
    (void)ctx;
    if (ovf_seen < OVF_N) {
        ovf_order[ovf_seen] = irq;
    }
    ovf_seen++;
}

static void lr_overflow(void)
{
    bool ordered = true;

    for (unsigned i = 0; i < OVF_N; i++) {
        unsigned irq = OVF_FIRST + i;

        dom_irq_register(irq, ovf_handler, NULL);
        dom_irq_enable(irq);
        /* Priority 0x10 * (i % 12 reversed): the last SPI is the most urgent. */
        dom_mmio_write8(DOM_GICD_BASE + 0x400 + irq, (uint8_t)(0x08 * (OVF_N - i)));
    }
    dom_irq_local_disable();
    wr32(DOM_GICD_BASE + 0x200 + 4 * (OVF_FIRST / 32), ((1u << OVF_N) - 1) << (OVF_FIRST % 32));
    dom_irq_local_enable();
    for (unsigned i = 0; i < 100000 && ovf_seen < OVF_N; i++) {
        dom_arch_relax();
    }
    for (unsigned i = 0; i < OVF_N && i < ovf_seen; i++) {
        ordered &= ovf_order[i] == OVF_FIRST + OVF_N - 1 - i;
    }
    test_check(ovf_seen == OVF_N, "gic-lr-overflow-all-delivered", "%u of %u", ovf_seen, OVF_N);
    test_check(ordered, "gic-lr-overflow-priority-order", "first %u, then %u, %u", ovf_order[0],
               ovf_order[1], ovf_order[2]);
    for (unsigned i = 0; i < OVF_N; i++) {
        dom_irq_disable(OVF_FIRST + i);
    }
}

/* An interrupt masked by the priority mask does not end a WFI (it would not wake a PE):
 * with PMR 0x80 and the IPI (priority 0xa0) pending, WFI sleeps until Xen's singleshot
 * timer 5 ms ahead; with PMR 0xff again the IPI is taken. */
static void wfi_priority_masked(void)
{
    uint64_t t0 = dom_now_ns(), slept;
    struct vcpu_set_singleshot_timer t = {.timeout_abs_ns = t0 + 5000000ull};
    unsigned before = self_ipis;

    __asm__ volatile("msr S3_0_C4_C6_0, %0; isb" ::"r"(0x80ul) : "memory");
    dom_irq_send_ipi(dom_vcpu_self());
    HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, dom_vcpu_self(), &t);
    dom_irq_wait();
    slept = dom_now_ns() - t0;
    test_check(slept >= 5000000ull && self_ipis == before, "wfi-priority-masked-sleeps",
               "WFI returned after %lu ns, %u IPIs taken", slept, self_ipis - before);
    __asm__ volatile("msr S3_0_C4_C6_0, %0; isb" ::"r"(0xfful) : "memory");
    for (unsigned i = 0; i < 1000 && self_ipis == before; i++) {
        dom_arch_relax();
    }
    test_expect("wfi-priority-unmasked-taken", self_ipis - before, 1);
}

int mode_gic_misuse(void)
{
    dom_a64_set_sync_hook(hook);
    if (dom_irq_cpu_init()) {
        test_fail("gic-misuse", "no GIC");
    }
    dist_checks();
    redist_checks();
    abort_checks();
    /* Still a working GIC. */
    dom_irq_register(DOM_IRQ_IPI, self_ipi, NULL);
    dom_irq_enable(DOM_IRQ_IPI);
    dom_irq_local_enable();
    dom_irq_send_ipi(dom_vcpu_self());
    for (unsigned i = 0; i < 1000 && !self_ipis; i++) {
        dom_arch_relax();
    }
    test_expect("gic-still-works-self-ipi", self_ipis, 1);
    lr_overflow();
    wfi_priority_masked();
    test_done();
    return 0;
}

/* ---- exc-fatal: exceptions the guest cannot take end it ---- */

/* how=novbar: VBAR_EL1 = 0, then a load from an unbacked address; how=badvbar: VBAR_EL1
 * at an unbacked address, then UDF (taken at EL1 straight to the missing vectors). The
 * hypervisor must crash the domain with the reason, since delivering would loop. */
int mode_exc_fatal(void)
{
    uint64_t bad = tg_ram_end() + (1ull << 30);

    if (dom_arg_is("how", "badvbar")) {
        dom_printf("ABOUT TO TAKE AN EXCEPTION AT VBAR_EL1 0x%lx\n", bad);
        __asm__ volatile("msr vbar_el1, %0; isb; udf #0" ::"r"(bad) : "memory");
    } else {
        dom_printf("ABOUT TO READ 0x%lx WITH VBAR_EL1 = 0\n", bad);
        __asm__ volatile("msr vbar_el1, xzr; isb; ldr xzr, [%0]" ::"r"(bad) : "memory");
    }
    test_fail("exc-fatal", "survived");
    test_done();
    return 0;
}

/* ---- vbench: n= operations of one kind, for tests/bench/vcpu_insns.py ---- */

static volatile uint64_t bench_irqs;

static void bench_irq(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    bench_irqs++;
}

/* One operation: op=ipi (an SGI to itself, taken), gicread (GICD_TYPER), timer (a virtual
 * timer interrupt due now, taken), wfi (WFI until a timer 20 us ahead: block and wake). */
static void bench_one(char op, uint64_t hz)
{
    uint64_t want = bench_irqs + 1;

    switch (op) {
    case 'i':
        dom_irq_send_ipi(0);
        break;
    case 'g':
        (void)rd32(DOM_GICD_BASE + 0x4);
        return;
    case 't':
        dom_irq_timer_set(dom_arch_counter());
        break;
    default:
        dom_irq_local_disable();
        dom_irq_timer_set(dom_arch_counter() + hz / 50000);
        dom_irq_wait();
        dom_irq_local_enable();
        break;
    }
    while (bench_irqs < want) {
    }
}

int mode_vbench(void)
{
    uint64_t n = dom_arg_u64("n", 1000);
    char op[16] = "ipi";

    dom_arg("op", op, sizeof(op));
    if (dom_irq_cpu_init()) {
        test_fail("vbench", "no GIC");
    }
    dom_irq_register(DOM_IRQ_IPI, bench_irq, NULL);
    dom_irq_register(DOM_IRQ_TIMER, bench_irq, NULL);
    dom_irq_enable(DOM_IRQ_IPI);
    dom_irq_enable(DOM_IRQ_TIMER);
    dom_irq_local_enable();
    dom_printf("BENCH start %lu %s\n", n, op);
    for (uint64_t i = 0; i < n; i++) {
        bench_one(op[0], dom_info.timer_hz);
    }
    dom_irq_timer_stop();
    dom_printf("BENCH done %lu\n", n);
    return 0;
}

#else

int mode_exc_fatal(void)
{
    test_fail("exc-fatal", "aarch64 only");
    test_done();
    return 0;
}

int mode_vbench(void)
{
    test_fail("vbench", "aarch64 only");
    test_done();
    return 0;
}

int mode_exceptions(void)
{
    test_fail("exceptions", "aarch64 only");
    test_done();
    return 0;
}

int mode_gic_misuse(void)
{
    test_fail("gic-misuse", "aarch64 only");
    test_done();
    return 0;
}

#endif

/* SPDX-License-Identifier: MIT */
/* aarch64 domain hooks: counter, PSCI, exception report, a test stage-1 MMU. */
#include <stdint.h>

#include "dom/arch.h"
#include "dom/dom.h"

#include <xen/errno.h>
#include <xen/sched.h>

/* PSCI 1.0 function ids (Arm DEN 0022, 5.1). */
#define PSCI_CPU_OFF       0x84000002u
#define PSCI_CPU_ON        0xc4000003u /* SMC64 */
#define PSCI_AFFINITY_INFO 0xc4000004u /* SMC64 */
#define PSCI_SYSTEM_OFF    0x84000008u
#define PSCI_SYSTEM_RESET  0x84000009u

unsigned long dom_arch_psci(unsigned long fid, unsigned long a1, unsigned long a2,
                            unsigned long a3);
void dom_arch_exception(uint64_t idx, uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr);

const char dom_arch_image_magic[] = "ARM\x64";
const unsigned dom_arch_image_magic_len = 4;
const unsigned dom_arch_image_magic_off = 0x38;

uint64_t dom_arch_counter(void)
{
    uint64_t v;

    /* ISB: the counter read must not be hoisted above earlier instructions (D11.2.2). */
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
}

uint64_t dom_arch_counter_freq(void)
{
    uint64_t v;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

void dom_arch_firmware_off(bool reboot, bool crash)
{
    (void)crash; /* PSCI has no reason code */
    dom_arch_psci(reboot ? PSCI_SYSTEM_RESET : PSCI_SYSTEM_OFF, 0, 0, 0);
}

/* PSCI return codes (5.2.2) and AFFINITY_INFO states (5.1.5). */
const struct dom_arch_fw_codes dom_arch_fw = {
    .name = "PSCI",
    .on = 0,
    .off = 1,
    .already_on = -4,
    .invalid_param = -2,
    .invalid_address = 0, /* CPU_ON takes any entry; a bad one faults on the new vCPU */
    .entry_align = 4,
    .misaligned_entry = -2, /* INVALID_PARAMETERS */
};

unsigned dom_arch_vcpu_self(void)
{
    uint64_t v;

    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
    return (unsigned)(v & 0xff);
}

/* Our vCPU n has MPIDR Aff0 = n and the higher levels 0. */
long dom_arch_vcpu_on(unsigned id, uint64_t entry, uint64_t arg)
{
    return (long)dom_arch_psci(PSCI_CPU_ON, id, entry, arg);
}

long dom_arch_vcpu_off(void)
{
    return (long)dom_arch_psci(PSCI_CPU_OFF, 0, 0, 0);
}

long dom_arch_vcpu_status(unsigned id)
{
    /* Lowest affinity level 0: the target is one PE. */
    return (long)dom_arch_psci(PSCI_AFFINITY_INFO, id, 0, 0);
}

void dom_arch_relax(void)
{
    __asm__ volatile("wfe" ::: "memory");
}

void dom_arch_wake(void)
{
    /* After the store that ends the wait: waiters not trapped to the hypervisor wake. */
    __asm__ volatile("dsb ish; sev" ::: "memory");
}

bool dom_arch_sbi(uint64_t eid, uint64_t fid, const uint64_t args[3], long *err, long *val)
{
    (void)eid;
    (void)fid;
    (void)args;
    *err = *val = 0;
    return false;
}

void dom_arch_idle(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

void dom_arch_undef(void)
{
    __asm__ volatile("udf #0" ::: "memory");
}

bool dom_arch_impdef_sysreg(uint64_t *val)
{
    /* ACTLR_EL1, the implementation-defined auxiliary control register: HCR_EL2.TACR
     * traps it to the hypervisor, which does not serve it. (QEMU 7.2 does not implement
     * HCR_EL2.TIDCP, so an IMPLEMENTATION DEFINED encoding would not trap there.) */
    __asm__ volatile("mrs %0, actlr_el1" : "=r"(*val)::"memory");
    return true;
}

static const char *const vector_names[16] = {
    "sync EL1t",   "irq EL1t",    "fiq EL1t",    "serror EL1t",   "sync EL1h",  "irq EL1h",
    "fiq EL1h",    "serror EL1h", "sync EL0/64", "irq EL0/64",    "fiq EL0/64", "serror EL0/64",
    "sync EL0/32", "irq EL0/32",  "fiq EL0/32",  "serror EL0/32",
};

void dom_arch_exception(uint64_t idx, uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr)
{
    static volatile int nested;

    if (nested++) {
        /* Faulted while reporting (the hypercall itself?): nothing safe is left. */
        for (;;) {
            dom_arch_idle();
        }
    }
    if (dom_fault_hook) {
        dom_fault_hook(&(struct dom_fault){.cause = esr, .pc = elr, .addr = far});
    }
    dom_printf("EXCEPTION %s: ESR=0x%lx (EC=0x%lx) ELR=0x%lx FAR=0x%lx SPSR=0x%lx\n",
               vector_names[idx & 15], (unsigned long)esr, (unsigned long)(esr >> 26) & 0x3f,
               (unsigned long)elr, (unsigned long)far, (unsigned long)spsr);
    dom_shutdown(SHUTDOWN_crash);
}

/* ---- stage-1 MMU for tests: 4 KiB granule, 39-bit VAs, walk starts at level 1 ---- */

#define PTE_VALID    (1ull << 0)
#define PTE_TABLE    (1ull << 1) /* table at levels 1-2, page at level 3 */
#define PTE_ATTR(i)  ((uint64_t)(i) << 2)
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF       (1ull << 10)
#define PTE_ADDR     0x0000fffffffff000ull

#define MAIR_IDX_NC 1                          /* attr1: Normal, Inner/Outer Non-cacheable (0x44) */
#define MAIR_VALUE  (0x00ull | (0x44ull << 8)) /* attr0: Device-nGnRnE */
/* T0SZ = 25, walks Non-cacheable (IRGN0 = ORGN0 = 0) to match our stores, SH0 inner,
 * TG0 = 4 KiB, EPD1 (no TTBR1 walks), IPS = 40 bits. */
#define TCR_VALUE (25ull | (3ull << 12) | (1ull << 23) | (2ull << 32))

static struct dom_s1_tables s1 __attribute__((aligned(4096)));

uint64_t dom_arch_alias_va(void)
{
    return 0x100000000ull;
}

static uint64_t a64_table(const uint64_t *next)
{
    return ((uint64_t)(uintptr_t)next & PTE_ADDR) | PTE_TABLE | PTE_VALID;
}

static uint64_t a64_block(uint64_t pa)
{
    return (pa & PTE_ADDR) | PTE_AF | PTE_SH_INNER | PTE_ATTR(MAIR_IDX_NC) | PTE_VALID;
}

static uint64_t a64_page(uint64_t pa)
{
    return a64_block(pa) | PTE_TABLE; /* bit 1 marks a page at level 3 */
}

/* T0SZ = 25: 39-bit VAs, the walk starts at level 1 with 512 entries of 1 GiB. */
static const struct dom_s1_format a64_s1 = {
    .root_entries = 512, .table = a64_table, .block = a64_block, .page = a64_page};

bool dom_arch_alias_ad(bool *accessed, bool *dirty)
{
    *accessed = *dirty = true;
    return false;
}

int dom_arch_mmu_on(const struct dom_mmu_layout *l)
{
    int rc = dom_s1_build(&s1, l, &a64_s1);

    if (rc) {
        return rc;
    }
    __asm__ volatile("dsb ish\n"
                     "msr mair_el1, %0\n"
                     "msr tcr_el1, %1\n"
                     "msr ttbr0_el1, %2\n"
                     "isb\n"
                     "tlbi vmalle1\n"
                     "dsb nsh\n"
                     "isb\n"
                     "mrs x9, sctlr_el1\n"
                     "orr x9, x9, #1\n" /* SCTLR_EL1.M; caches (C, I) stay off */
                     "msr sctlr_el1, x9\n"
                     "isb\n" ::"r"(MAIR_VALUE),
                     "r"(TCR_VALUE), "r"((uint64_t)(uintptr_t)s1.root)
                     : "x9", "memory");
    return 0;
}

void dom_arch_mmu_off(void)
{
    __asm__ volatile("mrs x9, sctlr_el1\n"
                     "bic x9, x9, #1\n"
                     "msr sctlr_el1, x9\n"
                     "isb\n"
                     "tlbi vmalle1\n"
                     "dsb nsh\n"
                     "isb\n" ::
                         : "x9", "memory");
}

/* SPDX-License-Identifier: MIT */
/* riscv64 domain hooks: time CSR, SBI SRST, trap report, a test Sv39 MMU. */
#include <stdint.h>

#include "dom/arch.h"
#include "dom/dom.h"

#include <xen/errno.h>
#include <xen/sched.h>

/* SBI SRST reset types and reasons (SBI v1.0, 10.1). */
#define SRST_SHUTDOWN       0
#define SRST_COLD_REBOOT    1
#define SRST_REASON_NONE    0
#define SRST_REASON_FAILURE 1

/* SBI extension ids (SBI v1.0: 4, 9) and HSM function ids. */
#define SBI_EXT_HSM         0x48534d
#define SBI_HSM_HART_START  0
#define SBI_HSM_HART_STOP   1
#define SBI_HSM_HART_STATUS 2

long dom_arch_sbi_srst(unsigned long type, unsigned long reason);
void dom_arch_exception(uint64_t scause, uint64_t sepc, uint64_t stval, uint64_t sstatus);

const char dom_arch_image_magic[] = "RSC\x05";
const unsigned dom_arch_image_magic_len = 4;
const unsigned dom_arch_image_magic_off = 56;

uint64_t dom_arch_counter(void)
{
    uint64_t v;

    __asm__ volatile("rdtime %0" : "=r"(v)::"memory");
    return v;
}

uint64_t dom_arch_counter_freq(void)
{
    return 0; /* /cpus timebase-frequency */
}

void dom_arch_firmware_off(bool reboot, bool crash)
{
    dom_arch_sbi_srst(reboot ? SRST_COLD_REBOOT : SRST_SHUTDOWN,
                      crash ? SRST_REASON_FAILURE : SRST_REASON_NONE);
}

struct sbiret {
    long error;
    long value;
};

static struct sbiret sbi_call(uint64_t eid, uint64_t fid, uint64_t arg0, uint64_t arg1,
                              uint64_t arg2)
{
    register uint64_t a0 __asm__("a0") = arg0;
    register uint64_t a1 __asm__("a1") = arg1;
    register uint64_t a2 __asm__("a2") = arg2;
    register uint64_t a6 __asm__("a6") = fid;
    register uint64_t a7 __asm__("a7") = eid;

    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
    return (struct sbiret){(long)a0, (long)a1};
}

/* SBI errors (3) and hart_get_status states (9.3). */
const struct dom_arch_fw_codes dom_arch_fw = {
    .name = "SBI HSM",
    .on = 0,
    .off = 1,
    .already_on = -6,      /* SBI_ERR_ALREADY_AVAILABLE */
    .invalid_param = -3,   /* SBI_ERR_INVALID_PARAM */
    .invalid_address = -5, /* SBI_ERR_INVALID_ADDRESS */
    .entry_align = 2,
    .misaligned_entry = -5, /* SBI_ERR_INVALID_ADDRESS */
};

unsigned dom_arch_vcpu_self(void)
{
    uint64_t v;

    __asm__ volatile("mv %0, tp" : "=r"(v));
    return (unsigned)v;
}

long dom_arch_vcpu_on(unsigned id, uint64_t entry, uint64_t arg)
{
    return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, id, entry, arg).error;
}

long dom_arch_vcpu_off(void)
{
    return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0).error;
}

long dom_arch_vcpu_status(unsigned id)
{
    struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STATUS, id, 0, 0);

    return r.error ? r.error : r.value;
}

void dom_arch_relax(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

void dom_arch_wake(void)
{
}

bool dom_arch_sbi(uint64_t eid, uint64_t fid, const uint64_t args[3], long *err, long *val)
{
    struct sbiret r = sbi_call(eid, fid, args[0], args[1], args[2]);

    *err = r.error;
    *val = r.value;
    return true;
}

void dom_arch_idle(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

void dom_arch_undef(void)
{
    __asm__ volatile("unimp" ::: "memory");
}

bool dom_arch_impdef_sysreg(uint64_t *val)
{
    *val = 0;
    return false;
}

void dom_arch_exception(uint64_t scause, uint64_t sepc, uint64_t stval, uint64_t sstatus)
{
    static volatile int nested;

    if (nested++) {
        for (;;) {
            dom_arch_idle();
        }
    }
    if (dom_fault_hook) {
        dom_fault_hook(&(struct dom_fault){.cause = scause, .pc = sepc, .addr = stval});
    }
    dom_printf("EXCEPTION scause=0x%lx sepc=0x%lx stval=0x%lx sstatus=0x%lx\n", scause, sepc, stval,
               sstatus);
    dom_shutdown(SHUTDOWN_crash);
}

/* ---- Sv39 for tests (privileged spec 4.4): 3 levels, 1 GiB / 2 MiB / 4 KiB leaves ---- */

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
/* A and D preset: no fault on first access whether or not A/D are updated in hardware. */
#define PTE_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

#define SATP_SV39 (8ull << 60)

static struct dom_s1_tables s1 __attribute__((aligned(4096)));

uint64_t dom_arch_alias_va(void)
{
    /* 128 GiB: well inside the lower half of Sv39 (bit 38 clear, so canonical). */
    return 0x2000000000ull;
}

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return (pa >> 12) << 10 | flags;
}

static uint64_t sv39_table(const uint64_t *next)
{
    return pte((uint64_t)(uintptr_t)next, PTE_V);
}

static uint64_t sv39_leaf(uint64_t pa)
{
    return pte(pa, PTE_LEAF);
}

/* The alias's pages start with A and D clear: the first access must set them, and for
 * hypercall arguments that access is the hypervisor's (tests/guests, stage1-ad-*). */
static uint64_t sv39_page_fresh(uint64_t pa)
{
    return pte(pa, PTE_LEAF & ~(PTE_A | PTE_D));
}

/* Only the lower 256 root entries: a VA with bit 38 set must sign-extend (4.4.1). */
static const struct dom_s1_format sv39_s1 = {
    .root_entries = 256, .table = sv39_table, .block = sv39_leaf, .page = sv39_page_fresh};

bool dom_arch_alias_ad(bool *accessed, bool *dirty)
{
    uint64_t p =
        __atomic_load_n(&s1.alias_leaf[(dom_arch_alias_va() >> 12) & 511], __ATOMIC_ACQUIRE);

    *accessed = (p & PTE_A) != 0;
    *dirty = (p & PTE_D) != 0;
    return true;
}

int dom_arch_mmu_on(const struct dom_mmu_layout *l)
{
    int rc = dom_s1_build(&s1, l, &sv39_s1);

    if (rc) {
        return rc;
    }
    /* The fence orders the table stores before the walks of the new translation. */
    __asm__ volatile("sfence.vma\n"
                     "csrw satp, %0\n"
                     "sfence.vma\n" ::"r"(SATP_SV39 | (uint64_t)(uintptr_t)s1.root >> 12)
                     : "memory");
    return 0;
}

void dom_arch_mmu_off(void)
{
    __asm__ volatile("csrw satp, zero\n"
                     "sfence.vma\n" ::
                         : "memory");
}

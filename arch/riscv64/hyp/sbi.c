/* SPDX-License-Identifier: MIT */
/* The SBI firmware below us: calls, probing, console, power and hart start. */
#include <fmt.h>

#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>

#include "sbi.h"

extern char secondary_entry[];

static char sbi_desc[48];

struct sbiret sbi_ecall5(uint32_t eid, uint32_t fid, uint64_t a0, uint64_t a1, uint64_t a2,
                         uint64_t a3, uint64_t a4)
{
    register uint64_t r0 __asm__("a0") = a0;
    register uint64_t r1 __asm__("a1") = a1;
    register uint64_t r2 __asm__("a2") = a2;
    register uint64_t r3 __asm__("a3") = a3;
    register uint64_t r4 __asm__("a4") = a4;
    register uint64_t r6 __asm__("a6") = fid;
    register uint64_t r7 __asm__("a7") = eid;

    /* SBI spec 3.1: the callee preserves every register except a0 and a1. */
    __asm__ volatile("ecall"
                     : "+r"(r0), "+r"(r1)
                     : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7)
                     : "memory");
    return (struct sbiret){(long)r0, (long)r1};
}

struct sbiret sbi_ecall(uint32_t eid, uint32_t fid, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return sbi_ecall5(eid, fid, a0, a1, a2, 0, 0);
}

bool sbi_has(uint32_t eid)
{
    struct sbiret r = sbi_ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid, 0, 0);

    return r.error == SBI_SUCCESS && r.value != 0;
}

/* Implementation ids from SBI spec 4.9 (Xen's is 7, for when we are the firmware). */
static const char *impl_name(long id)
{
    static const char *const names[] = {"BBL",    "OpenSBI", "Xvisor", "KVM",      "RustSBI",
                                        "Diosix", "Coffer",  "Xen",    "PolarFire"};

    return id >= 0 && (unsigned long)id < ARRAY_SIZE(names) ? names[id] : "unknown";
}

int sbi_init(void)
{
    struct sbiret spec = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
    struct sbiret impl = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0);
    struct sbiret ver = sbi_ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0);

    /* SBI v0.1 firmware has no base extension: the call fails with NOT_SUPPORTED. */
    if (spec.error != SBI_SUCCESS) {
        printk("dt: firmware has no SBI base extension (SBI v0.1?): need SBI v0.2+\n");
        return -ENODEV;
    }
    /* Spec version: major in [30:24], minor in [23:0]. OpenSBI's own version is
     * major << 16 | minor. */
    fmt_snprintf(sbi_desc, sizeof(sbi_desc), "SBI v%lu.%lu (%s %lu.%lu)",
                 (unsigned long)(spec.value >> 24) & 0x7f, (unsigned long)spec.value & 0xffffff,
                 impl_name(impl.value), (unsigned long)ver.value >> 16,
                 (unsigned long)ver.value & 0xffff);
    if (!sbi_has(SBI_EXT_HSM) || !sbi_has(SBI_EXT_SRST)) {
        printk("dt: firmware lacks SBI HSM or SRST: cannot start harts or power off\n");
        return -ENODEV;
    }
    if (!sbi_has(SBI_EXT_IPI) || !sbi_has(SBI_EXT_RFENCE)) {
        printk("dt: firmware lacks SBI IPI or RFENCE: cannot kick harts or flush their "
               "G-stage TLBs\n");
        return -ENODEV;
    }
    return 0;
}

const char *sbi_describe(void)
{
    return sbi_desc;
}

void arch_early_putc(char c)
{
    /* The legacy console: slow, but present in every SBI implementation we target. */
    sbi_ecall(SBI_EXT_LEGACY_PUTCHAR, 0, (uint8_t)c, 0, 0);
}

void arch_system_off(void)
{
    sbi_ecall(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_NONE, 0);
    /* Pre-SRST firmware: the legacy shutdown call. */
    sbi_ecall(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
    for (;;) {
        arch_irq_disable();
        __asm__ volatile("wfi");
    }
}

int arch_cpu_start(struct pcpu *cpu)
{
    /* The hart starts in S-mode with satp = 0 at secondary_entry, a0 = hartid and
     * a1 = opaque = @cpu (SBI spec 9.1). */
    struct sbiret r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_START, cpu->hwid,
                                (uintptr_t)secondary_entry, (uintptr_t)cpu);

    switch (r.error) {
    case SBI_SUCCESS:
        return 0;
    case SBI_ERR_INVALID_PARAM:
    case SBI_ERR_INVALID_ADDRESS:
        return -EINVAL;
    case SBI_ERR_ALREADY_AVAILABLE:
        return -EBUSY;
    default:
        return -EIO;
    }
}

void arch_send_kick(struct pcpu *cpu)
{
    /* The firmware raises sip.SSIP on the target (SBI spec 7.1); make the state it will
     * look at visible first. hart_mask bit 0 is hart_mask_base = its hart id. */
    __asm__ volatile("fence rw, rw" : : : "memory");
    sbi_ecall(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, cpu->hwid, 0);
}

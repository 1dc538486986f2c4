/* SPDX-License-Identifier: MIT */
/*
 * smp: the guest starts its other vCPUs (PSCI CPU_ON / SBI HSM hart_start), each says
 * hello, leaves a value in shared memory and stops itself; then the firmware interface's
 * errors, and a second start of vCPU 1. Bootargs: cpus=<n> (default: the /cpus nodes).
 * sbi (riscv64): the SBI BASE extension as the hypervisor serves it.
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#include <xen/errno.h>

#define SMP_MAGIC    0x5350000000000000ull /* "SP": value = magic | round << 8 | id */
#define SMP_WRONG_ID 0xbad0000000000000ull /* | the id the vCPU found it has */
#define SMP_WAIT_MS  10000                 /* guest time for the others to come and go */

/* Written by the secondaries, read by vCPU 0. */
static volatile uint64_t smp_vals[DOM_MAX_VCPUS];
static volatile uint64_t smp_stack[DOM_MAX_VCPUS];
static volatile unsigned smp_round;

static uint64_t smp_value(unsigned id, unsigned round)
{
    return SMP_MAGIC | (uint64_t)round << 8 | id;
}

static void smp_secondary(unsigned id)
{
    unsigned self = dom_vcpu_self();
    volatile uint64_t on_stack = 0;

    dom_printf("VCPU %u UP\n", id);
    smp_stack[id] = (uint64_t)(uintptr_t)&on_stack;
    /* The value last: vCPU 0 reads the rest once it sees it. */
    __atomic_store_n(&smp_vals[id], self == id ? smp_value(id, smp_round) : SMP_WRONG_ID | self,
                     __ATOMIC_RELEASE);
    /* Returning stops this vCPU (dom_vcpu_stop). */
}

/* Wait, yielding, until the vCPUs in @mask have left their value and all are off
 * again, or SMP_WAIT_MS pass. Returns true if they did. */
static bool smp_wait(unsigned mask)
{
    uint64_t deadline = dom_now_ns() + SMP_WAIT_MS * 1000000ull;

    for (;;) {
        bool done = true;

        for (unsigned i = 0; i < DOM_MAX_VCPUS && done; i++) {
            done = !(mask & 1u << i) || (__atomic_load_n(&smp_vals[i], __ATOMIC_ACQUIRE) != 0 &&
                                         dom_vcpu_status(i) == 0);
        }
        if (done) {
            return true;
        }
        if (dom_now_ns() > deadline) {
            return false;
        }
        dom_arch_relax();
    }
}

static void smp_check_value(const char *what, unsigned id, unsigned round)
{
    char name[48];
    uint64_t got = smp_vals[id];

    fmt_snprintf(name, sizeof(name), "smp-%s-vcpu%u-value", what, id);
    test_check(got == smp_value(id, round), name, "got 0x%lx, want 0x%lx", got,
               smp_value(id, round));
}

/* Each vCPU ran on its own stack: no two within one stack's size of each other. */
static void smp_check_stacks(unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        for (unsigned j = i + 1; j < n; j++) {
            uint64_t a = smp_stack[i], b = smp_stack[j];
            uint64_t d = a > b ? a - b : b - a;

            if (d < DOM_VCPU_STACK_SIZE / 2) {
                test_fail("smp-own-stacks", "vCPU%u at 0x%lx, vCPU%u at 0x%lx", i, a, j, b);
                return;
            }
        }
    }
    test_pass("smp-own-stacks");
}

/* The firmware's answers to starts that must not happen. vCPU 1 is off. */
static void smp_negative(unsigned n)
{
    const struct dom_arch_fw_codes *fw = &dom_arch_fw;
    uint64_t entry = (uint64_t)(uintptr_t)dom_arch_secondary_entry;

    test_expect("smp-start-self-already-on", dom_arch_vcpu_on(0, entry, 0), fw->already_on);
    test_expect("smp-runtime-start-self", dom_vcpu_start(0, NULL), -XEN_EEXIST);
    test_expect("smp-start-past-last", dom_arch_vcpu_on(n, entry, 0), fw->invalid_param);
    test_expect("smp-start-id-0x100", dom_arch_vcpu_on(0x100, entry, 0), fw->invalid_param);
    test_expect("smp-status-past-last", dom_arch_vcpu_status(n), fw->invalid_param);
    test_expect("smp-start-misaligned-entry", dom_arch_vcpu_on(1, entry + fw->entry_align / 2, 0),
                fw->misaligned_entry);
    if (fw->invalid_address) {
        test_expect("smp-start-entry-outside-ram", dom_arch_vcpu_on(1, tg_ram_end(), 0),
                    fw->invalid_address);
        test_expect("smp-start-entry-zero", dom_arch_vcpu_on(1, 0, 0), fw->invalid_address);
    } else {
        /* PSCI CPU_ON takes any aligned entry; the new vCPU would fault there, which
         * must crash only this domain (the crash tests cover that). */
        dom_printf("INFO %s does not check entries: outside-RAM entry skipped\n", fw->name);
    }
    test_expect("smp-refused-starts-left-vcpu1-off", dom_vcpu_status(1), 0);
}

/* Start vCPU 1 for round @round (2, 3, ...) and wait for it to come and go. Right after
 * it reported off, the hypervisor may still be taking it off its CPU and answer "already
 * on": count those answers in *@busy and try again for a while. Returns what failed, or
 * NULL with @why empty. */
static const char *smp_restart_once(unsigned round, unsigned *busy, char *why, size_t size)
{
    uint64_t deadline = dom_now_ns() + SMP_WAIT_MS * 1000000ull;
    int rc;

    smp_round = round;
    smp_vals[1] = 0;
    while ((rc = dom_vcpu_start(1, smp_secondary)) == -XEN_EEXIST && dom_now_ns() < deadline) {
        (*busy)++;
        dom_arch_relax();
    }
    if (rc) {
        fmt_snprintf(why, size, "round %u: start returned %d", round, rc);
        return "smp-restart-vcpu1";
    }
    if (!smp_wait(1u << 1)) {
        fmt_snprintf(why, size, "round %u: value 0x%lx, status %d", round, (uint64_t)smp_vals[1],
                     dom_vcpu_status(1));
        return "smp-restart-vcpu1-came-and-went";
    }
    if (smp_vals[1] != smp_value(1, round)) {
        fmt_snprintf(why, size, "round %u: got 0x%lx, want 0x%lx", round, (uint64_t)smp_vals[1],
                     smp_value(1, round));
        return "smp-restart-vcpu1-value";
    }
    return NULL;
}

/* restarts= (default 1) more starts of vCPU 1 after its first one. */
static void smp_restart(void)
{
    uint64_t restarts = dom_arg_u64("restarts", 1);
    unsigned busy = 0;
    char why[96];

    for (unsigned r = 0; r < restarts; r++) {
        const char *failed = smp_restart_once(2 + r, &busy, why, sizeof(why));

        if (failed) {
            test_fail(failed, "%s", why);
            break;
        }
        if (r == restarts - 1) {
            test_pass("smp-restart-vcpu1");
        }
    }
    if (busy) {
        dom_printf("INFO restart of vCPU1: %u 'already on' answers after it reported off\n", busy);
    }
}

int mode_smp(void)
{
    uint64_t n = dom_arg_u64("cpus", dom_info.nr_cpus);
    unsigned started = 0;

    dom_printf("INFO smp: %lu vCPUs (%u in the device tree), firmware %s\n", n, dom_info.nr_cpus,
               dom_arch_fw.name);
    if (n < 2 || n > DOM_MAX_VCPUS) {
        test_fail("smp", "cpus=%lu: need 2 to %u", n, DOM_MAX_VCPUS);
        test_done();
        return 0;
    }
    test_expect("smp-self-is-vcpu0", dom_vcpu_self(), 0);
    test_expect("smp-vcpu0-on", dom_arch_vcpu_status(0), dom_arch_fw.on);
    for (unsigned i = 1; i < n; i++) {
        char name[32];

        fmt_snprintf(name, sizeof(name), "smp-vcpu%u-off-at-boot", i);
        test_expect(name, dom_arch_vcpu_status(i), dom_arch_fw.off);
    }
    smp_round = 1;
    for (unsigned i = 1; i < n; i++) {
        char name[32];

        fmt_snprintf(name, sizeof(name), "smp-start-vcpu%u", i);
        if (test_expect(name, dom_vcpu_start(i, smp_secondary), 0)) {
            started |= 1u << i;
        }
    }
    /* Wait for the ones that did start even if some did not, so that the checks below
     * find vCPU 1 off. */
    test_check(smp_wait(started), "smp-all-came-and-went",
               "timed out after %u ms waiting for values and CPU off", SMP_WAIT_MS);
    for (unsigned i = 1; i < n; i++) {
        smp_check_value("first", i, 1);
    }
    smp_check_stacks((unsigned)n);
    smp_negative((unsigned)n);
    smp_restart();
    test_done();
    return 0;
}

/* ---- sbi ---- */

#define SBI_EXT_BASE              0x10
#define SBI_EXT_HSM               0x48534d
#define SBI_EXT_SRST              0x53525354
#define SBI_EXT_TIME              0x54494d45
#define SBI_EXT_IPI               0x735049
#define SBI_EXT_RFENCE            0x52464e43
#define SBI_EXT_DBCN              0x4442434e
#define SBI_EXT_PMU               0x504d55
#define SBI_EXT_LEGACY_GETCHAR    0x02
#define SBI_EXT_UNKNOWN           0x0b1e55ed /* in no range the spec assigns */
#define SBI_BASE_GET_SPEC_VERSION 0
#define SBI_BASE_GET_IMPL_ID      1
#define SBI_BASE_PROBE_EXTENSION  3
#define SBI_ERR_NOT_SUPPORTED     (-2)
#define SBI_ERR_INVALID_PARAM     (-3)
#define SBI_IMPL_ID_BULKHEAD      0x4248

static void sbi_expect(const char *name, uint64_t eid, uint64_t fid, uint64_t a0, long want_err,
                       long want_val)
{
    const uint64_t args[3] = {a0, 0, 0};
    long err, val;

    dom_arch_sbi(eid, fid, args, &err, &val);
    test_check(err == want_err && val == want_val, name, "error %ld value 0x%lx, want %ld 0x%lx",
               err, val, want_err, want_val);
}

static long sbi_err(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2)
{
    const uint64_t args[3] = {a0, a1, a2};
    long err, val;

    dom_arch_sbi(eid, fid, args, &err, &val);
    return err;
}

/* Probe: "yes" is any non-zero value (SBI v2.0, 4.8), so normalise it to 1. */
static void sbi_probe(const char *name, uint64_t eid, bool want)
{
    const uint64_t args[3] = {eid, 0, 0};
    long err, val;

    dom_arch_sbi(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, args, &err, &val);
    test_check(err == 0 && (val != 0) == want, name, "error %ld value %ld, want %s", err, val,
               want ? "non-zero" : "0");
}

static uint64_t sip_read(void)
{
    uint64_t v = 0;
#ifdef __riscv
    __asm__ volatile("csrr %0, sip" : "=r"(v));
#endif
    return v;
}

/* The calls that change state: IPI to self, DBCN, RFENCE, a retentive suspend. */
static void sbi_stateful(void)
{
    static const char msg[] = "DBCN console_write works\n";
    const uint64_t args[3] = {sizeof(msg) - 1, (uint64_t)(uintptr_t)msg, 0};
    long err, val;
    uint64_t t0, hz = dom_info.timer_hz;

    test_expect("sbi-ipi-self", sbi_err(SBI_EXT_IPI, 0, 1, 0, 0), 0);
    test_check(sip_read() & 2, "sbi-ipi-self-pending", "sip 0x%lx", sip_read());
#ifdef __riscv
    __asm__ volatile("csrc sip, %0" ::"r"(2ul));
#endif
    test_expect("sbi-ipi-bad-hart", sbi_err(SBI_EXT_IPI, 0, 1, 7, 0), SBI_ERR_INVALID_PARAM);
    test_expect("sbi-ipi-all", sbi_err(SBI_EXT_IPI, 0, 0, ~0ull, 0), 0);
#ifdef __riscv
    __asm__ volatile("csrc sip, %0" ::"r"(2ul));
#endif
    dom_arch_sbi(SBI_EXT_DBCN, 0, args, &err, &val);
    test_check(err == 0 && val == (long)sizeof(msg) - 1, "sbi-dbcn-write", "error %ld value %ld",
               err, val);
    test_expect("sbi-dbcn-write-unbacked", sbi_err(SBI_EXT_DBCN, 0, 8, 0x10000000, 0),
                SBI_ERR_INVALID_PARAM);
    sbi_expect("sbi-dbcn-read-nothing", SBI_EXT_DBCN, 1, 16, 0, 0);
    test_expect("sbi-dbcn-write-byte", sbi_err(SBI_EXT_DBCN, 2, '\n', 0, 0), 0);
    test_expect("sbi-rfence-fence-i", sbi_err(SBI_EXT_RFENCE, 0, 1, 0, 0), 0);
    test_expect("sbi-rfence-sfence-vma", sbi_err(SBI_EXT_RFENCE, 1, 1, 0, 0), 0);
    test_expect("sbi-rfence-bad-hart", sbi_err(SBI_EXT_RFENCE, 1, 1, 9, 0), SBI_ERR_INVALID_PARAM);
    test_expect("sbi-rfence-hfence-gvma", sbi_err(SBI_EXT_RFENCE, 4, 1, 0, 0),
                SBI_ERR_NOT_SUPPORTED);
    test_expect("sbi-hsm-suspend-reserved", sbi_err(SBI_EXT_HSM, 3, 1, 0, 0),
                SBI_ERR_INVALID_PARAM);
    /* A retentive suspend ends at the timer 10 ms on (sie.STIE on, sstatus.SIE off). */
    t0 = dom_arch_counter();
    test_expect("sbi-time-set-timer", sbi_err(SBI_EXT_TIME, 0, t0 + hz / 100, 0, 0), 0);
#ifdef __riscv
    __asm__ volatile("csrs sie, %0" ::"r"(1ul << 5));
#endif
    test_expect("sbi-hsm-suspend-retentive", sbi_err(SBI_EXT_HSM, 3, 0, 0, 0), 0);
    test_check(dom_arch_counter() >= t0 + hz / 100, "sbi-suspend-until-timer",
               "back after %lu ticks", dom_arch_counter() - t0);
    sbi_err(SBI_EXT_TIME, 0, ~0ull, 0, 0);
    test_check(!(sip_read() & 0x20), "sbi-timer-cleared-by-future-deadline", "sip 0x%lx",
               sip_read());
#ifdef __riscv
    __asm__ volatile("csrc sie, %0" ::"r"(1ul << 5));
#endif
}

int mode_sbi(void)
{
    const uint64_t none[3] = {0, 0, 0};
    long err, val;

    if (!dom_arch_sbi(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, none, &err, &val)) {
        test_fail("sbi", "no SBI on this arch");
        test_done();
        return 0;
    }
    sbi_expect("sbi-spec-version-2.0", SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0x02000000);
    sbi_expect("sbi-impl-id", SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, SBI_IMPL_ID_BULKHEAD);
    sbi_probe("sbi-probe-base", SBI_EXT_BASE, true);
    sbi_probe("sbi-probe-hsm", SBI_EXT_HSM, true);
    sbi_probe("sbi-probe-srst", SBI_EXT_SRST, true);
    sbi_probe("sbi-probe-time", SBI_EXT_TIME, true);
    sbi_probe("sbi-probe-ipi", SBI_EXT_IPI, true);
    sbi_probe("sbi-probe-rfence", SBI_EXT_RFENCE, true);
    sbi_probe("sbi-probe-dbcn", SBI_EXT_DBCN, true);
    sbi_probe("sbi-probe-pmu", SBI_EXT_PMU, false);
    sbi_probe("sbi-probe-unknown", SBI_EXT_UNKNOWN, false);
    sbi_expect("sbi-unknown-extension", SBI_EXT_UNKNOWN, 0, 0, SBI_ERR_NOT_SUPPORTED, 0);
    sbi_expect("sbi-base-unknown-function", SBI_EXT_BASE, 0x7fff, 0, SBI_ERR_NOT_SUPPORTED, 0);
    sbi_expect("sbi-hsm-status-self", SBI_EXT_HSM, 2, 0, 0, 0);
    test_check(sbi_err(SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0) == -1, "sbi-legacy-getchar-empty",
               "not -1");
    sbi_stateful();
    test_done();
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * riscv64-only modes (elsewhere they print FAIL "riscv64 only"):
 * plic: the virtual PLIC's specified behaviour under misuse: priorities keep 3 bits,
 *   source 0 and sources past riscv,ndev read as zero, pending bits are read-only, a claim
 *   with nothing pending returns 0, a completion of a source never claimed changes
 *   nothing, enable bits exist only for real sources, the M-mode context and contexts
 *   of other harts read as zero, undefined offsets read as zero and ignore writes, byte
 *   and doubleword accesses read zero; compressed and SP-relative forms (C.LW, C.SW,
 *   C.LWSP, C.SWSP) work as their 32-bit forms. mark= (default 5): written to source
 *   1's priority, checked again after wait_ms= (default 500), so two guests show the
 *   PLIC is each one's own.
 * exc-own: with its own trap handler, the guest executes illegal instructions (32-bit and
 *   compressed) and touches unbacked guest-physical addresses (load, store, fetch); each
 *   must arrive as the architectural exception (cause, tval, sepc, SPP) and the guest
 *   goes on.
 * exc-loop: points stvec at an unbacked address and executes an illegal instruction:
 *   the hypervisor must end the domain (it cannot take the exception).
 */
#include <stdint.h>

#include "dom/dom.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

#ifdef __riscv

#define PLIC              0x0c000000ul
#define PLIC_PRIO(s)      (PLIC + 4 * (s))
#define PLIC_PENDING(w)   (PLIC + 0x1000 + 4 * (w))
#define PLIC_ENABLE(c, w) (PLIC + 0x2000 + 0x80 * (c) + 4 * (w))
#define PLIC_THRESH(c)    (PLIC + 0x200000 + 0x1000 * (c))
#define PLIC_CLAIM(c)     (PLIC + 0x200004 + 0x1000 * (c))
#define UNBACKED          0x10000000ul

static uint32_t rd(uint64_t a)
{
    return *(volatile uint32_t *)(uintptr_t)a;
}

static void wr(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)a = v;
}

static void expect32(const char *name, uint32_t got, uint32_t want)
{
    test_check(got == want, name, "read 0x%x, want 0x%x", got, want);
}

/* C.SW / C.LW: base and data in x8-x15 (s0, s1). */
static uint32_t c_sw_lw(uint64_t addr, uint32_t v)
{
    register uint64_t base __asm__("s0") = addr;
    register uint64_t val __asm__("s1") = v;

    __asm__ volatile(".option push\n.option rvc\nc.sw s1, 0(s0)\nc.lw s1, 0(s0)\n.option pop"
                     : "+r"(val)
                     : "r"(base)
                     : "memory");
    return (uint32_t)val;
}

/* C.SWSP / C.LWSP with sp pointing into the PLIC (interrupts are off in this mode). */
static uint32_t c_swsp_lwsp(uint64_t addr, uint32_t v)
{
    uint64_t out;

    __asm__ volatile("mv t0, sp\n mv sp, %1\n mv t1, %2\n"
                     ".option push\n.option rvc\nc.swsp t1, 0(sp)\nc.lwsp t2, 0(sp)\n"
                     ".option pop\n mv sp, t0\n mv %0, t2"
                     : "=r"(out)
                     : "r"(addr), "r"((uint64_t)v)
                     : "t0", "t1", "t2", "memory");
    return (uint32_t)out;
}

int mode_plic(void)
{
    unsigned self = 2 * 0 + 1, n = dom_info.nr_cpus;
    uint64_t mark = dom_arg_u64("mark", 5) & 7, wait_ms = dom_arg_u64("wait_ms", 500);
    volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)PLIC_PRIO(2);
    volatile uint64_t *d = (volatile uint64_t *)(uintptr_t)PLIC_PRIO(2);

    wr(PLIC_PRIO(1), (uint32_t)mark);
    wr(PLIC_PRIO(3), 0xffffffff);
    expect32("plic-priority-3-bits", rd(PLIC_PRIO(3)), 7);
    wr(PLIC_PRIO(0), 5);
    expect32("plic-source0-absent", rd(PLIC_PRIO(0)), 0);
    wr(PLIC_PRIO(97), 5);
    expect32("plic-source-past-ndev", rd(PLIC_PRIO(97)), 0);
    wr(PLIC_PENDING(0), 0xffffffff);
    expect32("plic-pending-read-only", rd(PLIC_PENDING(0)), 0);
    expect32("plic-claim-nothing-pending", rd(PLIC_CLAIM(self)), 0);
    wr(PLIC_ENABLE(self, 0), 0xffffffff);
    wr(PLIC_CLAIM(self), 3); /* complete what was never claimed */
    expect32("plic-complete-unclaimed-ignored", rd(PLIC_CLAIM(self)), 0);
    expect32("plic-enable-no-source0", rd(PLIC_ENABLE(self, 0)), 0xfffffffe);
    wr(PLIC_ENABLE(self, 3), 0xffffffff);
    expect32("plic-enable-only-real-sources", rd(PLIC_ENABLE(self, 3)), 1);
    wr(PLIC_ENABLE(self, 0), 0);
    wr(PLIC_ENABLE(self, 3), 0);
    wr(PLIC_THRESH(self), 0xff);
    expect32("plic-threshold-3-bits", rd(PLIC_THRESH(self)), 7);
    wr(PLIC_THRESH(0), 4);
    expect32("plic-m-context-absent", rd(PLIC_THRESH(0)), 0);
    wr(PLIC_THRESH(2 * n + 1), 4);
    expect32("plic-other-hart-context-absent", rd(PLIC_THRESH(2 * n + 1)), 0);
    wr(PLIC + 0x1f0000, 0x12345678);
    expect32("plic-gap-reads-zero", rd(PLIC + 0x1f0000), 0);
    expect32("plic-last-word-reads-zero", rd(PLIC + 0x5ffffc), 0);
    wr(PLIC_PRIO(2), 6);
    b[0] = 1;
    test_check(b[0] == 0 && rd(PLIC_PRIO(2)) == 6, "plic-byte-access-ignored",
               "byte read 0x%x, priority now %u", b[0], rd(PLIC_PRIO(2)));
    *d = 0x100000001ull;
    test_check(*d == 0 && rd(PLIC_PRIO(2)) == 6, "plic-doubleword-access-ignored",
               "doubleword read, priority now %u", rd(PLIC_PRIO(2)));
    expect32("plic-compressed-c.sw-c.lw", c_sw_lw(PLIC_THRESH(self), 3), 3);
    expect32("plic-compressed-c.swsp-c.lwsp", c_swsp_lwsp(PLIC_THRESH(self), 2), 2);
    wr(PLIC_THRESH(self), 0);
    dom_sleep_ms(wait_ms);
    expect32("plic-private", rd(PLIC_PRIO(1)), (uint32_t)mark);
    test_done();
    return 0;
}

/* ---- exceptions taken by the guest itself ---- */

void exc_entry(void);
uint64_t exc_record(uint64_t scause, uint64_t sepc, uint64_t stval, uint64_t sstatus, uint64_t ra);

static volatile uint64_t ex_cause, ex_epc, ex_tval, ex_status, ex_count;
static volatile uint64_t ex_resume; /* where the handler continues, 0: skip the insn */

/* Saves every caller-saved register, records, and returns where exc_record says. */
__asm__(".balign 4\n"
        ".global exc_entry\n"
        "exc_entry:\n"
        "addi sp, sp, -128\n"
        "sd ra, 0(sp)\n sd t0, 8(sp)\n sd t1, 16(sp)\n sd t2, 24(sp)\n"
        "sd a0, 32(sp)\n sd a1, 40(sp)\n sd a2, 48(sp)\n sd a3, 56(sp)\n"
        "sd a4, 64(sp)\n sd a5, 72(sp)\n sd a6, 80(sp)\n sd a7, 88(sp)\n"
        "sd t3, 96(sp)\n sd t4, 104(sp)\n sd t5, 112(sp)\n sd t6, 120(sp)\n"
        "csrr a0, scause\n csrr a1, sepc\n csrr a2, stval\n csrr a3, sstatus\n mv a4, ra\n"
        "call exc_record\n"
        "csrw sepc, a0\n"
        "ld ra, 0(sp)\n ld t0, 8(sp)\n ld t1, 16(sp)\n ld t2, 24(sp)\n"
        "ld a0, 32(sp)\n ld a1, 40(sp)\n ld a2, 48(sp)\n ld a3, 56(sp)\n"
        "ld a4, 64(sp)\n ld a5, 72(sp)\n ld a6, 80(sp)\n ld a7, 88(sp)\n"
        "ld t3, 96(sp)\n ld t4, 104(sp)\n ld t5, 112(sp)\n ld t6, 120(sp)\n"
        "addi sp, sp, 128\n"
        "sret\n");

uint64_t exc_record(uint64_t scause, uint64_t sepc, uint64_t stval, uint64_t sstatus, uint64_t ra)
{
    uint16_t insn;

    ex_cause = scause;
    ex_epc = sepc;
    ex_tval = stval;
    ex_status = sstatus;
    ex_count++;
    if (scause == 1) {
        return ra; /* a fetch fault: back to the caller of the jump */
    }
    insn = *(volatile uint16_t *)(uintptr_t)sepc;
    return sepc + ((insn & 3) == 3 ? 4 : 2);
}

#define SSTATUS_SPP (1ul << 8)

static void expect_exc(const char *name, uint64_t count0, uint64_t cause, uint64_t tval,
                       bool check_tval)
{
    test_check(ex_count == count0 + 1 && ex_cause == cause && (!check_tval || ex_tval == tval) &&
                   (ex_status & SSTATUS_SPP),
               name, "count %lu cause %lu tval 0x%lx sstatus 0x%lx (want cause %lu tval 0x%lx)",
               ex_count - count0, ex_cause, ex_tval, ex_status, cause, tval);
}

int mode_exc_own(void)
{
    uint64_t old, c;
    volatile uint32_t *p = (volatile uint32_t *)UNBACKED;

    __asm__ volatile("csrr %0, stvec\n csrw stvec, %1" : "=&r"(old) : "r"(exc_entry) : "memory");
    c = ex_count;
    /* csrw cycle: a write to a read-only CSR (32-bit). */
    __asm__ volatile(".option push\n.option norvc\n.word 0xc0001073\n.option pop" ::: "memory");
    expect_exc("exc-illegal-32bit", c, 2, 0xc0001073, true);
    c = ex_count;
    __asm__ volatile(".option push\n.option rvc\n.2byte 0\n.option pop" ::: "memory");
    expect_exc("exc-illegal-compressed", c, 2, 0, false);
    c = ex_count;
    (void)*p;
    expect_exc("exc-load-unbacked", c, 5, UNBACKED, true);
    c = ex_count;
    *p = 1;
    expect_exc("exc-store-unbacked", c, 7, UNBACKED, true);
    c = ex_count;
    __asm__ volatile("jalr ra, 0(%0)" ::"r"(UNBACKED) : "ra", "memory");
    expect_exc("exc-fetch-unbacked", c, 1, UNBACKED, true);
    __asm__ volatile("csrw stvec, %0" ::"r"(old) : "memory");
    test_pass("exc-went-on");
    test_done();
    return 0;
}

int mode_exc_loop(void)
{
    dom_puts("ABOUT TO FAULT WITH STVEC ON NOTHING\n");
    __asm__ volatile("csrw stvec, %0\n .option push\n.option norvc\n.word 0xc0001073\n"
                     ".option pop" ::"r"(UNBACKED)
                     : "memory");
    test_fail("exc-loop", "survived");
    test_done();
    return 0;
}

#else

static int riscv_only(const char *name)
{
    test_fail(name, "riscv64 only");
    test_done();
    return 0;
}

int mode_plic(void)
{
    return riscv_only("plic");
}

int mode_exc_own(void)
{
    return riscv_only("exc-own");
}

int mode_exc_loop(void)
{
    return riscv_only("exc-loop");
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the virtual PLIC (arch/riscv64/hyp/vplic.c, compiled unmodified for
 * the host against the riscv64 headers). One domain of 1-8 vCPUs; input: a config byte,
 * then records of one operation each: priority, pending (read-only), enable and
 * threshold writes, claims and completions per context (S-mode and M-mode, present or
 * not), raw reads and writes anywhere in the PLIC window (any alignment), and sources
 * raised by devices. After every operation:
 *   - a claim returns exactly the source the specification says (3.7, 3.8): the
 *     highest-priority pending, unclaimed source enabled in the context with a priority
 *     over its threshold, lowest id on ties, or 0; it clears that pending bit;
 *   - a completion of a source that is not claimed, or not enabled in the context,
 *     changes nothing (3.9), and writes to read-only or absent registers change nothing;
 *   - no state outside the architecture: source 0 and sources past the last never
 *     pending, enabled or prioritised; priorities and thresholds in 0-7;
 *   - each context's interrupt line is up exactly when a claim would return a source,
 *     and every vCPU whose line rose was kicked.
 * ASan and UBSan catch out-of-bounds accesses and undefined behaviour on top.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bulkhead/domain.h>

#include "../../../arch/riscv64/hyp/riscv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS  1024
#define CTX_BASE 0x200000u

static struct domain dom;
static struct vcpu vcpus[VPLIC_CTXS];
static uint32_t kicked;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_vplic: invariant broken: %s\n", what);
    abort();
}

/* No host source is passed through in this model (irq_route.c is not linked). */
bool irq_route_complete(const struct domain *d, uint32_t src)
{
    (void)d;
    (void)src;
    return false;
}

bool irq_route_owned(const struct domain *d, uint32_t src)
{
    (void)d;
    (void)src;
    return false;
}

void virq_kick(struct vcpu *v)
{
    if (v->dom != &dom || v->id >= dom.nr_vcpus) {
        fail("kick of a vCPU of no domain");
    }
    kicked |= 1u << v->id;
}

void arch_cpu_relax(void)
{
    fail("the vPLIC lock was contended in a single-threaded run");
}

static bool bit(const uint32_t *w, unsigned n)
{
    return (w[n / 32] >> (n % 32)) & 1;
}

/* The source a claim by S-mode context (vCPU) @c must return, from the spec. */
static unsigned expect_claim(const struct vplic *p, unsigned c)
{
    unsigned best = 0;

    for (unsigned s = 1; s <= VPLIC_NDEV; s++) {
        if (bit(p->pending, s) && !bit(p->claimed, s) && bit(p->ctx[c].enable, s) &&
            p->priority[s] > p->ctx[c].threshold && (!best || p->priority[s] > p->priority[best])) {
            best = s;
        }
    }
    return best;
}

static void check_state(uint32_t eip_before)
{
    const struct vplic *p = &dom.arch.vplic;
    uint32_t rose;

    for (unsigned w = 0; w < VPLIC_WORDS; w++) {
        for (unsigned b = 0; b < 32; b++) {
            unsigned s = w * 32 + b;
            bool valid = s >= 1 && s <= VPLIC_NDEV;

            if (!valid && (bit(p->pending, s) || bit(p->claimed, s))) {
                fail("source 0 or a source past the last pending or claimed");
            }
            for (unsigned c = 0; c < VPLIC_CTXS; c++) {
                if (!valid && bit(p->ctx[c].enable, s)) {
                    fail("source 0 or a source past the last enabled");
                }
            }
        }
    }
    if (p->priority[0]) {
        fail("source 0 has a priority");
    }
    for (unsigned s = 1; s <= VPLIC_NDEV; s++) {
        if (p->priority[s] > 7) {
            fail("priority over 7");
        }
    }
    for (unsigned c = 0; c < VPLIC_CTXS; c++) {
        bool line = vplic_eip(&dom, c);

        if (p->ctx[c].threshold > 7) {
            fail("threshold over 7");
        }
        if (c >= dom.nr_vcpus ? line : line != (expect_claim(p, c) != 0)) {
            fail("a context's line does not match what a claim would return");
        }
    }
    rose = p->eip & ~eip_before;
    if (rose & ~kicked) {
        fail("a vCPU whose line rose was not kicked");
    }
}

static uint64_t take(const uint8_t **p, size_t *left, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)(*left ? ((*left)--, *(*p)++) : 0) << (8 * i);
    }
    return v;
}

/* A write that must change nothing of the PLIC's state. */
static void write_inert(uint64_t off, uint32_t val, const char *what)
{
    struct vplic before = dom.arch.vplic;

    vplic_write(&dom, off, val);
    if (memcmp(&before, &dom.arch.vplic, sizeof(before))) {
        fail(what);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t left = size;
    unsigned cfg = (unsigned)take(&p, &left, 1);
    struct vplic *pl = &dom.arch.vplic;

    memset(&dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    dom.nr_vcpus = (cfg & 7) + 1;
    for (unsigned i = 0; i < dom.nr_vcpus; i++) {
        vcpus[i].dom = &dom;
        vcpus[i].id = i;
        dom.vcpus[i] = &vcpus[i];
    }
    vplic_init(&dom);

    for (unsigned n = 0; n < MAX_OPS && left; n++) {
        unsigned op = (unsigned)take(&p, &left, 1);
        unsigned ctx = (unsigned)take(&p, &left, 1) % (2 * VPLIC_CTXS + 2); /* M, S, absent */
        unsigned c = ctx / 2;
        bool s_ctx = (ctx & 1) && c < dom.nr_vcpus;
        uint32_t eip = pl->eip;

        kicked = 0;
        switch (op & 15) {
        case 0: /* priority of a source (0 and past the last included) */
        case 1:
            vplic_write(&dom, 4 * (take(&p, &left, 1) % 128), (uint32_t)take(&p, &left, 4));
            break;
        case 2: /* enables of a context, one word */
        case 3:
            vplic_write(&dom, 0x2000 + 0x80 * ctx + 4 * (take(&p, &left, 1) % 8),
                        (uint32_t)take(&p, &left, 4));
            break;
        case 4: /* threshold */
            vplic_write(&dom, CTX_BASE + 0x1000 * ctx, (uint32_t)take(&p, &left, 1));
            break;
        case 5: /* claim */
        case 6: {
            unsigned want = s_ctx ? expect_claim(pl, c) : 0;
            uint32_t got = vplic_read(&dom, CTX_BASE + 0x1000 * ctx + 4);

            if (got != want) {
                fprintf(stderr, "fuzz_vplic: context %u claimed %u, expected %u\n", ctx, got, want);
                fail("a claim returned the wrong source");
            }
            if (got && (bit(pl->pending, got) || !bit(pl->claimed, got))) {
                fail("a claimed source is still pending or not marked claimed");
            }
            break;
        }
        case 7: /* complete */
        case 8: {
            uint32_t src = (uint32_t)take(&p, &left, 1) | (op & 0x80 ? 0xffffff00u : 0);

            if (!s_ctx || src < 1 || src > VPLIC_NDEV || !bit(pl->claimed, src) ||
                !bit(pl->ctx[c].enable, src)) {
                write_inert(CTX_BASE + 0x1000 * ctx + 4, src,
                            "a completion of an unclaimed or disabled source changed state");
            } else {
                vplic_write(&dom, CTX_BASE + 0x1000 * ctx + 4, src);
                if (bit(pl->claimed, src)) {
                    fail("a completion left its source claimed");
                }
            }
            break;
        }
        case 9: /* a device raises a source (0 and past the last included) */
        case 10:
        case 11:
            vplic_raise(&dom, (unsigned)take(&p, &left, 1));
            break;
        case 12: /* the pending bits are read-only */
            write_inert(0x1000 + 4 * (take(&p, &left, 1) % 32), (uint32_t)take(&p, &left, 4),
                        "a write to the pending bits changed state");
            break;
        case 13: { /* a read anywhere, any alignment: never a claim outside claim/complete */
            uint64_t off = take(&p, &left, 3) % (VPLIC_SIZE + 0x1000);
            uint32_t got = vplic_read(&dom, off);

            if ((off & 3 || off >= VPLIC_SIZE) && got) {
                fail("a misaligned or out-of-window read returned something");
            }
            if (off < 4 && got) {
                fail("source 0's priority is not zero");
            }
            break;
        }
        case 14: { /* a write anywhere */
            uint64_t off = take(&p, &left, 3) % (VPLIC_SIZE + 0x1000);
            uint32_t val = (uint32_t)take(&p, &left, 4);

            uint64_t cx = off >= CTX_BASE ? (off - CTX_BASE) / 0x1000 : (off - 0x2000) / 0x80;

            if (off & 3 || off >= VPLIC_SIZE || (off >= 0x1000 && off < 0x2000) ||
                (off >= 0x2000 && (cx % 2 == 0 || cx / 2 >= dom.nr_vcpus)) ||
                (off >= CTX_BASE && (off - CTX_BASE) % 0x1000 >= 8)) {
                write_inert(off, val,
                            "a write to a gap, an M-mode context or "
                            "misaligned changed state");
            } else {
                vplic_write(&dom, off, val);
            }
            break;
        }
        default: /* read back a context's enables and threshold, and a priority */
            if (s_ctx) {
                for (unsigned w = 0; w < VPLIC_WORDS; w++) {
                    if (vplic_read(&dom, 0x2000 + 0x80 * ctx + 4 * w) != pl->ctx[c].enable[w]) {
                        fail("enable bits read back wrong");
                    }
                }
                if (vplic_read(&dom, CTX_BASE + 0x1000 * ctx) != pl->ctx[c].threshold) {
                    fail("threshold read back wrong");
                }
            } else if (vplic_read(&dom, CTX_BASE + 0x1000 * ctx + 4) ||
                       vplic_read(&dom, 0x2000 + 0x80 * ctx)) {
                fail("an M-mode or absent context reads something");
            }
            break;
        }
        check_state(eip);
    }
    return 0;
}

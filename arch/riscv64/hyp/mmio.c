/* SPDX-License-Identifier: MIT */
/*
 * Emulated MMIO for guests: a load or store that takes a guest-page fault in a region
 * the hypervisor emulates (the vPLIC) is decoded, done, and skipped; one in a range the
 * guest's stub domain claims (hypervisor/ioreq) is decoded and forwarded, and the vCPU
 * blocks until mmio_finish_current() completes it on its way back in.
 *
 * The instruction comes from htinst when the hart provides a transformed one (H
 * extension 8.6.3: bit 0 set; bit 1 clear means the original was a 16-bit compressed
 * instruction, and the transformed one is its 32-bit equivalent with the offset
 * zeroed), else from guest memory at sepc (QEMU 7.2 leaves htinst 0 for these faults),
 * in which case the compressed forms are decoded too: C.LW, C.LD, C.SW, C.SD and the
 * SP-relative C.LWSP, C.LDSP, C.SWSP, C.SDSP (unprivileged spec, chapter "C"). The
 * address is htval << 2 | stval[1:0], so the offset never matters.
 */
#include <arch/csr.h>
#include <arch/trap.h>

#include <bulkhead/domain.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/ioreq.h>
#include <bulkhead/sched.h>

#include "insn.h"
#include "riscv.h"

static bool fetch_and_decode(const struct trap_frame *f, struct vcpu *v, struct mmio_insn *m)
{
    uint16_t lo, hi;

    if (f->htinst & 1) {
        if (!insn_decode32((uint32_t)f->htinst | 2, m)) {
            return false;
        }
        m->len = (f->htinst & 2) ? 4 : 2;
        return true;
    }
    /* One 32-bit read when it stays in the page (the common case: one translation);
     * else two halves, so a 16-bit instruction at the end of a page never reads the
     * next. */
    if ((f->sepc & 0xfff) <= 0xffc && !(f->sepc & 1)) {
        uint32_t w;

        if (copy_from_guest(v, &w, f->sepc, 4) != 0) {
            return false;
        }
        return (w & 3) != 3 ? insn_decode16((uint16_t)w, m) : insn_decode32(w, m);
    }
    if (copy_from_guest(v, &lo, f->sepc, 2) != 0) {
        return false;
    }
    if ((lo & 3) != 3) {
        return insn_decode16(lo, m);
    }
    if (copy_from_guest(v, &hi, f->sepc + 2, 2) != 0) {
        return false;
    }
    return insn_decode32((uint32_t)hi << 16 | lo, m);
}

static uint64_t reg_get(const struct trap_frame *f, unsigned r)
{
    return r ? f->x[r - 1] : 0;
}

static void reg_set(struct trap_frame *f, unsigned r, uint64_t val)
{
    if (r) {
        f->x[r - 1] = val;
    }
}

/* Forward the access to the stub's device model: false if no server claims @gpa. */
static bool forward(struct trap_frame *f, struct vcpu *v, uint64_t gpa)
{
    struct mmio_insn m;

    if (!READ_ONCE(v->dom->ioreq.enabled) || !fetch_and_decode(f, v, &m)) {
        return false;
    }
    v->mmio.size = (uint8_t)m.width;
    v->mmio.reg = (uint8_t)m.reg;
    v->mmio.len = (uint8_t)m.len;
    v->mmio.write = m.write;
    v->mmio.sign = m.sign;
    v->mmio.wide = true;
    v->mmio.data = m.write ? reg_get(f, m.reg) : 0;
    if (m.write && m.width < 8) {
        v->mmio.data &= (1ull << (8 * m.width)) - 1;
    }
    return ioreq_forward(v, gpa) == 0;
}

void mmio_finish_current(void)
{
    struct vcpu *v = current_vcpu();
    struct trap_frame *f;
    uint64_t val;

    if (!v || !ioreq_take_reply(&v->mmio, &val)) {
        return;
    }
    /* On the vCPU's own CPU, its registers live in the frame (docs/ioreq.md). */
    f = guest_frame();
    if (!v->mmio.write) {
        reg_set(f, v->mmio.reg, val);
    }
    f->sepc += v->mmio.len;
}

void guest_resume(void)
{
    sched_on_return();
    mmio_finish_current();
}

bool mmio_emulate(struct trap_frame *f, struct vcpu *v, uint64_t gpa)
{
    struct mmio_insn m;
    uint64_t off = gpa - VPLIC_BASE;
    uint64_t val = 0;

    if (gpa < VPLIC_BASE || off >= VPLIC_SIZE) {
        return forward(f, v, gpa);
    }
    if (!fetch_and_decode(f, v, &m)) {
        return false;
    }
    /* The PLIC has 32-bit registers: other widths and misaligned accesses read as zero
     * and are ignored, as unknown offsets are. */
    if (m.write) {
        if (m.width == 4 && !(off & 3)) {
            vplic_write(v->dom, off, (uint32_t)reg_get(f, m.reg));
        }
    } else {
        if (m.width == 4 && !(off & 3)) {
            val = vplic_read(v->dom, off);
            val = m.sign ? (uint64_t)(int64_t)(int32_t)val : val;
        }
        reg_set(f, m.reg, val);
    }
    f->sepc += m.len;
    return true;
}

/* SPDX-License-Identifier: MIT */
/*
 * Emulated MMIO for guests: a load or store that takes a guest-page fault in a region
 * the hypervisor emulates (today only the vPLIC) is decoded, done, and skipped.
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

#include "riscv.h"

#define OP_LOAD  0x03
#define OP_STORE 0x23

struct mmio_insn {
    bool write;
    unsigned width; /* bytes */
    bool sign;      /* loads: sign-extend */
    unsigned reg;   /* rd (loads) or rs2 (stores), x0-x31 */
    unsigned len;   /* 2 or 4 */
};

static bool decode32(uint32_t insn, struct mmio_insn *m)
{
    unsigned f3 = (insn >> 12) & 7;

    switch (insn & 0x7f) {
    case OP_LOAD:
        if (f3 == 7) {
            return false;
        }
        *m = (struct mmio_insn){.write = false,
                                .width = 1u << (f3 & 3),
                                .sign = !(f3 & 4),
                                .reg = (insn >> 7) & 31,
                                .len = 4};
        return true;
    case OP_STORE:
        if (f3 > 3) {
            return false;
        }
        *m = (struct mmio_insn){
            .write = true, .width = 1u << f3, .reg = (insn >> 20) & 31, .len = 4};
        return true;
    default:
        return false;
    }
}

static bool decode16(uint16_t insn, struct mmio_insn *m)
{
    unsigned f3 = insn >> 13, quadrant = insn & 3;
    unsigned rs2c = 8 + ((insn >> 2) & 7); /* rd' / rs2' of the CL / CS formats */
    unsigned rd = (insn >> 7) & 31, rs2 = (insn >> 2) & 31;

    if (quadrant == 0) {
        switch (f3) {
        case 2: /* C.LW */
        case 3: /* C.LD */
            *m = (struct mmio_insn){.width = f3 == 2 ? 4 : 8, .sign = true, .reg = rs2c, .len = 2};
            return true;
        case 6: /* C.SW */
        case 7: /* C.SD */
            *m = (struct mmio_insn){.write = true, .width = f3 == 6 ? 4 : 8, .reg = rs2c, .len = 2};
            return true;
        default:
            return false;
        }
    }
    if (quadrant == 2) {
        switch (f3) {
        case 2: /* C.LWSP (rd != 0) */
        case 3: /* C.LDSP */
            *m = (struct mmio_insn){.width = f3 == 2 ? 4 : 8, .sign = true, .reg = rd, .len = 2};
            return rd != 0;
        case 6: /* C.SWSP */
        case 7: /* C.SDSP */
            *m = (struct mmio_insn){.write = true, .width = f3 == 6 ? 4 : 8, .reg = rs2, .len = 2};
            return true;
        default:
            return false;
        }
    }
    return false;
}

static bool fetch_and_decode(const struct trap_frame *f, struct vcpu *v, struct mmio_insn *m)
{
    uint16_t lo, hi;

    if (f->htinst & 1) {
        if (!decode32((uint32_t)f->htinst | 2, m)) {
            return false;
        }
        m->len = (f->htinst & 2) ? 4 : 2;
        return true;
    }
    /* Two halves, so a 16-bit instruction at the end of a page never reads the next. */
    if (copy_from_guest(v, &lo, f->sepc, 2) != 0) {
        return false;
    }
    if ((lo & 3) != 3) {
        return decode16(lo, m);
    }
    if (copy_from_guest(v, &hi, f->sepc + 2, 2) != 0) {
        return false;
    }
    return decode32((uint32_t)hi << 16 | lo, m);
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

bool mmio_emulate(struct trap_frame *f, struct vcpu *v, uint64_t gpa)
{
    struct mmio_insn m;
    uint64_t off = gpa - VPLIC_BASE;
    uint64_t val = 0;

    if (gpa < VPLIC_BASE || off >= VPLIC_SIZE || !fetch_and_decode(f, v, &m)) {
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

/* SPDX-License-Identifier: MIT */
/* Decoding loads and stores for MMIO emulation. See insn.h. */
#include "insn.h"

#define OP_LOAD  0x03
#define OP_STORE 0x23

bool insn_decode32(uint32_t insn, struct mmio_insn *m)
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

bool insn_decode16(uint16_t insn, struct mmio_insn *m)
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

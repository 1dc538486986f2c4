/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the riscv64 MMIO instruction decoder (arch/riscv64/hyp/insn.c) on
 * words from the input, as guest memory or htinst would give them. Whatever decodes must
 * be well-formed (a register x0-x31, a width the access can have, the instruction's
 * length), and a compressed word's decode must agree with its 32-bit equivalent's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../arch/riscv64/hyp/insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const struct mmio_insn *m, unsigned len)
{
    if (!ok) {
        return;
    }
    if (m->reg >= 32 || m->len != len || (m->write && m->sign) ||
        !(m->width == 1 || m->width == 2 || m->width == 4 || m->width == 8)) {
        abort();
    }
}

/* The 32-bit LOAD/STORE a compressed load/store expands to (unprivileged spec, "C"). */
static uint32_t expand(const struct mmio_insn *m)
{
    unsigned f3 = m->width == 8 ? 3 : 2;

    return m->write ? ((uint32_t)m->reg << 20) | (f3 << 12) | 0x23
                    : ((uint32_t)m->reg << 7) | (f3 << 12) | 0x03;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 4 <= size; i += 2) {
        uint32_t w;
        struct mmio_insn m = {0}, e = {0};
        bool ok;

        memcpy(&w, data + i, sizeof(w));
        check(insn_decode32(w, &m), &m, 4);
        ok = insn_decode16((uint16_t)w, &m);
        check(ok, &m, 2);
        if (ok && (!insn_decode32(expand(&m), &e) || e.write != m.write || e.width != m.width ||
                   e.reg != m.reg || e.sign != m.sign)) {
            abort();
        }
    }
    return 0;
}

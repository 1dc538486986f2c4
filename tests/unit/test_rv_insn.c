/* SPDX-License-Identifier: MIT */
/*
 * The riscv64 MMIO instruction decoder (arch/riscv64/hyp/insn.c), a pure function built
 * for the host: every load and store form the emulation takes, by its encoding, and the
 * ones it must refuse.
 */
#include "unit.h"

#include "../../arch/riscv64/hyp/insn.h"

struct case32 {
    uint32_t insn;
    bool ok, write, sign;
    unsigned width, reg;
};

static void test_32bit_loads_and_stores(void **state)
{
    static const struct case32 cases[] = {
        {0x0005a503, true, false, true, 4, 10},  /* lw a0, 0(a1) */
        {0x0005b503, true, false, true, 8, 10},  /* ld a0, 0(a1) */
        {0x00058503, true, false, true, 1, 10},  /* lb a0, 0(a1) */
        {0x0005c503, true, false, false, 1, 10}, /* lbu a0, 0(a1) */
        {0x0005d503, true, false, false, 2, 10}, /* lhu a0, 0(a1) */
        {0x0005e503, true, false, false, 4, 10}, /* lwu a0, 0(a1) */
        {0x0005f503, false, false, false, 0, 0}, /* LOAD funct3 7: reserved */
        {0x00a5a023, true, true, false, 4, 10},  /* sw a0, 0(a1) */
        {0x00a5b023, true, true, false, 8, 10},  /* sd a0, 0(a1) */
        {0x00a58023, true, true, false, 1, 10},  /* sb a0, 0(a1) */
        {0x00a5c023, false, false, false, 0, 0}, /* STORE funct3 4: reserved */
        {0x00b50533, false, false, false, 0, 0}, /* add a0, a0, a1 */
        {0x00000073, false, false, false, 0, 0}, /* ecall */
    };

    (void)state;
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        struct mmio_insn m = {0};

        assert_int_equal(insn_decode32(cases[i].insn, &m), cases[i].ok);
        if (cases[i].ok) {
            assert_int_equal(m.write, cases[i].write);
            assert_int_equal(m.sign, cases[i].sign);
            assert_int_equal(m.width, cases[i].width);
            assert_int_equal(m.reg, cases[i].reg);
            assert_int_equal(m.len, 4);
        }
    }
}

static void test_compressed_loads_and_stores(void **state)
{
    static const struct case32 cases[] = {
        {0x4188, true, false, true, 4, 10},  /* c.lw a0, 0(a1) */
        {0x6188, true, false, true, 8, 10},  /* c.ld a0, 0(a1) */
        {0xc188, true, true, false, 4, 10},  /* c.sw a0, 0(a1) */
        {0xe188, true, true, false, 8, 10},  /* c.sd a0, 0(a1) */
        {0x4502, true, false, true, 4, 10},  /* c.lwsp a0, 0(sp) */
        {0x6502, true, false, true, 8, 10},  /* c.ldsp a0, 0(sp) */
        {0xc02a, true, true, false, 4, 10},  /* c.swsp a0, 0(sp) */
        {0xe02a, true, true, false, 8, 10},  /* c.sdsp a0, 0(sp) */
        {0x4002, false, false, false, 0, 0}, /* c.lwsp with rd = x0: reserved */
        {0x0001, false, false, false, 0, 0}, /* c.nop (quadrant 1) */
        {0x0000, false, false, false, 0, 0}, /* the all-zero illegal instruction */
        {0x8082, false, false, false, 0, 0}, /* c.ret */
    };

    (void)state;
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        struct mmio_insn m = {0};

        assert_int_equal(insn_decode16((uint16_t)cases[i].insn, &m), cases[i].ok);
        if (cases[i].ok) {
            assert_int_equal(m.write, cases[i].write);
            assert_int_equal(m.sign, cases[i].sign);
            assert_int_equal(m.width, cases[i].width);
            assert_int_equal(m.reg, cases[i].reg);
            assert_int_equal(m.len, 2);
        }
    }
}

/* Every 16-bit word, and a sweep of 32-bit ones: whatever decodes is well-formed. */
static void test_every_decode_is_well_formed(void **state)
{
    uint64_t seed = 42;

    (void)state;
    for (uint32_t w = 0; w <= 0xffff; w++) {
        struct mmio_insn m = {0};

        if (insn_decode16((uint16_t)w, &m)) {
            assert_true(m.reg < 32 && m.len == 2 && (m.width == 4 || m.width == 8));
            assert_false(m.write && m.sign);
        }
    }
    for (unsigned i = 0; i < 1000000; i++) {
        struct mmio_insn m = {0};
        uint32_t w = (uint32_t)unit_rand(&seed);

        if (insn_decode32(w, &m)) {
            assert_true(m.reg < 32 && m.len == 4);
            assert_true(m.width == 1 || m.width == 2 || m.width == 4 || m.width == 8);
            assert_false(m.write && m.sign);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_32bit_loads_and_stores),
        cmocka_unit_test(test_compressed_loads_and_stores),
        cmocka_unit_test(test_every_decode_is_well_formed),
    };

    return cmocka_run_group_tests_name("rv_insn", tests, NULL, NULL);
}

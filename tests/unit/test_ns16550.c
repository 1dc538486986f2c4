/* SPDX-License-Identifier: MIT */
/* drivers/uart/ns16550.c, register by register, as Linux's 8250 driver uses it. */
#include "unit.h"

#include "ns16550.h"
#include "uart_env.h"

static struct ns16550 u;
static const struct uart_model *m = &uart_ns16550_model;

static int setup(void **state)
{
    (void)state;
    uart_env_reset(m, &u);
    return 0;
}

static uint8_t rd(uint64_t off)
{
    return (uint8_t)m->read(&u, off, 1);
}

static void wr(uint64_t off, uint8_t v)
{
    m->write(&u, off, 1, v);
}

static void test_reset_values(void **state)
{
    (void)state;
    assert_string_equal(m->name, "ns16550");
    assert_int_equal(m->size, 0x100);
    assert_int_equal(rd(NS16550_IER), 0);
    assert_int_equal(rd(NS16550_IIR), NS16550_IIR_NONE);
    assert_int_equal(rd(NS16550_LCR), 0);
    assert_int_equal(rd(NS16550_MCR), 0);
    assert_int_equal(rd(NS16550_LSR), NS16550_LSR_THRE | NS16550_LSR_TEMT);
    assert_int_equal(rd(NS16550_MSR), 0xb0);
    assert_int_equal(rd(NS16550_SCR), 0);
    assert_false(m->irq(&u));
}

static void test_byte_writes_without_setup(void **state)
{
    const char *msg = "boot ok\n";

    (void)state;
    for (const char *p = msg; *p; p++) {
        m->write(&u, 0, 1, (uint8_t)*p);
    }
    assert_int_equal(nsent, 8);
    assert_memory_equal(sent, msg, 8);
    assert_int_equal(rd(NS16550_LSR) & 0x60, 0x60);
    assert_false(m->irq(&u)); /* no interrupt enabled */
}

static void test_divisor_latch_and_scratch(void **state)
{
    (void)state;
    wr(NS16550_IER, 0x05);
    wr(NS16550_LCR, NS16550_LCR_DLAB | 0x03);
    wr(NS16550_RBR, 0x34); /* DLL */
    wr(NS16550_IER, 0x12); /* DLM */
    assert_int_equal(rd(NS16550_RBR), 0x34);
    assert_int_equal(rd(NS16550_IER), 0x12);
    assert_int_equal(nsent, 0); /* DLL writes are not data */
    wr(NS16550_LCR, 0x03);
    assert_int_equal(rd(NS16550_LCR), 0x03);
    assert_int_equal(rd(NS16550_IER), 0x05); /* IER kept apart from DLM */
    wr(NS16550_IER, 0xff);
    assert_int_equal(rd(NS16550_IER), 0x0f);
    wr(NS16550_SCR, 0x5a);
    assert_int_equal(rd(NS16550_SCR), 0x5a);
    wr(NS16550_MCR, 0xff);
    assert_int_equal(rd(NS16550_MCR), 0x1f);
}

static void test_fifo_and_iir_bits(void **state)
{
    (void)state;
    wr(NS16550_IIR, NS16550_FCR_ENABLE | NS16550_FCR_CLEAR_RX | NS16550_FCR_CLEAR_TX);
    assert_int_equal(rd(NS16550_IIR), NS16550_IIR_FIFOS | NS16550_IIR_NONE);
    for (unsigned i = 0; i < NS16550_FIFO_DEPTH; i++) {
        assert_true(m->rx(&u, (uint8_t)i));
    }
    assert_false(m->rx(&u, 99)); /* full: refused, not an overrun */
    assert_int_equal(rd(NS16550_LSR), 0x61);
    for (unsigned i = 0; i < NS16550_FIFO_DEPTH; i++) {
        assert_int_equal(rd(NS16550_RBR), i);
    }
    assert_int_equal(rd(NS16550_LSR), 0x60);
    assert_int_equal(rd(NS16550_RBR), 0);
    /* FIFOs off: one byte deep, IIR without 0xc0. */
    assert_true(m->rx(&u, 1));
    wr(NS16550_IIR, 0);
    assert_int_equal(rd(NS16550_IIR), NS16550_IIR_NONE);
    assert_int_equal(rd(NS16550_LSR) & NS16550_LSR_DR, 0); /* the mode change flushed it */
    assert_true(m->rx(&u, 2));
    assert_false(m->rx(&u, 3));
    /* FCR clear-RX flushes. */
    wr(NS16550_IIR, NS16550_FCR_ENABLE);
    assert_true(m->rx(&u, 4));
    wr(NS16550_IIR, NS16550_FCR_ENABLE | NS16550_FCR_CLEAR_RX);
    assert_int_equal(rd(NS16550_LSR) & NS16550_LSR_DR, 0);
}

static void test_rx_interrupts(void **state)
{
    (void)state;
    wr(NS16550_IIR, NS16550_FCR_ENABLE | 0x40); /* trigger 4 */
    wr(NS16550_IER, NS16550_IER_RDI);
    for (unsigned i = 0; i < 3; i++) {
        assert_true(m->rx(&u, 'a'));
    }
    assert_false(m->irq(&u));
    m->rx_idle(&u);
    assert_true(m->irq(&u));
    assert_int_equal(rd(NS16550_IIR), 0xc0 | NS16550_IIR_TOUT);
    (void)rd(NS16550_RBR); /* reading clears the timeout */
    assert_false(m->irq(&u));
    assert_true(m->rx(&u, 'b'));
    assert_true(m->rx(&u, 'c'));
    assert_int_equal(rd(NS16550_IIR), 0xc0 | NS16550_IIR_RDI);
    (void)rd(NS16550_RBR);
    assert_false(m->irq(&u));
    /* Disabled RDI: no interrupt even at the level. */
    assert_true(m->rx(&u, 'd'));
    wr(NS16550_IER, 0);
    assert_false(m->irq(&u));
}

static void test_thre_interrupt(void **state)
{
    (void)state;
    /* Enabling THRI with the THR empty raises it at once (8250's start_tx relies on it). */
    wr(NS16550_IER, NS16550_IER_THRI);
    assert_true(m->irq(&u));
    /* Reading IIR with THRE as the source clears it. */
    assert_int_equal(rd(NS16550_IIR), NS16550_IIR_THRI);
    assert_false(m->irq(&u));
    assert_int_equal(rd(NS16550_IIR), NS16550_IIR_NONE);
    /* Writing THR empties it again at once: pending again. */
    wr(NS16550_RBR, 'x');
    assert_true(m->irq(&u));
    /* A write to IER that keeps THRI on does not re-raise it once cleared. */
    (void)rd(NS16550_IIR);
    wr(NS16550_IER, NS16550_IER_THRI | NS16550_IER_RDI);
    assert_false(m->irq(&u));
    /* Off and on again: raised. */
    wr(NS16550_IER, 0);
    wr(NS16550_IER, NS16550_IER_THRI);
    assert_true(m->irq(&u));
    assert_int_equal(nsent, 1);
}

static void test_priorities(void **state)
{
    (void)state;
    wr(NS16550_IIR, NS16550_FCR_ENABLE); /* trigger 1 */
    wr(NS16550_MCR, NS16550_MCR_LOOP);   /* a modem-status delta */
    wr(NS16550_IER, 0x0f);
    wr(NS16550_RBR, 'a'); /* looped back: data, and THR empty */
    wr(NS16550_RBR, 'b');
    for (unsigned i = 0; i < NS16550_FIFO_DEPTH; i++) {
        wr(NS16550_RBR, 'c'); /* overrun: a line-status error */
    }
    assert_int_equal(nsent, 0);
    assert_int_equal(rd(NS16550_IIR) & 0x0f, NS16550_IIR_RLSI);
    assert_int_equal(rd(NS16550_LSR) & NS16550_LSR_OE, NS16550_LSR_OE); /* clears it */
    assert_int_equal(rd(NS16550_IIR) & 0x0f, NS16550_IIR_RDI);
    for (unsigned i = 0; i < NS16550_FIFO_DEPTH; i++) {
        (void)rd(NS16550_RBR);
    }
    assert_int_equal(rd(NS16550_IIR) & 0x0f, NS16550_IIR_THRI); /* and clears it */
    assert_int_equal(rd(NS16550_IIR) & 0x0f, NS16550_IIR_MSI);
    (void)rd(NS16550_MSR);
    assert_int_equal(rd(NS16550_IIR) & 0x0f, NS16550_IIR_NONE);
    assert_false(m->irq(&u));
}

static void test_loopback_msr(void **state)
{
    (void)state;
    wr(NS16550_MCR, NS16550_MCR_LOOP);
    (void)rd(NS16550_MSR);
    wr(NS16550_MCR, NS16550_MCR_LOOP | 0x0f); /* DTR, RTS, OUT1, OUT2 */
    assert_int_equal(rd(NS16550_MSR), 0xf0 | 0x0b);
    assert_int_equal(rd(NS16550_MSR), 0xf0);
    wr(NS16550_MCR, NS16550_MCR_LOOP);
    assert_int_equal(rd(NS16550_MSR), 0x0f); /* RI's trailing edge too */
    /* The line is cut off in loopback. */
    assert_false(m->rx(&u, 'z'));
    wr(NS16550_RBR, 'q');
    assert_int_equal(rd(NS16550_RBR), 'q');
    assert_int_equal(nsent, 0);
}

static void test_misuse(void **state)
{
    (void)state;
    wr(NS16550_SCR, 0x77);
    /* Past the eight registers: read 0, write nothing. */
    for (uint64_t off = 8; off < 0x100; off++) {
        m->write(&u, off, 1, 0xff);
        assert_int_equal(m->read(&u, off, 1), 0);
    }
    assert_int_equal(m->read(&u, 0x1000, 1), 0);
    assert_int_equal(m->read(&u, ~0ull, 1), 0);
    assert_int_equal(nsent, 0);
    /* Odd sizes ignored; 2, 4, 8 act on the register with the low byte. */
    m->write(&u, 0, 3, 'x');
    m->write(&u, 0, 0, 'x');
    assert_int_equal(nsent, 0);
    m->write(&u, 0, 4, 0x12345641);
    m->write(&u, 0, 8, ~0ull << 8 | 'B');
    m->write(&u, 0, 2, 0x4343);
    assert_int_equal(nsent, 3);
    assert_memory_equal(sent, "ABC", 3);
    assert_int_equal(m->read(&u, NS16550_SCR, 4), 0x77);
    assert_int_equal(m->read(&u, NS16550_SCR, 5), 0);
    /* LSR and MSR ignore writes. */
    wr(NS16550_LSR, 0);
    wr(NS16550_MSR, 0);
    assert_int_equal(rd(NS16550_LSR), 0x60);
    assert_int_equal(rd(NS16550_MSR), 0xb0);
    /* A flood over every offset and value keeps the model consistent. */
    for (unsigned v = 0; v < 256; v++) {
        for (uint64_t off = 0; off < 8; off++) {
            m->write(&u, off, 1, v);
            (void)m->read(&u, off, 1);
        }
    }
    assert_true(u.rx.count <= NS16550_FIFO_DEPTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_values, setup),
        cmocka_unit_test_setup(test_byte_writes_without_setup, setup),
        cmocka_unit_test_setup(test_divisor_latch_and_scratch, setup),
        cmocka_unit_test_setup(test_fifo_and_iir_bits, setup),
        cmocka_unit_test_setup(test_rx_interrupts, setup),
        cmocka_unit_test_setup(test_thre_interrupt, setup),
        cmocka_unit_test_setup(test_priorities, setup),
        cmocka_unit_test_setup(test_loopback_msr, setup),
        cmocka_unit_test_setup(test_misuse, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

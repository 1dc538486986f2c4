/* SPDX-License-Identifier: MIT */
/* drivers/uart/pl011.c, register by register, as Linux's amba-pl011 driver uses it. */
#include "unit.h"

#include "pl011.h"
#include "uart_env.h"

static struct pl011 u;
static const struct uart_model *m = &uart_pl011_model;

static int setup(void **state)
{
    (void)state;
    uart_env_reset(m, &u);
    return 0;
}

static uint32_t rd(uint64_t off)
{
    return (uint32_t)m->read(&u, off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
    m->write(&u, off, 4, v);
}

static void test_ids(void **state)
{
    static const uint8_t periph[4] = {0x11, 0x10, 0x14, 0x00};
    static const uint8_t pcell[4] = {0x0d, 0xf0, 0x05, 0xb1};

    (void)state;
    assert_string_equal(m->name, "pl011");
    assert_int_equal(m->size, 0x1000);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(rd(PL011_PERIPH + 4 * i), periph[i]);
        assert_int_equal(rd(PL011_PCELL + 4 * i), pcell[i]);
        /* Read-only: a write changes nothing. */
        wr(PL011_PERIPH + 4 * i, 0xff);
        assert_int_equal(rd(PL011_PERIPH + 4 * i), periph[i]);
    }
    /* The AMBA bus's view: the id composed from the four bytes (amba_device id). */
    assert_int_equal(rd(0xfe0) | rd(0xfe4) << 8 | rd(0xfe8) << 16 | rd(0xfec) << 24, 0x00141011);
    assert_int_equal(rd(0xff0) | rd(0xff4) << 8 | rd(0xff8) << 16 | rd(0xffc) << 24, 0xb105f00d);
}

static void test_reset_values(void **state)
{
    (void)state;
    assert_int_equal(rd(PL011_CR), 0x300);
    assert_int_equal(rd(PL011_IFLS), 0x12);
    assert_int_equal(rd(PL011_FR), PL011_FR_TXFE | PL011_FR_RXFE);
    assert_int_equal(rd(PL011_IMSC), 0);
    assert_int_equal(rd(PL011_RIS), PL011_INT_TX);
    assert_int_equal(rd(PL011_MIS), 0);
    assert_int_equal(rd(PL011_RSR), 0);
    assert_int_equal(rd(PL011_DMACR), 0);
    assert_false(m->irq(&u));
}

static void test_byte_writes_without_setup(void **state)
{
    const char *msg = "hello\n";

    (void)state;
    /* A small kernel: byte stores at offset 0, no set-up, no polling. */
    for (const char *p = msg; *p; p++) {
        m->write(&u, 0, 1, (uint8_t)*p);
    }
    assert_int_equal(nsent, 6);
    assert_memory_equal(sent, msg, 6);
    /* The FIFO is empty again after every byte: never busy, never full. */
    assert_int_equal(rd(PL011_FR) & (PL011_FR_BUSY | PL011_FR_TXFF | PL011_FR_TXFE), PL011_FR_TXFE);
}

static void test_baud_and_line_registers(void **state)
{
    (void)state;
    wr(PL011_IBRD, 0x12345);
    assert_int_equal(rd(PL011_IBRD), 0x2345);
    wr(PL011_FBRD, 0xff);
    assert_int_equal(rd(PL011_FBRD), 0x3f);
    wr(PL011_LCR_H, 0x170);
    assert_int_equal(rd(PL011_LCR_H), 0x70);
    wr(PL011_ILPR, 0x1ff);
    assert_int_equal(rd(PL011_ILPR), 0xff);
    wr(PL011_CR, 0xffff);
    assert_int_equal(rd(PL011_CR), 0xff87);
    wr(PL011_IFLS, 0xff);
    assert_int_equal(rd(PL011_IFLS), 0x3f);
    wr(PL011_DMACR, 0xff);
    assert_int_equal(rd(PL011_DMACR), 7);
    wr(PL011_IMSC, 0xffff);
    assert_int_equal(rd(PL011_IMSC), 0x7ff);
}

static void enable(uint32_t lcr_h)
{
    wr(PL011_LCR_H, lcr_h);
    wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
}

static void test_rx_fifo_and_flags(void **state)
{
    (void)state;
    /* Disabled receiver: input is refused (kept by the stub), not lost. */
    wr(PL011_CR, 0);
    assert_false(m->rx(&u, 'x'));
    enable(PL011_LCRH_FEN | 0x60);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++) {
        assert_true(m->rx(&u, (uint8_t)('a' + i)));
    }
    assert_int_equal(rd(PL011_FR) & (PL011_FR_RXFF | PL011_FR_RXFE), PL011_FR_RXFF);
    assert_false(m->rx(&u, '!'));       /* full: refused */
    assert_int_equal(rd(PL011_RSR), 0); /* and no overrun: nothing was lost */
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++) {
        assert_int_equal(rd(PL011_DR), 'a' + i);
    }
    assert_int_equal(rd(PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
    assert_int_equal(rd(PL011_DR), 0); /* empty FIFO reads 0 */
    /* Without FEN the FIFO is one character deep. */
    enable(0x60);
    assert_true(m->rx(&u, '1'));
    assert_false(m->rx(&u, '2'));
    assert_int_equal(rd(PL011_FR) & PL011_FR_RXFF, PL011_FR_RXFF);
}

static void test_rx_interrupt_levels(void **state)
{
    (void)state;
    enable(PL011_LCRH_FEN);
    wr(PL011_ICR, PL011_INT_ALL);
    wr(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
    wr(PL011_IFLS, 0 << 3); /* RX at 1/8: 2 bytes */
    assert_true(m->rx(&u, 'a'));
    assert_int_equal(rd(PL011_RIS) & PL011_INT_RX, 0);
    assert_false(m->irq(&u));
    /* Below the level: only the receive timeout reports the byte. */
    m->rx_idle(&u);
    assert_int_equal(rd(PL011_MIS), PL011_INT_RT);
    assert_true(m->irq(&u));
    assert_true(m->rx(&u, 'b'));
    assert_int_equal(rd(PL011_MIS), PL011_INT_RX | PL011_INT_RT);
    /* Reading below the level drops RX; emptying the FIFO drops RT. */
    assert_int_equal(rd(PL011_DR), 'a');
    assert_int_equal(rd(PL011_MIS), PL011_INT_RT);
    assert_int_equal(rd(PL011_DR), 'b');
    assert_int_equal(rd(PL011_MIS), 0);
    assert_false(m->irq(&u));
    /* ICR clears RT while data waits. */
    assert_true(m->rx(&u, 'c'));
    m->rx_idle(&u);
    assert_true(m->irq(&u));
    wr(PL011_ICR, PL011_INT_RT);
    assert_false(m->irq(&u));
    /* 7/8: 14 bytes. */
    wr(PL011_IFLS, 4 << 3);
    for (unsigned i = 1; i < 12; i++) {
        assert_true(m->rx(&u, 'x'));
    }
    assert_int_equal(rd(PL011_RIS) & PL011_INT_RX, 0);
    assert_true(m->rx(&u, 'y'));
    assert_int_equal(rd(PL011_RIS) & PL011_INT_RX, 0);
    assert_true(m->rx(&u, 'z'));
    assert_int_equal(rd(PL011_RIS) & PL011_INT_RX, PL011_INT_RX);
}

static void test_tx_interrupt(void **state)
{
    (void)state;
    enable(PL011_LCRH_FEN);
    /* As amba-pl011's startup: clear everything, then unmask TX when it has data. */
    wr(PL011_ICR, PL011_INT_ALL);
    assert_int_equal(rd(PL011_RIS) & PL011_INT_TX, 0);
    wr(PL011_IMSC, PL011_INT_TX);
    assert_false(m->irq(&u));
    wr(PL011_DR, 'A');
    assert_int_equal(rd(PL011_MIS), PL011_INT_TX);
    assert_true(m->irq(&u));
    wr(PL011_ICR, PL011_INT_TX);
    assert_false(m->irq(&u));
    wr(PL011_DR, 'B');
    assert_true(m->irq(&u));
    wr(PL011_IMSC, 0);
    assert_false(m->irq(&u));
    assert_int_equal(rd(PL011_RIS) & PL011_INT_TX, PL011_INT_TX);
    assert_int_equal(nsent, 2);
}

static void test_loopback_and_overrun(void **state)
{
    (void)state;
    wr(PL011_LCR_H, 0); /* one-character FIFO */
    wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE | PL011_CR_LBE);
    wr(PL011_DR, 'L');
    assert_int_equal(nsent, 0); /* looped back, not sent */
    wr(PL011_DR, 'M');          /* overruns */
    assert_int_equal(rd(PL011_RSR) & 8, 8);
    assert_int_equal(rd(PL011_RIS) & PL011_INT_OE, PL011_INT_OE);
    assert_int_equal(rd(PL011_DR), 'L');
    wr(PL011_RSR, 0); /* ECR */
    assert_int_equal(rd(PL011_RSR), 0);
    wr(PL011_ICR, PL011_INT_OE);
    assert_int_equal(rd(PL011_RIS) & PL011_INT_OE, 0);
}

static void test_misuse(void **state)
{
    (void)state;
    wr(PL011_IMSC, PL011_INT_TX);
    /* Unknown and reserved offsets read 0, writes do nothing. */
    static const uint64_t holes[] = {0x008, 0x00c, 0x010, 0x014,  0x01c,  0x04c,
                                     0x080, 0x400, 0xfdc, 0x1000, 0x2000, ~0ull};
    for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
        wr(holes[i], 0xffffffff);
        assert_int_equal(m->read(&u, holes[i], 4), 0);
    }
    assert_int_equal(rd(PL011_IMSC), PL011_INT_TX);
    /* Read-only registers ignore writes. */
    wr(PL011_FR, 0);
    wr(PL011_RIS, 0);
    wr(PL011_MIS, 0);
    assert_int_equal(rd(PL011_FR), PL011_FR_TXFE | PL011_FR_RXFE);
    assert_int_equal(rd(PL011_RIS), PL011_INT_TX);
    /* ICR reads 0. */
    assert_int_equal(rd(PL011_ICR), 0);
    /* Unaligned offsets: read 0, write nothing, send nothing. */
    m->write(&u, 1, 1, 'x');
    m->write(&u, PL011_IMSC + 2, 2, 0xffff);
    assert_int_equal(nsent, 0);
    assert_int_equal(m->read(&u, PL011_CR + 1, 1), 0);
    assert_int_equal(rd(PL011_IMSC), PL011_INT_TX);
    /* Odd sizes are ignored; 1, 2 and 8 bytes act on the register. */
    m->write(&u, 0, 3, 'x');
    m->write(&u, 0, 0, 'x');
    m->write(&u, 0, 16, 'x');
    assert_int_equal(nsent, 0);
    assert_int_equal(m->read(&u, PL011_CR, 3), 0);
    m->write(&u, 0, 2, 0x4142);
    m->write(&u, 0, 8, 0xffffffff00000043ull);
    assert_int_equal(nsent, 2);
    assert_int_equal(sent[0], 0x42);
    assert_int_equal(sent[1], 0x43);
    assert_int_equal(m->read(&u, PL011_CR, 8), 0x300);
    assert_int_equal(m->read(&u, PL011_PCELL + 12, 1), 0xb1);
    /* A flood of writes to every offset leaves the model consistent. */
    for (uint64_t off = 0; off < 0x1000; off++) {
        m->write(&u, off, 4, 0xdeadbeef);
        (void)m->read(&u, off, 4);
    }
    assert_int_equal(rd(PL011_PERIPH), 0x11);
    assert_true(u.rx.count <= PL011_FIFO_DEPTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ids, setup),
        cmocka_unit_test_setup(test_reset_values, setup),
        cmocka_unit_test_setup(test_byte_writes_without_setup, setup),
        cmocka_unit_test_setup(test_baud_and_line_registers, setup),
        cmocka_unit_test_setup(test_rx_fifo_and_flags, setup),
        cmocka_unit_test_setup(test_rx_interrupt_levels, setup),
        cmocka_unit_test_setup(test_tx_interrupt, setup),
        cmocka_unit_test_setup(test_loopback_and_overrun, setup),
        cmocka_unit_test_setup(test_misuse, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

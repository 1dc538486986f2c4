/* SPDX-License-Identifier: MIT */
/*
 * uart: a guest's console UART, served by its stub domain (drivers/stub). The UART is the
 * one /chosen/stdout-path names (bh-boot writes it: a PL011 on aarch64, an NS16550A on
 * riscv64). `test=uart how=raw|poll|irq|misuse lines=<n>`:
 *   raw     byte stores at offset 0, no set-up, no status polling (as small kernels do);
 *   poll    the driver's way: wait for room (PL011 FR.TXFF clear / NS16550 LSR.THRE),
 *           after checking the identification registers;
 *   irq     interrupt-driven: the transmit interrupt enabled (PL011 IMSC.TXIM, NS16550
 *           IER.THRI), each byte waits for it (WFI) and the handler acknowledges it
 *           (ICR / reading IIR), which the stub must see to lower the line;
 *   misuse  reads and writes of every offset of the window at every width, then a flood,
 *           then the UART must still print.
 * Every line it sends is "UART <how> <i> <pattern>"; the last is "UART END <how> <n>".
 * Checks go to the hypervisor console (PASS/FAIL lines) as usual.
 */
#include <libfdt.h>
#include <string.h>

#include "dom/dom.h"
#include "dom/irq.h"
#include "dom/test.h"
#include "fmt.h"
#include "testguest.h"

enum uart_kind { UART_NONE, UART_PL011, UART_NS16550 };

static enum uart_kind kind;
static unsigned uart_irq = DOM_IRQ_MAX; /* the runtime's number (dom/irq.h) */
static volatile uint8_t *base;
static uint64_t window;

static bool find_uart(void)
{
    const void *fdt = dom_info.fdt;
    int chosen = fdt_path_offset(fdt, "/chosen");
    const char *path = chosen < 0 ? NULL : fdt_getprop(fdt, chosen, "stdout-path", NULL);
    const fdt32_t *reg;
    int node, len;

    if (!path || (node = fdt_path_offset(fdt, path)) < 0) {
        return false;
    }
    if (!fdt_node_check_compatible(fdt, node, "arm,pl011")) {
        kind = UART_PL011;
    } else if (!fdt_node_check_compatible(fdt, node, "ns16550a")) {
        kind = UART_NS16550;
    } else {
        return false;
    }
    reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || len < 16) {
        return false;
    }
    /* aarch64: <GIC_SPI n flags> is INTID 32 + n = DOM_IRQ_DEV0 + n; riscv64: <source>. */
    {
        const fdt32_t *in = fdt_getprop(fdt, node, "interrupts", &len);

        if (in && len == 12) {
            uart_irq = DOM_IRQ_DEV0 + fdt32_to_cpu(in[1]);
        } else if (in && len == 4) {
            uart_irq = DOM_IRQ_DEV0 + fdt32_to_cpu(in[0]);
        }
    }
    base = (volatile uint8_t *)(uintptr_t)((uint64_t)fdt32_to_cpu(reg[0]) << 32 |
                                           fdt32_to_cpu(reg[1]));
    window = (uint64_t)fdt32_to_cpu(reg[2]) << 32 | fdt32_to_cpu(reg[3]);
    return true;
}

/*
 * MMIO through one plain load or store with a base register only, as Linux's readl /
 * writeb: the compiler would otherwise use post-indexed or paired forms that carry no
 * syndrome (ESR_EL2.ISV = 0) and cannot be forwarded to the stub (docs/vcpu-aarch64.md).
 */
#if defined(__aarch64__)
#define MMIO_LD(insn, reg)                                                                         \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile(insn " %" reg "0, [%1]" : "=r"(v_) : "r"(addr) : "memory");               \
        v_;                                                                                        \
    })
#define MMIO_ST(insn, reg, val)                                                                    \
    __asm__ volatile(insn " %" reg "0, [%1]" ::"r"((uint64_t)(val)), "r"(addr) : "memory")
#define LD8     MMIO_LD("ldrb", "w")
#define LD16    MMIO_LD("ldrh", "w")
#define LD32    MMIO_LD("ldr", "w")
#define LD64    MMIO_LD("ldr", "x")
#define ST8(v)  MMIO_ST("strb", "w", v)
#define ST32(v) MMIO_ST("str", "w", v)
#define ST64(v) MMIO_ST("str", "x", v)
#else
#define MMIO_LD(insn)                                                                              \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile(insn " %0, 0(%1)" : "=r"(v_) : "r"(addr) : "memory");                     \
        v_;                                                                                        \
    })
#define MMIO_ST(insn, val)                                                                         \
    __asm__ volatile(insn " %0, 0(%1)" ::"r"((uint64_t)(val)), "r"(addr) : "memory")
#define LD8     MMIO_LD("lbu")
#define LD16    MMIO_LD("lhu")
#define LD32    MMIO_LD("lwu")
#define LD64    MMIO_LD("ld")
#define ST8(v)  MMIO_ST("sb", v)
#define ST32(v) MMIO_ST("sw", v)
#define ST64(v) MMIO_ST("sd", v)
#endif

static uint64_t mmio_read(uint64_t off, unsigned size)
{
    volatile void *addr = base + off;

    switch (size) {
    case 1:
        return LD8;
    case 2:
        return LD16;
    case 4:
        return LD32;
    default:
        return LD64;
    }
}

static void mmio_write(uint64_t off, unsigned size, uint64_t val)
{
    volatile void *addr = base + off;

    if (size == 1) {
        ST8(val);
    } else if (size == 4) {
        ST32(val);
    } else {
        ST64(val);
    }
}

static uint32_t rd32(uint64_t off)
{
    return (uint32_t)mmio_read(off, 4);
}

static uint8_t rd8(uint64_t off)
{
    return (uint8_t)mmio_read(off, 1);
}

static void wr8(uint64_t off, uint8_t v)
{
    mmio_write(off, 1, v);
}

static void putc_raw(char c)
{
    wr8(0, (uint8_t)c);
}

static void putc_poll(char c)
{
    unsigned spins = 0;

    if (kind == UART_PL011) {
        while ((rd32(0x18) & (1u << 5)) && spins++ < 1000000) { /* FR.TXFF */
        }
        wr8(0, (uint8_t)c);
    } else {
        while (!(rd8(5) & 0x20) && spins++ < 1000000) { /* LSR.THRE */
        }
        wr8(0, (uint8_t)c);
    }
}

static void send_line(void (*put)(char), const char *how, unsigned i)
{
    char buf[96];
    int n =
        fmt_snprintf(buf, sizeof(buf), "UART %s %u abcdefghijklmnopqrstuvwxyz0123456789\n", how, i);

    for (int k = 0; k < n; k++) {
        put(buf[k]);
    }
}

static void check_ids(void)
{
    if (kind == UART_PL011) {
        uint32_t periph = 0, pcell = 0;

        for (unsigned i = 0; i < 4; i++) {
            periph |= (rd32(0xfe0 + 4 * i) & 0xff) << (8 * i);
            pcell |= (rd32(0xff0 + 4 * i) & 0xff) << (8 * i);
        }
        test_check((periph & 0x000fffff) == 0x00041011, "uart-pl011-periphid", "0x%x", periph);
        test_check(pcell == 0xb105f00d, "uart-pl011-pcellid", "0x%x", pcell);
        test_check((rd32(0x18) & 0x90) == 0x90, "uart-pl011-fr-empty", "FR 0x%x", rd32(0x18));
    } else {
        wr8(7, 0x5a);
        test_check(rd8(7) == 0x5a, "uart-ns16550-scratch", "SCR 0x%x", rd8(7));
        wr8(2, 0x07); /* FIFOs on, cleared */
        test_check((rd8(2) & 0xc0) == 0xc0, "uart-ns16550-fifo-bits", "IIR 0x%x", rd8(2));
        test_check((rd8(5) & 0x60) == 0x60, "uart-ns16550-lsr-empty", "LSR 0x%x", rd8(5));
    }
}

static void misuse(void)
{
    uint64_t zeros = 0;

    for (uint64_t off = 0; off < window; off += 4) {
        (void)mmio_read(off, 4);
        (void)mmio_read(off + 1, 1);
        (void)mmio_read(off + 2, 2);
        (void)mmio_read(off & ~7ull, 8);
    }
    /* Unknown offsets read 0 (PL011: 0x400; NS16550: 0x80). */
    zeros = kind == UART_PL011 ? rd32(0x400) : rd8(0x80);
    test_check(zeros == 0, "uart-misuse-unknown-reads-0", "0x%lx", zeros);
    /* Writes of every width where nothing lives. */
    for (uint64_t off = kind == UART_PL011 ? 0x100 : 0x10; off < window; off += 8) {
        mmio_write(off, 8, ~0ull);
        mmio_write(off + 3, 1, 0xff);
    }
    /* A flood of status reads. */
    for (unsigned i = 0; i < 20000; i++) {
        (void)(kind == UART_PL011 ? rd32(0x18) : rd8(5));
    }
    test_pass("uart-misuse-survived");
}

/* ---- how=irq: interrupt-driven transmission, as Linux's drivers do it ---- */

static volatile unsigned irqs;

static void on_uart_irq(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    irqs++;
    if (kind == UART_PL011) {
        mmio_write(0x44, 4, 0x7ff); /* ICR: all */
    } else {
        (void)rd8(2); /* reading IIR clears THR empty */
    }
}

static void on_timer(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
}

/* Wait (WFI, interrupts masked around the check) for the count to pass @seen. */
static bool wait_irq(unsigned seen)
{
    /* Generous: the stub may hold the byte while its console sink is full or changing
     * (dom0-lite gone), and a loaded TCG host stalls vCPUs for a while. */
    uint64_t deadline = dom_arch_counter() + dom_info.timer_hz * 2; /* 2 s */

    dom_irq_local_disable();
    dom_irq_timer_set(deadline);
    while (irqs == seen && dom_arch_counter() < deadline) {
        dom_irq_wait();
        dom_irq_local_enable();
        dom_irq_local_disable();
    }
    dom_irq_timer_stop();
    return irqs != seen;
}

static bool irq_setup(void)
{
    if (uart_irq >= DOM_IRQ_MAX || dom_irq_cpu_init()) {
        return false;
    }
    dom_irq_local_disable();
    dom_irq_register(uart_irq, on_uart_irq, NULL);
    dom_irq_register(DOM_IRQ_TIMER, on_timer, NULL);
    dom_irq_enable(uart_irq);
    dom_irq_enable(DOM_IRQ_TIMER);
    /* Transmit interrupt on: the empty FIFO raises it at once (THRE / TXRIS). */
    if (kind == UART_PL011) {
        mmio_write(0x38, 4, 1u << 5); /* IMSC.TXIM */
    } else {
        wr8(1, 0x02); /* IER.THRI */
    }
    return wait_irq(0);
}

static bool lost_irq;

/* Send @c and wait for the transmit interrupt that says there is room again. */
static void putc_irq(char c)
{
    unsigned seen = irqs;

    if (lost_irq) {
        return;
    }
    wr8(0, (uint8_t)c);
    if (!wait_irq(seen)) {
        lost_irq = true;
    }
}

/* ---- how=echo: the receive side, fed by the stub from the board console's input ---- */

static bool rx_ready(void)
{
    return kind == UART_PL011 ? !(rd32(0x18) & (1u << 4)) : (rd8(5) & 0x01);
}

/* @a and @b and a newline through the UART (polling), as the line modes send theirs. */
static void uart_say(const char *a, const char *b)
{
    for (; *a; a++) {
        putc_poll(*a);
    }
    for (; *b; b++) {
        putc_poll(*b);
    }
    putc_poll('\r');
    putc_poll('\n');
}

static int echo(void)
{
    char line[128];
    unsigned n = 0;
    uint64_t end = dom_now_ns() + dom_arg_u64("ms", 30000) * 1000000ull;

    if (kind == UART_PL011) {
        mmio_write(0x2c, 4, 0x70);  /* LCR_H: 8 bits, FIFOs on */
        mmio_write(0x30, 4, 0x301); /* CR: UARTEN, TXE, RXE */
    } else {
        wr8(2, 0x07); /* FCR: FIFOs on, cleared */
    }
    dom_printf("ECHO ready\n");
    uart_say("UART echo ready", ""); /* on the UART too: a console client sees them */
    while (dom_now_ns() < end) {
        char c;

        if (!rx_ready()) {
            dom_sleep_ms(1);
            continue;
        }
        c = (char)rd8(0);
        if (c == '\r' || c == '\n') {
            line[n] = '\0';
            dom_printf("ECHO got: %s\n", line);
            uart_say("UART echo got: ", line);
            test_pass("uart-echo-line");
            test_done();
            return 0;
        }
        if (n < sizeof(line) - 1) {
            line[n++] = c;
        }
    }
    test_fail("uart-echo-line", "no line in time (%u bytes)", n);
    test_done();
    return 0;
}

int mode_uart(void)
{
    char how[16] = "raw";
    uint64_t lines = dom_arg_u64("lines", 20);
    void (*put)(char);
    uint64_t t0;

    /* When this guest got its CPU: with a stub, only after the stub enabled its server
     * (tests/bench/stub_bench.py compares runs with and without one). */
    dom_printf("INFO uart: started at %lu us\n", dom_now_ns() / 1000);
    dom_arg("how", how, sizeof(how));
    if (!test_check(find_uart(), "uart-found", "no PL011 / NS16550A at /chosen/stdout-path")) {
        test_done();
        return 0;
    }
    dom_printf("INFO uart: %s at 0x%lx+0x%lx, how=%s lines=%lu\n",
               kind == UART_PL011 ? "pl011" : "ns16550", (uint64_t)(uintptr_t)base, window, how,
               lines);
    if (!strcmp(how, "echo")) {
        return echo();
    }
    put = strcmp(how, "raw") ? putc_poll : putc_raw;
    if (!strcmp(how, "irq")) {
        put = putc_irq;
        if (!test_check(irq_setup(), "uart-irq-on-enable", "no interrupt %u after enabling TX's",
                        uart_irq)) {
            test_done();
            return 0;
        }
    } else if (!strcmp(how, "poll")) {
        check_ids();
    } else if (!strcmp(how, "misuse")) {
        misuse();
    }
    t0 = dom_now_ns();
    for (unsigned i = 1; i <= lines; i++) {
        send_line(put, how, i);
    }
    {
        const char *end = "UART END ";

        for (const char *p = end; *p; p++) {
            put(*p);
        }
        for (const char *p = how; *p; p++) {
            put(*p);
        }
        put('\n');
    }
    dom_printf("INFO uart: %lu lines in %lu us\n", lines, (dom_now_ns() - t0) / 1000);
    if (!strcmp(how, "irq")) {
        test_check(!lost_irq, "uart-irq-per-byte", "a byte's transmit interrupt never came");
        dom_printf("INFO uart: %u interrupts\n", irqs);
        if (kind == UART_PL011) {
            mmio_write(0x38, 4, 0);
        } else {
            wr8(1, 0);
        }
    }
    test_pass("uart-wrote");
    test_done();
    return 0;
}

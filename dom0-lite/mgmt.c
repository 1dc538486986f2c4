/* SPDX-License-Identifier: MIT */
/*
 * The management channel's driver (mgmt.h): QEMU's `pci-serial`, a 16550 behind PCI
 * (vendor 0x1b36, device 0x0002, BAR 0 an 8-byte I/O range, INTx), passed through to
 * dom0-lite by the hypervisor. Its device tree node (bh-boot, toolstack/bhboot/mgmt.py):
 *
 *   reg              <the function's ECAM config page>, <the I/O window page of BAR 0>
 *   interrupts       its INTx line, as the host's interrupt-map names it
 *   bulkhead,io-port the I/O port to place BAR 0 at (inside that page)
 *
 * No firmware enumerated the bus: we place BAR 0 and turn I/O decoding on. The UART runs
 * with its FIFOs (receive trigger at 8 bytes; QEMU's timeout interrupt takes the tail),
 * the received-data interrupt, and the transmit-empty interrupt while bytes wait to go.
 * The interrupt handler moves received bytes into a ring, refills the transmit FIFO
 * from another, and signals a loopback event channel, so the program's event loop is
 * told on mgmt_port(). Interrupts are taken only in the loop's wait (dom_evtchn_wait),
 * never while the loop runs, so the rings and IER need no lock: the handler and the
 * loop never overlap on dom0-lite's one vCPU.
 */
#include <string.h>

#include <libfdt.h>

#include "dom/dom.h"
#include "dom/event.h"
#include "dom/irq.h"
#include "fmt.h"
#include "mgmt.h"

#include <xen/errno.h>
#include <xen/xen.h>

#define COMPAT "bulkhead,mgmt-pci-serial"

/* PCI configuration space (PCI Local Bus 3.0, 6.1) and QEMU's ids for pci-serial. */
#define PCI_ID         0x00
#define PCI_COMMAND    0x04
#define PCI_BAR0       0x10
#define PCI_CMD_IO     (1u << 0)
#define PCI_CMD_NO_INT (1u << 10)
#define PCI_SERIAL_ID  0x00021b36u /* device 0x0002, vendor 0x1b36 (Red Hat, QEMU) */

/* 16550 registers (byte offsets from BAR 0) and bits. */
#define UART_RBR    0 /* read; THR on write; DLL with LCR.DLAB */
#define UART_IER    1 /* DLM with LCR.DLAB */
#define UART_FCR    2 /* IIR on read */
#define UART_IIR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define IER_RDI     0x01
#define IER_THRI    0x02
#define IIR_NONE    0x01 /* no interrupt pending */
#define ISR_ROUNDS  16
#define FCR_ENABLE  0x01
#define FCR_CLEAR   0x06 /* both FIFOs */
#define FCR_TRIG_8  0x80 /* receive interrupt at 8 bytes */
#define LCR_DLAB    0x80
#define LCR_8N1     0x03
#define MCR_DTR_RTS 0x03
#define MCR_OUT2    0x08 /* gates the interrupt line on PC-style boards */
#define LSR_DR      0x01
#define LSR_THRE    0x20
#define TX_FIFO     16

#define RX_RING 8192u /* powers of two */
#define TX_RING 16384u
/* mgmt_serve: the most a reply can add beyond the line it answers (`stats`), and the
 * most bytes of reply one byte of input can cause (an empty line's error). */
#define REPLY_EXTRA    160u
#define REPLY_PER_BYTE 24u

static struct {
    volatile uint8_t *regs;   /* BAR 0 through the I/O window page */
    unsigned irq;             /* dom/irq.h number */
    uint32_t port, send_port; /* the loop's end of the loopback channel, and the ISR's */
    uint8_t ier;              /* what IER holds */
    uint8_t rx[RX_RING];
    uint32_t rx_head, rx_tail; /* head: the ISR's, tail: the loop's; free-running */
    bool rx_stopped;           /* the ring filled: the ISR turned the receive interrupt off */
    uint8_t tx[TX_RING];
    uint32_t tx_head, tx_tail; /* head: mgmt_write's, tail: tx_pump's */
    bool tx_wait;              /* the loop waits for room: the ISR tells it at half empty */
    struct mgmt_stats stats;
    /* mgmt_serve's line assembly */
    char line[MGMT_LINE_MAX + 1];
    size_t len;
    bool too_long;
    bool hold; /* `hold`: read nothing until the ring is full */
} ch;

static uint8_t rd(unsigned r)
{
    return ch.regs[r];
}

static void wr(unsigned r, uint8_t v)
{
    ch.regs[r] = v;
}

static void set_ier(uint8_t v)
{
    if (v != ch.ier) {
        ch.ier = v;
        wr(UART_IER, v);
    }
}

/* The two reg entries, the interrupt and the BAR's port of node @node. */
static int read_node(const void *fdt, int node, uint64_t *ecam, uint64_t *io, uint32_t *port)
{
    int len = 0;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    const fdt32_t *irq;
    const fdt32_t *p = fdt_getprop(fdt, node, "bulkhead,io-port", NULL);

    /* The root's 2 address and 2 size cells (the guest tree's spec). */
    if (!reg || len != 32 || !p) {
        return -XEN_EINVAL;
    }
    *ecam = (uint64_t)fdt32_to_cpu(reg[0]) << 32 | fdt32_to_cpu(reg[1]);
    *io = (uint64_t)fdt32_to_cpu(reg[4]) << 32 | fdt32_to_cpu(reg[5]);
    *port = fdt32_to_cpu(*p);
    irq = fdt_getprop(fdt, node, "interrupts", &len);
    /* GIC <0 spi flags>: DOM_IRQ_DEV0 + spi; PLIC <source>: DOM_IRQ_DEV0 + source. */
    if (!irq || (len != 12 && len != 4)) {
        return -XEN_EINVAL;
    }
    ch.irq = DOM_IRQ_DEV0 + fdt32_to_cpu(irq[len == 12 ? 1 : 0]);
    if (ch.irq >= DOM_IRQ_MAX || (*io & 0xfff) || (*port & 0xfff) > 0xff8) {
        return -XEN_EINVAL;
    }
    return 0;
}

/* Either context (never both at once): when the transmit FIFO is empty, refill it from
 * the ring; the transmit interrupt is on exactly while bytes wait in the ring. */
static void tx_pump(void)
{
    if (ch.tx_head != ch.tx_tail && (rd(UART_LSR) & LSR_THRE)) {
        for (unsigned k = 0; k < TX_FIFO && ch.tx_tail != ch.tx_head; k++) {
            wr(UART_RBR, ch.tx[ch.tx_tail++ % TX_RING]);
        }
    }
    set_ier((uint8_t)((ch.ier & ~IER_THRI) | (ch.tx_head != ch.tx_tail ? IER_THRI : 0)));
}

/* Received bytes into the ring while it has room; true if any came (or it filled). */
static bool rx_drain(void)
{
    bool got = false;

    while (!ch.rx_stopped && (rd(UART_LSR) & LSR_DR)) {
        if (ch.rx_head - ch.rx_tail == RX_RING) {
            /* Full: stop the interrupt; QEMU keeps the rest on the socket until
             * mgmt_read makes room. */
            set_ier(ch.ier & ~IER_RDI);
            ch.rx_stopped = true;
            ch.stats.stops++;
            return true;
        }
        ch.rx[ch.rx_head++ % RX_RING] = rd(UART_RBR);
        got = true;
    }
    return got;
}

/* In interrupt context: take what the receive FIFO holds and keep the transmitter
 * going, until the device asserts nothing (IIR), so its line is low when the handler
 * returns: QEMU 7.2's PLIC forwards a source again only on a change of the line, not
 * when it is still high at completion (PLIC spec 3.9 says it should), and the PCI INTx
 * path reports no change while the line stays high. If the device keeps it asserted
 * for ISR_ROUNDS rounds (a steady stream), IER off and on again makes a fresh edge. */
static void isr(unsigned irq, void *ctx)
{
    bool wake = false;

    (void)irq;
    (void)ctx;
    ch.stats.irqs++;
    for (unsigned round = 0;; round++) {
        wake |= rx_drain();
        tx_pump();
        if (rd(UART_IIR) & IIR_NONE) {
            break;
        }
        if (round == ISR_ROUNDS) {
            wr(UART_IER, 0);
            wr(UART_IER, ch.ier);
            break;
        }
    }
    if (ch.tx_wait && TX_RING - (ch.tx_head - ch.tx_tail) >= TX_RING / 2) {
        ch.tx_wait = false;
        wake = true;
    }
    if (wake) {
        dom_evtchn_notify(ch.send_port);
    }
}

static int setup_pci(uint64_t ecam, uint64_t io, uint32_t port)
{
    volatile uint32_t *cfg = (volatile uint32_t *)(uintptr_t)ecam;
    uint32_t id = cfg[PCI_ID / 4];

    if (id != PCI_SERIAL_ID) {
        dom_printf("dom0-lite: management channel: PCI id 0x%08x at 0x%lx, not QEMU's "
                   "pci-serial (0x%08x)\n",
                   id, (unsigned long)ecam, PCI_SERIAL_ID);
        return -XEN_ENODEV;
    }
    cfg[PCI_BAR0 / 4] = port;
    cfg[PCI_COMMAND / 4] = (cfg[PCI_COMMAND / 4] | PCI_CMD_IO) & ~PCI_CMD_NO_INT;
    ch.regs = (volatile uint8_t *)(uintptr_t)(io + (port & 0xfff));
    return 0;
}

static void setup_uart(void)
{
    wr(UART_IER, 0);
    wr(UART_LCR, LCR_DLAB);
    wr(UART_RBR, 1); /* divisor 1: the fastest line, so QEMU's timeout comes soonest */
    wr(UART_IER, 0);
    wr(UART_LCR, LCR_8N1);
    wr(UART_FCR, FCR_ENABLE | FCR_CLEAR | FCR_TRIG_8);
    wr(UART_MCR, MCR_DTR_RTS | MCR_OUT2);
    while (rd(UART_LSR) & LSR_DR) {
        (void)rd(UART_RBR);
    }
    ch.ier = 0;
}

int mgmt_init(void)
{
    const void *fdt = dom_info.fdt;
    int node = fdt_node_offset_by_compatible(fdt, -1, COMPAT);
    uint64_t ecam, io;
    uint32_t port;
    int rc;

    if (node < 0) {
        return -XEN_ENODEV;
    }
    if (read_node(fdt, node, &ecam, &io, &port)) {
        dom_printf("dom0-lite: management channel: its node's reg, interrupts or "
                   "bulkhead,io-port is malformed\n");
        return -XEN_EINVAL;
    }
    rc = setup_pci(ecam, io, port);
    if (rc) {
        return rc;
    }
    setup_uart();
    /* A loopback channel: the ISR sends on one end, the loop is told on the other. */
    rc = dom_evtchn_alloc_unbound(DOMID_SELF, &ch.port);
    if (!rc) {
        rc = dom_evtchn_bind_interdomain(DOMID_SELF, ch.port, &ch.send_port);
    }
    if (rc) {
        dom_printf("dom0-lite: management channel: no loopback event channel (%d)\n", rc);
        ch.port = 0;
        return rc;
    }
    dom_evtchn_take_device_irqs();
    dom_irq_register(ch.irq, isr, NULL);
    dom_irq_enable(ch.irq);
    set_ier(IER_RDI);
    return 0;
}

uint32_t mgmt_port(void)
{
    return ch.port;
}

size_t mgmt_read(void *buf, size_t max)
{
    uint8_t *out = buf;
    size_t n = 0;

    if (!ch.regs) {
        return 0;
    }
    for (; n < max && ch.rx_tail != ch.rx_head; n++) {
        out[n] = ch.rx[ch.rx_tail++ % RX_RING];
    }
    ch.stats.rx_bytes += n;
    if (ch.rx_stopped && ch.rx_head - ch.rx_tail <= RX_RING / 2) {
        ch.rx_stopped = false;
        set_ier(ch.ier | IER_RDI); /* what waited in the FIFO interrupts at once */
    }
    return n;
}

size_t mgmt_write_room(void)
{
    return ch.regs ? TX_RING - (ch.tx_head - ch.tx_tail) : 0;
}

size_t mgmt_write(const void *buf, size_t len)
{
    const uint8_t *in = buf;
    size_t n = 0, room = mgmt_write_room();

    for (; n < len && n < room; n++) {
        ch.tx[ch.tx_head++ % TX_RING] = in[n];
    }
    if (n < len && ch.regs) {
        ch.stats.tx_full++;
        ch.tx_wait = true; /* told on mgmt_port() when half the ring is free */
    }
    if (n) {
        ch.stats.tx_bytes += n;
        tx_pump();
    }
    return n;
}

size_t mgmt_write_all(const void *buf, size_t len)
{
    const uint8_t *in = buf;
    size_t n = mgmt_write(in, len);
    uint64_t since = dom_now_ns();
    uint32_t tail = ch.tx_tail;

    while (n < len && ch.regs && dom_now_ns() - since < MGMT_STALL_MS * 1000000ull) {
        tx_pump();
        if (ch.tx_tail != tail) {
            tail = ch.tx_tail;
            since = dom_now_ns();
        }
        n += mgmt_write(in + n, len - n);
    }
    return n;
}

bool mgmt_tx_has_room(void)
{
    if (!ch.regs || mgmt_write_room() >= TX_RING / 2) {
        return true;
    }
    ch.tx_wait = true;
    return false;
}

void mgmt_get_stats(struct mgmt_stats *s)
{
    *s = ch.stats;
}

static void reply(const char *s)
{
    mgmt_write(s, strlen(s));
}

/* One complete line of the built-in service. */
static void serve_line(const char *l, size_t len)
{
    char buf[REPLY_EXTRA];

    if (len == 4 && !memcmp(l, "ping", 4)) {
        reply("pong\n");
    } else if (len >= 5 && !memcmp(l, "echo ", 5)) {
        mgmt_write(l + 5, len - 5);
        reply("\n");
    } else if (len == 5 && !memcmp(l, "stats", 5)) {
        fmt_snprintf(buf, sizeof(buf), "rx %lu tx %lu irqs %lu stops %lu full %lu\n",
                     (unsigned long)ch.stats.rx_bytes, (unsigned long)ch.stats.tx_bytes,
                     (unsigned long)ch.stats.irqs, (unsigned long)ch.stats.stops,
                     (unsigned long)ch.stats.tx_full);
        reply(buf);
    } else if (len == 4 && !memcmp(l, "hold", 4)) {
        ch.hold = true;
        reply("holding\n");
    } else {
        reply("error: unknown request\n");
    }
}

void mgmt_serve(void)
{
    char buf[256];
    size_t n;

    for (;;) {
        size_t room = mgmt_write_room(), chunk;

        if (ch.hold && !ch.rx_stopped) {
            return; /* the handler tells the loop again once the ring is full */
        }
        ch.hold = false;
        /* Read only what can be answered in full: a line's reply is at most the line
         * (MGMT_LINE_MAX) and REPLY_EXTRA, and each byte read may end a line. Without
         * room the input waits (and, its ring full, waits in QEMU): nothing is lost. */
        if (room < MGMT_LINE_MAX + REPLY_EXTRA + REPLY_PER_BYTE) {
            ch.stats.tx_full++;
            ch.tx_wait = true;
            return;
        }
        chunk = (room - MGMT_LINE_MAX - REPLY_EXTRA) / REPLY_PER_BYTE;
        n = mgmt_read(buf, chunk < sizeof(buf) ? chunk : sizeof(buf));
        if (!n) {
            return;
        }
        for (size_t i = 0; i < n; i++) {
            char c = buf[i];

            if (c == '\n') {
                if (ch.too_long) {
                    reply("error: line too long (max 4096 bytes)\n");
                } else {
                    if (ch.len && ch.line[ch.len - 1] == '\r') {
                        ch.len--;
                    }
                    serve_line(ch.line, ch.len);
                }
                ch.len = 0;
                ch.too_long = false;
            } else if (ch.len == MGMT_LINE_MAX) {
                ch.too_long = true;
            } else if (!ch.too_long) {
                ch.line[ch.len++] = c;
            }
        }
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * ioreq: a stub domain's device model and the guest it serves (docs/ioreq.md).
 *
 * `test=stub-echo target=<id>`: a tiny device model for its target at base= (default
 * 0x0a000000 on aarch64, 0x10001000 on riscv64), 4 KiB: ID register (0x00, reads
 * ECHO_ID), a 64-bit access counter (0x08), an interrupt register (0x10: writing 1
 * raises line irq= (GIC INTID, default 33 / PLIC source, default 11), 0 lowers it) and a
 * byte-addressed scratch memory (0x100-0x1ff) that keeps what any width writes. Other
 * offsets read 0. It serves until its target ends (the hypervisor then ends it);
 * crash-after=N makes it crash after N requests.
 * `test=mmio-client`: reads and writes that device at every width, checks sign
 * extension, the counter and the interrupt, then n= round trips between BENCH markers;
 * unclaimed=1 ends with a read of an address nobody claims (the guest takes the
 * architectural exception and its runtime crashes it).
 * `test=stub-hostile target=<id> victim=<id>`: a stub that tries what a stub must not
 * (issue 14 item 8) against a third domain and the hypervisor; each must be refused.
 */
#include <string.h>

#include "dom/dom.h"
#include "dom/hypercall.h"
#include "dom/irq.h"
#include "dom/test.h"
#include "testguest.h"

#include <xen/xen.h>

#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>
#include <xen/sched.h>

#define ECHO_ID      0xec40b0c5u
#define REG_ID       0x00
#define REG_COUNT    0x08
#define REG_IRQ      0x10
#define SCRATCH      0x100
#define SCRATCH_SIZE 0x100
#define DEV_SIZE     0x1000

#if defined(__aarch64__)
#define DEFAULT_BASE 0x0a000000ul
#define DEFAULT_IRQ  33u
#define WINDOW       0x100000000ul /* RAM base + max: the foreign window (docs/ioreq.md) */
#define DEV_IRQ(n)   (DOM_IRQ_DEV0 + (n)-32) /* GIC INTID -> runtime number */
#else
#define DEFAULT_BASE 0x10001000ul
#define DEFAULT_IRQ  11u
#define WINDOW       0x140000000ul
#define DEV_IRQ(n)   (DOM_IRQ_DEV0 + (n)) /* PLIC source -> runtime number */
#endif

#define BUFIOREQ_OFF    0  /* HVM_IOREQSRV_BUFIOREQ_OFF (xen/hvm/hvm_op.h, tools only) */
#define IOREQ_FLAGS_OFF 30 /* the byte of state:4 .. dir:1 in struct ioreq */

static volatile struct shared_info shinfo __attribute__((aligned(4096)));

static long dm_op(unsigned domid, struct xen_dm_op *op)
{
    struct xen_dm_op_buf buf = {.size = sizeof(*op)};

    set_xen_guest_handle(buf.h, op);
    return dom_hypercall(__HYPERVISOR_dm_op, domid, 1, (unsigned long)&buf, 0, 0);
}

static long ev(int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, arg);
}

static long map_shared_info(void)
{
    struct xen_add_to_physmap x = {.domid = DOMID_SELF,
                                   .space = XENMAPSPACE_shared_info,
                                   .gpfn = (uint64_t)(uintptr_t)&shinfo >> 12};

    return HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x);
}

static long acquire(unsigned domid, uint32_t id, uint64_t frame, uint64_t gfn)
{
    xen_pfn_t list[1] = {gfn};
    struct xen_mem_acquire_resource r = {.domid = (domid_t)domid,
                                         .type = XENMEM_resource_ioreq_server,
                                         .id = id,
                                         .nr_frames = 1,
                                         .frame = frame};

    set_xen_guest_handle(r.frame_list, list);
    return HYPERVISOR_memory_op(XENMEM_acquire_resource, &r);
}

static long foreign_map(unsigned domid, uint64_t gfn, uint64_t gpfn, int *err)
{
    xen_ulong_t idx = gfn;
    xen_pfn_t pfn = gpfn;
    struct xen_add_to_physmap_batch b = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = 1};

    b.u.foreign_domid = (domid_t)domid;
    set_xen_guest_handle(b.idxs, &idx);
    set_xen_guest_handle(b.gpfns, &pfn);
    set_xen_guest_handle(b.errs, err);
    return HYPERVISOR_memory_op(XENMEM_add_to_physmap_batch, &b);
}

/* ---- stub-echo ---- */

struct echo {
    uint64_t base;
    unsigned target, irq;
    uint64_t count;
    uint8_t scratch[SCRATCH_SIZE];
    volatile struct ioreq *slot;
    uint32_t port; /* our end of the target vCPU 0's ioreq channel */
};

static uint64_t echo_read(struct echo *e, uint64_t off, unsigned size)
{
    uint64_t v = 0;

    if (off == REG_ID) {
        return ECHO_ID;
    }
    if (off == REG_COUNT) {
        return e->count;
    }
    if (off >= SCRATCH && off + size <= SCRATCH + SCRATCH_SIZE) {
        for (unsigned i = 0; i < size; i++) {
            v |= (uint64_t)e->scratch[off - SCRATCH + i] << (8 * i);
        }
    }
    return v; /* offsets no register has read 0 */
}

static void echo_write(struct echo *e, uint64_t off, unsigned size, uint64_t v)
{
    if (off == REG_IRQ) {
        struct xen_dm_op op = {.op = XEN_DMOP_set_irq_level};

        op.u.set_irq_level.irq = e->irq;
        op.u.set_irq_level.level = v ? 1 : 0;
        if (dm_op(e->target, &op) != 0) {
            dom_printf("stub: set_irq_level failed\n");
        }
    } else if (off >= SCRATCH && off + size <= SCRATCH + SCRATCH_SIZE) {
        for (unsigned i = 0; i < size; i++) {
            e->scratch[off - SCRATCH + i] = (uint8_t)(v >> (8 * i));
        }
    }
}

/* Serve the slot if it holds a request. True if it did. */
static bool echo_serve(struct echo *e)
{
    volatile uint8_t *flags = (volatile uint8_t *)e->slot + IOREQ_FLAGS_OFF;
    uint8_t f = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
    struct evtchn_send s = {.port = e->port};
    uint64_t off, data = 0;
    unsigned size;

    if ((f & 0xf) != STATE_IOREQ_READY) {
        return false;
    }
    off = e->slot->addr - e->base;
    size = e->slot->size;
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        size = 0; /* malformed: answered, ignored */
    }
    e->count++;
    if ((f >> 5) & 1) {
        data = echo_read(e, off, size);
    } else {
        echo_write(e, off, size, e->slot->data);
    }
    e->slot->data = data;
    __atomic_store_n(flags, (uint8_t)STATE_IORESP_READY, __ATOMIC_RELEASE);
    ev(EVTCHNOP_send, &s);
    return true;
}

static bool port_pending(uint32_t port)
{
    return (__atomic_load_n(&shinfo.evtchn_pending[port / 64], __ATOMIC_ACQUIRE) >> (port % 64)) &
           1;
}

static void port_clear(uint32_t port)
{
    __atomic_fetch_and(&shinfo.evtchn_pending[port / 64], ~(1ull << (port % 64)), __ATOMIC_ACQ_REL);
}

#if defined(__aarch64__)
static void on_upcall(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    shinfo.vcpu_info[0].evtchn_upcall_pending = 0;
}
#endif

/* Wait for our port: aarch64 sleeps until the upcall (PPI 31); riscv64 has no upcall
 * interrupt yet (docs/abi-riscv.md) and yields between looks. */
static void wait_port(uint32_t port)
{
#if defined(__aarch64__)
    dom_irq_local_disable();
    if (!port_pending(port)) {
        dom_irq_wait();
    }
    dom_irq_local_enable();
#else
    while (!port_pending(port)) {
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
#endif
}

static struct echo echo;

static int setup_server(struct echo *e, uint16_t *id)
{
    struct xen_dm_op op = {.op = XEN_DMOP_create_ioreq_server};
    struct evtchn_bind_interdomain b = {.remote_dom = (domid_t)e->target};
    long rc;

    op.u.create_ioreq_server.handle_bufioreq = BUFIOREQ_OFF;
    rc = dm_op(e->target, &op);
    if (rc) {
        dom_printf("stub: create_ioreq_server: %ld\n", rc);
        return -1;
    }
    *id = op.u.create_ioreq_server.id;
    rc = acquire(e->target, *id, XENMEM_resource_ioreq_server_frame_ioreq(0), WINDOW >> 12);
    if (rc) {
        dom_printf("stub: acquire_resource: %ld\n", rc);
        return -1;
    }
    e->slot = &((volatile struct shared_iopage *)WINDOW)->vcpu_ioreq[0];
    b.remote_port = e->slot->vp_eport;
    rc = ev(EVTCHNOP_bind_interdomain, &b);
    if (rc) {
        dom_printf("stub: bind_interdomain to d%u port %u: %ld\n", e->target, b.remote_port, rc);
        return -1;
    }
    e->port = b.local_port;
    op = (struct xen_dm_op){.op = XEN_DMOP_map_io_range_to_ioreq_server};
    op.u.map_io_range_to_ioreq_server.id = *id;
    op.u.map_io_range_to_ioreq_server.type = XEN_DMOP_IO_RANGE_MEMORY;
    op.u.map_io_range_to_ioreq_server.start = e->base;
    op.u.map_io_range_to_ioreq_server.end = e->base + DEV_SIZE - 1;
    rc = dm_op(e->target, &op);
    if (rc) {
        dom_printf("stub: map_io_range: %ld\n", rc);
        return -1;
    }
    return 0;
}

static int enable_server(unsigned target, uint16_t id)
{
    struct xen_dm_op op = {.op = XEN_DMOP_set_ioreq_server_state};

    op.u.set_ioreq_server_state.id = id;
    op.u.set_ioreq_server_state.enabled = 1;
    return (int)dm_op(target, &op);
}

int mode_stub_echo(void)
{
    struct echo *e = &echo;
    uint64_t crash_after = dom_arg_u64("crash-after", 0);
    uint16_t id;

    e->target = (unsigned)dom_arg_u64("target", 0);
    e->base = dom_arg_u64("base", DEFAULT_BASE);
    e->irq = (unsigned)dom_arg_u64("irq", DEFAULT_IRQ);
    if (map_shared_info() != 0 || setup_server(e, &id) != 0) {
        dom_printf("stub: FAIL setting up the device model for d%u\n", e->target);
        return 1;
    }
#if defined(__aarch64__)
    dom_irq_cpu_init();
    dom_irq_register(DOM_IRQ_EVTCHN, on_upcall, NULL);
    dom_irq_enable(DOM_IRQ_EVTCHN);
#endif
    if (enable_server(e->target, id) != 0) {
        dom_printf("stub: set_ioreq_server_state failed\n");
        return 1;
    }
    dom_printf("stub: serving d%u at 0x%lx, irq %u\n", e->target, e->base, e->irq);
    for (;;) {
        wait_port(e->port);
        port_clear(e->port);
        while (echo_serve(e)) {
        }
        if (crash_after && e->count >= crash_after) {
            dom_printf("stub: crashing on purpose after %lu requests\n", e->count);
            dom_shutdown(SHUTDOWN_crash);
        }
    }
}

/* ---- mmio-client ---- */

static volatile unsigned irqs;
static uint64_t dev_base;

static volatile unsigned hold; /* deliveries to take before acknowledging */

static void on_dev_irq(unsigned irq, void *ctx)
{
    (void)irq;
    (void)ctx;
    irqs++;
    /* Acknowledge at the device (the line is level-sensitive), unless the test wants the
     * line left high: then the interrupt must come again after its EOI. */
    if (hold) {
        hold--;
    } else {
        *(volatile uint32_t *)(uintptr_t)(dev_base + REG_IRQ) = 0;
    }
}

static void client_widths(uint64_t b)
{
    volatile uint8_t *p8 = (volatile uint8_t *)(uintptr_t)(b + SCRATCH);
    volatile uint16_t *p16 = (volatile uint16_t *)(uintptr_t)(b + SCRATCH + 0x10);
    volatile uint32_t *p32 = (volatile uint32_t *)(uintptr_t)(b + SCRATCH + 0x20);
    volatile uint64_t *p64 = (volatile uint64_t *)(uintptr_t)(b + SCRATCH + 0x30);
    volatile int8_t *s8 = (volatile int8_t *)(uintptr_t)(b + SCRATCH + 0x40);
    volatile int16_t *s16 = (volatile int16_t *)(uintptr_t)(b + SCRATCH + 0x48);
    volatile int32_t *s32 = (volatile int32_t *)(uintptr_t)(b + SCRATCH + 0x50);
    uint32_t id = *(volatile uint32_t *)(uintptr_t)(b + REG_ID);
    int64_t v;

    test_check(id == ECHO_ID, "ioreq-read-id", "read 0x%x", id);
    *p8 = 0xa5;
    *p16 = 0xbeef;
    *p32 = 0xdeadbeef;
    *p64 = 0x0123456789abcdefull;
    test_check(*p8 == 0xa5, "ioreq-width-8", "read 0x%x", *p8);
    test_check(*p16 == 0xbeef, "ioreq-width-16", "read 0x%x", *p16);
    test_check(*p32 == 0xdeadbeef, "ioreq-width-32", "read 0x%x", *p32);
    test_check(*p64 == 0x0123456789abcdefull, "ioreq-width-64", "read 0x%lx", *p64);
    /* Narrow reads of the 64-bit value: bytes in little-endian order. */
    test_check(*(volatile uint8_t *)(uintptr_t)(b + SCRATCH + 0x31) == 0xcd, "ioreq-narrow-read",
               "byte 1 of the 64-bit value");
    *s8 = (int8_t)-128;
    *s16 = (int16_t)-2;
    *s32 = (int32_t)-3;
    v = *s8;
    test_check(v == -128, "ioreq-sign-8", "read %ld", v);
    v = *s16;
    test_check(v == -2, "ioreq-sign-16", "read %ld", v);
    v = *s32;
    test_check(v == -3, "ioreq-sign-32", "read %ld", v);
    test_check(*(volatile uint8_t *)(uintptr_t)(b + SCRATCH + 0x40) == 0x80, "ioreq-zero-extend",
               "unsigned byte read");
    test_check(*(volatile uint32_t *)(uintptr_t)(b + 0x800) == 0, "ioreq-no-register",
               "an offset with no register reads 0");
}

static void client_irq(uint64_t b, unsigned irq)
{
    uint64_t until;

    dom_irq_cpu_init();
    dom_irq_register(DEV_IRQ(irq), on_dev_irq, NULL);
    dom_irq_enable(DEV_IRQ(irq));
    dom_irq_local_enable();
    for (unsigned i = 0; i < 3; i++) {
        unsigned before = irqs;

        *(volatile uint32_t *)(uintptr_t)(b + REG_IRQ) = 1;
        until = dom_now_ns() + 2000000000ull;
        while (irqs == before && dom_now_ns() < until) {
            dom_irq_wait();
        }
    }
    dom_irq_local_disable();
    test_check(irqs == 3, "ioreq-interrupt", "%u interrupts for 3 raises", irqs);
    /* Level-sensitive: a line left high through two handlers is delivered three times. */
    irqs = 0;
    hold = 2;
    dom_irq_local_enable();
    *(volatile uint32_t *)(uintptr_t)(b + REG_IRQ) = 1;
    until = dom_now_ns() + 2000000000ull;
    while (irqs < 3 && dom_now_ns() < until) {
        dom_irq_wait();
    }
    dom_sleep_ms(20); /* and no more once it is low */
    dom_irq_local_disable();
    test_check(irqs == 3, "ioreq-interrupt-level", "%u deliveries of a line held high twice", irqs);
}

int mode_mmio_client(void)
{
    uint64_t b = dom_arg_u64("base", DEFAULT_BASE);
    uint64_t n = dom_arg_u64("n", 1000);
    uint64_t c0, c1, t0;
    volatile uint32_t *id = (volatile uint32_t *)(uintptr_t)(b + REG_ID);
    uint32_t bad = 0;

    dev_base = b;
    client_widths(b);
    c0 = *(volatile uint64_t *)(uintptr_t)(b + REG_COUNT);
    c1 = *(volatile uint64_t *)(uintptr_t)(b + REG_COUNT);
    test_check(c1 == c0 + 1, "ioreq-counter", "%lu then %lu", c0, c1);
    if (!dom_arg_is("irq", "off")) {
        client_irq(b, (unsigned)dom_arg_u64("irq", DEFAULT_IRQ));
    }
    t0 = dom_now_ns();
    dom_printf("BENCH mmio-start n=%lu\n", n);
    for (uint64_t i = 0; i < n; i++) {
        bad += *id != ECHO_ID;
    }
    dom_printf("BENCH mmio-end n=%lu\n", n);
    test_check(bad == 0, "ioreq-round-trips", "%u of %lu reads wrong", bad, n);
    dom_printf("INFO mmio round trip: %lu ns average\n", (dom_now_ns() - t0) / (n ? n : 1));
    if (dom_arg_is("unclaimed", "1")) {
        test_done();
        tg_read_announced(b + 0x10000); /* nobody claims it: the architectural exception */
        return 1;
    }
    test_done();
    return 0;
}

/* ---- stub-hostile ---- */

int mode_stub_hostile(void)
{
    unsigned target = (unsigned)dom_arg_u64("target", 0);
    unsigned victim = (unsigned)dom_arg_u64("victim", 0);
    struct xen_dm_op op = {.op = XEN_DMOP_create_ioreq_server};
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = (domid_t)victim};
    struct evtchn_bind_interdomain bi = {.remote_dom = (domid_t)victim, .remote_port = 1};
    struct gnttab_map_grant_ref gm = {
        .host_addr = WINDOW + 0x10000, .flags = GNTMAP_host_map, .ref = 0, .dom = (domid_t)victim};
    struct xen_add_to_physmap ap = {
        .domid = (domid_t)victim, .space = XENMAPSPACE_shared_info, .gpfn = 0x40000};
    int err = 0;
    uint16_t id;

    test_expect("hostile-map-shared-info", map_shared_info(), 0);
    /* Another guest's ioreqs and interrupts. */
    test_expect("hostile-dm-op-victim", dm_op(victim, &op), -XEN_EPERM);
    op = (struct xen_dm_op){.op = XEN_DMOP_set_irq_level};
    op.u.set_irq_level.irq = DEFAULT_IRQ;
    op.u.set_irq_level.level = 1;
    test_expect("hostile-irq-victim", dm_op(victim, &op), -XEN_EPERM);
    test_expect("hostile-dm-op-hypervisor", dm_op(DOMID_XEN, &op), -XEN_EPERM);
    test_expect("hostile-dm-op-self", dm_op(DOMID_SELF, &op), -XEN_EPERM);
    test_expect("hostile-acquire-victim",
                acquire(victim, 0, XENMEM_resource_ioreq_server_frame_ioreq(0), WINDOW >> 12),
                -XEN_EPERM);
    /* Another guest's memory, and what is not its target's RAM. */
    test_expect("hostile-foreign-victim", foreign_map(victim, 0x40000, WINDOW >> 12, &err),
                -XEN_EPERM);
    err = 0;
    test_check(foreign_map(target, 0x08000, (WINDOW >> 12) + 1, &err) == 0 && err == -XEN_EPERM,
               "hostile-foreign-not-ram", "errs[0] = %d", err);
    err = 0;
    test_check(foreign_map(target, 0x7fffff, (WINDOW >> 12) + 2, &err) == 0 && err == -XEN_EPERM,
               "hostile-foreign-past-ram", "errs[0] = %d", err);
    err = 0;
    test_check(foreign_map(target, dom_info.ram_base >> 12, dom_info.ram_base >> 12, &err) == 0 &&
                   err == -XEN_EINVAL,
               "hostile-foreign-over-own-ram", "errs[0] = %d", err);
    test_expect("hostile-add-to-physmap-victim", HYPERVISOR_memory_op(XENMEM_add_to_physmap, &ap),
                -XEN_EPERM);
    /* Event channels with unrelated domains. */
    test_expect("hostile-evtchn-alloc-victim", ev(EVTCHNOP_alloc_unbound, &a), -XEN_EPERM);
    test_expect("hostile-evtchn-bind-victim", ev(EVTCHNOP_bind_interdomain, &bi), -XEN_EPERM);
    /* Grants not meant for it. */
    dom_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (unsigned long)&gm, 1, 0, 0);
    test_check(gm.status == GNTST_permission_denied, "hostile-grant-victim", "status %d",
               gm.status);
    /* Control operations: none exist for anyone but the toolstack (domctl). */
    test_check(dom_hypercall(__HYPERVISOR_domctl, 0, 0, 0, 0, 0) < 0, "hostile-domctl",
               "domctl was not refused");
    /* What it may do: its own target's server, then serve nothing and release it. */
    op = (struct xen_dm_op){.op = XEN_DMOP_create_ioreq_server};
    test_expect("hostile-dm-op-target", dm_op(target, &op), 0);
    id = op.u.create_ioreq_server.id;
    test_expect("hostile-second-server", dm_op(target, &op), -XEN_ENOSPC);
    op = (struct xen_dm_op){.op = XEN_DMOP_create_ioreq_server};
    op.u.create_ioreq_server.handle_bufioreq = 1;
    test_expect("hostile-bufioreq", dm_op(target, &op), -XEN_EOPNOTSUPP);
    test_expect("hostile-acquire-bufioreq-frame",
                acquire(target, id, XENMEM_resource_ioreq_server_frame_bufioreq, WINDOW >> 12),
                -XEN_EINVAL);
    err = 1;
    test_check(foreign_map(target, dom_info.ram_base >> 12 /* any target RAM page */,
                           (WINDOW >> 12) + 3, &err) == 0 &&
                   err == 0,
               "hostile-foreign-target-ram", "errs[0] = %d", err);
    test_expect("hostile-enable-target", enable_server(target, id), 0);
    test_done();
    /* Stay: the target's end ends us (docs/ioreq.md). */
    for (;;) {
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    }
}

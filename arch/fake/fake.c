/* SPDX-License-Identifier: MIT */
/*
 * The fake arch: a host stand-in for every hook in bulkhead/arch.h, so host unit tests
 * run the unmodified core sources. Nothing here touches hardware: the console is a
 * capture buffer, the counter a variable, power-off a cmocka assertion, and the
 * page-table formats use an encoding of their own so the generic walker is tested
 * through a format that is not the real arch's.
 */
/* First: vcpu_guest_context as the control operations see it (tools interface). */
#include <bulkhead/xen_domctl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <libfdt.h>

#include <bulkhead/arch.h>
#include <bulkhead/board.h>
#include <bulkhead/domain.h>
#include <bulkhead/boot.h>
#include <bulkhead/errno.h>
#include <bulkhead/p2m.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>

/* ---- identity and CPU primitives ---- */

const char *arch_describe(void)
{
    return "fake (host unit tests)";
}

const char *arch_xen_capabilities(void)
{
    return "xen-3.0-fake ";
}

void arch_cpu_relax(void)
{
}

void arch_cpu_wake(void)
{
}

bool fake_irq_enabled;
static bool fake_timer_pending; /* the timer interrupt is raised, not yet taken */

void arch_irq_disable(void)
{
    fake_irq_enabled = false;
}

static void fake_deliver(void);

void arch_irq_enable(void)
{
    fake_irq_enabled = true;
    fake_deliver();
}

/* Per thread, so a unit test can run two host threads as two CPUs; pcpus[0] until a
 * thread says otherwise. */
static _Thread_local struct pcpu *fake_this_cpu;

struct pcpu *arch_this_cpu(void)
{
    return fake_this_cpu ? fake_this_cpu : &pcpus[0];
}

void arch_set_this_cpu(struct pcpu *cpu)
{
    fake_this_cpu = cpu;
}

/* ---- console and power ---- */

#define FAKE_CONSOLE_SIZE (64u << 10)

static char fake_console[FAKE_CONSOLE_SIZE];
static size_t fake_console_len;

void fake_console_reset(void)
{
    fake_console_len = 0;
    fake_console[0] = '\0';
}

const char *fake_console_text(void)
{
    return fake_console;
}

bool fake_console_contains(const char *s)
{
    return strstr(fake_console, s) != NULL;
}

void arch_early_putc(char c)
{
    static int echo = -1;

    if (echo < 0) {
        echo = getenv("BULKHEAD_UNIT_ECHO") != NULL;
    }
    if (echo && c != '\r') {
        putchar(c);
    }
    if (fake_console_len + 1 < FAKE_CONSOLE_SIZE) {
        fake_console[fake_console_len++] = c;
        fake_console[fake_console_len] = '\0';
    }
}

unsigned fake_system_off_calls;

void arch_system_off(void)
{
    fake_system_off_calls++;
    /* Inside expect_assert_failure() this longjmps back to the test; anywhere else
     * cmocka fails the running test. */
    mock_assert(0, "arch_system_off", __FILE__, __LINE__);
    abort();
}

/* ---- device tree ---- */

int fake_dt_parse_rc;

static const char *const fake_irqc_compat[] = {"arm,gic-v3", "riscv,plic0", NULL};
static const char *const fake_timer_compat[] = {"arm,armv8-timer", NULL};

int arch_dt_parse(const void *fdt, struct board_info *bi)
{
    int node = dt_find_compatible(fdt, fake_irqc_compat, &bi->irqc.compat);
    uint64_t freq = 0;

    if (fake_dt_parse_rc) {
        printk("dt: fake arch refuses this board (%d)\n", fake_dt_parse_rc);
        return fake_dt_parse_rc;
    }
    if (node < 0) {
        printk("dt: no interrupt controller: need an arm,gic-v3 or riscv,plic0 node\n");
        return -ENOENT;
    }
    bi->irqc.node = node;
    while (bi->irqc.nr_reg < BOARD_MAX_IRQC_REGS &&
           dt_read_reg(fdt, node, (int)bi->irqc.nr_reg, &bi->irqc.reg[bi->irqc.nr_reg]) == 0) {
        bi->irqc.nr_reg++;
    }
    node = dt_find_compatible(fdt, fake_timer_compat, NULL);
    if (node < 0 || dt_read_u64(fdt, node, "clock-frequency", &freq) != 0) {
        int cpus = fdt_path_offset(fdt, "/cpus");

        if (cpus < 0 || dt_read_u64(fdt, cpus, "timebase-frequency", &freq) != 0) {
            freq = 62500000; /* QEMU virt's generic timer */
        }
    }
    bi->timer.freq = freq;
    bi->timer.irq = 26; /* the EL2 physical timer PPI on GICv3 boards */
    bi->firmware = "fake firmware";
    return 0;
}

void arch_dt_print(const struct board_info *bi)
{
    printk("dt: interrupt controller %s, %u regs\n", bi->irqc.compat, bi->irqc.nr_reg);
    printk("dt: timer %llu Hz, interrupt %u\n", (unsigned long long)bi->timer.freq, bi->timer.irq);
    printk("dt: firmware %s\n", bi->firmware);
}

/* ---- MMU: the fake descriptor format (see arch/fake.h) ---- */

static uint64_t fake_pte_table(paddr_t table)
{
    return (pa_addr(table) & FAKE_PTE_ADDR_MASK) | FAKE_PTE_KIND_TABLE;
}

static uint64_t fake_pte_leaf(paddr_t pa, unsigned level, unsigned attr)
{
    return (pa_addr(pa) & FAKE_PTE_ADDR_MASK) | FAKE_PTE_KIND_LEAF |
           ((uint64_t)(attr & 0xf) << FAKE_PTE_ATTR_SHIFT) |
           ((uint64_t)level << FAKE_PTE_LEVEL_SHIFT);
}

static enum pte_kind fake_pte_kind(uint64_t pte, unsigned level)
{
    switch (pte & FAKE_PTE_KIND_MASK) {
    case FAKE_PTE_KIND_TABLE:
        return PTE_TABLE;
    case FAKE_PTE_KIND_LEAF:
        /* A leaf written for another level is a walker bug: fail loudly. */
        if (((pte >> FAKE_PTE_LEVEL_SHIFT) & 7) != level) {
            panic("fake pte 0x%llx: leaf of level %u read at level %u", (unsigned long long)pte,
                  (unsigned)((pte >> FAKE_PTE_LEVEL_SHIFT) & 7), level);
        }
        return PTE_LEAF;
    default:
        return PTE_INVALID;
    }
}

static paddr_t fake_pte_addr(uint64_t pte)
{
    return pa_init(pte & FAKE_PTE_ADDR_MASK);
}

static unsigned fake_pte_attr(uint64_t pte)
{
    return (unsigned)(pte >> FAKE_PTE_ATTR_SHIFT) & 0xf;
}

/* Every fake format: 4 KiB granules, 9 bits per level, the fake encoders; they differ
 * in depth, concatenated root bits and which levels hold leaves. */
#define FAKE_FORMAT(name_, levels_, root_extra_, leaf_levels_)                                     \
    {                                                                                              \
        .name = name_, .levels = levels_, .page_shift = 12, .level_bits = 9,                       \
        .root_extra_bits = root_extra_, .leaf_levels = leaf_levels_, .pte_table = fake_pte_table,  \
        .pte_leaf = fake_pte_leaf, .pte_kind = fake_pte_kind, .pte_addr = fake_pte_addr,           \
        .pte_attr = fake_pte_attr,                                                                 \
    }

const struct pt_format arch_hyp_pt_format =
    FAKE_FORMAT("fake 4-level 4K/48-bit", 4, 0, (1u << 1) | (1u << 2) | (1u << 3));

const struct pt_format fake_pt_format_3level =
    FAKE_FORMAT("fake 3-level 4K/39-bit", 3, 0, (1u << 1) | (1u << 2));

const struct pt_format fake_pt_format_concat =
    FAKE_FORMAT("fake 3-level 4K/41-bit, 4-page root", 3, 2, (1u << 1) | (1u << 2));

void arch_mmu_enable(paddr_t root)
{
    (void)root;
}

void arch_tlb_flush_hyp(void)
{
}

void arch_pages_zero(void *va, size_t size)
{
    memset(va, 0, size);
}

/*
 * The hypervisor image hyp_mm.c maps, through the symbols a linker script would define:
 * one page each of text, rodata and data, then one of BSS.
 */
_Alignas(4096) char fake_image[FAKE_IMAGE_PAGES * 4096];

__asm__(".globl __image_start\n.set __image_start, fake_image\n"
        ".globl __text_end\n.set __text_end, fake_image + 4096\n"
        ".globl __rodata_end\n.set __rodata_end, fake_image + 8192\n"
        ".globl __image_end\n.set __image_end, fake_image + 16384\n");

/* ---- traps and CPUs ---- */

void arch_trap_init(void)
{
}

void arch_trigger_unexpected_trap(void)
{
    panic("unexpected trap (fake)");
}

int arch_cpu_start(struct pcpu *cpu)
{
    cpu->online = true;
    return 0;
}

/* ---- interrupt controller and timer ---- */

int arch_irqc_init(const struct board_info *bi)
{
    return bi->irqc.nr_reg ? 0 : -ENODEV;
}

/* Host lines 32..127 taken: by a hypervisor driver (-1) or routed to a domain. */
static const struct domain *fake_irq_owner[128];
#define FAKE_IRQ_HYP ((const struct domain *)-1)

/* Device interrupts never fire on the host: tests feed console input directly. */
int arch_irq_request(const uint32_t *cells, unsigned nr, void (*handler)(void))
{
    (void)handler;
    if (nr == 3 && cells[0] == 0 && cells[1] < 96) {
        fake_irq_owner[cells[1] + 32] = FAKE_IRQ_HYP;
    }
    return nr && cells[0] != 0xffffffffu ? 0 : -EINVAL;
}

/* As aarch64's: <0 spi flags>, SPIs 0..95 (INTIDs 32..127). */
int arch_irq_route(struct domain *d, const uint32_t *cells, unsigned nr)
{
    if (nr != 3 || cells[0] != 0 || cells[1] >= 96) {
        return -EINVAL;
    }
    if (fake_irq_owner[cells[1] + 32]) {
        return -EBUSY;
    }
    fake_irq_owner[cells[1] + 32] = d;
    d->arch.irq_routed[(cells[1] + 32) / 32] |= 1u << (cells[1] % 32);
    return 0;
}

int arch_irqc_cpu_init(struct pcpu *cpu)
{
    cpu->arch.irqc_inits++;
    return 0;
}

uint64_t fake_counter;
bool fake_timer_armed;
uint64_t fake_timer_deadline;
bool fake_timer_dead;
int64_t fake_timer_skew;

void fake_timer_reset(void)
{
    fake_counter = 0;
    fake_timer_armed = false;
    fake_timer_deadline = 0;
    fake_timer_dead = false;
    fake_timer_skew = 0;
    fake_irq_enabled = false;
    fake_timer_pending = false;
}

uint64_t arch_timer_now(void)
{
    return fake_counter;
}

void arch_timer_set_deadline(uint64_t deadline)
{
    fake_timer_deadline = deadline;
    fake_timer_armed = true;
    fake_timer_pending = false;
}

void arch_timer_stop(void)
{
    fake_timer_armed = false;
    fake_timer_pending = false;
}

/* Deliver a pending timer interrupt if interrupts are on. */
static void fake_deliver(void)
{
    if (fake_timer_pending && fake_irq_enabled) {
        fake_timer_pending = false;
        timer_interrupt();
    }
}

/* Time passes only while the CPU sleeps: jump to the armed deadline and raise the
 * interrupt (taken now if unmasked, else at arch_irq_enable), or (nothing armed, or a
 * dead timer) let a millisecond at 1 GHz go by. */
void arch_wait_for_interrupt(void)
{
    if (fake_timer_armed && !fake_timer_dead) {
        uint64_t at = fake_timer_deadline + (uint64_t)fake_timer_skew;

        /* An early interrupt (negative skew) that the queue absorbs and re-arms for the
         * same deadline: let time creep on so the deadline is reached. */
        fake_counter = fake_counter < at ? at : fake_counter + 1;
        fake_timer_pending = true;
        fake_deliver();
        return;
    }
    fake_counter += 1000000;
}

/* ---- domains (the 3-level fake format with a 4-page root stands in for stage 2) ---- */

unsigned fake_kicks;
bool fake_kick_sets_resched;

void arch_send_kick(struct pcpu *cpu)
{
    fake_kicks++;
    if (fake_kick_sets_resched) {
        cpu->need_resched = true;
    }
}

const struct pt_format arch_stage2_pt_format =
    FAKE_FORMAT("fake stage-2 3-level 4K/41-bit", 3, 2, (1u << 1) | (1u << 2));

uint64_t arch_guest_ram_base(void)
{
    return FAKE_GUEST_RAM_BASE;
}

uint64_t arch_guest_ram_max(void)
{
    return FAKE_GUEST_RAM_MAX;
}

uint64_t arch_guest_magic_base(void)
{
    return FAKE_GUEST_MAGIC_BASE;
}

int arch_p2m_init(struct p2m *p)
{
    (void)p;
    return 0;
}

void arch_p2m_flush(struct p2m *p, ipaddr_t ipa, uint64_t size)
{
    (void)ipa;
    __atomic_fetch_add(&p->arch.flushes, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&p->arch.flushed_pages, size >> 12, __ATOMIC_RELAXED);
}

void arch_vcpu_init(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    v->arch.entry = entry;
    v->arch.arg = arg;
}

/* The host build sees the build machine's (x86) vcpu_guest_context: entry in rip, the
 * boot argument in rsi, and VGCF_online required, so that tests can be refused. */
int arch_vcpu_context_decode(const struct vcpu_guest_context *c, uint64_t *entry, uint64_t *arg)
{
    if (!(c->flags & VGCF_online)) {
        return -EINVAL;
    }
    *entry = c->user_regs.rip;
    *arg = c->user_regs.rsi;
    return 0;
}

void arch_vcpu_save(struct vcpu *v)
{
    (void)v;
}

void arch_vcpu_load(struct vcpu *v)
{
    v->arch.loads++;
}

int arch_domain_init(struct domain *d)
{
    (void)d;
    return 0;
}

void arch_domain_teardown(struct domain *d)
{
    for (unsigned i = 0; i < 128; i++) {
        if (fake_irq_owner[i] == d) {
            fake_irq_owner[i] = NULL;
        }
    }
}

void arch_vcpu_evtchn_upcall(struct vcpu *v)
{
    __atomic_fetch_add(&v->arch.upcalls, 1, __ATOMIC_RELAXED);
}

int arch_domain_irq_level(struct domain *d, uint32_t irq, bool level)
{
    if (irq < 32 || irq >= 128) {
        return -EINVAL;
    }
    if (level) {
        d->arch.irq_level[irq / 32] |= 1u << (irq % 32);
    } else {
        d->arch.irq_level[irq / 32] &= ~(1u << (irq % 32));
    }
    return 0;
}

bool arch_vcpu_irq_pending(struct vcpu *v)
{
    return v->arch.irq_pending;
}

void arch_vcpu_enter(void)
{
    mock_assert(0, "arch_vcpu_enter", __FILE__, __LINE__);
    abort();
}

/* The fake guest runs with its MMU off: a virtual address is its guest-physical one. */
int arch_guest_va_to_pa(struct vcpu *v, struct p2m_locked l, uint64_t va, bool write, paddr_t *pa)
{
    unsigned attr;

    (void)v;
    if (p2m_lookup(l, ipa_init(va), pa, &attr) != 0 || (write && !(attr & PT_W))) {
        return -EFAULT;
    }
    return 0;
}

/* The fake's emulated region: one page at FAKE_GUEST_EMULATED. */
bool arch_guest_mmio_emulated(uint64_t ipa, uint64_t size)
{
    return ipa < FAKE_GUEST_EMULATED + PAGE_SIZE && ipa + size > FAKE_GUEST_EMULATED;
}

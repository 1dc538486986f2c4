/* SPDX-License-Identifier: MIT */
/* EL2 trap handling: interrupts, and a register dump + panic for anything unexpected. */
#include <arch/sysreg.h>
#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/percpu.h>
#include <bulkhead/printk.h>

extern char hyp_vectors[];

static const char *const kind_names[16] = {
    "EL2t sync",
    "EL2t IRQ",
    "EL2t FIQ",
    "EL2t SError",
    "EL2h sync",
    "EL2h IRQ",
    "EL2h FIQ",
    "EL2h SError",
    "lower EL AArch64 sync",
    "lower EL AArch64 IRQ",
    "lower EL AArch64 FIQ",
    "lower EL AArch64 SError",
    "lower EL AArch32 sync",
    "lower EL AArch32 IRQ",
    "lower EL AArch32 FIQ",
    "lower EL AArch32 SError",
};

/* ESR_EL2.EC values worth naming in a dump (Arm ARM D17.2.37). */
static const char *ec_name(unsigned ec)
{
    switch (ec) {
    case 0x00:
        return "unknown / undefined instruction";
    case 0x16:
        return "HVC from AArch64";
    case 0x17:
        return "SMC from AArch64";
    case 0x18:
        return "system register access";
    case 0x20:
        return "instruction abort, lower EL";
    case 0x21:
        return "instruction abort, same EL";
    case 0x22:
        return "PC alignment fault";
    case 0x24:
        return "data abort, lower EL";
    case 0x25:
        return "data abort, same EL";
    case 0x26:
        return "SP alignment fault";
    case 0x3c:
        return "BRK instruction";
    default:
        return "other";
    }
}

void arch_trap_init(void)
{
    write_sysreg(vbar_el2, (uintptr_t)hyp_vectors);
    isb();
}

static void dump_frame(const struct trap_frame *f, unsigned kind)
{
    unsigned ec = (unsigned)(f->esr >> 26) & 0x3f;
    struct pcpu *cpu = this_cpu();

    printk("bulkhead: unexpected exception on cpu%u: %s\n", cpu ? cpu->id : 0, kind_names[kind]);
    printk("  ESR 0x%016llx (EC 0x%02x: %s)\n", (unsigned long long)f->esr, ec, ec_name(ec));
    printk("  ELR 0x%016llx  FAR 0x%016llx  SPSR 0x%016llx\n", (unsigned long long)f->elr,
           (unsigned long long)f->far, (unsigned long long)f->spsr);
    for (unsigned i = 0; i < 31; i += 2) {
        if (i + 1 < 31) {
            printk("  x%-2u 0x%016llx  x%-2u 0x%016llx\n", i, (unsigned long long)f->x[i], i + 1,
                   (unsigned long long)f->x[i + 1]);
        } else {
            printk("  x%-2u 0x%016llx  sp  0x%016llx\n", i, (unsigned long long)f->x[i],
                   (unsigned long long)f->sp);
        }
    }
}

void arch_trap_handler(struct trap_frame *f, unsigned kind)
{
    if (kind == TRAP_LOWER64_SYNC) {
        guest_sync(f);
        return;
    }
    if (kind == TRAP_CUR_SPX_IRQ) {
        gic_handle_irq();
        return;
    }
    if (kind >= TRAP_LOWER64_SYNC) {
        guest_async(f, kind);
        return;
    }
    dump_frame(f, kind);
    panic("unexpected exception (%s) at 0x%llx", kind_names[kind & 15], (unsigned long long)f->elr);
}

void arch_trigger_unexpected_trap(void)
{
    /* An address no table maps: a translation fault at EL2. */
    volatile uint64_t *p = (volatile uint64_t *)0xdead0000ul;

    (void)*p;
}

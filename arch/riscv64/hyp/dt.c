/* SPDX-License-Identifier: MIT */
/* The riscv64 part of the host device tree: the PLIC, the timebase, the SBI firmware. */
#include <libfdt.h>

#include <arch/trap.h>

#include <bulkhead/arch.h>
#include <bulkhead/board.h>
#include <bulkhead/errno.h>
#include <bulkhead/printk.h>

#include "riscv.h"
#include "sbi.h"

/* True if the ISA string @isa ("rv64imafdch_zicsr_..._sstc") names extension @ext.
 * Multi-letter extensions follow the single letters, each after an underscore
 * (unprivileged spec, "ISA Extension Naming Conventions"). */
static bool isa_has(const char *isa, const char *ext)
{
    size_t n = strlen(ext);

    for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_')) {
        if (strncmp(p + 1, ext, n) == 0 && (p[1 + n] == '_' || p[1 + n] == '\0')) {
            return true;
        }
    }
    return false;
}

/* True if the single-letter part of @isa ("rv64imafdch", up to the first '_') has
 * extension @letter. */
static bool isa_has_letter(const char *isa, char letter)
{
    if (strncmp(isa, "rv64", 4) != 0) {
        return false;
    }
    for (const char *p = isa + 4; *p && *p != '_'; p++) {
        if (*p == letter) {
            return true;
        }
    }
    return false;
}

uint8_t riscv_has_h;

/* The hypervisor extension on every hart, or a clear refusal: without it the H CSRs
 * are illegal instructions, and the trap entry itself must not touch them (entry.S
 * checks riscv_has_h). */
static int check_h_extension(const void *fdt)
{
    int cpus = fdt_path_offset(fdt, "/cpus");
    int node;

    fdt_for_each_subnode(node, fdt, cpus)
    {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        const char *isa = fdt_getprop(fdt, node, "riscv,isa", NULL);

        if (!type || strcmp(type, "cpu") != 0) {
            continue;
        }
        if (!isa || !isa_has_letter(isa, 'h')) {
            printk("dt: %s (riscv,isa \"%s\") has no hypervisor extension (H): Bulkhead "
                   "needs it on every hart\n",
                   fdt_get_name(fdt, node, NULL), isa ? isa : "");
            return -ENODEV;
        }
    }
    __atomic_store_n(&riscv_has_h, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Sstc only if every cpu node lists it: one timer path for all harts. */
static bool dt_all_harts_have(const void *fdt, int cpus, const char *ext)
{
    int node, seen = 0;

    fdt_for_each_subnode(node, fdt, cpus)
    {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        const char *isa = fdt_getprop(fdt, node, "riscv,isa", NULL);

        if (!type || strcmp(type, "cpu") != 0) {
            continue;
        }
        if (!isa || !isa_has(isa, ext)) {
            return false;
        }
        seen++;
    }
    return seen > 0;
}

static int parse_timer(const void *fdt, struct board_info *bi)
{
    int cpus = fdt_path_offset(fdt, "/cpus");

    /* The binding puts timebase-frequency in /cpus, or in each cpu node. */
    if (cpus < 0 || dt_read_u64(fdt, cpus, "timebase-frequency", &bi->timer.freq) != 0) {
        int cpu = cpus >= 0 ? fdt_first_subnode(fdt, cpus) : -1;

        if (cpu < 0 || dt_read_u64(fdt, cpu, "timebase-frequency", &bi->timer.freq) != 0) {
            printk("dt: no timebase-frequency in /cpus\n");
            return -ENOENT;
        }
    }
    if (bi->timer.freq == 0) {
        printk("dt: timebase-frequency is 0\n");
        return -EINVAL;
    }
    bi->timer.irq = 0; /* sip.STIP, not a wired interrupt */
    /* The ISA string may claim Sstc while M-mode left menvcfg.STCE clear: try it. */
    timer_use_sstc(dt_all_harts_have(fdt, cpus, "sstc") && trap_probe_stimecmp());
    return 0;
}

static int parse_firmware(struct board_info *bi)
{
    int rc = sbi_init();

    if (!rc) {
        bi->firmware = sbi_describe();
    }
    return rc;
}

/*
 * OpenSBI describes the memory it keeps for itself as /reserved-memory/mmode_resv@...
 * and protects it with PMP, so S-mode can never access it. OpenSBI 1.1 omits "no-map"
 * there; mapping it anyway would only let speculative accesses reach it. Treat it as
 * no-map whatever the DT says.
 */
static void firmware_ranges_no_map(struct board_info *bi)
{
    for (unsigned i = 0; i < bi->nr_resv; i++) {
        if (!strncmp(bi->resv[i].why, "mmode_resv", strlen("mmode_resv"))) {
            bi->resv[i].no_map = true;
        }
    }
}

int arch_dt_parse(const void *fdt, struct board_info *bi)
{
    int rc = check_h_extension(fdt);

    if (!rc) {
        rc = plic_dt_parse(fdt, bi);
    }
    firmware_ranges_no_map(bi);
    if (!rc) {
        rc = parse_timer(fdt, bi);
    }
    if (!rc) {
        rc = parse_firmware(bi);
    }
    return rc;
}

void arch_dt_print(const struct board_info *bi)
{
    plic_dt_print(bi);
    printk("dt: timer %llu Hz, hypervisor timer %s\n", (unsigned long long)bi->timer.freq,
           timer_describe());
    printk("dt: firmware %s\n", bi->firmware);
}

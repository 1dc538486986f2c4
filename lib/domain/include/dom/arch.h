/* SPDX-License-Identifier: MIT */
/*
 * The arch hooks of the domain runtime: declared once here, implemented by
 * arch/<arch>/domain/ (start code, hypercall instruction, counter, firmware calls, the
 * stage-1 MMU used by tests). Nothing here may assume a hypervisor other than through
 * the Xen ABI.
 */
#ifndef DOM_ARCH_H
#define DOM_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Issue Xen hypercall @op with arguments @a1..@a5 (aarch64: HVC #0xEA1 with x16 = op;
 * riscv64: ecall with a7 = DOM_XEN_SBI_EID, a6 = op). Returns Xen's long result,
 * negative Xen errno on failure.
 */
long dom_hypercall(unsigned long op, unsigned long a1, unsigned long a2, unsigned long a3,
                   unsigned long a4, unsigned long a5);

/* The guest-visible counter (aarch64 CNTVCT_EL0, riscv64 the time CSR). */
uint64_t dom_arch_counter(void);

/* The counter's frequency in Hz if the arch can tell without the device tree, else 0
 * (riscv64: the runtime reads /cpus timebase-frequency instead). */
uint64_t dom_arch_counter_freq(void);

/* Power off (or reset when @reboot) through the firmware interface the hypervisor
 * emulates: PSCI SYSTEM_OFF / SYSTEM_RESET, SBI SRST. @crash asks for a "system failure"
 * reason where the interface has one. Returns only if the call failed. */
void dom_arch_firmware_off(bool reboot, bool crash);

/* Wait for an interrupt (used only when there is nothing better left to do). */
void dom_arch_idle(void);

/* Execute an architecturally undefined instruction. Returns only if it was skipped. */
void dom_arch_undef(void);

/* Read an IMPLEMENTATION DEFINED system register. Returns false when the arch has no
 * such thing (riscv64), else true if the read returned (into @val). */
bool dom_arch_impdef_sysreg(uint64_t *val);

/*
 * A stage-1 address space for tests: guest RAM mapped one to one (normal memory,
 * non-cacheable so turning the MMU off again needs no cache maintenance), @alias_size
 * bytes at @alias_va mapped onto guest-physical @alias_pa, nothing else.
 */
struct dom_mmu_layout {
    uint64_t ram_base;   /* guest RAM, guest-physical */
    uint64_t ram_size;   /* bytes */
    uint64_t alias_va;   /* page-aligned virtual address of the alias (dom_arch_alias_va()) */
    uint64_t alias_pa;   /* page-aligned guest-physical target of the alias */
    uint64_t alias_size; /* bytes, a multiple of 4 KiB, at most 2 MiB */
};

/* A virtual address outside guest RAM that dom_arch_mmu_on() can alias. */
uint64_t dom_arch_alias_va(void);

/* Build the tables for @l and turn stage-1 translation on. Returns 0 or -XEN_EINVAL. */
int dom_arch_mmu_on(const struct dom_mmu_layout *l);

/* The shared table builder behind dom_arch_mmu_on (lib/domain/s1map.c). */
#define DOM_S1_RAM_TABLES 4 /* RAM may span up to 4 GiB-aligned gigabytes */

struct dom_s1_tables {
    uint64_t root[512];                   /* 1 GiB entries */
    uint64_t ram[DOM_S1_RAM_TABLES][512]; /* 2 MiB blocks of RAM */
    uint64_t alias_mid[512];              /* 2 MiB entries of the alias */
    uint64_t alias_leaf[512];             /* 4 KiB pages of the alias */
};

/* An arch's descriptors: a pointer to a next-level table, a 2 MiB block and a 4 KiB
 * page (both read-write-execute), and how many root entries its VAs may use. */
struct dom_s1_format {
    unsigned root_entries;
    uint64_t (*table)(const uint64_t *next);
    uint64_t (*block)(uint64_t pa);
    uint64_t (*page)(uint64_t pa);
};

/* Fill @t for @l; -XEN_EINVAL if the layout does not fit the tables. */
int dom_s1_build(struct dom_s1_tables *t, const struct dom_mmu_layout *l,
                 const struct dom_s1_format *f);

/* The accessed and dirty bits of the alias's first page, when this arch leaves them for
 * the hardware (or the hypervisor, for hypercall accesses) to set: riscv64 maps the alias
 * with A and D clear. Returns false where the bits are preset (aarch64: no hardware
 * access-flag management on cortex-a57, so AF is set up front). */
bool dom_arch_alias_ad(bool *accessed, bool *dirty);

/* Turn stage-1 translation off again (back to VA = guest-physical). */
void dom_arch_mmu_off(void);

/* ---- vCPUs: the firmware interface the hypervisor emulates (PSCI / SBI HSM) ---- */

/* This vCPU's id (aarch64: MPIDR_EL1.Aff0; riscv64: the hart id kept in tp). */
unsigned dom_arch_vcpu_self(void);

/*
 * Start vCPU @id at guest-physical @entry (MMU off) with @arg handed to it (aarch64: PSCI
 * CPU_ON, x0 = @arg; riscv64: SBI HSM hart_start, a0 = id, a1 = @arg). Returns the
 * firmware's status code as is: 0 on success, else one of dom_arch_fw's errors.
 */
long dom_arch_vcpu_on(unsigned id, uint64_t entry, uint64_t arg);

/* Stop the calling vCPU (PSCI CPU_OFF / SBI hart_stop). Returns only if that failed,
 * with the firmware's status code. */
long dom_arch_vcpu_off(void);

/* The firmware's power state of vCPU @id as is (PSCI AFFINITY_INFO / SBI
 * hart_get_status): dom_arch_fw.on, .off, another state, or a negative error. */
long dom_arch_vcpu_status(unsigned id);

/* The firmware's codes, for callers that check them (tests) or map them (dom_vcpu_*). */
struct dom_arch_fw_codes {
    const char *name;      /* "PSCI" or "SBI HSM" */
    long on;               /* status: running */
    long off;              /* status: stopped */
    long already_on;       /* start of a running vCPU */
    long invalid_param;    /* start of a vCPU that does not exist */
    long invalid_address;  /* start at an entry outside RAM; 0: not checked by the call */
    uint64_t entry_align;  /* entries must be multiples of this */
    long misaligned_entry; /* start at an entry that is not */
};

extern const struct dom_arch_fw_codes dom_arch_fw;

/*
 * Where dom_arch_vcpu_on() starts secondaries of the runtime: with @arg pointing to a
 * struct dom_vcpu_boot, it installs the exception vectors (stvec) of this vCPU, takes
 * the stack, calls fn(id) and, if that returns, dom_vcpu_stop().
 */
extern char dom_arch_secondary_entry[];

/* Give the CPU away while waiting for another vCPU (aarch64: WFE, which the hypervisor
 * traps as a yield; riscv64: SCHEDOP_yield). Never a bare spin: under -icount a spinning
 * vCPU would burn its whole slice while the one it waits for cannot run. */
void dom_arch_relax(void);

/* Wake vCPUs waiting in dom_arch_relax() (aarch64: SEV; riscv64: nothing). */
void dom_arch_wake(void);

/*
 * A raw SBI call (riscv64 only): @eid, @fid, arguments a0-a2. Returns false on arches
 * without SBI, else true with the SBI error (a0) and value (a1).
 */
bool dom_arch_sbi(uint64_t eid, uint64_t fid, const uint64_t args[3], long *err, long *val);

/* The header magic of this arch's kernel Image format, and its offset in the header. */
extern const char dom_arch_image_magic[];
extern const unsigned dom_arch_image_magic_len;
extern const unsigned dom_arch_image_magic_off;

/* Provided by the linker script: the loaded image, including BSS and the stacks. */
extern char __image_start[], __image_end[];

#endif

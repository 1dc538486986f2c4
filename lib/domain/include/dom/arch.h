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

/* Turn stage-1 translation off again (back to VA = guest-physical). */
void dom_arch_mmu_off(void);

/* The header magic of this arch's kernel Image format, and its offset in the header. */
extern const char dom_arch_image_magic[];
extern const unsigned dom_arch_image_magic_len;
extern const unsigned dom_arch_image_magic_off;

/* Provided by the linker script: the loaded image, including BSS and the stacks. */
extern char __image_start[], __image_end[];

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Entry in HS-mode from OpenSBI with the MMU off (satp = 0), a0 = hartid of the boot
 * hart (any hart may win OpenSBI's boot lottery) and a1 = DTB (RISC-V Linux boot
 * protocol, Documentation/arch/riscv/boot.rst, which OpenSBI's fw_jump follows).
 *
 * tp holds this CPU's struct pcpu * whenever the hypervisor runs; sscratch is 0 then
 * (entry.S explains how a trap from a guest finds its stack). The top TRAP_AREA_SIZE
 * bytes of each CPU stack hold the running guest's frame and the struct pcpu *.
 */
#include <bulkhead/config.h>

#include <arch/trap.h>

    .section .text.head, "ax"
    .global _start
_start:
    csrw    sie, zero               /* no interrupts until we ask for them */
    csrw    sscratch, zero          /* "trapped in HS-mode" to entry.S */
    csrci   sstatus, 2              /* sstatus.SIE */
    mv      s0, a0                  /* hartid */
    mv      s1, a1                  /* DTB */
    /* We are linked at LOAD_ADDR and run one to one: refuse any other address. */
    lla     t0, _start
    ld      t1, link_addr
    bne     t0, t1, park
    /* Zero BSS. */
    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  lla     sp, hyp_cpu_stacks
    li      t0, CPU_STACK_SIZE - TRAP_AREA_SIZE
    add     sp, sp, t0
    lla     tp, pcpus
    sd      tp, TRAP_AREA_PCPU(sp)
    mv      a0, s0
    mv      a1, s1
    call    boot_main
park:
    wfi
    j       park

    .balign 8
link_addr:
    .quad   _start

/*
 * Secondary harts enter here from SBI HSM hart_start (SBI spec 9.1): S-mode, satp = 0,
 * sstatus.SIE = 0, a0 = hartid, a1 = opaque = their struct pcpu, whose first member is
 * the initial stack pointer.
 */
    .text
    .global secondary_entry
    .balign 4
secondary_entry:
    csrw    sie, zero
    csrw    sscratch, zero
    ld      sp, 0(a1)
    addi    sp, sp, -TRAP_AREA_SIZE
    sd      a1, TRAP_AREA_PCPU(sp)
    mv      tp, a1
    call    arch_secondary_start
    j       park

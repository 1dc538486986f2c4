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
    /*
     * Only the first hart here is the boot hart. Debian's OpenSBI 1.1 can send a
     * secondary here too: its HSM hart_start marks the hart START_PENDING before it
     * stores the start address, so a hart that wakes in between jumps to the address it
     * was given at boot, ours (fixed upstream by "Set the state of a hart to
     * START_PENDING after the hart is ready"). Zeroing BSS again would wipe the running
     * hypervisor: such a hart goes on as secondary_entry would, with its own pcpu.
     */
    lla     t0, boot_claimed
    li      t1, 1
    amoswap.w.aqrl t1, t1, (t0)
    bnez    t1, early_secondary
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

/* A secondary that came in at _start: pcpus[1..] whose hwid is this hart's id (s0) and
 * whose stack is set (hart_start was asked for it), else park. */
early_secondary:
    lla     t0, pcpus
    ld      t2, hyp_pcpu_stride
    ld      t3, hyp_pcpu_hwid_offset
    li      t4, 1
    li      t5, MAX_CPUS
1:  bgeu    t4, t5, park
    add     t0, t0, t2
    addi    t4, t4, 1
    add     t6, t0, t3
    ld      t6, 0(t6)
    bne     t6, s0, 1b
    ld      t6, 0(t0)               /* stack_top */
    beqz    t6, 1b
    mv      a0, s0
    mv      a1, t0
    j       secondary_entry

    .balign 8
link_addr:
    .quad   _start

    .section .data
    .balign 4
boot_claimed:
    .word   0

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

/* SPDX-License-Identifier: MIT */
/*
 * The HS-mode trap entry (stvec, direct mode: privileged spec 4.1.2) and the way back.
 *
 * sscratch tells the entry where the trap came from without trusting any register:
 * - while the hypervisor runs (V=0), sscratch = 0 and tp = this CPU's struct pcpu *;
 * - while a guest runs (V=1), sscratch = this CPU's stack top, whose top TRAP_AREA_SIZE
 *   bytes hold the guest's struct trap_frame and then the struct pcpu * (trap.h).
 * `csrrw tp, sscratch, tp` at entry therefore yields 0 for a trap taken in HS-mode (the
 * frame then goes on the current stack, as before guests existed), or the stack top for
 * a trap from VS/VU-mode: the guest's sp, tp and other registers go into the guest
 * frame, tp is reloaded from the pcpu slot and sscratch is zeroed again. Interrupts are
 * off (sstatus.SIE = 0) from the trap until sret, so the two states never overlap.
 *
 * The way back (trap_return, sp = frame) restores sepc, sstatus and hstatus from the
 * frame: hstatus.SPV = 1 there means the sret goes to the guest (H extension 8.6.4), so
 * sscratch is set to the stack top first.
 */
#include <arch/trap.h>

#define FRAME_SIZE TRAP_FRAME_SIZE /* 31 GPRs + sepc sstatus scause stval htval htinst hstatus */
#define REG(n)     ((n) - 1) * 8 /* offset of xn, n >= 1 */
#define CSR_OFF(i) (31 + (i)) * 8

#define CSR_HSTATUS  0x600
#define CAUSE_VS_ECALL 10
#define XEN_HYPERCALL_EID 0x0a000ea1 /* docs/abi-riscv.md; also guest_traps.c */
#define CSR_HTVAL    0x643
#define CSR_HTINST   0x64a
#define HSTATUS_SPV  (1 << 7)

/* The GPRs a C call may clobber (ra, gp, t0-t6, a0-a7): all the hypercall fast path
 * saves, since C code preserves the others (the psABI's callee-saved s0-s11). gp is
 * saved too: the guest's value is arbitrary. sp (x2) and tp (x4) are saved by each entry
 * path itself. */
.macro save_caller
    sd      x1, REG(1)(sp)
    sd      x3, REG(3)(sp)
    sd      x5, REG(5)(sp)
    sd      x6, REG(6)(sp)
    sd      x7, REG(7)(sp)
    sd      x10, REG(10)(sp)
    sd      x11, REG(11)(sp)
    sd      x12, REG(12)(sp)
    sd      x13, REG(13)(sp)
    sd      x14, REG(14)(sp)
    sd      x15, REG(15)(sp)
    sd      x16, REG(16)(sp)
    sd      x17, REG(17)(sp)
    sd      x28, REG(28)(sp)
    sd      x29, REG(29)(sp)
    sd      x30, REG(30)(sp)
    sd      x31, REG(31)(sp)
.endm

/* s0-s11: needed in the frame whenever the trap may switch vCPUs or be reported. */
.macro save_callee
    sd      x8, REG(8)(sp)
    sd      x9, REG(9)(sp)
    sd      x18, REG(18)(sp)
    sd      x19, REG(19)(sp)
    sd      x20, REG(20)(sp)
    sd      x21, REG(21)(sp)
    sd      x22, REG(22)(sp)
    sd      x23, REG(23)(sp)
    sd      x24, REG(24)(sp)
    sd      x25, REG(25)(sp)
    sd      x26, REG(26)(sp)
    sd      x27, REG(27)(sp)
.endm

.macro save_gprs
    save_caller
    save_callee
.endm

.macro restore_caller
    ld      x1, REG(1)(sp)
    ld      x3, REG(3)(sp)
    ld      x4, REG(4)(sp)
    ld      x5, REG(5)(sp)
    ld      x6, REG(6)(sp)
    ld      x7, REG(7)(sp)
    ld      x10, REG(10)(sp)
    ld      x11, REG(11)(sp)
    ld      x12, REG(12)(sp)
    ld      x13, REG(13)(sp)
    ld      x14, REG(14)(sp)
    ld      x15, REG(15)(sp)
    ld      x16, REG(16)(sp)
    ld      x17, REG(17)(sp)
    ld      x28, REG(28)(sp)
    ld      x29, REG(29)(sp)
    ld      x30, REG(30)(sp)
    ld      x31, REG(31)(sp)
.endm

.macro restore_callee
    ld      x8, REG(8)(sp)
    ld      x9, REG(9)(sp)
    ld      x18, REG(18)(sp)
    ld      x19, REG(19)(sp)
    ld      x20, REG(20)(sp)
    ld      x21, REG(21)(sp)
    ld      x22, REG(22)(sp)
    ld      x23, REG(23)(sp)
    ld      x24, REG(24)(sp)
    ld      x25, REG(25)(sp)
    ld      x26, REG(26)(sp)
    ld      x27, REG(27)(sp)
.endm

    .text
    .balign 4
    .global hyp_trap_entry
hyp_trap_entry:
    csrrw   tp, sscratch, tp
    bnez    tp, from_guest
    /* From HS-mode: tp = 0 now and sscratch holds our tp; swap back, leave sscratch 0. */
    csrrw   tp, sscratch, zero
    addi    sp, sp, -FRAME_SIZE
    save_gprs
    sd      x4, REG(4)(sp)
    addi    t0, sp, FRAME_SIZE
    sd      t0, REG(2)(sp)          /* sp before the trap */
    j       save_csrs

from_guest:
    /* tp = stack top, sscratch = the guest's tp. */
    sd      sp, (REG(2) - TRAP_AREA_SIZE)(tp)
    addi    sp, tp, -TRAP_AREA_SIZE
    save_caller
    csrrw   t0, sscratch, zero
    sd      t0, REG(4)(sp)
    ld      tp, TRAP_AREA_PCPU(sp)
    /* Fast path for a Xen hypercall (ecall from VS-mode with a7 = the hypercall
     * extension id, still live in a7): C code keeps s0-s11, so they stay in the
     * registers, and sstatus, hstatus, stval, htval and htinst are left alone unless
     * the call makes the scheduler run (guest_hypercall returns true). */
    csrr    t0, scause
    sd      t0, CSR_OFF(2)(sp)
    li      t1, CAUSE_VS_ECALL
    bne     t0, t1, 1f
    li      t1, XEN_HYPERCALL_EID
    bne     a7, t1, 1f
    csrr    t0, sepc
    addi    t0, t0, 4               /* ecall has no compressed form */
    sd      t0, CSR_OFF(0)(sp)
    mv      a0, sp
    call    guest_hypercall
    bnez    a0, hypercall_resched
    ld      t0, CSR_OFF(0)(sp)
    csrw    sepc, t0
    addi    t0, sp, TRAP_AREA_SIZE
    csrw    sscratch, t0
    restore_caller
    ld      x2, REG(2)(sp)
    sret

hypercall_resched:
    /* The call blocked, yielded or ended the domain: complete the frame for a switch. */
    save_callee
    csrr    t0, sstatus
    sd      t0, CSR_OFF(1)(sp)
    csrr    t0, CSR_HSTATUS
    sd      t0, CSR_OFF(6)(sp)
    call    guest_resume
    j       trap_return

1:  save_callee

save_csrs:
    csrr    t0, sepc
    sd      t0, CSR_OFF(0)(sp)
    csrr    t0, sstatus
    sd      t0, CSR_OFF(1)(sp)
    csrr    t0, scause
    sd      t0, CSR_OFF(2)(sp)
    csrr    t0, stval
    sd      t0, CSR_OFF(3)(sp)
    /* Without the H extension (refused at boot, dt.c) its CSRs are illegal: a trap
     * before that check must not take another one here. */
    sd      zero, CSR_OFF(4)(sp)
    sd      zero, CSR_OFF(5)(sp)
    sd      zero, CSR_OFF(6)(sp)
    lla     t0, riscv_has_h
    lbu     t0, 0(t0)
    beqz    t0, 2f
    csrr    t0, CSR_HTVAL
    sd      t0, CSR_OFF(4)(sp)
    csrr    t0, CSR_HTINST
    sd      t0, CSR_OFF(5)(sp)
    csrr    t0, CSR_HSTATUS
    sd      t0, CSR_OFF(6)(sp)
2:  mv      a0, sp
    call    arch_trap_handler

    /* sp = a frame: the one just saved, or the loaded guest's (arch_vcpu_enter). */
    .global trap_return
trap_return:
    /* sepc may have moved (a probe or an ecall skipped); sstatus holds SPP/SPIE. */
    ld      t0, CSR_OFF(0)(sp)
    csrw    sepc, t0
    ld      t0, CSR_OFF(1)(sp)
    csrw    sstatus, t0
    ld      t0, CSR_OFF(6)(sp)
    andi    t1, t0, HSTATUS_SPV
    beqz    t1, 1f                  /* back to HS-mode: hstatus untouched (may not exist) */
    csrw    CSR_HSTATUS, t0
    addi    t0, sp, TRAP_AREA_SIZE
    csrw    sscratch, t0
1:  restore_caller
    restore_callee
    ld      x2, REG(2)(sp)          /* last: the guest's sp, or ours before the trap */
    sret

/* SPDX-License-Identifier: MIT */
/*
 * The HS-mode trap entry (stvec, direct mode: privileged spec 4.1.2). It saves a
 * struct trap_frame (include/arch/trap.h) on the current stack and calls
 * arch_trap_handler(frame).
 *
 * Only the hypervisor traps here for now, so sp is always a hypervisor stack. Once
 * guests run, a trap from VS-mode arrives with the guest's sp: the entry will then swap
 * sp with sscratch (which holds this CPU's stack top while a guest runs, 0 while the
 * hypervisor runs) and tp will be reloaded from the stack top, as Linux does for U-mode.
 */
#define FRAME_SIZE 304 /* 31 GPRs + sepc sstatus scause stval htval htinst hstatus */
#define REG(n)     ((n) - 1) * 8 /* offset of xn, n >= 1 */
#define CSR_OFF(i) (31 + (i)) * 8

#define CSR_HSTATUS 0x600
#define CSR_HTVAL   0x643
#define CSR_HTINST  0x64a

    .text
    .balign 4
    .global hyp_trap_entry
hyp_trap_entry:
    addi    sp, sp, -FRAME_SIZE
    sd      x1, REG(1)(sp)
    sd      x3, REG(3)(sp)
    sd      x4, REG(4)(sp)
    sd      x5, REG(5)(sp)
    sd      x6, REG(6)(sp)
    sd      x7, REG(7)(sp)
    sd      x8, REG(8)(sp)
    sd      x9, REG(9)(sp)
    sd      x10, REG(10)(sp)
    sd      x11, REG(11)(sp)
    sd      x12, REG(12)(sp)
    sd      x13, REG(13)(sp)
    sd      x14, REG(14)(sp)
    sd      x15, REG(15)(sp)
    sd      x16, REG(16)(sp)
    sd      x17, REG(17)(sp)
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
    sd      x28, REG(28)(sp)
    sd      x29, REG(29)(sp)
    sd      x30, REG(30)(sp)
    sd      x31, REG(31)(sp)
    addi    t0, sp, FRAME_SIZE
    sd      t0, REG(2)(sp)          /* sp before the trap */
    csrr    t0, sepc
    sd      t0, CSR_OFF(0)(sp)
    csrr    t0, sstatus
    sd      t0, CSR_OFF(1)(sp)
    csrr    t0, scause
    sd      t0, CSR_OFF(2)(sp)
    csrr    t0, stval
    sd      t0, CSR_OFF(3)(sp)
    csrr    t0, CSR_HTVAL
    sd      t0, CSR_OFF(4)(sp)
    csrr    t0, CSR_HTINST
    sd      t0, CSR_OFF(5)(sp)
    csrr    t0, CSR_HSTATUS
    sd      t0, CSR_OFF(6)(sp)
    mv      a0, sp
    call    arch_trap_handler
    /* sepc may have moved (a probe skipped an instruction); sstatus holds SPP/SPIE. */
    ld      t0, CSR_OFF(0)(sp)
    csrw    sepc, t0
    ld      t0, CSR_OFF(1)(sp)
    csrw    sstatus, t0
    ld      x1, REG(1)(sp)
    ld      x3, REG(3)(sp)
    ld      x4, REG(4)(sp)
    ld      x5, REG(5)(sp)
    ld      x6, REG(6)(sp)
    ld      x7, REG(7)(sp)
    ld      x8, REG(8)(sp)
    ld      x9, REG(9)(sp)
    ld      x10, REG(10)(sp)
    ld      x11, REG(11)(sp)
    ld      x12, REG(12)(sp)
    ld      x13, REG(13)(sp)
    ld      x14, REG(14)(sp)
    ld      x15, REG(15)(sp)
    ld      x16, REG(16)(sp)
    ld      x17, REG(17)(sp)
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
    ld      x28, REG(28)(sp)
    ld      x29, REG(29)(sp)
    ld      x30, REG(30)(sp)
    ld      x31, REG(31)(sp)
    addi    sp, sp, FRAME_SIZE
    sret

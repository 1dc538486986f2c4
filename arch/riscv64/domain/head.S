/* SPDX-License-Identifier: MIT */
/*
 * Domain entry (riscv64): the hypervisor starts vCPU 0 in VS-mode with vsatp = 0,
 * interrupts off, a0 = vCPU id, a1 = guest DTB, as for a Linux RISC-V Image
 * (Documentation/arch/riscv/boot.rst, boot-image-header.rst). In VS-mode the s* CSRs
 * we name here are the hypervisor-provided vs* copies.
 */
#define DOM_STACK_SIZE 16384
#define DOM_EXC_STACK_SIZE 4096
#define DOM_MAX_VCPUS 8             /* dom/dom.h */
#define SBI_EXT_SRST 0x53525354

    .option norvc                   /* code0 must be one 4-byte jump */
    .section .text.head, "ax"
    .global _start
_start:
    j       entry                   /* code0 */
    .word   0x00000013              /* code1: nop */
    .dword  DOM_TEXT_OFFSET         /* text_offset */
    .dword  __image_size            /* image_size, BSS included */
    .dword  0                       /* flags: little-endian */
    .word   0x2                     /* version 0.2 */
    .word   0                       /* res1 */
    .dword  0                       /* res2 */
    .ascii  "RISCV\0\0\0"           /* magic (deprecated, still checked by loaders) */
    .ascii  "RSC\x05"               /* magic2 */
    .word   0                       /* res3 */
    .option rvc

entry:
    csrw    sie, zero
    mv      tp, a0                  /* the hart id = vCPU id (dom_arch_vcpu_self) */
    mv      s1, a1                  /* DTB */
    /* Linked at DOM_LOAD_ADDR and run one to one: anywhere else, stop. */
    lla     t0, _start
    ld      t1, link_addr
    bne     t0, t1, park
    lla     t0, dom_trap_entry
    csrw    stvec, t0
    /* Zero BSS. */
    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  lla     sp, dom_stack + DOM_STACK_SIZE
    mv      a0, s1
    call    dom_main
    tail    dom_exit
park:
    wfi
    j       park

    .balign 8
link_addr:
    .dword  _start

/*
 * Secondary vCPUs (SBI HSM hart_start from dom_vcpu_start): VS-mode, vsatp = 0, a0 =
 * hart id, a1 = the opaque argument, here a struct dom_vcpu_boot {sp, fn, id}. stvec
 * (vstvec) is per vCPU and starts out 0, so set it before anything can trap.
 */
    .balign 4
    .global dom_arch_secondary_entry
    .type   dom_arch_secondary_entry, %function
dom_arch_secondary_entry:
    csrw    sie, zero
    mv      tp, a0
    lla     t0, dom_trap_entry
    csrw    stvec, t0
    ld      sp, 0(a1)               /* sp */
    ld      t0, 8(a1)               /* fn */
    ld      a0, 16(a1)              /* id */
    jalr    t0
    tail    dom_vcpu_stop

/*
 * Traps the hypervisor delegates to us (hedeleg) land here: report and crash the
 * domain, on a fresh stack since the fault may be the stack itself, one per vCPU (tp is
 * the vCPU id) since two may trap at once.
 */
    .text
    .balign 4
    .global dom_trap_entry
dom_trap_entry:
    andi    t0, tp, DOM_MAX_VCPUS - 1
    slli    t0, t0, 12              /* DOM_EXC_STACK_SIZE */
    lla     sp, dom_exc_stack + DOM_EXC_STACK_SIZE
    add     sp, sp, t0
    csrr    a0, scause
    csrr    a1, sepc
    csrr    a2, stval
    csrr    a3, sstatus
    tail    dom_arch_exception

/*
 * The vector once dom_irq_cpu_init() has run (direct mode): an interrupt is dispatched
 * to dom_irq_dispatch(scause) on the interrupted stack with the caller-saved registers
 * kept, then sret; an exception goes on to dom_trap_entry as before.
 */
#define IRQ_FRAME 128
    .balign 4
    .global dom_irq_trap_entry
dom_irq_trap_entry:
    addi    sp, sp, -IRQ_FRAME
    sd      t0, 0(sp)
    csrr    t0, scause
    bgez    t0, 1f                  /* bit 63 clear: an exception */
    sd      ra, 8(sp)
    sd      t1, 16(sp)
    sd      t2, 24(sp)
    sd      a0, 32(sp)
    sd      a1, 40(sp)
    sd      a2, 48(sp)
    sd      a3, 56(sp)
    sd      a4, 64(sp)
    sd      a5, 72(sp)
    sd      a6, 80(sp)
    sd      a7, 88(sp)
    sd      t3, 96(sp)
    sd      t4, 104(sp)
    sd      t5, 112(sp)
    sd      t6, 120(sp)
    mv      a0, t0
    call    dom_irq_dispatch
    ld      ra, 8(sp)
    ld      t1, 16(sp)
    ld      t2, 24(sp)
    ld      a0, 32(sp)
    ld      a1, 40(sp)
    ld      a2, 48(sp)
    ld      a3, 56(sp)
    ld      a4, 64(sp)
    ld      a5, 72(sp)
    ld      a6, 80(sp)
    ld      a7, 88(sp)
    ld      t3, 96(sp)
    ld      t4, 104(sp)
    ld      t5, 112(sp)
    ld      t6, 120(sp)
    ld      t0, 0(sp)
    addi    sp, sp, IRQ_FRAME
    sret
1:  ld      t0, 0(sp)
    addi    sp, sp, IRQ_FRAME
    j       dom_trap_entry

/*
 * long dom_hypercall(op, a1..a5): an SBI call to the firmware-specific extension
 * DOM_XEN_SBI_EID with a6 = Xen hypercall number, a0-a4 = arguments, a0 = result.
 */
    .global dom_hypercall
    .type   dom_hypercall, %function
dom_hypercall:
    mv      a6, a0
    mv      a0, a1
    mv      a1, a2
    mv      a2, a3
    mv      a3, a4
    mv      a4, a5
    li      a7, DOM_XEN_SBI_EID
    ecall
    ret

/* long dom_arch_sbi_srst(type, reason): SBI SRST system_reset (SBI v1.0, 10.1). */
    .global dom_arch_sbi_srst
    .type   dom_arch_sbi_srst, %function
dom_arch_sbi_srst:
    li      a6, 0
    li      a7, SBI_EXT_SRST
    ecall
    ret

    .bss
    .balign 16
dom_stack:
    .space  DOM_STACK_SIZE
dom_exc_stack:
    .space  DOM_EXC_STACK_SIZE * DOM_MAX_VCPUS

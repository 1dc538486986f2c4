/* SPDX-License-Identifier: MIT */
/*
 * Domain entry (aarch64): the hypervisor starts vCPU 0 at EL1h with the MMU off, DAIF
 * masked and x0 = guest DTB, as for a Linux arm64 Image (Documentation/arch/arm64/
 * booting.rst). The 64-byte Image header tells it where to load us.
 */
#define DOM_STACK_SIZE 16384

    .section .text.head, "ax"
    .global _start
_start:
    b       entry                   /* code0 */
    .long   0                       /* code1 */
    .quad   DOM_TEXT_OFFSET         /* text_offset */
    .quad   __image_size            /* image_size, BSS included */
    .quad   0x2                     /* flags: little-endian, 4 KiB pages */
    .quad   0, 0, 0                 /* res2-res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

entry:
    mov     x20, x0                 /* DTB */
    /* Linked at DOM_LOAD_ADDR and run one to one: anywhere else, absolute addresses
     * would be wrong, and with no console of our own all we can do is stop. */
    adr     x1, _start
    ldr     x2, =_start
    cmp     x1, x2
    b.ne    park
    ldr     x1, =dom_vectors
    msr     vbar_el1, x1
    isb
    /* Zero BSS (8-byte aligned stores: fine on Device memory). */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ldr     x1, =dom_stack + DOM_STACK_SIZE
    mov     sp, x1
    mov     x0, x20
    bl      dom_main
    b       dom_exit
park:
    wfi
    b       park

/*
 * Secondary vCPUs (PSCI CPU_ON from dom_vcpu_start): EL1h, MMU off, DAIF masked, x0 =
 * the context id, here a struct dom_vcpu_boot {sp, fn, id}. VBAR_EL1 is per vCPU and
 * starts out unknown, so set it before anything can fault.
 */
    .global dom_arch_secondary_entry
    .type   dom_arch_secondary_entry, %function
dom_arch_secondary_entry:
    ldr     x1, =dom_vectors
    msr     vbar_el1, x1
    isb
    ldr     x1, [x0]                /* sp */
    mov     sp, x1
    ldr     x1, [x0, #8]            /* fn */
    ldr     x0, [x0, #16]           /* id */
    blr     x1
    b       dom_vcpu_stop

/*
 * EL1 exception vectors (Arm ARM D1.10.2). Every entry saves x0-x30, ELR_EL1 and
 * SPSR_EL1 in a struct dom_a64_frame on the current stack and calls
 * dom_arch_trap(index, frame) (irq.c): IRQs go to the interrupt handlers, a synchronous
 * exception to the hook a test installed, else it is reported and the domain crashes.
 * If the stack itself is what faults, the store below faults again inside these vectors,
 * and the hypervisor ends the domain with that reason.
 */
#define FRAME_SIZE 272              /* x0-x30, elr, spsr, padding */

.macro vector idx
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\idx
    b       dom_trap_common
.endm

    .text
    .balign 0x800
    .global dom_vectors
dom_vectors:
    vector 0
    vector 1
    vector 2
    vector 3
    vector 4
    vector 5
    vector 6
    vector 7
    vector 8
    vector 9
    vector 10
    vector 11
    vector 12
    vector 13
    vector 14
    vector 15

dom_trap_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x1, elr_el1
    stp     x30, x1, [sp, #240]
    mrs     x1, spsr_el1
    str     x1, [sp, #256]
    mov     x1, sp
    bl      dom_arch_trap
    ldp     x30, x1, [sp, #240]
    msr     elr_el1, x1
    ldr     x1, [sp, #256]
    msr     spsr_el1, x1
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME_SIZE
    eret
    .ltorg

/* long dom_hypercall(op, a1..a5): Xen's Arm convention, HVC #0xEA1 with x16 = op. */
    .global dom_hypercall
    .type   dom_hypercall, %function
dom_hypercall:
    mov     x16, x0
    mov     x0, x1
    mov     x1, x2
    mov     x2, x3
    mov     x3, x4
    mov     x4, x5
    hvc     #0xEA1
    ret

/* unsigned long dom_arch_psci(fid, a1, a2, a3): SMCCC over HVC #0 (PSCI 1.0, 5.2). */
    .global dom_arch_psci
    .type   dom_arch_psci, %function
dom_arch_psci:
    hvc     #0
    ret

    .bss
    .balign 16
dom_stack:
    .space  DOM_STACK_SIZE

/* SPDX-License-Identifier: MIT */
/*
 * Domain entry (aarch64): the hypervisor starts vCPU 0 at EL1h with the MMU off, DAIF
 * masked and x0 = guest DTB, as for a Linux arm64 Image (Documentation/arch/arm64/
 * booting.rst). The 64-byte Image header tells it where to load us.
 */
#define DOM_STACK_SIZE 16384
#define DOM_EXC_STACK_SIZE 4096
#define DOM_MAX_VCPUS 8             /* dom/dom.h */

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
 * EL1 exception vectors (Arm ARM D1.10.2): every entry reports and crashes the domain.
 * A fresh stack, since the fault may be the stack itself, one per vCPU (MPIDR_EL1.Aff0
 * is the vCPU id) since two may fault at once; x0 = vector index.
 */
.macro vector idx
    .balign 0x80
    mrs     x9, mpidr_el1
    and     x9, x9, #(DOM_MAX_VCPUS - 1)
    ldr     x10, =dom_exc_stack + DOM_EXC_STACK_SIZE
    add     x9, x10, x9, lsl #12    /* DOM_EXC_STACK_SIZE */
    mov     sp, x9
    mov     x0, #\idx
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    mrs     x4, spsr_el1
    b       dom_arch_exception
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
dom_exc_stack:
    .space  DOM_EXC_STACK_SIZE * DOM_MAX_VCPUS

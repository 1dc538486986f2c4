/* SPDX-License-Identifier: MIT */
/*
 * Entry at EL2 with the MMU off and x0 = DTB, as QEMU and U-Boot's booti start an arm64
 * Image (Linux Documentation/arch/arm64/booting.rst). The 64-byte Image header lets
 * them load us at RAM base + text_offset.
 */
#include <bulkhead/config.h>

#define TRAP_FRAME_SIZE 288 /* struct trap_frame, include/arch/trap.h */

    .section .text.head, "ax"
    .global _start
_start:
    b       primary_entry           /* code0 */
    .long   0                       /* code1 */
    .quad   CONFIG_TEXT_OFFSET      /* text_offset */
    .quad   __image_size            /* image_size */
    .quad   0x2                     /* flags: little-endian, 4 KiB pages */
    .quad   0, 0, 0                 /* res2-res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

primary_entry:
    mov     x20, x0                 /* DTB */
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.ne    park                    /* not EL2: nothing we can do safely */
    /* We are linked at LOAD_ADDR and run one to one: refuse any other address. */
    adr     x1, _start
    ldr     x2, =_start
    cmp     x1, x2
    b.ne    park
    /* Zero BSS (8-byte aligned stores: fine with the MMU off). */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ldr     x1, =hyp_cpu_stacks
    add     x1, x1, #CPU_STACK_SIZE
    /* The top TRAP_FRAME_SIZE bytes of every CPU stack hold the running guest's frame. */
    sub     sp, x1, #TRAP_FRAME_SIZE
    bl      arch_boot_init
    mrs     x0, mpidr_el1
    ldr     x1, =0xff00ffffff       /* Aff3..Aff0 */
    and     x0, x0, x1
    mov     x1, x20
    bl      boot_main
park:
    wfe
    b       park

/*
 * Secondary CPUs enter here from PSCI CPU_ON with the MMU off and x0 = context_id =
 * their struct pcpu, whose first member is the initial stack pointer.
 */
    .text
    .global secondary_entry
secondary_entry:
    ldr     x1, [x0]
    sub     sp, x1, #TRAP_FRAME_SIZE
    msr     tpidr_el2, x0
    bl      arch_boot_init
    bl      arch_secondary_start
    b       park

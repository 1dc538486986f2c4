/* SPDX-License-Identifier: MIT */
/*
 * Guest interface to Bulkhead (and Xen) on RISC-V: the arch part of Xen's public ABI.
 *
 * Debian's Xen 4.17 headers (libxen-dev) have no RISC-V arch header; mk/xen-headers.sh
 * makes their xen.h include this one for __riscv, as upstream Xen's xen.h does. It
 * follows upstream Xen's xen/include/public/arch-riscv.h (xen-project/xen, 2025-2026)
 * wherever that defines something, so layouts match real Xen on RISC-V. Upstream based
 * it on arch-arm.h, so the common structs (shared_info, vcpu_info, grant and event
 * channel structs) have arm64's layout. See docs/abi-riscv.md.
 */
#ifndef __XEN_PUBLIC_ARCH_RISCV_H__
#define __XEN_PUBLIC_ARCH_RISCV_H__

/* Upstream: 64-bit fields are 8-byte aligned in every struct (also on riscv32). */
#if defined(__XEN__) || defined(__XEN_TOOLS__) || defined(__GNUC__)
#define int64_aligned_t  int64_t __attribute__((__aligned__(8)))
#define uint64_aligned_t uint64_t __attribute__((__aligned__(8)))
#endif

#if !defined(__ASSEMBLY__) && !defined(__ASSEMBLER__)

/*
 * Guest handles. XEN_GUEST_HANDLE (a pointer inside a struct in memory) is always 8
 * bytes and 8-byte aligned; XEN_GUEST_HANDLE_PARAM (a hypercall argument in a
 * register) is a native pointer. Same scheme as upstream and arch-arm.h.
 */
#define ___DEFINE_XEN_GUEST_HANDLE(name, type)                                                     \
    typedef union {                                                                                \
        type *p;                                                                                   \
        unsigned long q;                                                                           \
    } __guest_handle_##name;                                                                       \
    typedef union {                                                                                \
        type *p;                                                                                   \
        uint64_aligned_t q;                                                                        \
    } __guest_handle_64_##name

#define __DEFINE_XEN_GUEST_HANDLE(name, type)                                                      \
    ___DEFINE_XEN_GUEST_HANDLE(name, type);                                                        \
    ___DEFINE_XEN_GUEST_HANDLE(const_##name, const type)
#define DEFINE_XEN_GUEST_HANDLE(name) __DEFINE_XEN_GUEST_HANDLE(name, name)
#define __XEN_GUEST_HANDLE(name)      __guest_handle_64_##name
#define XEN_GUEST_HANDLE(name)        __XEN_GUEST_HANDLE(name)
#define XEN_GUEST_HANDLE_PARAM(name)  __guest_handle_##name

/* Clear all 8 bytes first: on riscv32 the pointer fills only half. __typeof__, not
 * typeof, so that -std=c11 users can expand it. */
#define set_xen_guest_handle_raw(hnd, val)                                                         \
    do {                                                                                           \
        __typeof__(&(hnd)) sxghr_tmp_ = &(hnd);                                                    \
        sxghr_tmp_->q = 0;                                                                         \
        sxghr_tmp_->p = (val);                                                                     \
    } while (0)
#define set_xen_guest_handle(hnd, val) set_xen_guest_handle_raw(hnd, val)

/* Guest frame numbers and machine words: 64-bit on riscv64 (upstream). */
typedef uint64_t xen_pfn_t;
#define PRI_xen_pfn  PRIx64
#define PRIu_xen_pfn PRIu64

typedef uint64_t xen_ulong_t;
#define PRI_xen_ulong PRIx64

#if defined(__XEN__) || defined(__XEN_TOOLS__)

/* XEN_DOMCTL_setvcpucontext (Bulkhead's; upstream has none yet; docs/abi-riscv.md):
 * x[0..31] the integer registers (x[0] ignored; a0 = x[10], a1 = x[11]), sepc the
 * entry point, sstatus reserved (0). Only vCPU 0's sepc and a1 are used, a0 must be 0
 * (its hart id): the Linux boot protocol. 280 bytes. */
struct vcpu_guest_core_regs {
    uint64_t x[32];
    uint64_t sepc;
    uint64_t sstatus;
};
typedef struct vcpu_guest_core_regs vcpu_guest_core_regs_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_guest_core_regs_t);

struct vcpu_guest_context {
    uint32_t flags; /* VGCF_online (bit 0), as on Arm */
    uint32_t _pad;
    struct vcpu_guest_core_regs user_regs;
};
_Static_assert(sizeof(struct vcpu_guest_context) == 280, "vcpu_guest_context ABI");
typedef struct vcpu_guest_context vcpu_guest_context_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_guest_context_t);

/* XEN_DOMCTL_createdomain arch part (upstream): the G-stage guest-physical address
 * width in bits: 34 (Sv32x4), 41 (Sv39x4), 50 (Sv48x4) or 59 (Sv57x4). */
struct xen_arch_domainconfig {
    uint8_t gaddr_bits;
};

/* Guest-physical map (Bulkhead's; upstream defines none yet; docs/abi-riscv.md): the
 * magic pages (xenstore and console rings, hypervisor/magic) as on Arm, 16 MiB in a hole
 * of QEMU virt's map, below the flash (0x20000000) and above every device a guest sees
 * (the vPLIC at 0x0c000000, a stub's UART and virtio-mmio at 0x10000000-0x10008fff). RAM
 * starts at 0x80000000. Page 0 is the console's, page 1 xenstore's. */
#define GUEST_MAGIC_BASE 0x1f000000ull
#define GUEST_MAGIC_SIZE 0x01000000ull

#endif /* __XEN__ || __XEN_TOOLS__ */

/* Nothing arch-specific in vcpu_info and shared_info yet (upstream; as on Arm). */
struct arch_vcpu_info {
};
typedef struct arch_vcpu_info arch_vcpu_info_t;

struct arch_shared_info {
};
typedef struct arch_shared_info arch_shared_info_t;

/* vcpu_info slots in shared_info: only vCPU 0's. The others register their own with
 * VCPUOP_register_vcpu_info (upstream, as on Arm). */
#define XEN_LEGACY_MAX_VCPUS 1

/* PMU: a placeholder, as upstream (pmu.h embeds it). */
typedef struct xen_pmu_arch {
    uint8_t dummy;
} xen_pmu_arch_t;

#endif /* !__ASSEMBLY__ */

#endif /* __XEN_PUBLIC_ARCH_RISCV_H__ */

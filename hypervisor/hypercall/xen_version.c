/* SPDX-License-Identifier: MIT */
/*
 * xen_version (Xen: `long do_xen_version(int cmd, arg)`): we present Xen 4.17's interface
 * (the headers we implement) and answer each sub-op with Xen's layout: fixed-size
 * buffers, NUL-padded.
 */
#include <string.h>

#include <stdint.h>

#include <xen/features.h>
#include <xen/version.h>
#include <xen/xen.h>

#include <bulkhead/arch.h>
#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>

#define XEN_MAJOR 4
#define XEN_MINOR 17

/* Xen 4.17 on arm64 reports its XEN_VIRT_START here (HYPERVISOR_VIRT_START); guests on
 * Arm do not use it. riscv64 answers the same for one behaviour on both arches. */
#define PLATFORM_VIRT_START 0x200000ull

/* Out of line: their buffers would otherwise cost every XENVER_version call a large
 * stack frame. */
__attribute__((noinline)) static int64_t get_features(struct vcpu *v, uint64_t arg)
{
    xen_feature_info_t fi;
    int rc = get_guest(v, &fi, arg);

    if (rc) {
        return rc;
    }
    if (fi.submap_idx >= XENFEAT_NR_SUBMAPS) {
        return -EINVAL;
    }
    if (fi.submap_idx != 0) {
        fi.submap = 0;
    } else {
        /* Guests see one address space they manage (auto-translated, as on Xen on Arm). */
        fi.submap = (1u << XENFEAT_auto_translated_physmap) | (1u << XENFEAT_hvm_callback_vector);
    }
    return put_guest(v, arg, &fi);
}

/* Copy @s NUL-padded into a guest buffer of @size bytes. */
__attribute__((noinline)) static int64_t put_string(struct vcpu *v, uint64_t arg, const char *s,
                                                    size_t size)
{
    char buf[XEN_CAPABILITIES_INFO_LEN] = {0};

    memcpy(buf, s, MIN(strlen(s), size - 1));
    return copy_to_guest(v, arg, buf, size);
}

__attribute__((noinline)) static int64_t compile_info(struct vcpu *v, uint64_t arg)
{
    xen_compile_info_t ci = {0};

    /* No build date or host: the image is reproducible. */
    memcpy(ci.compiler, "gcc " __VERSION__,
           MIN(sizeof("gcc " __VERSION__), sizeof(ci.compiler) - 1));
    memcpy(ci.compile_by, "bulkhead", sizeof("bulkhead"));
    return put_guest(v, arg, &ci);
}

static int64_t platform_parameters(struct vcpu *v, uint64_t arg)
{
    xen_platform_parameters_t p = {.virt_start = PLATFORM_VIRT_START};

    return put_guest(v, arg, &p);
}

int64_t do_xen_version(struct vcpu *v, int cmd, uint64_t arg)
{
    switch (cmd) {
    case XENVER_version:
        return (XEN_MAJOR << 16) | XEN_MINOR;
    case XENVER_extraversion:
        return put_string(v, arg, "-bulkhead", sizeof(xen_extraversion_t));
    case XENVER_compile_info:
        return compile_info(v, arg);
    case XENVER_capabilities:
        return put_string(v, arg, arch_xen_capabilities(), sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return put_string(v, arg, "bulkhead", sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters:
        return platform_parameters(v, arg);
    case XENVER_get_features:
        return get_features(v, arg);
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_guest_handle:
        /* The domain handle (a UUID the toolstack sets; none yet): 16 zero bytes. */
        return put_string(v, arg, "", sizeof(xen_domain_handle_t));
    case XENVER_commandline:
    case XENVER_build_id:
        /* Xen's policy: only the control domain may read these. */
        return v->dom->role == ROLE_CONTROL ? -ENOSYS : -EPERM;
    default:
        return -ENOSYS;
    }
}

int64_t hc_xen_version(struct vcpu *v, struct hypercall *hc)
{
    int cmd = (int)hc->a[0];

    /* The null hypercall of benchmarks and of Linux's probing: no frame needed. */
    if (cmd == XENVER_version) {
        return (XEN_MAJOR << 16) | XEN_MINOR;
    }
    return do_xen_version(v, cmd, hc->a[1]);
}

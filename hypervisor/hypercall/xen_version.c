/* SPDX-License-Identifier: MIT */
/* xen_version: we present Xen 4.17's interface (the headers we implement). */
#include <string.h>

#include <stdint.h>

#include <xen/features.h>
#include <xen/version.h>
#include <xen/xen.h>

#include <bulkhead/errno.h>
#include <bulkhead/guest_access.h>
#include <bulkhead/hypercall.h>

#define XEN_MAJOR 4
#define XEN_MINOR 17

/* Out of line: their buffers would otherwise cost every XENVER_version call a large
 * stack frame. */
__attribute__((noinline)) static int64_t get_features(struct vcpu *v, uint64_t arg)
{
    xen_feature_info_t fi;
    int rc = copy_from_guest(v, &fi, arg, sizeof(fi));

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
    return copy_to_guest(v, arg, &fi, sizeof(fi));
}

__attribute__((noinline)) static int64_t put_string(struct vcpu *v, uint64_t arg, const char *s,
                                                    size_t size)
{
    char buf[XEN_CAPABILITIES_INFO_LEN] = {0};

    memcpy(buf, s, strlen(s) + 1);
    return copy_to_guest(v, arg, buf, size);
}

int64_t do_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a2, uint64_t a3,
                       uint64_t a4)
{
    (void)a2;
    (void)a3;
    (void)a4;
    switch (cmd) {
    case XENVER_version:
        return (XEN_MAJOR << 16) | XEN_MINOR;
    case XENVER_extraversion:
        return put_string(v, arg, "-bulkhead", sizeof(xen_extraversion_t));
    case XENVER_capabilities:
        return put_string(v, arg, "xen-3.0-aarch64 xen-3.0-riscv64",
                          sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return put_string(v, arg, "bulkhead", sizeof(xen_changeset_info_t));
    case XENVER_get_features:
        return get_features(v, arg);
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_guest_handle:
        return put_string(v, arg, "", sizeof(xen_domain_handle_t));
    default:
        return -ENOSYS;
    }
}
